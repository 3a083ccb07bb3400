//! How a service is attached to its load balancer: its target groups (a blue/green pair, or
//! one), and the listeners or listener rules forwarding to them; or a classic ELB.

use super::lifecycle::{self, Facts};
use super::{deployment, load_balancer, Context, SharedListeners};
use crate::aws::{
    AdvancedConfiguration, ConditionValues, Elb, LbListener, LbListenerRule, LbTargetGroup,
    ListenerAction, RuleCondition, SecurityGroup, ServiceLoadBalancer, Tags,
    TargetGroupHealthCheck, WeightedForward, WeightedTargetGroup,
};
use crate::model::naming::{suffixed, ServiceNames};
use crate::model::validate::rules;
use crate::model::{
    BlueGreen, ControllerKind, LoadBalancerKind, NetworkMode, Route, RuleMatch, Service, Traffic,
};
use crate::tf::{Dependency, Expr, Meta, Ref};

/// What the blue/green controller switches for a service.
pub struct BlueGreenTargets<'s> {
    pub settings: &'s BlueGreen,
    pub blue: Ref<LbTargetGroup>,
    pub green: Ref<LbTargetGroup>,
    /// The listener whose traffic shifts: the service's own, or the shared one its rule is on.
    pub prod_listener: Ref<LbListener>,
    pub test_listener: Option<Ref<LbListener>>,
    /// The service's rules on the shared prod and test listeners, when it is routed by a rule.
    pub prod_rule: Option<Ref<LbListenerRule>>,
    pub test_rule: Option<Ref<LbListenerRule>>,
}

/// What a service's listeners or rules are, as [`route`] adds them.
struct Routed {
    prod_listener: Ref<LbListener>,
    test_listener: Option<Ref<LbListener>>,
    prod_rule: Option<Ref<LbListenerRule>>,
    test_rule: Option<Ref<LbListenerRule>>,
    dependencies: Vec<Dependency>,
}

/// A service's way in, as the ECS service and its security groups need it.
pub enum Attachment<'s> {
    None,
    BlueGreen(BlueGreenTargets<'s>),
    TargetGroup(Ref<LbTargetGroup>),
    Classic(Ref<Elb>),
}

/// The attachment plus what the ECS service must wait for and who may reach the tasks.
pub struct Attached<'s> {
    pub attachment: Attachment<'s>,
    /// Listeners or rules attaching the target groups to the load balancer; ECS refuses to
    /// register tasks in a target group that no load balancer uses yet.
    pub dependencies: Vec<Dependency>,
    pub load_balancer_security_group: Option<Ref<SecurityGroup>>,
    /// The container port the load balancer sends to.
    pub port: Option<u16>,
}

impl Attached<'_> {
    /// The ECS service's `load_balancer` block, with the controller's `advanced` settings.
    pub fn load_balancer_block(
        &self,
        service: &Service,
        advanced_configuration: Option<AdvancedConfiguration>,
    ) -> Vec<ServiceLoadBalancer> {
        let Some(target) = service.load_balanced_target() else {
            return Vec::new();
        };
        let (target_group_arn, elb_name) = match &self.attachment {
            Attachment::None => return Vec::new(),
            Attachment::BlueGreen(targets) => (Some(targets.blue.arn()), None),
            Attachment::TargetGroup(group) => (Some(group.arn()), None),
            Attachment::Classic(elb) => (None, Some(elb.name())),
        };
        vec![ServiceLoadBalancer {
            target_group_arn,
            elb_name,
            container_name: target.container().to_owned().into(),
            container_port: target.port(),
            advanced_configuration,
        }]
    }

    /// Who switches the target groups, for a blue/green service.
    pub fn controller(&self) -> Option<ControllerKind> {
        match &self.attachment {
            Attachment::BlueGreen(targets) => Some(targets.settings.controller.kind()),
            _ => None,
        }
    }

    pub fn target_groups(&self) -> Vec<&Ref<LbTargetGroup>> {
        match &self.attachment {
            Attachment::BlueGreen(targets) => vec![&targets.blue, &targets.green],
            Attachment::TargetGroup(group) => vec![group],
            Attachment::None | Attachment::Classic(_) => Vec::new(),
        }
    }
}

pub fn lower<'s>(
    context: &mut Context,
    service: &'s Service,
    names: &ServiceNames,
) -> Attached<'s> {
    if let Some(classic) = service.classic_traffic() {
        let lowered = &context.classic_load_balancers[&classic.load_balancer];
        return Attached {
            attachment: Attachment::Classic(lowered.elb.clone()),
            dependencies: Vec::new(),
            load_balancer_security_group: Some(lowered.security_group.clone()),
            port: Some(classic.target.port()),
        };
    }
    let Some(traffic) = service.traffic() else {
        return Attached {
            attachment: Attachment::None,
            dependencies: Vec::new(),
            load_balancer_security_group: None,
            port: None,
        };
    };
    let groups: Vec<Ref<LbTargetGroup>> = names
        .target_groups
        .iter()
        .map(|group| {
            let model = target_group(context, service, traffic, &group.named.aws);
            context.doc.add(&group.named.label, model)
        })
        .collect();
    let routed = route(context, service, names, traffic, &groups);
    let load_balancer_security_group = Some(
        context.load_balancers[&traffic.load_balancer]
            .security_group
            .clone(),
    );
    let mut groups = groups.into_iter();
    let first = groups
        .next()
        .expect("a service with traffic has a target group");
    let attachment = match (service.blue_green_settings(), groups.next()) {
        (Some(settings), Some(green)) => Attachment::BlueGreen(BlueGreenTargets {
            settings,
            blue: first,
            green,
            prod_listener: routed.prod_listener,
            test_listener: routed.test_listener,
            prod_rule: routed.prod_rule,
            test_rule: routed.test_rule,
        }),
        _ => Attachment::TargetGroup(first),
    };
    Attached {
        attachment,
        dependencies: routed.dependencies,
        load_balancer_security_group,
        port: Some(traffic.target.port()),
    }
}

/// The listeners of a load balancer the service has alone, or the service's rules on shared
/// listeners; all forward to the first of `groups` (blue, when there is a green after it;
/// ECS-native blue/green rules forward to both, green by weight 0). Returns the listeners and
/// rules the controller names and what the ECS service waits for.
fn route(
    context: &mut Context,
    service: &Service,
    names: &ServiceNames,
    traffic: &Traffic,
    groups: &[Ref<LbTargetGroup>],
) -> Routed {
    let group = &groups[0];
    let forwards_to_blue_green_pair = groups.len() == 2;
    // After a deployment the listeners or rules forward to green, which their configuration
    // never names; without this `terraform destroy` deletes green first, and ELB refuses while
    // a listener still uses it ("currently in use by a listener or a rule").
    let switched_to: Vec<Dependency> = groups[1..].iter().map(Ref::dependency).collect();
    let stack = context.stack;
    let model = stack
        .load_balancer(traffic.load_balancer)
        .expect("validation: traffic goes through a load balancer of this stack");
    let lb_label = &context.names.load_balancers[traffic.load_balancer.index].label;
    let facts = Facts::traffic(
        service
            .blue_green_controller()
            .filter(|_| forwards_to_blue_green_pair),
    );
    match &traffic.route {
        Route::Listeners => {
            let lb = context.load_balancers[&traffic.load_balancer].lb.clone();
            let SharedListeners { prod, test } = load_balancer::listeners(
                context,
                model,
                lb_label,
                &lb,
                || forward(group),
                &facts,
                &switched_to,
            );
            let dependencies = std::iter::once(prod.dependency())
                .chain(test.as_ref().map(Ref::dependency))
                .collect();
            Routed {
                prod_listener: prod,
                test_listener: test,
                prod_rule: None,
                test_rule: None,
                dependencies,
            }
        }
        Route::Rule(rule) => {
            let shared = context.load_balancers[&traffic.load_balancer]
                .shared
                .clone()
                .expect("lowering gives every load balancer with rules shared listeners");
            let (lifecycle, comment) = lifecycle::derive::<LbListenerRule>(&facts);
            let priority = rules::priority(service, rule);
            let weighted = facts.blue_green.is_some_and(deployment::moves_rule_weights);
            let mut add_rule = |role: &str, listener: &Ref<LbListener>| {
                context.doc.add_with(
                    &suffixed(&names.label, role),
                    LbListenerRule {
                        listener_arn: listener.arn(),
                        priority,
                        action: vec![if weighted {
                            weighted_forward(groups)
                        } else {
                            forward(group)
                        }],
                        condition: conditions(rule),
                        tags: Tags::new(),
                    },
                    Meta {
                        comment: comment.clone(),
                        depends_on: switched_to.clone(),
                        lifecycle: lifecycle.clone(),
                        ..Meta::default()
                    },
                )
            };
            let prod_rule = add_rule("prod", &shared.prod);
            let test_rule = shared.test.as_ref().map(|test| add_rule("test", test));
            let dependencies = std::iter::once(prod_rule.dependency())
                .chain(test_rule.as_ref().map(Ref::dependency))
                .collect();
            Routed {
                prod_listener: shared.prod,
                test_listener: shared.test,
                prod_rule: Some(prod_rule),
                test_rule,
                dependencies,
            }
        }
    }
}

fn forward(group: &Ref<LbTargetGroup>) -> ListenerAction {
    ListenerAction {
        action_type: "forward".into(),
        target_group_arn: Some(group.arn()),
        forward: None,
        redirect: None,
        fixed_response: None,
    }
}

/// All traffic to the first of `groups`, none to the others: the rule ECS-native blue/green
/// starts from, with every target group it moves weight between (ECS Developer Guide,
/// "Application Load Balancer resources for blue/green deployments").
fn weighted_forward(groups: &[Ref<LbTargetGroup>]) -> ListenerAction {
    ListenerAction {
        action_type: "forward".into(),
        target_group_arn: None,
        forward: Some(WeightedForward {
            target_group: groups
                .iter()
                .enumerate()
                .map(|(n, group)| WeightedTargetGroup {
                    arn: group.arn(),
                    weight: if n == 0 { 100 } else { 0 },
                })
                .collect(),
        }),
        redirect: None,
        fixed_response: None,
    }
}

fn conditions(rule: &RuleMatch) -> Vec<RuleCondition> {
    let values = |values: &[String]| ConditionValues {
        values: values.iter().map(Expr::from).collect(),
    };
    let mut conditions = Vec::new();
    if !rule.hosts.is_empty() {
        conditions.push(RuleCondition {
            host_header: Some(values(&rule.hosts)),
            path_pattern: None,
        });
    }
    if !rule.paths.is_empty() {
        conditions.push(RuleCondition {
            host_header: None,
            path_pattern: Some(values(&rule.paths)),
        });
    }
    conditions
}

fn target_group(
    context: &Context,
    service: &Service,
    traffic: &Traffic,
    name: &str,
) -> LbTargetGroup {
    let model = context
        .stack
        .load_balancer(traffic.load_balancer)
        .expect("validation: traffic goes through a load balancer of this stack");
    let check = &traffic.health_check;
    let protocol = match model.kind {
        // TLS ends at the load balancer; tasks speak plain HTTP or TCP behind it.
        LoadBalancerKind::Application => "HTTP",
        LoadBalancerKind::Network => "TCP",
    };
    let check_protocol = if check.path.is_some() { "HTTP" } else { "TCP" };
    // awsvpc tasks have IPs of their own; bridge and host tasks are reached on their instance.
    let target_type = match service.compute.network_mode() {
        NetworkMode::Awsvpc => "ip",
        NetworkMode::Bridge | NetworkMode::Host => "instance",
    };
    LbTargetGroup {
        name: name.to_owned().into(),
        port: traffic.target.port(),
        protocol: protocol.into(),
        target_type: target_type.into(),
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
