use indexmap::IndexMap;

use super::deployment::Deployment;
use super::load_balancer::{LoadBalancerId, TargetHealthCheck};
use super::scaling::StepScaling;

/// An ECS service: its task, where its traffic comes from, how it deploys and scales.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// ECS service name; AWS names of its resources are `<stack>-<name>-…`.
    pub name: String,
    /// Tasks to run at creation. With scaling, the autoscaler owns it afterwards. Default: 2.
    pub desired_count: u32,
    pub task_size: TaskSize,
    /// Default: X86_64.
    pub architecture: Architecture,
    pub containers: Vec<Container>,
    /// Load balancer traffic. Default: none.
    pub traffic: Option<Traffic>,
    /// Default: blue/green through CodeDeploy, all at once.
    pub deployment: Deployment,
    /// Default: none (a fixed `desired_count`).
    pub scaling: Option<StepScaling>,
    /// Days the containers' logs are kept. Default: 30.
    pub log_retention_days: u32,
    /// Give tasks public IPs (only for public subnets without NAT). Default: off.
    pub assign_public_ip: bool,
    /// Seconds ECS ignores failing load balancer health checks after a task starts. Default: 60.
    pub health_check_grace_period_seconds: u32,
}

impl Service {
    /// A service of one task size with blue/green deployment and no traffic, scaling or containers yet.
    pub fn new(name: &str, task_size: TaskSize) -> Service {
        Service {
            name: name.into(),
            desired_count: 2,
            task_size,
            architecture: Architecture::X86_64,
            containers: Vec::new(),
            traffic: None,
            deployment: Deployment::default(),
            scaling: None,
            log_retention_days: 30,
            assign_public_ip: false,
            health_check_grace_period_seconds: 60,
        }
    }

    pub fn container(mut self, container: Container) -> Service {
        self.containers.push(container);
        self
    }

    pub fn traffic(mut self, traffic: Traffic) -> Service {
        self.traffic = Some(traffic);
        self
    }

    pub fn deployment(mut self, deployment: Deployment) -> Service {
        self.deployment = deployment;
        self
    }

    pub fn scaling(mut self, scaling: StepScaling) -> Service {
        self.scaling = Some(scaling);
        self
    }

    pub fn desired_count(mut self, count: u32) -> Service {
        self.desired_count = count;
        self
    }

    pub fn is_blue_green(&self) -> bool {
        matches!(self.deployment, Deployment::BlueGreen(_))
    }

    pub fn is_autoscaled(&self) -> bool {
        self.scaling.is_some()
    }
}

/// Fargate task size: CPU units and memory in MiB, in one of the combinations Fargate offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskSize {
    pub cpu: u32,
    pub memory: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    X86_64,
    Arm64,
}

impl Architecture {
    pub fn name(self) -> &'static str {
        match self {
            Architecture::X86_64 => "X86_64",
            Architecture::Arm64 => "ARM64",
        }
    }
}

/// How a load balancer reaches the service: one container port, registered in the blue or
/// green target group.
#[derive(Clone, Debug, PartialEq)]
pub struct Traffic {
    pub load_balancer: LoadBalancerId,
    pub container: String,
    pub container_port: u16,
    pub health_check: TargetHealthCheck,
    /// Seconds a deregistering target keeps draining. Default: 30 (AWS's 300 slows every
    /// blue/green switch by five minutes).
    pub deregistration_delay: u32,
}

impl Traffic {
    pub fn new(
        load_balancer: LoadBalancerId,
        container: &str,
        container_port: u16,
        health_check: TargetHealthCheck,
    ) -> Traffic {
        Traffic {
            load_balancer,
            container: container.into(),
            container_port,
            health_check,
            deregistration_delay: 30,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    pub name: String,
    pub image: String,
    /// CPU units reserved for the container. Default: 0 (shares the task's).
    pub cpu: u32,
    /// Soft memory limit in MiB. Default: none.
    pub memory_reservation: Option<u32>,
    /// Hard memory limit in MiB; the container is killed above it. Default: none.
    pub memory: Option<u32>,
    /// The task stops when an essential container stops. Default: true.
    pub essential: bool,
    pub ports: Vec<Port>,
    /// Written sorted by name, as ECS returns them.
    pub environment: IndexMap<String, String>,
    pub secrets: Vec<Secret>,
    pub health_check: Option<ContainerHealthCheck>,
    pub ulimits: Vec<Ulimit>,
    /// Default: true. Mount a volume for paths the application writes to.
    pub readonly_root_filesystem: bool,
}

impl Container {
    pub fn new(name: &str, image: &str) -> Container {
        Container {
            name: name.into(),
            image: image.into(),
            cpu: 0,
            memory_reservation: None,
            memory: None,
            essential: true,
            ports: Vec::new(),
            environment: IndexMap::new(),
            secrets: Vec::new(),
            health_check: None,
            ulimits: Vec::new(),
            readonly_root_filesystem: true,
        }
    }

    pub fn port(mut self, container_port: u16) -> Container {
        self.ports.push(Port {
            container_port,
            protocol: PortProtocol::Tcp,
        });
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Container {
        self.environment.insert(name.into(), value.into());
        self
    }

    /// An environment variable filled from an SSM parameter or Secrets Manager secret ARN.
    pub fn secret(mut self, name: &str, value_from: &str) -> Container {
        self.secrets.push(Secret {
            name: name.into(),
            value_from: value_from.into(),
        });
        self
    }

    pub fn reserve(mut self, cpu: u32, memory_reservation: u32) -> Container {
        self.cpu = cpu;
        self.memory_reservation = Some(memory_reservation);
        self
    }

    pub fn health_check(mut self, health_check: ContainerHealthCheck) -> Container {
        self.health_check = Some(health_check);
        self
    }

    pub fn ulimit(mut self, name: &str, soft_limit: u32, hard_limit: u32) -> Container {
        self.ulimits.push(Ulimit {
            name: name.into(),
            soft_limit,
            hard_limit,
        });
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port {
    pub container_port: u16,
    pub protocol: PortProtocol,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortProtocol {
    Tcp,
    Udp,
}

impl PortProtocol {
    pub fn name(self) -> &'static str {
        match self {
            PortProtocol::Tcp => "tcp",
            PortProtocol::Udp => "udp",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Secret {
    pub name: String,
    /// ARN of an SSM parameter or a Secrets Manager secret.
    pub value_from: String,
}

/// The container's own health check, run by the ECS agent.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerHealthCheck {
    /// e.g. `["CMD-SHELL", "curl -f http://localhost/health || exit 1"]`.
    pub command: Vec<String>,
    /// Seconds. Default: 30.
    pub interval: u32,
    /// Seconds. Default: 5.
    pub timeout: u32,
    /// Default: 3.
    pub retries: u32,
    /// Seconds. Default: 10.
    pub start_period: u32,
}

impl ContainerHealthCheck {
    pub fn shell(command: &str) -> ContainerHealthCheck {
        ContainerHealthCheck {
            command: vec!["CMD-SHELL".into(), command.into()],
            interval: 30,
            timeout: 5,
            retries: 3,
            start_period: 10,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ulimit {
    pub name: String,
    pub soft_limit: u32,
    pub hard_limit: u32,
}
