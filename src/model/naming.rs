//! Terraform labels and AWS names derived from model names, decided once per stack.
//!
//! [`Names::of`] builds a stack's naming table: for each part of the stack (load balancer,
//! classic ELB, capacity provider, service and what it owns) the AWS names it gets and the
//! Terraform labels of their blocks. Validation builds it once, checks the AWS names in it
//! against AWS's rules, and hands it to lowering inside [`super::Validated`]; lowering only
//! reads it. A naming rule is a change here and nowhere else.

use super::deployment::BlueGreenController;
use super::identity::{Part, PartKind};
use super::service::{Service, VolumeSource};
use super::stack::Stack;

/// A Terraform label for a model name: characters outside `[A-Za-z0-9_]` become `_`.
fn label(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `<base>_<suffix>`, the label of a block derived from another (`web_execution`). Lowering
/// builds labels by the thousand; joining the pieces costs a fraction of `format!`.
pub(crate) fn suffixed(base: &str, suffix: &str) -> String {
    [base, "_", suffix].concat()
}

/// `<stack>-<part>-<part>…`, the AWS name of a stack's resource.
fn aws_name(stack: &str, parts: &[&str]) -> String {
    let mut name =
        String::with_capacity(stack.len() + parts.iter().map(|part| 1 + part.len()).sum::<usize>());
    name.push_str(stack);
    for part in parts {
        name.push('-');
        name.push_str(part);
    }
    name
}

/// The suffixes of a service's target groups (`<stack>-<service>-<suffix>`): a blue/green
/// pair, one group for a rolling service behind an ALB or NLB, none otherwise. The first is
/// the one the service is registered in at creation.
fn target_group_suffixes(service: &Service) -> &'static [&'static str] {
    if service.is_blue_green() {
        &["blue", "green"]
    } else if service.traffic().is_some() {
        &["main"]
    } else {
        &[]
    }
}

/// What a service's rollback alarms watch (`<stack>-<service>-<source>-<metric>`): each of its
/// target groups, or its classic ELB (`elb`); nothing without a load balancer or alarms.
fn rollback_alarm_sources(service: &Service) -> &'static [&'static str] {
    if service.deployment.rollback_alarms().is_none() {
        &[]
    } else if service.classic_traffic().is_some() {
        &["elb"]
    } else {
        target_group_suffixes(service)
    }
}

/// The metric suffixes of rollback alarm names; `unhealthy` is the longest.
pub(crate) const ROLLBACK_ALARM_METRICS: &[&str] = &["unhealthy", "5xx", "p99"];

/// The suffixes of a service's IAM roles (`<stack>-<service>-<suffix>`): execution and task
/// roles, then the blue/green controller's: CodeDeploy's service role, or the role ECS assumes
/// to switch the listener rules and, with Lambda hooks, the role it invokes them with.
fn role_suffixes(service: &Service) -> &'static [&'static str] {
    match service
        .blue_green_settings()
        .map(|blue_green| &blue_green.controller)
    {
        None => &["execution", "task"],
        Some(BlueGreenController::CodeDeploy(_)) => &["execution", "task", CODEDEPLOY_ROLE],
        Some(BlueGreenController::Ecs(ecs)) if ecs.hooks.is_empty() => {
            &["execution", "task", ECS_TRAFFIC_ROLE]
        }
        Some(BlueGreenController::Ecs(_)) => {
            &["execution", "task", ECS_TRAFFIC_ROLE, ECS_HOOKS_ROLE]
        }
    }
}

const CODEDEPLOY_ROLE: &str = "codedeploy";
const ECS_TRAFFIC_ROLE: &str = "bluegreen";
const ECS_HOOKS_ROLE: &str = "hooks";

/// The CloudWatch Logs group of a service's containers.
fn log_group(stack: &str, service: &str) -> String {
    format!("/ecs/{stack}/{service}")
}

/// One resource's Terraform label and the name AWS receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub label: String,
    pub aws: String,
}

impl Named {
    /// Label `<base>_<suffix>`, AWS name `<aws base>-<suffix>`.
    fn suffixed(label_base: &str, aws_base: &str, suffix: &str) -> Named {
        Named {
            label: suffixed(label_base, suffix),
            aws: [aws_base, "-", suffix].concat(),
        }
    }
}

/// The naming table of one stack: every AWS name and Terraform label its parts get, in model
/// order (`load_balancers[i]` names the stack's `i`-th load balancer, and so on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    /// The log groups of every service of the stack (`/ecs/<stack>/*`), as the log key's
    /// policy grants them.
    pub log_groups: String,
    pub load_balancers: Vec<LoadBalancerNames>,
    pub classic_load_balancers: Vec<LoadBalancerNames>,
    pub capacity_providers: Vec<CapacityNames>,
    pub services: Vec<ServiceNames>,
}

/// An ALB, NLB or classic ELB: `<stack>-<name>`, and its security group `<stack>-<name>-lb`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadBalancerNames {
    /// What owns its resources, for their identity.
    pub part: Part,
    pub label: String,
    pub aws: String,
    pub security_group: Named,
}

/// An EC2 capacity provider: `<stack>-<name>` names the provider, its Auto Scaling group and
/// launch template; the instance role and profile are `<stack>-<name>-instance`, the
/// instances' security group `<stack>-<name>-instances`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapacityNames {
    /// What owns its resources, for their identity.
    pub part: Part,
    pub label: String,
    pub aws: String,
    pub instance_role: Named,
    pub instances_group: Named,
}

/// A service and what it owns, each `<stack>-<service>[-<suffix>]`; the blocks of the
/// service itself (log group, task definition, ECS service, CodeDeploy application) share
/// `label`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceNames {
    /// What owns its resources, for their identity: keyed by its AWS name, so a service
    /// renamed in Rust with [`Service::aws_name`] keeps it.
    pub part: Part,
    /// From the name the stack's code knows the service by ([`Service::label_name`]).
    pub label: String,
    /// The task definition family; also the CodeDeploy application and deployment group.
    pub family: String,
    pub log_group: String,
    /// `-execution`, `-task` and the blue/green controller's (`-codedeploy`, or `-bluegreen`
    /// and `-hooks`): in that order.
    pub roles: Vec<Suffixed>,
    /// The tasks' own security group (`-tasks`); lowering adds it only for awsvpc tasks
    /// (bridge and host tasks use their instances' group).
    pub tasks_group: Named,
    /// Blue and green, or one `main` group, or none: [`target_group_suffixes`] order.
    pub target_groups: Vec<Suffixed>,
    /// Per target group (or the classic ELB), the rollback alarms of every metric
    /// ([`ROLLBACK_ALARM_METRICS`] order), `-<source>-<metric>`. Lowering adds those the
    /// load balancer publishes (an NLB has no `5xx` nor `p99`); validation checks the longest.
    pub rollback_alarms: Vec<AlarmSourceNames>,
    /// Step scaling: policies `-scale-out`, `-scale-in`, alarms `-cpu-high`, `-cpu-low`.
    pub scaling: Option<ScalingNames>,
    /// One entry per volume of the service, `Some` for an EFS volume.
    pub volumes: Vec<Option<VolumeNames>>,
    /// The deployment topic (`-deployments`), also the CodeDeploy trigger's name; lowering
    /// adds it only for a service that asks the stack to create one. At most 53 + 12
    /// characters (the family fits the 64 of `-execution`), well within SNS's 256.
    pub deployment_topic: Named,
}

/// A name derived with a fixed suffix (`blue`, `execution`), the suffix kept for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suffixed {
    pub suffix: &'static str,
    pub named: Named,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmSourceNames {
    /// `blue`, `green`, `main` or `elb`.
    pub source: &'static str,
    /// One per [`ROLLBACK_ALARM_METRICS`] entry, in that order.
    pub alarms: Vec<Named>,
}

impl AlarmSourceNames {
    /// The alarm of `metric` (one of [`ROLLBACK_ALARM_METRICS`]).
    pub fn alarm(&self, metric: &str) -> &Named {
        let index = ROLLBACK_ALARM_METRICS
            .iter()
            .position(|known| *known == metric)
            .expect("rollback alarm metrics are those of ROLLBACK_ALARM_METRICS");
        &self.alarms[index]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalingNames {
    pub scale_out: Named,
    pub scale_in: Named,
    pub cpu_high: Named,
    pub cpu_low: Named,
}

/// An EFS volume: the file system (`<stack>-<service>-<volume>`, its creation token), the
/// mount targets' security group (`-efs`) and the task role's mount policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeNames {
    pub label: String,
    pub token: String,
    pub security_group: Named,
    pub mount_policy: String,
}

impl Names {
    /// The table of `stack`. Pure string building: any stack has one, valid or not, so
    /// validation can check the names it holds.
    pub fn of(stack: &Stack) -> Names {
        let prefix = |name: &str| aws_name(&stack.name, &[name]);
        let load_balancer = |kind: PartKind, name: &str| {
            let label = label(name);
            let aws = prefix(name);
            LoadBalancerNames {
                part: Part::new(kind, name),
                security_group: Named::suffixed(&label, &aws, "lb"),
                label,
                aws,
            }
        };
        Names {
            log_groups: log_group(&stack.name, "*"),
            load_balancers: stack
                .load_balancers()
                .iter()
                .map(|model| load_balancer(PartKind::LoadBalancer, &model.name))
                .collect(),
            classic_load_balancers: stack
                .classic_load_balancers()
                .iter()
                .map(|model| load_balancer(PartKind::ClassicLoadBalancer, &model.name))
                .collect(),
            capacity_providers: stack
                .capacity_providers()
                .iter()
                .map(|capacity| {
                    let label = label(&capacity.name);
                    let aws = prefix(&capacity.name);
                    CapacityNames {
                        part: Part::new(PartKind::CapacityProvider, &capacity.name),
                        instance_role: Named::suffixed(&label, &aws, "instance"),
                        instances_group: Named::suffixed(&label, &aws, "instances"),
                        label,
                        aws,
                    }
                })
                .collect(),
            services: stack
                .services()
                .iter()
                .map(|service| ServiceNames::of(&stack.name, service))
                .collect(),
        }
    }
}

impl Names {
    /// Every AWS name in the table. A superset of what lowering emits: the rollback alarms of
    /// every metric (a network load balancer publishes fewer), the tasks' own security group
    /// (only awsvpc tasks have one).
    pub fn aws_names(&self) -> Vec<&str> {
        let mut names = vec![self.log_groups.as_str()];
        for lb in self
            .load_balancers
            .iter()
            .chain(&self.classic_load_balancers)
        {
            names.extend([lb.aws.as_str(), &lb.security_group.aws]);
        }
        for capacity in &self.capacity_providers {
            names.extend([
                capacity.aws.as_str(),
                &capacity.instance_role.aws,
                &capacity.instances_group.aws,
            ]);
        }
        for service in &self.services {
            names.extend([
                service.family.as_str(),
                &service.log_group,
                &service.tasks_group.aws,
                &service.deployment_topic.aws,
            ]);
            names.extend(service.roles.iter().map(|role| role.named.aws.as_str()));
            names.extend(
                service
                    .target_groups
                    .iter()
                    .map(|group| group.named.aws.as_str()),
            );
            for source in &service.rollback_alarms {
                names.extend(source.alarms.iter().map(|alarm| alarm.aws.as_str()));
            }
            if let Some(scaling) = &service.scaling {
                names.extend(
                    [
                        &scaling.scale_out,
                        &scaling.scale_in,
                        &scaling.cpu_high,
                        &scaling.cpu_low,
                    ]
                    .map(|named| named.aws.as_str()),
                );
            }
            for volume in service.volumes.iter().flatten() {
                names.extend([
                    volume.token.as_str(),
                    &volume.security_group.aws,
                    &volume.mount_policy,
                ]);
            }
        }
        names
    }
}

impl ServiceNames {
    fn of(stack: &str, service: &Service) -> ServiceNames {
        let label = label(service.label_name());
        let family = aws_name(stack, &[&service.name]);
        let named = |suffix: &str| Named::suffixed(&label, &family, suffix);
        let scaling = service.scaling.as_ref().map(|_| ScalingNames {
            scale_out: Named {
                label: [label.as_str(), "_scale_out"].concat(),
                aws: [family.as_str(), "-scale-out"].concat(),
            },
            scale_in: Named {
                label: [label.as_str(), "_scale_in"].concat(),
                aws: [family.as_str(), "-scale-in"].concat(),
            },
            cpu_high: Named {
                label: [label.as_str(), "_cpu_high"].concat(),
                aws: [family.as_str(), "-cpu-high"].concat(),
            },
            cpu_low: Named {
                label: [label.as_str(), "_cpu_low"].concat(),
                aws: [family.as_str(), "-cpu-low"].concat(),
            },
        });
        let volumes = service
            .volumes
            .iter()
            .map(|volume| match &volume.source {
                VolumeSource::Efs(_) => {
                    let volume_label = [label.as_str(), "_", &self::label(&volume.name)].concat();
                    let token = [family.as_str(), "-", &volume.name].concat();
                    Some(VolumeNames {
                        security_group: Named::suffixed(&volume_label, &token, "efs"),
                        mount_policy: format!("mount-{}", volume.name),
                        label: volume_label,
                        token,
                    })
                }
                _ => None,
            })
            .collect();
        ServiceNames {
            part: Part::new(PartKind::Service, &service.name),
            log_group: log_group(stack, &service.name),
            roles: role_suffixes(service)
                .iter()
                .map(|suffix| Suffixed {
                    suffix,
                    named: named(suffix),
                })
                .collect(),
            tasks_group: named("tasks"),
            deployment_topic: named("deployments"),
            target_groups: target_group_suffixes(service)
                .iter()
                .map(|suffix| Suffixed {
                    suffix,
                    named: named(suffix),
                })
                .collect(),
            rollback_alarms: rollback_alarm_sources(service)
                .iter()
                .map(|source| AlarmSourceNames {
                    source,
                    alarms: ROLLBACK_ALARM_METRICS
                        .iter()
                        .map(|metric| Named {
                            label: [label.as_str(), "_", source, "_", metric].concat(),
                            aws: [family.as_str(), "-", source, "-", metric].concat(),
                        })
                        .collect(),
                })
                .collect(),
            scaling,
            volumes,
            label,
            family,
        }
    }

    /// The execution role (`-execution`).
    pub fn execution_role(&self) -> &Named {
        &self.roles[0].named
    }

    /// The task role (`-task`).
    pub fn task_role(&self) -> &Named {
        &self.roles[1].named
    }

    /// CodeDeploy's role (`-codedeploy`), for a service CodeDeploy deploys.
    pub fn codedeploy_role(&self) -> Option<&Named> {
        self.role(CODEDEPLOY_ROLE)
    }

    /// The role ECS assumes to switch the listener rules (`-bluegreen`), for ECS-native
    /// blue/green.
    pub fn ecs_traffic_role(&self) -> Option<&Named> {
        self.role(ECS_TRAFFIC_ROLE)
    }

    /// The role ECS invokes the Lambda hooks with (`-hooks`), for ECS-native blue/green with
    /// hooks.
    pub fn ecs_hooks_role(&self) -> Option<&Named> {
        self.role(ECS_HOOKS_ROLE)
    }

    fn role(&self, suffix: &str) -> Option<&Named> {
        self.roles
            .iter()
            .find(|role| role.suffix == suffix)
            .map(|role| &role.named)
    }
}

/// The priority of a service's listener rule when the stack does not pin one: derived from
/// the service name alone (FNV-1a), so adding or removing a service never renumbers another.
/// In 1 to 50000, ALB's range.
pub(crate) fn derived_rule_priority(service: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in service.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    1 + hash % 50_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_priorities_are_stable_and_in_range() {
        // Pinned values: a change here renumbers every user's rules.
        assert_eq!(
            derived_rule_priority("orders"),
            derived_rule_priority("orders")
        );
        assert_ne!(
            derived_rule_priority("orders"),
            derived_rule_priority("users")
        );
        for name in [
            "a",
            "orders",
            "users",
            "catalogue",
            "x-very-long-service-name",
        ] {
            assert!((1..=50_000).contains(&derived_rule_priority(name)));
        }
    }
}
