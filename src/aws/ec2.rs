//! EC2 capacity: instance profile, launch template and Auto Scaling group (with instance refresh).

use serde::Serialize;

use super::{resource, Tags};
use crate::tf::{Expr, List};

#[derive(Debug, Serialize)]
pub struct IamInstanceProfile {
    pub name: Expr,
    pub role: Expr,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(IamInstanceProfile = "aws_iam_instance_profile", attributes: [arn, name]);

#[derive(Debug, Serialize)]
pub struct LaunchTemplate {
    pub name: Expr,
    pub description: Expr,
    pub image_id: Expr,
    pub instance_type: Expr,
    pub vpc_security_group_ids: List,
    pub user_data: Expr,
    pub update_default_version: bool,
    pub iam_instance_profile: LaunchTemplateInstanceProfile,
    pub metadata_options: MetadataOptions,
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    pub monitoring: Monitoring,
    pub tag_specifications: Vec<TagSpecification>,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(LaunchTemplate = "aws_launch_template", attributes: [id, arn, latest_version]);

#[derive(Debug, Serialize)]
pub struct LaunchTemplateInstanceProfile {
    pub arn: Expr,
}

#[derive(Debug, Serialize)]
pub struct MetadataOptions {
    pub http_endpoint: Expr,
    pub http_tokens: Expr,
    pub http_put_response_hop_limit: u32,
}

#[derive(Debug, Serialize)]
pub struct BlockDeviceMapping {
    pub device_name: Expr,
    pub ebs: Ebs,
}

#[derive(Debug, Serialize)]
pub struct Ebs {
    pub volume_size: u32,
    pub volume_type: Expr,
    /// `encrypted` and `delete_on_termination` are nullable booleans: strings in the schema
    /// that hashicorp/aws 6.0 validates as `""`, `true` or `false` only (version-6-upgrade
    /// guide, "Nullable Boolean Validation Update"). JSON booleans pass in every major.
    pub encrypted: bool,
    pub delete_on_termination: bool,
}

#[derive(Debug, Serialize)]
pub struct Monitoring {
    pub enabled: bool,
}

#[derive(Debug, Serialize)]
pub struct TagSpecification {
    pub resource_type: Expr,
    pub tags: Tags,
}

#[derive(Debug, Serialize)]
pub struct AutoscalingGroup {
    pub name: Expr,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_capacity: u32,
    pub vpc_zone_identifier: List,
    pub protect_from_scale_in: bool,
    pub health_check_type: Expr,
    pub enabled_metrics: Vec<Expr>,
    pub launch_template: AsgLaunchTemplate,
    pub instance_refresh: InstanceRefresh,
    pub tag: Vec<AsgTag>,
}
resource!(AutoscalingGroup = "aws_autoscaling_group", attributes: [arn, name, id]);

#[derive(Debug, Serialize)]
pub struct AsgLaunchTemplate {
    pub id: Expr,
    pub version: Expr,
}

#[derive(Debug, Serialize)]
pub struct InstanceRefresh {
    pub strategy: Expr,
    pub preferences: InstanceRefreshPreferences,
}

#[derive(Debug, Serialize)]
pub struct InstanceRefreshPreferences {
    pub min_healthy_percentage: u32,
    /// `Refresh`, `Ignore` (AWS's default) or `Wait`.
    pub scale_in_protected_instances: Expr,
}

#[derive(Debug, Serialize)]
pub struct AsgTag {
    pub key: Expr,
    pub value: Expr,
    pub propagate_at_launch: bool,
}
