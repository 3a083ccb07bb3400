//! A service: its logs, roles, network access, task definition and the ECS service itself.

use super::lifecycle::{self, SERVICE_RULES};
use super::load_balancer::{lower_targets, Targets};
use super::{artefacts, deployment, policy, scaling, Context};
use crate::aws::{
    CloudwatchLogGroup, ContainerDefinition, ContainerHealthCheck, DeploymentController,
    EcsService, EcsTaskDefinition, IamRole, IamRolePolicy, IamRolePolicyAttachment, KeyValue,
    LogConfiguration, NetworkConfiguration, PortMapping, RuntimePlatform, SecretRef, SecurityGroup,
    ServiceLoadBalancer, Tags, Ulimit, VpcSecurityGroupEgressRule, VpcSecurityGroupIngressRule,
};
use crate::model::naming::{aws_name, label};
use crate::model::{Container, Service};
use crate::tf::{List, Meta, Ref};

const TASK_EXECUTION_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// What later steps (deployment group, scaling, artefacts) refer back to.
pub struct LoweredService {
    pub service: Ref<EcsService>,
    pub task_definition: Ref<EcsTaskDefinition>,
    /// The task definition family (AWS name).
    pub family: String,
    pub execution_role: Ref<IamRole>,
    pub task_role: Ref<IamRole>,
    pub task_security_group: Ref<SecurityGroup>,
    pub targets: Option<Targets>,
}

pub fn lower(context: &mut Context, service: &Service) {
    let stack = context.stack;
    let name = label(&service.name);
    let log_group_name = format!("/ecs/{}/{}", stack.name, service.name);
    let log_group = context.doc.add(
        &name,
        CloudwatchLogGroup {
            name: (&log_group_name).into(),
            retention_in_days: service.log_retention_days,
            kms_key_id: None,
            tags: Tags::new(),
        },
    );
    let (execution_role, task_role) = roles(context, service, &name);
    let targets = service
        .traffic
        .as_ref()
        .map(|traffic| lower_targets(context, service, traffic));
    let task_security_group = task_network(context, service, &name, targets.as_ref());

    let containers: Vec<ContainerDefinition> = service
        .containers
        .iter()
        .map(|container| container_definition(container, &stack.region, service, &log_group_name))
        .collect();
    let container_definitions = serde_json::to_string(&containers)
        .expect("container definitions are plain data and always serialise");
    let family = aws_name(&stack.name, &[&service.name]);
    let task_definition = context.doc.add(
        &name,
        EcsTaskDefinition {
            family: (&family).into(),
            requires_compatibilities: vec!["FARGATE".into()],
            network_mode: "awsvpc".into(),
            cpu: service.task_size.cpu.to_string().into(),
            memory: service.task_size.memory.to_string().into(),
            execution_role_arn: execution_role.arn(),
            task_role_arn: task_role.arn(),
            container_definitions: container_definitions.into(),
            runtime_platform: Some(RuntimePlatform {
                operating_system_family: "LINUX".into(),
                cpu_architecture: service.architecture.name().into(),
            }),
            tags: Tags::new(),
        },
    );

    let (lifecycle, comment) = lifecycle::derive(SERVICE_RULES, service);
    let controller = if service.is_blue_green() {
        "CODE_DEPLOY"
    } else {
        "ECS"
    };
    // Container definitions name the log group as text, so the dependency is spelled out: it
    // must exist before the first task logs. The listeners attach the target groups to the
    // load balancer, which ECS requires before it registers tasks in them.
    let depends_on = std::iter::once(log_group.dependency())
        .chain(targets.iter().flat_map(|targets| {
            std::iter::once(targets.prod_listener.dependency())
                .chain(targets.test_listener.as_ref().map(Ref::dependency))
        }))
        .collect();
    let ecs_service = context.doc.add_with(
        &name,
        EcsService {
            name: (&service.name).into(),
            cluster: context.cluster.id(),
            task_definition: task_definition.arn(),
            desired_count: service.desired_count,
            launch_type: Some("FARGATE".into()),
            deployment_controller: DeploymentController {
                controller_type: controller.into(),
            },
            load_balancer: match (&service.traffic, &targets) {
                (Some(traffic), Some(targets)) => vec![ServiceLoadBalancer {
                    target_group_arn: targets.blue.arn(),
                    container_name: (&traffic.container).into(),
                    container_port: traffic.container_port,
                }],
                _ => Vec::new(),
            },
            network_configuration: Some(NetworkConfiguration {
                subnets: context.subnet_ids.clone(),
                security_groups: List::Items(vec![task_security_group.id()]),
                assign_public_ip: service.assign_public_ip,
            }),
            health_check_grace_period_seconds: targets
                .as_ref()
                .map(|_| service.health_check_grace_period_seconds),
            propagate_tags: "SERVICE".into(),
            enable_ecs_managed_tags: true,
            tags: Tags::new(),
        },
        Meta {
            comment,
            depends_on,
            lifecycle,
        },
    );
    let lowered = LoweredService {
        service: ecs_service,
        task_definition,
        family,
        execution_role,
        task_role,
        task_security_group,
        targets,
    };
    if service.is_blue_green() {
        deployment::lower(context, service, &lowered);
        artefacts::lower(context, service, &lowered, &containers);
    }
    if let Some(step_scaling) = &service.scaling {
        scaling::lower(context, service, step_scaling, &lowered.service);
    }
    outputs(context, service, &lowered);
}

/// The execution role pulls images, writes logs and reads secrets for ECS; the task role is
/// the application's own identity, separate so the application never holds ECS's rights.
fn roles(context: &mut Context, service: &Service, name: &str) -> (Ref<IamRole>, Ref<IamRole>) {
    let stack = context.stack;
    let trust = policy::trust("ecs-tasks.amazonaws.com");
    let execution_role = context.doc.add(
        &format!("{name}_execution"),
        IamRole {
            name: aws_name(&stack.name, &[&service.name, "execution"]).into(),
            description: format!(
                "ECS pulls images, writes logs and reads secrets for {}",
                service.name
            )
            .into(),
            assume_role_policy: trust.clone().into(),
            tags: Tags::new(),
        },
    );
    context.doc.add(
        &format!("{name}_execution"),
        IamRolePolicyAttachment {
            role: execution_role.name(),
            policy_arn: TASK_EXECUTION_POLICY.into(),
        },
    );
    let secrets: Vec<&str> = service
        .containers
        .iter()
        .flat_map(|container| container.secrets.iter().map(|s| s.value_from.as_str()))
        .collect();
    if !secrets.is_empty() {
        let of_service = |prefix: &str| -> Vec<String> {
            let mut arns: Vec<String> = secrets
                .iter()
                .filter(|arn| arn.starts_with(prefix))
                .map(|arn| (*arn).to_owned())
                .collect();
            arns.sort();
            arns.dedup();
            arns
        };
        context.doc.add(
            &format!("{name}_execution_secrets"),
            IamRolePolicy {
                name: "read-secrets".into(),
                role: execution_role.id(),
                policy: policy::allow(&[
                    (&["ssm:GetParameters"], of_service("arn:aws:ssm:")),
                    (
                        &["secretsmanager:GetSecretValue"],
                        of_service("arn:aws:secretsmanager:"),
                    ),
                ])
                .into(),
            },
        );
    }
    let task_role = context.doc.add(
        &format!("{name}_task"),
        IamRole {
            name: aws_name(&stack.name, &[&service.name, "task"]).into(),
            description: format!("Application identity of {}", service.name).into(),
            assume_role_policy: trust.into(),
            tags: Tags::new(),
        },
    );
    (execution_role, task_role)
}

/// The tasks' security group: reachable only from their load balancer, on the service port.
fn task_network(
    context: &mut Context,
    service: &Service,
    name: &str,
    targets: Option<&Targets>,
) -> Ref<SecurityGroup> {
    let stack = context.stack;
    let group = context.doc.add(
        &format!("{name}_tasks"),
        SecurityGroup {
            name: aws_name(&stack.name, &[&service.name, "tasks"]).into(),
            description: format!("Tasks of service {} in stack {}", service.name, stack.name)
                .into(),
            vpc_id: context.vpc_id.clone(),
            tags: Tags::new(),
        },
    );
    if let (Some(traffic), Some(targets)) = (&service.traffic, targets) {
        let port = Some(traffic.container_port);
        context.doc.add(
            &format!("{name}_tasks_from_lb"),
            VpcSecurityGroupIngressRule {
                security_group_id: group.id(),
                description: "Traffic and health checks from the load balancer".into(),
                ip_protocol: "tcp".into(),
                from_port: port,
                to_port: port,
                cidr_ipv4: None,
                referenced_security_group_id: Some(targets.load_balancer_security_group.id()),
            },
        );
        context.doc.add(
            &format!("{name}_lb_to_tasks"),
            VpcSecurityGroupEgressRule(VpcSecurityGroupIngressRule {
                security_group_id: targets.load_balancer_security_group.id(),
                description: format!("To the tasks of {}", service.name).into(),
                ip_protocol: "tcp".into(),
                from_port: port,
                to_port: port,
                cidr_ipv4: None,
                referenced_security_group_id: Some(group.id()),
            }),
        );
    }
    context.doc.add(
        &format!("{name}_tasks_egress"),
        VpcSecurityGroupEgressRule(VpcSecurityGroupIngressRule {
            security_group_id: group.id(),
            description: "Image pulls, logs, secrets and the application's own calls".into(),
            ip_protocol: "-1".into(),
            from_port: None,
            to_port: None,
            cidr_ipv4: Some("0.0.0.0/0".into()),
            referenced_security_group_id: None,
        }),
    );
    group
}

/// A container in the form the ECS API returns it: defaults spelled out, environment sorted
/// by name, `hostPort` equal to `containerPort` as awsvpc requires.
fn container_definition(
    container: &Container,
    region: &str,
    service: &Service,
    log_group: &str,
) -> ContainerDefinition {
    let mut environment: Vec<KeyValue> = container
        .environment
        .iter()
        .map(|(name, value)| KeyValue {
            name: name.clone(),
            value: value.clone(),
        })
        .collect();
    environment.sort_by(|a, b| a.name.cmp(&b.name));
    ContainerDefinition {
        name: container.name.clone(),
        image: container.image.clone(),
        cpu: container.cpu,
        memory: container.memory,
        memory_reservation: container.memory_reservation,
        essential: container.essential,
        port_mappings: container
            .ports
            .iter()
            .map(|port| PortMapping {
                container_port: port.container_port,
                host_port: port.container_port,
                protocol: port.protocol.name(),
            })
            .collect(),
        environment,
        secrets: container
            .secrets
            .iter()
            .map(|secret| SecretRef {
                name: secret.name.clone(),
                value_from: secret.value_from.clone(),
            })
            .collect(),
        mount_points: Vec::new(),
        volumes_from: Vec::new(),
        system_controls: Vec::new(),
        health_check: container
            .health_check
            .as_ref()
            .map(|check| ContainerHealthCheck {
                command: check.command.clone(),
                interval: check.interval,
                timeout: check.timeout,
                retries: check.retries,
                start_period: check.start_period,
            }),
        ulimits: container
            .ulimits
            .iter()
            .map(|ulimit| Ulimit {
                name: ulimit.name.clone(),
                soft_limit: ulimit.soft_limit,
                hard_limit: ulimit.hard_limit,
            })
            .collect(),
        readonly_root_filesystem: container.readonly_root_filesystem,
        log_configuration: LogConfiguration {
            log_driver: "awslogs",
            options: [
                ("awslogs-group", log_group.to_owned()),
                ("awslogs-region", region.to_owned()),
                ("awslogs-stream-prefix", service.name.clone()),
            ]
            .into_iter()
            .collect(),
        },
    }
}

fn outputs(context: &mut Context, service: &Service, lowered: &LoweredService) {
    let name = label(&service.name);
    context.output(
        &name,
        "service_name",
        "ECS service".into(),
        lowered.service.name(),
    );
    context.output(
        &name,
        "task_definition_family",
        "Task definition family; register new revisions into it".into(),
        lowered.task_definition.family(),
    );
    if let Some(targets) = &lowered.targets {
        context.output(
            &name,
            "blue_target_group",
            "Target group the service starts in".into(),
            targets.blue.name(),
        );
        if let Some(green) = &targets.green {
            context.output(
                &name,
                "green_target_group",
                "Target group CodeDeploy starts the first deployment in".into(),
                green.name(),
            );
        }
    }
}
