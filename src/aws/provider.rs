//! The `aws` provider block: region and the default tags every resource carries.

use indexmap::IndexMap;
use serde::Serialize;

use crate::tf::Expr;

/// The `aws` provider block.
#[derive(Debug, Serialize)]
pub struct AwsProvider {
    pub region: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_tags: Option<DefaultTags>,
}

#[derive(Debug, Serialize)]
pub struct DefaultTags {
    pub tags: IndexMap<String, Expr>,
}
