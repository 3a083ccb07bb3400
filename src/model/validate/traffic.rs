//! How a load balancer reaches a service: the load balancer, container and port it names, and
//! the target groups' health check.

use super::load_balancer::kind_phrase;
use super::{quoted_list, service_path, Checker};
use crate::model::load_balancer::{LoadBalancerKind, TargetHealthCheck};
use crate::model::service::Service;
use crate::model::stack::Stack;

pub(super) fn check(check: &mut Checker, stack: &Stack, service: &Service) {
    let path = service_path(service);
    let Some(traffic) = &service.traffic else {
        if service.is_blue_green() {
            check.error(
                &path,
                "deployment",
                "blue/green needs load balancer traffic to shift; add `traffic` or use \
                 `Deployment::Rolling`"
                    .into(),
            );
        }
        return;
    };
    match stack.load_balancer(traffic.load_balancer) {
        None => check.error(
            &path,
            "traffic.load_balancer",
            "refers to a load balancer that was not added to this stack".into(),
        ),
        Some(load_balancer) => {
            if let Some(owner) = stack
                .services_behind(traffic.load_balancer)
                .next()
                .filter(|first| first.name != service.name)
            {
                check.error(
                    &path,
                    "traffic.load_balancer",
                    format!(
                        "the load balancer's listeners already forward to service `{}`; \
                         give this service a load balancer of its own",
                        owner.name
                    ),
                );
            }
            check_health_check(check, &path, load_balancer.kind, &traffic.health_check);
        }
    }
    let container = service
        .containers
        .iter()
        .find(|container| container.name == traffic.container);
    match container {
        None => {
            check.error(
                &path,
                "traffic.container",
                format!(
                    "`{}` is not a container of this service; containers: {}",
                    traffic.container,
                    quoted_list(service.containers.iter().map(|c| &c.name))
                ),
            );
        }
        Some(container)
            if !container
                .ports
                .iter()
                .any(|port| port.container_port == traffic.container_port) =>
        {
            let ports: Vec<String> = container
                .ports
                .iter()
                .map(|p| p.container_port.to_string())
                .collect();
            check.error(
                &path,
                "traffic.container_port",
                format!(
                    "{} is not a port of container `{}`; its ports: {}",
                    traffic.container_port,
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
            check_matcher(check, path, kind, &health.matcher);
        }
    }
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
