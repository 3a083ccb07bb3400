//! The provider block: the region every resource lives in, and the tags every resource gets
//! through `default_tags`.

use super::Coverage::Checked;
use super::{row, Checker, Constraint};
use crate::model::stack::Stack;

pub(super) const CATALOGUE: &[Constraint] = &[
    row(
        "provider.aws",
        "region",
        "a region the provider knows (endpoint data); refused at `terraform plan`, not by \
         `terraform validate`. ecsynth writes `arn:aws:` ARNs (managed policies, secret grants), \
         so only the `aws` partition",
        "AWS General Reference, Regions and endpoints; provider `region` validation",
        Checked("region"),
    ),
    row(
        "provider.aws",
        "default_tags",
        "at most 50 tags per resource (with `Stack`, `ManagedBy` and a resource's `Name`); key \
         1–128, value 0–256 characters, both of letters, digits, spaces and `_.:/=+-@`; keys \
         starting with `aws:` are reserved",
        "Tagging AWS resources, Tag naming limits and requirements",
        Checked("tags"),
    ),
];

/// Regions of the `aws` partition known to the pinned provider (hashicorp/aws 5.x).
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The partition of a region of another partition (`aws-cn`, `aws-us-gov`, …), by prefix.
pub fn region_partition(region: &str) -> Option<&'static str> {
    [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
        ("eusc-", "aws-eusc"),
    ]
    .into_iter()
    .find(|(prefix, _)| region.starts_with(prefix))
    .map(|(_, partition)| partition)
}

/// Tags AWS allows on one resource.
const MAX_TAGS: usize = 50;
const MAX_KEY: usize = 128;
const MAX_VALUE: usize = 256;
/// Keys lowering adds: `Stack` and `ManagedBy` to every resource, `Name` to instances, their
/// Auto Scaling group and EFS file systems.
const ADDED_KEYS: &[&str] = &["Stack", "ManagedBy", "Name"];

/// Unicode letters, digits, separators (spaces) and `_ . : / = + - @`.
fn tag_character(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}

pub(super) fn check(check: &mut Checker, stack: &Stack) {
    check_region(check, &stack.region);
    check_tags(check, stack);
}

fn check_region(check: &mut Checker, region: &str) {
    if KNOWN_REGIONS.contains(&region) {
        return;
    }
    let message = if let Some(partition) = region_partition(region) {
        format!(
            "`{region}` is in the `{partition}` partition; ecsynth writes `arn:aws:` ARNs \
             (managed policies, secret grants), so it supports the regions of the `aws` \
             partition only"
        )
    } else {
        let closest = closest_region(region)
            .map(|known| format!("did you mean `{known}`? "))
            .unwrap_or_default();
        format!(
            "`{region}` is not an AWS region (the provider refuses it at plan time); \
             {closest}regions: {}",
            KNOWN_REGIONS.join(", ")
        )
    };
    check.error(&[], "region", message);
}

/// The known region within two edits of `region`, if any.
pub(super) fn closest_region(region: &str) -> Option<&'static str> {
    KNOWN_REGIONS
        .iter()
        .map(|known| (strsim::levenshtein(known, region), *known))
        .min()
        .filter(|(distance, _)| *distance <= 2)
        .map(|(_, known)| known)
}

fn check_tags(check: &mut Checker, stack: &Stack) {
    for (key, value) in &stack.tags {
        let key_length = key.chars().count();
        if key_length == 0 || key_length > MAX_KEY {
            check.error(
                &[],
                "tags",
                format!("tag key `{key}` is {key_length} characters; AWS allows 1 to {MAX_KEY}"),
            );
        }
        if key
            .get(..4)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
        {
            check.error(
                &[],
                "tags",
                format!(
                    "tag key `{key}` starts with `aws:`, which AWS reserves for its own tags; \
                     rename the tag"
                ),
            );
        }
        if let Some(bad) = key.chars().find(|c| !tag_character(*c)) {
            check.error(
                &[],
                "tags",
                format!(
                    "tag key `{key}` contains {}; tags allow letters, digits, spaces and \
                     `_.:/=+-@`",
                    shown(bad)
                ),
            );
        }
        let value_length = value.chars().count();
        if value_length > MAX_VALUE {
            check.error(
                &[],
                "tags",
                format!(
                    "the value of tag `{key}` is {value_length} characters; AWS allows at most \
                     {MAX_VALUE}"
                ),
            );
        }
        if let Some(bad) = value.chars().find(|c| !tag_character(*c)) {
            check.error(
                &[],
                "tags",
                format!(
                    "the value of tag `{key}` contains {}; tags allow letters, digits, spaces \
                     and `_.:/=+-@`",
                    shown(bad)
                ),
            );
        }
    }
    let own = stack
        .tags
        .keys()
        .filter(|key| !ADDED_KEYS.contains(&key.as_str()))
        .count();
    let total = own + ADDED_KEYS.len();
    if total > MAX_TAGS {
        check.error(
            &[],
            "tags",
            format!(
                "{own} tags, and ecsynth adds `Stack`, `ManagedBy` and `Name`: {total} on some \
                 resources, AWS allows at most {MAX_TAGS}; remove {}",
                total - MAX_TAGS
            ),
        );
    }
}

/// A character as a message shows it: `;`, or U+0009 for one that does not print.
pub(super) fn shown(c: char) -> String {
    if c.is_control() || (c.is_whitespace() && c != ' ') {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("`{c}`")
    }
}
