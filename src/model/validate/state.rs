//! Stack-wide settings outside the cluster: where the Terraform state lives, the KMS key of
//! the logs and file systems, and the S3 buckets access logs go to.

use super::Coverage::{ByConstruction, Checked};
use super::KNOWN_REGIONS;
use super::{row, Checker, Constraint};
use crate::model::stack::{Backend, Stack};

/// S3 bucket names (S3 User Guide, "General purpose bucket naming rules"): 3 to 63 lower-case
/// letters, digits, `.` and `-`, starting and ending with a letter or digit, no `..`, not an
/// IP address, and none of the prefixes and suffixes S3 reserves for its own names.
pub(super) fn bucket_problem(bucket: &str) -> Option<String> {
    if !(3..=63).contains(&bucket.len()) {
        return Some("S3 bucket names have 3 to 63 characters".into());
    }
    if !bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Some("S3 bucket names allow only a-z, 0-9, `.` and `-`".into());
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge_ok(bucket.chars().next()) || !edge_ok(bucket.chars().last()) {
        return Some("S3 bucket names start and end with a letter or digit".into());
    }
    if bucket.contains("..") {
        return Some("S3 bucket names have no two adjacent periods".into());
    }
    if bucket.parse::<std::net::Ipv4Addr>().is_ok() {
        return Some("S3 bucket names are not formatted as an IP address".into());
    }
    if let Some(prefix) = RESERVED_BUCKET_PREFIXES
        .iter()
        .find(|prefix| bucket.starts_with(*prefix))
    {
        return Some(format!("S3 reserves names starting with `{prefix}`"));
    }
    if let Some(suffix) = RESERVED_BUCKET_SUFFIXES
        .iter()
        .find(|suffix| bucket.ends_with(*suffix))
    {
        return Some(format!("S3 reserves names ending with `{suffix}`"));
    }
    None
}

/// Bucket name prefixes and suffixes S3 reserves (access points, Object Lambda, directory and
/// table buckets, Multi-Region Access Points, documentation examples).
const RESERVED_BUCKET_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_BUCKET_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// An S3 object key holds at most 1024 bytes of UTF-8 (S3 User Guide, "Naming Amazon S3
/// objects").
const MAX_OBJECT_KEY: usize = 1024;

/// A key or key prefix made of S3's "safe characters" (S3 User Guide, "Naming Amazon S3
/// objects": letters, digits, `!-_.*'()`, and `/` between segments), with no `.` or `..`
/// segment, which tools read as relative paths. S3 stores other characters, but its guide
/// says to avoid them or handle them specially; ecsynth refuses them.
fn key_problem(key: &str) -> Option<String> {
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "!-_.*'()/".contains(*c)))
    {
        return Some(format!(
            "contains {}; S3's safe key characters are letters, digits, `!-_.*'()` and `/`",
            super::provider::shown(bad)
        ));
    }
    if key
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Some("has a `.` or `..` segment, which tools read as a relative path".into());
    }
    None
}

/// A value as a message quotes it: control characters escaped (`\n`), cut when long.
fn quoted(value: &str) -> String {
    super::cut(&value.escape_debug().to_string()).into_owned()
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
                    format!(
                        "`{}` is not an S3 bucket name: {problem}",
                        quoted(&s3.bucket)
                    ),
                );
            }
            check_backend_region(check, &s3.region);
            if let Some(key) = &s3.key {
                check_state_key(check, key);
            }
        }
    }
}

/// The state bucket's region: one the S3 backend can reach, i.e. a region of the `aws`
/// partition, which is the one ecsynth writes ARNs for.
fn check_backend_region(check: &mut Checker, region: &str) {
    if KNOWN_REGIONS.contains(&region) {
        return;
    }
    let closest = super::provider::closest_region(region)
        .map(|known| format!("did you mean `{known}`? "))
        .unwrap_or_default();
    check.error(
        &[],
        "backend.region",
        format!(
            "`{}` is not a region of the `aws` partition, where the state bucket must live; \
             {closest}regions: {}",
            quoted(region),
            KNOWN_REGIONS.join(", ")
        ),
    );
}

/// `S3Backend::key`: an S3 object key (1 to 1024 bytes) that Terraform's S3 backend takes
/// (no leading or trailing `/`), of S3's safe characters.
fn check_state_key(check: &mut Checker, key: &str) {
    let problem = if key.is_empty() || key.len() > MAX_OBJECT_KEY {
        Some(format!(
            "is {} bytes; an S3 object key has 1 to {MAX_OBJECT_KEY}",
            key.len()
        ))
    } else if key.starts_with('/') || key.ends_with('/') {
        Some("starts or ends with `/`, which Terraform's S3 backend refuses".into())
    } else {
        key_problem(key)
    };
    if let Some(problem) = problem {
        check.error(
            &[],
            "backend.key",
            format!(
                "`{}` {problem}; e.g. `<stack>/terraform.tfstate`",
                quoted(key)
            ),
        );
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
            format!(
                "`{}` is not an S3 bucket name: {problem}",
                quoted(&logs.bucket)
            ),
        );
    }
    let prefix = &logs.prefix;
    if prefix.starts_with('/') || prefix.ends_with('/') || prefix.contains("AWSLogs") {
        check.error(
            path,
            "access_logs.prefix",
            format!(
                "`{}` must not start or end with `/` nor contain `AWSLogs`, which ELB adds \
                 itself",
                quoted(prefix)
            ),
        );
    }
    if prefix.len() > MAX_LOG_PREFIX {
        check.error(
            path,
            "access_logs.prefix",
            format!(
                "`{}` is {} bytes; ELB takes a prefix of at most {MAX_LOG_PREFIX}",
                quoted(prefix),
                prefix.len()
            ),
        );
    }
    if let Some(problem) = key_problem(prefix) {
        check.error(
            path,
            "access_logs.prefix",
            format!(
                "`{}` {problem}; the prefix starts each log's S3 object key",
                quoted(prefix)
            ),
        );
    }
}

/// ELB's attribute values (`access_logs.s3.prefix`) hold at most 1024 characters (botocore
/// 1.44.8 `elbv2/2015-12-01/service-2.json`, `LoadBalancerAttributeValue`).
const MAX_LOG_PREFIX: usize = 1024;

pub(super) const CATALOGUE: &[Constraint] = &[
    row(
        "terraform.backend.s3",
        "bucket",
        "S3 bucket name: 3–63 of a-z0-9.-, letter or digit at each end, no `..`, not an IPv4 \
         address, not `xn--…`, `sthree-…`, `amzn-s3-demo-…`, `…-s3alias`, `…--ol-s3`, `….mrap`, \
         `…--x-s3`, `…--table-s3`",
        "S3 User Guide, General purpose bucket naming rules",
        Checked("backend.bucket"),
    ),
    row(
        "terraform.backend.s3",
        "region",
        "a region the backend reaches; the `aws` partition's (ecsynth's only)",
        "AWS General Reference, Regions and endpoints",
        Checked("backend.region"),
    ),
    row(
        "terraform.backend.s3",
        "key",
        "object key of 1–1024 bytes; no leading or trailing `/` (Terraform); S3's safe \
         characters (letters, digits, `!-_.*'()`, `/`), no `.` or `..` segment",
        "S3 User Guide, Naming Amazon S3 objects; Terraform `internal/backend/remote-state/s3` \
         `validateStringS3Path`",
        Checked("backend.key (default `<stack>/terraform.tfstate` from a checked stack name)"),
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
        "an existing S3 bucket name (rules as for the backend bucket); prefix without leading \
         or trailing `/`, without `AWSLogs`, ≤ 1024 characters; S3's safe key characters \
         (letters, digits, `!-_.*'()`, `/`), no `.` or `..` segment",
        "ELB User Guide, Enable access logs for your Application Load Balancer; botocore \
         1.44.8 elbv2/2015-12-01 `LoadBalancerAttributeValue` (max 1024); S3 User Guide, \
         Naming Amazon S3 objects",
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
