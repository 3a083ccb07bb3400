//! Which attributes something other than Terraform owns after the first apply.
//!
//! Every `ignore_changes` entry ecsynth writes comes from one rule below, and each rule says who
//! owns the attribute and why. A block with an ignore list gets a `//` comment listing the
//! owners, so a reviewer reading the JSON sees the reason next to the list.

use crate::model::Service;
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
        applies: Service::is_blue_green,
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

/// The ignore list the rules give for `subject`, and the reviewer comment explaining it.
pub fn derive<T: ?Sized>(rules: &[IgnoreRule<T>], subject: &T) -> (Lifecycle, Option<String>) {
    let applying: Vec<&IgnoreRule<T>> = rules
        .iter()
        .filter(|rule| (rule.applies)(subject))
        .collect();
    if applying.is_empty() {
        return (Lifecycle::default(), None);
    }
    let reasons: Vec<String> = applying
        .iter()
        .map(|rule| format!("{} — {}: {}", rule.attribute, rule.owner, rule.why))
        .collect();
    let lifecycle = Lifecycle {
        ignore_changes: applying.iter().map(|rule| rule.attribute).collect(),
        ..Lifecycle::default()
    };
    let comment = format!(
        "ignore_changes lists what is owned outside Terraform after creation. {}.",
        reasons.join(". ")
    );
    (lifecycle, Some(comment))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Deployment, StepScaling, TaskSize};

    fn service(deployment: Deployment, scaling: Option<StepScaling>) -> Service {
        let mut service = Service::new(
            "web",
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        );
        service.deployment = deployment;
        service.scaling = scaling;
        service
    }

    fn ignored(service: &Service) -> Vec<&'static str> {
        derive(SERVICE_RULES, service).0.ignore_changes
    }

    #[test]
    fn blue_green_service_leaves_task_definition_load_balancer_and_network_to_codedeploy() {
        let blue_green = service(Deployment::default(), None);
        assert_eq!(
            ignored(&blue_green),
            ["task_definition", "load_balancer", "network_configuration"]
        );
    }

    #[test]
    fn autoscaled_service_leaves_desired_count_to_the_autoscaler() {
        let rolling = service(Deployment::Rolling, Some(StepScaling::cpu(1, 4)));
        assert_eq!(ignored(&rolling), ["desired_count"]);
        let both = service(Deployment::default(), Some(StepScaling::cpu(1, 4)));
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
    fn a_service_neither_blue_green_nor_autoscaled_ignores_nothing_and_has_no_comment() {
        let plain = service(Deployment::Rolling, None);
        let (lifecycle, comment) = derive(SERVICE_RULES, &plain);
        assert!(lifecycle.is_empty());
        assert_eq!(comment, None);
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
}
