//! The parent's size measurements: each size in fresh child processes, alternating with the
//! serialisation floor, summarised into the report's tables and checked against the targets.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::{median, micros, ms, target, JSON};

/// Cost per service at 3 × 1000 may be at most this multiple of the cost per service at
/// 3 × 100 (CPU time above the 3 × 1 start-up, fastest run of each size), else the bench fails:
/// a super-linear step shows up as a ratio well above 1.
const MAX_SLOPE_RATIO: f64 = 1.5;

/// Services per environment.
const SIZES: [usize; 4] = [1, 10, 100, 1000];

/// Whole-process synth time may be at most this multiple of the floor's (`floor.rs`) for the
/// same output bytes, measured in the same run: the goal, independent of how fast the
/// machine is that day.
const MAX_VS_FLOOR: f64 = 2.0;

/// Targets from issue 5, for 3 environments × `services`, whole child process.
const TARGET_300_TIME: Duration = Duration::from_millis(15);
const TARGET_300_RSS_KB: u64 = 20 * 1024;
const TARGET_3000_TIME: Duration = Duration::from_millis(150);

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
pub(crate) fn measure_sizes() -> Vec<bool> {
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
        let summary = measure(services, reps, &scratch);
        report_row(&summary);
        std::io::stdout().flush().ok();
        summaries.push(summary);
    }
    let _ = fs::remove_dir_all(&scratch);
    report_phases(&summaries);
    targets(&summaries)
}

/// One size: a warm-up, then `reps` synth runs alternating with the floor's, summarised.
fn measure(services: usize, reps: usize, scratch: &Path) -> Summary {
    // Warm-up: page cache, binary, directories; and the bytes the floor must write.
    let bytes = run_child(services, scratch).bytes;
    run_floor(bytes, scratch);
    // Synth and floor alternate, so that both see the machine as it is during the size.
    let (samples, floor): (Vec<Sample>, Vec<(Duration, u64)>) = (0..reps)
        .map(|_| (run_child(services, scratch), run_floor(bytes, scratch)))
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
    Summary {
        services: 3 * services,
        resources: first.resources,
        bytes: first.bytes,
        synth_median: median(&mut synth),
        synth_min: synth[0],
        process_median: median(&mut process),
        process_min: process[0],
        hwm_median_kb: median(&mut hwm),
        cpu_min: samples.iter().map(|s| s.cpu).min().expect("samples"),
        phases_median: [0, 1, 2]
            .map(|phase| median(&mut samples.iter().map(|s| s.phases[phase]).collect::<Vec<_>>())),
        floor_median: median(&mut floor).mul_f64(first.bytes as f64 / floor_bytes as f64),
    }
}

/// The size's row of the main table (and its JSON object under `--json`).
fn report_row(summary: &Summary) {
    let services = summary.services / 3;
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
}

/// Where the in-process time goes, per size.
fn report_phases(summaries: &[Summary]) {
    say!(
        "\nwhere the in-process time goes (median; summed over the three stacks, which run on \
         threads of their own, so the sum can exceed the wall time):\n"
    );
    say!("| services | build model | validate + lower | write file |");
    say!("|---:|---:|---:|---:|");
    for summary in summaries {
        let [build, lower, write] = summary.phases_median;
        say!(
            "| 3 × {} | {} | {} | {} |",
            summary.services / 3,
            ms(build),
            ms(lower),
            ms(write)
        );
    }
}

/// The slope and the targets of the sizes; returns one `true` per target met.
fn targets(summaries: &[Summary]) -> Vec<bool> {
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
