//! Which attributes something other than Terraform owns after the first apply.
//!
//! [`RULES`] is the one table of them: per resource type and attribute, who owns it, why, and
//! when the rule applies. Everything that knows about ownership reads it:
//!
//! - lowering: each block's `lifecycle.ignore_changes` and the `//` comment listing the owners,
//!   so a reviewer reading the JSON sees the reason next to the list ([`derive`]);
//! - `ecsynth graph`: the owner of each attribute a block's `ignore_changes` lists ([`owners`]);
//! - `synth --check`: changes of those attributes, marked apart from real changes.
//!
//! Adding a rule is one row here; a rule for a new blue/green controller names it in `when`.

use crate::aws::{AutoscalingGroup, EcsService, LbListener, LbListenerRule};
use crate::model::{ControllerKind, NetworkMode, Service};
use crate::tf::{Lifecycle, Resource};

/// `attribute` of every `resource_type` block that `owner` changes after creation, whenever
/// `when` holds for the block.
#[derive(Debug)]
pub struct Rule {
    pub resource_type: &'static str,
    pub attribute: &'static str,
    pub owner: &'static str,
    pub why: &'static str,
    pub when: When,
}

/// When a [`Rule`] applies to a block, asked of the [`Facts`] lowering knows about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// The block's service deploys blue/green under the controller, or the block carries the
    /// traffic the controller switches (a listener, a listener rule).
    BlueGreen(ControllerKind),
    /// As `BlueGreen`, for a service whose tasks have a network configuration of their own
    /// (`awsvpc`; bridge and host tasks use their instance's network).
    BlueGreenAwsvpc(ControllerKind),
    /// As `BlueGreen`, for a service on EC2 capacity: it names a capacity provider strategy,
    /// where a Fargate one gives a launch type.
    BlueGreenOnEc2(ControllerKind),
    /// The service deploys rolling, through ECS (`ecsynth deploy` moves it to new revisions).
    Rolling,
    /// The service has step scaling policies.
    Autoscaled,
    /// An ECS capacity provider with managed scaling drives the Auto Scaling group.
    EcsManagedScaling,
}

impl When {
    /// The `deployment_controller.type` an ECS service has when the rule holds for it, where
    /// the rule holds under one controller only.
    pub fn deployment_controller(self) -> Option<&'static str> {
        match self {
            When::BlueGreen(controller)
            | When::BlueGreenAwsvpc(controller)
            | When::BlueGreenOnEc2(controller) => {
                Some(super::deployment::deployment_controller_type(controller))
            }
            When::Rolling => Some(super::deployment::ROLLING_CONTROLLER_TYPE),
            When::Autoscaled | When::EcsManagedScaling => None,
        }
    }

    pub fn holds(self, facts: &Facts) -> bool {
        match self {
            When::BlueGreen(controller) => facts.blue_green == Some(controller),
            When::BlueGreenAwsvpc(controller) => {
                facts.blue_green == Some(controller) && facts.awsvpc
            }
            When::BlueGreenOnEc2(controller) => {
                facts.blue_green == Some(controller) && facts.on_ec2
            }
            When::Rolling => facts.rolling,
            When::Autoscaled => facts.autoscaled,
            When::EcsManagedScaling => facts.ecs_managed_scaling,
        }
    }
}

/// What lowering knows about a block that the rules ask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The controller that switches the block's service or traffic between blue and green.
    pub blue_green: Option<ControllerKind>,
    pub awsvpc: bool,
    pub on_ec2: bool,
    /// An ECS service that deploys rolling.
    pub rolling: bool,
    pub autoscaled: bool,
    pub ecs_managed_scaling: bool,
}

impl Facts {
    /// An ECS service.
    pub fn service(service: &Service) -> Facts {
        Facts {
            blue_green: service.blue_green_controller(),
            awsvpc: service.compute.network_mode() == NetworkMode::Awsvpc,
            on_ec2: !service.compute.is_fargate(),
            rolling: service.blue_green_controller().is_none(),
            autoscaled: service.is_autoscaled(),
            ecs_managed_scaling: false,
        }
    }

    /// A listener or listener rule forwarding to a target group pair that `controller`
    /// switches; `None` when it forwards to one target group (or answers itself).
    pub fn traffic(controller: Option<ControllerKind>) -> Facts {
        Facts {
            blue_green: controller,
            ..Facts::default()
        }
    }

    /// An Auto Scaling group an ECS capacity provider scales.
    pub fn ecs_managed_scaling() -> Facts {
        Facts {
            ecs_managed_scaling: true,
            ..Facts::default()
        }
    }
}

const CODE_DEPLOY: ControllerKind = ControllerKind::CodeDeploy;
const ECS: ControllerKind = ControllerKind::Ecs;

/// Every attribute owned outside Terraform after creation. Within a resource type, rules keep
/// this order in `ignore_changes` and in the comment.
pub const RULES: &[Rule] = &[
    Rule {
        resource_type: EcsService::TYPE,
        attribute: "task_definition",
        owner: "CodeDeploy",
        why: "every deployment registers a new revision and moves the service to it; \
              Terraform cannot update it on a CODE_DEPLOY service",
        when: When::BlueGreen(CODE_DEPLOY),
    },
    Rule {
        resource_type: EcsService::TYPE,
        attribute: "task_definition",
        owner: "ecsynth deploy",
        why: "each deploy registers a revision with the new image and moves the service to it \
              (UpdateService); Terraform would move it back to the revision it registered",
        when: When::Rolling,
    },
    Rule {
        resource_type: EcsService::TYPE,
        attribute: "load_balancer",
        owner: "CodeDeploy",
        why: "after a deployment the service is registered in the other target group; \
              reverting it would send traffic back to the old tasks",
        when: When::BlueGreen(CODE_DEPLOY),
    },
    Rule {
        resource_type: EcsService::TYPE,
        attribute: "network_configuration",
        owner: "CodeDeploy",
        why: "changes only through a deployment's AppSpec on a CODE_DEPLOY service",
        when: When::BlueGreenAwsvpc(CODE_DEPLOY),
    },
    Rule {
        resource_type: EcsService::TYPE,
        attribute: "capacity_provider_strategy",
        owner: "CodeDeploy",
        why: "each deployment sets it from its AppSpec's CapacityProviderStrategy and drops it \
              when the AppSpec has none (aws/containers-roadmap #1752); provider 5.x plans a \
              change of it as a replacement of the service \
              (hashicorp/terraform-provider-aws #22823)",
        when: When::BlueGreenOnEc2(CODE_DEPLOY),
    },
    Rule {
        resource_type: EcsService::TYPE,
        attribute: "desired_count",
        owner: "Application Auto Scaling",
        why: "the step scaling policies move it between min and max",
        when: When::Autoscaled,
    },
    Rule {
        resource_type: LbListener::TYPE,
        attribute: "default_action",
        owner: "CodeDeploy",
        why: "each deployment rewrites it to a weighted forward to the new target group",
        when: When::BlueGreen(CODE_DEPLOY),
    },
    // A service's rule on a listener shared with other services.
    Rule {
        resource_type: LbListenerRule::TYPE,
        attribute: "action",
        owner: "CodeDeploy",
        why: "on a shared listener each deployment rewrites the rules forwarding to the \
              service's target groups, not the listener's default action",
        when: When::BlueGreen(CODE_DEPLOY),
    },
    // ECS-native blue/green: no rule for the service's task definition, which Terraform keeps
    // (a deployment is an apply that changes it); ECS moves the rules' weights.
    Rule {
        resource_type: LbListenerRule::TYPE,
        attribute: "action",
        owner: "ECS",
        why: "each deployment moves the forward weights between the blue and green target \
              groups, and leaves them on the target group that won",
        when: When::BlueGreen(ECS),
    },
    Rule {
        resource_type: AutoscalingGroup::TYPE,
        attribute: "desired_capacity",
        owner: "ECS managed scaling",
        why: "the capacity provider sets it to fit the tasks placed on the cluster",
        when: When::EcsManagedScaling,
    },
];

/// The ignore list the rules give for an `R` block with `facts`, and the reviewer comment
/// explaining it.
pub fn derive<R: Resource>(facts: &Facts) -> (Lifecycle, Option<String>) {
    let applying: Vec<&Rule> = RULES
        .iter()
        .filter(|rule| rule.resource_type == R::TYPE && rule.when.holds(facts))
        .collect();
    if applying.is_empty() {
        return (Lifecycle::default(), None);
    }
    let lifecycle = Lifecycle {
        ignore_changes: applying.iter().map(|rule| rule.attribute).collect(),
        ..Lifecycle::default()
    };
    // "… after creation. <attribute> — <owner>: <why>. <attribute> — …." Joined piece by piece:
    // every service's blocks carry one.
    let mut comment =
        String::from("ignore_changes lists what is owned outside Terraform after creation. ");
    for (n, rule) in applying.iter().enumerate() {
        if n > 0 {
            comment.push_str(". ");
        }
        for piece in [rule.attribute, " — ", rule.owner, ": ", rule.why] {
            comment.push_str(piece);
        }
    }
    comment.push('.');
    (lifecycle, Some(comment))
}

/// Who may own `attribute` of a `resource_type` block, in table order without repeats; empty
/// when no rule names it. For readers of the written JSON (the graph, `synth --check`), which
/// see the block's `ignore_changes` but not the facts that put the attribute there: `written`
/// gives the text at a path of the block (`["deployment_controller", "type"]`; arrays step
/// into their first item; a value that is no string gives `""`), or `None` where the block has
/// nothing. Where rules of two controllers name the same attribute, what the block shows
/// tells them apart ([`Rule::written`]); a block that shows nothing of it gets every owner.
pub fn owners(
    resource_type: &str,
    attribute: &str,
    written: impl Fn(&[&str]) -> Option<String>,
) -> Vec<&'static str> {
    let mut owners: Vec<&'static str> = Vec::new();
    for rule in RULES {
        let fits = match rule.written() {
            None => true,
            Some(Written::Is(path, value)) => written(path).is_none_or(|text| text == value),
            Some(Written::Has(path)) => written(path).is_some(),
            Some(Written::Lacks(path)) => written(path).is_none(),
        };
        if rule.resource_type == resource_type
            && rule.attribute == attribute
            && fits
            && !owners.contains(&rule.owner)
        {
            owners.push(rule.owner);
        }
    }
    owners
}

/// What the written block of a rule's resource type shows when the rule holds for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// The text at the path is this (or the block has nothing there).
    Is(&'static [&'static str], &'static str),
    /// The block has something at the path.
    Has(&'static [&'static str]),
    /// The block has nothing at the path.
    Lacks(&'static [&'static str]),
}

/// Where a listener rule forwards by weight: ECS-native blue/green writes its rules so, and
/// CodeDeploy's forward to one target group (`target_group_arn`).
const WEIGHTED_FORWARD: &[&str] = &["action", "forward"];
const CONTROLLER_TYPE: &[&str] = &["deployment_controller", "type"];

impl Rule {
    /// How the written block tells this rule's owner from another controller's: an ECS
    /// service by its `deployment_controller.type`, a listener rule by how it forwards.
    pub fn written(&self) -> Option<Written> {
        let controller = match self.when {
            When::BlueGreen(controller)
            | When::BlueGreenAwsvpc(controller)
            | When::BlueGreenOnEc2(controller) => Some(controller),
            When::Rolling => None,
            When::Autoscaled | When::EcsManagedScaling => return None,
        };
        match self.resource_type {
            EcsService::TYPE => self
                .when
                .deployment_controller()
                .map(|written| Written::Is(CONTROLLER_TYPE, written)),
            LbListenerRule::TYPE => match controller {
                Some(ControllerKind::Ecs) => Some(Written::Has(WEIGHTED_FORWARD)),
                Some(ControllerKind::CodeDeploy) => Some(Written::Lacks(WEIGHTED_FORWARD)),
                None => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        BlueGreen, Compute, Container, ControllerKind, Ec2Capacity, Exposure, Listener,
        LoadBalancer, Rolling, Service, Stack, StepScaling, TargetHealthCheck, TaskSize, Traffic,
    };

    fn service(blue_green: bool, scaling: Option<StepScaling>) -> Service {
        let mut stack = Stack::new("test", "eu-west-1");
        let lb = stack.add_load_balancer(LoadBalancer::network("web", Listener::tcp(80)));
        let app = Container::new("web", "nginx").port(80);
        let traffic = Traffic::listeners(lb, app.target(80), TargetHealthCheck::tcp());
        let mut service = Service::new(
            "web",
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        )
        .container(app);
        if blue_green {
            service = service.blue_green(BlueGreen::new(traffic));
        } else {
            service = service.rolling(Rolling::behind(Exposure::LoadBalancer(traffic)));
        }
        service.scaling = scaling;
        service
    }

    fn ignored(service: &Service) -> Vec<&'static str> {
        derive::<EcsService>(&Facts::service(service))
            .0
            .ignore_changes
    }

    #[test]
    fn blue_green_service_leaves_task_definition_load_balancer_and_network_to_codedeploy() {
        let blue_green = service(true, None);
        assert_eq!(
            ignored(&blue_green),
            ["task_definition", "load_balancer", "network_configuration"]
        );
    }

    /// CodeDeploy sets a blue/green service's capacity provider strategy from the AppSpec on
    /// every deployment, and removes it when the AppSpec has none (aws/containers-roadmap
    /// #1752); hashicorp/aws 5.x plans any change of `capacity_provider_strategy` as a
    /// replacement of the service (hashicorp/terraform-provider-aws #22823): an outage on the
    /// next apply. Bridge tasks have no network configuration to ignore.
    #[test]
    fn blue_green_on_ec2_leaves_the_capacity_provider_strategy_to_codedeploy() {
        let mut bridge = service(true, None);
        bridge.compute = Compute::ec2(
            Stack::new("test", "eu-west-1")
                .add_capacity_provider(Ec2Capacity::new("a", "m6i.large")),
        );
        assert_eq!(
            ignored(&bridge),
            [
                "task_definition",
                "load_balancer",
                "capacity_provider_strategy"
            ]
        );
        // A rolling service on the same capacity keeps its strategy: ECS does not change it;
        // only its task definition is `ecsynth deploy`'s.
        let mut rolling = service(false, None);
        rolling.compute = bridge.compute.clone();
        assert_eq!(ignored(&rolling), ["task_definition"]);
    }

    /// `ecsynth deploy` moves a rolling service to a new revision with UpdateService; without
    /// the rule the next `terraform plan` would move it back (the provider diffs
    /// `task_definition` against DescribeServices; `tests/deploy_e2e.rs` plans after a deploy).
    #[test]
    fn rolling_service_leaves_task_definition_to_ecsynth_deploy() {
        assert_eq!(ignored(&service(false, None)), ["task_definition"]);
    }

    #[test]
    fn autoscaled_service_leaves_desired_count_to_the_autoscaler() {
        let rolling = service(false, Some(StepScaling::cpu(1..=4)));
        assert_eq!(ignored(&rolling), ["task_definition", "desired_count"]);
        let both = service(true, Some(StepScaling::cpu(1..=4)));
        assert_eq!(
            ignored(&both),
            [
                "task_definition",
                "load_balancer",
                "network_configuration",
                "desired_count"
            ]
        );
    }

    #[test]
    fn a_rolling_service_comment_names_ecsynth_deploy_as_the_owner() {
        let plain = service(false, None);
        let (_, comment) = derive::<EcsService>(&Facts::service(&plain));
        assert!(comment
            .expect("a comment")
            .contains("task_definition — ecsynth deploy: each deploy registers a revision"));
    }

    #[test]
    fn listeners_of_a_blue_green_pair_leave_default_action_to_codedeploy() {
        let switched = Facts::traffic(Some(ControllerKind::CodeDeploy));
        let (lifecycle, comment) = derive::<LbListener>(&switched);
        assert_eq!(lifecycle.ignore_changes, ["default_action"]);
        assert!(comment
            .expect("a comment")
            .contains("default_action — CodeDeploy"));
        let (lifecycle, _) = derive::<LbListener>(&Facts::traffic(None));
        assert!(lifecycle.is_empty());
    }

    #[test]
    fn rules_of_a_blue_green_pair_on_a_shared_listener_leave_action_to_codedeploy() {
        let blue_green = Facts::traffic(Some(ControllerKind::CodeDeploy));
        assert_eq!(
            derive::<LbListenerRule>(&blue_green).0.ignore_changes,
            ["action"]
        );
        let rolling = Facts::traffic(None);
        assert!(derive::<LbListenerRule>(&rolling).0.is_empty());
        // The shared listener itself answers 404 by default; CodeDeploy never rewrites it.
        assert!(derive::<LbListener>(&rolling).0.is_empty());
    }

    /// ECS-native blue/green: ECS moves the weights of the service's listener rules (ECS
    /// Developer Guide, "Application Load Balancer resources for blue/green deployments"), and
    /// the task definition stays Terraform's: a deployment is an apply that changes it, which
    /// an ignore would silently swallow. Only the autoscaler's `desired_count` is ignored.
    #[test]
    fn an_ecs_blue_green_service_keeps_its_task_definition_and_gives_rule_actions_to_ecs() {
        let mut ecs = service(true, None);
        if let crate::model::Deployment::BlueGreen(blue_green) = &mut ecs.deployment {
            blue_green.controller = crate::model::EcsBlueGreen::default().into();
        }
        assert!(ignored(&ecs).is_empty(), "{:?}", ignored(&ecs));
        ecs.scaling = Some(StepScaling::cpu(1..=4));
        assert_eq!(ignored(&ecs), ["desired_count"]);

        let switched = Facts::traffic(Some(ControllerKind::Ecs));
        let (lifecycle, comment) = derive::<LbListenerRule>(&switched);
        assert_eq!(lifecycle.ignore_changes, ["action"]);
        assert!(comment
            .expect("a comment")
            .contains("action — ECS: each deployment moves the forward weights"));
        // ECS never touches a listener's default action: its rules carry the traffic.
        assert!(derive::<LbListener>(&switched).0.is_empty());
    }

    #[test]
    fn auto_scaling_groups_under_managed_scaling_leave_desired_capacity_to_ecs() {
        assert_eq!(
            derive::<AutoscalingGroup>(&Facts::ecs_managed_scaling())
                .0
                .ignore_changes,
            ["desired_capacity"]
        );
        assert!(derive::<AutoscalingGroup>(&Facts::default()).0.is_empty());
    }

    /// A rule of one resource type never lands in another's ignore list: the service's
    /// `desired_count` rule does not make an autoscaled listener ignore anything.
    #[test]
    fn rules_apply_only_to_their_resource_type() {
        let everything = Facts {
            blue_green: Some(ControllerKind::CodeDeploy),
            awsvpc: true,
            on_ec2: true,
            // Blue/green above: a service is one or the other.
            rolling: false,
            autoscaled: true,
            ecs_managed_scaling: true,
        };
        assert_eq!(
            derive::<EcsService>(&everything).0.ignore_changes,
            [
                "task_definition",
                "load_balancer",
                "network_configuration",
                "capacity_provider_strategy",
                "desired_count"
            ]
        );
        assert_eq!(
            derive::<LbListener>(&everything).0.ignore_changes,
            ["default_action"]
        );
        assert!(derive::<crate::aws::LbTargetGroup>(&everything)
            .0
            .is_empty());
    }

    /// A written block as a reader of the JSON sees it: the text at each path it has.
    fn block(at: &[(&'static [&'static str], &'static str)]) -> impl Fn(&[&str]) -> Option<String> {
        let at = at.to_vec();
        move |path: &[&str]| {
            at.iter()
                .find(|(known, _)| *known == path)
                .map(|(_, text)| (*text).to_owned())
        }
    }

    #[test]
    fn owners_are_looked_up_by_resource_type_and_attribute() {
        let code_deploy = block(&[(CONTROLLER_TYPE, "CODE_DEPLOY")]);
        let ecs = block(&[(CONTROLLER_TYPE, "ECS")]);
        let nothing = block(&[]);
        assert_eq!(
            owners("aws_ecs_service", "task_definition", &code_deploy),
            ["CodeDeploy"]
        );
        assert_eq!(
            owners("aws_ecs_service", "task_definition", &ecs),
            ["ecsynth deploy"]
        );
        // Without the controller both owners are named.
        assert_eq!(
            owners("aws_ecs_service", "task_definition", &nothing),
            ["CodeDeploy", "ecsynth deploy"]
        );
        assert_eq!(
            owners("aws_ecs_service", "desired_count", &nothing),
            ["Application Auto Scaling"]
        );
        assert_eq!(
            owners("aws_autoscaling_group", "desired_capacity", &nothing),
            ["ECS managed scaling"]
        );
        // `action` is owned on a listener rule, not on a listener.
        assert!(owners("aws_lb_listener", "action", &nothing).is_empty());
        assert!(owners("aws_ecs_service", "tags", &nothing).is_empty());
    }

    /// A listener rule shows its controller by how it forwards: ECS-native blue/green rules
    /// forward by weight to both target groups, CodeDeploy's to one (`target_group_arn`).
    #[test]
    fn a_listener_rule_names_the_controller_its_forward_shows() {
        let weighted = block(&[(WEIGHTED_FORWARD, "")]);
        let single = block(&[(
            &["action", "target_group_arn"],
            "${aws_lb_target_group.a.arn}",
        )]);
        assert_eq!(owners("aws_lb_listener_rule", "action", &weighted), ["ECS"]);
        assert_eq!(
            owners("aws_lb_listener_rule", "action", &single),
            ["CodeDeploy"]
        );
    }

    /// Every row names an argument or block of its resource type in both provider schemas
    /// ecsynth checks against: `ignore_changes` naming one the provider does not have fails
    /// `terraform validate` ("Unsupported attribute").
    #[test]
    fn every_rule_names_an_attribute_of_its_resource_type() {
        for text in [
            include_str!("../../schema/aws-5.100.0.json"),
            include_str!("../../schema/aws-6.66.0.json"),
        ] {
            let schema = crate::tf::schema::ProviderSchema::from_json(text).expect("schema");
            for rule in RULES {
                let block = &schema.resources[rule.resource_type];
                assert!(
                    block.attributes.contains_key(rule.attribute)
                        || block.blocks.contains_key(rule.attribute),
                    "{} {}.{}",
                    schema.version,
                    rule.resource_type,
                    rule.attribute
                );
                assert!(!rule.owner.is_empty() && !rule.why.is_empty());
            }
        }
    }
}
