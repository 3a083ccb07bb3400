//! A service: its logs, roles, network access, task definition and the ECS service itself.

use super::lifecycle::{self, Facts};
use super::targets::{self, Attached};
use super::{alarms, deployment, discovery, policy, volumes, Context, LoweredService, TaskShape};
use crate::aws::{
    CapacityProviderStrategy, CloudwatchLogGroup, ContainerDefinition, ContainerHealthCheck,
    ContainerMountPoint, EcsService, EcsTaskDefinition, IamRole, IamRolePolicy,
    IamRolePolicyAttachment, KeyValue, LogConfiguration, NetworkConfiguration,
    OrderedPlacementStrategy, PlacementConstraint, PortMapping, RuntimePlatform,
    RuntimePlatformFile, SecretRef, SecurityGroup, Tags, Ulimit, VpcSecurityGroupEgressRule,
    VpcSecurityGroupIngressRule,
};
use crate::model::naming::{suffixed, ServiceNames};
use crate::model::{Compute, Container, ControllerKind, NetworkMode, Secret, Service};
use crate::tf::{Dependency, List, Meta, Ref};

const TASK_EXECUTION_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

pub fn lower<'s>(
    context: &mut Context,
    service: &'s Service,
    names: &'s ServiceNames,
) -> LoweredService<'s> {
    let stack = context.stack;
    let name = &names.label;
    let log_group_name = &names.log_group;
    let log_group = context.doc.add(
        name,
        CloudwatchLogGroup {
            name: log_group_name.into(),
            retention_in_days: service.log_retention_days,
            kms_key_id: context.log_kms_key.clone(),
            tags: Tags::new(),
        },
    );
    let (execution_role, task_role, role_policies) = roles(context, service, names);
    let attached = targets::lower(context, service, names);
    let rollback_alarms = alarms::lower(context, service, names, &attached);
    let tasks = task_network(context, service, names, &attached);
    let task_security_group = tasks.own.then(|| tasks.group.clone());

    let network_mode = service.compute.network_mode();
    let containers: Vec<ContainerDefinition> = service
        .containers
        .iter()
        .map(|container| container_definition(container, &stack.region, service, log_group_name))
        .collect();
    let container_definitions = serde_json::to_string(&containers)
        .expect("container definitions are plain data and always serialise");
    let task = TaskShape {
        compatibility: if service.compute.is_fargate() {
            "FARGATE"
        } else {
            "EC2"
        },
        network_mode: network_mode.name(),
        cpu: service.task_size.cpu.to_string(),
        memory: service.task_size.memory.to_string(),
        // On EC2 the instance type decides the architecture.
        runtime_platform: match &service.compute {
            Compute::Fargate(fargate) => Some(RuntimePlatformFile {
                operating_system_family: "LINUX",
                cpu_architecture: fargate.architecture.name(),
            }),
            Compute::Ec2(_) => None,
        },
    };
    let (volume, mount_targets) = volumes::lower(context, service, names, &task_role, &tasks.group);
    let task_definition = context.doc.add(
        name,
        EcsTaskDefinition {
            family: (&names.family).into(),
            requires_compatibilities: vec![task.compatibility.into()],
            network_mode: task.network_mode.into(),
            cpu: (&task.cpu).into(),
            memory: (&task.memory).into(),
            execution_role_arn: execution_role.arn(),
            task_role_arn: task_role.arn(),
            container_definitions: container_definitions.into(),
            runtime_platform: task
                .runtime_platform
                .as_ref()
                .map(|platform| RuntimePlatform {
                    operating_system_family: platform.operating_system_family.into(),
                    cpu_architecture: platform.cpu_architecture.into(),
                }),
            volume,
            tags: Tags::new(),
        },
    );

    let service_registries = discovery::lower_service(context, service, names);
    let controller = deployment::controller_resources(context, service, names, &attached);
    let (lifecycle, comment) = lifecycle::derive::<EcsService>(&Facts::service(service));
    // Container definitions name the log group as text, so the dependency is spelled out: it
    // must exist before the first task logs. The listeners attach the target groups to the
    // load balancer, which ECS requires before it registers tasks in them; an EC2 service's
    // capacity provider must belong to the cluster before the service names it. The roles'
    // policies are separate resources the task definition does not reference: without the
    // edge the first task can start before IAM lets it pull its image or read its secrets
    // (and on destroy, lose them while it drains).
    let depends_on = std::iter::once(log_group.dependency())
        .chain(role_policies)
        .chain(attached.dependencies.iter().cloned())
        .chain(mount_targets)
        .chain(controller.dependencies.iter().cloned())
        .chain(match &service.compute {
            Compute::Ec2(_) => context.cluster_capacity.as_ref().map(Ref::dependency),
            Compute::Fargate(_) => None,
        })
        .collect();
    let deployment = deployment::service_fields(&service.deployment, &rollback_alarms, controller);
    let (
        launch_type,
        capacity_provider_strategy,
        ordered_placement_strategy,
        placement_constraints,
    ) = match &service.compute {
        Compute::Fargate(_) => (Some("FARGATE".into()), Vec::new(), Vec::new(), Vec::new()),
        Compute::Ec2(ec2) => (
            None,
            vec![CapacityProviderStrategy {
                capacity_provider: context.capacity[&ec2.capacity_provider].provider.name(),
                weight: 1,
                base: 0,
            }],
            ec2.placement_strategy
                .iter()
                .map(|strategy| {
                    let (strategy_type, field) = strategy.ecs();
                    OrderedPlacementStrategy {
                        strategy_type: strategy_type.into(),
                        field: field.map(Into::into),
                    }
                })
                .collect(),
            ec2.placement_constraints
                .iter()
                .map(|expression| PlacementConstraint {
                    constraint_type: "memberOf".into(),
                    expression: expression.into(),
                })
                .collect(),
        ),
    };
    let assign_public_ip = match &service.compute {
        Compute::Fargate(fargate) => fargate.assign_public_ip,
        Compute::Ec2(_) => false,
    };
    let ecs_service = context.doc.add_with(
        name,
        EcsService {
            name: (&service.name).into(),
            cluster: context.cluster.id(),
            task_definition: task_definition.arn(),
            desired_count: service.desired_count,
            launch_type,
            capacity_provider_strategy,
            ordered_placement_strategy,
            placement_constraints,
            deployment_controller: deployment.deployment_controller,
            deployment_minimum_healthy_percent: deployment.deployment_minimum_healthy_percent,
            deployment_maximum_percent: deployment.deployment_maximum_percent,
            deployment_circuit_breaker: deployment.deployment_circuit_breaker,
            deployment_configuration: deployment.deployment_configuration,
            alarms: deployment.alarms,
            load_balancer: attached.load_balancer_block(service, deployment.advanced_configuration),
            service_registries,
            network_configuration: task_security_group
                .as_ref()
                .map(|group| NetworkConfiguration {
                    subnets: context.subnet_ids.clone(),
                    security_groups: List::Items(vec![group.id()]),
                    assign_public_ip,
                }),
            health_check_grace_period_seconds: attached
                .port
                .map(|_| service.health_check_grace_period_seconds),
            propagate_tags: "SERVICE".into(),
            enable_ecs_managed_tags: true,
            tags: Tags::new(),
        },
        Meta {
            comment,
            depends_on,
            lifecycle,
            ..Meta::default()
        },
    );
    LoweredService {
        names,
        service: ecs_service,
        task_definition,
        execution_role,
        task_role,
        rollback_alarms,
        task_security_group,
        attached,
        containers,
        task,
        deployment_topic: None,
    }
}

/// The execution role pulls images, writes logs and reads secrets for ECS; the task role is
/// the application's own identity, separate so the application never holds ECS's rights.
/// Also returns the roles' policies, which the service waits for.
fn roles(
    context: &mut Context,
    service: &Service,
    names: &ServiceNames,
) -> (Ref<IamRole>, Ref<IamRole>, Vec<Dependency>) {
    let name = names.label.as_str();
    let trust = policy::trust("ecs-tasks.amazonaws.com");
    let execution_role = context.doc.add(
        &names.execution_role().label,
        IamRole {
            name: (&names.execution_role().aws).into(),
            description: format!(
                "ECS pulls images, writes logs and reads secrets for {}",
                service.name
            )
            .into(),
            assume_role_policy: trust.clone().into(),
            tags: Tags::new(),
        },
    );
    let attachment = context.doc.add(
        &names.execution_role().label,
        IamRolePolicyAttachment {
            role: execution_role.name(),
            policy_arn: TASK_EXECUTION_POLICY.into(),
        },
    );
    let mut policies = vec![attachment.dependency()];
    let secrets: Vec<&Secret> = service
        .containers
        .iter()
        .flat_map(|container| container.secrets.iter())
        .collect();
    if !secrets.is_empty() {
        // The secret itself, not ECS's `:json-key:stage:version` form (`Secret::grant_resource`).
        let of_service = |prefix: &str| -> Vec<String> {
            let mut arns: Vec<String> = secrets
                .iter()
                .filter(|secret| secret.value_from.starts_with(prefix))
                .map(|secret| secret.grant_resource())
                .collect();
            arns.sort();
            arns.dedup();
            arns
        };
        let mut keys: Vec<String> = secrets
            .iter()
            .filter_map(|secret| secret.kms_key.clone())
            .collect();
        keys.sort();
        keys.dedup();
        let secrets_policy = context.doc.add(
            &suffixed(name, "execution_secrets"),
            IamRolePolicy {
                name: "read-secrets".into(),
                role: execution_role.id(),
                policy: policy::allow(&[
                    (&["ssm:GetParameters"], of_service("arn:aws:ssm:")),
                    (
                        &["secretsmanager:GetSecretValue"],
                        of_service("arn:aws:secretsmanager:"),
                    ),
                    // A customer-managed key's policy does not let ECS decrypt by itself.
                    (&["kms:Decrypt"], keys),
                ])
                .into(),
            },
        );
        policies.push(secrets_policy.dependency());
    }
    let task_role = context.doc.add(
        &names.task_role().label,
        IamRole {
            name: (&names.task_role().aws).into(),
            description: format!("Application identity of {}", service.name).into(),
            assume_role_policy: trust.into(),
            tags: Tags::new(),
        },
    );
    (execution_role, task_role, policies)
}

/// The security group the tasks' traffic comes from: their own under awsvpc, open only to
/// their load balancer on the service port; the instances' on bridge or host networking,
/// open to the load balancer on the ports the tasks bind there.
pub(crate) struct TaskGroup {
    pub group: Ref<SecurityGroup>,
    /// The tasks have this group to themselves (awsvpc).
    pub own: bool,
}

fn task_network(
    context: &mut Context,
    service: &Service,
    names: &ServiceNames,
    attached: &Attached,
) -> TaskGroup {
    let name = names.label.as_str();
    let stack = context.stack;
    let network_mode = service.compute.network_mode();
    if let (Compute::Ec2(ec2), NetworkMode::Bridge | NetworkMode::Host) =
        (&service.compute, network_mode)
    {
        let instances = context.capacity[&ec2.capacity_provider]
            .instance_security_group
            .clone();
        if let (Some(lb_group), Some(port)) =
            (&attached.load_balancer_security_group, attached.port)
        {
            // Behind a target group, bridge tasks get a dynamic host port; a classic ELB and
            // host networking use fixed ports: every instance port the ELB sends to.
            let ranges: Vec<(u16, u16)> = match (&attached.attachment, service.classic_traffic()) {
                (targets::Attachment::Classic(_), Some(classic)) => {
                    let mut ports: Vec<u16> = stack
                        .classic_load_balancer(classic.load_balancer)
                        .map(|elb| elb.listeners.iter().map(|l| l.instance_port).collect())
                        .unwrap_or_default();
                    ports.sort_unstable();
                    ports.dedup();
                    ports.into_iter().map(|port| (port, port)).collect()
                }
                _ if network_mode == NetworkMode::Host => vec![(port, port)],
                // The range the capacity's agent and kernel draw bridge tasks' host ports from
                // (written into its user data from the same value).
                _ => stack
                    .capacity_provider(ec2.capacity_provider)
                    .map(|capacity| {
                        let ports = capacity.dynamic_host_ports;
                        vec![(ports.first, ports.last)]
                    })
                    .unwrap_or_default(),
            };
            let lb_label = lb_group.address().rsplit('.').next().unwrap_or_default();
            let instances_label = instances.address().rsplit('.').next().unwrap_or_default();
            for (from, to) in ranges {
                let rule = if from == to {
                    format!("{lb_label}_to_{instances_label}_{from}")
                } else {
                    format!("{lb_label}_to_{instances_label}_{from}_{to}")
                };
                if context.shared_rules.insert(rule.clone()) {
                    allow_between(context, &rule, lb_group, &instances, from, to, "instances");
                }
            }
        }
        return TaskGroup {
            group: instances,
            own: false,
        };
    }
    let group = context.doc.add(
        &names.tasks_group.label,
        SecurityGroup {
            name: (&names.tasks_group.aws).into(),
            description: format!("Tasks of service {} in stack {}", service.name, stack.name)
                .into(),
            vpc_id: context.vpc_id.clone(),
            tags: Tags::new(),
        },
    );
    if let (Some(lb_group), Some(port)) = (&attached.load_balancer_security_group, attached.port) {
        context.doc.add(
            &suffixed(name, "tasks_from_lb"),
            VpcSecurityGroupIngressRule {
                security_group_id: group.id(),
                description: "Traffic and health checks from the load balancer".into(),
                ip_protocol: "tcp".into(),
                from_port: Some(port),
                to_port: Some(port),
                cidr_ipv4: None,
                referenced_security_group_id: Some(lb_group.id()),
            },
        );
        context.doc.add(
            &suffixed(name, "lb_to_tasks"),
            VpcSecurityGroupEgressRule(VpcSecurityGroupIngressRule {
                security_group_id: lb_group.id(),
                description: format!("To the tasks of {}", service.name).into(),
                ip_protocol: "tcp".into(),
                from_port: Some(port),
                to_port: Some(port),
                cidr_ipv4: None,
                referenced_security_group_id: Some(group.id()),
            }),
        );
    }
    context.doc.add(
        &suffixed(name, "tasks_egress"),
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
    TaskGroup { group, own: true }
}

/// An ingress rule on `to` from `from` and the matching egress rule, for ports `first`–`last`.
fn allow_between(
    context: &mut Context,
    label: &str,
    from: &Ref<SecurityGroup>,
    to: &Ref<SecurityGroup>,
    first: u16,
    last: u16,
    what: &str,
) {
    context.doc.add(
        &suffixed(label, "in"),
        VpcSecurityGroupIngressRule {
            security_group_id: to.id(),
            description: "Traffic and health checks from the load balancer".into(),
            ip_protocol: "tcp".into(),
            from_port: Some(first),
            to_port: Some(last),
            cidr_ipv4: None,
            referenced_security_group_id: Some(from.id()),
        },
    );
    context.doc.add(
        &suffixed(label, "out"),
        VpcSecurityGroupEgressRule(VpcSecurityGroupIngressRule {
            security_group_id: from.id(),
            description: format!("To the {what} behind the load balancer").into(),
            ip_protocol: "tcp".into(),
            from_port: Some(first),
            to_port: Some(last),
            cidr_ipv4: None,
            referenced_security_group_id: Some(to.id()),
        }),
    );
}

/// A container in the form the ECS API returns it: defaults spelled out, environment sorted
/// by name, `hostPort` as ECS reports it: the container port under awsvpc and host
/// networking and behind a classic ELB (fixed instance ports), 0 (dynamic) on bridge.
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
                host_port: host_port(service, port.container_port),
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
        mount_points: container
            .mount_points
            .iter()
            .map(|mount| ContainerMountPoint {
                source_volume: mount.volume.clone(),
                container_path: mount.path.clone(),
                read_only: mount.read_only,
            })
            .collect(),
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

/// The host port a container port is published on.
fn host_port(service: &Service, container_port: u16) -> u16 {
    match service.compute.network_mode() {
        NetworkMode::Awsvpc | NetworkMode::Host => container_port,
        NetworkMode::Bridge if service.classic_traffic().is_some() => container_port,
        NetworkMode::Bridge => 0,
    }
}

pub fn outputs(context: &mut Context, lowered: &LoweredService) {
    let name = &lowered.names.label;
    context.output(
        name,
        "service_name",
        "ECS service".into(),
        lowered.service.name(),
    );
    context.output(
        name,
        "task_definition_family",
        "Task definition family; register new revisions into it".into(),
        lowered.task_definition.family(),
    );
    let groups: Vec<_> = lowered
        .attached
        .target_groups()
        .into_iter()
        .cloned()
        .collect();
    let descriptions = if groups.len() == 2 {
        let green = match lowered.attached.controller() {
            Some(ControllerKind::Ecs) => "Target group ECS starts the first deployment in",
            _ => "Target group CodeDeploy starts the first deployment in",
        };
        &[
            ("blue_target_group", "Target group the service starts in"),
            ("green_target_group", green),
        ][..]
    } else {
        &[("target_group", "Target group of the service")][..]
    };
    for (group, (suffix, description)) in groups.iter().zip(descriptions) {
        context.output(name, suffix, (*description).into(), group.name());
    }
}
