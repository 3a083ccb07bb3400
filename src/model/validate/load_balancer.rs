//! Load balancers: listener protocols for the kind, certificates, ports, and an
//! internet-facing listener without TLS.

use super::{load_balancer_path, plain_list, Checker};
use crate::model::load_balancer::{Listener, LoadBalancer, LoadBalancerKind, Protocol, Scheme};

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
