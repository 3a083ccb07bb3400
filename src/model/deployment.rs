//! How a new task definition reaches production: ECS rolling updates, or blue/green, which
//! carries the traffic it switches so that a blue/green service without a load balancer cannot
//! be written, and names the controller that switches it ([`BlueGreenController`]: CodeDeploy
//! or ECS itself), which carries the settings only it reads.

use super::traffic::{Exposure, Traffic};

/// How a new task definition reaches production. Default: rolling, without a load balancer.
#[derive(Clone, Debug, PartialEq)]
pub enum Deployment {
    /// ECS replaces tasks in place (`deployment_controller = ECS`).
    Rolling(Rolling),
    /// The blue/green controller starts the new tasks in the idle (green) target group and
    /// shifts listener traffic to them ([`BlueGreen::controller`]).
    BlueGreen(BlueGreen),
}

impl Default for Deployment {
    fn default() -> Deployment {
        Deployment::Rolling(Rolling::default())
    }
}

impl Deployment {
    /// The alarms a deployment rolls back on, when the service has them.
    pub fn rollback_alarms(&self) -> Option<&RollbackAlarms> {
        match self {
            Deployment::Rolling(rolling) => rolling.rollback_alarms.as_ref(),
            Deployment::BlueGreen(blue_green) => blue_green.rollback_alarms.as_ref(),
        }
    }

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
    /// CloudWatch alarms on what the load balancer sees of the service; ECS rolls a
    /// deployment back when one fires (`aws_ecs_service.alarms`). Only behind a load balancer:
    /// without one nothing is published to alarm on. Default: on
    /// ([`RollbackAlarms::default`]); `without_rollback_alarms` opts out.
    pub rollback_alarms: Option<RollbackAlarms>,
}

impl Default for Rolling {
    fn default() -> Rolling {
        Rolling {
            exposure: Exposure::None,
            minimum_healthy_percent: 100,
            maximum_percent: 200,
            circuit_breaker: true,
            rollback_alarms: Some(RollbackAlarms::default()),
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

    /// Percent of the desired count that stays running during a deployment. Default: 100.
    pub fn minimum_healthy_percent(mut self, percent: u32) -> Rolling {
        self.minimum_healthy_percent = percent;
        self
    }

    /// Percent of the desired count that may run during a deployment. Default: 200.
    pub fn maximum_percent(mut self, percent: u32) -> Rolling {
        self.maximum_percent = percent;
        self
    }

    pub fn circuit_breaker(mut self, on: bool) -> Rolling {
        self.circuit_breaker = on;
        self
    }

    pub fn rollback_alarms(mut self, alarms: RollbackAlarms) -> Rolling {
        self.rollback_alarms = Some(alarms);
        self
    }

    /// No alarms: a deployment is judged by the circuit breaker alone.
    pub fn without_rollback_alarms(mut self) -> Rolling {
        self.rollback_alarms = None;
        self
    }
}

/// The CloudWatch alarms a deployment rolls back on, one set per target group the service
/// can be served from (blue and green), all with `treat_missing_data = notBreaching` (no
/// traffic is no failure):
///
/// - `UnHealthyHostCount` (every target group; a classic ELB's own for the load balancer);
/// - `HTTPCode_Target_5XX_Count` (application load balancers; `HTTPCode_Backend_5XX` on a
///   classic ELB with an HTTP or HTTPS listener; network load balancers publish no HTTP codes);
/// - `TargetResponseTime` p99, when `response_time_p99_seconds` is set (application load
///   balancers only).
#[derive(Clone, Debug, PartialEq)]
pub struct RollbackAlarms {
    /// 5XX responses from the tasks in one minute at which the alarm fires. Default: 10.
    pub errors_per_minute: u32,
    /// Consecutive minutes with an unhealthy target before the alarm fires. Default: 2.
    /// Never less than the service's health check grace period: a task still starting up
    /// fails its first health checks, and ECS itself waits that long before judging it
    /// (capped at the one day CloudWatch evaluates over).
    pub unhealthy_minutes: u32,
    /// p99 response time in seconds over one minute above which the alarm fires, for
    /// `latency_minutes` consecutive minutes. Default: none.
    pub response_time_p99_seconds: Option<f64>,
    /// Default: 3.
    pub latency_minutes: u32,
}

impl Default for RollbackAlarms {
    fn default() -> RollbackAlarms {
        RollbackAlarms {
            errors_per_minute: 10,
            unhealthy_minutes: 2,
            response_time_p99_seconds: None,
            latency_minutes: 3,
        }
    }
}

impl RollbackAlarms {
    pub fn errors_per_minute(mut self, errors: u32) -> RollbackAlarms {
        self.errors_per_minute = errors;
        self
    }

    pub fn unhealthy_minutes(mut self, minutes: u32) -> RollbackAlarms {
        self.unhealthy_minutes = minutes;
        self
    }

    /// Also alarm when the p99 response time stays above `seconds` for `minutes` minutes.
    pub fn response_time_p99(mut self, seconds: f64, minutes: u32) -> RollbackAlarms {
        self.response_time_p99_seconds = Some(seconds);
        self.latency_minutes = minutes;
        self
    }
}

/// Blue/green settings every controller shares: the load balancer traffic it switches (the
/// prod listener, or the service's rule on it, and the test listener when the load balancer
/// has one), the alarms a deployment rolls back on, and the controller that runs it.
#[derive(Clone, Debug, PartialEq)]
pub struct BlueGreen {
    pub traffic: Traffic,
    /// Default: CodeDeploy with its defaults ([`CodeDeploy::default`]).
    pub controller: BlueGreenController,
    /// Alarms on both target groups that stop a deployment and roll it back: CodeDeploy's
    /// `alarm_configuration` (rolling back with `auto_rollback`), ECS's `alarms` block.
    /// Default: on ([`RollbackAlarms::default`]). A CodeDeploy linear or canary configuration
    /// without them is refused unless the stack opts out by name with
    /// `without_rollback_alarms`.
    pub rollback_alarms: Option<RollbackAlarms>,
}

impl BlueGreen {
    /// Blue/green on `traffic` through CodeDeploy, all at once.
    pub fn new(traffic: Traffic) -> BlueGreen {
        BlueGreen {
            traffic,
            controller: BlueGreenController::default(),
            rollback_alarms: Some(RollbackAlarms::default()),
        }
    }

    /// Who runs the deployments: a [`CodeDeploy`] or an [`EcsBlueGreen`].
    pub fn controller(mut self, controller: impl Into<BlueGreenController>) -> BlueGreen {
        self.controller = controller.into();
        self
    }

    pub fn rollback_alarms(mut self, alarms: RollbackAlarms) -> BlueGreen {
        self.rollback_alarms = Some(alarms);
        self
    }

    /// No rollback alarms: a deployment that shifts traffic is judged by ECS task health
    /// alone. The explicit opt-out a linear or canary configuration needs to go without them.
    pub fn without_rollback_alarms(mut self) -> BlueGreen {
        self.rollback_alarms = None;
        self
    }
}

/// Who runs a blue/green deployment: creates the green tasks, shifts the listener traffic and
/// rolls back, with the settings only it reads. Lowering dispatches on it in one module
/// (`src/lower/deployment.rs`: the ECS service's deployment fields, the controller's own
/// resources and artefacts) and the ownership rules name its [`ControllerKind`]
/// (`src/lower/lifecycle.rs`: what it changes after creation).
#[derive(Clone, Debug, PartialEq)]
pub enum BlueGreenController {
    /// AWS CodeDeploy (`deployment_controller = CODE_DEPLOY`): an application, a deployment
    /// group and an AppSpec per deployment.
    CodeDeploy(CodeDeploy),
    /// ECS itself (`deployment_controller = ECS`, `strategy = BLUE_GREEN`; hashicorp/aws
    /// 6.4 and later): ECS moves the weights of the service's listener rules.
    Ecs(EcsBlueGreen),
}

impl Default for BlueGreenController {
    fn default() -> BlueGreenController {
        BlueGreenController::CodeDeploy(CodeDeploy::default())
    }
}

impl From<CodeDeploy> for BlueGreenController {
    fn from(settings: CodeDeploy) -> BlueGreenController {
        BlueGreenController::CodeDeploy(settings)
    }
}

impl From<EcsBlueGreen> for BlueGreenController {
    fn from(settings: EcsBlueGreen) -> BlueGreenController {
        BlueGreenController::Ecs(settings)
    }
}

impl BlueGreenController {
    pub fn kind(&self) -> ControllerKind {
        match self {
            BlueGreenController::CodeDeploy(_) => ControllerKind::CodeDeploy,
            BlueGreenController::Ecs(_) => ControllerKind::Ecs,
        }
    }
}

/// Which controller, without its settings: what ownership rules and readers of the written
/// JSON tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControllerKind {
    CodeDeploy,
    Ecs,
}

impl ControllerKind {
    /// As a stack writes it (`BlueGreenController::…`), for messages.
    pub fn name(self) -> &'static str {
        match self {
            ControllerKind::CodeDeploy => "CodeDeploy",
            ControllerKind::Ecs => "Ecs",
        }
    }
}

/// CodeDeploy's settings of a blue/green deployment.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeDeploy {
    /// Default: all at once.
    pub config: DeploymentConfig,
    /// Minutes the old (blue) tasks keep running after traffic moved, for a fast rollback.
    /// Default: 5.
    pub termination_wait_minutes: u32,
    /// Roll back when a deployment fails or a rollback alarm stops it. Default: on.
    pub auto_rollback: bool,
    /// `Some(minutes)`: wait for a person to continue before shifting traffic, at most this
    /// long. Default: `None`, shift as soon as the green tasks are healthy.
    pub manual_approval_minutes: Option<u32>,
    /// Lambda functions CodeDeploy calls at lifecycle events, written into the AppSpec.
    /// The CodeDeploy role may invoke functions named `CodeDeployHook_*`. Default: none.
    pub hooks: Vec<Hook>,
}

impl Default for CodeDeploy {
    fn default() -> CodeDeploy {
        CodeDeploy {
            config: DeploymentConfig::AllAtOnce,
            termination_wait_minutes: 5,
            auto_rollback: true,
            manual_approval_minutes: None,
            hooks: Vec::new(),
        }
    }
}

impl CodeDeploy {
    pub fn config(mut self, config: DeploymentConfig) -> CodeDeploy {
        self.config = config;
        self
    }

    pub fn termination_wait_minutes(mut self, minutes: u32) -> CodeDeploy {
        self.termination_wait_minutes = minutes;
        self
    }

    pub fn auto_rollback(mut self, on: bool) -> CodeDeploy {
        self.auto_rollback = on;
        self
    }

    pub fn manual_approval_minutes(mut self, minutes: u32) -> CodeDeploy {
        self.manual_approval_minutes = Some(minutes);
        self
    }

    pub fn hook(mut self, event: HookEvent, function: &str) -> CodeDeploy {
        self.hooks.push(Hook {
            event,
            function: function.into(),
        });
        self
    }
}

/// ECS-native blue/green settings (`aws_ecs_service.deployment_configuration`). ECS switches
/// the service's listener rules on an application load balancer between the blue and green
/// target groups, through an IAM role it assumes (`AmazonECSInfrastructureRolePolicyForLoadBalancers`).
/// Terraform keeps owning the task definition: a deployment is an apply that changes it.
#[derive(Clone, Debug, PartialEq)]
pub struct EcsBlueGreen {
    /// Minutes blue and green both run after production traffic moved, before the blue tasks
    /// stop; a rollback within them is a listener change. 0 to 1440. Default: 5.
    pub bake_time_minutes: u32,
    /// Lambda functions ECS invokes at lifecycle stages, with a role of their own that may
    /// invoke exactly these functions. Default: none.
    pub hooks: Vec<LifecycleHook>,
}

impl Default for EcsBlueGreen {
    fn default() -> EcsBlueGreen {
        EcsBlueGreen {
            bake_time_minutes: 5,
            hooks: Vec::new(),
        }
    }
}

impl EcsBlueGreen {
    pub fn bake_time_minutes(mut self, minutes: u32) -> EcsBlueGreen {
        self.bake_time_minutes = minutes;
        self
    }

    /// Invoke the Lambda function `function_arn` at each of `stages`.
    pub fn hook(mut self, function_arn: &str, stages: &[LifecycleStage]) -> EcsBlueGreen {
        self.hooks.push(LifecycleHook {
            function_arn: function_arn.into(),
            stages: stages.to_vec(),
        });
        self
    }
}

/// A Lambda function ECS invokes at `stages` of a deployment; it answers `SUCCEEDED`,
/// `FAILED` (ECS rolls back) or `IN_PROGRESS` (ECS asks again).
#[derive(Clone, Debug, PartialEq)]
pub struct LifecycleHook {
    /// `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`.
    pub function_arn: String,
    pub stages: Vec<LifecycleStage>,
}

/// The stages of an ECS blue/green deployment a Lambda hook can run at, in the order they
/// happen (ECS API `DeploymentLifecycleHook.lifecycleStages`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifecycleStage {
    /// Only when a deployment starts with more than one service revision active.
    ReconcileService,
    /// Green not started; blue takes all production traffic.
    PreScaleUp,
    /// Green started; blue takes all production traffic.
    PostScaleUp,
    /// Test traffic moving to green.
    TestTrafficShift,
    /// Green takes all test traffic.
    PostTestTrafficShift,
    /// Production traffic moving to green.
    ProductionTrafficShift,
    /// Green takes all production traffic.
    PostProductionTrafficShift,
}

impl LifecycleStage {
    pub const ALL: [LifecycleStage; 7] = [
        LifecycleStage::ReconcileService,
        LifecycleStage::PreScaleUp,
        LifecycleStage::PostScaleUp,
        LifecycleStage::TestTrafficShift,
        LifecycleStage::PostTestTrafficShift,
        LifecycleStage::ProductionTrafficShift,
        LifecycleStage::PostProductionTrafficShift,
    ];

    /// The value ECS takes.
    pub fn name(self) -> &'static str {
        match self {
            LifecycleStage::ReconcileService => "RECONCILE_SERVICE",
            LifecycleStage::PreScaleUp => "PRE_SCALE_UP",
            LifecycleStage::PostScaleUp => "POST_SCALE_UP",
            LifecycleStage::TestTrafficShift => "TEST_TRAFFIC_SHIFT",
            LifecycleStage::PostTestTrafficShift => "POST_TEST_TRAFFIC_SHIFT",
            LifecycleStage::ProductionTrafficShift => "PRODUCTION_TRAFFIC_SHIFT",
            LifecycleStage::PostProductionTrafficShift => "POST_PRODUCTION_TRAFFIC_SHIFT",
        }
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
    /// Linear and canary configurations: traffic moves in steps an alarm can stop.
    pub fn shifts_gradually(&self) -> bool {
        matches!(
            self,
            DeploymentConfig::Linear10PercentEvery1Minutes
                | DeploymentConfig::Linear10PercentEvery3Minutes
                | DeploymentConfig::Canary10Percent5Minutes
                | DeploymentConfig::Canary10Percent15Minutes
        )
    }

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
