//! The task definition Terraform registers, as a `RegisterTaskDefinition` request: built from
//! the `aws_ecs_task_definition` resource of the synthesized stack (its interpolations filled
//! with live values), never from the revision that is running. Every key is mapped explicitly;
//! a key this module does not know is an error, so nothing the model sets is dropped silently.

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, CpuArchitecture, EfsAuthorizationConfig,
    EfsAuthorizationConfigIam, EfsTransitEncryption, EfsVolumeConfiguration, HealthCheck,
    HostVolumeProperties, KeyValuePair, LogConfiguration, LogDriver, MountPoint, NetworkMode,
    OsFamily, PortMapping, RuntimePlatform, Secret, TransportProtocol, Ulimit, UlimitName, Volume,
};
use serde_json::{Map, Value};

/// A `RegisterTaskDefinition` request, without tags.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDefinition {
    pub family: String,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub network_mode: Option<NetworkMode>,
    pub requires_compatibilities: Vec<Compatibility>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub runtime_platform: Option<RuntimePlatform>,
    pub containers: Vec<ContainerDefinition>,
    pub volumes: Vec<Volume>,
}

type Result<T> = std::result::Result<T, String>;

fn object<'v>(value: &'v Value, what: &str) -> Result<&'v Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| format!("`{what}` is not an object"))
}

fn string(value: &Value, what: &str) -> Result<String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        _ => Err(format!("`{what}` is not a string")),
    }
}

fn int(value: &Value, what: &str) -> Result<i32> {
    let number = match value {
        Value::String(text) => text.parse::<i64>().ok(),
        other => other.as_i64(),
    };
    number
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| format!("`{what}` is not a whole number"))
}

fn boolean(value: &Value, what: &str) -> Result<bool> {
    value
        .as_bool()
        .ok_or_else(|| format!("`{what}` is not true or false"))
}

fn list<'v>(value: &'v Value, what: &str) -> Result<&'v Vec<Value>> {
    value
        .as_array()
        .ok_or_else(|| format!("`{what}` is not a list"))
}

fn strings(value: &Value, what: &str) -> Result<Vec<String>> {
    list(value, what)?
        .iter()
        .map(|item| string(item, what))
        .collect()
}

fn unsupported(key: &str, what: &str) -> String {
    format!(
        "`{what}.{key}` is in the model's task definition but `ecsynth deploy` cannot register \
         it yet; deploy this service with Terraform"
    )
}

/// The request for the resource body `resource` (interpolations already filled), with
/// `image` in place of the image of container `container`.
pub fn from_resource(resource: &Value, container: &str, image: &str) -> Result<TaskDefinition> {
    let body = object(resource, "aws_ecs_task_definition")?;
    let mut task = TaskDefinition {
        family: String::new(),
        execution_role_arn: None,
        task_role_arn: None,
        network_mode: None,
        requires_compatibilities: Vec::new(),
        cpu: None,
        memory: None,
        runtime_platform: None,
        containers: Vec::new(),
        volumes: Vec::new(),
    };
    let mut replaced = false;
    for (key, value) in body {
        match key.as_str() {
            "family" => task.family = string(value, key)?,
            "execution_role_arn" => task.execution_role_arn = Some(string(value, key)?),
            "task_role_arn" => task.task_role_arn = Some(string(value, key)?),
            "network_mode" => {
                task.network_mode = Some(NetworkMode::from(string(value, key)?.as_str()))
            }
            "requires_compatibilities" => {
                task.requires_compatibilities = strings(value, key)?
                    .iter()
                    .map(|c| Compatibility::from(c.as_str()))
                    .collect()
            }
            "cpu" => task.cpu = Some(string(value, key)?),
            "memory" => task.memory = Some(string(value, key)?),
            "runtime_platform" => {
                let platform = object(value, key)?;
                let mut builder = RuntimePlatform::builder();
                for (field, value) in platform {
                    builder = match field.as_str() {
                        "operating_system_family" => builder.operating_system_family(
                            OsFamily::from(string(value, field)?.as_str()),
                        ),
                        "cpu_architecture" => builder.cpu_architecture(CpuArchitecture::from(
                            string(value, field)?.as_str(),
                        )),
                        other => return Err(unsupported(other, key)),
                    };
                }
                task.runtime_platform = Some(builder.build());
            }
            "volume" => {
                for volume in list(value, key)? {
                    task.volumes.push(volume_from(volume)?);
                }
            }
            "container_definitions" => {
                let text = string(value, key)?;
                let parsed: Value = serde_json::from_str(&text)
                    .map_err(|error| format!("`container_definitions` is not JSON: {error}"))?;
                for definition in list(&parsed, key)? {
                    let mut definition = container_from(definition)?;
                    if definition.name() == Some(container) {
                        definition.image = Some(image.to_owned());
                        replaced = true;
                    }
                    task.containers.push(definition);
                }
            }
            // Registered separately, with the version tag added.
            "tags" | "depends_on" | "lifecycle" | "//" => {}
            other => return Err(unsupported(other, "aws_ecs_task_definition")),
        }
    }
    if !replaced {
        return Err(format!(
            "the task definition has no container `{container}`"
        ));
    }
    Ok(task)
}

fn volume_from(value: &Value) -> Result<Volume> {
    const WHAT: &str = "volume";
    let mut builder = Volume::builder();
    for (key, value) in object(value, WHAT)? {
        builder = match key.as_str() {
            "name" => builder.name(string(value, key)?),
            "host_path" => builder.host(
                HostVolumeProperties::builder()
                    .source_path(string(value, key)?)
                    .build(),
            ),
            "efs_volume_configuration" => {
                let mut efs = EfsVolumeConfiguration::builder();
                for (field, value) in object(value, key)? {
                    efs = match field.as_str() {
                        "file_system_id" => efs.file_system_id(string(value, field)?),
                        "root_directory" => efs.root_directory(string(value, field)?),
                        "transit_encryption" => efs.transit_encryption(EfsTransitEncryption::from(
                            string(value, field)?.as_str(),
                        )),
                        "transit_encryption_port" => {
                            efs.transit_encryption_port(int(value, field)?)
                        }
                        "authorization_config" => {
                            let mut auth = EfsAuthorizationConfig::builder();
                            for (item, value) in object(value, field)? {
                                auth = match item.as_str() {
                                    "access_point_id" => auth.access_point_id(string(value, item)?),
                                    "iam" => auth.iam(EfsAuthorizationConfigIam::from(
                                        string(value, item)?.as_str(),
                                    )),
                                    other => return Err(unsupported(other, field)),
                                };
                            }
                            efs.authorization_config(auth.build())
                        }
                        other => return Err(unsupported(other, key)),
                    };
                }
                builder.efs_volume_configuration(efs.build().map_err(|e| e.to_string())?)
            }
            other => return Err(unsupported(other, WHAT)),
        };
    }
    Ok(builder.build())
}

fn container_from(value: &Value) -> Result<ContainerDefinition> {
    const WHAT: &str = "containerDefinitions";
    let mut builder = ContainerDefinition::builder();
    for (key, value) in object(value, WHAT)? {
        builder = match key.as_str() {
            "name" => builder.name(string(value, key)?),
            "image" => builder.image(string(value, key)?),
            "cpu" => builder.cpu(int(value, key)?),
            "memory" => builder.memory(int(value, key)?),
            "memoryReservation" => builder.memory_reservation(int(value, key)?),
            "essential" => builder.essential(boolean(value, key)?),
            "readonlyRootFilesystem" => builder.readonly_root_filesystem(boolean(value, key)?),
            "command" => builder.set_command(Some(strings(value, key)?)),
            "entryPoint" => builder.set_entry_point(Some(strings(value, key)?)),
            "user" => builder.user(string(value, key)?),
            "workingDirectory" => builder.working_directory(string(value, key)?),
            "portMappings" => builder.set_port_mappings(Some(port_mappings(value, key)?)),
            "environment" => builder.set_environment(Some(environment(value, key)?)),
            "secrets" => builder.set_secrets(Some(secrets(value, key)?)),
            "mountPoints" => builder.set_mount_points(Some(mount_points(value, key)?)),
            // ecsynth writes these empty, as the API returns them.
            "volumesFrom" | "systemControls" if list(value, key)?.is_empty() => {
                match key.as_str() {
                    "volumesFrom" => builder.set_volumes_from(Some(Vec::new())),
                    _ => builder.set_system_controls(Some(Vec::new())),
                }
            }
            "healthCheck" => builder.health_check(health_check(value, key)?),
            "ulimits" => builder.set_ulimits(Some(ulimits(value, key)?)),
            "logConfiguration" => builder.log_configuration(log_configuration(value, key)?),
            other => return Err(unsupported(other, WHAT)),
        };
    }
    Ok(builder.build())
}

/// `portMappings`: the list of a container's port mappings.
fn port_mappings(value: &Value, key: &str) -> Result<Vec<PortMapping>> {
    let mut mappings = Vec::new();
    for mapping in list(value, key)? {
        let mut port = PortMapping::builder();
        for (field, value) in object(mapping, key)? {
            port = match field.as_str() {
                "containerPort" => port.container_port(int(value, field)?),
                "hostPort" => port.host_port(int(value, field)?),
                "protocol" => {
                    port.protocol(TransportProtocol::from(string(value, field)?.as_str()))
                }
                "name" => port.name(string(value, field)?),
                other => return Err(unsupported(other, key)),
            };
        }
        mappings.push(port.build());
    }
    Ok(mappings)
}

/// `environment`: the list of `{name, value}` variables.
fn environment(value: &Value, key: &str) -> Result<Vec<KeyValuePair>> {
    let mut pairs = Vec::new();
    for pair in list(value, key)? {
        let pair = object(pair, key)?;
        pairs.push(
            KeyValuePair::builder()
                .set_name(pair.get("name").map(|v| string(v, key)).transpose()?)
                .set_value(pair.get("value").map(|v| string(v, key)).transpose()?)
                .build(),
        );
    }
    Ok(pairs)
}

/// `secrets`: the list of `{name, valueFrom}` secrets.
fn secrets(value: &Value, key: &str) -> Result<Vec<Secret>> {
    let mut secrets = Vec::new();
    for secret in list(value, key)? {
        let secret = object(secret, key)?;
        secrets.push(
            Secret::builder()
                .set_name(secret.get("name").map(|v| string(v, key)).transpose()?)
                .set_value_from(
                    secret
                        .get("valueFrom")
                        .map(|v| string(v, key))
                        .transpose()?,
                )
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(secrets)
}

/// `mountPoints`: the list of volumes mounted into the container.
fn mount_points(value: &Value, key: &str) -> Result<Vec<MountPoint>> {
    let mut points = Vec::new();
    for point in list(value, key)? {
        let mut mount = MountPoint::builder();
        for (field, value) in object(point, key)? {
            mount = match field.as_str() {
                "sourceVolume" => mount.source_volume(string(value, field)?),
                "containerPath" => mount.container_path(string(value, field)?),
                "readOnly" => mount.read_only(boolean(value, field)?),
                other => return Err(unsupported(other, key)),
            };
        }
        points.push(mount.build());
    }
    Ok(points)
}

/// `healthCheck`: the container's own health check.
fn health_check(value: &Value, key: &str) -> Result<HealthCheck> {
    let mut check = HealthCheck::builder();
    for (field, value) in object(value, key)? {
        check = match field.as_str() {
            "command" => check.set_command(Some(strings(value, field)?)),
            "interval" => check.interval(int(value, field)?),
            "timeout" => check.timeout(int(value, field)?),
            "retries" => check.retries(int(value, field)?),
            "startPeriod" => check.start_period(int(value, field)?),
            other => return Err(unsupported(other, key)),
        };
    }
    check.build().map_err(|e| e.to_string())
}

/// `ulimits`: the list of resource limits.
fn ulimits(value: &Value, key: &str) -> Result<Vec<Ulimit>> {
    let mut limits = Vec::new();
    for limit in list(value, key)? {
        let mut ulimit = Ulimit::builder();
        for (field, value) in object(limit, key)? {
            ulimit = match field.as_str() {
                "name" => ulimit.name(UlimitName::from(string(value, field)?.as_str())),
                "softLimit" => ulimit.soft_limit(int(value, field)?),
                "hardLimit" => ulimit.hard_limit(int(value, field)?),
                other => return Err(unsupported(other, key)),
            };
        }
        limits.push(ulimit.build().map_err(|e| e.to_string())?);
    }
    Ok(limits)
}

/// `logConfiguration`: the log driver and its options.
fn log_configuration(value: &Value, key: &str) -> Result<LogConfiguration> {
    let mut log = LogConfiguration::builder();
    for (field, value) in object(value, key)? {
        log = match field.as_str() {
            "logDriver" => log.log_driver(LogDriver::from(string(value, field)?.as_str())),
            "options" => {
                let mut log = log;
                for (name, option) in object(value, field)? {
                    log = log.options(name.clone(), string(option, name)?);
                }
                log
            }
            other => return Err(unsupported(other, key)),
        };
    }
    log.build().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_container_gets_the_image_and_nothing_else_changes() {
        let resource = serde_json::json!({
            "family": "prod-web",
            "cpu": "256",
            "memory": "512",
            "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"],
            "execution_role_arn": "arn:aws:iam::1:role/x",
            "task_role_arn": "arn:aws:iam::1:role/y",
            "container_definitions": r#"[{"name":"web","image":"old:1","cpu":0,"essential":true,"environment":[{"name":"A","value":"1"}]},{"name":"sidecar","image":"side:2","cpu":0,"essential":false}]"#,
        });
        let task = from_resource(&resource, "web", "repo@sha256:ab").unwrap();
        assert_eq!(task.containers[0].image(), Some("repo@sha256:ab"));
        assert_eq!(task.containers[1].image(), Some("side:2"));
        assert_eq!(task.containers[0].environment()[0].value(), Some("1"));
        assert_eq!(task.cpu.as_deref(), Some("256"));
    }

    #[test]
    fn an_unknown_key_is_refused_not_dropped() {
        let resource = serde_json::json!({
            "family": "prod-web",
            "container_definitions": r#"[{"name":"web","image":"x:1","privileged":true}]"#,
        });
        let error = from_resource(&resource, "web", "x@sha256:ab").unwrap_err();
        assert!(
            error.contains("`containerDefinitions.privileged`"),
            "{error}"
        );
    }
}
