//! Lowering: turns a validated [`Stack`] into a Terraform [`Document`].
//!
//! Plain functions, one file per concern, called in the order a reader expects the output:
//! provider and inputs, cluster and its EC2 capacity, load balancers, then per service its
//! logs, roles, target groups and listeners, task definition and service
//! ([`service`]), its blue/green controller's resources and artefacts when it deploys
//! blue/green ([`deployment`]: CodeDeploy's deployment group), and its scaling. Lowering takes
//! a [`Validated`] stack, which only [`Stack::validated`] makes, and cannot fail on it; checks
//! belong there. Every AWS name and Terraform label of a part comes from the stack's naming
//! table ([`Validated`] holds it, validation checked it); lowering derives none.

mod alarms;
mod artefacts;
mod capacity;
mod cluster;
mod deployment;
mod discovery;
pub mod lifecycle;
mod load_balancer;
mod logs;
mod notifications;
mod policy;
mod scaling;
pub mod security_defaults;
mod service;
mod targets;
mod volumes;

use std::collections::HashSet;

use indexmap::IndexMap;

use crate::aws::{
    AwsProvider, DefaultTags, EcsCapacityProvider, EcsCluster, EcsClusterCapacityProviders,
    EcsService, EcsTaskDefinition, Elb, IamRole, IamServiceLinkedRole, Lb, LbListener,
    SecurityGroup, ServiceDiscoveryPrivateDnsNamespace,
};
use crate::model::identity::Part;
use crate::model::naming::{suffixed, Names, ServiceNames};
use crate::model::templates;
use crate::model::{
    Backend, CapacityProviderId, ClassicLoadBalancerId, ControllerKind, Input, LoadBalancerId,
    ProviderMajor, Stack, Validated,
};
use crate::tf::{Document, Expr, List, Output, Owner, Ref, TerraformSettings, Variable};

/// The Terraform version the output needs (`lifecycle` and JSON features used here).
const REQUIRED_TERRAFORM: &str = ">= 1.5.0";
/// The S3 backend's `use_lockfile` locks state without DynamoDB from Terraform 1.10 on.
const REQUIRED_TERRAFORM_S3_LOCKFILE: &str = ">= 1.10.0";
/// A release of a hashicorp/aws major the output needs, and why: the constraint's floor is
/// the highest one that applies to the stack.
struct ProviderFloor {
    major: ProviderMajor,
    minor: u32,
    /// Whether the stack uses what needs it; `always` for what every output relies on.
    applies: fn(&Stack) -> bool,
}

fn always(_: &Stack) -> bool {
    true
}

/// The releases the output needs, per major. A feature that needs a later release (a newer
/// argument, a fixed bug) adds its entry here with the test that uses it.
const PROVIDER_FLOORS: &[ProviderFloor] = &[
    // 5.35.0 broke `ignore_changes` on listener default actions; 5.36.0 fixed it.
    ProviderFloor {
        major: ProviderMajor::V5,
        minor: 36,
        applies: always,
    },
    // 6.0.0–6.4.0 are not for a stack that moves from 5.x or has long-lived services: 6.1.0
    // was withdrawn from the registry; 6.0.0–6.4.0 plan a replacement of resources on the
    // new `region` argument after an upgrade from 5.x under `-refresh=false` (fixed in
    // 6.5.0, hashicorp/terraform-provider-aws #43516), and 6.4.0 fails in-place updates
    // (`desired_count`) of an ECS service whose deployment is older than three months
    // (#43445, fixed in 6.5.0 by #43502).
    ProviderFloor {
        major: ProviderMajor::V6,
        minor: 5,
        applies: always,
    },
    // ECS-native blue/green: `deployment_configuration.strategy` and
    // `load_balancer.advanced_configuration` arrived in 6.4.0; 6.6.0 stopped writing an unset
    // `test_listener_rule` as `""` (#43558). Validation refuses ECS-native blue/green on 5.x.
    ProviderFloor {
        major: ProviderMajor::V6,
        minor: 6,
        applies: uses_ecs_blue_green,
    },
];

fn uses_ecs_blue_green(stack: &Stack) -> bool {
    stack
        .services()
        .iter()
        .any(|service| service.blue_green_controller() == Some(ControllerKind::Ecs))
}

/// The hashicorp/aws versions the output accepts: from the highest release of the stack's
/// major it needs ([`PROVIDER_FLOORS`]) up to the next major, so an online `init` never
/// crosses one.
fn required_aws_provider(stack: &Stack) -> String {
    let major = stack.provider_major;
    let minor = PROVIDER_FLOORS
        .iter()
        .filter(|floor| floor.major == major && (floor.applies)(stack))
        .map(|floor| floor.minor)
        .max()
        .unwrap_or(0);
    format!(">= {}.{minor}, < {}.0", major.number(), major.number() + 1)
}

/// Everything lowering needs to refer back to while it adds a stack's resources.
pub(crate) struct Context<'a> {
    pub stack: &'a Stack,
    /// Every AWS name and Terraform label, decided by validation.
    pub names: &'a Names,
    pub doc: Document,
    pub vpc_id: Expr,
    pub subnet_ids: List,
    pub load_balancer_subnet_ids: List,
    pub cluster: Ref<EcsCluster>,
    /// ECS's service-linked role, when the stack creates it; capacity providers wait for it.
    pub service_linked_role: Option<Ref<IamServiceLinkedRole>>,
    /// The cluster's capacity provider list; EC2 services wait for it.
    pub cluster_capacity: Option<Ref<EcsClusterCapacityProviders>>,
    pub capacity: IndexMap<CapacityProviderId, LoweredCapacity>,
    /// The AMI variables declared so far, by variable name.
    pub amis: IndexMap<&'static str, Expr>,
    pub load_balancers: IndexMap<LoadBalancerId, LoweredLoadBalancer>,
    pub classic_load_balancers: IndexMap<ClassicLoadBalancerId, LoweredClassic>,
    /// The Cloud Map namespace, when a service is discoverable.
    pub namespace: Option<Ref<ServiceDiscoveryPrivateDnsNamespace>>,
    /// The KMS key ARN of the log groups, when the stack has services.
    pub log_kms_key: Option<Expr>,
    /// Labels of security group rules already added, for rules several services need once
    /// (a load balancer reaching the instances of a capacity provider).
    pub shared_rules: HashSet<String>,
}

pub(crate) struct LoweredCapacity {
    pub provider: Ref<EcsCapacityProvider>,
    pub instance_security_group: Ref<SecurityGroup>,
}

pub(crate) struct LoweredLoadBalancer {
    pub lb: Ref<Lb>,
    pub security_group: Ref<SecurityGroup>,
    /// Listeners shared by services routed through rules; `None` when one service has the
    /// load balancer's listeners.
    pub shared: Option<SharedListeners>,
}

#[derive(Clone)]
pub(crate) struct SharedListeners {
    pub prod: Ref<LbListener>,
    pub test: Option<Ref<LbListener>>,
}

pub(crate) struct LoweredClassic {
    pub elb: Ref<Elb>,
    pub security_group: Ref<SecurityGroup>,
}

/// What the deployment group, scaling and artefacts refer back to.
pub(crate) struct LoweredService<'s> {
    pub names: &'s ServiceNames,
    pub service: Ref<EcsService>,
    pub task_definition: Ref<EcsTaskDefinition>,
    pub execution_role: Ref<IamRole>,
    pub task_role: Ref<IamRole>,
    /// The alarms its deployments roll back on; empty without a load balancer or alarms.
    pub rollback_alarms: Vec<Ref<crate::aws::CloudwatchMetricAlarm>>,
    /// The tasks' own security group under awsvpc networking.
    pub task_security_group: Option<Ref<SecurityGroup>>,
    pub attached: targets::Attached<'s>,
    /// The container definitions as the task definition has them.
    pub containers: Vec<crate::aws::ContainerDefinition>,
    pub task: TaskShape,
    /// The ARN of the SNS topic told of its deployments, when it has one.
    pub deployment_topic: Option<Expr>,
}

/// The task definition's settings, once, for the resource and for `taskdef.json`.
pub(crate) struct TaskShape {
    pub compatibility: &'static str,
    pub network_mode: &'static str,
    pub cpu: String,
    pub memory: String,
    pub runtime_platform: Option<crate::aws::RuntimePlatformFile>,
}

impl Context<'_> {
    /// The resources added next belong to `part`, their labels built from `label_base`
    /// (`None`: to the stack itself). This is what gives each its identity
    /// ([`crate::model::identity`]), which the address lock follows.
    pub(crate) fn owned_by(&mut self, owner: Option<(&Part, &str)>) {
        self.doc.set_owner(owner.map(|(part, label_base)| Owner {
            part: part.to_string(),
            label_base: label_base.into(),
        }));
    }

    /// Adds output `<label>_<suffix>`, e.g. `web_service_name`.
    pub(crate) fn output(&mut self, label: &str, suffix: &str, description: String, value: Expr) {
        self.doc.output(
            &suffixed(label, suffix),
            Output {
                description,
                value,
                sensitive: false,
            },
        );
    }
}

/// The Terraform document of a validated stack.
pub fn lower(validated: &Validated) -> Document {
    let stack = validated.stack();
    let names = validated.names();
    let mut doc = Document::new(terraform_settings(stack));
    // Blocks are rendered as they are added, so the escape hatch is declared before any.
    for escape in stack.overrides() {
        doc.override_attribute(
            &escape.address,
            &escape.attribute,
            escape.value.clone(),
            escape.reason.clone(),
        );
    }
    doc.set_comment(format!(
        "Generated by ecsynth from stack `{}` for {}. Edit the stack definition and run \
         `cargo run -- synth {}` instead of editing this file.",
        stack.name, stack.provider_major, stack.name
    ));
    doc.provider("aws", provider(stack));
    let vpc_id = match &stack.network.vpc_id {
        Input::Value(id) => Expr::from(id),
        Input::Variable => doc.variable(
            "vpc_id",
            Variable {
                type_constraint: "string".into(),
                description: "VPC that the load balancers and tasks run in".into(),
                default: None,
            },
        ),
    };
    let subnet_ids = subnet_input(
        &mut doc,
        &stack.network.subnet_ids,
        "subnet_ids",
        "Subnets of the tasks (private subnets with a route to the image registry)",
    );
    let load_balancer_subnet_ids = match &stack.network.load_balancer_subnet_ids {
        None => subnet_ids.clone(),
        Some(input) => subnet_input(
            &mut doc,
            input,
            "load_balancer_subnet_ids",
            "Subnets of the load balancers (public subnets for internet-facing ones)",
        ),
    };
    let (cluster, service_linked_role) = cluster::lower(&mut doc, stack);
    let mut context = Context {
        stack,
        names,
        doc,
        vpc_id,
        subnet_ids,
        load_balancer_subnet_ids,
        cluster,
        service_linked_role,
        cluster_capacity: None,
        capacity: IndexMap::new(),
        amis: IndexMap::new(),
        load_balancers: IndexMap::new(),
        classic_load_balancers: IndexMap::new(),
        namespace: None,
        shared_rules: HashSet::new(),
        log_kms_key: None,
    };
    capacity::lower_all(&mut context);
    context.log_kms_key = logs::lower_key(&mut context);
    discovery::lower_namespace(&mut context);
    load_balancer::lower_all(&mut context);
    outputs(&mut context);
    let mut task_groups = Vec::new();
    for (service, service_names) in stack.services().iter().zip(&names.services) {
        context.owned_by(Some((&service_names.part, &service_names.label)));
        let mut lowered = service::lower(&mut context, service, service_names);
        lowered.deployment_topic = notifications::lower(&mut context, service, service_names);
        task_groups.push((service, service_names, lowered.task_security_group.clone()));
        if let targets::Attachment::BlueGreen(targets) = &lowered.attached.attachment {
            deployment::lower(&mut context, service, targets, &lowered);
        }
        if let Some(step_scaling) = &service.scaling {
            scaling::lower(&mut context, service, step_scaling, &lowered);
        }
        service::outputs(&mut context, &lowered);
    }
    context.owned_by(None);
    discovery::lower_access(&mut context, &task_groups);
    security_defaults::check_overrides(&mut context.doc, stack);
    context.doc
}

fn terraform_settings(stack: &Stack) -> TerraformSettings {
    let required = match &stack.backend {
        Some(Backend::S3(_)) => REQUIRED_TERRAFORM_S3_LOCKFILE,
        _ => REQUIRED_TERRAFORM,
    };
    let mut settings = TerraformSettings::new(required);
    settings.require_provider("aws", "hashicorp/aws", &required_aws_provider(stack));
    settings.backend = match &stack.backend {
        None | Some(Backend::Local) => None,
        Some(Backend::S3(s3)) => {
            let key = s3
                .key
                .clone()
                .unwrap_or_else(|| format!("{}/terraform.tfstate", stack.name));
            let settings = [
                ("bucket", s3.bucket.clone().into()),
                ("key", key.into()),
                ("region", s3.region.clone().into()),
                ("encrypt", true.into()),
                // An S3 lock file instead of a DynamoDB table (Terraform >= 1.10).
                ("use_lockfile", true.into()),
            ];
            Some((
                "s3".to_owned(),
                settings
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value))
                    .collect(),
            ))
        }
    };
    settings
}

fn provider(stack: &Stack) -> AwsProvider {
    AwsProvider {
        region: Expr::from(&stack.region),
        default_tags: Some(DefaultTags {
            tags: stack_tags(stack),
        }),
    }
}

/// The tags every resource of the stack gets: the provider's `default_tags`, and the launch
/// templates' tags for the instances and volumes Auto Scaling launches, which `default_tags`
/// never reaches.
pub(crate) fn stack_tags(stack: &Stack) -> IndexMap<String, Expr> {
    let mut tags: IndexMap<String, Expr> = stack
        .tags
        .iter()
        .map(|(key, value)| (key.clone(), Expr::from(value)))
        .collect();
    tags.insert("Stack".into(), Expr::from(&stack.name));
    tags.insert("ManagedBy".into(), "ecsynth".into());
    tags
}

fn subnet_input(
    doc: &mut Document,
    input: &Input<Vec<String>>,
    name: &str,
    description: &str,
) -> List {
    match input {
        Input::Value(ids) => List::from(ids.clone()),
        Input::Variable => List::Whole(doc.variable(
            name,
            Variable {
                type_constraint: "list(string)".into(),
                description: description.into(),
                default: None,
            },
        )),
    }
}

fn outputs(context: &mut Context) {
    let cluster_name = context.cluster.name();
    context.doc.output(
        "cluster_name",
        Output {
            description: "ECS cluster".into(),
            value: cluster_name,
            sensitive: false,
        },
    );
    let names = context.names;
    let mut dns_names: Vec<(&str, Expr)> = names
        .load_balancers
        .iter()
        .zip(context.load_balancers.values())
        .map(|(named, lowered)| (named.label.as_str(), lowered.lb.dns_name()))
        .collect();
    dns_names.extend(
        names
            .classic_load_balancers
            .iter()
            .zip(context.classic_load_balancers.values())
            .map(|(named, lowered)| (named.label.as_str(), lowered.elb.dns_name())),
    );
    for (label, dns_name) in dns_names {
        context.doc.output(
            &suffixed(label, "dns_name"),
            Output {
                description: "DNS name of the load balancer; point your DNS record here".into(),
                value: dns_name,
                sensitive: false,
            },
        );
    }
}
