//! A service: its logs, roles, network access, task definition and the ECS service itself.

use super::lifecycle::{self, Facts};
use super::targets::{self, Attached};
use super::{alarms, deployment, discovery, policy, volumes, Context, LoweredService, TaskShape};
use crate::aws::{
    CapacityProviderStrategy, CloudwatchLogGroup, CloudwatchMetricAlarm, ContainerDefinition,
    ContainerHealthCheck, ContainerMountPoint, EcsService, EcsTaskDefinition, IamRole,
    IamRolePolicy, IamRolePolicyAttachment, KeyValue, LogConfiguration, NetworkConfiguration,
    OrderedPlacementStrategy, PlacementConstraint, PortMapping, RuntimePlatform,
    RuntimePlatformFile, SecretRef, SecurityGroup, Tags, TaskVolume, Ulimit,
    VpcSecurityGroupEgressRule, VpcSecurityGroupIngressRule,
};
use crate::model::naming::{suffixed, ServiceNames};
use crate::model::{
    Compute, Container, ControllerKind, Ec2Placement, NetworkMode, Secret, Service,
};
use crate::tf::{Dependency, Expr, List, Meta, Ref};

const TASK_EXECUTION_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// A service in the order its parts depend on each other: its log group and roles, its
/// attachment to the load balancer and the alarms its deployments roll back on, the tasks'
/// network access, the task definition, then the ECS service.
pub fn lower<'s>(
    context: &mut Context,
    service: &'s Service,
    names: &'s ServiceNames,
) -> LoweredService<'s> {
    let log_group = log_group(context, service, names);
    let (execution_role, task_role, role_policies) = roles(context, service, names);
    let attached = targets::lower(context, service, names);
    let rollback_alarms = alarms::lower(context, service, names, &attached);
    let tasks = task_network(context, service, names, &attached);
    let task_security_group = tasks.own.then(|| tasks.group.clone());

    let containers: Vec<ContainerDefinition> = service
        .containers
        .iter()
        .map(|container| {
            container_definition(container, &context.stack.region, service, &names.log_group)
        })
        .collect();
    let task = task_shape(service);
    let (volume, mount_targets) = volumes::lower(context, service, names, &task_role, &tasks.group);
    let task_definition = task_definition(
        context,
        names,
        &task,
        &containers,
        volume,
        &execution_role,
        &task_role,
    );

    // Container definitions name the log group as text, so the dependency is spelled out: it
    // must exist before the first task logs. The listeners attach the target groups to the
    // load balancer, which ECS requires before it registers tasks in them. The roles'
    // policies are separate resources the task definition does not reference: without the
    // edge the first task can start before IAM lets it pull its image or read its secrets
    // (and on destroy, lose them while it drains).
    let waits_for = std::iter::once(log_group.dependency())
        .chain(role_policies)
        .chain(attached.dependencies.iter().cloned())
        .chain(mount_targets)
        .collect();
    let ecs_service = ecs_service(
        context,
        service,
        names,
        ServiceInputs {
            task_definition: &task_definition,
            attached: &attached,
            rollback_alarms: &rollback_alarms,
            task_security_group: task_security_group.as_ref(),
            waits_for,
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

fn log_group(
    context: &mut Context,
    service: &Service,
    names: &ServiceNames,
) -> Ref<CloudwatchLogGroup> {
    context.doc.add(
        &names.label,
        CloudwatchLogGroup {
            name: (&names.log_group).into(),
            retention_in_days: service.log_retention_days,
            kms_key_id: context.log_kms_key.clone(),
            tags: Tags::new(),
        },
    )
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
    match (&service.compute, service.compute.network_mode()) {
        (Compute::Ec2(ec2), NetworkMode::Bridge | NetworkMode::Host) => {
            instances_network(context, service, ec2, attached)
        }
        _ => own_network(context, service, names, attached),
    }
}

/// Bridge and host tasks send and receive through their instances: the instances' group lets
/// the load balancer in on the ports the tasks bind there, once per load balancer and
/// capacity provider however many services share them.
fn instances_network(
    context: &mut Context,
    service: &Service,
    ec2: &Ec2Placement,
    attached: &Attached,
) -> TaskGroup {
    let instances = context.capacity[&ec2.capacity_provider]
        .instance_security_group
        .clone();
    if let (Some(lb_group), Some(port)) = (&attached.load_balancer_security_group, attached.port) {
        let lb_label = lb_group.address().rsplit('.').next().unwrap_or_default();
        let instances_label = instances.address().rsplit('.').next().unwrap_or_default();
        for (from, to) in instance_port_ranges(context, service, ec2, attached, port) {
            let rule = if from == to {
                format!("{lb_label}_to_{instances_label}_{from}")
            } else {
                format!("{lb_label}_to_{instances_label}_{from}_{to}")
            };
            if context.shared_rules.insert(rule.clone()) {
                allow_between(
                    context,
                    [&suffixed(&rule, "in"), &suffixed(&rule, "out")],
                    lb_group,
                    &instances,
                    (from, to),
                    "To the instances behind the load balancer".into(),
                );
            }
        }
    }
    TaskGroup {
        group: instances,
        own: false,
    }
}

/// The instance ports the load balancer sends to. Behind a target group, bridge tasks get a
/// dynamic host port; a classic ELB and host networking use fixed ports: every instance port
/// the ELB sends to.
fn instance_port_ranges(
    context: &Context,
    service: &Service,
    ec2: &Ec2Placement,
    attached: &Attached,
    port: u16,
) -> Vec<(u16, u16)> {
    let stack = context.stack;
    match (&attached.attachment, service.classic_traffic()) {
        (targets::Attachment::Classic(_), Some(classic)) => {
            let mut ports: Vec<u16> = stack
                .classic_load_balancer(classic.load_balancer)
                .map(|elb| elb.listeners.iter().map(|l| l.instance_port).collect())
                .unwrap_or_default();
            ports.sort_unstable();
            ports.dedup();
            ports.into_iter().map(|port| (port, port)).collect()
        }
        _ if service.compute.network_mode() == NetworkMode::Host => vec![(port, port)],
        // The range the capacity's agent and kernel draw bridge tasks' host ports from
        // (written into its user data from the same value).
        _ => stack
            .capacity_provider(ec2.capacity_provider)
            .map(|capacity| {
                let ports = capacity.dynamic_host_ports;
                vec![(ports.first, ports.last)]
            })
            .unwrap_or_default(),
    }
}

/// Awsvpc tasks have a group of their own: open to their load balancer on the service port,
/// and out to anywhere.
fn own_network(
    context: &mut Context,
    service: &Service,
    names: &ServiceNames,
    attached: &Attached,
) -> TaskGroup {
    let name = names.label.as_str();
    let group = context.doc.add(
        &names.tasks_group.label,
        SecurityGroup {
            name: (&names.tasks_group.aws).into(),
            description: format!(
                "Tasks of service {} in stack {}",
                service.name, context.stack.name
            )
            .into(),
            vpc_id: context.vpc_id.clone(),
            tags: Tags::new(),
        },
    );
    if let (Some(lb_group), Some(port)) = (&attached.load_balancer_security_group, attached.port) {
        allow_between(
            context,
            [
                &suffixed(name, "tasks_from_lb"),
                &suffixed(name, "lb_to_tasks"),
            ],
            lb_group,
            &group,
            (port, port),
            format!("To the tasks of {}", service.name),
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

/// The ingress rule on `to` that lets the load balancer's group `from` in on ports
/// `first`–`last`, and the matching egress rule on `from` (described by `egress`), labelled
/// `[ingress, egress]`.
fn allow_between(
    context: &mut Context,
    [ingress, egress_label]: [&str; 2],
    from: &Ref<SecurityGroup>,
    to: &Ref<SecurityGroup>,
    (first, last): (u16, u16),
    egress: String,
) {
    context.doc.add(
        ingress,
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
        egress_label,
        VpcSecurityGroupEgressRule(VpcSecurityGroupIngressRule {
            security_group_id: from.id(),
            description: egress.into(),
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

/// The task definition's settings as the service's compute decides them.
fn task_shape(service: &Service) -> TaskShape {
    TaskShape {
        compatibility: if service.compute.is_fargate() {
            "FARGATE"
        } else {
            "EC2"
        },
        network_mode: service.compute.network_mode().name(),
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
    }
}

fn task_definition(
    context: &mut Context,
    names: &ServiceNames,
    task: &TaskShape,
    containers: &[ContainerDefinition],
    volume: Vec<TaskVolume>,
    execution_role: &Ref<IamRole>,
    task_role: &Ref<IamRole>,
) -> Ref<EcsTaskDefinition> {
    let container_definitions = serde_json::to_string(containers)
        .expect("container definitions are plain data and always serialise");
    context.doc.add(
        &names.label,
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
    )
}

/// What the ECS service refers to among the resources lowered before it.
struct ServiceInputs<'a> {
    task_definition: &'a Ref<EcsTaskDefinition>,
    attached: &'a Attached<'a>,
    rollback_alarms: &'a [Ref<CloudwatchMetricAlarm>],
    task_security_group: Option<&'a Ref<SecurityGroup>>,
    /// What it must wait for without naming it (see [`lower`]).
    waits_for: Vec<Dependency>,
}

/// The ECS service, after the resources that are its alone and that it names: its Cloud Map
/// registration and its blue/green controller's roles.
fn ecs_service(
    context: &mut Context,
    service: &Service,
    names: &ServiceNames,
    inputs: ServiceInputs,
) -> Ref<EcsService> {
    let attached = inputs.attached;
    let service_registries = discovery::lower_service(context, service, names);
    let controller = deployment::controller_resources(context, service, names, attached);
    let (lifecycle, comment) = lifecycle::derive::<EcsService>(&Facts::service(service));
    // An EC2 service's capacity provider must belong to the cluster before the service names
    // it.
    let depends_on = inputs
        .waits_for
        .into_iter()
        .chain(controller.dependencies.iter().cloned())
        .chain(match &service.compute {
            Compute::Ec2(_) => context.cluster_capacity.as_ref().map(Ref::dependency),
            Compute::Fargate(_) => None,
        })
        .collect();
    let deployment =
        deployment::service_fields(&service.deployment, inputs.rollback_alarms, controller);
    let placement = placement(context, &service.compute);
    context.doc.add_with(
        &names.label,
        EcsService {
            name: (&service.name).into(),
            cluster: context.cluster.id(),
            task_definition: inputs.task_definition.arn(),
            desired_count: service.desired_count,
            launch_type: placement.launch_type,
            capacity_provider_strategy: placement.capacity_provider_strategy,
            ordered_placement_strategy: placement.ordered_placement_strategy,
            placement_constraints: placement.placement_constraints,
            deployment_controller: deployment.deployment_controller,
            deployment_minimum_healthy_percent: deployment.deployment_minimum_healthy_percent,
            deployment_maximum_percent: deployment.deployment_maximum_percent,
            deployment_circuit_breaker: deployment.deployment_circuit_breaker,
            deployment_configuration: deployment.deployment_configuration,
            alarms: deployment.alarms,
            load_balancer: attached.load_balancer_block(service, deployment.advanced_configuration),
            service_registries,
            network_configuration: inputs
                .task_security_group
                .map(|group| NetworkConfiguration {
                    subnets: context.subnet_ids.clone(),
                    security_groups: List::Items(vec![group.id()]),
                    assign_public_ip: placement.assign_public_ip,
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
    )
}

/// Where the ECS service runs its tasks: on Fargate, or on its EC2 capacity provider with its
/// placement strategy and constraints.
struct Placement {
    launch_type: Option<Expr>,
    capacity_provider_strategy: Vec<CapacityProviderStrategy>,
    ordered_placement_strategy: Vec<OrderedPlacementStrategy>,
    placement_constraints: Vec<PlacementConstraint>,
    assign_public_ip: bool,
}

fn placement(context: &Context, compute: &Compute) -> Placement {
    match compute {
        Compute::Fargate(fargate) => Placement {
            launch_type: Some("FARGATE".into()),
            capacity_provider_strategy: Vec::new(),
            ordered_placement_strategy: Vec::new(),
            placement_constraints: Vec::new(),
            assign_public_ip: fargate.assign_public_ip,
        },
        Compute::Ec2(ec2) => Placement {
            launch_type: None,
            capacity_provider_strategy: vec![CapacityProviderStrategy {
                capacity_provider: context.capacity[&ec2.capacity_provider].provider.name(),
                weight: 1,
                base: 0,
            }],
            ordered_placement_strategy: ec2
                .placement_strategy
                .iter()
                .map(|strategy| {
                    let (strategy_type, field) = strategy.ecs();
                    OrderedPlacementStrategy {
                        strategy_type: strategy_type.into(),
                        field: field.map(Into::into),
                    }
                })
                .collect(),
            placement_constraints: ec2
                .placement_constraints
                .iter()
                .map(|expression| PlacementConstraint {
                    constraint_type: "memberOf".into(),
                    expression: expression.into(),
                })
                .collect(),
            assign_public_ip: false,
        },
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
