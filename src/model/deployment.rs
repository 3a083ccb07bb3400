//! How a new task definition reaches production: ECS rolling updates, or CodeDeploy
//! blue/green, which carries the traffic it switches so that a blue/green service without a
//! load balancer cannot be written.

use super::traffic::{Exposure, Traffic};

/// How a new task definition reaches production. Default: rolling, without a load balancer.
#[derive(Clone, Debug, PartialEq)]
pub enum Deployment {
    /// ECS replaces tasks in place (`deployment_controller = ECS`).
    Rolling(Rolling),
    /// CodeDeploy starts the new tasks in the idle (green) target group and shifts listener
    /// traffic to them (`deployment_controller = CODE_DEPLOY`).
    BlueGreen(BlueGreen),
}

impl Default for Deployment {
    fn default() -> Deployment {
        Deployment::Rolling(Rolling::default())
    }
}

impl Deployment {
    /// A rolling update without a load balancer.
    pub fn rolling() -> Deployment {
        Deployment::Rolling(Rolling::default())
    }

    /// Blue/green through CodeDeploy on `traffic`, all at once.
    pub fn blue_green(traffic: Traffic) -> Deployment {
        Deployment::BlueGreen(BlueGreen::new(traffic))
    }
}

/// ECS rolling update settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Rolling {
    /// Default: none.
    pub exposure: Exposure,
    /// Tasks that must stay running during a deployment, in percent of the desired count.
    /// Default: 100.
    pub minimum_healthy_percent: u32,
    /// Tasks allowed during a deployment, in percent of the desired count. Default: 200.
    pub maximum_percent: u32,
    /// Stop a deployment whose tasks keep failing and roll back to the last good one.
    /// Default: on.
    pub circuit_breaker: bool,
}

impl Default for Rolling {
    fn default() -> Rolling {
        Rolling {
            exposure: Exposure::None,
            minimum_healthy_percent: 100,
            maximum_percent: 200,
            circuit_breaker: true,
        }
    }
}

impl Rolling {
    /// Rolling updates behind `exposure` (a load balancer's target group or a classic ELB).
    pub fn behind(exposure: Exposure) -> Rolling {
        Rolling {
            exposure,
            ..Rolling::default()
        }
    }

    /// Never more than the desired count: the old task stops before the new one starts.
    /// For singletons such as a Jenkins controller that must never run twice.
    pub fn stop_before_start(mut self) -> Rolling {
        self.minimum_healthy_percent = 0;
        self.maximum_percent = 100;
        self
    }

    pub fn percentages(mut self, minimum_healthy: u32, maximum: u32) -> Rolling {
        self.minimum_healthy_percent = minimum_healthy;
        self.maximum_percent = maximum;
        self
    }

    pub fn circuit_breaker(mut self, on: bool) -> Rolling {
        self.circuit_breaker = on;
        self
    }
}

/// CodeDeploy blue/green settings and the load balancer traffic it switches: the prod
/// listener (or the service's rule on it) and, when the load balancer has one, the test
/// listener.
#[derive(Clone, Debug, PartialEq)]
pub struct BlueGreen {
    pub traffic: Traffic,
    /// Default: all at once.
    pub config: DeploymentConfig,
    /// Minutes the old (blue) tasks keep running after traffic moved, for a fast rollback.
    /// Default: 5.
    pub termination_wait_minutes: u32,
    /// Roll back when a deployment fails. Default: on.
    pub auto_rollback: bool,
    /// `Some(minutes)`: wait for a person to continue before shifting traffic, at most this
    /// long. Default: `None`, shift as soon as the green tasks are healthy.
    pub manual_approval_minutes: Option<u32>,
    /// Lambda functions CodeDeploy calls at lifecycle events, written into the AppSpec.
    /// The CodeDeploy role may invoke functions named `CodeDeployHook_*`. Default: none.
    pub hooks: Vec<Hook>,
}

impl BlueGreen {
    pub fn new(traffic: Traffic) -> BlueGreen {
        BlueGreen {
            traffic,
            config: DeploymentConfig::AllAtOnce,
            termination_wait_minutes: 5,
            auto_rollback: true,
            manual_approval_minutes: None,
            hooks: Vec::new(),
        }
    }

    pub fn config(mut self, config: DeploymentConfig) -> BlueGreen {
        self.config = config;
        self
    }

    pub fn termination_wait_minutes(mut self, minutes: u32) -> BlueGreen {
        self.termination_wait_minutes = minutes;
        self
    }

    pub fn auto_rollback(mut self, on: bool) -> BlueGreen {
        self.auto_rollback = on;
        self
    }

    pub fn manual_approval_minutes(mut self, minutes: u32) -> BlueGreen {
        self.manual_approval_minutes = Some(minutes);
        self
    }

    pub fn hook(mut self, event: HookEvent, function: &str) -> BlueGreen {
        self.hooks.push(Hook {
            event,
            function: function.into(),
        });
        self
    }
}

/// A Lambda function CodeDeploy invokes at `event`; it reports success or failure back.
#[derive(Clone, Debug, PartialEq)]
pub struct Hook {
    pub event: HookEvent,
    pub function: String,
}

/// The AppSpec lifecycle events of an ECS deployment, in the order they happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookEvent {
    BeforeInstall,
    AfterInstall,
    AfterAllowTestTraffic,
    BeforeAllowTraffic,
    AfterAllowTraffic,
}

impl HookEvent {
    pub fn name(self) -> &'static str {
        match self {
            HookEvent::BeforeInstall => "BeforeInstall",
            HookEvent::AfterInstall => "AfterInstall",
            HookEvent::AfterAllowTestTraffic => "AfterAllowTestTraffic",
            HookEvent::BeforeAllowTraffic => "BeforeAllowTraffic",
            HookEvent::AfterAllowTraffic => "AfterAllowTraffic",
        }
    }
}

/// CodeDeploy's predefined ECS deployment configurations, or one of your own by name.
#[derive(Clone, Debug, PartialEq)]
pub enum DeploymentConfig {
    AllAtOnce,
    Linear10PercentEvery1Minutes,
    Linear10PercentEvery3Minutes,
    Canary10Percent5Minutes,
    Canary10Percent15Minutes,
    /// A custom deployment configuration created outside this stack.
    Custom(String),
}

impl DeploymentConfig {
    pub fn name(&self) -> &str {
        match self {
            DeploymentConfig::AllAtOnce => "CodeDeployDefault.ECSAllAtOnce",
            DeploymentConfig::Linear10PercentEvery1Minutes => {
                "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
            }
            DeploymentConfig::Linear10PercentEvery3Minutes => {
                "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"
            }
            DeploymentConfig::Canary10Percent5Minutes => {
                "CodeDeployDefault.ECSCanary10Percent5Minutes"
            }
            DeploymentConfig::Canary10Percent15Minutes => {
                "CodeDeployDefault.ECSCanary10Percent15Minutes"
            }
            DeploymentConfig::Custom(name) => name,
        }
    }
}
