//! The child process: one measurement of building, validating, lowering and writing the three
//! environments, reported as one `RESULT` line (a fresh process each, so that its peak RSS is
//! its own).

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use ecsynth::model::Severity;
use ecsynth::synth::{each_in_parallel, synthesize};

use crate::stacks::{stack, ENVIRONMENTS};

/// Builds, validates, lowers and writes the three environments; prints one `RESULT` line.
pub(crate) fn child(services: usize, out: &Path) {
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
