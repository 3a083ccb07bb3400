//! IAM: roles, their inline policies and managed-policy attachments, service-linked roles.

use serde::Serialize;

use super::{resource, Tags};
use crate::tf::Expr;

#[derive(Debug, Serialize)]
pub struct IamRole {
    pub name: Expr,
    pub description: Expr,
    /// The trust policy as JSON text.
    pub assume_role_policy: Expr,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(IamRole = "aws_iam_role", attributes: [arn, name, id]);

#[derive(Debug, Serialize)]
pub struct IamRolePolicyAttachment {
    pub role: Expr,
    pub policy_arn: Expr,
}
resource!(IamRolePolicyAttachment = "aws_iam_role_policy_attachment", attributes: [id]);

/// A service-linked role, created once per account; creating it again fails.
#[derive(Debug, Serialize)]
pub struct IamServiceLinkedRole {
    pub aws_service_name: Expr,
}
resource!(IamServiceLinkedRole = "aws_iam_service_linked_role", attributes: [arn, name]);

/// An inline policy, for permissions scoped to this stack's own resources.
#[derive(Debug, Serialize)]
pub struct IamRolePolicy {
    pub name: Expr,
    pub role: Expr,
    /// The policy as JSON text.
    pub policy: Expr,
}
resource!(IamRolePolicy = "aws_iam_role_policy", attributes: [id]);
