//! Checks a model against AWS's rules before anything is lowered, collecting every problem.
//!
//! Each rule is a small function over one part of the model that reports through a
//! [`Checker`]; a message names the bad value, the rule, and what is allowed or how to fix it.

use std::fmt;

use super::load_balancer::LoadBalancer;
use super::service::Service;
use super::stack::Stack;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    /// Legal but usually wrong; fatal with `--deny-warnings`.
    Warning,
}

/// One problem, located as stack › part of the model › field.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub stack: String,
    /// e.g. ``["service `web`", "container `app`"]``; empty for the stack itself.
    pub path: Vec<String>,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}: stack `{}`", self.stack)?;
        for segment in &self.path {
            write!(f, " › {segment}")?;
        }
        write!(f, " › `{}`: {}", self.field, self.message)
    }
}

/// Collects the diagnostics of one stack.
pub struct Checker<'a> {
    stack: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    fn new(stack: &'a str) -> Checker<'a> {
        Checker {
            stack,
            diagnostics: Vec::new(),
        }
    }

    pub fn error(&mut self, path: &[String], field: &str, message: String) {
        self.report(Severity::Error, path, field, message);
    }

    pub fn warning(&mut self, path: &[String], field: &str, message: String) {
        self.report(Severity::Warning, path, field, message);
    }

    fn report(&mut self, severity: Severity, path: &[String], field: &str, message: String) {
        self.diagnostics.push(Diagnostic {
            severity,
            stack: self.stack.into(),
            path: path.to_vec(),
            field: field.into(),
            message,
        });
    }
}

fn service_path(service: &Service) -> Vec<String> {
    vec![format!("service `{}`", service.name)]
}

fn load_balancer_path(load_balancer: &LoadBalancer) -> Vec<String> {
    vec![format!("load balancer `{}`", load_balancer.name)]
}

impl Stack {
    /// Every problem of this stack, errors first in model order, then warnings.
    pub fn validate(&self) -> Vec<Diagnostic> {
        let mut check = Checker::new(&self.name);
        for load_balancer in self.load_balancers() {
            check_load_balancer(&mut check, load_balancer);
        }
        for service in self.services() {
            check_task_size(&mut check, service);
            check_traffic(&mut check, self, service);
        }
        let mut diagnostics = check.diagnostics;
        diagnostics.sort_by_key(|diagnostic| diagnostic.severity);
        diagnostics
    }
}

/// Problems across stacks and within each, for everything one run synthesizes.
pub fn validate_all<'s>(stacks: impl IntoIterator<Item = &'s Stack>) -> Vec<Diagnostic> {
    stacks.into_iter().flat_map(Stack::validate).collect()
}

fn check_load_balancer(check: &mut Checker, load_balancer: &LoadBalancer) {
    if let Some(test) = &load_balancer.test_listener {
        if test.port == load_balancer.prod_listener.port {
            check.error(
                &load_balancer_path(load_balancer),
                "test_listener.port",
                format!(
                    "{} is also the prod listener's port; CodeDeploy needs the test listener \
                     on a different port",
                    test.port
                ),
            );
        }
    }
}

/// Fargate CPU units → allowed memory in MiB (first, last, step).
const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

fn check_task_size(check: &mut Checker, service: &Service) {
    let size = service.task_size;
    let Some(&(_, first, last, step)) = FARGATE_SIZES.iter().find(|(cpu, ..)| *cpu == size.cpu)
    else {
        let allowed: Vec<String> = FARGATE_SIZES.iter().map(|s| s.0.to_string()).collect();
        check.error(
            &service_path(service),
            "task_size.cpu",
            format!(
                "{} is not a Fargate CPU size; allowed: {}",
                size.cpu,
                allowed.join(", ")
            ),
        );
        return;
    };
    // 256 CPU units allow 512, 1024 and 2048 MiB: the step there starts at 512.
    let fits = (first..=last).contains(&size.memory) && (size.memory - first).is_multiple_of(step);
    if !fits {
        check.error(
            &service_path(service),
            "task_size.memory",
            format!(
                "{} MiB is not offered with {} CPU units on Fargate; allowed: {first} to {last} \
                 in steps of {step}",
                size.memory, size.cpu
            ),
        );
    }
}

fn check_traffic(check: &mut Checker, stack: &Stack, service: &Service) {
    let path = service_path(service);
    let Some(traffic) = &service.traffic else {
        if service.is_blue_green() {
            check.error(
                &path,
                "deployment",
                "blue/green needs load balancer traffic to shift; add `traffic` or use \
                 `Deployment::Rolling`"
                    .into(),
            );
        }
        return;
    };
    if stack.load_balancer(traffic.load_balancer).is_none() {
        check.error(
            &path,
            "traffic.load_balancer",
            "refers to a load balancer that was not added to this stack".into(),
        );
    } else if let Some(owner) = stack
        .services_behind(traffic.load_balancer)
        .next()
        .filter(|first| first.name != service.name)
    {
        check.error(
            &path,
            "traffic.load_balancer",
            format!(
                "the load balancer's listeners already forward to service `{}`; \
                 give this service a load balancer of its own",
                owner.name
            ),
        );
    }
    let container = service
        .containers
        .iter()
        .find(|container| container.name == traffic.container);
    match container {
        None => {
            let names: Vec<String> = service
                .containers
                .iter()
                .map(|c| format!("`{}`", c.name))
                .collect();
            check.error(
                &path,
                "traffic.container",
                format!(
                    "`{}` is not a container of this service; containers: {}",
                    traffic.container,
                    names.join(", ")
                ),
            );
        }
        Some(container)
            if !container
                .ports
                .iter()
                .any(|port| port.container_port == traffic.container_port) =>
        {
            let ports: Vec<String> = container
                .ports
                .iter()
                .map(|p| p.container_port.to_string())
                .collect();
            check.error(
                &path,
                "traffic.container_port",
                format!(
                    "{} is not a port of container `{}`; its ports: {}",
                    traffic.container_port,
                    container.name,
                    if ports.is_empty() {
                        "none".to_owned()
                    } else {
                        ports.join(", ")
                    }
                ),
            );
        }
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Container, Listener, TargetHealthCheck, TaskSize, Traffic};

    fn stack_with(service: Service) -> Stack {
        let mut stack = Stack::new("test", "eu-west-1");
        let lb = stack.add_load_balancer(LoadBalancer::application("web", Listener::http(80)));
        let service = Service {
            traffic: Some(Traffic::new(lb, "app", 8080, TargetHealthCheck::http("/"))),
            ..service
        };
        stack.add_service(service);
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
