//! A service: its task, where it runs, how it is reached, deployed and scaled.

use indexmap::IndexMap;

use super::compute::{Compute, Fargate};
use super::deployment::{BlueGreen, ControllerKind, Deployment, Rolling};
use super::notifications::DeploymentTopic;
use super::scaling::StepScaling;
use super::traffic::{ClassicTraffic, ContainerPort, Exposure, Traffic};

/// An ECS service: its task, where its tasks run, how requests reach them, how it deploys
/// and scales.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// ECS service name; AWS names of its resources are `<stack>-<name>-…`.
    pub name: String,
    /// The name the stack's code knows the service by, when it differs from `name` (set by
    /// [`Service::aws_name`]): its Terraform labels follow it. Default: `None`, `name`.
    pub label: Option<String>,
    /// Tasks to run at creation. With scaling, the autoscaler owns it afterwards. Default: 2.
    pub desired_count: u32,
    /// Task-level CPU units and memory. On Fargate one of Fargate's sizes; on EC2 what the
    /// task reserves of an instance.
    pub task_size: TaskSize,
    /// Default: Fargate, x86-64, no public IPs.
    pub compute: Compute,
    pub containers: Vec<Container>,
    /// Default: rolling, without a load balancer.
    pub deployment: Deployment,
    /// Default: none (a fixed `desired_count`).
    pub scaling: Option<StepScaling>,
    /// Days the containers' logs are kept. Default: 30.
    pub log_retention_days: u32,
    /// Seconds ECS ignores failing load balancer health checks after a task starts. Default: 60.
    pub health_check_grace_period_seconds: u32,
    /// Task volumes containers can mount. Default: none.
    pub volumes: Vec<Volume>,
    /// Registered in the cluster's Cloud Map namespace, so other services reach it as
    /// `<name>.<namespace>` without a load balancer. Rolling services only. Default: off.
    pub discoverable: bool,
    /// The SNS topic told of every deployment (start, success, failure, stop, rollback).
    /// Default: none.
    pub notifications: Option<DeploymentTopic>,
}

impl Service {
    /// A Fargate service of one task size, deployed rolling, without a load balancer,
    /// scaling or containers yet.
    pub fn new(name: &str, task_size: TaskSize) -> Service {
        Service {
            name: name.into(),
            label: None,
            desired_count: 2,
            task_size,
            compute: Compute::default(),
            containers: Vec::new(),
            deployment: Deployment::default(),
            scaling: None,
            log_retention_days: 30,
            health_check_grace_period_seconds: 60,
            volumes: Vec::new(),
            discoverable: false,
            notifications: None,
        }
    }

    /// Pins the name AWS knows the service by (its ECS service, task family, log group, roles,
    /// `<stack>-<aws name>-…`) while the stack's code calls it by the name given to
    /// [`Service::new`], which its Terraform labels follow. For renaming a service in Rust
    /// without replacing anything in AWS: keep the old name here; synth writes the `moved`
    /// blocks (README, "Renaming and upgrading safely").
    pub fn aws_name(mut self, aws_name: &str) -> Service {
        let code_name = std::mem::replace(&mut self.name, aws_name.into());
        self.label = (code_name != self.name).then_some(code_name);
        self
    }

    /// The name the stack's code knows the service by: its Terraform labels are built from it.
    pub fn label_name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }

    pub fn container(mut self, container: Container) -> Service {
        self.containers.push(container);
        self
    }

    pub fn compute(mut self, compute: impl Into<Compute>) -> Service {
        self.compute = compute.into();
        self
    }

    /// Fargate with these settings (architecture, public IP).
    pub fn fargate(self, fargate: Fargate) -> Service {
        self.compute(fargate)
    }

    /// Tell `topic` of every deployment: CodeDeploy's triggers for blue/green, `ecsynth
    /// deploy` itself for rolling updates.
    pub fn notify(mut self, topic: DeploymentTopic) -> Service {
        self.notifications = Some(topic);
        self
    }

    pub fn deployment(mut self, deployment: Deployment) -> Service {
        self.deployment = deployment;
        self
    }

    /// Blue/green, run by `blue_green.controller` (CodeDeploy unless set).
    pub fn blue_green(self, blue_green: BlueGreen) -> Service {
        self.deployment(Deployment::BlueGreen(blue_green))
    }

    /// Rolling updates with these settings.
    pub fn rolling(self, rolling: Rolling) -> Service {
        self.deployment(Deployment::Rolling(rolling))
    }

    pub fn scaling(mut self, scaling: StepScaling) -> Service {
        self.scaling = Some(scaling);
        self
    }

    pub fn desired_count(mut self, count: u32) -> Service {
        self.desired_count = count;
        self
    }

    pub fn log_retention_days(mut self, days: u32) -> Service {
        self.log_retention_days = days;
        self
    }

    pub fn health_check_grace_period_seconds(mut self, seconds: u32) -> Service {
        self.health_check_grace_period_seconds = seconds;
        self
    }

    /// Registers the tasks in the cluster's Cloud Map namespace (A records under awsvpc, SRV
    /// records with the host port on bridge and host networking).
    pub fn discoverable(mut self) -> Service {
        self.discoverable = true;
        self
    }

    pub fn volume(mut self, volume: Volume) -> Service {
        self.volumes.push(volume);
        self
    }

    pub fn is_blue_green(&self) -> bool {
        matches!(self.deployment, Deployment::BlueGreen(_))
    }

    pub fn is_autoscaled(&self) -> bool {
        self.scaling.is_some()
    }

    /// Who runs the service's blue/green deployments, when it has them.
    pub fn blue_green_controller(&self) -> Option<ControllerKind> {
        self.blue_green_settings()
            .map(|blue_green| blue_green.controller.kind())
    }

    pub fn blue_green_settings(&self) -> Option<&BlueGreen> {
        match &self.deployment {
            Deployment::BlueGreen(blue_green) => Some(blue_green),
            Deployment::Rolling(_) => None,
        }
    }

    /// Traffic through an ALB or NLB, blue/green or rolling.
    pub fn traffic(&self) -> Option<&Traffic> {
        match &self.deployment {
            Deployment::BlueGreen(blue_green) => Some(&blue_green.traffic),
            Deployment::Rolling(Rolling {
                exposure: Exposure::LoadBalancer(traffic),
                ..
            }) => Some(traffic),
            Deployment::Rolling(_) => None,
        }
    }

    pub fn traffic_mut(&mut self) -> Option<&mut Traffic> {
        match &mut self.deployment {
            Deployment::BlueGreen(blue_green) => Some(&mut blue_green.traffic),
            Deployment::Rolling(Rolling {
                exposure: Exposure::LoadBalancer(traffic),
                ..
            }) => Some(traffic),
            Deployment::Rolling(_) => None,
        }
    }

    /// Traffic through a classic ELB.
    pub fn classic_traffic(&self) -> Option<&ClassicTraffic> {
        match &self.deployment {
            Deployment::Rolling(Rolling {
                exposure: Exposure::Classic(traffic),
                ..
            }) => Some(traffic),
            _ => None,
        }
    }

    /// The container and port SRV records name: the load-balanced target, else the first
    /// port of the first container that has one.
    pub fn discovery_port(&self) -> Option<(&str, u16)> {
        if let Some(target) = self.load_balanced_target() {
            return Some((target.container(), target.port()));
        }
        self.containers.iter().find_map(|container| {
            container
                .ports
                .first()
                .map(|port| (container.name.as_str(), port.container_port))
        })
    }

    /// The container port a load balancer of either kind sends requests to.
    pub fn load_balanced_target(&self) -> Option<&ContainerPort> {
        self.traffic()
            .map(|traffic| &traffic.target)
            .or_else(|| self.classic_traffic().map(|traffic| &traffic.target))
    }
}

/// Task-level CPU units and memory in MiB; on Fargate one of the combinations Fargate offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskSize {
    pub cpu: u32,
    pub memory: u32,
}

/// A container of the task: image, ports, environment, secrets, health check, limits.
/// Defaults on each field below.
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
    /// Volumes of the task mounted into this container. Default: none.
    pub mount_points: Vec<MountPoint>,
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
            mount_points: Vec::new(),
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
    /// A Secrets Manager ARN may end in ECS's `:json-key:version-stage:version-id`
    /// (`…:secret:db-AbCdEf:password::`); the execution role is granted the secret itself.
    pub fn secret(mut self, name: &str, value_from: &str) -> Container {
        self.secrets.push(Secret {
            name: name.into(),
            value_from: value_from.into(),
            kms_key: None,
        });
        self
    }

    /// As [`Container::secret`], for a secret or `SecureString` parameter encrypted with a
    /// customer-managed KMS key (`arn:aws:kms:<region>:<account>:key/<id>`): the execution
    /// role also gets `kms:Decrypt` on that key, without which ECS cannot read the value.
    pub fn secret_with_kms_key(mut self, name: &str, value_from: &str, kms_key: &str) -> Container {
        self.secrets.push(Secret {
            name: name.into(),
            value_from: value_from.into(),
            kms_key: Some(kms_key.into()),
        });
        self
    }

    /// CPU units reserved for the container (1024 = one vCPU).
    pub fn cpu_units(mut self, units: u32) -> Container {
        self.cpu = units;
        self
    }

    /// Memory (MiB) reserved for the container; it may use more up to its limit.
    pub fn memory_reservation(mut self, mib: u32) -> Container {
        self.memory_reservation = Some(mib);
        self
    }

    pub fn health_check(mut self, health_check: ContainerHealthCheck) -> Container {
        self.health_check = Some(health_check);
        self
    }

    /// The port `container_port` of this container, for a load balancer to send requests to.
    pub fn target(&self, container_port: u16) -> ContainerPort {
        ContainerPort {
            container: self.name.clone(),
            port: container_port,
        }
    }

    pub fn udp_port(mut self, container_port: u16) -> Container {
        self.ports.push(Port {
            container_port,
            protocol: PortProtocol::Udp,
        });
        self
    }

    /// Hard memory limit in MiB.
    pub fn memory_limit(mut self, memory: u32) -> Container {
        self.memory = Some(memory);
        self
    }

    pub fn essential(mut self, essential: bool) -> Container {
        self.essential = essential;
        self
    }

    /// Lets the container write to its root filesystem; prefer a volume for the paths the
    /// application writes to.
    pub fn writable_root_filesystem(mut self) -> Container {
        self.readonly_root_filesystem = false;
        self
    }

    /// Mounts `volume` of the task at `path`.
    pub fn mount(mut self, volume: &str, path: &str) -> Container {
        self.mount_points.push(MountPoint {
            volume: volume.into(),
            path: path.into(),
            read_only: false,
        });
        self
    }

    /// A resource limit: `.ulimit(Ulimit::new("nofile", 65536))`.
    pub fn ulimit(mut self, ulimit: Ulimit) -> Container {
        self.ulimits.push(ulimit);
        self
    }
}

/// A port the container listens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port {
    pub container_port: u16,
    pub protocol: PortProtocol,
}

/// TCP (default) or UDP.
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

/// An environment variable the execution role fills from SSM or Secrets Manager.
#[derive(Clone, Debug, PartialEq)]
pub struct Secret {
    pub name: String,
    /// ARN of an SSM parameter or a Secrets Manager secret; a Secrets Manager ARN may carry
    /// ECS's `:json-key:version-stage:version-id` tail.
    pub value_from: String,
    /// The customer-managed KMS key that encrypts the value, granted `kms:Decrypt`.
    /// Default: none (the AWS managed key, which needs no grant).
    pub kms_key: Option<String>,
}

/// Secrets Manager appends `-` and six random characters to a secret's name in its ARN.
const SECRET_ARN_SUFFIX: usize = 6;

impl Secret {
    /// The resource IAM must allow for ECS to read this value (Secrets Manager User Guide,
    /// "Permissions policy examples"; ECS Developer Guide, "Pass Secrets Manager secrets
    /// through Amazon ECS environment variables"). For Secrets Manager, the secret's ARN
    /// without ECS's `:json-key:version-stage:version-id` tail, which is no part of the ARN
    /// IAM compares; for a partial ARN (a name without the six random characters),
    /// `<name>-??????`, which matches the full ARN and nothing longer. A name that itself
    /// ends in `-` and six letters or digits reads as a full ARN: Secrets Manager's own
    /// partial-ARN lookup is ambiguous there too, and its guide advises against such names.
    /// SSM parameter ARNs as written.
    pub fn grant_resource(&self) -> String {
        const SECRET: &str = ":secret:";
        let Some(at) = self
            .value_from
            .starts_with("arn:aws:secretsmanager:")
            .then(|| self.value_from.find(SECRET))
            .flatten()
        else {
            return self.value_from.clone();
        };
        let (prefix, rest) = self.value_from.split_at(at + SECRET.len());
        let name = rest.split(':').next().unwrap_or_default();
        let complete = name.rsplit_once('-').is_some_and(|(_, suffix)| {
            suffix.len() == SECRET_ARN_SUFFIX && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if complete {
            [prefix, name].concat()
        } else {
            [prefix, name, "-??????"].concat()
        }
    }
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

/// A resource limit of the container (`nofile`, …).
#[derive(Clone, Debug, PartialEq)]
pub struct Ulimit {
    pub name: String,
    pub soft_limit: u32,
    pub hard_limit: u32,
}

impl Ulimit {
    /// `name` limited to `limit`, soft and hard alike.
    pub fn new(name: &str, limit: u32) -> Ulimit {
        Ulimit {
            name: name.into(),
            soft_limit: limit,
            hard_limit: limit,
        }
    }

    /// A soft limit the container may raise itself up to the hard one.
    pub fn soft_limit(mut self, limit: u32) -> Ulimit {
        self.soft_limit = limit;
        self
    }
}

/// A task volume mounted into a container.
#[derive(Clone, Debug, PartialEq)]
pub struct MountPoint {
    /// The name of a volume of the service's task.
    pub volume: String,
    pub path: String,
    pub read_only: bool,
}

/// A volume of the task.
#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    /// What containers name in [`Container::mount`].
    pub name: String,
    pub source: VolumeSource,
}

impl Volume {
    /// An encrypted EFS file system of its own, reached through an access point that creates
    /// files as `owner`, encrypted in transit and authorised by the task role. Survives the
    /// task and the instance: `Volume::efs("home", PosixUser { uid: 1000, gid: 1000 })`.
    pub fn efs(name: &str, owner: PosixUser) -> Volume {
        Volume {
            name: name.into(),
            source: VolumeSource::Efs(EfsVolume {
                uid: owner.uid,
                gid: owner.gid,
                root_directory: format!("/{name}"),
            }),
        }
    }

    /// Scratch space that lives as long as the task, for the paths an application writes to
    /// next to a read-only root filesystem (`/tmp`).
    pub fn scratch(name: &str) -> Volume {
        Volume {
            name: name.into(),
            source: VolumeSource::Scratch,
        }
    }

    /// A directory of the EC2 instance. Its data is lost when the instance is replaced.
    pub fn host_path(name: &str, path: &str) -> Volume {
        Volume {
            name: name.into(),
            source: VolumeSource::HostPath(path.into()),
        }
    }
}

/// Where a volume's data lives.
#[derive(Clone, Debug, PartialEq)]
pub enum VolumeSource {
    Efs(EfsVolume),
    /// Empty at task start, gone with the task.
    Scratch,
    /// A path on the instance (EC2 only).
    HostPath(String),
}

/// The POSIX user and group an EFS access point creates files as (EFS API `PosixUser`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PosixUser {
    pub uid: u32,
    pub gid: u32,
}

/// An EFS volume: a file system of its own, mounted through an access point.
#[derive(Clone, Debug, PartialEq)]
pub struct EfsVolume {
    /// The POSIX user and group files are created as (Jenkins: 1000:1000).
    pub uid: u32,
    pub gid: u32,
    /// Directory the access point exposes, created with mode 0755. Default: `/<volume name>`.
    pub root_directory: String,
}
