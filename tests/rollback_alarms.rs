//! Rollback on alarms, checked on the output of every registered stack: the rules only real
//! AWS enforces, which neither `terraform validate` nor the emulator sees (an alarm on a
//! dimension nothing publishes under never fires, and the emulator accepts any).
//!
//! Sources:
//! - CodeDeploy API reference, `AlarmConfiguration` (alarms that stop a deployment) and
//!   `AutoRollbackConfiguration` (`DEPLOYMENT_STOP_ON_ALARM` rolls back when one does).
//! - ECS API reference, `DeploymentAlarms` (`alarmNames`, `enable`, `rollback`) and
//!   `DeploymentCircuitBreaker` (`enable`, `rollback`), for the ECS deployment controller.
//! - ELB user guides, "CloudWatch metrics for your Application Load Balancer": namespace
//!   `AWS/ApplicationELB`, `UnHealthyHostCount` and `HTTPCode_Target_5XX_Count` per target
//!   group under dimensions `LoadBalancer` = `app/<name>/<id>` (the end of the load balancer
//!   ARN) and `TargetGroup` = `targetgroup/<name>/<id>` (the end of the target group ARN);
//!   "… for your Network Load Balancer": `AWS/NetworkELB`, `UnHealthyHostCount`, no HTTP
//!   codes; "… for your Classic Load Balancer": `AWS/ELB`, `UnHealthyHostCount` and
//!   `HTTPCode_Backend_5XX` under `LoadBalancerName`.
//! - hashicorp/aws provider source, `internal/service/elbv2/load_balancer.go` and
//!   `target_group.go`: `arn_suffix` is exactly that end of the ARN (`SuffixFromARN`).

mod support;

use ecsynth::model::{
    BlueGreen, CodeDeploy, Container, DeploymentConfig, Listener, LoadBalancer, RollbackAlarms,
    Service, Stack, TargetHealthCheck, TaskSize, Traffic,
};
use serde_json::Value;

/// `(address, attribute)` of an interpolation such as `${aws_lb.web.arn_suffix}`.
fn reference(value: &Value) -> (String, String) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    let inner = text
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not a reference but a typed-in value: {text}"));
    let (address, attribute) = inner.rsplit_once('.').expect("address.attribute");
    (address.to_owned(), attribute.to_owned())
}

fn block<'d>(doc: &'d Value, address: &str) -> &'d Value {
    let (kind, label) = address.split_once('.').expect("type.label");
    let found = &doc["resource"][kind][label];
    assert!(!found.is_null(), "{address} is not in the document");
    found
}

/// The alarms an `alarm_names` / `alarms` list refers to, as (address, block).
fn alarms<'d>(doc: &'d Value, names: &Value) -> Vec<(String, &'d Value)> {
    names
        .as_array()
        .expect("a list of alarm names")
        .iter()
        .map(|name| {
            let (address, attribute) = reference(name);
            assert!(
                address.starts_with("aws_cloudwatch_metric_alarm.") && attribute == "alarm_name",
                "{name} is not an alarm's name"
            );
            let alarm = block(doc, &address);
            (address, alarm)
        })
        .collect()
}

/// The alarms among `alarms` on `metric` whose dimensions name this target group of this
/// load balancer by their `arn_suffix`.
fn on_target_group<'a>(
    alarms: &'a [(String, &'a Value)],
    metric: &str,
    lb: &str,
    group: &str,
) -> Vec<&'a (String, &'a Value)> {
    alarms
        .iter()
        .filter(|(_, alarm)| alarm["metric_name"] == metric)
        .filter(|(_, alarm)| {
            let dimensions = &alarm["dimensions"];
            dimensions.as_object().map(|map| map.len()) == Some(2)
                && dimensions["LoadBalancer"] == format!("${{{lb}.arn_suffix}}")
                && dimensions["TargetGroup"] == format!("${{{group}.arn_suffix}}")
        })
        .collect()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Every alarm a deployment watches: no traffic is no failure (`notBreaching`), one-minute
/// periods (the ELB metrics' resolution), no actions of its own.
fn check_common(problems: &mut Vec<String>, stack: &str, address: &str, alarm: &Value) {
    if alarm["treat_missing_data"] != "notBreaching" {
        problems.push(format!(
            "stack `{stack}`: {address} treat_missing_data = {}, not notBreaching",
            alarm["treat_missing_data"]
        ));
    }
    if alarm["period"] != 60 {
        problems.push(format!(
            "stack `{stack}`: {address} period {}",
            alarm["period"]
        ));
    }
}

/// What a deployment group's alarms must be for its load balancer kind.
fn check_target_group_alarms(
    problems: &mut Vec<String>,
    stack: &str,
    owner: &str,
    doc: &Value,
    watched: &[(String, &Value)],
    lb: &str,
    groups: &[String],
) {
    let kind = block(doc, lb)["load_balancer_type"]
        .as_str()
        .unwrap_or("application")
        .to_owned();
    let (namespace, metrics): (&str, &[&str]) = match kind.as_str() {
        "application" => (
            "AWS/ApplicationELB",
            &["UnHealthyHostCount", "HTTPCode_Target_5XX_Count"],
        ),
        "network" => ("AWS/NetworkELB", &["UnHealthyHostCount"]),
        other => panic!("{lb}: load balancer type {other}"),
    };
    for group in groups {
        for metric in metrics {
            let found = on_target_group(watched, metric, lb, group);
            if found.len() != 1 {
                problems.push(format!(
                    "stack `{stack}`: {owner} has {} {metric} alarm(s) on {group} of {lb} by \
                     `arn_suffix`, wants 1",
                    found.len()
                ));
            }
            for (address, alarm) in found {
                if alarm["namespace"] != namespace {
                    problems.push(format!(
                        "stack `{stack}`: {address} namespace {}, wants {namespace}",
                        alarm["namespace"]
                    ));
                }
            }
        }
    }
    for (address, alarm) in watched {
        check_common(problems, stack, address, alarm);
        if kind == "network" && alarm["metric_name"] != "UnHealthyHostCount" {
            problems.push(format!(
                "stack `{stack}`: {address} alarms on {} behind a network load balancer, \
                 which publishes no such metric",
                alarm["metric_name"]
            ));
        }
    }
}

/// CodeDeploy `AlarmConfiguration` + `AutoRollbackConfiguration`: every blue/green service
/// rolls back when an alarm on either of its target groups fires (after a deployment the new
/// version serves from the other group), and the alarms' dimensions are what ELB publishes
/// under: the provider's `arn_suffix` of the load balancer and of each target group.
#[test]
fn blue_green_services_roll_back_on_alarms_of_both_target_groups() {
    let registry = stacks::registry();
    let mut problems = Vec::new();
    let mut checked = 0;
    for name in registry.names() {
        let doc: Value =
            serde_json::from_slice(&support::main_tf_json(&registry, name)).expect("JSON");
        for (label, group) in doc["resource"]["aws_codedeploy_deployment_group"]
            .as_object()
            .into_iter()
            .flatten()
        {
            checked += 1;
            let owner = format!("aws_codedeploy_deployment_group.{label}");
            let events = strings(&group["auto_rollback_configuration"]["events"]);
            if group["auto_rollback_configuration"]["enabled"] != true
                || !events.contains(&"DEPLOYMENT_FAILURE")
                || !events.contains(&"DEPLOYMENT_STOP_ON_ALARM")
            {
                problems.push(format!(
                    "stack `{name}`: {owner} does not roll back on failure and on alarm: {}",
                    group["auto_rollback_configuration"]
                ));
            }
            let configuration = &group["alarm_configuration"];
            if configuration["enabled"] != true {
                problems.push(format!("stack `{name}`: {owner} has no enabled alarms"));
                continue;
            }
            let watched = alarms(&doc, &configuration["alarms"]);
            let pair = &group["load_balancer_info"]["target_group_pair_info"];
            let groups: Vec<String> = pair["target_group"]
                .as_array()
                .expect("target groups")
                .iter()
                .map(|group| reference(&group["name"]).0)
                .collect();
            let listener = reference(&pair["prod_traffic_route"]["listener_arns"][0]).0;
            let lb = reference(&block(&doc, &listener)["load_balancer_arn"]).0;
            check_target_group_alarms(&mut problems, name, &owner, &doc, &watched, &lb, &groups);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 0, "no registered stack deploys blue/green");
}

/// ECS-native blue/green (`DeploymentAlarms` with `rollback`, ECS API): every such service
/// rolls back when an alarm on either of its target groups fires (the service's and the
/// alternate one of `advanced_configuration`), with the dimensions ELB publishes under.
#[test]
fn ecs_blue_green_services_roll_back_on_alarms_of_both_target_groups() {
    let registry = stacks::registry();
    let mut problems = Vec::new();
    let mut checked = 0;
    for name in registry.names() {
        let doc: Value =
            serde_json::from_slice(&support::main_tf_json(&registry, name)).expect("JSON");
        for (label, service) in doc["resource"]["aws_ecs_service"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, service)| service["deployment_configuration"]["strategy"] == "BLUE_GREEN")
        {
            checked += 1;
            let owner = format!("aws_ecs_service.{label}");
            let settings = &service["alarms"];
            if settings["enable"] != true || settings["rollback"] != true {
                problems.push(format!(
                    "stack `{name}`: {owner} does not roll back on alarms: {settings}"
                ));
                continue;
            }
            let watched = alarms(&doc, &settings["alarm_names"]);
            let load_balancer = &service["load_balancer"][0];
            let advanced = &load_balancer["advanced_configuration"];
            let groups = [
                reference(&load_balancer["target_group_arn"]).0,
                reference(&advanced["alternate_target_group_arn"]).0,
            ];
            let rule = reference(&advanced["production_listener_rule"]).0;
            let listener = reference(&block(&doc, &rule)["listener_arn"]).0;
            let lb = reference(&block(&doc, &listener)["load_balancer_arn"]).0;
            check_target_group_alarms(&mut problems, name, &owner, &doc, &watched, &lb, &groups);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        checked > 0,
        "no registered stack deploys ECS-native blue/green"
    );
}

/// ECS `DeploymentCircuitBreaker` and `DeploymentAlarms`: a rolling service behind a load
/// balancer rolls back when its tasks keep failing and when an alarm on its target group (or
/// its classic ELB, by `LoadBalancerName` in `AWS/ELB`) fires.
#[test]
fn rolling_services_behind_a_load_balancer_roll_back_on_alarms() {
    let registry = stacks::registry();
    let mut problems = Vec::new();
    let mut checked = 0;
    for name in registry.names() {
        let doc: Value =
            serde_json::from_slice(&support::main_tf_json(&registry, name)).expect("JSON");
        for (label, service) in doc["resource"]["aws_ecs_service"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let owner = format!("aws_ecs_service.{label}");
            // ECS-native blue/green: `ecs_blue_green_services_roll_back_on_alarms_of_both_target_groups`.
            if service["deployment_configuration"]["strategy"] == "BLUE_GREEN" {
                continue;
            }
            if service["deployment_controller"]["type"] != "ECS" {
                if !service["alarms"].is_null() {
                    problems.push(format!(
                        "stack `{name}`: {owner} has ECS deployment alarms under CodeDeploy"
                    ));
                }
                continue;
            }
            let breaker = &service["deployment_circuit_breaker"];
            if breaker["enable"] != true || breaker["rollback"] != true {
                problems.push(format!(
                    "stack `{name}`: {owner} has no circuit breaker with rollback: {breaker}"
                ));
            }
            let Some(load_balancer) = service["load_balancer"].get(0) else {
                continue;
            };
            checked += 1;
            let settings = &service["alarms"];
            if settings["enable"] != true || settings["rollback"] != true {
                problems.push(format!(
                    "stack `{name}`: {owner} does not roll back on alarms: {settings}"
                ));
                continue;
            }
            let watched = alarms(&doc, &settings["alarm_names"]);
            if let Some(group) = load_balancer.get("target_group_arn") {
                let group = reference(group).0;
                // The load balancer of the listener forwarding to the group.
                let lb = doc["resource"]["aws_lb_listener"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .chain(
                        doc["resource"]["aws_lb_listener_rule"]
                            .as_object()
                            .into_iter()
                            .flatten(),
                    )
                    .find_map(|(_, listener)| {
                        let forwards = listener.to_string().contains(&format!("${{{group}.arn}}"));
                        let lb = listener
                            .get("load_balancer_arn")
                            .map(|arn| reference(arn).0);
                        forwards.then_some(lb).flatten()
                    })
                    .unwrap_or_else(|| panic!("stack `{name}`: no listener forwards to {group}"));
                check_target_group_alarms(
                    &mut problems,
                    name,
                    &owner,
                    &doc,
                    &watched,
                    &lb,
                    &[group],
                );
            } else {
                let elb = load_balancer["elb_name"].clone();
                let unhealthy = watched.iter().filter(|(_, alarm)| {
                    alarm["namespace"] == "AWS/ELB"
                        && alarm["metric_name"] == "UnHealthyHostCount"
                        && alarm["dimensions"]["LoadBalancerName"] == elb
                        && alarm["dimensions"].as_object().map(|map| map.len()) == Some(1)
                });
                if unhealthy.count() != 1 {
                    problems.push(format!(
                        "stack `{name}`: {owner} has no AWS/ELB UnHealthyHostCount alarm by \
                         LoadBalancerName {elb}"
                    ));
                }
                for (address, alarm) in &watched {
                    check_common(&mut problems, name, address, alarm);
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        checked > 0,
        "no registered stack has a rolling service behind a load balancer"
    );
}

/// CloudWatch API reference, PutMetricAlarm `AlarmName`: 1–255 characters, unique in the
/// account and region (a second alarm of that name replaces the first).
#[test]
fn alarm_names_fit_cloudwatch_and_are_unique_per_stack() {
    let registry = stacks::registry();
    for name in registry.names() {
        let doc: Value =
            serde_json::from_slice(&support::main_tf_json(&registry, name)).expect("JSON");
        let mut seen = std::collections::HashSet::new();
        for (label, alarm) in doc["resource"]["aws_cloudwatch_metric_alarm"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let alarm_name = alarm["alarm_name"].as_str().expect("a literal name");
            assert!(
                (1..=255).contains(&alarm_name.chars().count()),
                "stack `{name}`: {label} name `{alarm_name}` is not 1 to 255 characters"
            );
            assert!(
                seen.insert(alarm_name.to_owned()),
                "stack `{name}`: `{alarm_name}` twice"
            );
        }
    }
}

fn web_stack(load_balancer: LoadBalancer, edit: impl FnOnce(BlueGreen) -> BlueGreen) -> Value {
    let mut stack = Stack::new("alarms", "eu-west-1");
    let lb = stack.add_load_balancer(load_balancer);
    let app = Container::new("app", "nginx:1.27").port(8080);
    let traffic = Traffic::listeners(lb, app.target(8080), TargetHealthCheck::http("/health"));
    stack.add_service(
        Service::new(
            "web",
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        )
        .container(app)
        .blue_green(edit(BlueGreen::new(traffic))),
    );
    let (synthesized, diagnostics) = ecsynth::synth::synthesize(&stack);
    let synthesized = synthesized.unwrap_or_else(|| panic!("invalid: {diagnostics:?}"));
    serde_json::from_slice(&synthesized.render().expect("renders")).expect("JSON")
}

/// The opt-out by name: no alarms, no `alarm_configuration`, no `DEPLOYMENT_STOP_ON_ALARM`
/// (CodeDeploy refuses that event without alarms: `AutoRollbackConfiguration`), and a canary
/// is then accepted.
#[test]
fn without_rollback_alarms_a_canary_is_accepted_and_watches_nothing() {
    let doc = web_stack(
        LoadBalancer::application("web", Listener::http(80)).internal(),
        |bg| {
            bg.controller(CodeDeploy::default().config(DeploymentConfig::Canary10Percent5Minutes))
                .without_rollback_alarms()
        },
    );
    assert!(doc["resource"]["aws_cloudwatch_metric_alarm"].is_null());
    let group = &doc["resource"]["aws_codedeploy_deployment_group"]["web"];
    assert!(group["alarm_configuration"].is_null());
    assert_eq!(
        group["auto_rollback_configuration"]["events"],
        serde_json::json!(["DEPLOYMENT_FAILURE"])
    );
}

/// ELB user guide, CloudWatch metrics for your Application Load Balancer: `TargetResponseTime`
/// per target group, in seconds; CloudWatch PutMetricAlarm: a percentile goes in
/// `ExtendedStatistic`, never together with `Statistic`.
#[test]
fn p99_response_time_alarms_on_both_target_groups() {
    let doc = web_stack(
        LoadBalancer::application("web", Listener::http(80)).internal(),
        |bg| bg.rollback_alarms(RollbackAlarms::default().response_time_p99(1.5, 3)),
    );
    for colour in ["blue", "green"] {
        let alarm = &doc["resource"]["aws_cloudwatch_metric_alarm"][format!("web_{colour}_p99")];
        assert_eq!(alarm["metric_name"], "TargetResponseTime");
        assert_eq!(alarm["extended_statistic"], "p99");
        assert!(alarm["statistic"].is_null());
        assert_eq!(alarm["threshold"], 1.5);
        assert_eq!(alarm["evaluation_periods"], 3);
        assert_eq!(
            alarm["dimensions"]["TargetGroup"],
            format!("${{aws_lb_target_group.web_{colour}.arn_suffix}}")
        );
    }
}

/// ELB user guide, CloudWatch metrics for your Network Load Balancer: `AWS/NetworkELB` has
/// `UnHealthyHostCount` per target group and no HTTP status codes.
#[test]
fn network_load_balancers_alarm_on_unhealthy_hosts_only() {
    let doc = web_stack(
        LoadBalancer::network("web", Listener::tcp(80)).internal(),
        |bg| bg,
    );
    let alarms = doc["resource"]["aws_cloudwatch_metric_alarm"]
        .as_object()
        .expect("alarms");
    let labels: Vec<&str> = alarms.keys().map(String::as_str).collect();
    assert_eq!(labels, ["web_blue_unhealthy", "web_green_unhealthy"]);
    for alarm in alarms.values() {
        assert_eq!(alarm["namespace"], "AWS/NetworkELB");
        assert_eq!(
            alarm["dimensions"]["LoadBalancer"],
            "${aws_lb.web.arn_suffix}"
        );
    }
}
