//! The task: what its containers reserve of its size, their ports, images,
//! environment, secrets, and the log group's retention.

use super::{container_path, plain_list, service_path, Checker};
use crate::model::service::{Container, Service};

/// CloudWatch Logs retention periods in days; 0 is Terraform's "never expire".
const LOG_RETENTION_DAYS: &[u32] = &[
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The prefixes of the ARNs the execution role may read secrets from; lowering grants
/// `ssm:GetParameters` and `secretsmanager:GetSecretValue` by them.
const SECRET_ARN_PREFIXES: &[&str] = &["arn:aws:ssm:", "arn:aws:secretsmanager:"];

pub(super) fn check(check: &mut Checker, service: &Service) {
    check_containers(check, service);
    check_reservations(check, service);
    check_ports(check, service);
    if !LOG_RETENTION_DAYS.contains(&service.log_retention_days) {
        check.error(
            &service_path(service),
            "log_retention_days",
            format!(
                "{} is not a CloudWatch Logs retention period; allowed: {} (0 keeps logs forever)",
                service.log_retention_days,
                plain_list(LOG_RETENTION_DAYS)
            ),
        );
    }
}

fn check_containers(check: &mut Checker, service: &Service) {
    if service.containers.is_empty() {
        check.error(
            &service_path(service),
            "containers",
            "a task needs at least one container; add one with `.container(Container::new(name, \
             image))`"
                .into(),
        );
        return;
    }
    if !service
        .containers
        .iter()
        .any(|container| container.essential)
    {
        check.error(
            &service_path(service),
            "containers",
            "no container is essential; ECS needs at least one, whose exit stops the task".into(),
        );
    }
    for container in &service.containers {
        let path = container_path(service, container);
        if container.image.trim().is_empty() {
            check.error(
                &path,
                "image",
                "the image is empty; give a repository and tag, e.g. `nginx:1.27`".into(),
            );
        }
        for name in container.environment.keys() {
            if name.is_empty() {
                check.error(
                    &path,
                    "environment",
                    "an environment variable has an empty name".into(),
                );
            }
        }
        check_secrets(check, &path, container);
    }
}

fn check_secrets(check: &mut Checker, path: &[String], container: &Container) {
    for secret in &container.secrets {
        if secret.name.is_empty() {
            check.error(
                path,
                "secrets",
                format!(
                    "the secret from `{}` has an empty variable name",
                    secret.value_from
                ),
            );
        }
        if !SECRET_ARN_PREFIXES
            .iter()
            .any(|prefix| secret.value_from.starts_with(prefix))
        {
            check.error(
                path,
                &format!("secrets.{}", secret.name),
                format!(
                    "`{}` is not an SSM parameter or Secrets Manager ARN; it must start with \
                     `arn:aws:ssm:` or `arn:aws:secretsmanager:` (the execution role is granted \
                     read access by these prefixes)",
                    secret.value_from
                ),
            );
        }
    }
}

/// CPU and memory the containers reserve must fit the task: ECS refuses the task definition
/// otherwise. A container's reservation is its `memory_reservation`, else its hard `memory`.
fn check_reservations(check: &mut Checker, service: &Service) {
    let size = service.task_size;
    for container in &service.containers {
        let path = container_path(service, container);
        if let (Some(reservation), Some(limit)) = (container.memory_reservation, container.memory) {
            if reservation > limit {
                check.error(
                    &path,
                    "memory_reservation",
                    format!(
                        "{reservation} MiB is more than the container's hard limit `memory` \
                         ({limit} MiB); the reservation must not exceed the limit"
                    ),
                );
            }
        }
        if let Some(limit) = container.memory.filter(|limit| *limit > size.memory) {
            check.error(
                &path,
                "memory",
                format!(
                    "{limit} MiB is more than the task's {} MiB; lower it or raise \
                     `task_size.memory`",
                    size.memory
                ),
            );
        }
    }
    let cpu: Vec<(&str, u32)> = service
        .containers
        .iter()
        .filter(|c| c.cpu > 0)
        .map(|c| (c.name.as_str(), c.cpu))
        .collect();
    let total_cpu: u32 = cpu.iter().map(|(_, units)| units).sum();
    if total_cpu > size.cpu {
        check.error(
            &service_path(service),
            "containers.cpu",
            format!(
                "containers reserve {total_cpu} CPU units ({}), more than the task's {}; lower \
                 the reservations or raise `task_size.cpu`",
                breakdown(&cpu, ""),
                size.cpu
            ),
        );
    }
    let memory: Vec<(&str, u32)> = service
        .containers
        .iter()
        .filter_map(|c| {
            c.memory_reservation
                .or(c.memory)
                .map(|mib| (c.name.as_str(), mib))
        })
        .collect();
    let total_memory: u32 = memory.iter().map(|(_, mib)| mib).sum();
    if total_memory > size.memory {
        check.error(
            &service_path(service),
            "containers.memory_reservation",
            format!(
                "containers reserve {total_memory} MiB ({}), more than the task's {} MiB; lower \
                 the reservations or raise `task_size.memory`",
                breakdown(&memory, " MiB"),
                size.memory
            ),
        );
    }
}

/// "`app` 1024, `sidecar` 512".
fn breakdown(amounts: &[(&str, u32)], unit: &str) -> String {
    amounts
        .iter()
        .map(|(name, amount)| format!("`{name}` {amount}{unit}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Containers of a Fargate task share one network namespace (awsvpc): a port is bound once.
fn check_ports(check: &mut Checker, service: &Service) {
    let mut seen: Vec<(u16, &str, &str)> = Vec::new();
    for container in &service.containers {
        let path = container_path(service, container);
        for port in &container.ports {
            if port.container_port == 0 {
                check.error(
                    &path,
                    "ports",
                    "0 is not a container port; allowed: 1 to 65535".into(),
                );
                continue;
            }
            let protocol = port.protocol.name();
            match seen
                .iter()
                .find(|(number, proto, _)| *number == port.container_port && *proto == protocol)
            {
                Some((_, _, owner)) if *owner == container.name => check.error(
                    &path,
                    "ports",
                    format!(
                        "{}/{protocol} is listed twice; list each port once",
                        port.container_port
                    ),
                ),
                Some((_, _, owner)) => check.error(
                    &path,
                    "ports",
                    format!(
                        "{}/{protocol} is also a port of container `{owner}`; containers of a \
                         task share its network, so each port can be bound once",
                        port.container_port
                    ),
                ),
                None => seen.push((port.container_port, protocol, &container.name)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{
        Backend, BlueGreen, Container, Listener, LoadBalancer, Service, Stack, TargetHealthCheck,
        TaskSize, Traffic,
    };

    /// `service` deployed blue/green behind an internal ALB that sends to `app:8080`.
    fn stack_with(service: Service) -> Stack {
        let mut stack = Stack::new("test", "eu-west-1");
        stack.backend(Backend::Local);
        let lb = stack
            .add_load_balancer(LoadBalancer::application("web", Listener::http(80)).internal());
        let app = Container::new("app", "nginx").port(8080);
        let traffic = Traffic::listeners(lb, app.target(8080), TargetHealthCheck::http("/"));
        stack.add_service(service.blue_green(BlueGreen::new(traffic)));
        stack
    }

    fn service(cpu: u32, memory: u32) -> Service {
        Service::new("web", TaskSize { cpu, memory })
            .container(Container::new("app", "nginx").port(8080))
    }

    fn messages(stack: &Stack) -> Vec<String> {
        stack.validate().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_valid_service_has_no_diagnostics() {
        assert_eq!(
            messages(&stack_with(service(256, 512))),
            Vec::<String>::new()
        );
    }

    #[test]
    fn fargate_cpu_must_be_offered() {
        assert_eq!(
            messages(&stack_with(service(300, 512))),
            [
                "error: stack `test` › service `web` › `task_size.cpu`: 300 is not a Fargate CPU \
              size; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384"
            ]
        );
    }

    #[test]
    fn fargate_memory_must_match_cpu() {
        assert_eq!(
            messages(&stack_with(service(1024, 1024))),
            ["error: stack `test` › service `web` › `task_size.memory`: 1024 MiB is not offered \
              with 1024 CPU units on Fargate; allowed: 2048 to 8192 in steps of 1024"]
        );
        assert!(messages(&stack_with(service(256, 2048))).is_empty());
        assert!(!messages(&stack_with(service(8192, 18432))).is_empty());
    }
}
