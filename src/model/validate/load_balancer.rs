//! Load balancers: listener protocols for the kind, certificates, ports, and an
//! internet-facing listener without TLS.

use super::{load_balancer_path, plain_list, Checker};
use crate::model::load_balancer::{
    ClassicLoadBalancer, ClassicProtocol, Listener, LoadBalancer, LoadBalancerKind, Protocol,
    Scheme,
};

const ALB_PROTOCOLS: &[Protocol] = &[Protocol::Http, Protocol::Https];
const NLB_PROTOCOLS: &[Protocol] = &[
    Protocol::Tcp,
    Protocol::Tls,
    Protocol::Udp,
    Protocol::TcpUdp,
];

pub(super) fn check(check: &mut Checker, load_balancer: &LoadBalancer) {
    let path = load_balancer_path(load_balancer);
    check_listener(
        check,
        &path,
        load_balancer.kind,
        "prod_listener",
        &load_balancer.prod_listener,
    );
    if let Some(test) = &load_balancer.test_listener {
        check_listener(check, &path, load_balancer.kind, "test_listener", test);
        if test.port == load_balancer.prod_listener.port {
            check.error(
                &path,
                "test_listener.port",
                format!(
                    "{} is also the prod listener's port; CodeDeploy needs the test listener \
                     on a different port",
                    test.port
                ),
            );
        }
    }
    let prod = &load_balancer.prod_listener;
    if load_balancer.scheme == Scheme::InternetFacing && !prod.protocol.terminates_tls() {
        let fix = match load_balancer.kind {
            LoadBalancerKind::Application => "`Listener::https(port, certificate_arn)`",
            LoadBalancerKind::Network => "`Listener::tls(port, certificate_arn)`",
        };
        check.warning(
            &path,
            "prod_listener.protocol",
            format!(
                "internet-facing load balancer serves {} without TLS; use {fix}, or make it \
                 `.internal()`",
                prod.protocol.name()
            ),
        );
    }
}

fn check_listener(
    check: &mut Checker,
    path: &[String],
    kind: LoadBalancerKind,
    field: &str,
    listener: &Listener,
) {
    if listener.port == 0 {
        check.error(
            path,
            &format!("{field}.port"),
            "0 is not a listener port; allowed: 1 to 65535".into(),
        );
    }
    let allowed = match kind {
        LoadBalancerKind::Application => ALB_PROTOCOLS,
        LoadBalancerKind::Network => NLB_PROTOCOLS,
    };
    if !allowed.contains(&listener.protocol) {
        check.error(
            path,
            &format!("{field}.protocol"),
            format!(
                "{} is not a listener protocol of {}; allowed: {}",
                listener.protocol.name(),
                kind_phrase(kind),
                plain_list(allowed.iter().map(|p| p.name()))
            ),
        );
    } else if matches!(listener.protocol, Protocol::Udp | Protocol::TcpUdp) {
        // AWS only forwards UDP to UDP or TCP_UDP target groups; the blue and green target
        // groups of a network load balancer are TCP.
        check.error(
            path,
            &format!("{field}.protocol"),
            format!(
                "{} listeners need UDP target groups, and the blue/green target groups are TCP; \
                 use TCP or TLS",
                listener.protocol.name()
            ),
        );
    }
    let has_certificate = listener
        .certificate_arn
        .as_deref()
        .is_some_and(|arn| !arn.is_empty());
    if listener.protocol.terminates_tls() && !has_certificate {
        let constructor = match listener.protocol {
            Protocol::Tls => "Listener::tls",
            _ => "Listener::https",
        };
        check.error(
            path,
            &format!("{field}.certificate_arn"),
            format!(
                "{} listeners need an ACM certificate; use `{constructor}(port, \
                 certificate_arn)`",
                listener.protocol.name()
            ),
        );
    }
}

/// "an application load balancer", "a network load balancer".
pub(super) fn kind_phrase(kind: LoadBalancerKind) -> &'static str {
    match kind {
        LoadBalancerKind::Application => "an application load balancer",
        LoadBalancerKind::Network => "a network load balancer",
    }
}

/// Classic ELB: "LoadBalancerPort: 25, 80, 443, 465, 587, or 1024 to 65535" (ELB API
/// reference, Listener); health check interval 5–300 s, timeout 2–60 s and below the interval,
/// thresholds 2–10; idle timeout 1–4000 s; connection draining 1–3600 s.
pub(super) fn check_classic(check: &mut Checker, elb: &ClassicLoadBalancer) {
    let path = vec![format!("classic load balancer `{}`", elb.name)];
    if elb.listeners.is_empty() {
        check.error(
            &path,
            "listeners",
            "a classic load balancer needs at least one listener".into(),
        );
    }
    let mut ports = Vec::new();
    for listener in &elb.listeners {
        let port = listener.port;
        let allowed = matches!(port, 25 | 80 | 443 | 465 | 587) || port >= 1024;
        if !allowed {
            check.error(
                &path,
                &format!("listeners.{port}"),
                format!(
                    "{port} is not a port a classic ELB listens on; allowed: 25, 80, 443, 465, \
                     587, 1024 to 65535"
                ),
            );
        }
        if listener.instance_port == 0 {
            check.error(
                &path,
                &format!("listeners.{port}.instance_port"),
                "0 is not an instance port; allowed: 1 to 65535".into(),
            );
        }
        if ports.contains(&port) {
            check.error(
                &path,
                &format!("listeners.{port}"),
                format!("{port} has two listeners; each port takes one"),
            );
        }
        ports.push(port);
        let has_certificate = listener
            .certificate_arn
            .as_deref()
            .is_some_and(|arn| !arn.is_empty());
        if listener.protocol.terminates_tls() && !has_certificate {
            let constructor = match listener.protocol {
                ClassicProtocol::Ssl => "ssl",
                _ => "https",
            };
            check.error(
                &path,
                &format!("listeners.{port}.certificate_arn"),
                format!(
                    "{} listeners need a certificate; use `ClassicListener::{constructor}(port, \
                     instance_port, certificate_arn)`",
                    listener.protocol.name()
                ),
            );
        }
    }
    let health = &elb.health_check;
    let target_ok = health
        .target
        .split_once(':')
        .is_some_and(|(protocol, rest)| {
            let (port, path) = match rest.split_once('/') {
                Some((port, _)) => (port, true),
                None => (rest, false),
            };
            let port_ok = port.parse::<u16>().is_ok_and(|port| port > 0);
            match protocol {
                "HTTP" | "HTTPS" => port_ok && path,
                "TCP" | "SSL" => port_ok && !path,
                _ => false,
            }
        });
    if !target_ok {
        check.error(
            &path,
            "health_check.target",
            format!(
                "`{}` is not a health check target; write `HTTP:8080/login`, `HTTPS:443/path`, \
                 `TCP:50000` or `SSL:443`",
                health.target
            ),
        );
    }
    for (field, value, range) in [
        ("health_check.interval", health.interval, 5..=300),
        ("health_check.timeout", health.timeout, 2..=60),
        (
            "health_check.healthy_threshold",
            health.healthy_threshold,
            2..=10,
        ),
        (
            "health_check.unhealthy_threshold",
            health.unhealthy_threshold,
            2..=10,
        ),
        ("idle_timeout", elb.idle_timeout, 1..=4000),
        (
            "connection_draining_seconds",
            elb.connection_draining_seconds,
            1..=3600,
        ),
    ] {
        if !range.contains(&value) {
            check.error(
                &path,
                field,
                format!(
                    "{value} is outside the allowed range {} to {}",
                    range.start(),
                    range.end()
                ),
            );
        }
    }
    let ranges_hold = (5..=300).contains(&health.interval) && (2..=60).contains(&health.timeout);
    if ranges_hold && health.timeout >= health.interval {
        check.error(
            &path,
            "health_check.timeout",
            format!(
                "{} s is not shorter than the interval ({} s); a check must time out before the \
                 next one starts",
                health.timeout, health.interval
            ),
        );
    }
}
