//! `terraform destroy` after a blue/green deployment: CodeDeploy has left the listeners (or
//! the service's rules on a shared listener) forwarding to the green target group, which their
//! configuration never names. ELB refuses to delete a target group a listener or rule still
//! uses, so everything forwarding to a pair's blue group must be destroyed before its green one.

mod support;

use serde_json::Value;

/// `aws_lb_target_group.<label>` from an interpolation such as
/// `${aws_lb_target_group.web_blue.name}`.
fn target_group_address(reference: &Value) -> String {
    let text = reference.as_str().expect("a reference");
    let inner = text
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not a reference: {text}"));
    let (address, _attribute) = inner.rsplit_once('.').expect("address.attribute");
    address.to_string()
}

/// The (blue, green) target group addresses of every CodeDeploy deployment group.
fn pairs(doc: &Value) -> Vec<(String, String)> {
    let groups = doc["resource"]["aws_codedeploy_deployment_group"].as_object();
    groups
        .into_iter()
        .flatten()
        .map(|(label, group)| {
            let names = group["load_balancer_info"]["target_group_pair_info"]["target_group"]
                .as_array()
                .unwrap_or_else(|| panic!("deployment group {label} has no target group pair"));
            assert_eq!(names.len(), 2, "deployment group {label}: blue and green");
            (
                target_group_address(&names[0]["name"]),
                target_group_address(&names[1]["name"]),
            )
        })
        .collect()
}

/// Every listener and listener rule as (address, the target groups it forwards to, its
/// `depends_on`).
fn forwarders(doc: &Value) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut found = Vec::new();
    for (kind, actions) in [
        ("aws_lb_listener", "default_action"),
        ("aws_lb_listener_rule", "action"),
    ] {
        for (label, block) in doc["resource"][kind].as_object().into_iter().flatten() {
            let targets = block[actions]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|action| action.get("target_group_arn"))
                .map(target_group_address)
                .collect();
            let depends_on = block["depends_on"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|entry| entry.as_str().expect("an address").to_string())
                .collect();
            found.push((format!("{kind}.{label}"), targets, depends_on));
        }
    }
    found
}

#[test]
fn whatever_forwards_to_blue_is_destroyed_before_green() {
    let registry = stacks::registry();
    let mut checked = 0;
    let mut problems = Vec::new();
    for name in registry.names() {
        let doc: Value =
            serde_json::from_slice(&support::main_tf_json(&registry, name)).expect("JSON");
        let forwarders = forwarders(&doc);
        for (blue, green) in pairs(&doc) {
            let using_blue: Vec<_> = forwarders
                .iter()
                .filter(|(_, targets, _)| targets.contains(&blue))
                .collect();
            if using_blue.is_empty() {
                problems.push(format!("stack `{name}`: nothing forwards to {blue}"));
            }
            for (address, _, depends_on) in using_blue {
                checked += 1;
                if !depends_on.contains(&green) {
                    problems.push(format!(
                        "stack `{name}`: {address} forwards to {blue} but does not depend on \
                         {green}; depends_on = {depends_on:?}"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 0, "no registered stack has a blue/green pair");
}
