//! EC2 capacity: the user data Terraform hands the instances is the rendered script with the
//! shell's own `${VAR}` intact, and the launch template base64-encodes exactly that.

#[path = "../stacks/mod.rs"]
#[allow(dead_code)]
mod stacks;
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
fn user_data_reaches_the_instances_with_shell_variables_unchanged() {
    support::require_terraform();
    let registry = stacks::registry();
    let mut checked = 0;
    for name in registry.names() {
        let stack = registry.get(name).expect("registered")();
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
