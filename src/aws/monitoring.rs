//! Logs, alarms and Application Auto Scaling.

use indexmap::IndexMap;
use serde::Serialize;

use super::{resource, Tags};
use crate::tf::Expr;

#[derive(Debug, Serialize)]
pub struct CloudwatchLogGroup {
    pub name: Expr,
    pub retention_in_days: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<Expr>,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(CloudwatchLogGroup = "aws_cloudwatch_log_group", attributes: [name, arn]);

#[derive(Debug, Serialize)]
pub struct KmsKey {
    pub description: Expr,
    pub enable_key_rotation: bool,
    pub deletion_window_in_days: u32,
    pub policy: Expr,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(KmsKey = "aws_kms_key", attributes: [arn, key_id]);

/// `data "aws_caller_identity"`: the account Terraform runs in.
#[derive(Debug, Serialize)]
pub struct CallerIdentity {}
resource!(CallerIdentity = "aws_caller_identity", attributes: [account_id]);

#[derive(Debug, Serialize)]
pub struct CloudwatchMetricAlarm {
    pub alarm_name: Expr,
    pub alarm_description: Expr,
    pub namespace: Expr,
    pub metric_name: Expr,
    pub dimensions: IndexMap<String, Expr>,
    /// `Sum`, `Average`, `Maximum`…; exclusive with `extended_statistic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistic: Option<Expr>,
    /// A percentile such as `p99`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_statistic: Option<Expr>,
    pub comparison_operator: Expr,
    pub threshold: f64,
    pub period: u32,
    pub evaluation_periods: u32,
    /// `missing`, `ignore`, `breaching` or `notBreaching`; the provider's default is `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treat_missing_data: Option<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarm_actions: Vec<Expr>,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(CloudwatchMetricAlarm = "aws_cloudwatch_metric_alarm", attributes: [arn, alarm_name]);

/// The scalable target. Never carries `role_arn`: AWS substitutes its service-linked role and a
/// set value would show as a diff on every plan.
#[derive(Debug, Serialize)]
pub struct AppautoscalingTarget {
    pub service_namespace: Expr,
    pub resource_id: Expr,
    pub scalable_dimension: Expr,
    pub min_capacity: u32,
    pub max_capacity: u32,
}
resource!(AppautoscalingTarget = "aws_appautoscaling_target", attributes: [resource_id, scalable_dimension, service_namespace]);

#[derive(Debug, Serialize)]
pub struct AppautoscalingPolicy {
    pub name: Expr,
    pub policy_type: Expr,
    pub service_namespace: Expr,
    pub resource_id: Expr,
    pub scalable_dimension: Expr,
    pub step_scaling_policy_configuration: StepScalingPolicyConfiguration,
}
resource!(AppautoscalingPolicy = "aws_appautoscaling_policy", attributes: [arn, name]);

#[derive(Debug, Serialize)]
pub struct StepScalingPolicyConfiguration {
    pub adjustment_type: Expr,
    pub cooldown: u32,
    pub metric_aggregation_type: Expr,
    pub step_adjustment: Vec<StepAdjustment>,
}

/// Bounds are strings in the provider schema and relative to the alarm threshold; an absent
/// bound is infinity.
#[derive(Debug, Serialize)]
pub struct StepAdjustment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_interval_lower_bound: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_interval_upper_bound: Option<Expr>,
    pub scaling_adjustment: i32,
}
