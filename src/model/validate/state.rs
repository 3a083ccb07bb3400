//! Stack-wide settings outside the cluster: where the Terraform state lives, the KMS key of
//! the logs and file systems, and the S3 buckets access logs go to.

use super::Coverage::{ByConstruction, Checked};
use super::{row, Checker, Constraint};
use crate::model::stack::{Backend, Stack};

/// S3 bucket names: 3 to 63 lower-case letters, digits, `.` and `-`, starting and ending
/// with a letter or digit (S3 bucket naming rules).
pub(super) fn bucket_problem(bucket: &str) -> Option<&'static str> {
    if !(3..=63).contains(&bucket.len()) {
        return Some("S3 bucket names have 3 to 63 characters");
    }
    if !bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Some("S3 bucket names allow only a-z, 0-9, `.` and `-`");
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge_ok(bucket.chars().next()) || !edge_ok(bucket.chars().last()) {
        return Some("S3 bucket names start and end with a letter or digit");
    }
    None
}

pub(super) fn check(check: &mut Checker, stack: &Stack) {
    match &stack.backend {
        None => check.warning(
            &[],
            "backend",
            format!(
                "no backend chosen: Terraform keeps the state in out/{}/terraform.tfstate, \
                 which git ignores and a clean checkout loses; use \
                 `stack.backend(Backend::s3(bucket, region))` for a stack a team deploys, or \
                 `Backend::Local` to keep a throwaway stack's state local on purpose",
                stack.name
            ),
        ),
        Some(Backend::Local) => {}
        Some(Backend::S3(s3)) => {
            if let Some(problem) = bucket_problem(&s3.bucket) {
                check.error(
                    &[],
                    "backend.bucket",
                    format!("`{}` is not an S3 bucket name: {problem}", s3.bucket),
                );
            }
            if s3.region.is_empty() {
                check.error(
                    &[],
                    "backend.region",
                    "the state bucket's region is empty, e.g. `eu-west-1`".into(),
                );
            }
        }
    }
}

/// `Stack::log_kms_key`: a KMS key or alias ARN in the stack's region (CloudWatch Logs
/// AssociateKmsKey takes the key ARN; the provider validates an ARN).
pub(super) fn check_log_key(check: &mut Checker, stack: &Stack) {
    let Some(arn) = &stack.log_kms_key else {
        return;
    };
    let prefix = format!("arn:aws:kms:{}:", stack.region);
    let valid = arn.strip_prefix(&prefix).is_some_and(|rest| {
        rest.split_once(':').is_some_and(|(account, resource)| {
            account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && (resource
                    .strip_prefix("key/")
                    .is_some_and(|id| !id.is_empty())
                    || resource
                        .strip_prefix("alias/")
                        .is_some_and(|id| !id.is_empty()))
        })
    });
    if !valid {
        check.error(
            &[],
            "log_kms_key",
            format!(
                "`{arn}` is not a KMS key ARN of the stack's region; write \
                 `arn:aws:kms:{}:<account>:key/<key id>`",
                stack.region
            ),
        );
    }
}

/// An access log destination: an S3 bucket name, and a prefix without a leading or
/// trailing `/` that does not contain `AWSLogs` (ELB writes `<prefix>/AWSLogs/…` itself).
pub(super) fn check_access_logs(
    check: &mut Checker,
    path: &[String],
    logs: &crate::model::load_balancer::AccessLogs,
) {
    if let Some(problem) = bucket_problem(&logs.bucket) {
        check.error(
            path,
            "access_logs.bucket",
            format!("`{}` is not an S3 bucket name: {problem}", logs.bucket),
        );
    }
    if logs.prefix.starts_with('/') || logs.prefix.ends_with('/') || logs.prefix.contains("AWSLogs")
    {
        check.error(
            path,
            "access_logs.prefix",
            format!(
                "`{}` must not start or end with `/` nor contain `AWSLogs`, which ELB adds \
                 itself",
                logs.prefix
            ),
        );
    }
}

pub(super) const CATALOGUE: &[Constraint] = &[
    row(
        "terraform.backend.s3",
        "bucket",
        "S3 bucket name: 3–63 of a-z0-9.-, letter or digit at each end",
        "S3 User Guide, bucket naming rules",
        Checked("backend.bucket"),
    ),
    row(
        "terraform.backend.s3",
        "key",
        "object key",
        "S3 API",
        ByConstruction("`<stack>/terraform.tfstate` from a checked stack name"),
    ),
    row(
        "aws_cloudwatch_log_group",
        "kms_key_id",
        "a KMS key ARN whose key policy lets CloudWatch Logs of the region use it",
        "CloudWatch Logs API AssociateKmsKey; provider ValidARN",
        Checked("log_kms_key (the stack's own key otherwise)"),
    ),
    row(
        "aws_kms_key",
        "description",
        "≤ 8192 characters",
        "KMS API CreateKey",
        ByConstruction("fixed text with the checked stack name"),
    ),
    row(
        "aws_kms_key",
        "policy",
        "≤ 32 KB JSON key policy",
        "KMS API CreateKey",
        ByConstruction("fixed statements"),
    ),
    row(
        "aws_kms_key",
        "enable_key_rotation",
        "boolean",
        "KMS API EnableKeyRotation",
        ByConstruction("constant"),
    ),
    row(
        "aws_kms_key",
        "deletion_window_in_days",
        "7–30",
        "KMS API ScheduleKeyDeletion; provider validation",
        ByConstruction("constant 30"),
    ),
    row(
        "aws_efs_file_system",
        "kms_key_id",
        "KMS key ARN",
        "EFS API CreateFileSystem",
        ByConstruction("the stack's key, as for its logs"),
    ),
    row(
        "aws_lb",
        "access_logs",
        "an existing S3 bucket name; prefix without leading or trailing `/` and without `AWSLogs`",
        "ELB User Guide, access logs",
        Checked("access_logs.bucket, access_logs.prefix"),
    ),
    row(
        "aws_elb",
        "access_logs",
        "as for aws_lb; interval 5 or 60 minutes",
        "Classic ELB User Guide, access logs",
        Checked("access_logs.bucket, access_logs.prefix (interval constant 5)"),
    ),
];
