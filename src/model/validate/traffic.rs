//! How a load balancer reaches a service: the load balancer, container and port it names, and
//! the target groups' health check.

use super::load_balancer::kind_phrase;
use super::provider::shown;
use super::Coverage::{ByConstruction, Checked};
use super::{cut, plain_list, quoted_list, row, rules, service_path, Checker, Constraint};
use crate::model::compute::NetworkMode;
use crate::model::load_balancer::{LoadBalancer, LoadBalancerKind, TargetHealthCheck};
use crate::model::service::Service;
use crate::model::stack::Stack;
use crate::model::traffic::{ClassicTraffic, ContainerPort, Route, Traffic};

const TG: &str = "aws_lb_target_group";
const TG_API: &str = "ELBv2 API CreateTargetGroup; provider validation";

pub(super) const CATALOGUE: &[Constraint] = &[
    row(TG, "name", "≤ 32 of A-Za-z0-9-, no edge `-`", TG_API, Checked("name (see names)")),
    row(TG, "port", "1–65535", TG_API, Checked("traffic.target (a checked container port)")),
    row(TG, "protocol", "HTTP for ALB, TCP for NLB", TG_API, ByConstruction("from the load balancer kind")),
    row(TG, "target_type", "ip (awsvpc) or instance", TG_API, ByConstruction("from the network mode")),
    row(TG, "vpc_id", "VPC id", TG_API, ByConstruction("the stack's VPC input")),
    row(TG, "deregistration_delay", "0–3600 s", "ELBv2 API TargetGroupAttribute deregistration_delay.timeout_seconds; provider validation", Checked("traffic.deregistration_delay")),
    row(TG, "health_check", "thresholds 2–10; interval 5–300 s; timeout 2–120 s and < interval; path starts with `/`, 1–1024 of A-Za-z0-9 and `-@:%_+.~#?&/=`, required for HTTP; matcher codes 200–499 (ALB) or 200–599 (NLB)", TG_API, Checked("traffic.health_check")),
];

/// ELBv2 `deregistration_delay.timeout_seconds`.
const MAX_DEREGISTRATION_DELAY: u32 = 3600;

pub(super) fn check(check: &mut Checker, stack: &Stack, service: &Service) {
    let path = service_path(service);
    if let Some(traffic) = service.traffic() {
        if traffic.deregistration_delay > MAX_DEREGISTRATION_DELAY {
            check.error(
                &path,
                "traffic.deregistration_delay",
                format!(
                    "{} s is outside the target group range 0 to {MAX_DEREGISTRATION_DELAY} \
                     seconds",
                    traffic.deregistration_delay
                ),
            );
        }
        match stack.load_balancer(traffic.load_balancer) {
            None => check.error(
                &path,
                "traffic.load_balancer",
                "refers to a load balancer that was not added to this stack".into(),
            ),
            Some(load_balancer) => {
                check_route(check, &path, stack, service, traffic, load_balancer);
                check_health_check(check, &path, load_balancer.kind, &traffic.health_check);
            }
        }
        check_target(check, &path, service, &traffic.target);
    }
    if let Some(classic) = service.classic_traffic() {
        check_classic(check, &path, stack, service, classic);
        check_target(check, &path, service, &classic.target);
    }
}

/// One service owns a load balancer's listeners, or every service behind it has a rule.
fn check_route(
    check: &mut Checker,
    path: &[String],
    stack: &Stack,
    service: &Service,
    traffic: &Traffic,
    load_balancer: &LoadBalancer,
) {
    match &traffic.route {
        Route::Listeners => {
            let earlier = stack
                .services_behind(traffic.load_balancer)
                .take_while(|other| !std::ptr::eq(*other, service))
                .next();
            if let Some(other) = earlier {
                check.error(
                    path,
                    "traffic.route",
                    format!(
                        "the listeners of load balancer `{}` already carry service `{}`; give \
                         this service a load balancer of its own, or route both by listener \
                         rules (`Traffic::rule`) on a shared application load balancer",
                        load_balancer.name, other.name
                    ),
                );
            }
        }
        Route::Rule(rule) => {
            if load_balancer.kind != LoadBalancerKind::Application {
                check.error(
                    path,
                    "traffic.route",
                    format!(
                        "listener rules need an application load balancer; `{}` is {}; use \
                         `Traffic::listeners` to give the service the whole load balancer",
                        load_balancer.name,
                        kind_phrase(load_balancer.kind)
                    ),
                );
            }
            if let Some(owner) = stack
                .services_behind(traffic.load_balancer)
                .find(|other| matches!(other.traffic().map(|t| &t.route), Some(Route::Listeners)))
            {
                check.error(
                    path,
                    "traffic.route",
                    format!(
                        "service `{}` takes every request of load balancer `{}` through its \
                         listeners; give it a rule as well, or give this service another load \
                         balancer",
                        owner.name, load_balancer.name
                    ),
                );
            }
            rules::check_rule(check, path, stack, service, traffic, rule);
        }
    }
}

/// The target is a port of a container of this service.
fn check_target(check: &mut Checker, path: &[String], service: &Service, target: &ContainerPort) {
    let container = service
        .containers
        .iter()
        .find(|container| container.name == target.container);
    match container {
        None => {
            check.error(
                path,
                "traffic.target",
                format!(
                    "container `{}` is not a container of this service; containers: {}",
                    target.container,
                    quoted_list(service.containers.iter().map(|c| &c.name))
                ),
            );
        }
        Some(container)
            if !container
                .ports
                .iter()
                .any(|port| port.container_port == target.port) =>
        {
            let ports: Vec<String> = container
                .ports
                .iter()
                .map(|p| p.container_port.to_string())
                .collect();
            check.error(
                path,
                "traffic.target",
                format!(
                    "{} is not a port of container `{}`; its ports: {}",
                    target.port,
                    container.name,
                    if ports.is_empty() {
                        "none".to_owned()
                    } else {
                        ports.join(", ")
                    }
                ),
            );
        }
        Some(_) => {}
    }
}

/// A classic ELB registers instances on fixed ports: the tasks run on EC2 with bridge or host
/// networking, and one of its listeners sends to the target's port.
fn check_classic(
    check: &mut Checker,
    path: &[String],
    stack: &Stack,
    service: &Service,
    classic: &ClassicTraffic,
) {
    let Some(elb) = stack.classic_load_balancer(classic.load_balancer) else {
        check.error(
            path,
            "traffic.load_balancer",
            "refers to a classic load balancer that was not added to this stack".into(),
        );
        return;
    };
    match service.compute.network_mode() {
        NetworkMode::Bridge | NetworkMode::Host => {}
        NetworkMode::Awsvpc => check.error(
            path,
            "compute",
            format!(
                "classic load balancer `{}` registers instances and cannot reach tasks with \
                 {}; run the service on EC2 with `NetworkMode::Bridge` or `NetworkMode::Host`",
                elb.name,
                if service.compute.is_fargate() {
                    "Fargate networking (awsvpc)"
                } else {
                    "awsvpc networking"
                }
            ),
        ),
    }
    if !elb
        .listeners
        .iter()
        .any(|listener| listener.instance_port == classic.target.port)
    {
        check.error(
            path,
            "traffic.target",
            format!(
                "no listener of classic load balancer `{}` sends to port {}; its instance \
                 ports: {}",
                elb.name,
                classic.target.port,
                plain_list(elb.listeners.iter().map(|l| l.instance_port))
            ),
        );
    }
    // Compared with the services before this one, so the clash is reported once.
    if let Some(other) = stack
        .services()
        .iter()
        .take_while(|other| !std::ptr::eq(*other, service))
        .find(|other| {
            other.classic_traffic().map(|t| t.load_balancer) == Some(classic.load_balancer)
        })
    {
        check.error(
            path,
            "traffic.load_balancer",
            format!(
                "classic load balancer `{}` already sends to service `{}`; a classic ELB \
                 serves one service",
                elb.name, other.name
            ),
        );
    }
}

/// Elastic Load Balancing's target group health check limits.
fn check_health_check(
    check: &mut Checker,
    path: &[String],
    kind: LoadBalancerKind,
    health: &TargetHealthCheck,
) {
    let field = |name: &str| format!("traffic.health_check.{name}");
    for (name, value) in [
        ("healthy_threshold", health.healthy_threshold),
        ("unhealthy_threshold", health.unhealthy_threshold),
    ] {
        if !(2..=10).contains(&value) {
            check.error(
                path,
                &field(name),
                format!("{value} is outside the allowed range 2 to 10 checks"),
            );
        }
    }
    if !(5..=300).contains(&health.interval) {
        check.error(
            path,
            &field("interval"),
            format!(
                "{} s is outside the allowed range 5 to 300 seconds",
                health.interval
            ),
        );
    }
    if !(2..=120).contains(&health.timeout) {
        check.error(
            path,
            &field("timeout"),
            format!(
                "{} s is outside the allowed range 2 to 120 seconds",
                health.timeout
            ),
        );
    } else if health.timeout >= health.interval {
        check.error(
            path,
            &field("timeout"),
            format!(
                "{} s is not shorter than the interval ({} s); a check must time out before \
                 the next one starts",
                health.timeout, health.interval
            ),
        );
    }
    match &health.path {
        None if kind == LoadBalancerKind::Application => check.error(
            path,
            &field("path"),
            "an application load balancer checks targets over HTTP and needs a path; use \
             `TargetHealthCheck::http(\"/health\")`"
                .into(),
        ),
        None => {}
        Some(check_path) => {
            if !check_path.starts_with('/') {
                check.error(
                    path,
                    &field("path"),
                    format!("`{check_path}` does not start with `/`; e.g. `/{check_path}`"),
                );
            }
            let length = check_path.chars().count();
            if length > MAX_HEALTH_CHECK_PATH {
                check.error(
                    path,
                    &field("path"),
                    format!(
                        "`{}` is {length} characters; a target group health check path has at \
                         most {MAX_HEALTH_CHECK_PATH}",
                        cut(check_path)
                    ),
                );
            }
            if let Some(bad) = check_path
                .chars()
                .find(|c| !health_check_path_character(*c))
            {
                check.error(
                    path,
                    &field("path"),
                    format!(
                        "`{}` contains {}; a health check path allows A-Z, a-z, 0-9 and \
                         `-@:%_+.~#?&/=` (percent-encode other characters)",
                        cut(check_path),
                        shown(bad)
                    ),
                );
            }
            check_matcher(check, path, kind, &health.matcher);
        }
    }
}

/// ELBv2 `HealthCheckPath` (botocore `Path`): 1 to 1024 characters.
const MAX_HEALTH_CHECK_PATH: usize = 1024;

/// What ELB accepts in a health check path: "can only consist of the characters: a-z, A-Z,
/// 0-9, and @:%_+.~#?&/=" (its CreateTargetGroup validation message), and `-`.
fn health_check_path_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-@:%_+.~#?&/=".contains(c)
}

/// `200`, `200,302` or `200-399`, within the codes the load balancer kind accepts.
fn check_matcher(check: &mut Checker, path: &[String], kind: LoadBalancerKind, matcher: &str) {
    let (low, high) = match kind {
        LoadBalancerKind::Application => (200, 499),
        LoadBalancerKind::Network => (200, 599),
    };
    let field = "traffic.health_check.matcher";
    let codes: Option<Vec<u32>> = if let Some((from, to)) = matcher.split_once('-') {
        match (code(from), code(to)) {
            (Some(from), Some(to)) if from < to => Some(vec![from, to]),
            _ => None,
        }
    } else {
        matcher.split(',').map(code).collect()
    };
    match codes {
        None => check.error(
            path,
            field,
            format!(
                "`{matcher}` is not a list of HTTP codes; write one code (`200`), several \
                 (`200,302`) or a range (`200-399`)"
            ),
        ),
        Some(codes) => {
            if let Some(outside) = codes.iter().find(|c| !(low..=high).contains(*c)) {
                check.error(
                    path,
                    field,
                    format!(
                        "`{matcher}` includes {outside}; {} accepts codes {low} to {high}",
                        kind_phrase(kind)
                    ),
                );
            }
        }
    }
}

/// A three-digit HTTP status code.
fn code(text: &str) -> Option<u32> {
    (text.len() == 3 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}
