//! The command line: the only module that knows clap.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::drift::drift;
use crate::graph;
use crate::model::validate::duplicate_stack_names;
use crate::model::{Diagnostic, ProviderMajor, Severity, Stack};
use crate::registry::Registry;
use crate::review::Json;
use crate::synth::{
    each_in_parallel, synthesize, write_atomically, IoAction, SynthError, Synthesized,
};

#[derive(Parser, Debug)]
#[command(
    name = "ecsynth",
    version,
    about = "Synthesize blue/green ECS stacks defined in Rust into Terraform JSON",
    after_help = "Examples:\n  \
        cargo run -- list\n  \
        cargo run -- synth prod               # writes out/prod/main.tf.json\n  \
        cargo run -- synth dev staging --out build\n  \
        cargo run -- synth --all\n  \
        cargo run -- synth --all --deny-warnings   # warnings fail the run too\n  \
        cargo run -- synth --all --check           # CI: is the committed out/ up to date?\n  \
        cargo run -- synth prod --aws-provider 5   # for hashicorp/aws 5.x instead of the stack's major\n  \
        cargo run -- graph prod                    # Mermaid flowchart of the stack\n  \
        cargo run -- try dev                       # plan and apply on a local AWS emulator\n  \
        cargo run -- graph shop --service orders --format svg > orders.svg\n  \
        ecsynth deploy prod web --image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:v42\n  \
        ecsynth status prod\n\n\
        Exit codes: 0 success, 1 I/O or internal error or (with --check) stale output, or a\n\
        deployment that failed, stopped or rolled back, 2 invalid stack or usage, or a deploy\n\
        precondition that failed before anything changed."
)]
struct Args {
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
        /// Write nothing; compare what would be written with the files under --out and exit 1
        /// when they differ
        #[arg(long)]
        check: bool,
        /// Treat warnings as errors: a stack with warnings is not written and the exit code is 2
        #[arg(long)]
        deny_warnings: bool,
        #[command(flatten)]
        provider: ProviderArgs,
    },
    /// List the registered stacks
    List,
    /// Ship an image to one service of an applied stack and wait until it serves all traffic
    /// (CodeDeploy blue/green, or an ECS rolling update); needs the `deploy` feature
    Deploy {
        /// The stack, by registered name
        stack: String,
        /// The service, by its name in the stack
        service: String,
        /// The image: `registry/repository:tag` or `registry/repository@sha256:…`; an ECR tag
        /// is looked up and registered by digest
        #[arg(long)]
        image: String,
        /// The container whose image is replaced, when the task has several (default: the one
        /// behind the load balancer)
        #[arg(long)]
        container: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Per service: live revision, image, task counts, last deployment, and whether the live
    /// task definition is what the model would register now; needs the `deploy` feature
    Status {
        /// The stack, by registered name
        stack: String,
        /// One service; all of the stack's when left out
        service: Option<String>,
    },
    /// Stop an in-flight blue/green deployment with rollback, or redeploy the image of the
    /// previous revision `ecsynth deploy` registered; needs the `deploy` feature
    Rollback {
        /// The stack, by registered name
        stack: String,
        /// The service, by its name in the stack
        service: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Try a stack with no AWS account: synth, then a real `terraform plan` and `apply` on the
    /// local AWS emulator (started and stopped for you), list what was created, destroy it
    Try {
        /// The stack, by registered name
        stack: String,
    },
    /// Print a flowchart of what a stack creates and how traffic and control flow
    Graph {
        /// The stack, by registered name
        stack: String,
        /// `mermaid` renders in pull requests as is; `dot` is for Graphviz; `svg` is a picture
        /// laid out by ecsynth itself (no browser, no Graphviz)
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// Only this service (by its name in the stack) and the shared resources it uses
        #[arg(long, value_name = "NAME")]
        service: Option<String>,
        #[command(flatten)]
        provider: ProviderArgs,
    },
}

#[derive(clap::Args, Debug)]
struct ProviderArgs {
    /// Write for this hashicorp/aws major (5 or 6) instead of the one each stack chooses
    /// (default: 6); a stack that needs a newer major refuses with its reason
    #[arg(long, value_name = "MAJOR", value_parser = parse_major)]
    aws_provider: Option<ProviderMajor>,
}

/// `--aws-provider`: the error names the value and the majors allowed.
fn parse_major(text: &str) -> Result<ProviderMajor, String> {
    text.parse()
}

#[derive(clap::Args, Debug)]
struct WaitArgs {
    /// Seconds to wait for the new version to serve all traffic (default: the traffic-shifting
    /// time of the deployment config plus 15 minutes); a blue/green deployment still running
    /// then is stopped with rollback
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Return once the deployment has started, printing its id
    #[arg(long)]
    no_wait: bool,
    /// Seconds between two looks at the deployment
    #[arg(long, default_value_t = 10, hide = true)]
    poll_seconds: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GraphFormat {
    Mermaid,
    Dot,
    Svg,
}

/// Exit codes, as documented in `--help`.
const EXIT_OK: u8 = 0;
const EXIT_FAILED: u8 = 1;
const EXIT_INVALID: u8 = 2;

/// Runs the process's command line against `registry` on the process's own streams.
/// `error:` and `warning:` are coloured when stderr is a terminal, unless `NO_COLOR` is set
/// (`CLICOLOR_FORCE` forces colour).
pub fn main(registry: &Registry) -> ExitCode {
    let stderr = std::io::stderr();
    let color = anstream::AutoStream::choice(&stderr) != anstream::ColorChoice::Never;
    let code = run_styled(
        registry,
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut stderr.lock(),
        color,
    );
    ExitCode::from(code)
}

/// Runs one command line: paths written go to `stdout`, diagnostics to `stderr`, without
/// colour. Returns the exit code.
pub fn run(
    registry: &Registry,
    command_line: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    run_styled(registry, command_line, stdout, stderr, false)
}

/// [`run`], with `error:` and `warning:` on `stderr` in colour when `color` is true.
pub fn run_styled(
    registry: &Registry,
    command_line: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    color: bool,
) -> u8 {
    let args = match Args::try_parse_from(command_line) {
        Ok(args) => args,
        Err(error) => {
            // clap reports --help and --version as "errors" meant for stdout with code 0.
            let rendered = error.render();
            let text = if color && error.use_stderr() {
                rendered.ansi().to_string()
            } else {
                rendered.to_string()
            };
            let _ = if error.use_stderr() {
                stderr.write_all(text.as_bytes())
            } else {
                stdout.write_all(text.as_bytes())
            };
            return u8::try_from(error.exit_code()).unwrap_or(EXIT_INVALID);
        }
    };
    let mut streams = Streams {
        stdout,
        stderr,
        color,
    };
    match args.command {
        Command::List => {
            for name in registry.names() {
                streams.path(name);
            }
            EXIT_OK
        }
        Command::Synth {
            stacks,
            all,
            out,
            check,
            deny_warnings,
            provider,
        } => {
            let request = SynthRequest {
                requested: &stacks,
                all,
                out: &out,
                check,
                deny_warnings,
                aws_provider: provider.aws_provider,
            };
            synth(registry, &request, &mut streams)
        }
        Command::Graph {
            stack,
            format,
            service,
            provider,
        } => {
            let format = match format {
                GraphFormat::Mermaid => graph::Format::Mermaid,
                GraphFormat::Dot => graph::Format::Dot,
                GraphFormat::Svg => graph::Format::Svg,
            };
            graph_command(
                registry,
                &stack,
                provider.aws_provider,
                format,
                service.as_deref(),
                &mut streams,
            )
        }
        Command::Try { stack } => {
            crate::try_it::try_stack(registry, &stack, streams.stdout, streams.stderr)
        }
        command @ (Command::Deploy { .. } | Command::Status { .. } | Command::Rollback { .. }) => {
            deploy_commands(registry, command, &mut streams)
        }
    }
}

/// `deploy`, `status`, `rollback`, when the binary was built with the `deploy` feature.
#[cfg(feature = "deploy")]
fn deploy_commands(registry: &Registry, command: Command, streams: &mut Streams) -> u8 {
    use crate::deploy;
    use std::time::Duration;
    let mut out = deploy::Streams {
        out: &mut *streams.stdout,
        err: &mut *streams.stderr,
    };
    match command {
        Command::Deploy {
            stack,
            service,
            image,
            container,
            wait,
        } => deploy::deploy(
            registry,
            &deploy::DeployArgs {
                stack,
                service,
                image,
                container,
                timeout: wait.timeout.map(Duration::from_secs),
                wait: !wait.no_wait,
                poll: Duration::from_secs(wait.poll_seconds.max(1)),
            },
            &mut out,
        ),
        Command::Status { stack, service } => {
            deploy::status(registry, &stack, service.as_deref(), &mut out)
        }
        Command::Rollback {
            stack,
            service,
            wait,
        } => deploy::rollback(
            registry,
            &deploy::RollbackArgs {
                stack,
                service,
                timeout: wait.timeout.map(Duration::from_secs),
                wait: !wait.no_wait,
                poll: Duration::from_secs(wait.poll_seconds.max(1)),
            },
            &mut out,
        ),
        _ => EXIT_INVALID,
    }
}

/// Without the `deploy` feature the AWS SDK is not compiled in: say how to get it.
#[cfg(not(feature = "deploy"))]
fn deploy_commands(_registry: &Registry, command: Command, streams: &mut Streams) -> u8 {
    let name = match command {
        Command::Deploy { .. } => "deploy",
        Command::Status { .. } => "status",
        _ => "rollback",
    };
    streams.problem(format_args!(
        "error: `ecsynth {name}` is not in this build: it needs the AWS SDK, which only the \
         `deploy` feature compiles in; install with `cargo install --path . --features deploy`, \
         or run `cargo run --features deploy -- {name} …`"
    ));
    EXIT_INVALID
}

struct Streams<'a> {
    stdout: &'a mut dyn Write,
    stderr: &'a mut dyn Write,
    /// Colour the `error:`/`warning:` that starts a problem.
    color: bool,
}

impl Streams<'_> {
    fn path(&mut self, line: impl std::fmt::Display) {
        let _ = writeln!(self.stdout, "{line}");
    }

    fn problem(&mut self, line: impl std::fmt::Display) {
        let line = line.to_string();
        let _ = writeln!(self.stderr, "{}", styled(&line, self.color));
    }
}

/// `line` with its leading `error:` (bold red) or `warning:` (bold yellow) coloured when
/// `color` is true; unchanged otherwise.
fn styled(line: &str, color: bool) -> std::borrow::Cow<'_, str> {
    use anstyle::{AnsiColor, Style};
    if !color {
        return line.into();
    }
    for (prefix, colour) in [("error:", AnsiColor::Red), ("warning:", AnsiColor::Yellow)] {
        if let Some(rest) = line.strip_prefix(prefix) {
            let style = Style::new().bold().fg_color(Some(colour.into()));
            return format!("{style}{prefix}{style:#}{rest}").into();
        }
    }
    line.into()
}

/// The message for a name that is not registered, with the closest registered name when it is
/// a typo away: at most one edit (insert, delete, replace, swap two neighbours) per three
/// characters, at least one. (clap's Jaro measure misses swaps in short names: `edv` for `dev`.)
pub(crate) fn unknown_stack(name: &str, known: &[&str]) -> String {
    let suggestion = did_you_mean(name, known);
    format!(
        "error: unknown stack `{}`; {suggestion}known stacks: {}",
        crate::model::cut(name),
        known.join(", ")
    )
}

/// `did you mean `<closest>`? ` when a known name is a typo away from `name` (see
/// [`unknown_stack`]), else nothing.
fn did_you_mean(name: &str, known: &[&str]) -> String {
    known
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.chars().count() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| format!("did you mean `{candidate}`? "))
        .unwrap_or_default()
}

/// The stack registered as `build`, written for `aws_provider` when the command line names a
/// major.
fn build_for(build: fn() -> Stack, aws_provider: Option<ProviderMajor>) -> Stack {
    let mut stack = build();
    if let Some(major) = aws_provider {
        stack.aws_provider(major);
    }
    stack
}

/// Prints the graph of one stack, or of one of its services; validation problems go to stderr
/// as for `synth`.
fn graph_command(
    registry: &Registry,
    name: &str,
    aws_provider: Option<ProviderMajor>,
    format: graph::Format,
    service: Option<&str>,
    streams: &mut Streams,
) -> u8 {
    let Some(build) = registry.get(name) else {
        let known: Vec<&str> = registry.names().collect();
        streams.problem(unknown_stack(name, &known));
        return EXIT_INVALID;
    };
    let stack = build_for(build, aws_provider);
    let (synthesized, diagnostics) = synthesize(&stack);
    for diagnostic in &diagnostics {
        streams.problem(diagnostic);
    }
    let Some(synthesized) = synthesized else {
        return EXIT_INVALID;
    };
    let document = synthesized
        .render()
        .map_err(|error| error.to_string())
        .and_then(|bytes| {
            Json::parse(&bytes).map_err(|error| {
                format!("stack `{name}`: cannot read back the rendered Terraform JSON: {error}")
            })
        });
    match document {
        Ok(document) => match graph::render_service(&document, format, service) {
            Ok(text) => {
                let _ = streams.stdout.write_all(text.as_bytes());
                EXIT_OK
            }
            Err(unknown) => {
                let known: Vec<&str> = unknown.known.iter().map(String::as_str).collect();
                streams.problem(format_args!(
                    "error: stack `{name}` has no service `{}`; {}its services: {}",
                    crate::model::cut(&unknown.name),
                    did_you_mean(&unknown.name, &known),
                    known.join(", ")
                ));
                EXIT_INVALID
            }
        },
        Err(error) => {
            streams.problem(format_args!("error: {error}"));
            EXIT_FAILED
        }
    }
}

/// What `synth` was asked to do.
struct SynthRequest<'a> {
    requested: &'a [String],
    all: bool,
    out: &'a Path,
    /// Compare with the files under `out` instead of writing them.
    check: bool,
    /// Warnings stop a stack like errors.
    deny_warnings: bool,
    /// `--aws-provider`: the major every stack is written for instead of its own.
    aws_provider: Option<ProviderMajor>,
}

/// What synthesizing one stack printed and how it ended, kept until every stack is done so
/// that the output does not depend on which thread finished first.
#[derive(Default)]
struct StackReport {
    lines: Vec<Line>,
    /// The stack has errors (or denied warnings): nothing was written or checked.
    invalid: bool,
    /// Writing or reading its files failed.
    failed: bool,
    /// `--check` found the committed files out of date.
    stale: bool,
}

enum Line {
    /// A path written or checked, for stdout.
    Path(String),
    /// A diagnostic or error, for stderr.
    Problem(String),
}

impl StackReport {
    fn path(&mut self, line: impl std::fmt::Display) {
        self.lines.push(Line::Path(line.to_string()));
    }

    fn problem(&mut self, line: impl std::fmt::Display) {
        self.lines.push(Line::Problem(line.to_string()));
    }
}

/// Builds, validates and writes (or, under `--check`, compares) the stack registered as `name`.
fn synth_stack(registry: &Registry, request: &SynthRequest, name: &str) -> StackReport {
    let mut report = StackReport::default();
    let Some(build) = registry.get(name) else {
        return report;
    };
    let stack = build_for(build, request.aws_provider);
    if stack.name != name {
        report.problem(Diagnostic::stack_error(
            name,
            "name",
            format!(
                "the stack calls itself `{}`; the registry name and `Stack::name` must match",
                stack.name
            ),
        ));
        report.invalid = true;
        return report;
    }
    let Some(mut synthesized) = synthesize_allowed(&stack, request, &mut report) else {
        return report;
    };
    let lock = match registry.locks() {
        Some(dir) => match reconcile_lock(&stack, &mut synthesized, dir, &mut report) {
            Some(lock) => Some(lock),
            None => return report,
        },
        None => None,
    };
    if request.check {
        check_stack(&stack, &synthesized, lock, request.out, &mut report);
    } else {
        write_stack(&synthesized, lock, request.out, &mut report);
    }
    report
}

/// The synthesized stack with its diagnostics in the report; `None` when an error, or under
/// `--deny-warnings` a warning, stops it.
fn synthesize_allowed(
    stack: &crate::model::Stack,
    request: &SynthRequest,
    report: &mut StackReport,
) -> Option<Synthesized> {
    let name = &stack.name;
    let (synthesized, diagnostics) = synthesize(stack);
    for diagnostic in &diagnostics {
        report.problem(diagnostic);
    }
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        report.invalid = true;
    }
    let synthesized = synthesized?;
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    if request.deny_warnings && warnings > 0 {
        report.problem(format_args!(
            "error: stack `{name}`: {warnings} warning{} denied by `--deny-warnings`; {}",
            if warnings == 1 { "" } else { "s" },
            if request.check {
                "not checked"
            } else {
                "nothing written"
            }
        ));
        report.invalid = true;
        return None;
    }
    Some(synthesized)
}

/// `synth --check`: the lock and the files under `out` must be what a synth would write.
fn check_stack(
    stack: &crate::model::Stack,
    synthesized: &Synthesized,
    lock: Option<(PathBuf, String)>,
    out: &Path,
    report: &mut StackReport,
) {
    let name = &stack.name;
    let major = stack.provider_major;
    if let Some((path, text)) = &lock {
        check_lock(name, path, text, report);
    }
    match drift(synthesized, out) {
        Ok(drifts) if drifts.is_empty() => {
            report.path(format_args!(
                "up to date: stack `{name}` for {major} ({})",
                out.join(name).display()
            ));
        }
        Ok(drifts) => {
            for drift in drifts {
                report.problem(format_args!("error: stack `{name}` for {major}: {drift}"));
            }
            report.stale = true;
        }
        Err(error) => {
            report.problem(format_args!("error: {error}"));
            report.failed = true;
        }
    }
}

/// Writes the stack's files under `out`, then its lock.
fn write_stack(
    synthesized: &Synthesized,
    lock: Option<(PathBuf, String)>,
    out: &Path,
    report: &mut StackReport,
) {
    match synthesized.write_to(out) {
        Ok(paths) => {
            for path in paths {
                report.path(path.display());
            }
        }
        Err(error) => {
            report.problem(format_args!("error: {error}"));
            report.failed = true;
            return;
        }
    }
    if let Some((path, text)) = lock {
        write_lock(&path, &text, report);
    }
}

/// Writes the address lock at `path` when its text changes: a synth that moves nothing leaves
/// the file alone. Written after the stack's output, so a lock never gets ahead of it.
fn write_lock(path: &Path, text: &str, report: &mut StackReport) {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return;
    }
    let written = crate::synth::create_parent(path).and_then(|()| {
        write_atomically(path, |file| {
            std::io::Write::write_all(file, text.as_bytes()).map_err(|error| SynthError::Io {
                action: IoAction::Write,
                path: path.to_owned(),
                error,
            })
        })
    });
    match written {
        Ok(()) => report.path(path.display()),
        Err(error) => {
            report.problem(format_args!("error: {error}"));
            report.failed = true;
        }
    }
}

/// `synth --check`: the lock at `path` must hold `text`.
fn check_lock(name: &str, path: &Path, text: &str, report: &mut StackReport) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        report.problem(format_args!(
            "error: stack `{name}`: the address lock {} is {}; `synth` writes it",
            path.display(),
            if path.exists() { "stale" } else { "missing" }
        ));
        report.stale = true;
    }
}

/// Compares the stack's resources with its address lock in `dir`: notes what moved and what
/// is gone, refuses dropping what holds data, writes the `moved` blocks into the document.
/// The lock's path and the text it must have; `None` when the stack is refused or the lock
/// unreadable (the report says why).
fn reconcile_lock(
    stack: &crate::model::Stack,
    synthesized: &mut Synthesized,
    dir: &Path,
    report: &mut StackReport,
) -> Option<(PathBuf, String)> {
    let path = crate::lock::lock_path(dir, &stack.name);
    let previous = match crate::lock::read(&path) {
        Ok(previous) => previous,
        Err(error) => {
            report.problem(format_args!("error: stack `{}`: {error}", stack.name));
            report.failed = true;
            return None;
        }
    };
    let reconciled = crate::lock::reconcile(
        stack,
        synthesized.document.identified(),
        previous.as_ref(),
        &crate::lock::current_release(),
    );
    for note in reconciled.notes(&stack.name, &path) {
        report.problem(note);
    }
    let refusals = reconciled.refusals(&stack.name);
    if !refusals.is_empty() {
        for refusal in refusals {
            report.problem(refusal);
        }
        report.problem(format_args!(
            "error: stack `{}`: nothing written",
            stack.name
        ));
        report.invalid = true;
        return None;
    }
    reconciled.write_moved(&mut synthesized.document);
    Some((path, reconciled.lock.to_json()))
}

/// The stacks `request` names, each once, in the order named; `None`, after saying why, when
/// none may be synthesized: the registry's names clash, no stack is named, a named stack is
/// unknown, or two of them would create the same AWS name.
fn stacks_to_synth<'a>(
    registry: &'a Registry,
    request: &SynthRequest<'a>,
    streams: &mut Streams,
) -> Option<Vec<&'a str>> {
    let mut duplicates = registry.name_problems();
    duplicates.extend(duplicate_stack_names(registry.names()));
    if !duplicates.is_empty() {
        for diagnostic in duplicates {
            streams.problem(diagnostic);
        }
        return None;
    }
    let known: Vec<&str> = registry.names().collect();
    let mut names: Vec<&str> = if request.all {
        known.clone()
    } else {
        request.requested.iter().map(String::as_str).collect()
    };
    // A stack named twice is synthesized once: two threads writing the same files would race.
    let mut seen = std::collections::HashSet::new();
    names.retain(|name| seen.insert(*name));
    if names.is_empty() {
        streams.problem(format_args!(
            "error: name the stacks to synthesize, or pass --all; known stacks: {}",
            known.join(", ")
        ));
        return None;
    }
    let unknown: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| registry.get(name).is_none())
        .collect();
    if !unknown.is_empty() {
        for name in unknown {
            streams.problem(unknown_stack(name, &known));
        }
        return None;
    }
    // Two stacks creating the same AWS name cannot both be deployed: refuse before writing.
    let collisions = registry.aws_name_collisions(&names);
    if !collisions.is_empty() {
        for diagnostic in collisions {
            streams.problem(diagnostic);
        }
        return None;
    }
    Some(names)
}

fn synth(registry: &Registry, request: &SynthRequest, streams: &mut Streams) -> u8 {
    let Some(names) = stacks_to_synth(registry, request, streams) else {
        return EXIT_INVALID;
    };
    // Stacks are independent: each is built, checked and written on a thread of its own, and
    // what each says is printed afterwards in the order the stacks were named.
    let reports = each_in_parallel(&names, |name| synth_stack(registry, request, name));
    let mut invalid = false;
    let mut failed = false;
    let mut stale: Vec<&str> = Vec::new();
    for (name, report) in names.iter().zip(reports) {
        let report = report.unwrap_or_else(|panic| {
            // The panic message itself went to stderr as it happened, with its location.
            let mut report = StackReport::default();
            report.problem(format_args!(
                "error: stack `{name}`: building or synthesizing it panicked: {panic}"
            ));
            report.failed = true;
            report
        });
        for line in report.lines {
            match line {
                Line::Path(path) => streams.path(path),
                Line::Problem(problem) => streams.problem(problem),
            }
        }
        invalid |= report.invalid;
        failed |= report.failed;
        if report.stale {
            stale.push(name);
        }
    }
    if !stale.is_empty() {
        let provider = request
            .aws_provider
            .map(|major| format!(" --aws-provider {}", major.number()))
            .unwrap_or_default();
        streams.problem(format_args!(
            "error: committed output is stale; run `ecsynth synth {} --out {}{provider}` and \
             commit the result",
            stale.join(" "),
            request.out.display()
        ));
    }
    if failed || !stale.is_empty() {
        EXIT_FAILED
    } else if invalid {
        EXIT_INVALID
    } else {
        EXIT_OK
    }
}
