//! Load balancers: ALB/NLB (`aws_lb`, target groups, listeners, rules) and the classic ELB.

use serde::Serialize;

use super::{resource, Tags};
use crate::tf::{Expr, List};

#[derive(Debug, Serialize)]
pub struct Lb {
    pub name: Expr,
    pub load_balancer_type: Expr,
    pub internal: bool,
    pub subnets: List,
    #[serde(skip_serializing_if = "List::is_empty")]
    pub security_groups: List,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop_invalid_header_fields: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_cross_zone_load_balancing: Option<bool>,
    pub enable_deletion_protection: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_logs: Option<LbAccessLogs>,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

#[derive(Debug, Serialize)]
pub struct LbAccessLogs {
    pub bucket: Expr,
    pub prefix: Expr,
    pub enabled: bool,
}
resource!(Lb = "aws_lb", attributes: [arn, arn_suffix, dns_name, zone_id, name]);

#[derive(Debug, Serialize)]
pub struct LbTargetGroup {
    pub name: Expr,
    pub port: u16,
    pub protocol: Expr,
    pub target_type: Expr,
    pub vpc_id: Expr,
    pub deregistration_delay: u32,
    pub health_check: TargetGroupHealthCheck,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(LbTargetGroup = "aws_lb_target_group", attributes: [arn, arn_suffix, name]);

#[derive(Debug, Serialize)]
pub struct TargetGroupHealthCheck {
    pub enabled: bool,
    pub protocol: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matcher: Option<Expr>,
    pub port: Expr,
    pub interval: u32,
    pub timeout: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

#[derive(Debug, Serialize)]
pub struct LbListener {
    pub load_balancer_arn: Expr,
    pub port: u16,
    pub protocol: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_policy: Option<Expr>,
    pub default_action: Vec<ListenerAction>,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(LbListener = "aws_lb_listener", attributes: [arn, id]);

#[derive(Debug, Serialize)]
pub struct ListenerAction {
    #[serde(rename = "type")]
    pub action_type: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<Expr>,
    /// A forward to several target groups by weight, instead of `target_group_arn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward: Option<WeightedForward>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<ListenerRedirect>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_response: Option<FixedResponse>,
}

#[derive(Debug, Serialize)]
pub struct WeightedForward {
    pub target_group: Vec<WeightedTargetGroup>,
}

#[derive(Debug, Serialize)]
pub struct WeightedTargetGroup {
    pub arn: Expr,
    pub weight: u32,
}

#[derive(Debug, Serialize)]
pub struct FixedResponse {
    pub content_type: Expr,
    pub message_body: Expr,
    pub status_code: Expr,
}

#[derive(Debug, Serialize)]
pub struct LbListenerRule {
    pub listener_arn: Expr,
    pub priority: u32,
    pub action: Vec<ListenerAction>,
    pub condition: Vec<RuleCondition>,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(LbListenerRule = "aws_lb_listener_rule", attributes: [arn, id]);

/// One condition block: exactly one of the fields is set.
#[derive(Debug, Serialize)]
pub struct RuleCondition {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_header: Option<ConditionValues>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_pattern: Option<ConditionValues>,
}

#[derive(Debug, Serialize)]
pub struct ConditionValues {
    pub values: Vec<Expr>,
}

/// A classic Elastic Load Balancer.
#[derive(Debug, Serialize)]
pub struct Elb {
    pub name: Expr,
    pub internal: bool,
    pub subnets: List,
    pub security_groups: List,
    pub listener: Vec<ElbListener>,
    pub health_check: ElbHealthCheck,
    pub idle_timeout: u32,
    pub connection_draining: bool,
    pub connection_draining_timeout: u32,
    pub cross_zone_load_balancing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_logs: Option<ElbAccessLogs>,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(Elb = "aws_elb", attributes: [name, arn, dns_name, id]);

#[derive(Debug, Serialize)]
pub struct ElbAccessLogs {
    pub bucket: Expr,
    pub bucket_prefix: Expr,
    /// Minutes: 5 or 60.
    pub interval: u32,
    pub enabled: bool,
}

#[derive(Debug, Serialize)]
pub struct ElbListener {
    pub lb_port: u16,
    pub lb_protocol: Expr,
    pub instance_port: u16,
    pub instance_protocol: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_certificate_id: Option<Expr>,
}

/// A policy of a classic ELB; here an `SSLNegotiationPolicyType` naming a predefined
/// security policy, bound to HTTPS/SSL ports by [`LoadBalancerListenerPolicy`].
#[derive(Debug, Serialize)]
pub struct LoadBalancerPolicy {
    pub load_balancer_name: Expr,
    pub policy_name: Expr,
    pub policy_type_name: Expr,
    pub policy_attribute: Vec<PolicyAttribute>,
}
resource!(LoadBalancerPolicy = "aws_load_balancer_policy", attributes: [policy_name, id]);

#[derive(Debug, Serialize)]
pub struct PolicyAttribute {
    pub name: Expr,
    pub value: Expr,
}

/// The policies a classic ELB applies on one listener port.
#[derive(Debug, Serialize)]
pub struct LoadBalancerListenerPolicy {
    pub load_balancer_name: Expr,
    pub load_balancer_port: u16,
    pub policy_names: List,
}
resource!(LoadBalancerListenerPolicy = "aws_load_balancer_listener_policy", attributes: [id]);

#[derive(Debug, Serialize)]
pub struct ElbHealthCheck {
    pub target: Expr,
    pub interval: u32,
    pub timeout: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

#[derive(Debug, Serialize)]
pub struct ListenerRedirect {
    pub port: Expr,
    pub protocol: Expr,
    pub status_code: Expr,
}
