//! Where a service's tasks run: on Fargate, or on EC2 instances of one of the stack's
//! capacity providers.
//!
//! Settings that only one kind of compute has live in that kind's struct, so a Fargate-only
//! setting (a public IP, the CPU architecture) cannot be written for an EC2 service, nor an
//! EC2-only one (network mode, placement) for a Fargate service.

use std::ops::RangeInclusive;

use indexmap::IndexMap;
use minijinja::context;

use super::load_balancer::StackId;
use super::stack::Input;
use super::templates;

/// Where a service's tasks run. Default: Fargate on x86-64, no public IP.
#[derive(Clone, Debug, PartialEq)]
pub enum Compute {
    Fargate(Fargate),
    Ec2(Ec2Placement),
}

impl Compute {
    /// Fargate, x86-64, tasks without public IPs.
    pub fn fargate() -> Compute {
        Compute::Fargate(Fargate::default())
    }

    /// EC2 instances of `capacity_provider`, bridge networking, spread across availability
    /// zones then packed by memory.
    pub fn ec2(capacity_provider: CapacityProviderId) -> Compute {
        Compute::Ec2(Ec2Placement::new(capacity_provider))
    }

    pub fn is_fargate(&self) -> bool {
        matches!(self, Compute::Fargate(_))
    }

    /// The network mode of the task definition: Fargate always uses `awsvpc`.
    pub fn network_mode(&self) -> NetworkMode {
        match self {
            Compute::Fargate(_) => NetworkMode::Awsvpc,
            Compute::Ec2(ec2) => ec2.network_mode,
        }
    }
}

impl Default for Compute {
    fn default() -> Compute {
        Compute::fargate()
    }
}

/// Fargate-only settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Fargate {
    /// Default: X86_64.
    pub architecture: Architecture,
    /// Give tasks public IPs (only for public subnets without NAT). Default: off.
    pub assign_public_ip: bool,
}

impl Default for Fargate {
    fn default() -> Fargate {
        Fargate {
            architecture: Architecture::X86_64,
            assign_public_ip: false,
        }
    }
}

impl Fargate {
    pub fn architecture(mut self, architecture: Architecture) -> Fargate {
        self.architecture = architecture;
        self
    }

    pub fn assign_public_ip(mut self, on: bool) -> Fargate {
        self.assign_public_ip = on;
        self
    }
}

impl From<Fargate> for Compute {
    fn from(fargate: Fargate) -> Compute {
        Compute::Fargate(fargate)
    }
}

/// The CPU architecture of Fargate tasks. Default: X86_64.
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

/// How tasks on EC2 instances are networked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkMode {
    /// Each task gets its own network interface and security group; target groups register
    /// task IPs. Limited by the instance type's interface count.
    Awsvpc,
    /// Containers share the instance's network through Docker's bridge; host ports are chosen
    /// by ECS (dynamic ports), target groups register instances. The only mode a classic ELB
    /// can serve besides `Host`.
    Bridge,
    /// Containers bind the instance's ports directly: one task per port per instance.
    Host,
}

impl NetworkMode {
    pub fn name(self) -> &'static str {
        match self {
            NetworkMode::Awsvpc => "awsvpc",
            NetworkMode::Bridge => "bridge",
            NetworkMode::Host => "host",
        }
    }
}

/// EC2-only settings of a service.
#[derive(Clone, Debug, PartialEq)]
pub struct Ec2Placement {
    pub capacity_provider: CapacityProviderId,
    /// Default: `Bridge`.
    pub network_mode: NetworkMode,
    /// Applied in order. Default: spread across availability zones, then binpack on memory.
    pub placement_strategy: Vec<PlacementStrategy>,
    /// Cluster query language expressions (`attribute:ecs.instance-type =~ m6i.*`), each a
    /// `memberOf` constraint. Default: none.
    pub placement_constraints: Vec<String>,
}

impl Ec2Placement {
    pub fn new(capacity_provider: CapacityProviderId) -> Ec2Placement {
        Ec2Placement {
            capacity_provider,
            network_mode: NetworkMode::Bridge,
            placement_strategy: vec![
                PlacementStrategy::SpreadAcrossZones,
                PlacementStrategy::BinpackMemory,
            ],
            placement_constraints: Vec::new(),
        }
    }

    pub fn network_mode(mut self, mode: NetworkMode) -> Ec2Placement {
        self.network_mode = mode;
        self
    }

    pub fn placement_strategy(mut self, strategy: Vec<PlacementStrategy>) -> Ec2Placement {
        self.placement_strategy = strategy;
        self
    }

    pub fn constraint(mut self, expression: &str) -> Ec2Placement {
        self.placement_constraints.push(expression.into());
        self
    }
}

impl From<Ec2Placement> for Compute {
    fn from(ec2: Ec2Placement) -> Compute {
        Compute::Ec2(ec2)
    }
}

/// How ECS picks an instance for a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlacementStrategy {
    SpreadAcrossZones,
    SpreadAcrossInstances,
    BinpackMemory,
    BinpackCpu,
    Random,
}

impl PlacementStrategy {
    /// `(type, field)` as ECS names them.
    pub fn ecs(&self) -> (&'static str, Option<&'static str>) {
        match self {
            PlacementStrategy::SpreadAcrossZones => {
                ("spread", Some("attribute:ecs.availability-zone"))
            }
            PlacementStrategy::SpreadAcrossInstances => ("spread", Some("instanceId")),
            PlacementStrategy::BinpackMemory => ("binpack", Some("memory")),
            PlacementStrategy::BinpackCpu => ("binpack", Some("cpu")),
            PlacementStrategy::Random => ("random", None),
        }
    }
}

/// Refers to a capacity provider of the stack that handed it out by
/// [`super::Stack::add_capacity_provider`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CapacityProviderId {
    pub(crate) stack: StackId,
    pub(crate) index: usize,
}

/// EC2 capacity: a launch template, an Auto Scaling group and the ECS capacity provider that
/// scales it. AWS names are `<stack>-<name>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ec2Capacity {
    pub name: String,
    /// e.g. `m6i.large`.
    pub instance_type: String,
    /// Default: 1.
    pub min_size: u32,
    /// Default: 4.
    pub max_size: u32,
    /// Instance utilisation ECS managed scaling aims for, 1 to 100. Default: 100.
    pub target_capacity_percent: u32,
    /// ECS keeps instances that still run tasks from being scaled in. Needs the Auto Scaling
    /// group's scale-in protection, which lowering then turns on. Default: on.
    pub managed_termination_protection: bool,
    /// ECS drains tasks off an instance before Auto Scaling terminates it. Default: on.
    pub managed_draining: bool,
    /// Encrypted gp3 root volume in GiB. Default: 30 (the ECS-optimised AMI's minimum).
    pub root_volume_gib: u32,
    /// Extra lines for `/etc/ecs/ecs.config` (`ECS_ENABLE_SPOT_INSTANCE_DRAINING=true`). Default:
    /// none; `ECS_CLUSTER`, the logging drivers and the timeouts are always written.
    pub agent_settings: IndexMap<String, String>,
    /// Kernel parameters set at boot through `sysctl` (`net.core.somaxconn = 4096`).
    /// Default: none.
    pub kernel_settings: IndexMap<String, String>,
    /// How long the agent keeps a stopped task's containers, e.g. `1h`. Default: `1h`.
    pub task_cleanup_wait: String,
    /// How long a container gets between SIGTERM and SIGKILL, e.g. `30s`. Default: `30s`.
    pub container_stop_timeout: String,
    /// The host ports ECS gives bridge containers that publish no fixed port, and so the
    /// ports the load balancer must reach on the instances. One value, three uses: the agent's
    /// `ECS_DYNAMIC_HOST_PORT_RANGE`, the kernel's `net.ipv4.ip_local_port_range` (where
    /// Docker and agents before 1.70 draw them) and the instances' security group rule.
    /// Default: 32768–65535.
    pub dynamic_host_ports: PortRange,
    /// The AMI of the instances. Default: [`Input::Variable`], a Terraform variable per
    /// architecture (`ecs_ami_id`, `ecs_ami_id_arm64`), so a new ECS-optimised AMI reaches
    /// the instances only when someone changes the value, and the plan shows it.
    pub ami: Input<String>,
}

/// An inclusive range of ports, e.g. 32768–65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    /// The range as the ECS agent writes it: `32768-65535`.
    pub fn agent_format(self) -> String {
        format!("{}-{}", self.first, self.last)
    }

    /// The range as `sysctl` writes it: `32768 65535`.
    pub fn kernel_format(self) -> String {
        format!("{} {}", self.first, self.last)
    }
}

/// The agent setting and the kernel parameter the dynamic host port range is written to.
pub const AGENT_DYNAMIC_HOST_PORT_RANGE: &str = "ECS_DYNAMIC_HOST_PORT_RANGE";
pub const KERNEL_LOCAL_PORT_RANGE: &str = "net.ipv4.ip_local_port_range";

impl Ec2Capacity {
    pub fn new(name: &str, instance_type: &str) -> Ec2Capacity {
        Ec2Capacity {
            name: name.into(),
            instance_type: instance_type.into(),
            min_size: 1,
            max_size: 4,
            target_capacity_percent: 100,
            managed_termination_protection: true,
            managed_draining: true,
            root_volume_gib: 30,
            agent_settings: IndexMap::new(),
            kernel_settings: IndexMap::new(),
            task_cleanup_wait: "1h".into(),
            container_stop_timeout: "30s".into(),
            dynamic_host_ports: PortRange {
                first: 32768,
                last: 65535,
            },
            ami: Input::Variable,
        }
    }

    /// Ports for bridge containers' dynamic host ports, `dynamic_host_ports(40000..=50000)`
    /// (see the field).
    pub fn dynamic_host_ports(mut self, ports: RangeInclusive<u16>) -> Ec2Capacity {
        self.dynamic_host_ports = PortRange {
            first: *ports.start(),
            last: *ports.end(),
        };
        self
    }

    /// Pins the instances' AMI, e.g. `ami-0a1b2c3d4e5f67890`, instead of the variable.
    pub fn ami(mut self, image_id: &str) -> Ec2Capacity {
        self.ami = Input::Value(image_id.into());
        self
    }

    /// The Auto Scaling group's minimum and maximum instances, `size(1..=3)`.
    pub fn size(mut self, instances: RangeInclusive<u32>) -> Ec2Capacity {
        self.min_size = *instances.start();
        self.max_size = *instances.end();
        self
    }

    pub fn target_capacity_percent(mut self, percent: u32) -> Ec2Capacity {
        self.target_capacity_percent = percent;
        self
    }

    pub fn managed_termination_protection(mut self, on: bool) -> Ec2Capacity {
        self.managed_termination_protection = on;
        self
    }

    pub fn managed_draining(mut self, on: bool) -> Ec2Capacity {
        self.managed_draining = on;
        self
    }

    pub fn root_volume_gib(mut self, gib: u32) -> Ec2Capacity {
        self.root_volume_gib = gib;
        self
    }

    pub fn agent_setting(mut self, name: &str, value: &str) -> Ec2Capacity {
        self.agent_settings.insert(name.into(), value.into());
        self
    }

    pub fn kernel_setting(mut self, name: &str, value: &str) -> Ec2Capacity {
        self.kernel_settings.insert(name.into(), value.into());
        self
    }

    pub fn task_cleanup_wait(mut self, duration: &str) -> Ec2Capacity {
        self.task_cleanup_wait = duration.into();
        self
    }

    pub fn container_stop_timeout(mut self, duration: &str) -> Ec2Capacity {
        self.container_stop_timeout = duration.into();
        self
    }

    /// The user data script of the instances, as the launch template carries it before
    /// base64 encoding: one definition for lowering, which writes it, and validation, which
    /// checks its size.
    pub fn user_data(&self, stack: &str, cluster: &str) -> String {
        // Settings ecsynth derives or turns on, then the stack's own: a stack's setting of the
        // same name replaces the derived one in place (validation made the port ranges agree).
        let mut agent_settings: IndexMap<&str, &str> = IndexMap::new();
        let agent_ports = self.dynamic_host_ports.agent_format();
        agent_settings.insert(AGENT_DYNAMIC_HOST_PORT_RANGE, &agent_ports);
        // awsvpc tasks cannot reach the instance metadata service, and so not the instance role.
        agent_settings.insert("ECS_AWSVPC_BLOCK_IMDS", "true");
        agent_settings.extend(
            self.agent_settings
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );
        let mut kernel_settings: IndexMap<&str, &str> = IndexMap::new();
        let kernel_ports = self.dynamic_host_ports.kernel_format();
        kernel_settings.insert(KERNEL_LOCAL_PORT_RANGE, &kernel_ports);
        kernel_settings.extend(
            self.kernel_settings
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );
        templates::render(
            "user_data.sh",
            context! {
                stack,
                capacity_provider => self.name,
                cluster,
                task_cleanup_wait => self.task_cleanup_wait,
                container_stop_timeout => self.container_stop_timeout,
                agent_settings => agent_settings.into_iter().collect::<Vec<_>>(),
                kernel_settings => kernel_settings.into_iter().collect::<Vec<_>>(),
            },
        )
    }
}
