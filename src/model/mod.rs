//! The domain model: what a platform engineer describes about an ECS deployment.
//!
//! Stacks in `stacks/` build these values and nothing else. Every optional setting has a
//! documented default chosen for a production blue/green service; [`Stack::validate`] checks
//! the whole model against AWS's rules before anything is lowered to Terraform.

mod deployment;
mod load_balancer;
pub(crate) mod naming;
mod scaling;
mod service;
mod stack;
pub mod validate;

pub use deployment::{BlueGreen, Deployment, DeploymentConfig, Hook, HookEvent};
pub use load_balancer::{
    Listener, LoadBalancer, LoadBalancerId, LoadBalancerKind, Protocol, Scheme, TargetHealthCheck,
};
pub use scaling::{Step, StepScaling};
pub use service::{
    Architecture, Container, ContainerHealthCheck, Port, PortProtocol, Secret, Service, TaskSize,
    Traffic, Ulimit,
};
pub use stack::{Backend, Capacity, Cluster, Input, Network, Stack};
pub use validate::{Diagnostic, Severity};
