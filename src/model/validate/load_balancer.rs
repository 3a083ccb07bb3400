//! Load balancers: listener protocols for the kind, certificates, ports, and an
//! internet-facing listener without TLS.

use super::Coverage::{ByConstruction, Checked, NotChecked};
use super::{cut, load_balancer_path, plain_list, row, Checker, Constraint};
use crate::model::load_balancer::{
    ClassicHealthCheck, ClassicListener, ClassicLoadBalancer, ClassicProtocol, Listener,
    LoadBalancer, LoadBalancerKind, Protocol, Scheme,
};

const ALB_PROTOCOLS: &[Protocol] = &[Protocol::Http, Protocol::Https];
const NLB_PROTOCOLS: &[Protocol] = &[
    Protocol::Tcp,
    Protocol::Tls,
    Protocol::Udp,
    Protocol::TcpUdp,
];

const ELB_API: &str = "ELBv2 API";

pub(super) const CATALOGUE: &[Constraint] = &[
    row("aws_lb", "name", "≤ 32 of A-Za-z0-9-, no edge `-`, not `internal-…`", "ELBv2 API CreateLoadBalancer; provider validation", Checked("name (see names)")),
    row("aws_lb", "load_balancer_type", "enum application, network", ELB_API, ByConstruction("from `LoadBalancerKind`")),
    row("aws_lb", "internal", "boolean", ELB_API, ByConstruction("from `Scheme`")),
    row("aws_lb", "subnets", "ALB: at least two Availability Zones", ELB_API, Checked("network.load_balancer_subnet_ids (values only; variables are checked by AWS at plan)")),
    row("aws_lb", "security_groups", "security group ids", ELB_API, ByConstruction("reference to the group lowering creates")),
    row("aws_lb", "drop_invalid_header_fields", "boolean, ALB only", ELB_API, ByConstruction("written for ALBs only")),
    row("aws_lb", "enable_cross_zone_load_balancing", "boolean", ELB_API, ByConstruction("constant")),
    row("aws_lb", "enable_deletion_protection", "boolean", ELB_API, ByConstruction("a bool")),
    row("aws_lb_listener", "port", "1–65535; test ≠ prod", "ELBv2 API CreateListener; provider IsPortNumber", Checked("prod_listener.port, test_listener.port, redirect port")),
    row("aws_lb_listener", "protocol", "ALB: HTTP, HTTPS; NLB: TCP, TLS (UDP needs UDP target groups)", "ELBv2 API CreateListener", Checked("prod_listener.protocol, test_listener.protocol")),
    row("aws_lb_listener", "certificate_arn", "required for HTTPS/TLS, none on HTTP/TCP; an ARN (provider ValidARN): `arn:aws:acm:<region>:<account>:certificate/<id>` in the load balancer's region, or `arn:aws:iam::<account>:server-certificate/<name>`", "ELBv2 API Certificate; ACM User Guide (certificates are regional); provider validation", Checked("…_listener.certificate_arn")),
    row("aws_lb_listener", "ssl_policy", "a predefined `ELBSecurityPolicy-…` policy", "ELB User Guide, Security policies", Checked("…_listener.ssl_policy (prefix only; the list of predefined policies grows, so names are not matched against it)")),
    row("aws_lb_listener", "default_action", "forward to a target group, fixed 404, or redirect", ELB_API, ByConstruction("written by lowering")),
    row("aws_lb_listener", "load_balancer_arn", "ARN", ELB_API, ByConstruction("reference")),
    row("aws_vpc_security_group_ingress_rule", "cidr_ipv4", "an IPv4 CIDR that is a network address (host bits zero); each CIDR once per port of a group", "provider validation (ValidIPv4CIDRNetworkAddress); EC2 API IpRange; EC2 error InvalidPermission.Duplicate", Checked("allowed_cidrs, test_listener_cidrs")),
    row("aws_vpc_security_group_ingress_rule", "from_port", "0–65535 for tcp/udp", "EC2 API IpPermission", ByConstruction("checked listener and container ports")),
    row("aws_vpc_security_group_ingress_rule", "to_port", "0–65535 for tcp/udp", "EC2 API IpPermission", ByConstruction("checked listener and container ports")),
    row("aws_vpc_security_group_ingress_rule", "ip_protocol", "tcp, udp, icmp, -1", "EC2 API IpPermission", ByConstruction("constant")),
    row("aws_vpc_security_group_ingress_rule", "description", "≤ 255 of a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*", "EC2 API IpRange.Description", ByConstruction("fixed text with checked names")),
    row("aws_vpc_security_group_ingress_rule", "referenced_security_group_id", "security group id", "EC2 API", ByConstruction("reference")),
    row("aws_vpc_security_group_ingress_rule", "security_group_id", "security group id", "EC2 API", ByConstruction("reference")),
    row("aws_vpc_security_group_egress_rule", "cidr_ipv4", "IPv4 network address", "provider validation", ByConstruction("constant `0.0.0.0/0`")),
    row("aws_vpc_security_group_egress_rule", "from_port", "0–65535", "EC2 API", ByConstruction("checked ports")),
    row("aws_vpc_security_group_egress_rule", "to_port", "0–65535", "EC2 API", ByConstruction("checked ports")),
    row("aws_vpc_security_group_egress_rule", "ip_protocol", "tcp, udp, -1", "EC2 API", ByConstruction("constant")),
    row("aws_vpc_security_group_egress_rule", "description", "≤ 255, EC2's characters", "EC2 API", ByConstruction("fixed text with checked names")),
    row("aws_vpc_security_group_egress_rule", "referenced_security_group_id", "security group id", "EC2 API", ByConstruction("reference")),
    row("aws_vpc_security_group_egress_rule", "security_group_id", "security group id", "EC2 API", ByConstruction("reference")),
    row("aws_elb", "name", "≤ 32 of A-Za-z0-9-, no edge `-`", "ELB API CreateLoadBalancer; provider validation", Checked("name (see names)")),
    row("aws_elb", "listener", "lb_port 25, 80, 443, 465, 587, 1024–65535; instance_port 1–65535; HTTPS/SSL need a certificate ARN (provider ValidARN); HTTP only with `plain_http_because` (ecsynth's rule: clear text)", "ELB API Listener", Checked("listeners")),
    row("aws_load_balancer_policy", "load_balancer_name", "the ELB's name", "ELB API CreateLoadBalancerPolicy", ByConstruction("reference")),
    row("aws_load_balancer_policy", "policy_name", "1–255 of A-Za-z0-9-, unique per ELB", "ELB API CreateLoadBalancerPolicy", ByConstruction("constant `tls-1-2-2017-01`")),
    row("aws_load_balancer_policy", "policy_type_name", "a policy type of DescribeLoadBalancerPolicyTypes", "ELB API CreateLoadBalancerPolicy", ByConstruction("constant `SSLNegotiationPolicyType`")),
    row("aws_load_balancer_policy", "policy_attribute", "`Reference-Security-Policy` = a predefined policy", "ELB Classic User Guide, Predefined SSL security policies", ByConstruction("constant `ELBSecurityPolicy-TLS-1-2-2017-01`")),
    row("aws_load_balancer_listener_policy", "load_balancer_name", "the ELB's name", "ELB API SetLoadBalancerPoliciesOfListener", ByConstruction("reference")),
    row("aws_load_balancer_listener_policy", "load_balancer_port", "an HTTPS or SSL listener's port", "ELB API SetLoadBalancerPoliciesOfListener", ByConstruction("each checked HTTPS/SSL listener port")),
    row("aws_load_balancer_listener_policy", "policy_names", "policies of the ELB", "ELB API SetLoadBalancerPoliciesOfListener", ByConstruction("reference")),
    row("aws_elb", "health_check", "target `PROTO:port[/path]`; interval 5–300, timeout 2–60 and < interval, thresholds 2–10", "ELB API HealthCheck; provider validation", Checked("health_check")),
    row("aws_elb", "idle_timeout", "1–4000 s", "ELB API ConnectionSettings; provider validation", Checked("idle_timeout")),
    row("aws_elb", "connection_draining_timeout", "1–3600 s", "ELB API ConnectionDraining", Checked("connection_draining_seconds")),
    row("aws_elb", "connection_draining", "boolean", "ELB API", ByConstruction("constant")),
    row("aws_elb", "cross_zone_load_balancing", "boolean", "ELB API", ByConstruction("a bool")),
    row("aws_elb", "internal", "boolean", "ELB API", ByConstruction("from `Scheme`")),
    row("aws_elb", "security_groups", "ids", "ELB API", ByConstruction("reference")),
    row("aws_elb", "subnets", "subnet ids", "ELB API", NotChecked("variables, or values the user gives; AWS checks they exist at plan")),
];

pub(super) fn check(check: &mut Checker, region: &str, load_balancer: &LoadBalancer) {
    let path = load_balancer_path(load_balancer);
    if let Some(logs) = &load_balancer.access_logs {
        super::state::check_access_logs(check, &path, logs);
    }
    check_listener(
        check,
        &path,
        region,
        load_balancer.kind,
        "prod_listener",
        &load_balancer.prod_listener,
    );
    check_cidrs(check, &path, "allowed_cidrs", &load_balancer.allowed_cidrs);
    if let Some(cidrs) = &load_balancer.test_listener_cidrs {
        check_cidrs(check, &path, "test_listener_cidrs", cidrs);
    }
    if let Some(test) = &load_balancer.test_listener {
        check_listener(
            check,
            &path,
            region,
            load_balancer.kind,
            "test_listener",
            test,
        );
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
    if let Some(port) = load_balancer.http_redirect_port {
        let taken = std::iter::once(&load_balancer.prod_listener)
            .chain(&load_balancer.test_listener)
            .any(|listener| listener.port == port);
        if taken {
            check.error(
                &path,
                "http_redirect_port",
                format!(
                    "{port} is also a listener's port; redirect HTTP on another port, or \
                     `.no_http_redirect()`"
                ),
            );
        }
        if load_balancer.prod_listener.protocol != Protocol::Https {
            check.error(
                &path,
                "http_redirect_port",
                format!(
                    "redirects HTTP on {port} to HTTPS, but the prod listener is {}; the \
                     redirect needs `Listener::https(port, certificate_arn)`",
                    load_balancer.prod_listener.protocol.name()
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
    region: &str,
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
    if listener.protocol.terminates_tls() && !has_certificate(&listener.certificate_arn) {
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
    if let Some(arn) = listener
        .certificate_arn
        .as_deref()
        .filter(|a| !a.is_empty())
    {
        if listener.protocol.terminates_tls() {
            check_certificate(
                check,
                path,
                &format!("{field}.certificate_arn"),
                region,
                arn,
            );
        } else {
            // ELBv2 CreateListener: certificates are for HTTPS and TLS listeners only.
            check.error(
                path,
                &format!("{field}.certificate_arn"),
                format!(
                    "`{}` is given, but {} listeners take no certificate (HTTPS and TLS \
                     listeners do); use `Listener::https(port, certificate_arn)` to terminate \
                     TLS, or drop the certificate",
                    cut(arn),
                    listener.protocol.name()
                ),
            );
        }
    }
    if listener.protocol.terminates_tls() && !listener.ssl_policy.starts_with(SSL_POLICY_PREFIX) {
        check.error(
            path,
            &format!("{field}.ssl_policy"),
            format!(
                "`{}` is not a predefined security policy; they are named \
                 `{SSL_POLICY_PREFIX}…`, e.g. the default `ELBSecurityPolicy-TLS13-1-2-2021-06`",
                listener.ssl_policy
            ),
        );
    }
}

/// Application and network load balancers take predefined policies only.
const SSL_POLICY_PREFIX: &str = "ELBSecurityPolicy-";

/// An ACM certificate of the load balancer's region, or an IAM server certificate.
fn check_certificate(check: &mut Checker, path: &[String], field: &str, region: &str, arn: &str) {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let account_ok =
        |account: &str| account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let problem = match parts.as_slice() {
        ["arn", "aws", "acm", cert_region, account, resource] => {
            let id = resource.strip_prefix("certificate/").unwrap_or_default();
            if !account_ok(account) {
                Some(format!("the account `{account}` is not 12 digits"))
            } else if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                Some(format!("`{resource}` is not `certificate/<id>`"))
            } else if *cert_region != region {
                Some(format!(
                    "the certificate is in `{cert_region}`, and a load balancer takes \
                     certificates of its own region (`{region}`) only; request or import it in \
                     `{region}`"
                ))
            } else {
                None
            }
        }
        ["arn", "aws", "iam", "", account, resource] => {
            let name = resource
                .strip_prefix("server-certificate/")
                .unwrap_or_default();
            if !account_ok(account) {
                Some(format!("the account `{account}` is not 12 digits"))
            } else if name.is_empty() {
                Some(format!("`{resource}` is not `server-certificate/<name>`"))
            } else {
                None
            }
        }
        _ => Some(
            "write `arn:aws:acm:<region>:<account>:certificate/<id>` (ACM) or \
             `arn:aws:iam::<account>:server-certificate/<name>`"
                .into(),
        ),
    };
    if let Some(problem) = problem {
        check.error(
            path,
            field,
            format!("`{arn}` is not a certificate ARN: {problem}"),
        );
    }
}

/// Security group rules take IPv4 network addresses: `10.0.0.0/8`, not `10.0.0.1/8`.
fn check_cidrs(check: &mut Checker, path: &[String], field: &str, cidrs: &[String]) {
    if cidrs.is_empty() {
        check.error(
            path,
            field,
            "no ranges: nothing could reach the listeners; give at least one, e.g. \
             `0.0.0.0/0` or `10.0.0.0/8`"
                .into(),
        );
    }
    for (index, cidr) in cidrs.iter().enumerate() {
        if let Some(problem) = cidr_problem(cidr) {
            check.error(path, field, format!("`{cidr}` {problem}"));
        } else if cidrs[..index].contains(cidr) {
            // Each range becomes one ingress rule per listener port of the load balancer's
            // security group, and EC2 refuses the same rule twice (InvalidPermission.Duplicate).
            check.error(
                path,
                field,
                format!(
                    "`{cidr}` is listed twice; each range becomes a security group rule, and \
                     EC2 refuses a group the same rule twice: list each range once"
                ),
            );
        }
    }
}

fn cidr_problem(cidr: &str) -> Option<String> {
    let Some((address, prefix)) = cidr.split_once('/') else {
        return Some("is not a CIDR range; write `address/prefix`, e.g. `10.0.0.0/8`".into());
    };
    let Ok(address) = address.parse::<std::net::Ipv4Addr>() else {
        return Some(if address.parse::<std::net::Ipv6Addr>().is_ok() {
            "is an IPv6 range; the security group rules ecsynth writes are IPv4".into()
        } else {
            format!("is not a CIDR range: `{address}` is not an IPv4 address")
        });
    };
    let prefix = match prefix.parse::<u8>() {
        Ok(number) if number <= 32 && number.to_string() == prefix => number,
        _ => {
            return Some(format!(
                "is not a CIDR range: the prefix `{prefix}` is not 0 to 32"
            ))
        }
    };
    let mask = u32::MAX.checked_shl(u32::from(32 - prefix)).unwrap_or(0);
    let network = std::net::Ipv4Addr::from(u32::from(address) & mask);
    (network != address)
        .then(|| format!("has host bits set; AWS takes the network address, `{network}/{prefix}`"))
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
pub(super) fn check_classic(check: &mut Checker, region: &str, elb: &ClassicLoadBalancer) {
    let path = vec![format!("classic load balancer `{}`", elb.name)];
    check_cidrs(check, &path, "allowed_cidrs", &elb.allowed_cidrs);
    if let Some(logs) = &elb.access_logs {
        super::state::check_access_logs(check, &path, logs);
    }
    if elb.listeners.is_empty() {
        check.error(
            &path,
            "listeners",
            "a classic load balancer needs at least one listener".into(),
        );
    }
    let mut ports = Vec::new();
    for listener in &elb.listeners {
        check_classic_listener(check, &path, region, elb, listener, &ports);
        ports.push(listener.port);
    }
    check_classic_health_target(check, &path, &elb.health_check);
    check_classic_timing(check, &path, elb);
}

/// One listener of a classic ELB; `earlier` are the ports of the listeners before it.
fn check_classic_listener(
    check: &mut Checker,
    path: &[String],
    region: &str,
    elb: &ClassicLoadBalancer,
    listener: &ClassicListener,
    earlier: &[u16],
) {
    let port = listener.port;
    let allowed = matches!(port, 25 | 80 | 443 | 465 | 587) || port >= 1024;
    if !allowed {
        check.error(
            path,
            &format!("listeners.{port}"),
            format!(
                "{port} is not a port a classic ELB listens on; allowed: 25, 80, 443, 465, \
                 587, 1024 to 65535"
            ),
        );
    }
    if listener.instance_port == 0 {
        check.error(
            path,
            &format!("listeners.{port}.instance_port"),
            "0 is not an instance port; allowed: 1 to 65535".into(),
        );
    }
    if earlier.contains(&port) {
        check.error(
            path,
            &format!("listeners.{port}"),
            format!("{port} has two listeners; each port takes one"),
        );
    }
    let plain_http_allowed = elb
        .plain_http_reason
        .as_deref()
        .is_some_and(|reason| !reason.trim().is_empty());
    if listener.protocol == ClassicProtocol::Http && !plain_http_allowed {
        check.error(
            path,
            &format!("listeners.{port}"),
            format!(
                "an HTTP listener sends every request, logins and session cookies \
                 included, in clear text, and a classic ELB cannot redirect HTTP to \
                 HTTPS; use `ClassicListener::https({port}, certificate_arn)\
                 .instance_port({})`, or opt in with `.plain_http_because(\"<why>\")` on \
                 the load balancer",
                listener.instance_port
            ),
        );
    }
    if listener.protocol.terminates_tls() && !has_certificate(&listener.certificate_arn) {
        let constructor = match listener.protocol {
            ClassicProtocol::Ssl => "ssl",
            _ => "https",
        };
        check.error(
            path,
            &format!("listeners.{port}.certificate_arn"),
            format!(
                "{} listeners need a certificate; use \
                 `ClassicListener::{constructor}(port, certificate_arn)`",
                listener.protocol.name()
            ),
        );
    }
    if let Some(arn) = listener
        .certificate_arn
        .as_deref()
        .filter(|a| !a.is_empty())
    {
        check_certificate(
            check,
            path,
            &format!("listeners.{port}.certificate_arn"),
            region,
            arn,
        );
    }
}

/// `PROTOCOL:PORT[/PATH]`, with a path for HTTP(S) only.
fn check_classic_health_target(check: &mut Checker, path: &[String], health: &ClassicHealthCheck) {
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
            path,
            "health_check.target",
            format!(
                "`{}` is not a health check target; write `HTTP:8080/login`, `HTTPS:443/path`, \
                 `TCP:50000` or `SSL:443`",
                health.target
            ),
        );
    }
}

/// The health check's timing and thresholds, the idle timeout and connection draining.
fn check_classic_timing(check: &mut Checker, path: &[String], elb: &ClassicLoadBalancer) {
    let health = &elb.health_check;
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
                path,
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
            path,
            "health_check.timeout",
            format!(
                "{} s is not shorter than the interval ({} s); a check must time out before the \
                 next one starts",
                health.timeout, health.interval
            ),
        );
    }
}

/// A TLS listener of either kind of load balancer needs a certificate; an empty ARN is none.
fn has_certificate(certificate_arn: &Option<String>) -> bool {
    certificate_arn
        .as_deref()
        .is_some_and(|arn| !arn.is_empty())
}
