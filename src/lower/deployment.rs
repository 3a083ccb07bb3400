//! CodeDeploy blue/green: the application, its service role and the deployment group.

use super::targets::BlueGreenTargets;
use super::{policy, Context, LoweredService};
use crate::aws::{
    AlarmConfiguration, AutoRollbackConfiguration, BlueGreenDeploymentConfig, CodedeployApp,
    CodedeployDeploymentGroup, DeploymentReadyOption, DeploymentStyle, EcsServiceRef, IamRole,
    IamRolePolicyAttachment, LoadBalancerInfo, Tags, TargetGroupName, TargetGroupPairInfo,
    TerminateBlueInstances, TrafficRoute,
};
use crate::model::Service;
use crate::tf::{List, Meta, Ref};

/// The narrower of the two managed policies the ECS guide offers for CodeDeploy's role
/// ("Amazon ECS CodeDeploy IAM Role"): Lambda hooks named `CodeDeployHook_*` only, SNS topics
/// `CodeDeployTopic_*` only, S3 objects tagged `UseWithCodeDeploy` only, `iam:PassRole` only to
/// ECS tasks. `AWSCodeDeployRoleForECS` grants the same actions on every Lambda function, SNS
/// topic and S3 object of the account. Not under `service-role/`, unlike most managed
/// policies for services.
const CODEDEPLOY_FOR_ECS_POLICY: &str = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited";

pub fn lower(
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
            tags: Tags::new(),
        },
        // CodeDeploy checks the role's permissions when the group is created.
        Meta {
            depends_on: vec![attachment.dependency()],
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
