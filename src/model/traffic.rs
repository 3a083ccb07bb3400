//! How requests reach a service: through target groups of an ALB or NLB (the only kind
//! CodeDeploy can switch), through a classic ELB, or not at all.

use super::load_balancer::{ClassicLoadBalancerId, LoadBalancerId, TargetHealthCheck};

/// A container port of a service, made from the container itself
/// ([`super::Container::target`]) so that a typo in a container name cannot compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPort {
    pub(crate) container: String,
    pub(crate) port: u16,
}

impl ContainerPort {
    pub fn container(&self) -> &str {
        &self.container
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Traffic through target groups of an Application or Network Load Balancer. Blue/green
/// services get a blue and a green target group; rolling services one.
#[derive(Clone, Debug, PartialEq)]
pub struct Traffic {
    pub load_balancer: LoadBalancerId,
    pub route: Route,
    /// The container port the load balancer sends requests to.
    pub target: ContainerPort,
    pub health_check: TargetHealthCheck,
    /// Seconds a deregistering target keeps draining. Default: 30 (AWS's 300 slows every
    /// blue/green switch by five minutes).
    pub deregistration_delay: u32,
}

impl Traffic {
    /// The load balancer's listeners forward everything to this service: an NLB, or an ALB
    /// that serves one service.
    pub fn listeners(
        load_balancer: LoadBalancerId,
        target: ContainerPort,
        health_check: TargetHealthCheck,
    ) -> Traffic {
        Traffic {
            load_balancer,
            route: Route::Listeners,
            target,
            health_check,
            deregistration_delay: 30,
        }
    }

    /// A rule on the shared listeners of an ALB sends matching requests to this service.
    pub fn rule(
        load_balancer: LoadBalancerId,
        rule: RuleMatch,
        target: ContainerPort,
        health_check: TargetHealthCheck,
    ) -> Traffic {
        Traffic {
            route: Route::Rule(rule),
            ..Traffic::listeners(load_balancer, target, health_check)
        }
    }

    pub fn deregistration_delay(mut self, seconds: u32) -> Traffic {
        self.deregistration_delay = seconds;
        self
    }
}

/// Which requests of a load balancer reach the service.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// The listeners' default action: every request. One service per load balancer.
    Listeners,
    /// A listener rule on an ALB shared by several services.
    Rule(RuleMatch),
}

/// The conditions and priority of a listener rule. Both conditions must hold when both are
/// given; within one, any value matches.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleMatch {
    /// Host headers, e.g. `api.example.com`, `*.example.com`. Default: any host.
    pub hosts: Vec<String>,
    /// Path patterns, e.g. `/api/*`. Default: any path.
    pub paths: Vec<String>,
    /// Lower numbers are evaluated first, 1 to 50000. Default: `None`, derived from the
    /// service name so that adding or removing a service never renumbers another; pin one
    /// when two rules' patterns overlap and the order matters.
    pub priority: Option<u32>,
}

impl RuleMatch {
    pub fn host(host: &str) -> RuleMatch {
        RuleMatch {
            hosts: vec![host.into()],
            paths: Vec::new(),
            priority: None,
        }
    }

    pub fn path(path: &str) -> RuleMatch {
        RuleMatch {
            hosts: Vec::new(),
            paths: vec![path.into()],
            priority: None,
        }
    }

    pub fn and_host(mut self, host: &str) -> RuleMatch {
        self.hosts.push(host.into());
        self
    }

    pub fn and_path(mut self, path: &str) -> RuleMatch {
        self.paths.push(path.into());
        self
    }

    pub fn priority(mut self, priority: u32) -> RuleMatch {
        self.priority = Some(priority);
        self
    }
}

/// Traffic through a classic ELB, which registers instances: the service must run on EC2
/// with bridge or host networking. Listeners and health check belong to the ELB.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassicTraffic {
    pub load_balancer: ClassicLoadBalancerId,
    /// The container port the ELB's instance port maps to.
    pub target: ContainerPort,
}

impl ClassicTraffic {
    pub fn new(load_balancer: ClassicLoadBalancerId, target: ContainerPort) -> ClassicTraffic {
        ClassicTraffic {
            load_balancer,
            target,
        }
    }
}

/// How a rolling service is reached.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Exposure {
    /// No load balancer: workers, queue consumers, services found through service discovery.
    #[default]
    None,
    LoadBalancer(Traffic),
    Classic(ClassicTraffic),
}
