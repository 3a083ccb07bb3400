//! Security groups and their ingress and egress rules, one resource per rule.

use serde::Serialize;

use super::{resource, Tags};
use crate::tf::Expr;

#[derive(Debug, Serialize)]
pub struct SecurityGroup {
    pub name: Expr,
    pub description: Expr,
    pub vpc_id: Expr,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(SecurityGroup = "aws_security_group", attributes: [id, arn]);

/// One ingress rule; a resource of its own so rules can be added without rewriting the group.
#[derive(Debug, Serialize)]
pub struct VpcSecurityGroupIngressRule {
    pub security_group_id: Expr,
    pub description: Expr,
    pub ip_protocol: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ipv4: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referenced_security_group_id: Option<Expr>,
}
resource!(VpcSecurityGroupIngressRule = "aws_vpc_security_group_ingress_rule", attributes: [id]);

/// One egress rule; same arguments as the ingress rule.
#[derive(Debug, Serialize)]
pub struct VpcSecurityGroupEgressRule(pub VpcSecurityGroupIngressRule);
resource!(VpcSecurityGroupEgressRule = "aws_vpc_security_group_egress_rule", attributes: [id]);
