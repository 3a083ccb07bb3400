//! `ecsynth status STACK [SERVICE]`: per service, what runs and whether it is what the model
//! would register now.

use aws_sdk_ecs::types::TaskDefinition as LiveTask;

use super::live::{model_task_definition, sdk_error, tag_value, Aws, IMAGE_TAG, VERSION_TAG};
use super::plan::{self, ServicePlan};
use super::taskdef::TaskDefinition;
use super::{document, service_error, Streams, EXIT_FAILED, EXIT_INVALID, EXIT_OK};
use crate::registry::Registry;

pub fn status(
    registry: &Registry,
    stack: &str,
    service: Option<&str>,
    streams: &mut Streams,
) -> u8 {
    let Some(document) = document(registry, stack, streams) else {
        return EXIT_INVALID;
    };
    let names: Vec<String> = match service {
        Some(name) => vec![name.to_owned()],
        None => plan::services(&document)
            .into_iter()
            .map(|(name, _)| name)
            .collect(),
    };
    let mut plans = Vec::new();
    for name in &names {
        match plan::plan(stack, &document, name) {
            Ok(plan) => plans.push(plan),
            Err(plan::PlanError(message)) => {
                streams.problem(service_error(stack, name, &message));
                return EXIT_INVALID;
            }
        }
    }
    let runtime = match super::runtime() {
        Ok(runtime) => runtime,
        Err(message) => {
            streams.problem(message);
            return EXIT_FAILED;
        }
    };
    runtime.block_on(async {
        let aws = Aws::connect(&document).await;
        let mut code = EXIT_OK;
        for plan in &plans {
            if let Err(message) = one(&aws, &document, plan, streams).await {
                streams.problem(service_error(&plan.stack, &plan.service, &message));
                code = code.max(EXIT_INVALID);
            }
        }
        code
    })
}

async fn one(
    aws: &Aws,
    document: &serde_json::Value,
    plan: &ServicePlan,
    streams: &mut Streams<'_>,
) -> Result<(), String> {
    let service = aws
        .live_service(plan)
        .await
        .map_err(|stop| stop.message().to_owned())?;
    let arn = service.task_definition().unwrap_or_default().to_owned();
    let live = aws.task_definition(&arn).await?;
    let kind = if plan.is_blue_green() {
        "blue/green (CodeDeploy)"
    } else {
        "rolling (ECS)"
    };
    streams.say(format_args!(
        "service `{}` on cluster `{}`, {kind}",
        plan.service, plan.cluster
    ));
    streams.say(format_args!(
        "  task definition: {}:{}",
        live.family().unwrap_or("?"),
        live.revision()
    ));
    let container = super::pick_container(plan, None)
        .ok()
        .or_else(|| plan.containers.first().cloned())
        .unwrap_or_default();
    let image = live
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some(container.as_str()))
        .and_then(|c| c.image())
        .unwrap_or("?")
        .to_owned();
    let version = aws
        .tagged_task_definition(&arn)
        .await
        .ok()
        .and_then(|(_, tags)| {
            tag_value(&tags, IMAGE_TAG)
                .or_else(|| tag_value(&tags, VERSION_TAG))
                .map(str::to_owned)
        });
    streams.say(format_args!(
        "  image ({container}): {image}{}",
        version
            .map(|v| format!(" (deployed as {v})"))
            .unwrap_or_else(|| " (not deployed by ecsynth)".into())
    ));
    streams.say(format_args!(
        "  tasks: {} desired, {} running, {} pending",
        service.desired_count(),
        service.running_count(),
        service.pending_count()
    ));
    streams.say(format_args!(
        "  last deployment: {}",
        last_deployment(aws, plan, &service).await
    ));
    let model = model_task_definition(document, plan, &service, &live, &container, &image);
    let verdict = match model {
        Ok(model) => {
            let differences = differences(&model, &live);
            if differences.is_empty() {
                "matches what the model would register now".to_owned()
            } else {
                format!(
                    "differs from what the model would register now: {}; `ecsynth deploy` \
                     registers the model's",
                    differences.join(", ")
                )
            }
        }
        Err(message) => format!("cannot be compared with the model: {message}"),
    };
    streams.say(format_args!("  live task definition {verdict}"));
    Ok(())
}

async fn last_deployment(
    aws: &Aws,
    plan: &ServicePlan,
    service: &aws_sdk_ecs::types::Service,
) -> String {
    let Some(codedeploy) = &plan.codedeploy else {
        return match service.deployments().first() {
            Some(d) => format!(
                "{} {} ({})",
                d.id().unwrap_or("?"),
                d.rollout_state().map(|s| s.as_str()).unwrap_or("?"),
                d.task_definition()
                    .map(|t| t.rsplit('/').next().unwrap_or(t))
                    .unwrap_or("?")
            ),
            None => "none".into(),
        };
    };
    let listed = match aws
        .codedeploy
        .list_deployments()
        .application_name(&codedeploy.application)
        .deployment_group_name(&codedeploy.group)
        .send()
        .await
    {
        Ok(listed) => listed,
        Err(error) => return format!("cannot list deployments: {}", sdk_error(error)),
    };
    // ListDeployments does not promise an order: the newest by creation time.
    let mut newest: Option<((i64, u32), String, String)> = None;
    for id in listed.deployments() {
        let Ok(got) = aws
            .codedeploy
            .get_deployment()
            .deployment_id(id)
            .send()
            .await
        else {
            continue;
        };
        let Some(info) = got.deployment_info() else {
            continue;
        };
        let created = info
            .create_time()
            .map(|t| (t.secs(), t.subsec_nanos()))
            .unwrap_or((0, 0));
        let status = info
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        let outcome = match info.error_information().and_then(|e| e.message()) {
            Some(message) if !message.is_empty() => format!("{status}: {message}"),
            _ => status,
        };
        if newest.as_ref().is_none_or(|(at, _, _)| created > *at) {
            newest = Some((created, id.clone(), outcome));
        }
    }
    match newest {
        Some((_, id, outcome)) => format!("{id} {outcome}"),
        None => "none".into(),
    }
}

/// What differs between the model's task definition (with the live image) and the live one.
fn differences(model: &TaskDefinition, live: &LiveTask) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |what: &str, same: bool| {
        if !same {
            out.push(what.to_owned());
        }
    };
    check("family", live.family() == Some(model.family.as_str()));
    check(
        "execution role",
        live.execution_role_arn() == model.execution_role_arn.as_deref(),
    );
    check(
        "task role",
        live.task_role_arn() == model.task_role_arn.as_deref(),
    );
    check(
        "network mode",
        live.network_mode() == model.network_mode.as_ref(),
    );
    check("cpu", live.cpu() == model.cpu.as_deref());
    check("memory", live.memory() == model.memory.as_deref());
    check(
        "runtime platform",
        model.runtime_platform.is_none()
            || live.runtime_platform() == model.runtime_platform.as_ref(),
    );
    check("volumes", live.volumes() == model.volumes.as_slice());
    let live_names: Vec<Option<&str>> = live
        .container_definitions()
        .iter()
        .map(|c| c.name())
        .collect();
    let model_names: Vec<Option<&str>> = model.containers.iter().map(|c| c.name()).collect();
    if live_names != model_names {
        out.push("containers".into());
        return out;
    }
    for (model, live) in model.containers.iter().zip(live.container_definitions()) {
        if model != live {
            out.push(format!("container `{}`", model.name().unwrap_or("?")));
        }
    }
    out
}
