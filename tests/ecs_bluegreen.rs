//! ECS-native blue/green (`BlueGreenController::Ecs`): what validation refuses, each rule with
//! the AWS or provider rule it encodes and where that is written, and what lowering writes for
//! it: the listener rules ECS switches, the roles it assumes, no CodeDeploy.

use ecsynth::model::{
    Backend, BlueGreen, Container, EcsBlueGreen, LifecycleStage, Listener, LoadBalancer,
    ProviderMajor, RuleMatch, Service, Stack, TargetHealthCheck, TaskSize, Traffic,
};
use serde_json::Value;

const HOOK: &str = "arn:aws:lambda:eu-west-1:123456789012:function:smoke-test";

/// An internal ALB `web` (HTTP 80, test 8080) in front of service `api`, deployed blue/green
/// by ECS on provider 6, routed by a rule; `edit` changes the stack, the traffic and the ECS
/// settings before the service is added.
fn stack_with(edit: impl FnOnce(&mut Stack, &mut Traffic, &mut EcsBlueGreen)) -> Stack {
    let mut stack = Stack::new("shop", "eu-west-1");
    stack
        .backend(Backend::Local)
        .aws_provider(ProviderMajor::V6);
    let lb = stack.add_load_balancer(
        LoadBalancer::application("web", Listener::http(80))
            .internal()
            .test_listener(Listener::http(8080)),
    );
    let app = Container::new("app", "nginx:1.27").port(8080);
    let mut traffic = Traffic::rule(
        lb,
        RuleMatch::path("/*"),
        app.target(8080),
        TargetHealthCheck::http("/health"),
    );
    let mut settings = EcsBlueGreen::default().hook(HOOK, &[LifecycleStage::PostTestTrafficShift]);
    edit(&mut stack, &mut traffic, &mut settings);
    stack.add_service(
        Service::new(
            "api",
            TaskSize {
                cpu: 512,
                memory: 1024,
            },
        )
        .container(app)
        .blue_green(BlueGreen::new(traffic).controller(settings)),
    );
    stack
}

fn problems(edit: impl FnOnce(&mut Stack, &mut Traffic, &mut EcsBlueGreen)) -> Vec<String> {
    stack_with(edit)
        .validate()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn synthesized(stack: &Stack) -> Value {
    let (synthesized, diagnostics) = ecsynth::synth::synthesize(stack);
    let synthesized = synthesized.unwrap_or_else(|| panic!("valid: {diagnostics:?}"));
    serde_json::from_str(&synthesized.document.to_json().expect("renders")).expect("JSON")
}

#[test]
fn the_fixture_is_valid() {
    assert_eq!(problems(|_, _, _| {}), Vec::<String>::new());
}

/// `deployment_configuration.strategy` and `load_balancer.advanced_configuration` exist from
/// hashicorp/aws 6.4.0 on (provider CHANGELOG 6.4.0, PR #43434; absent from the 5.100.0
/// schema in `schema/`): a stack written for provider 5 cannot carry them.
#[test]
fn ecs_blue_green_on_provider_5_is_refused_naming_what_is_allowed() {
    assert_eq!(
        problems(|stack, _, _| {
            stack.aws_provider(ProviderMajor::V5);
        }),
        [
            "error: stack `shop` › service `api` › `deployment.controller`: `Ecs` (ECS-native \
          blue/green) is written with `deployment_configuration.strategy` and \
          `load_balancer.advanced_configuration`, which need hashicorp/aws 6.4 or later, but \
          the stack is written for hashicorp/aws 5; allowed: \
          `stack.aws_provider(ProviderMajor::V6)`, or the `CodeDeploy` controller"
        ]
    );
}

/// ECS API `AdvancedConfiguration.productionListenerRule`: a listener rule of an Application
/// Load Balancer (a listener only for a Network Load Balancer); ecsynth writes the rule for a
/// service routed by `Traffic::rule`.
#[test]
fn ecs_blue_green_needs_a_rule_of_an_application_load_balancer() {
    let expected = "error: stack `shop` › service `api` › `traffic.route`: ECS-native \
                    blue/green moves traffic by rewriting a listener rule \
                    (`advanced_configuration.production_listener_rule`: a rule of an \
                    application load balancer, ECS API AdvancedConfiguration), and ecsynth \
                    writes one for a service routed by a rule; allowed: `Traffic::rule` on an \
                    application load balancer (e.g. `RuleMatch::path(\"/*\")` for every \
                    request), or the `CodeDeploy` controller";
    let listeners = problems(|_, traffic, _| {
        *traffic = Traffic::listeners(
            traffic.load_balancer,
            traffic.target.clone(),
            traffic.health_check.clone(),
        );
    });
    assert_eq!(listeners, [expected]);
}

/// `bakeTimeInMinutes`: 0 to 1440 (hashicorp/aws `internal/service/ecs/service.go`,
/// `ValidateTypeStringNullableIntBetween(0, 1440)`, PR #43434; ECS Developer Guide, blue/green
/// deployments: bake time up to 24 hours).
#[test]
fn bake_time_is_at_most_a_day() {
    assert_eq!(
        problems(|_, _, settings| settings.bake_time_minutes = 1440),
        Vec::<String>::new()
    );
    assert_eq!(
        problems(|_, _, settings| settings.bake_time_minutes = 1441),
        [
            "error: stack `shop` › service `api` › `deployment.bake_time_minutes`: 1441 is more \
          than ECS's 1440 minutes (1 day); allowed: 0 to 1440"
        ]
    );
}

/// ECS API `DeploymentLifecycleHook.hookTargetArn`: "Currently, only Lambda function ARNs are
/// supported"; the provider checks it is an ARN (`verify.ValidARN`); a function name is 1 to
/// 64 of `[a-zA-Z0-9-_]` (Lambda API `FunctionName`).
#[test]
fn hook_targets_are_lambda_function_arns() {
    let hooked = |function: &'static str| {
        problems(move |_, _, settings| {
            settings.hooks[0].function_arn = function.into();
        })
    };
    assert_eq!(hooked(HOOK), Vec::<String>::new());
    assert_eq!(
        hooked("arn:aws:lambda:eu-west-1:123456789012:function:smoke-test:live"),
        Vec::<String>::new()
    );
    assert_eq!(
        hooked("smoke-test"),
        [
            "error: stack `shop` › service `api` › `deployment.hooks[0].function_arn`: \
          `smoke-test` is not a Lambda function ARN; write \
          `arn:aws:lambda:<region>:<account>:function:<name>`"
        ]
    );
    assert_eq!(
        hooked("arn:aws:sns:eu-west-1:123456789012:topic"),
        [
            "error: stack `shop` › service `api` › `deployment.hooks[0].function_arn`: \
          `arn:aws:sns:eu-west-1:123456789012:topic` is not a Lambda function ARN of the `aws` \
          partition; write `arn:aws:lambda:<region>:<account>:function:<name>`"
        ]
    );
    assert_eq!(
        hooked("arn:aws:lambda:eu-west-1:123456789012:function:smoke test"),
        [
            "error: stack `shop` › service `api` › `deployment.hooks[0].function_arn`: \
          `smoke test` is not a Lambda function name: 1 to 64 of A-Z, a-z, 0-9, `-` and `_`"
        ]
    );
}

/// ECS API `DeploymentLifecycleHook.lifecycleStages`: "You must provide this parameter when
/// configuring a deployment lifecycle hook" (the provider marks it Required); a stage named
/// twice is a mistake ECS would not invoke twice for.
#[test]
fn a_hook_runs_at_one_or_more_distinct_stages() {
    assert_eq!(
        problems(|_, _, settings| settings.hooks[0].stages.clear()),
        [
            "error: stack `shop` › service `api` › `deployment.hooks[0].stages`: empty: ECS \
          requires at least one lifecycle stage per hook; allowed: `RECONCILE_SERVICE`, \
          `PRE_SCALE_UP`, `POST_SCALE_UP`, `TEST_TRAFFIC_SHIFT`, `POST_TEST_TRAFFIC_SHIFT`, \
          `PRODUCTION_TRAFFIC_SHIFT`, `POST_PRODUCTION_TRAFFIC_SHIFT`"
        ]
    );
    assert_eq!(
        problems(|_, _, settings| settings.hooks[0]
            .stages
            .push(LifecycleStage::PostTestTrafficShift)),
        [
            "error: stack `shop` › service `api` › `deployment.hooks[0].stages`: \
          `POST_TEST_TRAFFIC_SHIFT` is listed twice; ECS invokes a hook once per stage it names"
        ]
    );
}

/// The stages a stack can name are the values `lifecycle_stages` takes, as the provider 6.x
/// documentation lists them (`website/docs/r/ecs_service.html.markdown`, `lifecycle_hook`) and
/// the ECS API's `DeploymentLifecycleHookStage` enum has them (botocore 1.43.11,
/// `ecs/2014-11-13/service-2.json`; it also has `PRE_PRODUCTION_TRAFFIC_SHIFT`, which the
/// provider's documentation and the API reference's stage list do not name yet, so a 6.x
/// older than the SDK that added it would refuse it).
#[test]
fn hook_stages_are_the_values_the_provider_documents() {
    const PROVIDER_DOCUMENTED: [&str; 7] = [
        "RECONCILE_SERVICE",
        "PRE_SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
    ];
    assert_eq!(
        LifecycleStage::ALL.map(LifecycleStage::name),
        PROVIDER_DOCUMENTED
    );
}

#[test]
fn every_problem_comes_back_in_one_run() {
    let all = problems(|stack, _, settings| {
        stack.aws_provider(ProviderMajor::V5);
        settings.bake_time_minutes = 2000;
        settings.hooks[0].stages.clear();
    });
    let fields: Vec<&str> = all
        .iter()
        .map(|message| message.split('`').nth(5).unwrap_or_default())
        .collect();
    assert_eq!(
        fields,
        [
            "deployment.controller",
            "deployment.bake_time_minutes",
            "deployment.hooks[0].stages"
        ],
        "{all:#?}"
    );
}

/// What ECS needs (ECS Developer Guide, "Required resources for Amazon ECS blue/green
/// deployments"): the service names the blue target group, the alternate (green) one, the
/// production and test listener rules and a role ECS assumes with
/// `AmazonECSInfrastructureRolePolicyForLoadBalancers`; the rules forward to both groups by
/// weight, all to blue. No CodeDeploy application, group or AppSpec.
#[test]
fn the_service_names_both_groups_both_rules_and_the_role_ecs_assumes() {
    let doc = synthesized(&stack_with(|_, _, _| {}));
    // At least 6.4, where `strategy` and `advanced_configuration` arrived; within 6.x.
    let constraint = doc["terraform"]["required_providers"]["aws"]["version"]
        .as_str()
        .expect("a constraint");
    let floor = constraint
        .strip_prefix(">= 6.")
        .and_then(|rest| rest.strip_suffix(", < 7.0"))
        .and_then(|minor| minor.parse::<u32>().ok());
    assert!(floor.is_some_and(|minor| minor >= 4), "{constraint}");
    let resources = &doc["resource"];
    for codedeploy in ["aws_codedeploy_app", "aws_codedeploy_deployment_group"] {
        assert!(resources[codedeploy].is_null(), "{codedeploy}");
    }
    assert!(doc["output"]["api_appspec_yaml"].is_null());
    let service = &resources["aws_ecs_service"]["api"];
    assert_eq!(service["deployment_controller"]["type"], "ECS");
    assert_eq!(
        service["deployment_configuration"]["strategy"],
        "BLUE_GREEN"
    );
    assert_eq!(
        service["deployment_configuration"]["bake_time_in_minutes"],
        5
    );
    // The rollback alarms are ECS's own; the circuit breaker and the percentages are for
    // rolling updates.
    assert_eq!(service["alarms"]["rollback"], true);
    for rolling_only in [
        "deployment_circuit_breaker",
        "deployment_minimum_healthy_percent",
        "deployment_maximum_percent",
    ] {
        assert!(service[rolling_only].is_null(), "{rolling_only}");
    }
    let load_balancer = &service["load_balancer"][0];
    assert_eq!(
        load_balancer["target_group_arn"],
        "${aws_lb_target_group.api_blue.arn}"
    );
    assert_eq!(
        load_balancer["advanced_configuration"],
        serde_json::json!({
            "alternate_target_group_arn": "${aws_lb_target_group.api_green.arn}",
            "production_listener_rule": "${aws_lb_listener_rule.api_prod.arn}",
            "test_listener_rule": "${aws_lb_listener_rule.api_test.arn}",
            "role_arn": "${aws_iam_role.api_bluegreen.arn}",
        })
    );
    for rule in ["api_prod", "api_test"] {
        let rule = &resources["aws_lb_listener_rule"][rule];
        assert_eq!(
            rule["action"][0]["forward"]["target_group"],
            serde_json::json!([
                {"arn": "${aws_lb_target_group.api_blue.arn}", "weight": 100},
                {"arn": "${aws_lb_target_group.api_green.arn}", "weight": 0},
            ])
        );
        assert_eq!(
            rule["lifecycle"]["ignore_changes"],
            serde_json::json!(["action"])
        );
    }
    // Terraform keeps the task definition: a release is an apply.
    assert!(service["lifecycle"]["ignore_changes"].is_null());
    let trust = |role: &str| -> Value {
        let text = resources["aws_iam_role"][role]["assume_role_policy"]
            .as_str()
            .expect("a policy");
        serde_json::from_str(text).expect("JSON")
    };
    assert_eq!(
        trust("api_bluegreen")["Statement"][0]["Principal"]["Service"],
        "ecs.amazonaws.com"
    );
    assert_eq!(
        resources["aws_iam_role_policy_attachment"]["api_bluegreen"]["policy_arn"],
        "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
    );
}

/// Lambda hooks run with a role of their own ("Permissions required for Lambda functions in
/// Amazon ECS blue/green deployments", ECS Developer Guide) that may invoke exactly the hooks'
/// functions, never the ECS load balancer role.
#[test]
fn hooks_run_with_a_role_that_may_invoke_exactly_their_functions() {
    let other = "arn:aws:lambda:eu-west-1:123456789012:function:warm-up";
    let doc = synthesized(&stack_with(|_, _, settings| {
        *settings = settings.clone().hook(other, &[LifecycleStage::PostScaleUp]);
    }));
    let resources = &doc["resource"];
    let hooks = &resources["aws_ecs_service"]["api"]["deployment_configuration"]["lifecycle_hook"];
    assert_eq!(hooks.as_array().map(Vec::len), Some(2));
    for hook in hooks.as_array().into_iter().flatten() {
        assert_eq!(hook["role_arn"], "${aws_iam_role.api_hooks.arn}");
    }
    assert_eq!(
        hooks[1]["lifecycle_stages"],
        serde_json::json!(["POST_SCALE_UP"])
    );
    let policy: Value = serde_json::from_str(
        resources["aws_iam_role_policy"]["api_hooks"]["policy"]
            .as_str()
            .expect("a policy"),
    )
    .expect("JSON");
    assert_eq!(
        policy["Statement"],
        serde_json::json!([{
            "Action": ["lambda:InvokeFunction"],
            "Effect": "Allow",
            "Resource": [HOOK, other],
        }])
    );
    // Without hooks, no hook role.
    let plain = synthesized(&stack_with(|_, _, settings| settings.hooks.clear()));
    assert!(plain["resource"]["aws_iam_role"]["api_hooks"].is_null());
    assert!(
        plain["resource"]["aws_ecs_service"]["api"]["deployment_configuration"]["lifecycle_hook"]
            .is_null()
    );
}

/// Readers of the written JSON (`ecsynth graph`, `synth --check`) name each ignored
/// attribute's owner from the block alone: on one shared ALB, the rule of a CodeDeploy service
/// and the rule of an ECS-native one both ignore `action`, and each names its own controller
/// (told apart by how the rule forwards: one target group, or both by weight).
#[test]
fn readers_of_the_json_name_each_rules_own_controller() {
    let mut stack = stack_with(|_, _, _| {});
    let lb = stack.services()[0]
        .traffic()
        .expect("traffic")
        .load_balancer;
    let app = Container::new("app", "nginx:1.27").port(8080);
    let traffic = Traffic::rule(
        lb,
        RuleMatch::path("/admin/*").priority(10),
        app.target(8080),
        TargetHealthCheck::http("/health"),
    );
    stack.add_service(
        Service::new(
            "admin",
            TaskSize {
                cpu: 512,
                memory: 1024,
            },
        )
        .container(app)
        .blue_green(BlueGreen::new(traffic)),
    );
    let doc = synthesized(&stack);
    let text = serde_json::to_vec(&doc).expect("JSON");
    let json = ecsynth::review::Json::parse(&text).expect("JSON");
    let rules = json
        .get("resource")
        .and_then(|resources| resources.get("aws_lb_listener_rule"))
        .expect("listener rules");
    for (label, owner) in [("api_prod", "ECS"), ("admin_prod", "CodeDeploy")] {
        let block = rules.get(label).expect("the rule");
        assert_eq!(
            ecsynth::review::ignored_after_creation(
                &format!("aws_lb_listener_rule.{label}"),
                block
            ),
            [("action".to_owned(), vec![owner])],
            "{label}"
        );
    }
}
