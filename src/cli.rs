//! The command line: the only module that knows clap.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::model::Severity;
use crate::registry::Registry;
use crate::synth::synthesize;

#[derive(Parser, Debug)]
#[command(
    name = "ecsynth",
    version,
    about = "Synthesize blue/green ECS stacks defined in Rust into Terraform JSON",
    after_help = "Examples:\n  \
        cargo run -- list\n  \
        cargo run -- synth prod               # writes out/prod/main.tf.json\n  \
        cargo run -- synth dev staging --out build\n  \
        cargo run -- synth --all\n\n\
        Exit codes: 0 success, 1 I/O or internal error, 2 invalid stack or usage."
)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write <out>/<stack>/main.tf.json for each named stack
    Synth {
        /// Stacks to synthesize, by registered name
        stacks: Vec<String>,
        /// Synthesize every registered stack
        #[arg(long, conflicts_with = "stacks")]
        all: bool,
        /// Output directory; each stack gets a directory of its own
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// List the registered stacks
    List,
}

/// Exit codes, as documented in `--help`.
const EXIT_INVALID: u8 = 2;
const EXIT_FAILED: u8 = 1;

/// Parses the process arguments and runs the command against `registry`.
pub fn main(registry: &Registry) -> ExitCode {
    let args = Args::parse();
    run(registry, args)
}

pub fn run(registry: &Registry, args: Args) -> ExitCode {
    match args.command {
        Command::List => {
            let mut stdout = std::io::stdout().lock();
            for name in registry.names() {
                let _ = writeln!(stdout, "{name}");
            }
            ExitCode::SUCCESS
        }
        Command::Synth { stacks, all, out } => synth(registry, &stacks, all, &out),
    }
}

fn synth(registry: &Registry, requested: &[String], all: bool, out: &std::path::Path) -> ExitCode {
    let duplicates = registry.duplicate_names();
    if !duplicates.is_empty() {
        for name in duplicates {
            eprintln!(
                "error: stack `{name}` is registered more than once; stack names must be unique"
            );
        }
        return ExitCode::from(EXIT_INVALID);
    }
    let known: Vec<&str> = registry.names().collect();
    let names: Vec<&str> = if all {
        known.clone()
    } else {
        requested.iter().map(String::as_str).collect()
    };
    if names.is_empty() {
        eprintln!(
            "error: name the stacks to synthesize, or pass --all; known stacks: {}",
            known.join(", ")
        );
        return ExitCode::from(EXIT_INVALID);
    }
    let unknown: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| registry.get(name).is_none())
        .collect();
    if !unknown.is_empty() {
        for name in unknown {
            eprintln!(
                "error: unknown stack `{name}`; known stacks: {}",
                known.join(", ")
            );
        }
        return ExitCode::from(EXIT_INVALID);
    }

    let mut invalid = false;
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for name in names {
        let Some(build) = registry.get(name) else {
            continue;
        };
        let stack = build();
        if stack.name != name {
            eprintln!(
                "error: stack registered as `{name}` calls itself `{}`; the names must match",
                stack.name
            );
            invalid = true;
            continue;
        }
        let (synthesized, diagnostics) = synthesize(&stack);
        for diagnostic in &diagnostics {
            eprintln!("{diagnostic}");
        }
        if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            invalid = true;
        }
        let Some(synthesized) = synthesized else {
            continue;
        };
        match synthesized.write_to(out) {
            Ok(path) => {
                let _ = writeln!(stdout, "{}", path.display());
            }
            Err(error) => {
                eprintln!("error: {error}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(EXIT_FAILED)
    } else if invalid {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    }
}
