//! `ecsynth deploy`, `status` and `rollback`: ship a new image of one service of a stack that
//! `terraform apply` created, through CodeDeploy (blue/green services) or `UpdateService`
//! (rolling services), and follow it until the new version serves all traffic.
//!
//! Layered above [`crate::synth`]: the stack is synthesized in memory, and the task definition
//! and AppSpec come from that document ([`plan`]), with the values only known after apply
//! filled from live AWS by the names the model derives ([`live`]). Compiled only with the
//! `deploy` cargo feature, so `ecsynth synth` never builds the AWS SDK.
//!
//! Exit codes: 0 the new version serves all traffic (or, with `--no-wait`, the deployment
//! started); 1 it failed, was stopped or rolled back, or an AWS call failed after something
//! changed; 2 bad input or a failed precondition, before anything changed.

pub mod image;
mod live;
mod notify;
pub mod plan;
pub mod registry;
mod status;
pub mod taskdef;
pub mod template;
mod wait;

use std::io::Write;
use std::time::Duration;

use crate::registry::Registry;
use crate::synth::synthesize;

pub use status::status;

/// Exit codes, as documented in `--help`.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_INVALID: u8 = 2;

/// Where a command writes: progress and results on `out`, problems on `err`.
pub struct Streams<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
}

impl Streams<'_> {
    fn say(&mut self, line: impl std::fmt::Display) {
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
    }

    fn problem(&mut self, line: impl std::fmt::Display) {
        let _ = writeln!(self.err, "{line}");
        let _ = self.err.flush();
    }
}

/// `ecsynth deploy`'s arguments.
pub struct DeployArgs {
    pub stack: String,
    pub service: String,
    pub image: String,
    pub container: Option<String>,
    /// `None`: from the deployment config's wait times.
    pub timeout: Option<Duration>,
    pub wait: bool,
    pub poll: Duration,
}

/// `ecsynth rollback`'s arguments.
pub struct RollbackArgs {
    pub stack: String,
    pub service: String,
    pub timeout: Option<Duration>,
    pub wait: bool,
    pub poll: Duration,
}

/// How a command ended early: the message, and whether anything had changed.
#[derive(Debug)]
pub(crate) enum Stop {
    /// Bad input or a failed precondition; nothing changed (exit 2).
    Invalid(String),
    /// Something failed after a change (exit 1).
    Failed(String),
}

impl Stop {
    fn code(&self) -> u8 {
        match self {
            Stop::Invalid(_) => EXIT_INVALID,
            Stop::Failed(_) => EXIT_FAILED,
        }
    }

    fn message(&self) -> &str {
        match self {
            Stop::Invalid(message) | Stop::Failed(message) => message,
        }
    }
}

/// The stack `name`, synthesized; its problems printed. `None` when it is unknown or invalid.
pub(crate) fn document(
    registry: &Registry,
    name: &str,
    streams: &mut Streams,
) -> Option<serde_json::Value> {
    let Some(build) = registry.get(name) else {
        let known: Vec<&str> = registry.names().collect();
        streams.problem(crate::cli::unknown_stack(name, &known));
        return None;
    };
    let (synthesized, diagnostics) = synthesize(&build());
    for diagnostic in diagnostics
        .iter()
        .filter(|d| d.severity == crate::model::Severity::Error)
    {
        streams.problem(diagnostic);
    }
    let synthesized = synthesized?;
    let rendered = match synthesized.render() {
        Ok(bytes) => bytes,
        Err(error) => {
            streams.problem(format_args!("error: {error}"));
            return None;
        }
    };
    match serde_json::from_slice(&rendered) {
        Ok(document) => Some(document),
        Err(error) => {
            streams.problem(format_args!(
                "error: stack `{name}`: cannot read back the rendered Terraform JSON: {error}"
            ));
            None
        }
    }
}

/// `error: stack `s` › service `x`: message`.
pub(crate) fn service_error(stack: &str, service: &str, message: &str) -> String {
    format!("error: stack `{stack}` › service `{service}`: {message}")
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("error: cannot start the async runtime: {error}"))
}

/// What `deploy` and `rollback` start from: the stack's document, the service's plan and the
/// async runtime; `Err` is the exit code, its reason printed.
fn prepare(
    registry: &Registry,
    stack: &str,
    service: &str,
    streams: &mut Streams,
) -> Result<
    (
        serde_json::Value,
        plan::ServicePlan,
        tokio::runtime::Runtime,
    ),
    u8,
> {
    let document = document(registry, stack, streams).ok_or(EXIT_INVALID)?;
    let plan = plan::plan(stack, &document, service).map_err(|plan::PlanError(message)| {
        streams.problem(service_error(stack, service, &message));
        EXIT_INVALID
    })?;
    let runtime = runtime().map_err(|message| {
        streams.problem(message);
        EXIT_FAILED
    })?;
    Ok((document, plan, runtime))
}

/// The exit code of a command's outcome, its reason printed.
fn finish(stack: &str, service: &str, outcome: Result<(), Stop>, streams: &mut Streams) -> u8 {
    match outcome {
        Ok(()) => EXIT_OK,
        Err(stop) => {
            streams.problem(service_error(stack, service, stop.message()));
            stop.code()
        }
    }
}

/// `ecsynth deploy STACK SERVICE --image REF`.
pub fn deploy(registry: &Registry, args: &DeployArgs, streams: &mut Streams) -> u8 {
    let (document, plan, runtime) = match prepare(registry, &args.stack, &args.service, streams) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let checked = pick_container(&plan, args.container.as_deref()).and_then(|container| {
        let image = image::ImageRef::parse(&args.image)
            .map_err(|message| format!("`--image`: {message}"))?;
        Ok((container, image))
    });
    let (container, image) = match checked {
        Ok(checked) => checked,
        Err(message) => {
            streams.problem(service_error(&args.stack, &args.service, &message));
            return EXIT_INVALID;
        }
    };
    let outcome = runtime.block_on(async {
        let aws = live::Aws::connect(&document).await;
        let ship = live::Shipment {
            plan: &plan,
            document: &document,
            container: &container,
            image: &image,
        };
        let waiting = Waiting::new(&plan, args.timeout, args.wait, args.poll);
        ship_and_follow(&aws, &ship, &waiting, streams).await
    });
    finish(&args.stack, &args.service, outcome, streams)
}

/// Whether and how long a command follows the deployment it started.
struct Waiting {
    wait: bool,
    timeout: Duration,
    poll: Duration,
}

impl Waiting {
    /// `timeout`, or the plan's default from the deployment config's wait times.
    fn new(
        plan: &plan::ServicePlan,
        timeout: Option<Duration>,
        wait: bool,
        poll: Duration,
    ) -> Waiting {
        Waiting {
            wait,
            timeout: timeout.unwrap_or(Duration::from_secs(plan.default_timeout_seconds())),
            poll,
        }
    }

    async fn follow(
        &self,
        aws: &live::Aws,
        plan: &plan::ServicePlan,
        started: &live::Started,
        streams: &mut Streams<'_>,
    ) -> Result<(), Stop> {
        wait::follow(aws, plan, started, self.timeout, self.poll, streams).await
    }
}

/// Ships, then follows the deployment unless `--no-wait`.
async fn ship_and_follow(
    aws: &live::Aws,
    ship: &live::Shipment<'_>,
    waiting: &Waiting,
    streams: &mut Streams<'_>,
) -> Result<(), Stop> {
    let started = aws.ship(ship, streams).await?;
    if !waiting.wait {
        return Ok(());
    }
    waiting.follow(aws, ship.plan, &started, streams).await
}

/// The container whose image a deploy replaces: `--container`, else the one a load balancer
/// sends traffic to, else the only one.
fn pick_container(plan: &plan::ServicePlan, asked: Option<&str>) -> Result<String, String> {
    let names = plan.containers.join(", ");
    match asked {
        Some(name) if plan.containers.iter().any(|c| c == name) => Ok(name.to_owned()),
        Some(name) => Err(format!(
            "`--container`: the task has no container `{name}`; its containers: {names}"
        )),
        None => match (&plan.traffic_container, plan.containers.as_slice()) {
            (Some(container), _) => Ok(container.clone()),
            (None, [only]) => Ok(only.clone()),
            _ => Err(format!(
                "the task has several containers and none takes load balancer traffic; name \
                 one with `--container` ({names})"
            )),
        },
    }
}

/// `ecsynth rollback STACK SERVICE`: stop an in-flight blue/green deployment with rollback, or
/// redeploy the previous revision's image through the same path as `deploy`.
pub fn rollback(registry: &Registry, args: &RollbackArgs, streams: &mut Streams) -> u8 {
    let (document, plan, runtime) = match prepare(registry, &args.stack, &args.service, streams) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let outcome = runtime.block_on(async {
        let aws = live::Aws::connect(&document).await;
        let waiting = Waiting::new(&plan, args.timeout, args.wait, args.poll);
        match aws.in_flight(&plan).await? {
            Some(deployment) => {
                streams.say(format_args!(
                    "stopping deployment {deployment} with rollback (stack `{}`, service `{}`)",
                    plan.stack, plan.service
                ));
                aws.stop_with_rollback(&deployment).await?;
                if !waiting.wait {
                    return Ok(());
                }
                let started = live::Started::CodeDeploy {
                    deployment_id: deployment,
                };
                match waiting.follow(&aws, &plan, &started, streams).await {
                    // The stopped deployment ending stopped and rolled back is the success.
                    Err(Stop::Failed(message)) if message.contains("rolled back") => {
                        streams.say("rolled back: the previous version serves all traffic");
                        Ok(())
                    }
                    Ok(()) => Err(Stop::Failed(
                        "the deployment finished before it could be stopped; run `ecsynth \
                         rollback` again to redeploy the previous version"
                            .into(),
                    )),
                    Err(other) => Err(other),
                }
            }
            None => {
                let (previous, revision) = aws.previous_image(&plan).await?;
                streams.say(format_args!(
                    "no deployment in flight; redeploying the image of revision {revision}: \
                     {previous}"
                ));
                let image = image::ImageRef::parse(&previous)
                    .map_err(|message| Stop::Invalid(format!("the previous image: {message}")))?;
                let container = pick_container(&plan, None).map_err(Stop::Invalid)?;
                let ship = live::Shipment {
                    plan: &plan,
                    document: &document,
                    container: &container,
                    image: &image,
                };
                ship_and_follow(&aws, &ship, &waiting, streams).await
            }
        }
    });
    finish(&args.stack, &args.service, outcome, streams)
}
