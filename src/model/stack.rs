use indexmap::IndexMap;

use super::load_balancer::{LoadBalancer, LoadBalancerId, StackId};
use super::service::Service;

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
    /// Remote state; `None` keeps Terraform's local state.
    pub backend: Option<Backend>,
    id: StackId,
    load_balancers: Vec<LoadBalancer>,
    services: Vec<Service>,
}

impl Stack {
    /// A stack whose network comes from Terraform variables and whose cluster is named after it.
    pub fn new(name: &str, region: &str) -> Stack {
        Stack {
            name: name.into(),
            region: region.into(),
            tags: IndexMap::new(),
            network: Network::from_variables(),
            cluster: Cluster::fargate(name),
            backend: None,
            id: StackId::fresh(),
            load_balancers: Vec::new(),
            services: Vec::new(),
        }
    }

    pub fn tag(&mut self, key: &str, value: &str) -> &mut Stack {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// Adds a load balancer; services attach to it through the returned id.
    pub fn add_load_balancer(&mut self, load_balancer: LoadBalancer) -> LoadBalancerId {
        self.load_balancers.push(load_balancer);
        LoadBalancerId {
            stack: self.id,
            index: self.load_balancers.len() - 1,
        }
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
            .filter(move |service| service.traffic.as_ref().map(|t| t.load_balancer) == Some(id))
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

#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    pub name: String,
    /// CloudWatch Container Insights. Default: on.
    pub container_insights: bool,
    pub capacity: Capacity,
}

impl Cluster {
    pub fn fargate(name: &str) -> Cluster {
        Cluster {
            name: name.into(),
            container_insights: true,
            capacity: Capacity::Fargate,
        }
    }
}

/// Where tasks run. EC2 capacity providers join here.
#[derive(Clone, Debug, PartialEq)]
pub enum Capacity {
    Fargate,
}

/// A Terraform backend and its literal settings (`s3` with `bucket`, `key`, `region`, …).
#[derive(Clone, Debug, PartialEq)]
pub struct Backend {
    pub kind: String,
    pub settings: IndexMap<String, String>,
}
