//! Load balancers, their security groups, and the target groups and listeners of a service.

use super::lifecycle::{self, ListenerUse};
use super::Context;
use crate::aws::{
    Lb, LbListener, LbTargetGroup, ListenerAction, SecurityGroup, Tags, TargetGroupHealthCheck,
    VpcSecurityGroupIngressRule,
};
use crate::model::naming::{aws_name, label};
use crate::model::{LoadBalancerKind, Protocol, Scheme, Service, Traffic};
use crate::tf::{Expr, List, Meta, Ref};

pub fn lower_all(context: &mut Context) {
    let stack = context.stack;
    for (id, model) in stack.load_balancers_with_ids() {
        let lb_label = label(&model.name);
        let security_group = context.doc.add(
            &format!("{lb_label}_lb"),
            SecurityGroup {
                name: aws_name(&stack.name, &[&model.name, "lb"]).into(),
                description: format!("Load balancer {} of stack {}", model.name, stack.name).into(),
                vpc_id: context.vpc_id.clone(),
                tags: Tags::new(),
            },
        );
        for (listener, cidrs) in model.listeners() {
            for (n, cidr) in cidrs.iter().enumerate() {
                let suffix = if n == 0 {
                    String::new()
                } else {
                    format!("_{n}")
                };
                context.doc.add(
                    &format!("{lb_label}_lb_ingress_{}{suffix}", listener.port),
                    VpcSecurityGroupIngressRule {
                        security_group_id: security_group.id(),
                        description: format!("{} listener", listener.protocol.name()).into(),
                        ip_protocol: ip_protocol(listener.protocol).into(),
                        from_port: Some(listener.port),
                        to_port: Some(listener.port),
                        cidr_ipv4: Some(cidr.into()),
                        referenced_security_group_id: None,
                    },
                );
            }
        }
        let lb = context.doc.add(
            &lb_label,
            Lb {
                name: aws_name(&stack.name, &[&model.name]).into(),
                load_balancer_type: model.kind.name().into(),
                internal: model.scheme == Scheme::Internal,
                subnets: context.load_balancer_subnet_ids.clone(),
                security_groups: List::Items(vec![security_group.id()]),
                drop_invalid_header_fields: (model.kind == LoadBalancerKind::Application)
                    .then_some(true),
                enable_cross_zone_load_balancing: (model.kind == LoadBalancerKind::Network)
                    .then_some(true),
                enable_deletion_protection: model.deletion_protection,
                tags: Tags::new(),
            },
        );
        context.load_balancers.insert(id, (lb, security_group));
    }
}

fn ip_protocol(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Udp => "udp",
        _ => "tcp",
    }
}

/// A service's way in: the target groups and the listeners forwarding to them.
pub struct Targets {
    /// Where the service's tasks are registered at creation.
    pub blue: Ref<LbTargetGroup>,
    /// Where CodeDeploy starts the next deployment's tasks; `None` for rolling services.
    pub green: Option<Ref<LbTargetGroup>>,
    pub prod_listener: Ref<LbListener>,
    pub test_listener: Option<Ref<LbListener>>,
    pub load_balancer_security_group: Ref<SecurityGroup>,
}

pub fn lower_targets(context: &mut Context, service: &Service, traffic: &Traffic) -> Targets {
    let stack = context.stack;
    let Some(model) = stack.load_balancer(traffic.load_balancer) else {
        unreachable!("validation rejects traffic through a load balancer of another stack")
    };
    let (lb, security_group) = context.load_balancers[&traffic.load_balancer].clone();
    let service_label = label(&service.name);
    let colours: &[&str] = if service.is_blue_green() {
        &["blue", "green"]
    } else {
        &["main"]
    };
    let mut groups = colours.iter().map(|colour| {
        context.doc.add(
            &format!("{service_label}_{colour}"),
            target_group(context, model.kind, service, traffic, colour),
        )
    });
    let blue = groups.next().expect("at least one target group");
    let green = groups.next();

    let (lifecycle, comment) = lifecycle::derive(
        lifecycle::LISTENER_RULES,
        &ListenerUse {
            forwards_to_blue_green_pair: green.is_some(),
        },
    );
    let lb_label = label(&model.name);
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
                default_action: vec![ListenerAction {
                    action_type: "forward".into(),
                    target_group_arn: Some(blue.arn()),
                    redirect: None,
                }],
                tags: Tags::new(),
            },
            Meta {
                comment: comment.clone(),
                lifecycle: lifecycle.clone(),
                ..Meta::default()
            },
        )
    };
    let prod_listener = listener("prod", &model.prod_listener);
    let test_listener = model
        .test_listener
        .as_ref()
        .map(|test| listener("test", test));
    Targets {
        blue,
        green,
        prod_listener,
        test_listener,
        load_balancer_security_group: security_group,
    }
}

fn target_group(
    context: &Context,
    kind: LoadBalancerKind,
    service: &Service,
    traffic: &Traffic,
    colour: &str,
) -> LbTargetGroup {
    let check = &traffic.health_check;
    let protocol = match kind {
        // TLS ends at the load balancer; tasks speak plain HTTP or TCP behind it.
        LoadBalancerKind::Application => "HTTP",
        LoadBalancerKind::Network => "TCP",
    };
    let check_protocol = if check.path.is_some() { "HTTP" } else { "TCP" };
    LbTargetGroup {
        name: aws_name(&context.stack.name, &[&service.name, colour]).into(),
        port: traffic.container_port,
        protocol: protocol.into(),
        // Fargate tasks use awsvpc networking: targets are task IPs.
        target_type: "ip".into(),
        vpc_id: context.vpc_id.clone(),
        deregistration_delay: traffic.deregistration_delay,
        health_check: TargetGroupHealthCheck {
            enabled: true,
            protocol: check_protocol.into(),
            path: check.path.as_ref().map(Expr::from),
            matcher: check.path.as_ref().map(|_| Expr::from(&check.matcher)),
            port: "traffic-port".into(),
            interval: check.interval,
            timeout: check.timeout,
            healthy_threshold: check.healthy_threshold,
            unhealthy_threshold: check.unhealthy_threshold,
        },
        tags: Tags::new(),
    }
}
