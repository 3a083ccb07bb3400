//! The ecsynth binary: the library's CLI over the stacks in `stacks/`.
//!
//! The stacks are a crate of their own (`ecsynth-stacks`) on top of the library, so editing a
//! stack rebuilds only that small crate and relinks this binary.

/// mimalloc instead of the system allocator: synth allocates many small blocks (expressions,
/// labels, resource structs) and frees them all at exit; see BENCHMARKS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let mut registry = stacks::registry();
    registry.with_locks(stacks::LOCKS);
    ecsynth::cli::main(&registry)
}
