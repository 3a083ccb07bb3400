//! Service discovery through Cloud Map: which services may register, and the DNS names
//! they register under.

use super::{service_path, Checker};
use crate::model::compute::NetworkMode;
use crate::model::service::Service;
use crate::model::stack::Stack;

/// DNS: a label is 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen.
fn dns_label_problem(label: &str) -> Option<&'static str> {
    if label.is_empty() || label.len() > 63 {
        return Some("a DNS label has 1 to 63 characters");
    }
    if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some("a DNS label allows only A-Z, a-z, 0-9 and `-`");
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Some("a DNS label must not start or end with `-`");
    }
    None
}

pub(super) fn check_namespace(check: &mut Checker, stack: &Stack) {
    if !stack.services().iter().any(|service| service.discoverable) {
        return;
    }
    let namespace = stack.cluster.namespace();
    let problem = if namespace.len() > 253 {
        Some("a DNS name has at most 253 characters")
    } else {
        namespace.split('.').find_map(dns_label_problem)
    };
    if let Some(problem) = problem {
        check.error(
            &[],
            "cluster.discovery_namespace",
            format!("`{namespace}` is not a DNS name: {problem}"),
        );
    }
}

pub(super) fn check_service(check: &mut Checker, service: &Service) {
    if !service.discoverable {
        return;
    }
    let path = service_path(service);
    if service.is_blue_green() {
        check.error(
            &path,
            "discoverable",
            "a blue/green (CODE_DEPLOY) service cannot be discoverable: CodeDeploy shifts only \
             load balancer traffic, so names in Cloud Map would reach the new tasks before the \
             canary and after a rollback, and `service_registries` cannot change outside a \
             deployment; reach it through its load balancer rule, or deploy it rolling (ECS \
             Service Connect needs ECS-native blue/green, provider 6)"
                .into(),
        );
    }
    if let Some(problem) = dns_label_problem(&service.name) {
        check.error(
            &path,
            "name",
            format!(
                "`{}` becomes the DNS name `{}.<namespace>`, but {problem}",
                service.name, service.name
            ),
        );
    }
    let needs_port = service.compute.network_mode() != NetworkMode::Awsvpc;
    if needs_port && service.discovery_port().is_none() {
        check.error(
            &path,
            "discoverable",
            "bridge and host tasks are found through SRV records, which need a container port; \
             add a port to a container"
                .into(),
        );
    }
}
