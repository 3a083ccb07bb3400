//! CodeDeploy: the application and the ECS blue/green deployment group that shifts traffic.

use serde::Serialize;

use super::{resource, Tags};
use crate::tf::{Expr, List};

#[derive(Debug, Serialize)]
pub struct CodedeployApp {
    pub name: Expr,
    pub compute_platform: Expr,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(CodedeployApp = "aws_codedeploy_app", attributes: [name, arn, id]);

#[derive(Debug, Serialize)]
pub struct CodedeployDeploymentGroup {
    pub app_name: Expr,
    pub deployment_group_name: Expr,
    pub service_role_arn: Expr,
    pub deployment_config_name: Expr,
    pub deployment_style: DeploymentStyle,
    pub auto_rollback_configuration: AutoRollbackConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_configuration: Option<AlarmConfiguration>,
    pub blue_green_deployment_config: BlueGreenDeploymentConfig,
    pub ecs_service: EcsServiceRef,
    pub load_balancer_info: LoadBalancerInfo,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trigger_configuration: Vec<TriggerConfiguration>,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(CodedeployDeploymentGroup = "aws_codedeploy_deployment_group", attributes: [deployment_group_name, arn, id]);

#[derive(Debug, Serialize)]
pub struct DeploymentStyle {
    pub deployment_type: Expr,
    pub deployment_option: Expr,
}

#[derive(Debug, Serialize)]
pub struct AutoRollbackConfiguration {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Expr>,
}

/// CloudWatch alarms that stop a deployment (and roll it back with `DEPLOYMENT_STOP_ON_ALARM`).
#[derive(Debug, Serialize)]
pub struct AlarmConfiguration {
    pub alarms: Vec<Expr>,
    pub enabled: bool,
}

#[derive(Debug, Serialize)]
pub struct BlueGreenDeploymentConfig {
    pub deployment_ready_option: DeploymentReadyOption,
    pub terminate_blue_instances_on_deployment_success: TerminateBlueInstances,
}

#[derive(Debug, Serialize)]
pub struct DeploymentReadyOption {
    pub action_on_timeout: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_time_in_minutes: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct TerminateBlueInstances {
    pub action: Expr,
    pub termination_wait_time_in_minutes: u32,
}

#[derive(Debug, Serialize)]
pub struct EcsServiceRef {
    pub cluster_name: Expr,
    pub service_name: Expr,
}

#[derive(Debug, Serialize)]
pub struct LoadBalancerInfo {
    pub target_group_pair_info: TargetGroupPairInfo,
}

#[derive(Debug, Serialize)]
pub struct TargetGroupPairInfo {
    pub prod_traffic_route: TrafficRoute,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_traffic_route: Option<TrafficRoute>,
    /// Blue first, then green, each by name.
    pub target_group: Vec<TargetGroupName>,
}

#[derive(Debug, Serialize)]
pub struct TrafficRoute {
    pub listener_arns: List,
}

#[derive(Debug, Serialize)]
pub struct TargetGroupName {
    pub name: Expr,
}

/// An SNS topic told of the deployment events named.
#[derive(Debug, Serialize)]
pub struct TriggerConfiguration {
    pub trigger_events: Vec<Expr>,
    pub trigger_name: Expr,
    pub trigger_target_arn: Expr,
}
