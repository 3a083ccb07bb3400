//! Deployments: rolling settings; CodeDeploy blue/green (the deployment configuration, its fit
//! with the load balancer kind, wait times, rollback); ECS-native blue/green (the provider
//! that can write it, the listener rule ECS switches, bake time, Lambda hooks).
//!
//! CodeDeploy ECS deployment groups take ALB or NLB only, with exactly two target groups;
//! lowering builds exactly that, so those rules hold by construction and are not checked here.

use super::provider::KNOWN_REGIONS;
use super::Coverage::{ByConstruction, Checked};
use super::{cut, quoted_list, row, service_path, Checker, Constraint};
use crate::model::deployment::{
    BlueGreen, BlueGreenController, CodeDeploy, Deployment, DeploymentConfig, EcsBlueGreen,
    LifecycleStage, RollbackAlarms, Rolling,
};
use crate::model::load_balancer::LoadBalancerKind;
use crate::model::service::Service;
use crate::model::stack::{ProviderMajor, Stack};
use crate::model::traffic::{Exposure, Route};

/// CodeDeploy's predefined ECS configurations.
const PREDEFINED: &[&str] = &[
    "CodeDeployDefault.ECSAllAtOnce",
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
    "CodeDeployDefault.ECSCanary10Percent5Minutes",
    "CodeDeployDefault.ECSCanary10Percent15Minutes",
];

/// Minutes: `terminationWaitTimeInMinutes` and the console's limit on the ready wait are
/// both 2 days.
const MAX_WAIT_MINUTES: u32 = 2880;

const SVC: &str = "aws_ecs_service";
const CREATE_SERVICE: &str = "ECS API CreateService";
const DG: &str = "aws_codedeploy_deployment_group";
const DG_API: &str = "CodeDeploy API CreateDeploymentGroup";

pub(super) const CATALOGUE: &[Constraint] = &[
    row(SVC, "name", "1–255 of A-Za-z0-9-_", CREATE_SERVICE, Checked("name (see names)")),
    row(SVC, "desired_count", "0–2147483647 (Integer)", CREATE_SERVICE, Checked("desired_count")),
    row(SVC, "health_check_grace_period_seconds", "0–2147483647 (Integer); only with a load balancer", "ECS API CreateService; provider validation IntBetween(0, MaxInt32)", Checked("health_check_grace_period_seconds")),
    row(SVC, "deployment_minimum_healthy_percent", "0–100", CREATE_SERVICE, Checked("deployment.minimum_healthy_percent")),
    row(SVC, "deployment_maximum_percent", "≥ 100 and above the minimum", CREATE_SERVICE, Checked("deployment.maximum_percent")),
    row(SVC, "deployment_circuit_breaker", "ECS controller only", CREATE_SERVICE, ByConstruction("written for rolling services only")),
    row(SVC, "deployment_controller", "ECS or CODE_DEPLOY", CREATE_SERVICE, ByConstruction("from `Deployment`")),
    row(SVC, "launch_type", "FARGATE, or none with a capacity provider strategy", CREATE_SERVICE, ByConstruction("from `Compute`")),
    row(SVC, "capacity_provider_strategy", "a capacity provider of the cluster; weight 0–1000, base 0–100000", CREATE_SERVICE, ByConstruction("one provider of the stack, weight 1, base 0")),
    row(SVC, "ordered_placement_strategy", "at most 5", CREATE_SERVICE, Checked("compute.placement_strategy")),
    row(SVC, "placement_constraints", "at most 10; memberOf expressions in the cluster query language, 1–2000 characters of letters, digits, spaces and its operators", "ECS API CreateService, PlacementConstraint (expression: at most 2000 characters); ECS Developer Guide, Create expressions to define container instances", Checked("compute.placement_constraints (count, length, the query language's characters; its grammar is ECS's own and only ECS parses it)")),
    row(SVC, "load_balancer", "container and port of the task", CREATE_SERVICE, Checked("traffic.target")),
    row(SVC, "network_configuration", "subnets, security groups; assign_public_ip Fargate only", CREATE_SERVICE, ByConstruction("inputs and references; public IP only on `Fargate`")),
    row(SVC, "service_registries", "a Cloud Map service; port for SRV", CREATE_SERVICE, Checked("discoverable")),
    row(SVC, "cluster", "cluster ARN", CREATE_SERVICE, ByConstruction("reference")),
    row(SVC, "task_definition", "task definition ARN", CREATE_SERVICE, ByConstruction("reference")),
    row(SVC, "propagate_tags", "SERVICE, TASK_DEFINITION, NONE", CREATE_SERVICE, ByConstruction("constant")),
    row(SVC, "enable_ecs_managed_tags", "boolean", CREATE_SERVICE, ByConstruction("constant")),
    row("aws_codedeploy_app", "name", "1–100 characters", "CodeDeploy API CreateApplication", ByConstruction("`<stack>-<service>`: checked names, shorter than the 64 of the IAM role made from them")),
    row("aws_codedeploy_app", "compute_platform", "ECS", "CodeDeploy API", ByConstruction("constant")),
    row(DG, "deployment_group_name", "1–100 characters", DG_API, ByConstruction("as the application name")),
    row(DG, "deployment_config_name", "1–100 of A-Za-z0-9+=,.@_-; predefined ECS configs or a custom one; NLB all at once only", "CodeDeploy API CreateDeploymentGroup; botocore 1.44.8 codedeploy/2014-10-06 `DeploymentConfigName`", Checked("deployment.config")),
    row(DG, "blue_green_deployment_config", "termination wait 0–2880 min; ready wait 1–2880 min", DG_API, Checked("deployment.termination_wait_minutes, deployment.manual_approval_minutes")),
    row(DG, "auto_rollback_configuration", "events enum; DEPLOYMENT_STOP_ON_ALARM rolls back on the alarms of alarm_configuration", DG_API, Checked("deployment.auto_rollback: off is a warning, an error for linear and canary configurations with rollback alarms")),
    row(DG, "alarm_configuration", "1–10 existing CloudWatch alarm names", "CodeDeploy API AlarmConfiguration", ByConstruction("2 or 3 alarms per target group, two target groups; references to alarms of this stack")),
    row(SVC, "alarms", "existing CloudWatch alarm names; ECS deployment controller only", "ECS API DeploymentAlarms", ByConstruction("rolling and ECS-native blue/green services behind a load balancer only; references to alarms of this stack")),
    row(SVC, "deployment_configuration", "ECS controller only; strategy BLUE_GREEN; bake_time_in_minutes 0–1440; lifecycle_hook: a Lambda function ARN, a role, lifecycle_stages of RECONCILE_SERVICE, PRE_SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT; hashicorp/aws 6.4 or later", "ECS API DeploymentConfiguration, DeploymentLifecycleHook; hashicorp/aws resource_service.go (IntBetween(0, 1440), enum DeploymentLifecycleHookStage, PR #43434)", Checked("deployment.controller (provider major), deployment.bake_time_minutes, deployment.hooks (function ARN, stages; stage names by type)")),
    row(SVC, "load_balancer.advanced_configuration", "alternate target group; production and test listener rules (rules of an application load balancer); the role ECS assumes to modify them; hashicorp/aws 6.4 or later", "ECS API AdvancedConfiguration; ECS Developer Guide, Required resources for Amazon ECS blue/green deployments", Checked("traffic.route (a rule on an application load balancer)")),
    row(DG, "deployment_style", "BLUE_GREEN WITH_TRAFFIC_CONTROL", DG_API, ByConstruction("constant")),
    row(DG, "load_balancer_info", "two target groups, one prod and one test listener", DG_API, ByConstruction("lowering builds exactly that")),
    row(DG, "ecs_service", "cluster and service", DG_API, ByConstruction("references")),
    row(DG, "service_role_arn", "IAM role ARN", DG_API, ByConstruction("reference")),
    row(DG, "app_name", "the application", DG_API, ByConstruction("reference")),
    row("appspec.yaml", "Hooks", "Lambda function name (1–64 of A-Za-z0-9-_) or ARN the CodeDeploy role may invoke: `CodeDeployHook_*`", "CodeDeploy User Guide, AppSpec hooks for ECS; managed policy AWSCodeDeployRoleForECSLimited; Lambda API FunctionName", Checked("deployment.hooks")),
];

/// ECS takes these as Java `Integer`s.
const MAX_INTEGER: u32 = i32::MAX as u32;

pub(super) fn check(check: &mut Checker, stack: &Stack, service: &Service) {
    let path = service_path(service);
    for (field, value) in [
        ("desired_count", service.desired_count),
        (
            "health_check_grace_period_seconds",
            service.health_check_grace_period_seconds,
        ),
    ] {
        if value > MAX_INTEGER {
            check.error(
                &path,
                field,
                format!(
                    "{value} is above ECS's maximum {MAX_INTEGER}; allowed: 0 to {MAX_INTEGER}"
                ),
            );
        }
    }
    let blue_green = match &service.deployment {
        Deployment::BlueGreen(blue_green) => blue_green,
        Deployment::Rolling(rolling) => return check_rolling(check, stack, service, rolling),
    };
    match &blue_green.controller {
        BlueGreenController::CodeDeploy(settings) => {
            check_code_deploy(check, &path, stack, blue_green, settings)
        }
        BlueGreenController::Ecs(settings) => check_ecs(check, &path, stack, blue_green, settings),
    }
}

/// The rollback alarms of a blue/green service, whichever controller watches them.
fn check_blue_green_alarms(
    check: &mut Checker,
    path: &[String],
    stack: &Stack,
    blue_green: &BlueGreen,
) {
    if let Some(alarms) = &blue_green.rollback_alarms {
        let kind = stack
            .load_balancer(blue_green.traffic.load_balancer)
            .map(|load_balancer| load_balancer.kind);
        check_rollback_alarms(check, path, alarms, kind);
    }
}

fn check_code_deploy(
    check: &mut Checker,
    path: &[String],
    stack: &Stack,
    blue_green: &BlueGreen,
    settings: &CodeDeploy,
) {
    check_config(check, path, &settings.config);
    check_network_load_balancer(check, path, stack, blue_green, settings);
    if settings.termination_wait_minutes > MAX_WAIT_MINUTES {
        check.error(
            path,
            "deployment.termination_wait_minutes",
            format!(
                "{} is more than CodeDeploy's {MAX_WAIT_MINUTES} minutes (2 days); allowed: 0 \
                 to {MAX_WAIT_MINUTES}",
                settings.termination_wait_minutes
            ),
        );
    }
    if let Some(minutes) = settings.manual_approval_minutes {
        if !(1..=MAX_WAIT_MINUTES).contains(&minutes) {
            check.error(
                path,
                "deployment.manual_approval_minutes",
                format!(
                    "{minutes} is outside 1 to {MAX_WAIT_MINUTES} minutes (2 days); leave out \
                     `manual_approval_minutes` to shift traffic without waiting"
                ),
            );
        }
    }
    for hook in &settings.hooks {
        if let Some(problem) = hook_problem(&hook.function) {
            check.error(
                path,
                &format!("deployment.hooks.{}", hook.event.name()),
                problem,
            );
        }
    }
    check_blue_green_alarms(check, path, stack, blue_green);
    if !settings.auto_rollback
        && blue_green.rollback_alarms.is_some()
        && settings.config.shifts_gradually()
    {
        check.error(
            path,
            "deployment.auto_rollback",
            format!(
                "off with `{}`, which shifts traffic in steps: a rollback alarm would stop a \
                 bad deployment with part of the traffic left on it; turn `auto_rollback` on, \
                 or opt out of rollback alarms by name with `without_rollback_alarms()`",
                settings.config.name()
            ),
        );
    } else if !settings.auto_rollback {
        check.warning(
            path,
            "deployment.auto_rollback",
            "off: a failed deployment leaves traffic where it stopped; turn it on unless \
             something else rolls back"
                .into(),
        );
    }
}

/// ECS-native blue/green arrived with hashicorp/aws 6.4.0 (`deployment_configuration.strategy`,
/// `load_balancer.advanced_configuration`; provider CHANGELOG 6.4.0, PR #43434).
const ECS_BLUE_GREEN_PROVIDER: &str = "hashicorp/aws 6.4";
/// `bakeTimeInMinutes`: 0 to 1440 (provider validation `IntBetween(0, 1440)`, PR #43434).
const MAX_BAKE_TIME_MINUTES: u32 = 1440;

/// ECS-native blue/green: the provider that can write it, the listener rule ECS switches, the
/// bake time and the Lambda hooks.
fn check_ecs(
    check: &mut Checker,
    path: &[String],
    stack: &Stack,
    blue_green: &BlueGreen,
    settings: &EcsBlueGreen,
) {
    if stack.provider_major < ProviderMajor::V6 {
        check.error(
            path,
            "deployment.controller",
            format!(
                "`Ecs` (ECS-native blue/green) is written with `deployment_configuration.strategy` \
                 and `load_balancer.advanced_configuration`, which need {ECS_BLUE_GREEN_PROVIDER} \
                 or later, but the stack is written for hashicorp/aws {}; allowed: \
                 `stack.aws_provider(ProviderMajor::V6)`, or the `CodeDeploy` controller",
                stack.provider_major.number()
            ),
        );
    }
    let on_application = stack
        .load_balancer(blue_green.traffic.load_balancer)
        .is_some_and(|load_balancer| load_balancer.kind == LoadBalancerKind::Application);
    if !matches!(blue_green.traffic.route, Route::Rule(_)) || !on_application {
        check.error(
            path,
            "traffic.route",
            "ECS-native blue/green moves traffic by rewriting a listener rule \
             (`advanced_configuration.production_listener_rule`: a rule of an application load \
             balancer, ECS API AdvancedConfiguration), and ecsynth writes one for a service \
             routed by a rule; allowed: `Traffic::rule` on an application load balancer (e.g. \
             `RuleMatch::path(\"/*\")` for every request), or the `CodeDeploy` controller"
                .into(),
        );
    }
    if settings.bake_time_minutes > MAX_BAKE_TIME_MINUTES {
        check.error(
            path,
            "deployment.bake_time_minutes",
            format!(
                "{} is more than ECS's {MAX_BAKE_TIME_MINUTES} minutes (1 day); allowed: 0 to \
                 {MAX_BAKE_TIME_MINUTES}",
                settings.bake_time_minutes
            ),
        );
    }
    for (n, hook) in settings.hooks.iter().enumerate() {
        if let Err(problem) = lambda_function_name(&hook.function_arn, true) {
            check.error(
                path,
                &format!("deployment.hooks[{n}].function_arn"),
                problem,
            );
        }
        if hook.stages.is_empty() {
            check.error(
                path,
                &format!("deployment.hooks[{n}].stages"),
                format!(
                    "empty: ECS requires at least one lifecycle stage per hook; allowed: {}",
                    quoted_list(LifecycleStage::ALL.map(LifecycleStage::name))
                ),
            );
        }
        for (index, stage) in hook.stages.iter().enumerate() {
            if hook.stages[..index].contains(stage) {
                check.error(
                    path,
                    &format!("deployment.hooks[{n}].stages"),
                    format!(
                        "`{}` is listed twice; ECS invokes a hook once per stage it names",
                        stage.name()
                    ),
                );
            }
        }
    }
    check_blue_green_alarms(check, path, stack, blue_green);
}
/// What the CodeDeploy role may invoke: its managed policy `AWSCodeDeployRoleForECSLimited` allows
/// `lambda:InvokeFunction` on `arn:aws:lambda:*:*:function:CodeDeployHook_*` only.
const HOOK_PREFIX: &str = "CodeDeployHook_";
/// Lambda `FunctionName`: 1 to 64 of `[a-zA-Z0-9-_]`.
const MAX_FUNCTION_NAME: usize = 64;

/// Why CodeDeploy could not invoke `function` as a lifecycle hook: it is a Lambda function
/// name, or an `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` ARN, and the
/// name starts with `CodeDeployHook_`.
fn hook_problem(function: &str) -> Option<String> {
    if function.is_empty() {
        return Some(format!(
            "the hook names no function; give a Lambda function named `{HOOK_PREFIX}…`"
        ));
    }
    let name = match lambda_function_name(function, false) {
        Ok(name) => name,
        Err(problem) => return Some(problem),
    };
    (!name.starts_with(HOOK_PREFIX)).then(|| {
        format!(
            "`{}` does not start with `{HOOK_PREFIX}`; the CodeDeploy role \
             (AWSCodeDeployRoleForECSLimited) may invoke only functions named `{HOOK_PREFIX}*`, so \
             the deployment would fail at this hook: rename the function",
            cut(name)
        )
    })
}

/// The function name in `function`: a Lambda function ARN
/// (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`) or, unless `arn_only`,
/// a bare function name; 1 to 64 of `[a-zA-Z0-9-_]` (Lambda API `FunctionName`).
/// ECS takes ARNs only (`hookTargetArn`, provider validation `verify.ValidARN`).
fn lambda_function_name(function: &str, arn_only: bool) -> Result<&str, String> {
    let example = if arn_only {
        "`arn:aws:lambda:<region>:<account>:function:<name>`"
    } else {
        "`arn:aws:lambda:<region>:<account>:function:CodeDeployHook_<name>` or the function \
         name alone"
    };
    let name = match function.strip_prefix("arn:") {
        None if !arn_only => function,
        None => {
            return Err(format!(
                "`{}` is not a Lambda function ARN; write {example}",
                cut(function)
            ))
        }
        Some(_) => {
            let parts: Vec<&str> = function.split(':').collect();
            match parts.as_slice() {
                ["arn", "aws", "lambda", region, account, "function", name, qualifier @ ..]
                    if KNOWN_REGIONS.contains(region)
                        && account.len() == 12
                        && account.bytes().all(|b| b.is_ascii_digit())
                        && qualifier.len() <= 1 =>
                {
                    *name
                }
                _ => {
                    return Err(format!(
                        "`{}` is not a Lambda function ARN of the `aws` partition; write \
                         {example}",
                        cut(function)
                    ))
                }
            }
        }
    };
    let length = name.chars().count();
    if length == 0
        || length > MAX_FUNCTION_NAME
        || name
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(format!(
            "`{}` is not a Lambda function name: 1 to {MAX_FUNCTION_NAME} of A-Z, a-z, 0-9, `-` \
             and `_`",
            cut(name)
        ));
    }
    Ok(name)
}

fn check_config(check: &mut Checker, path: &[String], config: &DeploymentConfig) {
    let DeploymentConfig::Custom(name) = config else {
        return;
    };
    let field = "deployment.config";
    if name.is_empty() {
        check.error(
            path,
            field,
            "the custom deployment configuration name is empty; give its name (1 to 100 \
             characters)"
                .into(),
        );
    } else if name.chars().count() > 100 {
        check.error(
            path,
            field,
            format!(
                "custom deployment configuration name `{}` is {} characters; CodeDeploy \
                 allows at most 100",
                cut(name),
                name.chars().count()
            ),
        );
    }
    // botocore 1.44.8 codedeploy/2014-10-06/service-2.json, `DeploymentConfigName`:
    // pattern `[A-Za-z0-9+=,.@_-]*`.
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
    {
        check.error(
            path,
            field,
            format!(
                "custom deployment configuration name `{}` contains {}; CodeDeploy allows \
                 A-Z, a-z, 0-9 and `+=,.@_-`",
                cut(&name.escape_debug().to_string()),
                super::provider::shown(bad)
            ),
        );
    }
    if name.starts_with("CodeDeployDefault.") && !PREDEFINED.contains(&name.as_str()) {
        check.error(
            path,
            field,
            format!(
                "`{name}` is not a predefined ECS configuration, and `CodeDeployDefault.` is \
                 reserved for those; predefined ECS configurations: {}",
                quoted_list(PREDEFINED)
            ),
        );
    }
}

/// CodeDeploy shifts traffic on a network load balancer all at once only; linear and canary
/// configurations need an application load balancer. A custom configuration's type is not
/// known here and is not checked.
fn check_network_load_balancer(
    check: &mut Checker,
    path: &[String],
    stack: &Stack,
    blue_green: &BlueGreen,
    settings: &CodeDeploy,
) {
    let shifts_gradually = settings.config.shifts_gradually();
    let Some(load_balancer) = stack.load_balancer(blue_green.traffic.load_balancer) else {
        return;
    };
    if shifts_gradually && load_balancer.kind == LoadBalancerKind::Network {
        check.error(
            path,
            "deployment.config",
            format!(
                "`{}` shifts traffic gradually, but CodeDeploy supports only \
                 `CodeDeployDefault.ECSAllAtOnce` behind a network load balancer (`{}`); use \
                 `DeploymentConfig::AllAtOnce` or an application load balancer",
                settings.config.name(),
                load_balancer.name
            ),
        );
    }
}

/// ECS: `minimumHealthyPercent` 0 to 100, `maximumPercent` above it so a deployment can move;
/// with both at 100 ECS can neither start nor stop a task.
fn check_rolling(check: &mut Checker, stack: &Stack, service: &Service, rolling: &Rolling) {
    let path = service_path(service);
    if let Some(alarms) = &rolling.rollback_alarms {
        let kind = match &rolling.exposure {
            Exposure::LoadBalancer(traffic) => stack
                .load_balancer(traffic.load_balancer)
                .map(|load_balancer| Some(load_balancer.kind)),
            // Classic ELB: no TargetResponseTime either.
            Exposure::Classic(_) => Some(None),
            Exposure::None => None,
        };
        if let Some(kind) = kind {
            check_rollback_alarms(check, &path, alarms, kind);
        }
    }
    if rolling.minimum_healthy_percent > 100 {
        check.error(
            &path,
            "deployment.minimum_healthy_percent",
            format!(
                "{} is above 100; allowed: 0 to 100",
                rolling.minimum_healthy_percent
            ),
        );
    }
    if rolling.maximum_percent < 100 {
        check.error(
            &path,
            "deployment.maximum_percent",
            format!(
                "{} is below 100; ECS would run fewer tasks than desired while nothing deploys",
                rolling.maximum_percent
            ),
        );
    } else if rolling.maximum_percent <= rolling.minimum_healthy_percent {
        check.error(
            &path,
            "deployment.maximum_percent",
            format!(
                "{} is not above the minimum healthy {}; ECS could neither start a new task \
                 nor stop an old one. `Rolling::stop_before_start` gives 0 and 100",
                rolling.maximum_percent, rolling.minimum_healthy_percent
            ),
        );
    }
}

/// CloudWatch API PutMetricAlarm: `EvaluationPeriods` ≥ 1, and evaluation periods × period
/// at most one day (86,400 s; every rollback alarm has a 60 s period); `Threshold` a number.
/// `TargetResponseTime` is published by application load balancers only (CloudWatch metrics
/// for your Application / Network / Classic Load Balancer). `kind` is `None` for a classic ELB.
fn check_rollback_alarms(
    check: &mut Checker,
    path: &[String],
    alarms: &RollbackAlarms,
    kind: Option<LoadBalancerKind>,
) {
    const MAX_MINUTES: u32 = 1440;
    let mut minutes = vec![(
        "deployment.rollback_alarms.unhealthy_minutes",
        alarms.unhealthy_minutes,
    )];
    if alarms.response_time_p99_seconds.is_some() {
        minutes.push((
            "deployment.rollback_alarms.latency_minutes",
            alarms.latency_minutes,
        ));
    }
    for (field, value) in minutes {
        if !(1..=MAX_MINUTES).contains(&value) {
            check.error(
                path,
                field,
                format!(
                    "{value} is outside 1 to {MAX_MINUTES} minutes; CloudWatch evaluates an \
                     alarm over at most one day"
                ),
            );
        }
    }
    if alarms.errors_per_minute == 0 {
        check.error(
            path,
            "deployment.rollback_alarms.errors_per_minute",
            "0 fires on every minute, with or without errors; allowed: 1 or more".into(),
        );
    }
    let Some(seconds) = alarms.response_time_p99_seconds else {
        return;
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        check.error(
            path,
            "deployment.rollback_alarms.response_time_p99_seconds",
            format!("{seconds} is not a positive number of seconds"),
        );
    }
    if kind != Some(LoadBalancerKind::Application) {
        let what = match kind {
            Some(LoadBalancerKind::Network) => "a network load balancer",
            _ => "a classic load balancer",
        };
        check.error(
            path,
            "deployment.rollback_alarms.response_time_p99_seconds",
            format!(
                "set, but {what} publishes no `TargetResponseTime` (application load balancers \
                 only); remove it"
            ),
        );
    }
}
