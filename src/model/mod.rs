//! The domain model: what a platform engineer describes about an ECS deployment.
//!
//! Stacks in `stacks/` build these values and nothing else. Every optional setting has a
//! documented default chosen for a production blue/green service; [`Stack::validate`] checks
//! the whole model against AWS's rules before anything is lowered to Terraform.

mod compute;
mod deployment;
mod descriptor;
pub mod identity;
mod load_balancer;
pub(crate) mod naming;
mod notifications;
mod scaling;
mod service;
mod stack;
pub(crate) mod templates;
mod traffic;
pub mod validate;

pub use compute::{
    Architecture, CapacityProviderId, Compute, Ec2Capacity, Ec2Placement, Fargate, NetworkMode,
    PlacementStrategy, PortRange, AGENT_DYNAMIC_HOST_PORT_RANGE, KERNEL_LOCAL_PORT_RANGE,
};
pub use deployment::{
    BlueGreen, BlueGreenController, CodeDeploy, ControllerKind, Deployment, DeploymentConfig,
    EcsBlueGreen, Hook, HookEvent, LifecycleHook, LifecycleStage, RollbackAlarms, Rolling,
};
pub use descriptor::{DescriptorError, Instances, ServiceDescriptor};
pub use load_balancer::{
    AccessLogs, ClassicHealthCheck, ClassicListener, ClassicLoadBalancer, ClassicLoadBalancerId,
    ClassicProtocol, Listener, LoadBalancer, LoadBalancerId, LoadBalancerKind, Protocol, Scheme,
    TargetHealthCheck, CLASSIC_SSL_POLICY,
};
pub use notifications::{DeploymentEvent, DeploymentTopic};
pub use scaling::{Step, StepScaling};
pub use service::{
    Container, ContainerHealthCheck, EfsVolume, MountPoint, Port, PortProtocol, PosixUser, Secret,
    Service, TaskSize, Ulimit, Volume, VolumeSource,
};
pub use stack::{
    AttributeOverride, Backend, Cluster, Input, Network, ProviderMajor, S3Backend, Stack,
};
pub use traffic::{ClassicTraffic, ContainerPort, Exposure, Route, RuleMatch, Traffic};
pub use validate::{cut, Diagnostic, Severity, Validated};

/// Builds the value of an escape-hatch override (`Stack::override_attribute`):
/// `json!(120)`, `json!({"enabled": true})`. Re-exported so that a stack needs no dependency
/// of its own.
pub use serde_json::json;
