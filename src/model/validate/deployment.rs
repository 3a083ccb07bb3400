//! CodeDeploy blue/green: the deployment configuration, its fit with the load balancer kind,
//! wait times, and rollback.
//!
//! CodeDeploy ECS deployment groups take ALB or NLB only, with exactly two target groups;
//! lowering builds exactly that, so those rules hold by construction and are not checked here.

use super::{quoted_list, service_path, Checker};
use crate::model::deployment::{BlueGreen, Deployment, DeploymentConfig, Rolling};
use crate::model::load_balancer::LoadBalancerKind;
use crate::model::service::Service;
use crate::model::stack::Stack;

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

pub(super) fn check(check: &mut Checker, stack: &Stack, service: &Service) {
    let blue_green = match &service.deployment {
        Deployment::BlueGreen(blue_green) => blue_green,
        Deployment::Rolling(rolling) => return check_rolling(check, service, rolling),
    };
    let path = service_path(service);
    check_config(check, &path, &blue_green.config);
    check_network_load_balancer(check, &path, stack, blue_green);
    if blue_green.termination_wait_minutes > MAX_WAIT_MINUTES {
        check.error(
            &path,
            "deployment.termination_wait_minutes",
            format!(
                "{} is more than CodeDeploy's {MAX_WAIT_MINUTES} minutes (2 days); allowed: 0 \
                 to {MAX_WAIT_MINUTES}",
                blue_green.termination_wait_minutes
            ),
        );
    }
    if let Some(minutes) = blue_green.manual_approval_minutes {
        if !(1..=MAX_WAIT_MINUTES).contains(&minutes) {
            check.error(
                &path,
                "deployment.manual_approval_minutes",
                format!(
                    "{minutes} is outside 1 to {MAX_WAIT_MINUTES} minutes (2 days); use `None` \
                     to shift traffic without waiting"
                ),
            );
        }
    }
    if !blue_green.auto_rollback {
        check.warning(
            &path,
            "deployment.auto_rollback",
            "off: a failed deployment leaves traffic where it stopped; turn it on unless \
             something else rolls back"
                .into(),
        );
    }
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
                "custom deployment configuration name `{name}` is {} characters; CodeDeploy \
                 allows at most 100",
                name.chars().count()
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
) {
    let shifts_gradually = matches!(
        blue_green.config,
        DeploymentConfig::Linear10PercentEvery1Minutes
            | DeploymentConfig::Linear10PercentEvery3Minutes
            | DeploymentConfig::Canary10Percent5Minutes
            | DeploymentConfig::Canary10Percent15Minutes
    );
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
                blue_green.config.name(),
                load_balancer.name
            ),
        );
    }
}

/// ECS: `minimumHealthyPercent` 0 to 100, `maximumPercent` above it so a deployment can move;
/// with both at 100 ECS can neither start nor stop a task.
fn check_rolling(check: &mut Checker, service: &Service, rolling: &Rolling) {
    let path = service_path(service);
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
