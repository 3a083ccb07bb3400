//! The ecsynth binary: the library's CLI over the stacks in `stacks/`.
//!
//! The stacks are compiled into the binary, not the library, so editing a stack rebuilds only
//! this small crate.

#[path = "../stacks/mod.rs"]
mod stacks;

fn main() -> std::process::ExitCode {
    ecsynth::cli::main(&stacks::registry())
}
