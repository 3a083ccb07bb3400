/// How a new task definition reaches production.
#[derive(Clone, Debug, PartialEq)]
pub enum Deployment {
    /// ECS replaces tasks in place (`deployment_controller = ECS`).
    Rolling,
    /// CodeDeploy starts the new tasks in the idle (green) target group and shifts listener
    /// traffic to them (`deployment_controller = CODE_DEPLOY`).
    BlueGreen(BlueGreen),
}

impl Default for Deployment {
    fn default() -> Deployment {
        Deployment::BlueGreen(BlueGreen::default())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BlueGreen {
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

impl Default for BlueGreen {
    fn default() -> BlueGreen {
        BlueGreen {
            config: DeploymentConfig::AllAtOnce,
            termination_wait_minutes: 5,
            auto_rollback: true,
            manual_approval_minutes: None,
            hooks: Vec::new(),
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
