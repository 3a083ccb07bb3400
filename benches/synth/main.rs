//! Synth speed and memory at scale, and the edit-and-synth loop.
//!
//! Run with `cargo bench --bench synth` (BENCHMARKS.md). Not part of `cargo test`.
//!
//! For 1, 10, 100 and 1000 services in each of three environments (dev behind NLBs, staging
//! behind internal ALBs, prod behind internet-facing HTTPS ALBs), the benchmark re-executes
//! itself once per repetition as `synth --child <services>`. The child builds the three
//! stacks through the public model API, exactly like `stacks/web.rs` (one blue/green Fargate
//! service per load balancer, prod + test listeners, step scaling), validates, lowers and
//! writes them with `Synthesized::write_to` into a fresh temporary directory, each stack on a
//! thread of its own as `ecsynth synth` runs them (`synth::each_in_parallel`), then reports
//! its in-process time, output bytes, resources, CPU time summed over its threads and peak RSS
//! (`VmHWM`, which only grows, hence one process per measurement). The parent times each child
//! from spawn to exit.
//!
//! Alternating with those runs, it runs `synth --floor-child <bytes>` (`synth/floor.rs`): the
//! same number of bytes of pretty JSON from plain typed serde-derive structs, one thread, also
//! a fresh process each time. The goal is to stay within 2× of that floor; measured in
//! the same run, the ratio does not depend on how fast the machine is that day.
//!
//! Then it measures the edit-and-synth loop: append a comment to `stacks/web.rs`, time
//! `cargo run -q --message-format=json -- synth prod --out <tmp>` (debug profile), check from
//! cargo's `fresh` flags that the library was not rebuilt (only the stacks crate and the
//! binary), and restore the file's bytes (also on panic, through a guard). `--no-edit-loop`
//! skips it; `ECSYNTH_BENCH_REPS=<n>` sets the repetitions per size.
//!
//! Parts: `stacks` (the generated stacks), `child` (one measurement per process), `sizes` (the
//! parent's runs, tables and targets), `floor` (the serialisation floor), `edit_loop`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// `--json`: one JSON object per size on stdout; the human-readable tables go to stderr.
static JSON: AtomicBool = AtomicBool::new(false);

/// A line of the human-readable report: stdout, or stderr under `--json`.
macro_rules! say {
    ($($arg:tt)*) => {
        if $crate::JSON.load(::std::sync::atomic::Ordering::Relaxed) {
            eprintln!($($arg)*)
        } else {
            println!($($arg)*)
        }
    };
}

// After `say!`: macros are visible in the modules declared below them.
mod child;
mod edit_loop;
mod floor;
mod sizes;
mod stacks;

/// The same allocator as the `ecsynth` binary (`src/main.rs`), so that the numbers are its.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(position) = args.iter().position(|arg| arg == "--child") {
        let services = args
            .get(position + 1)
            .and_then(|n| n.parse().ok())
            .expect("--child takes the number of services per environment");
        let out = PathBuf::from(args.get(position + 2).expect("--child <n> <out dir>"));
        child::child(services, &out);
        return;
    }
    if let Some(position) = args.iter().position(|arg| arg == "--floor-child") {
        let bytes = args
            .get(position + 1)
            .and_then(|n| n.parse().ok())
            .expect("--floor-child takes the bytes per file");
        let out = PathBuf::from(
            args.get(position + 2)
                .expect("--floor-child <bytes> <out dir>"),
        );
        println!("RESULT bytes={}", floor::child(bytes, &out));
        return;
    }
    // `cargo bench` passes `--bench`; `--json` and `--no-edit-loop` are ours.
    JSON.store(args.iter().any(|arg| arg == "--json"), Ordering::Relaxed);
    let sizes = sizes::measure_sizes();
    if args.iter().any(|arg| arg == "--no-edit-loop") {
        say!("\nedit-and-synth loop skipped (--no-edit-loop)");
    } else {
        edit_loop::edit_loop();
    }
    let failed = sizes.iter().filter(|ok| !**ok).count();
    if failed > 0 {
        eprintln!("\n{failed} size target(s) missed");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// The report, shared by the parts.

/// The middle value (the upper one of an even count); sorts `values`.
pub(crate) fn median<T: Ord + Copy>(values: &mut [T]) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

/// One line of the targets table; returns `ok`.
pub(crate) fn target(name: &str, ok: bool, detail: String) -> bool {
    say!("  {} {name}: {detail}", if ok { "ok  " } else { "MISS" });
    ok
}

/// `12.34 ms`.
pub(crate) fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// The duration in µs.
pub(crate) fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
