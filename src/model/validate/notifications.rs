//! Deployment notifications: the topic a service names, and what the topic the stack creates
//! and CodeDeploy's trigger on it must satisfy.

use super::provider::region_partition;
use super::Coverage::{ByConstruction, Checked, NotChecked};
use super::{cut, row, service_path, Checker, Constraint};
use crate::model::notifications::DeploymentTopic;
use crate::model::service::Service;
use crate::model::stack::Stack;

const TOPIC: &str = "aws_sns_topic";
const DG: &str = "aws_codedeploy_deployment_group";

pub(super) const CATALOGUE: &[Constraint] = &[
    row(TOPIC, "name", "1–256 of A-Za-z0-9_-", "SNS API CreateTopic", ByConstruction("`<stack>-<service>-deployments`: the family is checked and fits the 64 characters of its IAM roles")),
    row(TOPIC, "kms_master_key_id", "a KMS key the publishers may use; unencrypted topics fail checkov CKV_AWS_26", "SNS Developer Guide, Encryption at rest; checkov CKV_AWS_26", ByConstruction("`alias/aws/sns`, whose key policy lets the account's publishers use it")),
    row(DG, "trigger_configuration", "events ⊂ DeploymentStart, DeploymentSuccess, DeploymentFailure, DeploymentStop, DeploymentRollback, DeploymentReady, Instance*; target an SNS topic ARN the service role may publish to", "CodeDeploy API TriggerConfig; CodeDeploy User Guide, Grant Amazon SNS permissions to a CodeDeploy service role", Checked("notifications (the ARN's shape; the grant is lowered with the trigger)")),
    row(DG, "trigger_configuration.region", "the topic's region", "CodeDeploy User Guide, Create a trigger", NotChecked("an existing topic in another region is the user's choice; the created topic is in the stack's region")),
];

/// The characters of an SNS topic name (SNS API `CreateTopic`: "Up to 256 alphanumeric
/// characters, hyphens (-), and underscores (_)").
fn is_topic_name(name: &str) -> bool {
    (1..=256).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub(super) fn check(check: &mut Checker, stack: &Stack, service: &Service) {
    let Some(DeploymentTopic::Existing(arn)) = &service.notifications else {
        return;
    };
    let path = service_path(service);
    let field = "notifications";
    let partition = region_partition(&stack.region).unwrap_or("aws");
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let shaped = matches!(parts.as_slice(),
        ["arn", p, "sns", region, account, _]
            if !p.is_empty() && !region.is_empty()
                && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    if !shaped {
        check.error(
            &path,
            field,
            format!(
                "`{}` is not an SNS topic ARN; give `arn:{partition}:sns:<region>:<12-digit \
                 account>:<topic name>`, or `DeploymentTopic::Created` for a topic the stack \
                 creates",
                cut(arn)
            ),
        );
        return;
    }
    if parts[1] != partition {
        check.error(
            &path,
            field,
            format!(
                "`{}` is in partition `{}`, but region `{}` is in `{partition}`; CodeDeploy \
                 cannot publish across partitions",
                cut(arn),
                parts[1],
                stack.region
            ),
        );
    }
    let name = parts[5];
    if name.ends_with(".fifo") {
        // SNS API Publish: "MessageGroupId … is required for FIFO topics"; CodeDeploy's
        // triggers send none.
        check.error(
            &path,
            field,
            format!(
                "`{}` is a FIFO topic; CodeDeploy's triggers publish without the message group \
                 id a FIFO topic requires (SNS API Publish); use a standard topic",
                cut(arn)
            ),
        );
    } else if !is_topic_name(name) {
        check.error(
            &path,
            field,
            format!(
                "topic name `{}` of `{}` is not 1–256 of A-Z, a-z, 0-9, `-` and `_` (SNS API \
                 CreateTopic)",
                cut(name),
                cut(arn)
            ),
        );
    }
}
