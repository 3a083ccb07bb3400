//! AWS names cannot collide across the registry (issue 19, item 10). Every AWS name is
//! `<stack>-<model name>[-<suffix>]`, so stack `dev` with service `ec2-web` and stack
//! `dev-ec2` with service `web` both make `dev-ec2-web-execution`. IAM role names are unique
//! in the account (IAM API CreateRole: EntityAlreadyExists), load balancer and target group
//! names in the region (ELBv2 API CreateLoadBalancer / CreateTargetGroup: DuplicateLoadBalancerName,
//! DuplicateTargetGroupName, or the existing one returned when the settings match), and a task
//! definition family is shared silently (ECS API RegisterTaskDefinition adds a revision to
//! whatever family has the name). `terraform validate` and a one-stack emulator run see none
//! of it; the registry refuses it.

mod support;

use ecsynth::model::{
    Backend, BlueGreen, Compute, Container, Ec2Capacity, Fargate, Listener, LoadBalancer, Service,
    Stack, StepScaling, TargetHealthCheck, TaskSize, Traffic,
};
use ecsynth::registry::Registry;
use support::{out_arg, run};

/// Stack `stack` with one blue/green Fargate service `service` behind an internal NLB `lb`.
fn stack(stack: &str, service: &str, lb: &str) -> Stack {
    let mut built = Stack::new(stack, "eu-west-1");
    built.backend(Backend::Local);
    let id = built.add_load_balancer(
        LoadBalancer::network(lb, Listener::tcp(80))
            .internal()
            .test_listener(Listener::tcp(8080)),
    );
    let app = Container::new("app", "app:1.0").port(8080);
    let traffic = Traffic::listeners(id, app.target(8080), TargetHealthCheck::http("/health"));
    built.add_service(
        Service::new(
            service,
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        )
        .compute(Fargate::default())
        .container(app)
        .blue_green(BlueGreen::new(traffic)),
    );
    built
}

fn dev() -> Stack {
    stack("dev", "ec2-web", "front")
}

fn dev_ec2() -> Stack {
    stack("dev-ec2", "web", "back")
}

fn colliding() -> Registry {
    let mut registry = Registry::new();
    registry.register("dev", dev).register("dev-ec2", dev_ec2);
    registry
}

const EXPECTED: &str = "error: stack `dev-ec2` › service `web` › `name`: makes the same AWS \
    names as stack `dev` › service `ec2-web`, because AWS names join the stack and model names \
    with `-`: `dev-ec2-web-blue-unhealthy` (aws_cloudwatch_metric_alarm.alarm_name), \
    `dev-ec2-web-blue` (aws_lb_target_group.name), `dev-ec2-web-codedeploy` \
    (aws_iam_role.name), `dev-ec2-web-execution` (aws_iam_role.name), \
    `dev-ec2-web-green-unhealthy` (aws_cloudwatch_metric_alarm.alarm_name), `dev-ec2-web-green` \
    (aws_lb_target_group.name), `dev-ec2-web-task` (aws_iam_role.name), `dev-ec2-web-tasks` \
    (aws_security_group.name), `dev-ec2-web` (aws_codedeploy_app.name), `dev-ec2-web` \
    (aws_ecs_task_definition.family); in one account the second apply fails or the two stacks \
    take over each other's resources; rename service `ec2-web` of stack `dev`, service `web` of \
    stack `dev-ec2` or one of the two stacks\n";

/// The join is ambiguous: the registry refuses it with both stacks, both services and every
/// shared AWS name, whichever of the two stacks is asked for, and writes nothing.
#[test]
fn stacks_whose_names_join_to_the_same_aws_name_are_refused() {
    let registry = colliding();
    for args in [
        vec!["synth", "--all"],
        vec!["synth", "dev"],
        vec!["synth", "dev-ec2"],
    ] {
        let dir = support::scratch_dir("name-collisions");
        let mut args = args.clone();
        let out = out_arg(&dir);
        args.extend(["--out", &out]);
        let (code, stdout, stderr) = run(&registry, &args);
        assert_eq!(
            (code, stdout.as_str(), stderr.as_str()),
            (2, "", EXPECTED),
            "{args:?}"
        );
        assert!(!dir.join("dev").exists() && !dir.join("dev-ec2").exists());
    }
}

/// Renaming the service of one stack ends the collision; names of other kinds that only
/// start alike (`dev-ec2-…` of `dev`'s load balancer `ec2`) are compared whole.
#[test]
fn names_that_differ_do_not_collide() {
    fn dev_renamed() -> Stack {
        stack("dev", "ec2-api", "ec2")
    }
    let mut registry = Registry::new();
    registry
        .register("dev", dev_renamed)
        .register("dev-ec2", dev_ec2);
    assert!(registry.aws_name_collisions(&["dev", "dev-ec2"]).is_empty());
}

/// The repository's stacks include such pairs of names (`dev` and `dev-ec2`, `prod` and
/// `prod-ec2`) and stay apart.
#[test]
fn the_registered_stacks_make_no_aws_name_twice() {
    let registry = stacks::registry();
    let names: Vec<&str> = registry.names().collect();
    let collisions: Vec<String> = registry
        .aws_name_collisions(&names)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(collisions, Vec::<String>::new());
}

/// Stack `stack` on EC2: capacity provider `<prefix>general`, HTTP ALB `<prefix>lb`, and
/// service `<prefix>web` with step scaling, so every kind of derived name is there.
fn on_ec2(stack: &str, prefix: &str) -> Stack {
    let mut built = Stack::new(stack, "eu-west-1");
    built.backend(Backend::Local);
    let general =
        built.add_capacity_provider(Ec2Capacity::new(&format!("{prefix}general"), "t3.large"));
    let id = built.add_load_balancer(
        LoadBalancer::network(&format!("{prefix}lb"), Listener::tcp(80))
            .internal()
            .test_listener(Listener::tcp(8080)),
    );
    let app = Container::new("app", "app:1.0")
        .port(8080)
        .cpu_units(256)
        .memory_reservation(256);
    let traffic = Traffic::listeners(id, app.target(8080), TargetHealthCheck::http("/health"));
    built.add_service(
        Service::new(
            &format!("{prefix}web"),
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        )
        .compute(Compute::ec2(general))
        .container(app)
        .blue_green(BlueGreen::new(traffic))
        .scaling(StepScaling::cpu(1..=2)),
    );
    built
}

/// Every kind of derived name is compared, not only the service's: the capacity provider's
/// (Auto Scaling group, launch template, instance role and profile), the load balancer's and
/// the scaling alarms (CloudWatch PutMetricAlarm overwrites an alarm of the same name).
#[test]
fn every_kind_of_derived_name_is_compared() {
    fn dev() -> Stack {
        on_ec2("dev", "ec2-")
    }
    fn dev_ec2() -> Stack {
        on_ec2("dev-ec2", "")
    }
    let mut registry = Registry::new();
    registry.register("dev", dev).register("dev-ec2", dev_ec2);
    let messages: Vec<String> = registry
        .aws_name_collisions(&["dev"])
        .iter()
        .map(ToString::to_string)
        .collect();
    let owners: Vec<&str> = messages
        .iter()
        .map(|m| m.split(" › `name`").next().unwrap_or_default())
        .collect();
    assert_eq!(
        owners,
        [
            "error: stack `dev-ec2` › capacity provider `general`",
            "error: stack `dev-ec2` › service `web`",
            "error: stack `dev-ec2` › load balancer `lb`",
        ],
        "{messages:#?}"
    );
    let all = messages.join("\n");
    for kind in [
        "`dev-ec2-general` (aws_autoscaling_group.name)",
        "`dev-ec2-general` (aws_ecs_capacity_provider.name)",
        "`dev-ec2-general` (aws_launch_template.name)",
        "`dev-ec2-general-instance` (aws_iam_role.name)",
        "`dev-ec2-general-instance` (aws_iam_instance_profile.name)",
        "`dev-ec2-lb` (aws_lb.name)",
        "`dev-ec2-web-cpu-high` (aws_cloudwatch_metric_alarm.alarm_name)",
        "`dev-ec2-web-blue` (aws_lb_target_group.name)",
        "`dev-ec2-web-execution` (aws_iam_role.name)",
    ] {
        assert!(all.contains(kind), "{kind} missing from:\n{all}");
    }
}
