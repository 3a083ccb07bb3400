//! Which attributes something other than Terraform owns after the first apply.
//!
//! Every `ignore_changes` entry ecsynth writes comes from one rule below, and each rule says who
//! owns the attribute and why. A block with an ignore list gets a `//` comment listing the
//! owners, so a reviewer reading the JSON sees the reason next to the list.

use crate::model::{NetworkMode, Service};
use crate::tf::Lifecycle;

/// An attribute that `owner` changes after creation whenever `applies` holds for the subject.
pub struct IgnoreRule<T: ?Sized> {
    pub attribute: &'static str,
    pub owner: &'static str,
    pub why: &'static str,
    pub applies: fn(&T) -> bool,
}

/// `aws_ecs_service`.
pub const SERVICE_RULES: &[IgnoreRule<Service>] = &[
    IgnoreRule {
        attribute: "task_definition",
        owner: "CodeDeploy",
        why: "every deployment registers a new revision and moves the service to it; \
              Terraform cannot update it on a CODE_DEPLOY service",
        applies: Service::is_blue_green,
    },
    IgnoreRule {
        attribute: "task_definition",
        owner: "ecsynth deploy",
        why: "each deploy registers a revision with the new image and moves the service to it \
              (UpdateService); Terraform would move it back to the revision it registered",
        applies: |service| !service.is_blue_green(),
    },
    IgnoreRule {
        attribute: "load_balancer",
        owner: "CodeDeploy",
        why: "after a deployment the service is registered in the other target group; \
              reverting it would send traffic back to the old tasks",
        applies: Service::is_blue_green,
    },
    IgnoreRule {
        attribute: "network_configuration",
        owner: "CodeDeploy",
        why: "changes only through a deployment's AppSpec on a CODE_DEPLOY service",
        // Only awsvpc tasks have one; bridge and host tasks use their instance's network.
        applies: |service| {
            service.is_blue_green() && service.compute.network_mode() == NetworkMode::Awsvpc
        },
    },
    IgnoreRule {
        attribute: "desired_count",
        owner: "Application Auto Scaling",
        why: "the step scaling policies move it between min and max",
        applies: Service::is_autoscaled,
    },
];

/// What the listener rules need to know about a listener.
pub struct ListenerUse {
    /// The listener forwards to a blue/green target group pair that CodeDeploy switches.
    pub forwards_to_blue_green_pair: bool,
}

/// `aws_lb_listener`.
pub const LISTENER_RULES: &[IgnoreRule<ListenerUse>] = &[IgnoreRule {
    attribute: "default_action",
    owner: "CodeDeploy",
    why: "each deployment rewrites it to a weighted forward to the new target group",
    applies: |listener| listener.forwards_to_blue_green_pair,
}];

/// `aws_lb_listener_rule`: a service's rule on a listener shared with other services.
pub const LISTENER_RULE_RULES: &[IgnoreRule<ListenerUse>] = &[IgnoreRule {
    attribute: "action",
    owner: "CodeDeploy",
    why: "on a shared listener each deployment rewrites the rules forwarding to the service's \
          target groups, not the listener's default action",
    applies: |rule| rule.forwards_to_blue_green_pair,
}];

/// What the Auto Scaling group rules need to know about the group.
pub struct AutoScalingGroupUse {
    /// An ECS capacity provider with managed scaling drives the group.
    pub ecs_managed_scaling: bool,
}

/// `aws_autoscaling_group`.
pub const AUTOSCALING_GROUP_RULES: &[IgnoreRule<AutoScalingGroupUse>] = &[IgnoreRule {
    attribute: "desired_capacity",
    owner: "ECS managed scaling",
    why: "the capacity provider sets it to fit the tasks placed on the cluster",
    applies: |group| group.ecs_managed_scaling,
}];

/// The ignore list the rules give for `subject`, and the reviewer comment explaining it.
pub fn derive<T: ?Sized>(rules: &[IgnoreRule<T>], subject: &T) -> (Lifecycle, Option<String>) {
    let applying: Vec<&IgnoreRule<T>> = rules
        .iter()
        .filter(|rule| (rule.applies)(subject))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        BlueGreen, Compute, Container, Ec2Capacity, Exposure, Listener, LoadBalancer, Rolling,
        Service, Stack, StepScaling, TargetHealthCheck, TaskSize, Traffic,
    };

    fn service(blue_green: bool, scaling: Option<StepScaling>) -> Service {
        let mut stack = Stack::new("test", "eu-west-1");
        let lb = stack.add_load_balancer(LoadBalancer::network("web", Listener::tcp(80)));
        let app = Container::new("web", "nginx").port(80);
        let traffic = Traffic::listeners(lb, app.target(80), TargetHealthCheck::tcp());
        let mut service = Service::new("web", TaskSize::new(256, 512)).container(app);
        if blue_green {
            service = service.blue_green(BlueGreen::new(traffic));
        } else {
            service = service.rolling(Rolling::behind(Exposure::LoadBalancer(traffic)));
        }
        service.scaling = scaling;
        service
    }

    fn ignored(service: &Service) -> Vec<&'static str> {
        derive(SERVICE_RULES, service).0.ignore_changes
    }

    #[test]
    fn blue_green_service_leaves_task_definition_load_balancer_and_network_to_codedeploy() {
        let blue_green = service(true, None);
        assert_eq!(
            ignored(&blue_green),
            ["task_definition", "load_balancer", "network_configuration"]
        );
    }

    #[test]
    fn blue_green_bridge_tasks_have_no_network_configuration_to_ignore() {
        let mut bridge = service(true, None);
        bridge.compute = Compute::ec2(
            Stack::new("test", "eu-west-1")
                .add_capacity_provider(Ec2Capacity::new("a", "m6i.large")),
        );
        assert_eq!(ignored(&bridge), ["task_definition", "load_balancer"]);
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
        let rolling = service(false, Some(StepScaling::cpu(1, 4)));
        assert_eq!(ignored(&rolling), ["task_definition", "desired_count"]);
        let both = service(true, Some(StepScaling::cpu(1, 4)));
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
        let (_, comment) = derive(SERVICE_RULES, &plain);
        assert!(comment
            .expect("a comment")
            .contains("task_definition — ecsynth deploy: each deploy registers a revision"));
    }

    #[test]
    fn listeners_of_a_blue_green_pair_leave_default_action_to_codedeploy() {
        let (lifecycle, comment) = derive(
            LISTENER_RULES,
            &ListenerUse {
                forwards_to_blue_green_pair: true,
            },
        );
        assert_eq!(lifecycle.ignore_changes, ["default_action"]);
        assert!(comment
            .expect("a comment")
            .contains("default_action — CodeDeploy"));
        let (lifecycle, _) = derive(
            LISTENER_RULES,
            &ListenerUse {
                forwards_to_blue_green_pair: false,
            },
        );
        assert!(lifecycle.is_empty());
    }

    #[test]
    fn rules_of_a_blue_green_pair_on_a_shared_listener_leave_action_to_codedeploy() {
        let blue_green = ListenerUse {
            forwards_to_blue_green_pair: true,
        };
        assert_eq!(
            derive(LISTENER_RULE_RULES, &blue_green).0.ignore_changes,
            ["action"]
        );
        let rolling = ListenerUse {
            forwards_to_blue_green_pair: false,
        };
        assert!(derive(LISTENER_RULE_RULES, &rolling).0.is_empty());
        // The shared listener itself answers 404 by default; CodeDeploy never rewrites it.
        assert!(derive(LISTENER_RULES, &rolling).0.is_empty());
    }

    #[test]
    fn auto_scaling_groups_under_managed_scaling_leave_desired_capacity_to_ecs() {
        let managed = AutoScalingGroupUse {
            ecs_managed_scaling: true,
        };
        assert_eq!(
            derive(AUTOSCALING_GROUP_RULES, &managed).0.ignore_changes,
            ["desired_capacity"]
        );
        let unmanaged = AutoScalingGroupUse {
            ecs_managed_scaling: false,
        };
        assert!(derive(AUTOSCALING_GROUP_RULES, &unmanaged).0.is_empty());
    }
}
