//! Subnets given as values: none is an error, one is a single Availability Zone. Subnets
//! given as Terraform variables are checked by AWS at plan time.

use super::Checker;
use super::Coverage::{ByConstruction, Checked};
use super::{row, Constraint};
use crate::model::load_balancer::LoadBalancerKind;
use crate::model::stack::{Input, Stack};

pub(super) const CATALOGUE: &[Constraint] = &[
    row("aws_security_group", "name", "≤ 255 of a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*, not `sg-…`", "EC2 API CreateSecurityGroup", ByConstruction("`<stack>-<part>-lb|tasks|instances` of checked names; a stack named `sg` is refused (`sg-…` is reserved)")),
    row("aws_security_group", "description", "≤ 255, EC2's characters", "EC2 API CreateSecurityGroup", ByConstruction("fixed text with checked names")),
    row("aws_security_group", "vpc_id", "VPC id: `vpc-` and 8 or 17 lower-case hex digits", "EC2 User Guide, Resource IDs; EC2 API error InvalidVpcID.Malformed", Checked("network.vpc_id (values only; a variable is checked by EC2 at plan)")),
    row("aws_ecs_service", "network_configuration.subnets", "at least one subnet; each `subnet-` and 8 or 17 lower-case hex digits", "ECS API AwsVpcConfiguration; EC2 User Guide, Resource IDs", Checked("network.subnet_ids (values only)")),
];

pub(super) fn check(check: &mut Checker, stack: &Stack) {
    if stack.name == "sg" {
        check.error(
            &[],
            "name",
            "security group names are `<stack>-…`, and EC2 refuses names starting with `sg-`; \
             rename the stack"
                .into(),
        );
    }
    let network = &stack.network;
    if let Input::Value(vpc) = &network.vpc_id {
        check_id(check, "network.vpc_id", "a VPC", "vpc", vpc);
    }
    for (field, input) in [
        ("network.subnet_ids", Some(&network.subnet_ids)),
        (
            "network.load_balancer_subnet_ids",
            network.load_balancer_subnet_ids.as_ref(),
        ),
    ] {
        if let Some(Input::Value(subnets)) = input {
            for subnet in subnets {
                check_id(check, field, "a subnet", "subnet", subnet);
            }
        }
    }
    if let Input::Value(subnets) = &network.subnet_ids {
        match subnets.len() {
            0 => check.error(
                &[],
                "network.subnet_ids",
                "no subnets; tasks need at least one, best in two or more Availability Zones"
                    .into(),
            ),
            1 => check.warning(
                &[],
                "network.subnet_ids",
                format!(
                    "one subnet (`{}`) puts every task in one Availability Zone; give subnets in \
                     at least two zones",
                    subnets[0]
                ),
            ),
            _ => {}
        }
    }
    if stack.load_balancers().is_empty() {
        return;
    }
    let (field, subnets) = match &network.load_balancer_subnet_ids {
        Some(input) => ("network.load_balancer_subnet_ids", input),
        None => ("network.subnet_ids", &network.subnet_ids),
    };
    let Input::Value(subnets) = subnets else {
        return;
    };
    let application = stack
        .load_balancers()
        .iter()
        .find(|lb| lb.kind == LoadBalancerKind::Application);
    match (subnets.len(), application) {
        // Reported above when the load balancers share the tasks' subnets.
        (0, _) if field == "network.subnet_ids" => {}
        (0, _) => check.error(
            &[],
            field,
            "no subnets; load balancers need at least one".into(),
        ),
        (1, Some(alb)) => check.error(
            &[],
            field,
            format!(
                "one subnet (`{}`), but application load balancer `{}` needs subnets in at \
                 least two Availability Zones",
                subnets[0], alb.name
            ),
        ),
        (1, None) if field == "network.load_balancer_subnet_ids" => check.warning(
            &[],
            field,
            format!(
                "one subnet (`{}`) puts the load balancers in one Availability Zone; give \
                 subnets in at least two zones",
                subnets[0]
            ),
        ),
        _ => {}
    }
}

/// EC2 resource ids: the type's prefix, `-`, and 8 (older resources) or 17 lower-case
/// hexadecimal digits (EC2 User Guide, "Resource IDs"); EC2 answers anything else with
/// `InvalidVpcID.Malformed` / `InvalidSubnetID.Malformed` at apply time.
pub(super) fn is_resource_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|digits| {
            matches!(digits.len(), 8 | 17)
                && digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
}

fn check_id(check: &mut Checker, field: &str, what: &str, prefix: &str, id: &str) {
    if !is_resource_id(id, prefix) {
        check.error(
            &[],
            field,
            format!(
                "`{}` is not {what} id: `{prefix}-` and 8 or 17 lower-case hexadecimal digits, \
                 e.g. `{prefix}-0a1b2c3d4e5f67890`",
                super::cut(&id.escape_debug().to_string())
            ),
        );
    }
}
