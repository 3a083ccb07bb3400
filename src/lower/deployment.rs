//! Who deploys a service, lowered in one place: the ECS service's deployment fields
//! ([`service_fields`]), and for a blue/green service everything its [`BlueGreenController`]
//! needs. CodeDeploy: the application, its service role, the deployment group and the pipeline
//! artefacts (AppSpec, task definition template; [`artefacts`]). ECS: the role ECS assumes to
//! switch the listener rules and the role it invokes the Lambda hooks with
//! ([`controller_resources`], added before the service, which names them), the
//! `deployment_configuration` and the service's `advanced_configuration`. What a controller
//! changes after creation is in the ownership rules (`lifecycle::RULES`,
//! `When::BlueGreen(kind)`).
//!
//! A further controller is a variant of [`BlueGreenController`], an arm in each match below and
//! its rows in the ownership rules.

use super::targets::{Attached, Attachment, BlueGreenTargets};
use super::{artefacts, notifications, policy, Context, LoweredService};
use crate::aws::{
    AdvancedConfiguration, AlarmConfiguration, AutoRollbackConfiguration,
    BlueGreenDeploymentConfig, CloudwatchMetricAlarm, CodedeployApp, CodedeployDeploymentGroup,
    DeploymentAlarms, DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentController,
    DeploymentLifecycleHook, DeploymentReadyOption, DeploymentStyle, EcsServiceRef, IamRole,
    IamRolePolicy, IamRolePolicyAttachment, LoadBalancerInfo, Tags, TargetGroupName,
    TargetGroupPairInfo, TerminateBlueInstances, TrafficRoute,
};
use crate::model::naming::ServiceNames;
use crate::model::{BlueGreenController, CodeDeploy, ControllerKind, Deployment, Service};
use crate::tf::{Dependency, List, Meta, Ref};

/// The narrower of the two managed policies the ECS guide offers for CodeDeploy's role
/// ("Amazon ECS CodeDeploy IAM Role"): Lambda hooks named `CodeDeployHook_*` only, SNS topics
/// `CodeDeployTopic_*` only, S3 objects tagged `UseWithCodeDeploy` only, `iam:PassRole` only to
/// ECS tasks. `AWSCodeDeployRoleForECS` grants the same actions on every Lambda function, SNS
/// topic and S3 object of the account. Not under `service-role/`, unlike most managed
/// policies for services.
const CODEDEPLOY_FOR_ECS_POLICY: &str = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited";

/// What ECS needs to switch listener rules for blue/green ("Amazon ECS infrastructure IAM role
/// for load balancers", ECS Developer Guide; AWS managed policy reference): describe listeners,
/// rules and target groups, modify rules, register and deregister targets. Not under
/// `service-role/`.
const ECS_LOAD_BALANCERS_POLICY: &str =
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers";

/// `aws_ecs_service.deployment_controller.type` of a service ECS deploys itself: rolling, or
/// ECS-native blue/green.
const ECS_CONTROLLER_TYPE: &str = "ECS";

/// The fields of `aws_ecs_service` that say how it deploys.
#[derive(Debug)]
pub struct ServiceFields {
    pub deployment_controller: DeploymentController,
    pub deployment_minimum_healthy_percent: Option<u32>,
    pub deployment_maximum_percent: Option<u32>,
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    pub deployment_configuration: Option<DeploymentConfiguration>,
    pub alarms: Option<DeploymentAlarms>,
    /// The controller's part of the service's `load_balancer` block.
    pub advanced_configuration: Option<AdvancedConfiguration>,
}

/// `aws_ecs_service.deployment_controller.type` of a rolling service: ECS itself.
pub const ROLLING_CONTROLLER_TYPE: &str = ECS_CONTROLLER_TYPE;

/// `aws_ecs_service.deployment_controller.type` of a service that `controller` deploys
/// blue/green.
pub fn deployment_controller_type(controller: ControllerKind) -> &'static str {
    match controller {
        ControllerKind::CodeDeploy => "CODE_DEPLOY",
        ControllerKind::Ecs => ECS_CONTROLLER_TYPE,
    }
}

/// Whether `controller` shifts traffic by moving the weights of a rule that forwards to both
/// target groups (ECS: the rule starts blue 100 / green 0), rather than by rewriting a forward
/// to one (CodeDeploy).
pub fn moves_rule_weights(controller: ControllerKind) -> bool {
    match controller {
        ControllerKind::CodeDeploy => false,
        ControllerKind::Ecs => true,
    }
}

/// The controller's resources the ECS service names, and the service's edges to them.
#[derive(Default)]
pub struct ControllerResources {
    pub advanced_configuration: Option<AdvancedConfiguration>,
    pub lifecycle_hooks: Vec<DeploymentLifecycleHook>,
    /// The roles' policies: ECS checks the roles when the service is created, and must keep
    /// them while it drains on destroy.
    pub dependencies: Vec<Dependency>,
}

/// The resources a blue/green controller needs before the ECS service exists: ECS-native
/// blue/green's roles, and what the service says of them. CodeDeploy's are added after the
/// service ([`lower`]), since its deployment group names the service.
pub fn controller_resources(
    context: &mut Context,
    service: &Service,
    names: &ServiceNames,
    attached: &Attached,
) -> ControllerResources {
    let Attachment::BlueGreen(targets) = &attached.attachment else {
        return ControllerResources::default();
    };
    match &targets.settings.controller {
        BlueGreenController::CodeDeploy(_) => ControllerResources::default(),
        BlueGreenController::Ecs(settings) => {
            let traffic_role = names
                .ecs_traffic_role()
                .expect("the naming table names ECS's role of an ECS blue/green service");
            let (role, attachment) = role_with_policy(
                context,
                "ecs.amazonaws.com",
                traffic_role,
                format!("ECS switches the listener rules of {}", service.name),
                ECS_LOAD_BALANCERS_POLICY,
            );
            let mut dependencies = vec![attachment.dependency()];
            let lifecycle_hooks = match names.ecs_hooks_role() {
                None => Vec::new(),
                Some(hooks_role) => {
                    // Each function once, in the order the hooks name them.
                    let mut functions: Vec<String> = Vec::new();
                    for hook in &settings.hooks {
                        if !functions.contains(&hook.function_arn) {
                            functions.push(hook.function_arn.clone());
                        }
                    }
                    let (invoker, invoke_policy) =
                        hooks_role_with_policy(context, service, hooks_role, functions);
                    dependencies.push(invoke_policy);
                    settings
                        .hooks
                        .iter()
                        .map(|hook| DeploymentLifecycleHook {
                            hook_target_arn: (&hook.function_arn).into(),
                            role_arn: invoker.arn(),
                            lifecycle_stages: hook
                                .stages
                                .iter()
                                .map(|stage| stage.name().into())
                                .collect(),
                        })
                        .collect()
                }
            };
            ControllerResources {
                advanced_configuration: Some(AdvancedConfiguration {
                    alternate_target_group_arn: targets.green.arn(),
                    production_listener_rule: targets
                        .prod_rule
                        .as_ref()
                        .expect("validation: an ECS blue/green service is routed by a rule")
                        .arn(),
                    test_listener_rule: targets.test_rule.as_ref().map(|rule| rule.arn()),
                    role_arn: role.arn(),
                }),
                lifecycle_hooks,
                dependencies,
            }
        }
    }
}

/// A role the AWS service `principal` assumes.
fn service_role(
    context: &mut Context,
    principal: &str,
    named: &crate::model::naming::Named,
    description: String,
) -> Ref<IamRole> {
    context.doc.add(
        &named.label,
        IamRole {
            name: (&named.aws).into(),
            description: description.into(),
            assume_role_policy: policy::trust(principal).into(),
            tags: Tags::new(),
        },
    )
}

/// A role the AWS service `principal` assumes, with one managed policy.
fn role_with_policy(
    context: &mut Context,
    principal: &str,
    named: &crate::model::naming::Named,
    description: String,
    policy_arn: &'static str,
) -> (Ref<IamRole>, Ref<IamRolePolicyAttachment>) {
    let role = service_role(context, principal, named, description);
    let attachment = context.doc.add(
        &named.label,
        IamRolePolicyAttachment {
            role: role.name(),
            policy_arn: policy_arn.into(),
        },
    );
    (role, attachment)
}

/// The role ECS invokes the Lambda hooks with: `lambda:InvokeFunction` on exactly the hooks'
/// functions ("Permissions required for Lambda functions in Amazon ECS blue/green
/// deployments", ECS Developer Guide).
fn hooks_role_with_policy(
    context: &mut Context,
    service: &Service,
    role_names: &crate::model::naming::Named,
    functions: Vec<String>,
) -> (Ref<IamRole>, Dependency) {
    let role = service_role(
        context,
        "ecs.amazonaws.com",
        role_names,
        format!("ECS invokes the deployment hooks of {}", service.name),
    );
    let invoke = context.doc.add(
        &role_names.label,
        IamRolePolicy {
            name: "invoke-hooks".into(),
            role: role.id(),
            policy: policy::allow(&[(&["lambda:InvokeFunction"], functions)]).into(),
        },
    );
    (role, invoke.dependency())
}

/// The ECS service's deployment fields: ECS's own rolling settings and alarms for a rolling
/// update; for CodeDeploy, the controller type and nothing ECS would act on itself (CodeDeploy
/// watches the rollback alarms through its deployment group); for ECS-native blue/green, the
/// strategy, bake time and hooks, the alarms ECS rolls back on, and the load balancer's
/// `advanced_configuration` from `controller`.
pub fn service_fields(
    deployment: &Deployment,
    rollback_alarms: &[Ref<CloudwatchMetricAlarm>],
    controller: ControllerResources,
) -> ServiceFields {
    let ecs_alarms = || {
        (!rollback_alarms.is_empty()).then(|| DeploymentAlarms {
            alarm_names: rollback_alarms.iter().map(Ref::alarm_name).collect(),
            enable: true,
            rollback: true,
        })
    };
    match deployment {
        Deployment::Rolling(rolling) => ServiceFields {
            deployment_controller: DeploymentController {
                controller_type: ROLLING_CONTROLLER_TYPE.into(),
            },
            deployment_minimum_healthy_percent: Some(rolling.minimum_healthy_percent),
            deployment_maximum_percent: Some(rolling.maximum_percent),
            deployment_circuit_breaker: Some(DeploymentCircuitBreaker {
                enable: rolling.circuit_breaker,
                rollback: rolling.circuit_breaker,
            }),
            deployment_configuration: None,
            alarms: ecs_alarms(),
            advanced_configuration: None,
        },
        Deployment::BlueGreen(blue_green) => match &blue_green.controller {
            BlueGreenController::CodeDeploy(_) => ServiceFields {
                deployment_controller: DeploymentController {
                    controller_type: deployment_controller_type(ControllerKind::CodeDeploy).into(),
                },
                deployment_minimum_healthy_percent: None,
                deployment_maximum_percent: None,
                deployment_circuit_breaker: None,
                deployment_configuration: None,
                alarms: None,
                advanced_configuration: None,
            },
            // The circuit breaker and the percentages are for rolling updates; a blue/green
            // deployment starts the whole green revision and rolls back on the alarms.
            BlueGreenController::Ecs(settings) => ServiceFields {
                deployment_controller: DeploymentController {
                    controller_type: deployment_controller_type(ControllerKind::Ecs).into(),
                },
                deployment_minimum_healthy_percent: None,
                deployment_maximum_percent: None,
                deployment_circuit_breaker: None,
                deployment_configuration: Some(DeploymentConfiguration {
                    strategy: "BLUE_GREEN".into(),
                    bake_time_in_minutes: settings.bake_time_minutes,
                    lifecycle_hook: controller.lifecycle_hooks,
                }),
                alarms: ecs_alarms(),
                advanced_configuration: controller.advanced_configuration,
            },
        },
    }
}

/// The blue/green controller's resources, outputs and artefacts that come after `service`.
pub fn lower(
    context: &mut Context,
    service: &Service,
    targets: &BlueGreenTargets,
    lowered: &LoweredService,
) {
    match &targets.settings.controller {
        BlueGreenController::CodeDeploy(settings) => {
            code_deploy(context, service, targets, settings, lowered);
            artefacts::lower(context, service, targets.settings, settings, lowered);
        }
        // Everything is on the service and the roles before it.
        BlueGreenController::Ecs(_) => {}
    }
}

/// CodeDeploy blue/green: the application, its service role and the deployment group.
fn code_deploy(
    context: &mut Context,
    service: &Service,
    targets: &BlueGreenTargets,
    blue_green: &CodeDeploy,
    lowered: &LoweredService,
) {
    let green = &targets.green;
    let names = lowered.names;
    let name = &names.label;
    let role_names = names
        .codedeploy_role()
        .expect("the naming table names CodeDeploy's role of a blue/green service");
    let (role, attachment) = role_with_policy(
        context,
        "codedeploy.amazonaws.com",
        role_names,
        format!("CodeDeploy shifts traffic for {}", service.name),
        CODEDEPLOY_FOR_ECS_POLICY,
    );
    let (trigger_configuration, grant) = notifications::codedeploy_trigger(context, lowered, &role);
    let app = context.doc.add(
        name,
        CodedeployApp {
            name: (&names.family).into(),
            compute_platform: "ECS".into(),
            tags: Tags::new(),
        },
    );
    let (auto_rollback_configuration, alarm_configuration) =
        rollback(blue_green, &lowered.rollback_alarms);
    let group = context.doc.add_with(
        name,
        CodedeployDeploymentGroup {
            app_name: app.name(),
            deployment_group_name: (&names.family).into(),
            service_role_arn: role.arn(),
            deployment_config_name: blue_green.config.name().to_owned().into(),
            deployment_style: DeploymentStyle {
                deployment_type: "BLUE_GREEN".into(),
                deployment_option: "WITH_TRAFFIC_CONTROL".into(),
            },
            auto_rollback_configuration,
            alarm_configuration,
            blue_green_deployment_config: blue_green_config(blue_green),
            ecs_service: EcsServiceRef {
                cluster_name: context.cluster.name(),
                service_name: lowered.service.name(),
            },
            load_balancer_info: LoadBalancerInfo {
                target_group_pair_info: TargetGroupPairInfo {
                    prod_traffic_route: TrafficRoute {
                        listener_arns: List::Items(vec![targets.prod_listener.arn()]),
                    },
                    test_traffic_route: targets.test_listener.as_ref().map(|test| TrafficRoute {
                        listener_arns: List::Items(vec![test.arn()]),
                    }),
                    target_group: vec![
                        TargetGroupName {
                            name: targets.blue.name(),
                        },
                        TargetGroupName { name: green.name() },
                    ],
                },
            },
            trigger_configuration,
            tags: Tags::new(),
        },
        // CodeDeploy checks the role's permissions when the group is created.
        Meta {
            depends_on: [attachment.dependency()].into_iter().chain(grant).collect(),
            ..Meta::default()
        },
    );
    context.output(
        name,
        "codedeploy_app",
        "CodeDeploy application".into(),
        app.name(),
    );
    context.output(
        name,
        "codedeploy_deployment_group",
        "CodeDeploy deployment group".into(),
        group.deployment_group_name(),
    );
}

/// When CodeDeploy rolls back: on a failed deployment, and when the service has rollback
/// alarms, on an alarm too. An alarm stops the deployment; with its event it also rolls back.
fn rollback(
    blue_green: &CodeDeploy,
    rollback_alarms: &[Ref<CloudwatchMetricAlarm>],
) -> (AutoRollbackConfiguration, Option<AlarmConfiguration>) {
    let has_alarms = !rollback_alarms.is_empty();
    let auto_rollback = AutoRollbackConfiguration {
        enabled: blue_green.auto_rollback,
        events: if !blue_green.auto_rollback {
            Vec::new()
        } else if has_alarms {
            vec![
                "DEPLOYMENT_FAILURE".into(),
                "DEPLOYMENT_STOP_ON_ALARM".into(),
            ]
        } else {
            vec!["DEPLOYMENT_FAILURE".into()]
        },
    };
    let alarms = has_alarms.then(|| AlarmConfiguration {
        alarms: rollback_alarms.iter().map(Ref::alarm_name).collect(),
        enabled: true,
    });
    (auto_rollback, alarms)
}

/// When green takes traffic (at once, or after a manual approval that stops the deployment
/// when it does not come in time) and when blue is terminated after success.
fn blue_green_config(blue_green: &CodeDeploy) -> BlueGreenDeploymentConfig {
    let ready = match blue_green.manual_approval_minutes {
        None => DeploymentReadyOption {
            action_on_timeout: "CONTINUE_DEPLOYMENT".into(),
            wait_time_in_minutes: None,
        },
        Some(minutes) => DeploymentReadyOption {
            action_on_timeout: "STOP_DEPLOYMENT".into(),
            wait_time_in_minutes: Some(minutes),
        },
    };
    BlueGreenDeploymentConfig {
        deployment_ready_option: ready,
        terminate_blue_instances_on_deployment_success: TerminateBlueInstances {
            action: "TERMINATE".into(),
            termination_wait_time_in_minutes: blue_green.termination_wait_minutes,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        BlueGreen, Container, Listener, LoadBalancer, Rolling, Stack, TargetHealthCheck, Traffic,
    };

    fn controller_type(fields: &ServiceFields) -> String {
        serde_json::to_value(&fields.deployment_controller).expect("serialises")["type"]
            .as_str()
            .expect("a type")
            .to_owned()
    }

    /// The deployment circuit breaker and deployment alarms are supported only for services
    /// using the rolling update (`ECS`) deployment controller (Amazon ECS Developer Guide,
    /// "How the Amazon ECS deployment circuit breaker detects failures" and "How CloudWatch
    /// alarms detect Amazon ECS deployment failures"); under CodeDeploy its deployment group
    /// watches the alarms. So only a rolling service gets them.
    #[test]
    fn rolling_services_get_ecs_settings_and_codedeploy_ones_only_the_controller() {
        let rolling = service_fields(
            &Deployment::Rolling(Rolling::default()),
            &[],
            ControllerResources::default(),
        );
        assert_eq!(controller_type(&rolling), "ECS");
        assert_eq!(rolling.deployment_minimum_healthy_percent, Some(100));
        assert_eq!(rolling.deployment_maximum_percent, Some(200));
        assert!(rolling.deployment_circuit_breaker.is_some());
        assert!(rolling.alarms.is_none(), "no alarms, no alarms block");

        let mut stack = Stack::new("test", "eu-west-1");
        let lb = stack.add_load_balancer(LoadBalancer::network("web", Listener::tcp(80)));
        let app = Container::new("web", "nginx").port(80);
        let traffic = Traffic::listeners(lb, app.target(80), TargetHealthCheck::tcp());
        let blue_green = BlueGreen::new(traffic).controller(CodeDeploy::default());
        let code_deploy = service_fields(
            &Deployment::BlueGreen(blue_green),
            &[],
            ControllerResources::default(),
        );
        assert_eq!(controller_type(&code_deploy), "CODE_DEPLOY");
        assert_eq!(code_deploy.deployment_minimum_healthy_percent, None);
        assert_eq!(code_deploy.deployment_maximum_percent, None);
        assert!(code_deploy.deployment_circuit_breaker.is_none());
        assert!(code_deploy.alarms.is_none());
    }

    /// CodeDeploy's `deploymentReadyOption` (CodeDeploy API Reference, DeploymentReadyOption):
    /// `CONTINUE_DEPLOYMENT` reroutes traffic as soon as green is ready, with no wait time;
    /// `STOP_DEPLOYMENT` waits `waitTimeInMinutes` for a manual reroute and stops the
    /// deployment when none comes. No snapshot stack asks for an approval, so this pins both.
    #[test]
    fn a_manual_approval_stops_the_deployment_after_its_wait_and_none_continues_at_once() {
        let value = |settings: &CodeDeploy| {
            serde_json::to_value(blue_green_config(settings)).expect("serialises")
                ["deployment_ready_option"]
                .clone()
        };
        let at_once = value(&CodeDeploy::default());
        assert_eq!(at_once["action_on_timeout"], "CONTINUE_DEPLOYMENT");
        assert!(at_once.get("wait_time_in_minutes").is_none());
        let approved = value(&CodeDeploy::default().manual_approval_minutes(45));
        assert_eq!(approved["action_on_timeout"], "STOP_DEPLOYMENT");
        assert_eq!(approved["wait_time_in_minutes"], 45);
    }
}
