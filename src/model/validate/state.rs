//! Where the stack's Terraform state lives.

use super::Checker;
use crate::model::stack::{Backend, Stack};

/// S3 bucket names: 3 to 63 lower-case letters, digits, `.` and `-`, starting and ending
/// with a letter or digit (S3 bucket naming rules).
fn bucket_problem(bucket: &str) -> Option<&'static str> {
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
