//! Following a deployment until the new version serves all traffic, it fails, or the timeout
//! passes. One line per change, prefixed with the time since the wait began, so a terminal and
//! a CI log read the same.

use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{DeploymentInfo, DeploymentStatus, LifecycleEventStatus};

use super::live::{sdk_error, target_group_name, Aws, Started};
use super::plan::ServicePlan;
use super::{Stop, Streams};
use crate::model::DeploymentEvent;

/// The lifecycle event after which every request reaches the new tasks.
const ALL_TRAFFIC: &str = "AfterAllowTraffic";

pub async fn follow(
    aws: &Aws,
    plan: &ServicePlan,
    started: &Started,
    timeout: Duration,
    poll: Duration,
    streams: &mut Streams<'_>,
) -> Result<(), Stop> {
    streams.say(format_args!(
        "waiting up to {} (--timeout)",
        minutes(timeout)
    ));
    let begin = Instant::now();
    let mut last = String::new();
    // CodeDeploy notifies a blue/green deployment's topic itself; a rolling one's, ecsynth.
    let notifier = match started {
        Started::Rolling { notifier, .. } => notifier.as_ref(),
        Started::CodeDeploy { .. } => None,
    };
    loop {
        let (line, outcome) = match started {
            Started::CodeDeploy { deployment_id, .. } => {
                blue_green(aws, plan, deployment_id).await?
            }
            Started::Rolling {
                task_definition, ..
            } => rolling(aws, plan, task_definition).await?,
        };
        if line != last {
            streams.say(format_args!("[{}] {line}", clock(begin.elapsed())));
            last = line;
        }
        match outcome {
            Outcome::Running => {}
            Outcome::Done(message) => {
                streams.say(&message);
                if let Some(notifier) = notifier {
                    notifier
                        .publish(aws, DeploymentEvent::Success, &message, streams)
                        .await;
                }
                return Ok(());
            }
            Outcome::Failed {
                mut why,
                rolled_back,
            } => {
                why.extend(stopped_tasks(aws, plan).await);
                let why = why.join("\n  ");
                if let Some(notifier) = notifier {
                    notifier
                        .publish(aws, DeploymentEvent::Failure, &why, streams)
                        .await;
                    if rolled_back {
                        notifier
                            .publish(aws, DeploymentEvent::Rollback, &why, streams)
                            .await;
                    }
                }
                return Err(Stop::Failed(why));
            }
        }
        if begin.elapsed() >= timeout {
            let mut why = vec![format!("timed out after {}", minutes(timeout))];
            if let Started::CodeDeploy { deployment_id, .. } = started {
                match aws.stop_with_rollback(deployment_id).await {
                    Ok(()) => why.push(format!(
                        "deployment {deployment_id} stopped with rollback to the previous version"
                    )),
                    Err(stop) => why.push(format!(
                        "and stopping deployment {deployment_id} failed: {}",
                        stop.message()
                    )),
                }
            } else {
                why.push(
                    "the rolling deployment goes on; `ecsynth rollback` moves the service back"
                        .into(),
                );
            }
            let why = why.join("; ");
            if let Some(notifier) = notifier {
                notifier
                    .publish(aws, DeploymentEvent::Failure, &why, streams)
                    .await;
            }
            return Err(Stop::Failed(why));
        }
        tokio::time::sleep(poll).await;
    }
}

enum Outcome {
    Running,
    Done(String),
    Failed {
        /// Why, one reason a line.
        why: Vec<String>,
        /// The service went back to the revision it ran before.
        rolled_back: bool,
    },
}

fn minutes(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds.is_multiple_of(60) {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

fn clock(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs();
    format!("{:02}:{:02}", seconds / 60, seconds % 60)
}

/// One poll of a CodeDeploy blue/green deployment: its progress line and where it stands.
async fn blue_green(aws: &Aws, plan: &ServicePlan, id: &str) -> Result<(String, Outcome), Stop> {
    let info = deployment_info(aws, id).await?;
    let status = info
        .status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| "Unknown".into());
    let (traffic, events) = ecs_target(aws, id).await;
    let line = progress_line(aws, plan, id, &status, traffic, &events).await;
    let outcome = match info.status() {
        Some(DeploymentStatus::Succeeded) => Outcome::Done(format!(
            "deployment {id} succeeded: the new version serves all traffic"
        )),
        Some(DeploymentStatus::InProgress) if serves_all_traffic(&events) => {
            Outcome::Done(format!(
                "deployment {id}: the new version serves all traffic; the old tasks stay for the \
                 deployment group's termination wait, `ecsynth rollback {} {}` until then",
                plan.stack, plan.service
            ))
        }
        Some(DeploymentStatus::Failed) | Some(DeploymentStatus::Stopped) => {
            let why = failure_reasons(aws, plan, id, &status, &info, &events).await;
            // CodeDeploy reports its rollback itself, to the deployment group's trigger.
            Outcome::Failed {
                why,
                rolled_back: false,
            }
        }
        _ => Outcome::Running,
    };
    Ok((line, outcome))
}

/// A lifecycle event of the ECS target: name, status, and diagnostics when CodeDeploy gave any.
type LifecycleEvent = (String, String, Option<String>);

async fn deployment_info(aws: &Aws, id: &str) -> Result<DeploymentInfo, Stop> {
    let got = aws
        .codedeploy
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .map_err(|e| Stop::Failed(format!("cannot read deployment {id}: {}", sdk_error(e))))?;
    got.deployment_info()
        .cloned()
        .ok_or_else(|| Stop::Failed(format!("deployment {id} has no information")))
}

/// The ECS target of the deployment: `traffic …` per target (the weight of each task set), and
/// its lifecycle events. Empty when CodeDeploy cannot list the targets yet.
async fn ecs_target(aws: &Aws, id: &str) -> (Vec<String>, Vec<LifecycleEvent>) {
    let mut traffic_lines = Vec::new();
    let mut events = Vec::new();
    let Ok(targets) = aws
        .codedeploy
        .list_deployment_targets()
        .deployment_id(id)
        .send()
        .await
    else {
        return (traffic_lines, events);
    };
    let ids = targets.target_ids().to_vec();
    if ids.is_empty() {
        return (traffic_lines, events);
    }
    let Ok(got) = aws
        .codedeploy
        .batch_get_deployment_targets()
        .deployment_id(id)
        .set_target_ids(Some(ids))
        .send()
        .await
    else {
        return (traffic_lines, events);
    };
    for target in got.deployment_targets() {
        let Some(ecs) = target.ecs_target() else {
            continue;
        };
        let traffic: Vec<String> = ecs
            .task_sets_info()
            .iter()
            .map(|set| {
                format!(
                    "{} {}%",
                    set.task_set_label().map(|l| l.as_str()).unwrap_or("?"),
                    set.traffic_weight().round()
                )
            })
            .collect();
        if !traffic.is_empty() {
            traffic_lines.push(format!("traffic {}", traffic.join(" / ")));
        }
        for event in ecs.lifecycle_events() {
            events.push((
                event.lifecycle_event_name().unwrap_or("?").to_owned(),
                event
                    .status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                event.diagnostics().and_then(|d| {
                    let message = d.message().unwrap_or_default();
                    let code = d.error_code().map(|c| c.as_str()).unwrap_or_default();
                    (!message.is_empty() || !code.is_empty())
                        .then(|| format!("{code} {message}").trim().to_owned())
                }),
            ));
        }
    }
    (traffic_lines, events)
}

/// `deployment ID: STATUS · traffic … · the latest lifecycle event that began · target health`.
async fn progress_line(
    aws: &Aws,
    plan: &ServicePlan,
    id: &str,
    status: &str,
    traffic: Vec<String>,
    events: &[LifecycleEvent],
) -> String {
    let mut parts = vec![format!("deployment {id}: {status}")];
    parts.extend(traffic);
    let current = events
        .iter()
        .rev()
        .find(|(_, status, _)| status != LifecycleEventStatus::Pending.as_str())
        .map(|(name, status, _)| format!("{name} {status}"));
    if let Some(current) = current {
        parts.push(current);
    }
    // Healthy targets in each target group of the pair.
    if let Some(codedeploy) = &plan.codedeploy {
        let health = target_health(aws, &codedeploy.target_groups).await;
        if !health.is_empty() {
            parts.push(
                health
                    .iter()
                    .map(|(summary, _)| summary.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
    }
    parts.join(" · ")
}

/// Whether the lifecycle event after which all traffic reaches the new tasks is over.
fn serves_all_traffic(events: &[LifecycleEvent]) -> bool {
    events.iter().any(|(name, status, _)| {
        name == ALL_TRAFFIC
            && (status == LifecycleEventStatus::Succeeded.as_str()
                || status == LifecycleEventStatus::Skipped.as_str())
    })
}

/// Why a deployment failed or stopped: CodeDeploy's error, the failed lifecycle events, the
/// unhealthy targets, and what became of the rollback.
async fn failure_reasons(
    aws: &Aws,
    plan: &ServicePlan,
    id: &str,
    status: &str,
    info: &DeploymentInfo,
    events: &[LifecycleEvent],
) -> Vec<String> {
    let mut why = vec![format!("deployment {id} {}", status.to_lowercase())];
    if let Some(error) = info.error_information() {
        why.push(format!(
            "{}: {}",
            error.code().map(|c| c.as_str()).unwrap_or("error"),
            error.message().unwrap_or_default()
        ));
    }
    for (name, status, diagnostics) in events {
        if status == LifecycleEventStatus::Failed.as_str() {
            why.push(format!(
                "lifecycle event {name} failed{}",
                diagnostics
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ));
        }
    }
    if let Some(codedeploy) = &plan.codedeploy {
        for (_, reasons) in target_health(aws, &codedeploy.target_groups).await {
            why.extend(reasons);
        }
    }
    match info.rollback_info() {
        Some(rollback) if rollback.rollback_deployment_id().is_some() => why.push(format!(
            "rolled back by deployment {}{}",
            rollback.rollback_deployment_id().unwrap_or_default(),
            rollback
                .rollback_message()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )),
        Some(rollback) if rollback.rollback_message().is_some() => {
            why.push(rollback.rollback_message().unwrap_or_default().to_owned())
        }
        _ => why.push("not rolled back by CodeDeploy; `ecsynth status` shows what runs".into()),
    }
    why
}

/// `name h/n healthy` per target group, and the reasons of the targets that are not healthy.
async fn target_health(aws: &Aws, names: &[String]) -> Vec<(String, Vec<String>)> {
    let Ok(groups) = aws
        .elb
        .describe_target_groups()
        .set_names(Some(names.to_vec()))
        .send()
        .await
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for group in groups.target_groups() {
        let Some(arn) = group.target_group_arn() else {
            continue;
        };
        let Ok(health) = aws
            .elb
            .describe_target_health()
            .target_group_arn(arn)
            .send()
            .await
        else {
            continue;
        };
        let descriptions = health.target_health_descriptions();
        let healthy = descriptions
            .iter()
            .filter(|d| {
                d.target_health()
                    .and_then(|h| h.state())
                    .map(|s| s.as_str())
                    == Some("healthy")
            })
            .count();
        let reasons = descriptions
            .iter()
            .filter_map(|d| {
                let health = d.target_health()?;
                let state = health.state()?.as_str();
                (state != "healthy").then(|| {
                    format!(
                        "target {} in {} is {state}: {} {}",
                        d.target().and_then(|t| t.id()).unwrap_or("?"),
                        target_group_name(arn),
                        health.reason().map(|r| r.as_str()).unwrap_or_default(),
                        health.description().unwrap_or_default()
                    )
                    .trim()
                    .to_owned()
                })
            })
            .collect();
        out.push((
            format!(
                "{} {healthy}/{} healthy",
                target_group_name(arn),
                descriptions.len()
            ),
            reasons,
        ));
    }
    out
}

async fn rolling(
    aws: &Aws,
    plan: &ServicePlan,
    task_definition: &str,
) -> Result<(String, Outcome), Stop> {
    let Some(service) = aws.describe_service(plan, Stop::Failed).await? else {
        return Err(Stop::Failed("the service is gone".into()));
    };
    let ours = service
        .deployments()
        .iter()
        .find(|d| d.task_definition() == Some(task_definition));
    let line = match ours {
        Some(d) => format!(
            "deployment {}: {} · {} running, {} pending of {} desired, {} failed · {} deployment(s) in the service",
            d.id().unwrap_or("?"),
            d.rollout_state().map(|s| s.as_str()).unwrap_or("?"),
            d.running_count(),
            d.pending_count(),
            d.desired_count(),
            d.failed_tasks(),
            service.deployments().len()
        ),
        None => format!(
            "the service runs {} (no deployment of {task_definition})",
            service.task_definition().unwrap_or("?")
        ),
    };
    let outcome = match ours {
        Some(d) => match d.rollout_state().map(|s| s.as_str()) {
            Some("COMPLETED")
                if d.status() == Some("PRIMARY") && service.deployments().len() == 1 =>
            {
                Outcome::Done(format!(
                    "rolling deployment {} completed: the new version serves all traffic",
                    d.id().unwrap_or("?")
                ))
            }
            Some("FAILED") => Outcome::Failed {
                why: vec![format!(
                    "rolling deployment {} failed: {}",
                    d.id().unwrap_or("?"),
                    d.rollout_state_reason().unwrap_or_default()
                )],
                // The circuit breaker moves the service back to the previous revision.
                rolled_back: service.task_definition() != Some(task_definition),
            },
            _ => Outcome::Running,
        },
        // The circuit breaker rolled back, or someone moved the service on.
        None => Outcome::Failed {
            why: vec![format!(
                "the service no longer deploys {task_definition}: it runs {} (rolled back by \
                 the deployment circuit breaker, or another deployment replaced this one)",
                service.task_definition().unwrap_or("?")
            )],
            rolled_back: true,
        },
    };
    Ok((line, outcome))
}

/// The reasons the service's most recently stopped tasks give, at most 5.
async fn stopped_tasks(aws: &Aws, plan: &ServicePlan) -> Vec<String> {
    let Ok(listed) = aws
        .ecs
        .list_tasks()
        .cluster(&plan.cluster)
        .service_name(&plan.service)
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
        .send()
        .await
    else {
        return Vec::new();
    };
    let arns: Vec<String> = listed.task_arns().iter().take(5).cloned().collect();
    if arns.is_empty() {
        return Vec::new();
    }
    let Ok(described) = aws
        .ecs
        .describe_tasks()
        .cluster(&plan.cluster)
        .set_tasks(Some(arns))
        .send()
        .await
    else {
        return Vec::new();
    };
    described
        .tasks()
        .iter()
        .filter_map(|task| {
            Some(format!(
                "task {} stopped: {}",
                task.task_arn()?.rsplit('/').next().unwrap_or("?"),
                task.stopped_reason()?
            ))
        })
        .collect()
}
