//! What a deploy of one service needs from the model, read from the stack's synthesized
//! Terraform document, before anything is asked of AWS: the service's names, the task
//! definition as Terraform registers it, the AppSpec ecsynth writes for it, the CodeDeploy
//! names and the stack's tags. Values that exist only after apply stay as `${…}` and are filled
//! from live AWS later ([`super::template`]).

use serde_json::Value;

use super::template::reference;

/// One service of one stack, as the model describes it.
#[derive(Debug, Clone)]
pub struct ServicePlan {
    pub stack: String,
    /// The ECS service name (the model's service name).
    pub service: String,
    /// The Terraform label of the service's resources.
    pub label: String,
    pub cluster: String,
    /// `CODE_DEPLOY` or `ECS`.
    pub controller: String,
    pub load_balancers: Vec<ExpectedLoadBalancer>,
    /// The `aws_ecs_task_definition` resource body as Terraform has it.
    pub task_definition: Value,
    /// The task definition family.
    pub family: String,
    /// Container names, in task definition order.
    pub containers: Vec<String>,
    /// The container a load balancer sends traffic to, when there is one.
    pub traffic_container: Option<String>,
    /// The AppSpec template (the `<label>_appspec_yaml` output) of a blue/green service.
    pub appspec: Option<String>,
    pub codedeploy: Option<CodeDeployPlan>,
    /// `default_tags` of the stack's provider, then the task definition's own tags.
    pub tags: Vec<(String, String)>,
    /// The ARN of the SNS topic told of deployments (the `<label>_deployment_topic_arn`
    /// output): a literal, or `${aws_sns_topic.<label>.arn}` when the stack creates it.
    pub topic: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ExpectedLoadBalancer {
    /// Target group names the service may be registered in (both of a blue/green pair).
    pub target_groups: Vec<String>,
    pub elb_name: Option<String>,
    pub container_name: String,
    pub container_port: i32,
}

#[derive(Debug, Clone)]
pub struct CodeDeployPlan {
    pub application: String,
    pub group: String,
    pub config: String,
    /// The blue/green pair, in the order the deployment group lists them.
    pub target_groups: Vec<String>,
    /// Minutes the deployment waits for a go-ahead before traffic moves, when it stops there.
    pub ready_wait_minutes: u64,
}

impl ServicePlan {
    pub fn is_blue_green(&self) -> bool {
        self.controller == "CODE_DEPLOY"
    }

    /// The default `--timeout`: the time the deployment config takes to shift traffic, plus a
    /// go-ahead wait the group stops for, plus 15 minutes for tasks to start, pass health
    /// checks and run hooks. Rolling services get 15 minutes plus the 10 the ECS circuit
    /// breaker may take to decide.
    pub fn default_timeout_seconds(&self) -> u64 {
        const START: u64 = 15 * 60;
        match &self.codedeploy {
            Some(codedeploy) => {
                START + 60 * shift_minutes(&codedeploy.config) + 60 * codedeploy.ready_wait_minutes
            }
            None => START + 10 * 60,
        }
    }
}

/// Minutes a predefined ECS deployment config spends shifting traffic, from its name:
/// `ECSCanary10Percent5Minutes` waits 5, `ECSLinear10PercentEvery1Minutes` takes 10 steps of 1.
/// 0 for all-at-once and for names it cannot read.
pub fn shift_minutes(config: &str) -> u64 {
    let name = config.rsplit('.').next().unwrap_or(config);
    let number_before = |text: &str, suffix: &str| -> Option<u64> {
        let head = text.strip_suffix(suffix)?;
        let digits: String = head
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .chars()
            .rev()
            .collect();
        digits.parse().ok()
    };
    if let Some(rest) = name.strip_prefix("ECSCanary") {
        return number_before(rest, "Minutes").unwrap_or(0);
    }
    if let Some(rest) = name.strip_prefix("ECSLinear") {
        let (percent, every) = rest.split_once("PercentEvery").unwrap_or(("", ""));
        let percent: u64 = percent.parse().unwrap_or(100).max(1);
        let every = number_before(every, "Minutes")
            .or_else(|| number_before(every, "Minute"))
            .unwrap_or(0);
        return 100_u64.div_ceil(percent) * every;
    }
    0
}

/// The problem of a plan, for `error: stack `s` › service `x` › …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError(pub String);

/// The resource `kind.label` of the document.
pub fn resource<'d>(document: &'d Value, kind: &str, label: &str) -> Option<&'d Value> {
    document.get("resource")?.get(kind)?.get(label)
}

/// The literal value a reference stands for when the document knows it: a literal attribute
/// of the resource, or its `name` for an ECS cluster's `id` (ECS takes either).
pub fn literal(document: &Value, expression: &str) -> Option<String> {
    let (kind, label, attribute) = reference(expression)?;
    let body = resource(document, kind, label)?;
    let attribute = match (kind, attribute) {
        ("aws_ecs_cluster", "id" | "arn") => "name",
        ("aws_ecs_service", "id") => "name",
        _ => attribute,
    };
    let value = body.get(attribute)?.as_str()?;
    (!value.contains("${")).then(|| unescape(value))
}

/// A literal with Terraform's escapes read back.
fn unescape(text: &str) -> String {
    text.replace("$${", "${").replace("%%{", "%{")
}

/// `"${expr}"` → `expr`.
pub fn whole_reference(value: &str) -> Option<&str> {
    value.strip_prefix("${")?.strip_suffix('}')
}

/// A string attribute that is either literal or a whole reference the document resolves.
fn resolved(document: &Value, value: Option<&Value>) -> Option<String> {
    let text = value?.as_str()?;
    match whole_reference(text) {
        Some(expression) => literal(document, expression),
        None => Some(unescape(text)),
    }
}

/// Every service of the document, by ECS service name, with its Terraform label.
pub fn services(document: &Value) -> Vec<(String, String)> {
    let Some(Value::Object(services)) = document
        .get("resource")
        .and_then(|r| r.get("aws_ecs_service"))
    else {
        return Vec::new();
    };
    services
        .iter()
        .filter_map(|(label, body)| Some((resolved(document, body.get("name"))?, label.clone())))
        .collect()
}

/// Whether the service's deployments are ECS-native blue/green, whose task definition
/// Terraform owns (the ownership rules leave it unignored).
pub fn is_ecs_blue_green(service: &Value) -> bool {
    service
        .get("deployment_configuration")
        .and_then(|configuration| configuration.get("strategy"))
        .and_then(Value::as_str)
        == Some("BLUE_GREEN")
}

/// The plan for service `service` of the stack whose rendered document is `document`.
pub fn plan(stack: &str, document: &Value, service: &str) -> Result<ServicePlan, PlanError> {
    let label = service_label(document, service)?;
    let body = resource(document, "aws_ecs_service", &label)
        .ok_or_else(|| PlanError("the service resource is missing".into()))?;
    let cluster = resolved(document, body.get("cluster")).ok_or_else(|| unreadable("cluster"))?;
    let controller = body
        .get("deployment_controller")
        .and_then(|c| c.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("ECS")
        .to_owned();
    if is_ecs_blue_green(body) {
        return Err(PlanError(format!(
            "service `{service}` deploys blue/green through ECS itself \
             (`deployment_configuration.strategy = BLUE_GREEN`): Terraform owns its task \
             definition, so a task definition registered here would be replaced by the next \
             `terraform apply`; release it by changing the image in the stack and applying \
             (README, \"Choosing a blue/green controller\")"
        )));
    }
    let (task_definition, family, containers) = service_task_definition(document, body)?;
    let codedeploy = if controller == "CODE_DEPLOY" {
        Some(
            codedeploy_plan(document, &label)
                .ok_or_else(|| unreadable("CodeDeploy deployment group"))?,
        )
    } else {
        None
    };
    let load_balancers = expected_load_balancers(document, body, codedeploy.as_ref())?;
    let traffic_container = load_balancers.first().map(|lb| lb.container_name.clone());
    let appspec = stack_output(document, &label, "appspec_yaml");
    let topic = stack_output(document, &label, "deployment_topic_arn");
    if codedeploy.is_some() && appspec.is_none() {
        return Err(unreadable("AppSpec output"));
    }
    let tags = task_tags(document, &task_definition);
    Ok(ServicePlan {
        stack: stack.to_owned(),
        service: service.to_owned(),
        label,
        cluster,
        controller,
        load_balancers,
        task_definition,
        family,
        containers,
        traffic_container,
        appspec,
        codedeploy,
        tags,
        topic,
    })
}

/// The Terraform label of service `service`, or an error naming the stack's services.
fn service_label(document: &Value, service: &str) -> Result<String, PlanError> {
    let all = services(document);
    let Some((_, label)) = all.iter().find(|(name, _)| name == service) else {
        let known: Vec<&str> = all.iter().map(|(name, _)| name.as_str()).collect();
        return Err(PlanError(format!(
            "no service `{service}` in this stack; its services: {}",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    };
    Ok(label.clone())
}

fn unreadable(what: &str) -> PlanError {
    PlanError(format!(
        "cannot read the service's {what} from the synthesized stack"
    ))
}

/// The task definition the service resource `body` references, its family, and the names of
/// its containers.
fn service_task_definition(
    document: &Value,
    body: &Value,
) -> Result<(Value, String, Vec<String>), PlanError> {
    let task_reference = body
        .get("task_definition")
        .and_then(Value::as_str)
        .and_then(whole_reference)
        .and_then(reference)
        .filter(|(kind, _, _)| *kind == "aws_ecs_task_definition")
        .ok_or_else(|| unreadable("task definition"))?;
    let task_definition = resource(document, "aws_ecs_task_definition", task_reference.1)
        .ok_or_else(|| unreadable("task definition"))?
        .clone();
    let family = resolved(document, task_definition.get("family"))
        .ok_or_else(|| unreadable("task definition family"))?;
    let containers = task_definition
        .get("container_definitions")
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str::<Vec<Value>>(text).ok())
        .map(|list| {
            list.iter()
                .filter_map(|c| c.get("name")?.as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .ok_or_else(|| unreadable("container definitions"))?;
    Ok((task_definition, family, containers))
}

/// The load balancers the service resource `body` declares. With CodeDeploy, a load balancer on
/// one target group of the pair may be on either, so it expects the whole pair.
fn expected_load_balancers(
    document: &Value,
    body: &Value,
    codedeploy: Option<&CodeDeployPlan>,
) -> Result<Vec<ExpectedLoadBalancer>, PlanError> {
    let mut load_balancers = Vec::new();
    for entry in body
        .get("load_balancer")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mut target_groups = Vec::new();
        if let Some(expression) = entry
            .get("target_group_arn")
            .and_then(Value::as_str)
            .and_then(whole_reference)
        {
            let (_, tg_label, _) =
                reference(expression).ok_or_else(|| unreadable("target group"))?;
            let name = literal(document, &format!("aws_lb_target_group.{tg_label}.name"))
                .ok_or_else(|| unreadable("target group"))?;
            target_groups.push(name);
        }
        if let Some(codedeploy) = codedeploy {
            if target_groups
                .iter()
                .any(|tg| codedeploy.target_groups.contains(tg))
            {
                target_groups = codedeploy.target_groups.clone();
            }
        }
        load_balancers.push(ExpectedLoadBalancer {
            target_groups,
            elb_name: resolved(document, entry.get("elb_name")),
            container_name: entry
                .get("container_name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            container_port: entry
                .get("container_port")
                .and_then(Value::as_i64)
                .and_then(|port| i32::try_from(port).ok())
                .unwrap_or_default(),
        });
    }
    Ok(load_balancers)
}

/// The value of the stack's output `{label}_{suffix}`.
fn stack_output(document: &Value, label: &str, suffix: &str) -> Option<String> {
    document
        .get("output")
        .and_then(|o| o.get(format!("{label}_{suffix}")))
        .and_then(|o| o.get("value"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The tags a registered task definition gets: the provider's default tags, then the task
/// definition's own, which win on the same key.
fn task_tags(document: &Value, task_definition: &Value) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    let providers = document.get("provider").and_then(|p| p.get("aws"));
    let provider = match providers {
        Some(Value::Array(list)) => list.first(),
        other => other,
    };
    let default_tags = provider
        .and_then(|p| p.get("default_tags"))
        .and_then(|d| d.get("tags"))
        .and_then(Value::as_object);
    let own_tags = task_definition.get("tags").and_then(Value::as_object);
    for (key, value) in default_tags.into_iter().chain(own_tags).flatten() {
        if let Some(value) = resolved(document, Some(value)) {
            tags.retain(|(k, _): &(String, String)| k != key);
            tags.push((key.clone(), value));
        }
    }
    tags
}

fn codedeploy_plan(document: &Value, label: &str) -> Option<CodeDeployPlan> {
    let group = resource(document, "aws_codedeploy_deployment_group", label)?;
    let target_groups = group
        .get("load_balancer_info")?
        .get("target_group_pair_info")?
        .get("target_group")?
        .as_array()?
        .iter()
        .map(|tg| resolved(document, tg.get("name")))
        .collect::<Option<Vec<_>>>()?;
    let ready = group
        .get("blue_green_deployment_config")
        .and_then(|c| c.get("deployment_ready_option"));
    let ready_wait_minutes = match ready.and_then(|r| r.get("action_on_timeout")?.as_str()) {
        Some("STOP_DEPLOYMENT") => ready
            .and_then(|r| r.get("wait_time_in_minutes")?.as_u64())
            .unwrap_or(0),
        _ => 0,
    };
    Some(CodeDeployPlan {
        application: resolved(document, group.get("app_name"))?,
        group: resolved(document, group.get("deployment_group_name"))?,
        config: resolved(document, group.get("deployment_config_name"))
            .unwrap_or_else(|| "CodeDeployDefault.ECSAllAtOnce".into()),
        target_groups,
        ready_wait_minutes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_minutes_of_the_predefined_configs() {
        assert_eq!(shift_minutes("CodeDeployDefault.ECSAllAtOnce"), 0);
        assert_eq!(
            shift_minutes("CodeDeployDefault.ECSCanary10Percent5Minutes"),
            5
        );
        assert_eq!(
            shift_minutes("CodeDeployDefault.ECSCanary10Percent15Minutes"),
            15
        );
        assert_eq!(
            shift_minutes("CodeDeployDefault.ECSLinear10PercentEvery1Minutes"),
            10
        );
        assert_eq!(
            shift_minutes("CodeDeployDefault.ECSLinear10PercentEvery3Minutes"),
            30
        );
    }
}
