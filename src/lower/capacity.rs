//! EC2 capacity: per capacity provider an instance role and profile, the instances' security
//! group, a launch template with the agent's user data, an Auto Scaling group, and the ECS
//! capacity provider that scales it; then the cluster's list of capacity providers.

use super::lifecycle::{self, Facts};
use super::{policy, Context, LoweredCapacity};
use crate::aws::{
    AsgLaunchTemplate, AsgTag, AutoScalingGroupProvider, AutoscalingGroup, BlockDeviceMapping,
    CapacityProviderStrategy, Ebs, EcsCapacityProvider, EcsClusterCapacityProviders,
    IamInstanceProfile, IamRole, IamRolePolicyAttachment, InstanceRefresh,
    InstanceRefreshPreferences, LaunchTemplate, LaunchTemplateInstanceProfile, ManagedScaling,
    MetadataOptions, Monitoring, SecurityGroup, TagSpecification, Tags, VpcSecurityGroupEgressRule,
    VpcSecurityGroupIngressRule,
};
use crate::model::naming::{suffixed, CapacityNames};
use crate::model::{Ec2Capacity, Input};
use crate::tf::{Expr, List, Meta, Ref, Variable};

const EC2_CONTAINER_SERVICE_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";
/// Session Manager instead of SSH: operators run commands on nodes without open ports.
const SSM_MANAGED_INSTANCE_POLICY: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/// AWS's public parameters naming the current ECS-optimised Amazon Linux 2023 AMI: where the
/// operator looks up the value of the AMI variables.
const AMI_PARAMETER_X86_64: &str =
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";
const AMI_PARAMETER_ARM64: &str =
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id";

/// Instance metrics the Auto Scaling group publishes, for dashboards and alarms.
const GROUP_METRICS: &[&str] = &[
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupMaxSize",
    "GroupMinSize",
    "GroupPendingInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
];

pub fn lower_all(context: &mut Context) {
    let stack = context.stack;
    if stack.capacity_providers().is_empty() {
        return;
    }
    let mut names = Vec::new();
    let table = context.names;
    for ((id, capacity), named) in stack
        .capacity_providers_with_ids()
        .zip(&table.capacity_providers)
    {
        context.owned_by(Some((&named.part, &named.label)));
        let lowered = lower(context, capacity, named);
        names.push(lowered.provider.name());
        context.capacity.insert(id, lowered);
    }
    context.owned_by(None);
    let default = names[0].clone();
    let association = context.doc.add(
        "main",
        EcsClusterCapacityProviders {
            cluster_name: context.cluster.name(),
            capacity_providers: names,
            default_capacity_provider_strategy: vec![CapacityProviderStrategy {
                capacity_provider: default,
                weight: 1,
                base: 0,
            }],
        },
    );
    context.cluster_capacity = Some(association);
}

/// What an instance refresh does with instances protected from scale-in. Under managed
/// termination protection every instance running tasks is protected, and AWS's default
/// (`Ignore`) skips them: the refresh reports success while the instances that run tasks keep
/// the old AMI (Auto Scaling API, `RefreshPreferences.ScaleInProtectedInstances`). With
/// managed draining ECS drains an instance's tasks before Auto Scaling terminates it, so the
/// refresh replaces them too (`Refresh`). Without it a replaced instance's tasks would be
/// killed, so the refresh waits (`Wait`) until ECS lifts the protection from instances it
/// has emptied.
fn scale_in_protected_instances(capacity: &Ec2Capacity) -> &'static str {
    if capacity.managed_draining {
        "Refresh"
    } else {
        "Wait"
    }
}

/// The variable holding the ECS-optimised AMI of one architecture, declared once per stack.
/// An explicit value instead of AWS's public SSM parameter: the parameter moves with every AMI
/// release, so the next unrelated apply would start an instance refresh, and the provider
/// marks its `value` sensitive, so the plan would not even show the new id.
fn ami_variable(context: &mut Context, arm64: bool) -> Expr {
    let (name, architecture, parameter) = if arm64 {
        ("ecs_ami_id_arm64", "arm64 (Graviton)", AMI_PARAMETER_ARM64)
    } else {
        ("ecs_ami_id", "x86-64", AMI_PARAMETER_X86_64)
    };
    if let Some(ami) = context.amis.get(name) {
        return ami.clone();
    }
    let ami = context.doc.variable(
        name,
        Variable {
            type_constraint: "string".into(),
            description: format!(
                "ECS-optimised Amazon Linux 2023 AMI of the {architecture} instances, e.g. the \
                 current one: aws ssm get-parameter --name {parameter} --query Parameter.Value \
                 --output text. A new value replaces every instance through an instance refresh"
            ),
            default: None,
        },
    );
    context.amis.insert(name, ami.clone());
    ami
}

/// Graviton families (`m7g`, `c6g`, `t4g`) take the arm64 AMI.
fn is_arm64(instance_type: &str) -> bool {
    instance_type
        .split('.')
        .next()
        .is_some_and(|family| family.ends_with('g') || family.ends_with("gd"))
}

/// One capacity provider, in the order its resources depend on each other: who the
/// instances are, what may reach them, what they boot, the group that runs them and the
/// provider that scales the group for ECS.
fn lower(context: &mut Context, capacity: &Ec2Capacity, named: &CapacityNames) -> LoweredCapacity {
    let image_id = match &capacity.ami {
        Input::Value(image_id) => Expr::from(image_id),
        Input::Variable => ami_variable(context, is_arm64(&capacity.instance_type)),
    };
    let profile = instance_profile(context, capacity, named);
    let security_group = instances_security_group(context, capacity, named);
    let template = launch_template(
        context,
        capacity,
        named,
        image_id,
        &security_group,
        &profile,
    );
    let group = auto_scaling_group(context, capacity, named, &template);
    let provider = capacity_provider(context, capacity, named, &group);
    LoweredCapacity {
        provider,
        instance_security_group: security_group,
    }
}

/// The instances' role (the ECS agent and Session Manager) and the profile that hands it to
/// them.
fn instance_profile(
    context: &mut Context,
    capacity: &Ec2Capacity,
    named: &CapacityNames,
) -> Ref<IamInstanceProfile> {
    let name = &named.label;
    let role = context.doc.add(
        &named.instance_role.label,
        IamRole {
            name: (&named.instance_role.aws).into(),
            description: format!(
                "EC2 instances of capacity provider {}: the ECS agent and Session Manager",
                capacity.name
            )
            .into(),
            assume_role_policy: policy::trust("ec2.amazonaws.com").into(),
            tags: Tags::new(),
        },
    );
    for (suffix, policy_arn) in [
        ("ecs", EC2_CONTAINER_SERVICE_POLICY),
        ("ssm", SSM_MANAGED_INSTANCE_POLICY),
    ] {
        context.doc.add(
            &format!("{name}_instance_{suffix}"),
            IamRolePolicyAttachment {
                role: role.name(),
                policy_arn: policy_arn.into(),
            },
        );
    }
    context.doc.add(
        name,
        IamInstanceProfile {
            name: (&named.instance_role.aws).into(),
            role: role.name(),
            tags: Tags::new(),
        },
    )
}

/// The instances' security group: everything out; the services placed there add what may
/// come in.
fn instances_security_group(
    context: &mut Context,
    capacity: &Ec2Capacity,
    named: &CapacityNames,
) -> Ref<SecurityGroup> {
    let security_group = context.doc.add(
        &named.instances_group.label,
        SecurityGroup {
            name: (&named.instances_group.aws).into(),
            description: format!(
                "EC2 instances of capacity provider {} in stack {}",
                capacity.name, context.stack.name
            )
            .into(),
            vpc_id: context.vpc_id.clone(),
            tags: Tags::new(),
        },
    );
    context.doc.add(
        &suffixed(&named.label, "instances_egress"),
        VpcSecurityGroupEgressRule(VpcSecurityGroupIngressRule {
            security_group_id: security_group.id(),
            description: "ECS agent, image pulls, logs and the tasks' own calls".into(),
            ip_protocol: "-1".into(),
            from_port: None,
            to_port: None,
            cidr_ipv4: Some("0.0.0.0/0".into()),
            referenced_security_group_id: None,
        }),
    );
    security_group
}

/// What each instance boots: the AMI, the agent's user data, IMDSv2, an encrypted root
/// volume, and the stack's tags on everything Auto Scaling launches.
fn launch_template(
    context: &mut Context,
    capacity: &Ec2Capacity,
    named: &CapacityNames,
    image_id: Expr,
    security_group: &Ref<SecurityGroup>,
    profile: &Ref<IamInstanceProfile>,
) -> Ref<LaunchTemplate> {
    let stack = context.stack;
    let name = &named.label;
    let aws = &named.aws;
    let user_data = capacity.user_data(&stack.name, &stack.cluster.name);
    // A local keeps the script readable in the output and in `terraform console`; the
    // literal is escaped, so the shell's own `${VAR}` reaches the instance unchanged.
    let user_data = context
        .doc
        .local(&suffixed(name, "user_data"), Expr::from(user_data));
    // Auto Scaling launches the instances and their volumes and interfaces: the provider's
    // `default_tags` never reach them, the launch template's tag specifications do.
    let mut launched_tags = super::stack_tags(stack);
    launched_tags.insert("Name".into(), Expr::from(aws));
    context.doc.add(
        name,
        LaunchTemplate {
            name: aws.into(),
            description: format!("ECS instances of capacity provider {}", capacity.name).into(),
            image_id,
            instance_type: (&capacity.instance_type).into(),
            vpc_security_group_ids: List::Items(vec![security_group.id()]),
            user_data: Expr::call("base64encode", [user_data]),
            update_default_version: true,
            iam_instance_profile: LaunchTemplateInstanceProfile { arn: profile.arn() },
            // IMDSv2 only; one hop keeps containers on the bridge network from reaching the
            // instance role's credentials (tasks use their own task role).
            metadata_options: MetadataOptions {
                http_endpoint: "enabled".into(),
                http_tokens: "required".into(),
                http_put_response_hop_limit: 1,
            },
            block_device_mappings: vec![BlockDeviceMapping {
                device_name: "/dev/xvda".into(),
                ebs: Ebs {
                    volume_size: capacity.root_volume_gib,
                    volume_type: "gp3".into(),
                    encrypted: true,
                    delete_on_termination: true,
                },
            }],
            monitoring: Monitoring { enabled: true },
            tag_specifications: ["instance", "volume", "network-interface"]
                .into_iter()
                .map(|resource_type| TagSpecification {
                    resource_type: resource_type.into(),
                    tags: launched_tags.clone(),
                })
                .collect(),
            tags: Tags::new(),
        },
    )
}

/// The Auto Scaling group that runs the instances; ECS managed scaling sets its desired
/// capacity, and a new launch template version rolls through it by itself.
fn auto_scaling_group(
    context: &mut Context,
    capacity: &Ec2Capacity,
    named: &CapacityNames,
    template: &Ref<LaunchTemplate>,
) -> Ref<AutoscalingGroup> {
    let (lifecycle, comment) = lifecycle::derive::<AutoscalingGroup>(&Facts::ecs_managed_scaling());
    context.doc.add_with(
        &named.label,
        AutoscalingGroup {
            name: (&named.aws).into(),
            min_size: capacity.min_size,
            max_size: capacity.max_size,
            desired_capacity: capacity.min_size,
            vpc_zone_identifier: context.subnet_ids.clone(),
            // Managed termination protection needs it: ECS lifts it from empty instances.
            protect_from_scale_in: capacity.managed_termination_protection,
            health_check_type: "EC2".into(),
            enabled_metrics: GROUP_METRICS.iter().map(|m| Expr::from(*m)).collect(),
            launch_template: AsgLaunchTemplate {
                id: template.id(),
                version: template.latest_version(),
            },
            // A new AMI or launch template version rolls through the instances by itself.
            instance_refresh: InstanceRefresh {
                strategy: "Rolling".into(),
                preferences: InstanceRefreshPreferences {
                    min_healthy_percentage: 50,
                    scale_in_protected_instances: scale_in_protected_instances(capacity).into(),
                },
            },
            tag: vec![
                // ECS adds this tag itself; declaring it keeps the plan clean.
                AsgTag {
                    key: "AmazonECSManaged".into(),
                    value: "true".into(),
                    propagate_at_launch: true,
                },
            ],
        },
        Meta {
            comment,
            lifecycle,
            ..Meta::default()
        },
    )
}

/// The ECS capacity provider: ECS scales the group to the tasks' needs and keeps instances
/// that run tasks from being terminated.
fn capacity_provider(
    context: &mut Context,
    capacity: &Ec2Capacity,
    named: &CapacityNames,
    group: &Ref<AutoscalingGroup>,
) -> Ref<EcsCapacityProvider> {
    let on_off = |on: bool| Expr::from(if on { "ENABLED" } else { "DISABLED" });
    // ECS uses its service-linked role to manage the group: the role is created by the
    // cluster's CreateCluster (or by this stack, when it makes the role) and may not be
    // assumable yet if the provider is created alongside ("Unable to assume the service
    // linked role", terraform-aws-modules/terraform-aws-ecs #26).
    let depends_on = std::iter::once(context.cluster.dependency())
        .chain(context.service_linked_role.as_ref().map(Ref::dependency))
        .collect();
    context.doc.add_with(
        &named.label,
        EcsCapacityProvider {
            name: (&named.aws).into(),
            auto_scaling_group_provider: AutoScalingGroupProvider {
                auto_scaling_group_arn: group.arn(),
                managed_termination_protection: on_off(capacity.managed_termination_protection),
                managed_draining: on_off(capacity.managed_draining),
                managed_scaling: ManagedScaling {
                    status: "ENABLED".into(),
                    target_capacity: capacity.target_capacity_percent,
                    minimum_scaling_step_size: 1,
                    maximum_scaling_step_size: 10,
                },
            },
            tags: Tags::new(),
        },
        Meta {
            depends_on,
            ..Meta::default()
        },
    )
}
