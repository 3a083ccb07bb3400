//! Load balancers with their security groups, and the listeners they own when services share
//! them: a shared ALB's listeners answer 404 unless a service's rule matches, and its HTTP
//! listener redirects to HTTPS. A load balancer serving one service gets its listeners with
//! that service ([`super::targets`]), because their default action is that service's.

use super::lifecycle::{self, Facts};
use super::{Context, LoweredClassic, LoweredLoadBalancer, SharedListeners};
use crate::aws::{
    Elb, ElbAccessLogs, ElbHealthCheck, ElbListener, FixedResponse, Lb, LbAccessLogs, LbListener,
    ListenerAction, ListenerRedirect, LoadBalancerListenerPolicy, LoadBalancerPolicy,
    PolicyAttribute, SecurityGroup, Tags, VpcSecurityGroupIngressRule,
};
use crate::model::naming::{suffixed, LoadBalancerNames};
use crate::model::{
    ClassicLoadBalancer, LoadBalancer, LoadBalancerId, LoadBalancerKind, Protocol, Route, Scheme,
    CLASSIC_SSL_POLICY,
};
use crate::tf::{Dependency, Expr, List, Meta, Ref};

/// Every load balancer of the stack, then every classic ELB, each owned by its part of the
/// stack.
pub fn lower_all(context: &mut Context) {
    let stack = context.stack;
    let names = context.names;
    for ((id, model), named) in stack.load_balancers_with_ids().zip(&names.load_balancers) {
        context.owned_by(Some((&named.part, &named.label)));
        let lowered = load_balancer(context, id, model, named);
        context.load_balancers.insert(id, lowered);
    }
    for ((id, model), named) in stack
        .classic_load_balancers_with_ids()
        .zip(&names.classic_load_balancers)
    {
        context.owned_by(Some((&named.part, &named.label)));
        let lowered = classic_load_balancer(context, model, named);
        context.classic_load_balancers.insert(id, lowered);
    }
    context.owned_by(None);
}

/// An ALB or NLB: its security group open on every listener, the load balancer, the
/// listeners it has when services share it through rules, and its HTTP redirect.
fn load_balancer(
    context: &mut Context,
    id: LoadBalancerId,
    model: &LoadBalancer,
    named: &LoadBalancerNames,
) -> LoweredLoadBalancer {
    let stack = context.stack;
    let lb_label = &named.label;
    let security_group = security_group(context, named, &model.name, "Load balancer");
    for (listener, cidrs) in model.listeners() {
        ingress(
            context,
            &security_group,
            lb_label,
            listener.port,
            ip_protocol(listener.protocol),
            &format!("{} listener", listener.protocol.name()),
            cidrs,
        );
    }
    if let Some(port) = model.http_redirect_port {
        ingress(
            context,
            &security_group,
            lb_label,
            port,
            "tcp",
            "HTTP listener redirecting to HTTPS",
            &model.allowed_cidrs,
        );
    }
    let lb = context.doc.add(
        lb_label,
        Lb {
            name: (&named.aws).into(),
            load_balancer_type: model.kind.name().into(),
            internal: model.scheme == Scheme::Internal,
            subnets: context.load_balancer_subnet_ids.clone(),
            security_groups: List::Items(vec![security_group.id()]),
            drop_invalid_header_fields: (model.kind == LoadBalancerKind::Application)
                .then_some(true),
            enable_cross_zone_load_balancing: (model.kind == LoadBalancerKind::Network)
                .then_some(true),
            enable_deletion_protection: model.deletion_protection,
            access_logs: model.access_logs.as_ref().map(|logs| LbAccessLogs {
                bucket: (&logs.bucket).into(),
                prefix: (&logs.prefix).into(),
                enabled: true,
            }),
            tags: Tags::new(),
        },
    );
    let shared = stack
        .services_behind(id)
        .any(|service| matches!(service.traffic().map(|t| &t.route), Some(Route::Rule(_))))
        .then(|| shared_listeners(context, model, lb_label, &lb));
    if let Some(port) = model.http_redirect_port {
        redirect_listener(context, model, lb_label, &lb, port);
    }
    LoweredLoadBalancer {
        lb,
        security_group,
        shared,
    }
}

/// A classic ELB: its security group open on every listener, the ELB with its listeners and
/// health check, and the TLS policy on its HTTPS and SSL ports.
fn classic_load_balancer(
    context: &mut Context,
    model: &ClassicLoadBalancer,
    named: &LoadBalancerNames,
) -> LoweredClassic {
    let elb_label = &named.label;
    let security_group = security_group(context, named, &model.name, "Classic load balancer");
    for listener in &model.listeners {
        ingress(
            context,
            &security_group,
            elb_label,
            listener.port,
            "tcp",
            &format!("{} listener", listener.protocol.name()),
            &model.allowed_cidrs,
        );
    }
    let check = &model.health_check;
    let elb = context.doc.add(
        elb_label,
        Elb {
            name: (&named.aws).into(),
            internal: model.scheme == Scheme::Internal,
            subnets: context.load_balancer_subnet_ids.clone(),
            security_groups: List::Items(vec![security_group.id()]),
            listener: model
                .listeners
                .iter()
                .map(|listener| ElbListener {
                    lb_port: listener.port,
                    lb_protocol: listener.protocol.name().into(),
                    instance_port: listener.instance_port,
                    instance_protocol: listener.instance_protocol.name().into(),
                    ssl_certificate_id: listener.certificate_arn.as_ref().map(Expr::from),
                })
                .collect(),
            health_check: ElbHealthCheck {
                target: (&check.target).into(),
                interval: check.interval,
                timeout: check.timeout,
                healthy_threshold: check.healthy_threshold,
                unhealthy_threshold: check.unhealthy_threshold,
            },
            idle_timeout: model.idle_timeout,
            connection_draining: true,
            connection_draining_timeout: model.connection_draining_seconds,
            cross_zone_load_balancing: model.cross_zone,
            access_logs: model.access_logs.as_ref().map(|logs| ElbAccessLogs {
                bucket: (&logs.bucket).into(),
                bucket_prefix: (&logs.prefix).into(),
                interval: 5,
                enabled: true,
            }),
            tags: Tags::new(),
        },
    );
    classic_tls_policy(context, &elb, elb_label, model);
    LoweredClassic {
        elb,
        security_group,
    }
}

/// The policy name of [`CLASSIC_SSL_POLICY`] on each classic ELB; policies belong to their
/// ELB, so the name needs no stack prefix.
const CLASSIC_SSL_POLICY_NAME: &str = "tls-1-2-2017-01";

/// Binds [`CLASSIC_SSL_POLICY`] to every HTTPS and SSL port of a classic ELB: without a
/// listener policy the ELB negotiates with an old default that offers TLS 1.0 (ELB Classic
/// User Guide, "SSL negotiation configurations for Classic Load Balancers").
fn classic_tls_policy(
    context: &mut Context,
    elb: &Ref<Elb>,
    elb_label: &str,
    model: &ClassicLoadBalancer,
) {
    let ports: Vec<u16> = model
        .listeners
        .iter()
        .filter(|listener| listener.protocol.terminates_tls())
        .map(|listener| listener.port)
        .collect();
    if ports.is_empty() {
        return;
    }
    let policy = context.doc.add(
        &suffixed(elb_label, "tls"),
        LoadBalancerPolicy {
            load_balancer_name: elb.name(),
            policy_name: CLASSIC_SSL_POLICY_NAME.into(),
            policy_type_name: "SSLNegotiationPolicyType".into(),
            policy_attribute: vec![PolicyAttribute {
                name: "Reference-Security-Policy".into(),
                value: CLASSIC_SSL_POLICY.into(),
            }],
        },
    );
    for port in ports {
        context.doc.add(
            &suffixed(elb_label, &format!("tls_{port}")),
            LoadBalancerListenerPolicy {
                load_balancer_name: elb.name(),
                load_balancer_port: port,
                policy_names: List::Items(vec![policy.policy_name()]),
            },
        );
    }
}

fn security_group(
    context: &mut Context,
    named: &LoadBalancerNames,
    name: &str,
    what: &str,
) -> Ref<SecurityGroup> {
    let stack = context.stack;
    context.doc.add(
        &named.security_group.label,
        SecurityGroup {
            name: (&named.security_group.aws).into(),
            description: format!("{what} {name} of stack {}", stack.name).into(),
            vpc_id: context.vpc_id.clone(),
            tags: Tags::new(),
        },
    )
}

/// One ingress rule per CIDR on `port`: `<lb>_lb_ingress_<port>[_<n>]`.
fn ingress(
    context: &mut Context,
    security_group: &Ref<SecurityGroup>,
    lb_label: &str,
    port: u16,
    ip_protocol: &str,
    description: &str,
    cidrs: &[String],
) {
    for (n, cidr) in cidrs.iter().enumerate() {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("_{n}")
        };
        context.doc.add(
            &format!("{lb_label}_lb_ingress_{port}{suffix}"),
            VpcSecurityGroupIngressRule {
                security_group_id: security_group.id(),
                description: description.to_owned().into(),
                ip_protocol: ip_protocol.to_owned().into(),
                from_port: Some(port),
                to_port: Some(port),
                cidr_ipv4: Some(cidr.into()),
                referenced_security_group_id: None,
            },
        );
    }
}

fn ip_protocol(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Udp => "udp",
        _ => "tcp",
    }
}

/// The prod and test listeners of an ALB shared through rules: requests no rule matches get
/// a 404, and CodeDeploy, which rewrites only the rules forwarding to a service's target
/// groups, never touches them.
fn shared_listeners(
    context: &mut Context,
    model: &LoadBalancer,
    lb_label: &str,
    lb: &Ref<Lb>,
) -> SharedListeners {
    listeners(
        context,
        model,
        lb_label,
        lb,
        || ListenerAction {
            action_type: "fixed-response".into(),
            target_group_arn: None,
            forward: None,
            redirect: None,
            fixed_response: Some(FixedResponse {
                content_type: "text/plain".into(),
                message_body: "Not found".into(),
                status_code: "404".into(),
            }),
        },
        &Facts::traffic(None),
        &[],
    )
}

/// The prod listener of `model` and its test listener when it has one, both answering with
/// `default_action`, with the ignore list the ownership rules give for `facts`: the shared
/// listeners of an ALB, or the listeners of a load balancer one service has alone. Both
/// depend on `depends_on`, besides what they refer to.
pub(super) fn listeners(
    context: &mut Context,
    model: &LoadBalancer,
    lb_label: &str,
    lb: &Ref<Lb>,
    default_action: impl Fn() -> ListenerAction,
    facts: &Facts,
    depends_on: &[Dependency],
) -> SharedListeners {
    let (lifecycle, comment) = lifecycle::derive::<LbListener>(facts);
    let mut listener = |role: &str, listener: &crate::model::Listener| {
        context.doc.add_with(
            &format!("{lb_label}_{role}"),
            LbListener {
                load_balancer_arn: lb.arn(),
                port: listener.port,
                protocol: listener.protocol.name().into(),
                certificate_arn: listener.certificate_arn.as_ref().map(Expr::from),
                ssl_policy: listener
                    .protocol
                    .terminates_tls()
                    .then(|| Expr::from(&listener.ssl_policy)),
                default_action: vec![default_action()],
                tags: Tags::new(),
            },
            Meta {
                comment: comment.clone(),
                depends_on: depends_on.to_vec(),
                lifecycle: lifecycle.clone(),
                ..Meta::default()
            },
        )
    };
    let prod = listener("prod", &model.prod_listener);
    let test = model
        .test_listener
        .as_ref()
        .map(|test| listener("test", test));
    SharedListeners { prod, test }
}

/// HTTP on `port` answered with a permanent redirect to the HTTPS prod listener.
fn redirect_listener(
    context: &mut Context,
    model: &LoadBalancer,
    lb_label: &str,
    lb: &Ref<Lb>,
    port: u16,
) {
    context.doc.add(
        &suffixed(lb_label, "http_redirect"),
        LbListener {
            load_balancer_arn: lb.arn(),
            port,
            protocol: "HTTP".into(),
            certificate_arn: None,
            ssl_policy: None,
            default_action: vec![ListenerAction {
                action_type: "redirect".into(),
                target_group_arn: None,
                forward: None,
                redirect: Some(ListenerRedirect {
                    port: model.prod_listener.port.to_string().into(),
                    protocol: "HTTPS".into(),
                    status_code: "HTTP_301".into(),
                }),
                fixed_response: None,
            }],
            tags: Tags::new(),
        },
    );
}
