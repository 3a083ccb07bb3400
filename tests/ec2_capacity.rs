//! EC2 capacity: the user data Terraform hands the instances is the rendered script with the
//! shell's own `${VAR}` intact, and the launch template base64-encodes exactly that.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use ecsynth::synth::{synthesize, MAIN_FILE};
use serde_json::Value;

/// What `terraform console` prints for `expression` in `dir`.
fn console(dir: &std::path::Path, expression: &str) -> String {
    let mut child = Command::new("terraform")
        .args(["console", "-no-color"])
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run terraform console");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{expression}\n").as_bytes())
        .expect("write the expression");
    let output = child.wait_with_output().expect("terraform console");
    assert!(
        output.status.success(),
        "terraform console failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
#[ignore = "full suite: runs Terraform; see README, Running the tests"]
fn user_data_reaches_the_instances_with_shell_variables_unchanged() {
    support::require_terraform();
    let registry = stacks::registry();
    let mut checked = 0;
    for name in registry.names() {
        // `terraform console` loads the installed provider (5.100.0): its major's output.
        let stack = support::for_installed_provider(registry.get(name).expect("registered")());
        if stack.capacity_providers().is_empty() {
            continue;
        }
        let bytes = synthesize(&stack)
            .0
            .expect("valid")
            .render()
            .expect("renders");
        let doc: Value = serde_json::from_slice(&bytes).expect("JSON");
        let dir = support::cached_dir(&format!("user-data/{name}"));
        std::fs::write(dir.join(MAIN_FILE), &bytes).expect("write main.tf.json");
        support::terraform_init_local_state(&dir);
        for (label, template) in doc["resource"]["aws_launch_template"]
            .as_object()
            .expect("a launch template per capacity provider")
        {
            let local = format!("{label}_user_data");
            assert_eq!(
                template["user_data"],
                format!("${{base64encode(local.{local})}}"),
                "stack `{name}`"
            );
            // `jsonencode` prints the evaluated string unambiguously on one line.
            let printed = console(&dir, &format!("jsonencode(local.{local})"));
            let script: String = serde_json::from_str(
                &serde_json::from_str::<String>(printed.trim()).expect("a quoted string"),
            )
            .unwrap_or_else(|_| panic!("stack `{name}`: not JSON text: {printed}"));
            assert!(
                script.contains("${HOSTNAME:-instance}"),
                "stack `{name}`: the shell variable was interpolated:\n{script}"
            );
            assert!(
                script.contains(&format!("ECS_CLUSTER={}\n", stack.cluster.name)),
                "stack `{name}`:\n{script}"
            );
            assert!(script.starts_with("#!/bin/bash\n"), "{script}");
            checked += 1;
        }
    }
    assert!(checked > 0, "no registered stack has EC2 capacity");
}

/// The Jenkins controller deploys rolling without autoscaling: only its task definition is
/// owned outside Terraform (by `ecsynth deploy`), and the Auto Scaling group's desired
/// capacity belongs to ECS managed scaling.
#[test]
fn the_jenkins_controller_leaves_only_its_task_definition_and_never_runs_twice() {
    let stack = stacks::registry().get("jenkins").expect("registered")();
    let bytes = synthesize(&stack)
        .0
        .expect("valid")
        .render()
        .expect("renders");
    let doc: Value = serde_json::from_slice(&bytes).expect("JSON");
    let service = &doc["resource"]["aws_ecs_service"]["controller"];
    assert_eq!(
        service["lifecycle"]["ignore_changes"],
        serde_json::json!(["task_definition"]),
        "{service}"
    );
    assert_eq!(service["deployment_maximum_percent"], 100);
    assert_eq!(service["deployment_minimum_healthy_percent"], 0);
    assert_eq!(service["desired_count"], 1);
    assert_eq!(
        service["load_balancer"][0]["elb_name"],
        "${aws_elb.controller.name}"
    );
    for (name, group) in doc["resource"]["aws_autoscaling_group"]
        .as_object()
        .expect("groups")
    {
        assert_eq!(
            group["lifecycle"]["ignore_changes"],
            serde_json::json!(["desired_capacity"]),
            "{name}"
        );
    }
    // jenkins_home is on encrypted EFS, mounted encrypted in transit through an access point.
    let volume = &doc["resource"]["aws_ecs_task_definition"]["controller"]["volume"][0];
    assert_eq!(
        volume["efs_volume_configuration"]["transit_encryption"],
        "ENABLED"
    );
    let file_system = doc["resource"]["aws_efs_file_system"]
        .as_object()
        .expect("a file system")
        .values()
        .next()
        .expect("one");
    assert_eq!(file_system["encrypted"], true);
}

/// Every registered stack with EC2 capacity, as the JSON synth writes.
fn ec2_documents() -> Vec<(String, ecsynth::model::Stack, Value)> {
    let registry = stacks::registry();
    let documents: Vec<_> = registry
        .names()
        .filter_map(|name| {
            let stack = registry.get(name).expect("registered")();
            if stack.capacity_providers().is_empty() {
                return None;
            }
            let bytes = synthesize(&stack)
                .0
                .expect("valid")
                .render()
                .expect("renders");
            let doc = serde_json::from_slice(&bytes).expect("JSON");
            Some((name.to_owned(), stack, doc))
        })
        .collect();
    assert!(
        !documents.is_empty(),
        "no registered stack has EC2 capacity"
    );
    documents
}

/// `(label, launch template, its user data script)` of every launch template of `doc`.
fn launch_templates(doc: &Value) -> Vec<(&str, &Value, &str)> {
    doc["resource"]["aws_launch_template"]
        .as_object()
        .expect("launch templates")
        .iter()
        .map(|(label, template)| {
            let script = doc["locals"][format!("{label}_user_data")]
                .as_str()
                .unwrap_or_else(|| panic!("the user data local of `{label}`"));
            (label.as_str(), template, script)
        })
        .collect()
}

/// The value of `NAME=value` (ecs.config) or `name = value` (sysctl) in a script.
fn setting<'s>(script: &'s str, name: &str) -> Option<&'s str> {
    script.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == name).then(|| value.trim())
    })
}

/// `aws_security_group.X` of a `${aws_security_group.X.id}` reference.
fn group_of(reference: &Value) -> String {
    reference
        .as_str()
        .and_then(|r| r.strip_prefix("${"))
        .and_then(|r| r.strip_suffix(".id}"))
        .unwrap_or_else(|| panic!("not a security group reference: {reference}"))
        .to_owned()
}

/// ECS gives a bridge container without a fixed host port one from the instance's dynamic
/// range: `/proc/sys/net/ipv4/ip_local_port_range` (ECS API reference,
/// `PortMapping.hostPort`), or `ECS_DYNAMIC_HOST_PORT_RANGE` on agent 1.70 and later
/// (amazon-ecs-agent PR #3609, the agent's README). The load balancer's health checks and
/// traffic reach a task only if the instances' security group opens that port: the rule must
/// open exactly the range the user data sets, in both places. (dev-ec2 used to set the kernel
/// range to 1024–65000 and open 32768–65535.)
#[test]
fn the_load_balancer_reaches_exactly_the_dynamic_host_ports_the_instances_use() {
    let mut checked_rules = 0;
    for (name, _, doc) in ec2_documents() {
        for (label, template, script) in launch_templates(&doc) {
            let agent = setting(script, "ECS_DYNAMIC_HOST_PORT_RANGE").unwrap_or_else(|| {
                panic!("stack `{name}`, `{label}`: the agent's range is not written:\n{script}")
            });
            let kernel = setting(script, "net.ipv4.ip_local_port_range").unwrap_or_else(|| {
                panic!("stack `{name}`, `{label}`: the kernel's range is not written:\n{script}")
            });
            let (first, last) = agent.split_once('-').expect("`first-last`");
            let (first, last): (u64, u64) = (
                first.parse().expect("a port"),
                last.parse().expect("a port"),
            );
            assert_eq!(
                kernel.split_whitespace().collect::<Vec<_>>(),
                [first.to_string(), last.to_string()],
                "stack `{name}`, `{label}`: the kernel and the agent disagree"
            );
            let instances = group_of(&template["vpc_security_group_ids"][0]);
            // Every range rule into the instances' group (the fixed ports of host networking
            // and classic ELBs are single ports).
            for (rule_label, rule) in doc["resource"]["aws_vpc_security_group_ingress_rule"]
                .as_object()
                .expect("ingress rules")
            {
                if group_of(&rule["security_group_id"]) != instances
                    || rule["from_port"] == rule["to_port"]
                    || rule["ip_protocol"] != "tcp"
                {
                    continue;
                }
                assert_eq!(
                    (rule["from_port"].as_u64(), rule["to_port"].as_u64()),
                    (Some(first), Some(last)),
                    "stack `{name}`: rule `{rule_label}` opens other ports than the instances \
                     of `{label}` give their tasks"
                );
                checked_rules += 1;
            }
        }
    }
    assert!(
        checked_rules > 0,
        "no registered stack has bridge tasks behind a target group: nothing was checked"
    );
}

/// Under ECS managed termination protection every instance running tasks is protected from
/// scale-in, and an instance refresh skips protected instances by default
/// (`scale_in_protected_instances = "Ignore"`, Auto Scaling API reference,
/// `RefreshPreferences.ScaleInProtectedInstances`; provider docs of `aws_autoscaling_group`):
/// the refresh succeeds while the instances that run tasks keep the old AMI. With ECS managed
/// draining, ECS drains an instance's tasks before Auto Scaling terminates it (ECS developer
/// guide, "Safely manage Amazon EC2 instance terminations"), so the refresh replaces them
/// (`Refresh`); without it, it waits (`Wait`) instead of killing tasks.
#[test]
fn instance_refresh_replaces_the_instances_that_run_tasks() {
    for (name, _, doc) in ec2_documents() {
        let providers = doc["resource"]["aws_ecs_capacity_provider"]
            .as_object()
            .expect("capacity providers");
        for (label, group) in doc["resource"]["aws_autoscaling_group"]
            .as_object()
            .expect("groups")
        {
            let provider = &providers[label]["auto_scaling_group_provider"];
            let draining = provider["managed_draining"] == "ENABLED";
            assert_eq!(
                group["protect_from_scale_in"],
                provider["managed_termination_protection"] == "ENABLED",
                "stack `{name}`, `{label}`"
            );
            assert_eq!(
                group["instance_refresh"]["preferences"]["scale_in_protected_instances"],
                if draining { "Refresh" } else { "Wait" },
                "stack `{name}`, `{label}`: {}",
                group["instance_refresh"]
            );
        }
    }
    // Without managed draining, a refresh must not kill tasks: it waits.
    let mut stack = ecsynth::model::Stack::new("refresh", "eu-west-1");
    stack.add_capacity_provider(
        ecsynth::model::Ec2Capacity::new("general", "m6i.large").managed_draining(false),
    );
    let doc: Value = serde_json::from_slice(
        &synthesize(&stack)
            .0
            .expect("valid")
            .render()
            .expect("renders"),
    )
    .expect("JSON");
    assert_eq!(
        doc["resource"]["aws_autoscaling_group"]["general"]["instance_refresh"]["preferences"]
            ["scale_in_protected_instances"],
        "Wait"
    );
}

/// The AMI is an input someone changes on purpose, and the plan shows the new id. AWS's
/// public parameter `/aws/service/ecs/optimized-ami/…/recommended/image_id` moves with every
/// ECS-optimised AMI release (ECS developer guide, "Retrieving Amazon ECS-optimized Linux AMI
/// metadata"), so reading it would start an instance refresh on the next unrelated apply, and
/// `data.aws_ssm_parameter`'s `value` is sensitive (provider docs, `aws_ssm_parameter` data
/// source), so the plan would hide which AMI it rolls out.
#[test]
fn the_ami_is_an_explicit_input_the_plan_shows() {
    for (name, _, doc) in ec2_documents() {
        assert!(
            doc.get("data")
                .and_then(|data| data.get("aws_ssm_parameter"))
                .is_none(),
            "stack `{name}` reads an SSM parameter"
        );
        for (label, template, _) in launch_templates(&doc) {
            let image = template["image_id"].as_str().expect("a string");
            if let Some(variable) = image
                .strip_prefix("${var.")
                .and_then(|v| v.strip_suffix('}'))
            {
                let declared = &doc["variable"][variable];
                assert_eq!(declared["type"], "string", "stack `{name}`, `{variable}`");
                assert!(
                    declared.get("sensitive").is_none() && declared.get("default").is_none(),
                    "stack `{name}`, `{variable}`: must be set explicitly and shown: {declared}"
                );
            } else {
                assert!(
                    image.starts_with("ami-"),
                    "stack `{name}`, `{label}`: image_id {image} is neither a variable nor an \
                     AMI id"
                );
            }
        }
    }
    // A pinned AMI is written as is, and no variable is declared.
    let mut stack = ecsynth::model::Stack::new("pinned", "eu-west-1");
    stack.add_capacity_provider(
        ecsynth::model::Ec2Capacity::new("general", "m6i.large").ami("ami-0a1b2c3d4e5f67890"),
    );
    let doc: Value = serde_json::from_slice(
        &synthesize(&stack)
            .0
            .expect("valid")
            .render()
            .expect("renders"),
    )
    .expect("JSON");
    assert_eq!(
        doc["resource"]["aws_launch_template"]["general"]["image_id"],
        "ami-0a1b2c3d4e5f67890"
    );
    assert!(
        doc["variable"].get("ecs_ami_id").is_none(),
        "{}",
        doc["variable"]
    );
}

/// What an operator expects of EC2 capacity on real AWS:
/// - `ECS_AWSVPC_BLOCK_IMDS=true`: awsvpc tasks cannot reach the instance metadata service and
///   so the instance role (ECS developer guide, "Amazon ECS container agent configuration");
/// - IMDSv2 only with a hop limit of 1: bridge containers are one hop further and cannot get a
///   token (EC2 user guide, "Configure the instance metadata options"; ECS developer guide,
///   "Task IAM role": block container access to instance metadata);
/// - the stack's tags on the instances, volumes and network interfaces Auto Scaling launches:
///   the provider's `default_tags` never reach them, the launch template's
///   `TagSpecifications` do (EC2 API reference, `LaunchTemplateTagSpecificationRequest`).
#[test]
fn instances_keep_tasks_from_the_instance_role_and_carry_the_stack_tags() {
    for (name, stack, doc) in ec2_documents() {
        let default_tags = doc["provider"]["aws"]["default_tags"]["tags"]
            .as_object()
            .expect("default tags")
            .clone();
        for (label, template, script) in launch_templates(&doc) {
            assert_eq!(
                setting(script, "ECS_AWSVPC_BLOCK_IMDS"),
                Some("true"),
                "stack `{name}`, `{label}`"
            );
            let metadata = &template["metadata_options"];
            assert_eq!(metadata["http_tokens"], "required", "stack `{name}`");
            assert_eq!(metadata["http_put_response_hop_limit"], 1, "stack `{name}`");
            let specifications = template["tag_specifications"]
                .as_array()
                .expect("tag specifications");
            for resource_type in ["instance", "volume", "network-interface"] {
                let tags = specifications
                    .iter()
                    .find(|s| s["resource_type"] == resource_type)
                    .unwrap_or_else(|| {
                        panic!("stack `{name}`, `{label}`: {resource_type}s are not tagged")
                    })["tags"]
                    .as_object()
                    .expect("tags");
                for (key, value) in &default_tags {
                    assert_eq!(
                        tags.get(key),
                        Some(value),
                        "stack `{name}`, `{label}`: {resource_type} tag `{key}`"
                    );
                }
            }
        }
        assert!(!stack.capacity_providers().is_empty());
    }
    // An operator who needs IMDS from awsvpc tasks turns it back on with the agent setting,
    // which replaces ecsynth's line rather than adding a second one.
    let mut stack = ecsynth::model::Stack::new("imds", "eu-west-1");
    stack.add_capacity_provider(
        ecsynth::model::Ec2Capacity::new("general", "m6i.large")
            .agent_setting("ECS_AWSVPC_BLOCK_IMDS", "false"),
    );
    let doc: Value = serde_json::from_slice(
        &synthesize(&stack)
            .0
            .expect("valid")
            .render()
            .expect("renders"),
    )
    .expect("JSON");
    let script = doc["locals"]["general_user_data"].as_str().expect("script");
    assert_eq!(setting(script, "ECS_AWSVPC_BLOCK_IMDS"), Some("false"));
    assert_eq!(
        script.matches("ECS_AWSVPC_BLOCK_IMDS").count(),
        1,
        "{script}"
    );
}
