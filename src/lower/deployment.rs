//! Who deploys a service, lowered in one place: the ECS service's deployment fields
//! ([`service_fields`]), and for a blue/green service everything its [`BlueGreenController`]
//! needs. CodeDeploy: the
//! application, its service role, the deployment group and the pipeline artefacts (AppSpec,
//! task definition template; [`artefacts`]). What a controller changes after creation is in
//! the ownership rules (`lifecycle::RULES`, `When::BlueGreen(controller)`).
//!
//! A second controller is a variant of [`BlueGreenController`], an arm in each match below and
//! its rows in the ownership rules.

use super::targets::BlueGreenTargets;
use super::{artefacts, notifications, policy, Context, LoweredService};
use crate::aws::{
    AlarmConfiguration, AutoRollbackConfiguration, BlueGreenDeploymentConfig,
    CloudwatchMetricAlarm, CodedeployApp, CodedeployDeploymentGroup, DeploymentAlarms,
    DeploymentCircuitBreaker, DeploymentController, DeploymentReadyOption, DeploymentStyle,
    EcsServiceRef, IamRole, IamRolePolicyAttachment, LoadBalancerInfo, Tags, TargetGroupName,
    TargetGroupPairInfo, TerminateBlueInstances, TrafficRoute,
};
use crate::model::{BlueGreenController, Deployment, Service};
use crate::tf::{List, Meta, Ref};

/// The narrower of the two managed policies the ECS guide offers for CodeDeploy's role
/// ("Amazon ECS CodeDeploy IAM Role"): Lambda hooks named `CodeDeployHook_*` only, SNS topics
/// `CodeDeployTopic_*` only, S3 objects tagged `UseWithCodeDeploy` only, `iam:PassRole` only to
/// ECS tasks. `AWSCodeDeployRoleForECS` grants the same actions on every Lambda function, SNS
/// topic and S3 object of the account. Not under `service-role/`, unlike most managed
/// policies for services.
const CODEDEPLOY_FOR_ECS_POLICY: &str = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited";

/// The fields of `aws_ecs_service` that say how it deploys.
pub struct ServiceFields {
    pub deployment_controller: DeploymentController,
    pub deployment_minimum_healthy_percent: Option<u32>,
    pub deployment_maximum_percent: Option<u32>,
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    pub alarms: Option<DeploymentAlarms>,
}

/// `aws_ecs_service.deployment_controller.type` of a rolling service: ECS itself.
pub const ROLLING_CONTROLLER_TYPE: &str = "ECS";

/// `aws_ecs_service.deployment_controller.type` of a service that `controller` deploys
/// blue/green.
pub fn deployment_controller_type(controller: BlueGreenController) -> &'static str {
    match controller {
        BlueGreenController::CodeDeploy => "CODE_DEPLOY",
    }
}

/// The ECS service's deployment fields: ECS's own rolling settings and alarms for a rolling
/// update; for blue/green, the controller type and nothing ECS would act on itself (CodeDeploy
/// watches the rollback alarms through its deployment group).
pub fn service_fields(
    deployment: &Deployment,
    rollback_alarms: &[Ref<CloudwatchMetricAlarm>],
) -> ServiceFields {
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
            alarms: (!rollback_alarms.is_empty()).then(|| DeploymentAlarms {
                alarm_names: rollback_alarms.iter().map(Ref::alarm_name).collect(),
                enable: true,
                rollback: true,
            }),
        },
        Deployment::BlueGreen(blue_green) => match blue_green.controller {
            BlueGreenController::CodeDeploy => ServiceFields {
                deployment_controller: DeploymentController {
                    controller_type: deployment_controller_type(BlueGreenController::CodeDeploy)
                        .into(),
                },
                deployment_minimum_healthy_percent: None,
                deployment_maximum_percent: None,
                deployment_circuit_breaker: None,
                alarms: None,
            },
        },
    }
}

/// The blue/green controller's resources, outputs and artefacts for `service`.
pub fn lower(
    context: &mut Context,
    service: &Service,
    targets: &BlueGreenTargets,
    lowered: &LoweredService,
) {
    match targets.settings.controller {
        BlueGreenController::CodeDeploy => {
            code_deploy(context, service, targets, lowered);
            artefacts::lower(context, service, targets.settings, lowered);
        }
    }
}

/// CodeDeploy blue/green: the application, its service role and the deployment group.
fn code_deploy(
    context: &mut Context,
    service: &Service,
    targets: &BlueGreenTargets,
    lowered: &LoweredService,
) {
    let blue_green = targets.settings;
    let green = &targets.green;
    let names = lowered.names;
    let name = &names.label;
    let role_names = names
        .codedeploy_role()
        .expect("the naming table names CodeDeploy's role of a blue/green service");
    let role = context.doc.add(
        &role_names.label,
        IamRole {
            name: (&role_names.aws).into(),
            description: format!("CodeDeploy shifts traffic for {}", service.name).into(),
            assume_role_policy: policy::trust("codedeploy.amazonaws.com").into(),
            tags: Tags::new(),
        },
    );
    let attachment = context.doc.add(
        &role_names.label,
        IamRolePolicyAttachment {
            role: role.name(),
            policy_arn: CODEDEPLOY_FOR_ECS_POLICY.into(),
        },
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
    let has_alarms = !lowered.rollback_alarms.is_empty();
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
            auto_rollback_configuration: AutoRollbackConfiguration {
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
            },
            // An alarm stops the deployment; with the event above it also rolls back.
            alarm_configuration: has_alarms.then(|| AlarmConfiguration {
                alarms: lowered
                    .rollback_alarms
                    .iter()
                    .map(Ref::alarm_name)
                    .collect(),
                enabled: true,
            }),
            blue_green_deployment_config: BlueGreenDeploymentConfig {
                deployment_ready_option: ready,
                terminate_blue_instances_on_deployment_success: TerminateBlueInstances {
                    action: "TERMINATE".into(),
                    termination_wait_time_in_minutes: blue_green.termination_wait_minutes,
                },
            },
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
        let rolling = service_fields(&Deployment::Rolling(Rolling::default()), &[]);
        assert_eq!(controller_type(&rolling), "ECS");
        assert_eq!(rolling.deployment_minimum_healthy_percent, Some(100));
        assert_eq!(rolling.deployment_maximum_percent, Some(200));
        assert!(rolling.deployment_circuit_breaker.is_some());
        assert!(rolling.alarms.is_none(), "no alarms, no alarms block");

        let mut stack = Stack::new("test", "eu-west-1");
        let lb = stack.add_load_balancer(LoadBalancer::network("web", Listener::tcp(80)));
        let app = Container::new("web", "nginx").port(80);
        let traffic = Traffic::listeners(lb, app.target(80), TargetHealthCheck::tcp());
        let blue_green = BlueGreen::new(traffic).controller(BlueGreenController::CodeDeploy);
        let code_deploy = service_fields(&Deployment::BlueGreen(blue_green), &[]);
        assert_eq!(controller_type(&code_deploy), "CODE_DEPLOY");
        assert_eq!(code_deploy.deployment_minimum_healthy_percent, None);
        assert_eq!(code_deploy.deployment_maximum_percent, None);
        assert!(code_deploy.deployment_circuit_breaker.is_none());
        assert!(code_deploy.alarms.is_none());
    }
}
