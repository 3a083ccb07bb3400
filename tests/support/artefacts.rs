//! The deployment artefacts (AppSpec, taskdef.json) agree with the infrastructure they deploy
//! to, for every blue/green service of a stack.

use ecsynth::model::ControllerKind;
use ecsynth::registry::Registry;
use serde_json::Value;

/// The value after `key: ` on the AppSpec line that has it.
fn appspec_field<'a>(appspec: &'a str, key: &str) -> &'a str {
    appspec
        .lines()
        .find_map(|line| line.trim_start().strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("AppSpec has no `{key}`:\n{appspec}"))
}

/// Checks the AppSpec and taskdef.json outputs of every blue/green service of stack `name`
/// against the service and task definition; returns how many services were checked.
pub fn check_stack(registry: &Registry, name: &str) -> usize {
    let mut checked = 0;
    let doc: Value = serde_json::from_slice(&super::main_tf_json(registry, name)).expect("JSON");
    let Some(services) = doc["resource"]["aws_ecs_service"].as_object() else {
        return 0;
    };
    for (label, service) in services {
        if service["deployment_controller"]["type"] != "CODE_DEPLOY" {
            continue;
        }
        let outputs = &doc["output"];
        let appspec = outputs[format!("{label}_appspec_yaml")]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("stack `{name}`: no AppSpec output for `{label}`"));
        check_appspec(name, appspec, service);
        let taskdef: Value = serde_json::from_str(
            outputs[format!("{label}_taskdef_json")]["value"]
                .as_str()
                .expect("taskdef"),
        )
        .expect("taskdef.json is JSON");
        let task = &doc["resource"]["aws_ecs_task_definition"][label];
        check_taskdef(name, &taskdef, task, service);
        checked += 1;
    }
    checked
}

/// The AppSpec deploys to the service's own load balancer mapping and network.
fn check_appspec(name: &str, appspec: &str, service: &Value) {
    let mapping = &service["load_balancer"][0];
    // LoadBalancerInfo is what CodeDeploy registers in the target group: it must be
    // exactly the service's load balancer mapping.
    let container_name: String =
        serde_json::from_str(appspec_field(appspec, "ContainerName")).expect("quoted");
    assert_eq!(container_name, mapping["container_name"], "stack `{name}`");
    let container_port: u64 = appspec_field(appspec, "ContainerPort")
        .parse()
        .expect("int");
    assert_eq!(container_port, mapping["container_port"], "stack `{name}`");

    // The network configuration CodeDeploy applies is the service's own; bridge and host
    // tasks have none, and name the capacity provider instead.
    let network = &service["network_configuration"];
    if network.is_null() {
        assert!(
            !appspec.contains("NetworkConfiguration"),
            "stack `{name}`: {appspec}"
        );
        assert_eq!(
            appspec_field(appspec, "- CapacityProvider"),
            format!(
                "\"{}\"",
                service["capacity_provider_strategy"][0]["capacity_provider"]
                    .as_str()
                    .expect("an EC2 service names its capacity provider")
            ),
            "stack `{name}`"
        );
    } else {
        let subnets = network["subnets"]
            .as_str()
            .expect("subnets from a variable");
        let variable = subnets.trim_start_matches("${").trim_end_matches('}');
        assert_eq!(
            appspec_field(appspec, "Subnets"),
            format!("${{jsonencode({variable})}}"),
            "stack `{name}`"
        );
        assert_eq!(
            appspec_field(appspec, "SecurityGroups"),
            format!(
                "[\"{}\"]",
                network["security_groups"][0].as_str().expect("sg")
            ),
            "stack `{name}`"
        );
    }
    assert_eq!(
        appspec_field(appspec, "TaskDefinition"),
        "\"<TASK_DEFINITION>\""
    );
}

/// taskdef.json is the Terraform task definition with the image as a placeholder and the
/// real role ARNs.
fn check_taskdef(name: &str, taskdef: &Value, task: &Value, service: &Value) {
    let mapping = &service["load_balancer"][0];
    assert_eq!(taskdef["family"], task["family"]);
    assert_eq!(taskdef["executionRoleArn"], task["execution_role_arn"]);
    assert_eq!(taskdef["taskRoleArn"], task["task_role_arn"]);
    assert_eq!(taskdef["cpu"], task["cpu"]);
    assert_eq!(taskdef["memory"], task["memory"]);
    assert_eq!(taskdef["networkMode"], task["network_mode"]);
    assert_eq!(
        taskdef["requiresCompatibilities"],
        task["requires_compatibilities"]
    );
    let mut expected: Value =
        serde_json::from_str(task["container_definitions"].as_str().expect("JSON text"))
            .expect("container definitions are JSON");
    for container in expected.as_array_mut().expect("array") {
        if container["name"] == mapping["container_name"] {
            container["image"] = "<IMAGE1_NAME>".into();
        }
    }
    assert_eq!(taskdef["containerDefinitions"], expected, "stack `{name}`");
}

/// How many services of stack `name` deploy blue/green, from the model.
pub fn blue_green_services(registry: &Registry, name: &str) -> usize {
    let stack = registry.get(name).expect("registered")();
    stack
        .services()
        .iter()
        .filter(|service| service.blue_green_controller() == Some(ControllerKind::CodeDeploy))
        .count()
}
