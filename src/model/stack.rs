//! The stack: one Terraform root module with its network, cluster, capacity, load balancers
//! and services.

use indexmap::IndexMap;

use super::identity::{Adoption, Removal};

use super::compute::{CapacityProviderId, Ec2Capacity};
use super::descriptor::{DescriptorError, ServiceDescriptor};
use super::load_balancer::{
    ClassicLoadBalancer, ClassicLoadBalancerId, LoadBalancer, LoadBalancerId, StackId,
};
use super::service::Service;

/// The major version of the hashicorp/aws provider a stack's output is written for. A root
/// module can hold only one version of a provider, so a stack follows the major the rest of
/// the team's configuration uses. Default: 6, the current major.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProviderMajor {
    /// 5.x: security fixes only since 6.0 (June 2025); the provider installed on this
    /// project's test machines, so `terraform validate` and the emulator run against it.
    V5,
    /// 6.x: the current major.
    #[default]
    V6,
}

impl ProviderMajor {
    /// Every major ecsynth writes for, oldest first.
    pub const ALL: [ProviderMajor; 2] = [ProviderMajor::V5, ProviderMajor::V6];

    /// The number people write: `5`, `6`.
    pub fn number(self) -> u32 {
        match self {
            ProviderMajor::V5 => 5,
            ProviderMajor::V6 => 6,
        }
    }
}

/// `hashicorp/aws 6.x`: how outputs name the major.
impl std::fmt::Display for ProviderMajor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "hashicorp/aws {}.x", self.number())
    }
}

/// Reads the number people write (`5`, `6`); the error names the text and the majors allowed.
impl std::str::FromStr for ProviderMajor {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ProviderMajor::ALL
            .into_iter()
            .find(|major| text.trim() == major.number().to_string())
            .ok_or_else(|| {
                let allowed: Vec<String> = ProviderMajor::ALL
                    .iter()
                    .map(|major| major.number().to_string())
                    .collect();
                format!(
                    "`{}` is not a hashicorp/aws major ecsynth writes for; allowed: {}",
                    super::cut(text),
                    allowed.join(", ")
                )
            })
    }
}

/// One Terraform root module: a cluster, its load balancers and services, in one region.
#[derive(Clone, Debug)]
pub struct Stack {
    /// Registry name (`prod`) and the prefix of every AWS name in the stack.
    pub name: String,
    pub region: String,
    /// Tags on every resource, through the provider's `default_tags`. `Stack` and `ManagedBy`
    /// are added.
    pub tags: IndexMap<String, String>,
    pub network: Network,
    pub cluster: Cluster,
    /// Where Terraform keeps the stack's state. Default: `None`, not chosen: Terraform keeps
    /// it locally, in the git-ignored output directory, and validation warns; a stack says
    /// `Backend::S3` (teams) or `Backend::Local` (a throwaway stack) to decide.
    pub backend: Option<Backend>,
    /// The KMS key (ARN) encrypting the services' log groups. Default: `None`, the stack
    /// creates one key for its log groups, with yearly rotation and a key policy that lets
    /// CloudWatch Logs of this region use it for this stack's log groups only.
    pub log_kms_key: Option<String>,
    /// The hashicorp/aws major the output is written for; see [`ProviderMajor`].
    pub provider_major: ProviderMajor,
    id: StackId,
    capacity_providers: Vec<Ec2Capacity>,
    load_balancers: Vec<LoadBalancer>,
    classic_load_balancers: Vec<ClassicLoadBalancer>,
    services: Vec<Service>,
    /// Services that could not be described (a broken descriptor file): reported by
    /// validation, so the stack is refused with the file, line and column.
    pub(crate) undescribed: Vec<DescriptorError>,
    overrides: Vec<AttributeOverride>,
    removals: Vec<Removal>,
    adoptions: Vec<Adoption>,
}

/// The escape hatch: an attribute of an emitted resource set or removed by address, for
/// what the model does not cover yet. Checked at synth against the document (the block
/// exists), the provider schema of the stack's [`ProviderMajor`] (the argument exists and the
/// value has its shape) and the security defaults (changing one needs a reason); marked with
/// a `//` comment in the output.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeOverride {
    /// `aws_lb.web`, `data.aws_caller_identity.current`: as in the snapshot.
    pub address: String,
    /// A top-level argument or nested block of the resource.
    pub attribute: String,
    /// `None` removes it.
    pub value: Option<serde_json::Value>,
    /// Why a security default is changed: only through [`Stack::override_security_default`]
    /// and [`Stack::remove_security_default`]; written into the resource's `//` comment.
    pub reason: Option<String>,
}

impl Stack {
    /// A stack whose network comes from Terraform variables and whose cluster is named after it.
    pub fn new(name: &str, region: &str) -> Stack {
        Stack {
            name: name.into(),
            region: region.into(),
            tags: IndexMap::new(),
            network: Network::from_variables(),
            cluster: Cluster::new(name),
            backend: None,
            log_kms_key: None,
            provider_major: ProviderMajor::default(),
            id: StackId::fresh(),
            capacity_providers: Vec::new(),
            load_balancers: Vec::new(),
            classic_load_balancers: Vec::new(),
            services: Vec::new(),
            undescribed: Vec::new(),
            overrides: Vec::new(),
            removals: Vec::new(),
            adoptions: Vec::new(),
        }
    }

    pub fn tag(&mut self, key: &str, value: &str) -> &mut Stack {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// Sets `attribute` of the resource at `address` to `value` (strings are escaped like
    /// every literal; [`json!`](crate::model::json) writes any value), over what lowering
    /// writes. For what the model does not cover yet; the output says so in the resource's
    /// `//` comment. At synth, `attribute` must be an argument or block of the resource's type
    /// in the stack's provider schema, `value` of its shape (a block: an object, or a list of
    /// them), given once per resource, and not a security default (see
    /// [`Stack::override_security_default`]).
    pub fn override_attribute(
        &mut self,
        address: &str,
        attribute: &str,
        value: serde_json::Value,
    ) -> &mut Stack {
        self.push_override(address, attribute, Some(value), None)
    }

    /// Removes `attribute` from the resource at `address`; it must be one lowering writes and
    /// not one the provider requires.
    pub fn remove_attribute(&mut self, address: &str, attribute: &str) -> &mut Stack {
        self.push_override(address, attribute, None, None)
    }

    /// As [`Stack::override_attribute`], for an argument that carries one of the security
    /// defaults (`crate::lower::security_defaults::SECURITY_DEFAULTS`, README "Security
    /// defaults"): `reason` says why, for the reviewer; it is written into the resource's `//`
    /// comment, so it shows in the review form and in `synth --check`.
    pub fn override_security_default(
        &mut self,
        address: &str,
        attribute: &str,
        value: serde_json::Value,
        reason: &str,
    ) -> &mut Stack {
        self.push_override(address, attribute, Some(value), Some(reason))
    }

    /// As [`Stack::remove_attribute`], for an argument that carries a security default; see
    /// [`Stack::override_security_default`].
    pub fn remove_security_default(
        &mut self,
        address: &str,
        attribute: &str,
        reason: &str,
    ) -> &mut Stack {
        self.push_override(address, attribute, None, Some(reason))
    }

    fn push_override(
        &mut self,
        address: &str,
        attribute: &str,
        value: Option<serde_json::Value>,
        reason: Option<&str>,
    ) -> &mut Stack {
        self.overrides.push(AttributeOverride {
            address: address.into(),
            attribute: attribute.into(),
            value,
            reason: reason.map(Into::into),
        });
        self
    }

    pub fn overrides(&self) -> &[AttributeOverride] {
        &self.overrides
    }

    /// Allows synth to drop the stateful resource with `identity` (as the address lock names
    /// it, `service `web` › aws_cloudwatch_log_group`) for `reason`: without it, synth refuses
    /// to drop a resource that holds data. Remove the call once the removal is applied.
    pub fn allow_removal(&mut self, identity: &str, reason: &str) -> &mut Stack {
        self.removals.push(Removal {
            identity: identity.into(),
            reason: reason.into(),
        });
        self
    }

    pub fn removals(&self) -> &[Removal] {
        &self.removals
    }

    /// Adopts an object that already exists in AWS: the resource with `identity` (as the
    /// address lock names it) is imported from `id` — what the provider's import takes: a log
    /// group's name, a load balancer's ARN, a cluster's name — instead of created. Synth
    /// writes the `import` block (Terraform 1.5+); remove the call once applied.
    pub fn adopt(&mut self, identity: &str, id: &str) -> &mut Stack {
        self.adoptions.push(Adoption {
            identity: identity.into(),
            id: id.into(),
        });
        self
    }

    pub fn adoptions(&self) -> &[Adoption] {
        &self.adoptions
    }

    /// Writes the output for this hashicorp/aws major (the constraint is bounded to it).
    pub fn aws_provider(&mut self, major: ProviderMajor) -> &mut Stack {
        self.provider_major = major;
        self
    }

    /// Where Terraform keeps this stack's state.
    pub fn backend(&mut self, backend: Backend) -> &mut Stack {
        self.backend = Some(backend);
        self
    }

    pub fn network(&mut self, network: Network) -> &mut Stack {
        self.network = network;
        self
    }

    /// Encrypts the log groups with an existing KMS key instead of one the stack creates; its
    /// key policy must let `logs.<region>.amazonaws.com` use it.
    pub fn log_kms_key(&mut self, key_arn: &str) -> &mut Stack {
        self.log_kms_key = Some(key_arn.into());
        self
    }

    /// Names the ECS cluster; default: the stack name.
    pub fn cluster_name(&mut self, name: &str) -> &mut Stack {
        self.cluster.name = name.into();
        self
    }

    /// Creates ECS's service-linked role in this stack ([`Cluster::create_service_linked_role`]):
    /// only where the account does not have it yet.
    pub fn create_ecs_service_linked_role(&mut self) -> &mut Stack {
        self.cluster.create_service_linked_role = true;
        self
    }

    /// Adds EC2 capacity to the cluster; services run on it through the returned id
    /// (`Compute::ec2(id)`). The first one added is the cluster's default.
    pub fn add_capacity_provider(&mut self, capacity: Ec2Capacity) -> CapacityProviderId {
        self.capacity_providers.push(capacity);
        CapacityProviderId {
            stack: self.id,
            index: self.capacity_providers.len() - 1,
        }
    }

    pub fn capacity_providers(&self) -> &[Ec2Capacity] {
        &self.capacity_providers
    }

    /// The capacity provider behind `id`, if `id` was handed out by this stack.
    pub fn capacity_provider(&self, id: CapacityProviderId) -> Option<&Ec2Capacity> {
        if id.stack != self.id {
            return None;
        }
        self.capacity_providers.get(id.index)
    }

    pub fn capacity_providers_with_ids(
        &self,
    ) -> impl Iterator<Item = (CapacityProviderId, &Ec2Capacity)> {
        let stack = self.id;
        self.capacity_providers
            .iter()
            .enumerate()
            .map(move |(index, capacity)| (CapacityProviderId { stack, index }, capacity))
    }

    /// Adds a classic ELB; a rolling service on EC2 attaches to it through the returned id.
    pub fn add_classic_load_balancer(
        &mut self,
        load_balancer: ClassicLoadBalancer,
    ) -> ClassicLoadBalancerId {
        self.classic_load_balancers.push(load_balancer);
        ClassicLoadBalancerId {
            stack: self.id,
            index: self.classic_load_balancers.len() - 1,
        }
    }

    pub fn classic_load_balancers(&self) -> &[ClassicLoadBalancer] {
        &self.classic_load_balancers
    }

    pub fn classic_load_balancer(&self, id: ClassicLoadBalancerId) -> Option<&ClassicLoadBalancer> {
        if id.stack != self.id {
            return None;
        }
        self.classic_load_balancers.get(id.index)
    }

    pub fn classic_load_balancers_with_ids(
        &self,
    ) -> impl Iterator<Item = (ClassicLoadBalancerId, &ClassicLoadBalancer)> {
        let stack = self.id;
        self.classic_load_balancers
            .iter()
            .enumerate()
            .map(move |(index, elb)| (ClassicLoadBalancerId { stack, index }, elb))
    }

    /// Adds a load balancer; services attach to it through the returned id.
    pub fn add_load_balancer(&mut self, load_balancer: LoadBalancer) -> LoadBalancerId {
        self.load_balancers.push(load_balancer);
        LoadBalancerId {
            stack: self.id,
            index: self.load_balancers.len() - 1,
        }
    }

    /// Adds the service a descriptor describes, or records why it could not be read: the stack
    /// is then refused at synth with the descriptor's file, line and column.
    pub fn add_described_service(
        &mut self,
        descriptor: Result<ServiceDescriptor, DescriptorError>,
        load_balancer: LoadBalancerId,
    ) -> &mut Stack {
        match descriptor {
            Ok(descriptor) => self.add_service(descriptor.service(load_balancer)),
            Err(error) => {
                self.undescribed.push(error);
                self
            }
        }
    }

    /// Adds a service for every descriptor file in `dir` (`*.json`, in file-name order; see
    /// [`ServiceDescriptor::load_dir`]), each routed through `load_balancer` as
    /// [`Stack::add_described_service`] does: a file dropped into the folder becomes a service
    /// with no code change, and a broken one refuses the stack at synth with its file, line and
    /// column.
    pub fn add_described_services_from(
        &mut self,
        dir: impl AsRef<std::path::Path>,
        load_balancer: LoadBalancerId,
    ) -> &mut Stack {
        for descriptor in ServiceDescriptor::load_dir(dir.as_ref()) {
            self.add_described_service(descriptor, load_balancer);
        }
        self
    }

    pub fn add_service(&mut self, service: Service) -> &mut Stack {
        self.services.push(service);
        self
    }

    pub fn load_balancers(&self) -> &[LoadBalancer] {
        &self.load_balancers
    }

    /// The load balancer behind `id`, if `id` was handed out by this stack.
    pub fn load_balancer(&self, id: LoadBalancerId) -> Option<&LoadBalancer> {
        if id.stack != self.id {
            return None;
        }
        self.load_balancers.get(id.index)
    }

    /// The load balancers with the ids services refer to them by.
    pub fn load_balancers_with_ids(&self) -> impl Iterator<Item = (LoadBalancerId, &LoadBalancer)> {
        let stack = self.id;
        self.load_balancers
            .iter()
            .enumerate()
            .map(move |(index, load_balancer)| (LoadBalancerId { stack, index }, load_balancer))
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Services whose traffic comes through `id`.
    pub fn services_behind(&self, id: LoadBalancerId) -> impl Iterator<Item = &Service> {
        self.services
            .iter()
            .filter(move |service| service.traffic().map(|t| t.load_balancer) == Some(id))
    }
}

/// A value given in the stack, or a Terraform variable the user sets at plan time.
#[derive(Clone, Debug, PartialEq)]
pub enum Input<T> {
    Value(T),
    /// A variable named after the field (`vpc_id`, `subnet_ids`, `load_balancer_subnet_ids`).
    Variable,
}

/// Where the stack runs. Tasks always run in `subnet_ids`.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub vpc_id: Input<String>,
    /// Subnets of the tasks; usually private.
    pub subnet_ids: Input<Vec<String>>,
    /// Subnets of the load balancers; usually public for internet-facing ones.
    /// Default: `None`, the tasks' subnets.
    pub load_balancer_subnet_ids: Option<Input<Vec<String>>>,
}

impl Network {
    /// VPC and task subnets as Terraform variables; load balancers share the task subnets.
    pub fn from_variables() -> Network {
        Network {
            vpc_id: Input::Variable,
            subnet_ids: Input::Variable,
            load_balancer_subnet_ids: None,
        }
    }
}

/// The ECS cluster. Its capacity is Fargate plus the stack's EC2 capacity providers.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    /// Default: the stack name.
    pub name: String,
    /// CloudWatch Container Insights. Default: on.
    pub container_insights: bool,
    /// The private DNS namespace (Cloud Map) discoverable services register in, e.g.
    /// `shop.internal`; services are found as `<service>.<namespace>` inside the VPC.
    /// Default: `<cluster name>.internal`, created only when a service is discoverable.
    pub discovery_namespace: Option<String>,
    /// Create ECS's service-linked role `AWSServiceRoleForECS` in this stack, before the
    /// cluster and its capacity providers. For the first stack in a fresh account: ECS
    /// creates the role on the first CreateCluster and assumes it at once, so a capacity
    /// provider created right after can fail ("Unable to assume the service linked role").
    /// Creating the role fails where it already exists (one per account), so it is a stack's
    /// choice. Default: off.
    pub create_service_linked_role: bool,
}

impl Cluster {
    /// The namespace discoverable services register in.
    pub fn namespace(&self) -> String {
        self.discovery_namespace
            .clone()
            .unwrap_or_else(|| format!("{}.internal", self.name))
    }

    pub fn new(name: &str) -> Cluster {
        Cluster {
            name: name.into(),
            container_insights: true,
            discovery_namespace: None,
            create_service_linked_role: false,
        }
    }
}

/// Where Terraform keeps a stack's state.
#[derive(Clone, Debug, PartialEq)]
pub enum Backend {
    /// `terraform.tfstate` beside `main.tf.json`: for a stack one person creates and
    /// destroys; the file is lost with the output directory.
    Local,
    S3(S3Backend),
}

impl Backend {
    /// State in `bucket` (in `region`) under `<stack>/terraform.tfstate`, encrypted, locked
    /// through an S3 lock file (Terraform ≥ 1.10; no DynamoDB table).
    pub fn s3(bucket: &str, region: &str) -> Backend {
        Backend::S3(S3Backend {
            bucket: bucket.into(),
            region: region.into(),
            key: None,
        })
    }
}

/// State in an S3 bucket, encrypted and locked through an S3 lock file.
#[derive(Clone, Debug, PartialEq)]
pub struct S3Backend {
    pub bucket: String,
    /// The bucket's region.
    pub region: String,
    /// Object key of the state. Default: `<stack>/terraform.tfstate`, one per stack.
    pub key: Option<String>,
}
