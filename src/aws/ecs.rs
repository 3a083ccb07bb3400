//! ECS: cluster, task definition and container definitions, service, capacity providers.

use serde::Serialize;

use super::{resource, Tags};
use crate::tf::{Expr, List};

#[derive(Debug, Serialize)]
pub struct EcsCluster {
    pub name: Expr,
    pub setting: Vec<ClusterSetting>,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(EcsCluster = "aws_ecs_cluster", attributes: [name, arn, id]);

#[derive(Debug, Serialize)]
pub struct ClusterSetting {
    pub name: Expr,
    pub value: Expr,
}

#[derive(Debug, Serialize)]
pub struct EcsTaskDefinition {
    pub family: Expr,
    pub requires_compatibilities: Vec<Expr>,
    pub network_mode: Expr,
    /// Task-level CPU units and memory MiB; strings in the provider schema.
    pub cpu: Expr,
    pub memory: Expr,
    pub execution_role_arn: Expr,
    pub task_role_arn: Expr,
    /// JSON text of `Vec<ContainerDefinition>`.
    pub container_definitions: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume: Vec<TaskVolume>,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(EcsTaskDefinition = "aws_ecs_task_definition", attributes: [arn, arn_without_revision, family, revision]);

#[derive(Debug, Serialize)]
pub struct TaskVolume {
    pub name: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_path: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub efs_volume_configuration: Option<EfsVolumeConfiguration>,
}

#[derive(Debug, Serialize)]
pub struct EfsVolumeConfiguration {
    pub file_system_id: Expr,
    pub transit_encryption: Expr,
    pub authorization_config: EfsAuthorizationConfig,
}

#[derive(Debug, Serialize)]
pub struct EfsAuthorizationConfig {
    pub access_point_id: Expr,
    pub iam: Expr,
}

#[derive(Debug, Serialize)]
pub struct RuntimePlatform {
    pub operating_system_family: Expr,
    pub cpu_architecture: Expr,
}

#[derive(Debug, Serialize)]
pub struct EcsService {
    pub name: Expr,
    pub cluster: Expr,
    pub task_definition: Expr,
    pub desired_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategy>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ordered_placement_strategy: Vec<OrderedPlacementStrategy>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    pub deployment_controller: DeploymentController,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_minimum_healthy_percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_maximum_percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    /// The deployment strategy; written for ECS-native blue/green only (provider 6.4+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarms: Option<DeploymentAlarms>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub load_balancer: Vec<ServiceLoadBalancer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_registries: Option<ServiceRegistries>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period_seconds: Option<u32>,
    pub propagate_tags: Expr,
    pub enable_ecs_managed_tags: bool,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(EcsService = "aws_ecs_service", attributes: [name, id]);

#[derive(Debug, Serialize)]
pub struct DeploymentController {
    #[serde(rename = "type")]
    pub controller_type: Expr,
}

#[derive(Debug, Serialize)]
pub struct CapacityProviderStrategy {
    pub capacity_provider: Expr,
    pub weight: u32,
    pub base: u32,
}

#[derive(Debug, Serialize)]
pub struct OrderedPlacementStrategy {
    #[serde(rename = "type")]
    pub strategy_type: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Expr>,
}

#[derive(Debug, Serialize)]
pub struct PlacementConstraint {
    #[serde(rename = "type")]
    pub constraint_type: Expr,
    pub expression: Expr,
}

#[derive(Debug, Serialize)]
pub struct DeploymentCircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

/// `deployment_configuration`: how ECS itself deploys (`strategy`), with the blue/green
/// settings (hashicorp/aws 6.4+).
#[derive(Debug, Serialize)]
pub struct DeploymentConfiguration {
    pub strategy: Expr,
    pub bake_time_in_minutes: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_hook: Vec<DeploymentLifecycleHook>,
}

/// A Lambda function ECS invokes at `lifecycle_stages` of a deployment, with `role_arn`.
#[derive(Debug, Serialize)]
pub struct DeploymentLifecycleHook {
    pub hook_target_arn: Expr,
    pub role_arn: Expr,
    pub lifecycle_stages: Vec<Expr>,
}

/// CloudWatch alarms ECS watches during a deployment of its own (`DeploymentAlarms`).
#[derive(Debug, Serialize)]
pub struct DeploymentAlarms {
    pub alarm_names: Vec<Expr>,
    pub enable: bool,
    pub rollback: bool,
}

#[derive(Debug, Serialize)]
pub struct ServiceRegistries {
    pub registry_arn: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_port: Option<u16>,
}

/// Either `target_group_arn` (ALB, NLB) or `elb_name` (classic ELB).
#[derive(Debug, Serialize)]
pub struct ServiceLoadBalancer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elb_name: Option<Expr>,
    pub container_name: Expr,
    pub container_port: u16,
    /// The second target group and the listener rules ECS switches between the two, for
    /// ECS-native blue/green (hashicorp/aws 6.4+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advanced_configuration: Option<AdvancedConfiguration>,
}

#[derive(Debug, Serialize)]
pub struct AdvancedConfiguration {
    pub alternate_target_group_arn: Expr,
    pub production_listener_rule: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_listener_rule: Option<Expr>,
    /// The role ECS assumes to modify the listener rules.
    pub role_arn: Expr,
}

#[derive(Debug, Serialize)]
pub struct NetworkConfiguration {
    pub subnets: List,
    pub security_groups: List,
    pub assign_public_ip: bool,
}

/// One entry of a task definition's `container_definitions`, in the ECS API's own spelling and
/// in the normalised form the API returns (defaults written out, top-level empty lists present,
/// ports with `hostPort`), so that reading the task definition back shows no difference. Empty
/// lists nested deeper (`logConfiguration.secretOptions`) are left out: AWS omits them and the
/// provider does not normalise them away, so they would replace the task definition.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDefinition {
    pub name: String,
    pub image: String,
    pub cpu: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<u32>,
    pub essential: bool,
    pub port_mappings: Vec<PortMapping>,
    pub environment: Vec<KeyValue>,
    pub secrets: Vec<SecretRef>,
    pub mount_points: Vec<ContainerMountPoint>,
    pub volumes_from: Vec<()>,
    pub system_controls: Vec<()>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check: Option<ContainerHealthCheck>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<Ulimit>,
    pub readonly_root_filesystem: bool,
    pub log_configuration: LogConfiguration,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    pub container_port: u16,
    pub host_port: u16,
    pub protocol: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerMountPoint {
    pub source_volume: String,
    pub container_path: String,
    pub read_only: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyValue {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    pub name: String,
    pub value_from: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerHealthCheck {
    pub command: Vec<String>,
    pub interval: u32,
    pub timeout: u32,
    pub retries: u32,
    pub start_period: u32,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ulimit {
    pub name: String,
    pub soft_limit: u32,
    pub hard_limit: u32,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogConfiguration {
    pub log_driver: &'static str,
    pub options: indexmap::IndexMap<&'static str, String>,
}

#[derive(Debug, Serialize)]
pub struct EcsCapacityProvider {
    pub name: Expr,
    pub auto_scaling_group_provider: AutoScalingGroupProvider,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(EcsCapacityProvider = "aws_ecs_capacity_provider", attributes: [name, arn, id]);

#[derive(Debug, Serialize)]
pub struct AutoScalingGroupProvider {
    pub auto_scaling_group_arn: Expr,
    pub managed_termination_protection: Expr,
    pub managed_draining: Expr,
    pub managed_scaling: ManagedScaling,
}

#[derive(Debug, Serialize)]
pub struct ManagedScaling {
    pub status: Expr,
    pub target_capacity: u32,
    pub minimum_scaling_step_size: u32,
    pub maximum_scaling_step_size: u32,
}

#[derive(Debug, Serialize)]
pub struct EcsClusterCapacityProviders {
    pub cluster_name: Expr,
    pub capacity_providers: Vec<Expr>,
    pub default_capacity_provider_strategy: Vec<CapacityProviderStrategy>,
}
resource!(EcsClusterCapacityProviders = "aws_ecs_cluster_capacity_providers", attributes: [id]);

/// `runtimePlatform` in the RegisterTaskDefinition JSON (`taskdef.json`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePlatformFile {
    pub operating_system_family: &'static str,
    pub cpu_architecture: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ServiceDiscoveryPrivateDnsNamespace {
    pub name: Expr,
    pub description: Expr,
    pub vpc: Expr,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(ServiceDiscoveryPrivateDnsNamespace = "aws_service_discovery_private_dns_namespace", attributes: [id, arn, hosted_zone]);

#[derive(Debug, Serialize)]
pub struct ServiceDiscoveryService {
    pub name: Expr,
    pub description: Expr,
    pub dns_config: DnsConfig,
    pub health_check_custom_config: HealthCheckCustomConfig,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(ServiceDiscoveryService = "aws_service_discovery_service", attributes: [id, arn]);

#[derive(Debug, Serialize)]
pub struct DnsConfig {
    pub namespace_id: Expr,
    pub routing_policy: Expr,
    pub dns_records: Vec<DnsRecord>,
}

#[derive(Debug, Serialize)]
pub struct DnsRecord {
    pub ttl: u32,
    #[serde(rename = "type")]
    pub record_type: Expr,
}

/// ECS reports task health to Cloud Map itself.
#[derive(Debug, Serialize)]
pub struct HealthCheckCustomConfig {
    pub failure_threshold: u32,
}
