//! Many services on one shared ALB: each service's rules and target groups are its own, so
//! adding a service only adds resources, and CodeDeploy's ownership is exactly the rules.

use ecsynth::model::{
    BlueGreen, Container, RuleMatch, Service, Stack, TargetHealthCheck, TaskSize, Traffic,
};
use ecsynth::synth::synthesize;
use serde_json::Value;

fn document(stack: &Stack) -> Value {
    let (synthesized, diagnostics) = synthesize(stack);
    let synthesized = synthesized.unwrap_or_else(|| panic!("invalid stack: {diagnostics:?}"));
    serde_json::from_slice(&synthesized.render().expect("renders")).expect("JSON")
}

/// Every `(type, name)` of the document with its body.
fn resources(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (kind, blocks) in doc["resource"].as_object().expect("resources") {
        for (name, body) in blocks.as_object().expect("blocks") {
            all.push((kind.clone(), name.clone(), body.clone()));
        }
    }
    all
}

/// The shop's shared load balancer.
fn edge(stack: &Stack) -> ecsynth::model::LoadBalancerId {
    stack
        .load_balancers_with_ids()
        .next()
        .map(|(id, _)| id)
        .expect("the shop has its edge load balancer")
}

fn with_fourth_service() -> Stack {
    let mut stack = stacks::shop::shop();
    let edge = edge(&stack);
    let app = Container::new("search", "search:1.0").port(9200);
    let traffic = Traffic::rule(
        edge,
        RuleMatch::host("api.shop.example.com").and_path("/search/*"),
        app.target(9200),
        TargetHealthCheck::http("/health"),
    );
    stack.add_service(
        Service::new(
            "search",
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        )
        .container(app)
        .blue_green(BlueGreen::new(traffic)),
    );
    stack
}

#[test]
fn adding_a_service_adds_only_its_own_resources() {
    let before = document(&stacks::shop::shop());
    let after = document(&with_fourth_service());
    let after_resources = resources(&after);
    for (kind, name, body) in resources(&before) {
        let now = after_resources
            .iter()
            .find(|(k, n, _)| *k == kind && *n == name)
            .unwrap_or_else(|| panic!("{kind}.{name} disappeared"));
        assert_eq!(
            now.2, body,
            "{kind}.{name} changed when a service was added"
        );
    }
    let added: Vec<String> = after_resources
        .iter()
        .filter(|(kind, name, _)| {
            !resources(&before)
                .iter()
                .any(|(k, n, _)| k == kind && n == name)
        })
        .map(|(kind, name, _)| format!("{kind}.{name}"))
        .collect();
    assert!(!added.is_empty());
    for address in &added {
        assert!(
            address.contains(".search"),
            "{address} was added but does not belong to the new service"
        );
    }
    // The new service has its own blue/green pair and a rule on each shared listener.
    for expected in [
        "aws_lb_target_group.search_blue",
        "aws_lb_target_group.search_green",
        "aws_lb_listener_rule.search_prod",
        "aws_lb_listener_rule.search_test",
        "aws_codedeploy_deployment_group.search",
    ] {
        assert!(added.contains(&expected.to_owned()), "{expected} missing");
    }
}

#[test]
fn codedeploy_owns_the_rules_and_never_the_shared_listeners() {
    let doc = document(&stacks::shop::shop());
    let rules = doc["resource"]["aws_lb_listener_rule"]
        .as_object()
        .expect("rules");
    let routed = stacks::shop::shop()
        .services()
        .iter()
        .filter(|service| service.traffic().is_some())
        .count();
    assert_eq!(
        rules.len(),
        2 * routed,
        "a rule per routed service on each listener"
    );
    for (name, rule) in rules {
        assert_eq!(
            rule["lifecycle"]["ignore_changes"],
            serde_json::json!(["action"]),
            "rule {name}"
        );
    }
    for (name, listener) in doc["resource"]["aws_lb_listener"]
        .as_object()
        .expect("listeners")
    {
        assert!(
            listener.get("lifecycle").is_none(),
            "shared listener {name} must ignore nothing: {listener}"
        );
    }
    // Each deployment group names the shared prod and test listeners: CodeDeploy takes
    // exactly one listener ARN per route and rewrites the rules on it.
    for (name, group) in doc["resource"]["aws_codedeploy_deployment_group"]
        .as_object()
        .expect("groups")
    {
        let info = &group["load_balancer_info"]["target_group_pair_info"];
        assert_eq!(
            info["prod_traffic_route"]["listener_arns"],
            serde_json::json!(["${aws_lb_listener.edge_prod.arn}"]),
            "group {name}"
        );
        assert_eq!(
            info["test_traffic_route"]["listener_arns"],
            serde_json::json!(["${aws_lb_listener.edge_test.arn}"]),
            "group {name}"
        );
    }
}

#[test]
fn rule_priorities_do_not_move_when_services_come_and_go() {
    let priority =
        |doc: &Value, rule: &str| doc["resource"]["aws_lb_listener_rule"][rule]["priority"].clone();
    let before = document(&stacks::shop::shop());
    let after = document(&with_fourth_service());
    for rule in ["orders_prod", "users_prod", "catalogue_prod"] {
        assert_eq!(priority(&before, rule), priority(&after, rule), "{rule}");
    }
}

#[test]
fn a_broken_descriptor_refuses_the_stack_naming_file_line_and_column() {
    let mut stack = stacks::shop::shop();
    let edge = edge(&stack);
    stack.add_described_service(
        ecsynth::model::ServiceDescriptor::from_json(
            "search/service.json",
            "{\n  \"name\": \"search\",\n  \"replica\": 2\n}",
        ),
        edge,
    );
    let (synthesized, diagnostics) = synthesize(&stack);
    assert!(
        synthesized.is_none(),
        "nothing is lowered for a refused stack"
    );
    let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with(
            "error: stack `shop` › `services`: search/service.json:3:11: unknown field `replica`"
        ),
        "{}",
        messages[0]
    );
}

#[test]
fn the_discoverable_service_registers_in_the_clusters_namespace() {
    let doc = document(&stacks::shop::shop());
    let namespace = &doc["resource"]["aws_service_discovery_private_dns_namespace"]["main"];
    assert_eq!(namespace["name"], "shop.internal");
    let pricing = &doc["resource"]["aws_ecs_service"]["pricing"];
    assert_eq!(
        pricing["service_registries"]["registry_arn"],
        "${aws_service_discovery_service.pricing.arn}"
    );
    // awsvpc tasks: A records, no container and port to name.
    let registry = &doc["resource"]["aws_service_discovery_service"]["pricing"];
    assert_eq!(registry["dns_config"]["dns_records"][0]["type"], "A");
    assert!(pricing["service_registries"]
        .get("container_port")
        .is_none());
    // Blue/green services stay out of Cloud Map (validation refuses them).
    for name in ["orders", "users", "catalogue"] {
        assert!(doc["resource"]["aws_ecs_service"][name]
            .get("service_registries")
            .is_none());
    }
}

#[test]
fn a_blue_green_service_cannot_be_discoverable() {
    let mut stack = stacks::shop::shop();
    let edge = edge(&stack);
    let app = Container::new("search", "search:1.0").port(9200);
    let traffic = Traffic::rule(
        edge,
        RuleMatch::path("/search/*"),
        app.target(9200),
        TargetHealthCheck::http("/health"),
    );
    stack.add_service(
        Service::new(
            "search",
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        )
        .container(app)
        .blue_green(BlueGreen::new(traffic))
        .discoverable(),
    );
    let messages: Vec<String> = stack.validate().iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "error: stack `shop` › service `search` › `discoverable`: a blue/green (CODE_DEPLOY) \
          service cannot be discoverable: CodeDeploy shifts only load balancer traffic, so \
          names in Cloud Map would reach the new tasks before the canary and after a rollback, \
          and `service_registries` cannot change outside a deployment; reach it through its \
          load balancer rule, or deploy it rolling (ECS Service Connect needs ECS-native \
          blue/green, provider 6)"
        ]
    );
}
