//! Synth speed and memory at scale, and the edit-and-synth loop.
//!
//! Run with `cargo bench --bench synth` (README, "Performance"). Not part of `cargo test`.
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
//! binary), and restore the file's bytes (also on panic, through a guard). `--no-edit-loop` skips it; `ECSYNTH_BENCH_REPS=<n>` sets the
//! repetitions per size.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ecsynth::model::{
    Backend, BlueGreen, Container, ContainerHealthCheck, DeploymentConfig, Input, Listener,
    LoadBalancer, Network, Service, Severity, Stack, StepScaling, TargetHealthCheck, TaskSize,
    Traffic,
};
use ecsynth::synth::{each_in_parallel, synthesize};

mod floor;

/// `--json`: one JSON object per size on stdout; the human-readable tables go to stderr.
static JSON: AtomicBool = AtomicBool::new(false);

/// A line of the human-readable report: stdout, or stderr under `--json`.
macro_rules! say {
    ($($arg:tt)*) => {
        if JSON.load(Ordering::Relaxed) {
            eprintln!($($arg)*)
        } else {
            println!($($arg)*)
        }
    };
}

/// Cost per service at 3 × 1000 may be at most this multiple of the cost per service at
/// 3 × 100 (CPU time above the 3 × 1 start-up, fastest run of each size), else the bench fails:
/// a super-linear step shows up as a ratio well above 1.
const MAX_SLOPE_RATIO: f64 = 1.5;

/// The same allocator as the `ecsynth` binary (`src/main.rs`), so that the numbers are its.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Services per environment.
const SIZES: [usize; 4] = [1, 10, 100, 1000];
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
const APP_PORT: u16 = 8080;
const CERTIFICATE: &str =
    "arn:aws:acm:eu-west-1:123456789012:certificate/0b6f8e1c-2f4d-4c59-9a57-6f2f2c9d1e21";

/// Whole-process synth time may be at most this multiple of the floor's (`floor.rs`) for the
/// same output bytes, measured in the same run: the goal, independent of how fast the
/// machine is that day.
const MAX_VS_FLOOR: f64 = 2.0;

/// Targets from issue 5, for 3 environments × `services`, whole child process.
const TARGET_300_TIME: Duration = Duration::from_millis(15);
const TARGET_300_RSS_KB: u64 = 20 * 1024;
const TARGET_3000_TIME: Duration = Duration::from_millis(150);
const TARGET_EDIT_LOOP: Duration = Duration::from_secs(3);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(position) = args.iter().position(|arg| arg == "--child") {
        let services = args
            .get(position + 1)
            .and_then(|n| n.parse().ok())
            .expect("--child takes the number of services per environment");
        let out = PathBuf::from(args.get(position + 2).expect("--child <n> <out dir>"));
        child(services, &out);
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
    let sizes = measure_sizes();
    if args.iter().any(|arg| arg == "--no-edit-loop") {
        say!("\nedit-and-synth loop skipped (--no-edit-loop)");
    } else {
        edit_loop();
    }
    let failed = sizes.iter().filter(|ok| !**ok).count();
    if failed > 0 {
        eprintln!("\n{failed} size target(s) missed");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// The generated stacks.

/// One environment with `services` copies of the storefront service, each behind its own load
/// balancer, built like `stacks/web.rs` and `stacks/mod.rs` build theirs.
fn stack(environment: &str, services: usize) -> Stack {
    let mut stack = Stack::new(environment, "eu-west-1");
    stack.backend(Backend::Local);
    stack
        .tag("Application", "storefront")
        .tag("Environment", environment)
        .tag("Owner", "platform-team")
        .cluster_name(&format!("storefront-{environment}"));
    if environment == "prod" {
        stack.network(Network {
            load_balancer_subnet_ids: Some(Input::Variable),
            ..Network::from_variables()
        });
    }
    let (task_size, image_tag, min, max, config, wait, retention) = match environment {
        "dev" => (
            TaskSize {
                cpu: 256,
                memory: 512,
            },
            "latest-dev",
            1,
            2,
            DeploymentConfig::AllAtOnce,
            0,
            7,
        ),
        "staging" => (
            TaskSize {
                cpu: 512,
                memory: 1024,
            },
            "1.4.0-rc.1",
            2,
            4,
            DeploymentConfig::Linear10PercentEvery1Minutes,
            5,
            30,
        ),
        _ => (
            TaskSize {
                cpu: 1024,
                memory: 2048,
            },
            "1.3.2",
            3,
            12,
            DeploymentConfig::Canary10Percent5Minutes,
            30,
            365,
        ),
    };
    for index in 0..services {
        let name = format!("svc-{index:04}");
        let load_balancer = match environment {
            "dev" => LoadBalancer::network(&name, Listener::tcp(80))
                .internal()
                .test_listener(Listener::tcp(8080))
                .allowed_cidrs(&["10.0.0.0/8"]),
            "staging" => LoadBalancer::application(&name, Listener::http(80))
                .internal()
                .test_listener(Listener::http(8080))
                .allowed_cidrs(&["10.0.0.0/8"]),
            _ => LoadBalancer::application(&name, Listener::https(443, CERTIFICATE))
                .test_listener(Listener::https(8443, CERTIFICATE))
                .test_listener_cidrs(&["10.0.0.0/8"])
                .deletion_protection(true),
        };
        let load_balancer = stack.add_load_balancer(load_balancer);
        let app = Container::new(
            &name,
            &format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/{name}:{image_tag}"),
        )
        .port(APP_PORT)
        .env("PORT", &APP_PORT.to_string())
        .env("APP_ENV", environment)
        .secret(
            "DATABASE_URL",
            &format!(
                "arn:aws:ssm:eu-west-1:123456789012:parameter/{name}/{environment}/database-url"
            ),
        )
        .health_check(ContainerHealthCheck::shell(&format!(
            "wget -q -O /dev/null http://localhost:{APP_PORT}/healthz || exit 1"
        )))
        .ulimit("nofile", 65536, 65536);
        let traffic = Traffic::listeners(
            load_balancer,
            app.target(APP_PORT),
            TargetHealthCheck::http("/healthz"),
        );
        stack.add_service(
            Service::new(&name, task_size)
                .container(app)
                .blue_green(
                    BlueGreen::new(traffic)
                        .config(config.clone())
                        .termination_wait_minutes(wait),
                )
                .scaling(
                    StepScaling::cpu(min, max)
                        .scale_out_above(70.0)
                        .scale_in_below(30.0),
                )
                .desired_count(min)
                .log_retention_days(retention),
        );
    }
    stack
}

// ---------------------------------------------------------------------------------------------
// Child: one measurement per process.

/// Builds, validates, lowers and writes the three environments; prints one `RESULT` line.
fn child(services: usize, out: &Path) {
    let start = Instant::now();
    // The same parallel runner as `ecsynth synth`: one thread per environment.
    let main_thread = std::thread::current().id();
    let per_stack: Vec<StackTimes> = each_in_parallel(&ENVIRONMENTS, |environment| {
        let cpu_at_start = thread_cpu_ns();
        let phase = Instant::now();
        let stack = stack(environment, services);
        let build = phase.elapsed();
        let phase = Instant::now();
        let (synthesized, diagnostics) = synthesize(&stack);
        let lower = phase.elapsed();
        let errors: Vec<String> = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(ToString::to_string)
            .collect();
        let synthesized = synthesized.unwrap_or_else(|| panic!("invalid stack: {errors:?}"));
        let resources = synthesized.document.resource_count();
        let phase = Instant::now();
        let paths = synthesized
            .write_to(out)
            .unwrap_or_else(|error| panic!("{error}"));
        let write = phase.elapsed();
        let bytes: u64 = paths
            .iter()
            .map(|path| fs::metadata(path).expect("written file").len())
            .sum();
        drop(synthesized);
        StackTimes {
            resources,
            bytes,
            build,
            lower,
            write,
            cpu_ns: thread_cpu_ns() - cpu_at_start,
            on_main_thread: std::thread::current().id() == main_thread,
        }
    })
    .into_iter()
    .map(|stack| stack.unwrap_or_else(|panic| panic!("a stack panicked: {panic}")))
    .collect();
    let elapsed = start.elapsed();
    let total =
        |field: fn(&StackTimes) -> Duration| -> Duration { per_stack.iter().map(field).sum() };
    let resources: usize = per_stack.iter().map(|stack| stack.resources).sum();
    let bytes: u64 = per_stack.iter().map(|stack| stack.bytes).sum();
    // Threads that ran a stack have ended; their CPU time was read as each finished. A stack
    // run on the main thread is in the main thread's own time already.
    let cpu_ns = thread_cpu_ns()
        + per_stack
            .iter()
            .filter(|stack| !stack.on_main_thread)
            .map(|stack| stack.cpu_ns)
            .sum::<u64>();
    println!(
        "RESULT resources={resources} bytes={bytes} synth_ns={} build_ns={} lower_ns={} \
         write_ns={} hwm_kb={} cpu_ns={cpu_ns}",
        elapsed.as_nanos(),
        total(|stack| stack.build).as_nanos(),
        total(|stack| stack.lower).as_nanos(),
        total(|stack| stack.write).as_nanos(),
        peak_rss_kb(),
    );
}

/// One environment's share of a child's work.
struct StackTimes {
    resources: usize,
    bytes: u64,
    build: Duration,
    lower: Duration,
    write: Duration,
    /// CPU time the thread that synthesized it spent on it.
    cpu_ns: u64,
    on_main_thread: bool,
}

/// Time the calling thread has spent on a CPU, in ns (`/proc/thread-self/schedstat`): unlike
/// wall time it does not grow while the thread waits for a CPU on a busy machine. A child's
/// CPU time is its main thread's plus that of each thread that ran a stack.
///
/// The kernel adds a running thread's time to that counter only at scheduler events (a tick,
/// a switch), so a thread that ran a short stack without being interrupted could read the same
/// value before and after it. Yielding first is such an event (CFS accounts the running time
/// when a thread yields).
fn thread_cpu_ns() -> u64 {
    std::thread::yield_now();
    fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .expect("/proc/thread-self/schedstat (Linux)")
}

/// `VmHWM` of this process in KiB: the peak resident set size.
fn peak_rss_kb() -> u64 {
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

// ---------------------------------------------------------------------------------------------
// Parent: sizes.

struct Sample {
    resources: usize,
    bytes: u64,
    synth: Duration,
    /// Building the model, validating + lowering, writing the file (summed over the stacks).
    phases: [Duration; 3],
    process: Duration,
    hwm_kb: u64,
    cpu: Duration,
}

/// Runs this executable as `<mode> <argument> <scratch/out>` in a fresh process, output
/// directory removed before and after; returns its time from spawn to exit and the text after
/// `RESULT ` on its stdout.
fn run_self(mode: &str, argument: String, out: &Path) -> (Duration, String) {
    let _ = fs::remove_dir_all(out);
    let exe = std::env::current_exe().expect("own executable");
    let start = Instant::now();
    let output = Command::new(exe)
        .arg(mode)
        .arg(&argument)
        .arg(out)
        .stdin(Stdio::null())
        .output()
        .expect("spawn child");
    let process = start.elapsed();
    let _ = fs::remove_dir_all(out);
    assert!(
        output.status.success(),
        "`{mode} {argument}` failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let result = String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("`{mode} {argument}` printed no RESULT line"))
        .to_owned();
    (process, result)
}

/// The number after `name=` in a RESULT line.
fn result_field(line: &str, name: &str) -> u128 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("`{name}` in `{line}`"))
}

fn run_child(services: usize, scratch: &Path) -> Sample {
    let out = scratch.join(format!("out-{services}"));
    let (process, line) = run_self("--child", services.to_string(), &out);
    let field = |name: &str| result_field(&line, name);
    Sample {
        resources: field("resources") as usize,
        bytes: field("bytes") as u64,
        synth: Duration::from_nanos(field("synth_ns") as u64),
        phases: ["build_ns", "lower_ns", "write_ns"].map(|f| Duration::from_nanos(field(f) as u64)),
        process,
        hwm_kb: field("hwm_kb") as u64,
        cpu: Duration::from_nanos(field("cpu_ns") as u64),
    }
}

/// One run of the floor (`floor.rs`) writing about `bytes` in all: its time from spawn to exit
/// and the bytes it wrote.
fn run_floor(bytes: u64, scratch: &Path) -> (Duration, u64) {
    let (process, line) = run_self(
        "--floor-child",
        (bytes / 3).to_string(),
        &scratch.join("floor"),
    );
    (process, result_field(&line, "bytes") as u64)
}

fn median<T: Ord + Copy>(values: &mut [T]) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

struct Summary {
    services: usize,
    resources: usize,
    bytes: u64,
    synth_median: Duration,
    synth_min: Duration,
    process_median: Duration,
    process_min: Duration,
    hwm_median_kb: u64,
    phases_median: [Duration; 3],
    cpu_min: Duration,
    /// The floor's median, scaled to the synth's output bytes.
    floor_median: Duration,
}

impl Summary {
    fn vs_floor(&self) -> f64 {
        self.process_median.as_secs_f64() / self.floor_median.as_secs_f64()
    }
}

/// Measures every size; returns one `true` per target met.
fn measure_sizes() -> Vec<bool> {
    let reps: usize = std::env::var("ECSYNTH_BENCH_REPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(15);
    let scratch = std::env::temp_dir().join(format!("ecsynth-bench-{}", std::process::id()));
    fs::create_dir_all(&scratch).expect("scratch directory");
    say!(
        "ecsynth synth benchmark: 3 environments × N services, one LB per service; \
         {reps} runs per size, each in a fresh process (after 1 warm-up run)\n"
    );
    say!(
        "| services | resources | output bytes | synth median (min) | process median (min) | peak RSS \
         | floor | × floor |"
    );
    say!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut summaries = Vec::new();
    for services in SIZES {
        // Warm-up: page cache, binary, directories; and the bytes the floor must write.
        let bytes = run_child(services, &scratch).bytes;
        run_floor(bytes, &scratch);
        // Synth and floor alternate, so that both see the machine as it is during the size.
        let (samples, floor): (Vec<Sample>, Vec<(Duration, u64)>) = (0..reps)
            .map(|_| (run_child(services, &scratch), run_floor(bytes, &scratch)))
            .unzip();
        let floor_bytes = floor[0].1;
        let mut floor: Vec<Duration> = floor.iter().map(|(time, _)| *time).collect();
        let first = &samples[0];
        assert!(
            samples
                .iter()
                .all(|s| s.resources == first.resources && s.bytes == first.bytes),
            "output must be deterministic"
        );
        let mut synth: Vec<Duration> = samples.iter().map(|s| s.synth).collect();
        let mut process: Vec<Duration> = samples.iter().map(|s| s.process).collect();
        let mut hwm: Vec<u64> = samples.iter().map(|s| s.hwm_kb).collect();
        let summary = Summary {
            services: 3 * services,
            resources: first.resources,
            bytes: first.bytes,
            synth_median: median(&mut synth),
            synth_min: synth[0],
            process_median: median(&mut process),
            process_min: process[0],
            hwm_median_kb: median(&mut hwm),
            cpu_min: samples.iter().map(|s| s.cpu).min().expect("samples"),
            phases_median: [0, 1, 2].map(|phase| {
                median(&mut samples.iter().map(|s| s.phases[phase]).collect::<Vec<_>>())
            }),
            floor_median: median(&mut floor).mul_f64(first.bytes as f64 / floor_bytes as f64),
        };
        if JSON.load(Ordering::Relaxed) {
            println!(
                "{{\"services\":{},\"median_ms\":{:.3},\"min_ms\":{:.3},\"peak_rss_mb\":{:.2},\
                 \"bytes\":{},\"resources\":{},\"cpu_min_ms\":{:.3},\"floor_ms\":{:.3},\
                 \"vs_floor\":{:.2}}}",
                summary.services,
                summary.process_median.as_secs_f64() * 1000.0,
                summary.process_min.as_secs_f64() * 1000.0,
                summary.hwm_median_kb as f64 / 1024.0,
                summary.bytes,
                summary.resources,
                summary.cpu_min.as_secs_f64() * 1000.0,
                summary.floor_median.as_secs_f64() * 1000.0,
                summary.vs_floor(),
            );
        }
        say!(
            "| 3 × {services} | {} | {} | {} ({}) | {} ({}) | {:.1} MB | {} | {:.2} |",
            summary.resources,
            summary.bytes,
            ms(summary.synth_median),
            ms(summary.synth_min),
            ms(summary.process_median),
            ms(summary.process_min),
            summary.hwm_median_kb as f64 / 1024.0,
            ms(summary.floor_median),
            summary.vs_floor(),
        );
        std::io::stdout().flush().ok();
        summaries.push(summary);
    }
    let _ = fs::remove_dir_all(&scratch);

    say!(
        "\nwhere the in-process time goes (median; summed over the three stacks, which run on \
         threads of their own, so the sum can exceed the wall time):\n"
    );
    say!("| services | build model | validate + lower | write file |");
    say!("|---:|---:|---:|---:|");
    for summary in &summaries {
        let [build, lower, write] = summary.phases_median;
        say!(
            "| 3 × {} | {} | {} | {} |",
            summary.services / 3,
            ms(build),
            ms(lower),
            ms(write)
        );
    }

    let small = &summaries[2];
    let large = &summaries[3];
    let added = (large.services - small.services) as f64;
    let per_service = |a: f64, b: f64| (b - a) / added;
    say!(
        "\nslope 3×100 → 3×1000 (per service added): {:.1} µs process, {:.1} µs synth, \
         {:.1} KB peak RSS, {:.0} output bytes, {:.1} resources",
        per_service(micros(small.process_median), micros(large.process_median)),
        per_service(micros(small.synth_median), micros(large.synth_median)),
        per_service(small.hwm_median_kb as f64, large.hwm_median_kb as f64),
        per_service(small.bytes as f64, large.bytes as f64),
        per_service(small.resources as f64, large.resources as f64),
    );
    // Linear: the cost per service from 100 → 1000 is close to the average cost per service
    // at 1000 once the fixed start-up cost (measured at 3 × 1) is taken out.
    let fixed = micros(summaries[0].process_median);
    let average = (micros(large.process_median) - fixed) / large.services as f64;
    say!(
        "average cost per service at 3×1000 above the 3×1 start-up ({}): {average:.1} µs",
        ms(summaries[0].process_median)
    );

    // Super-linearity: CPU time per service above the 3 × 1 start-up, fastest run of each size.
    // CPU time (not wall time) because other work on the machine delays a process without
    // making it use more CPU; the fastest run because noise only ever adds.
    let start_up = micros(summaries[0].cpu_min);
    let per_service =
        |summary: &Summary| (micros(summary.cpu_min) - start_up) / summary.services as f64;
    say!(
        "\nCPU time per service above the 3×1 start-up (fastest run): {}",
        summaries[1..]
            .iter()
            .map(|s| format!("3×{} {:.1} µs", s.services / 3, per_service(s)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let ratio = per_service(large) / per_service(small);

    say!("\ntargets (whole process, median):");
    vec![
        target(
            "linear cost per service",
            ratio <= MAX_SLOPE_RATIO,
            format!("3×1000 costs {ratio:.2}× per service what 3×100 does (≤ {MAX_SLOPE_RATIO})"),
        ),
        target(
            "3 × 100 time",
            small.process_median <= TARGET_300_TIME,
            format!("{} ≤ {}", ms(small.process_median), ms(TARGET_300_TIME)),
        ),
        target(
            "3 × 100 peak RSS",
            small.hwm_median_kb <= TARGET_300_RSS_KB,
            format!(
                "{:.1} MB ≤ {} MB",
                small.hwm_median_kb as f64 / 1024.0,
                TARGET_300_RSS_KB / 1024
            ),
        ),
        target(
            "3 × 1000 time",
            large.process_median <= TARGET_3000_TIME,
            format!("{} ≤ {}", ms(large.process_median), ms(TARGET_3000_TIME)),
        ),
        target(
            "within 2× of the serialisation floor",
            small.vs_floor() <= MAX_VS_FLOOR && large.vs_floor() <= MAX_VS_FLOOR,
            format!(
                "3 × 100 {:.2}×, 3 × 1000 {:.2}× the floor's time for the same bytes \
                 (≤ {MAX_VS_FLOOR})",
                small.vs_floor(),
                large.vs_floor()
            ),
        ),
    ]
}

fn target(name: &str, ok: bool, detail: String) -> bool {
    say!("  {} {name}: {detail}", if ok { "ok  " } else { "MISS" });
    ok
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

// ---------------------------------------------------------------------------------------------
// Parent: the edit-and-synth loop.

const STACK_FILE: &str = "stacks/web.rs";
/// Start of the comment the loop appends; a leftover one (the process was killed) is removed.
const EDIT_MARKER: &str = "\n// ecsynth-bench edit-loop ";

/// Restores `stacks/web.rs` to its original bytes when dropped, unless someone else changed
/// the file in the meantime.
struct EditGuard {
    path: PathBuf,
    original: Vec<u8>,
    edited: Vec<u8>,
}

impl EditGuard {
    fn apply(path: &Path, original: &[u8], n: usize) -> EditGuard {
        let mut edited = original.to_vec();
        edited.extend_from_slice(format!("{}{n}\n", EDIT_MARKER.trim_start()).as_bytes());
        let guard = EditGuard {
            path: path.to_owned(),
            original: original.to_vec(),
            edited,
        };
        fs::write(path, &guard.edited).expect("edit stacks/web.rs");
        guard
    }
}

impl Drop for EditGuard {
    fn drop(&mut self) {
        match fs::read(&self.path) {
            Ok(current) if current == self.edited => {
                if let Err(error) = fs::write(&self.path, &self.original) {
                    eprintln!("error: could not restore {}: {error}", self.path.display());
                }
            }
            Ok(current) if current == self.original => {}
            _ => eprintln!(
                "warning: {} was changed by someone else during the measurement; left as is",
                self.path.display()
            ),
        }
    }
}

/// The file's bytes without a marker comment left by a killed run.
fn without_leftover_marker(bytes: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(bytes).expect("UTF-8 source");
    match text.find(EDIT_MARKER) {
        Some(at) if !text[at + 1..].trim_end().contains('\n') => text[..at + 1].to_owned(),
        _ => text,
    }
    .into_bytes()
}

struct LoopRun {
    elapsed: Duration,
    /// `(target kind, name, fresh)` of each unit cargo reported.
    units: Vec<(String, String, bool)>,
    waited_for_lock: bool,
}

fn cargo_run_synth(manifest_dir: &Path, out: &Path) -> LoopRun {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let start = Instant::now();
    let output = Command::new(cargo)
        .current_dir(manifest_dir)
        .args(["run", "-q", "--message-format=json", "--", "synth", "prod"])
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .output()
        .expect("spawn cargo");
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "cargo run -- synth prod failed: {}\n{stderr}",
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut units = Vec::new();
    for line in stdout.lines().filter(|line| line.starts_with('{')) {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let kind = message["target"]["kind"][0]
            .as_str()
            .unwrap_or("?")
            .to_owned();
        let name = message["target"]["name"].as_str().unwrap_or("?").to_owned();
        units.push((kind, name, message["fresh"] == true));
    }
    assert!(
        out.join("prod").join("main.tf.json").is_file(),
        "cargo run -- synth prod wrote no file"
    );
    LoopRun {
        elapsed,
        units,
        waited_for_lock: stderr.contains("Blocking waiting for file lock"),
    }
}

fn edit_loop() {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = manifest_dir.join(STACK_FILE);
    let read = fs::read(&path).expect("read stacks/web.rs");
    let original = without_leftover_marker(read.clone());
    if original != read {
        fs::write(&path, &original).expect("remove a leftover edit-loop comment");
        say!("removed a leftover edit-loop comment from {STACK_FILE}");
    }
    let out = std::env::temp_dir().join(format!("ecsynth-bench-edit-{}", std::process::id()));
    let reps = 5;
    say!(
        "\nedit-and-synth loop (debug profile): append a comment to {STACK_FILE}, \
         `cargo run -q -- synth prod --out <tmp>`, restore; {reps} runs after a warm-up"
    );
    // Warm-up: builds whatever is stale (the library, if someone changed src/) so that the
    // measured runs see only the stack edit.
    {
        let _edit = EditGuard::apply(&path, &original, 0);
        cargo_run_synth(manifest_dir, &out);
    }
    let mut times = Vec::new();
    let mut library_rebuilt = 0;
    let mut library_fresh = 0;
    let mut binary_fresh = 0;
    let mut lock_waits = 0;
    for n in 1..=reps {
        let run = {
            let _edit = EditGuard::apply(&path, &original, n);
            cargo_run_synth(manifest_dir, &out)
        };
        let rebuilt: Vec<String> = run
            .units
            .iter()
            .filter(|(_, _, fresh)| !fresh)
            .map(|(kind, name, _)| format!("{name} ({kind})"))
            .collect();
        if run
            .units
            .iter()
            .any(|(kind, name, fresh)| kind == "lib" && name == "ecsynth" && !fresh)
        {
            library_rebuilt += 1;
        }
        if run
            .units
            .iter()
            .any(|(kind, name, fresh)| kind == "lib" && name == "ecsynth" && *fresh)
        {
            library_fresh += 1;
        }
        if run
            .units
            .iter()
            .any(|(kind, name, fresh)| kind == "bin" && name == "ecsynth" && *fresh)
        {
            binary_fresh += 1;
        }
        if run.waited_for_lock {
            lock_waits += 1;
        }
        say!(
            "  run {n}: {} — rebuilt: {}{}",
            ms(run.elapsed),
            if rebuilt.is_empty() {
                "nothing".to_owned()
            } else {
                rebuilt.join(", ")
            },
            if run.waited_for_lock {
                " (waited for another cargo's lock)"
            } else {
                ""
            }
        );
        times.push(run.elapsed);
    }
    let _ = fs::remove_dir_all(&out);
    let min = *times.iter().min().expect("runs");
    let median = median(&mut times);
    say!(
        "edit-and-synth loop: median {} (min {}); library reported fresh in {library_fresh} \
         and rebuilt in {library_rebuilt} of {reps} runs, binary left fresh in {binary_fresh}{}",
        ms(median),
        ms(min),
        if lock_waits > 0 {
            format!("; {lock_waits} run(s) waited for another cargo")
        } else {
            String::new()
        }
    );
    let ok = median <= TARGET_EDIT_LOOP
        && library_fresh == reps
        && library_rebuilt == 0
        && binary_fresh == 0;
    target(
        "edit-and-synth loop",
        ok,
        format!(
            "{} ≤ {}, only the stacks crate and the binary rebuilt",
            ms(median),
            ms(TARGET_EDIT_LOOP)
        ),
    );
    if !ok {
        std::process::exit(1);
    }
}
