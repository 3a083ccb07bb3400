//! SNS: the topic a service's deployment events are published to.

use serde::Serialize;

use super::{resource, Tags};
use crate::tf::Expr;

#[derive(Debug, Serialize)]
pub struct SnsTopic {
    pub name: Expr,
    /// A KMS key id, ARN or alias; encrypts messages at rest.
    pub kms_master_key_id: Expr,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(SnsTopic = "aws_sns_topic", attributes: [arn, name, id]);
