//! Service discovery through AWS Cloud Map: one private DNS namespace per cluster, one
//! discovery service per discoverable service, which ECS keeps filled with the healthy tasks.

use super::Context;
use crate::aws::{
    DnsConfig, DnsRecord, HealthCheckCustomConfig, SecurityGroup,
    ServiceDiscoveryPrivateDnsNamespace, ServiceDiscoveryService, ServiceRegistries, Tags,
    VpcSecurityGroupIngressRule,
};
use crate::model::naming::ServiceNames;
use crate::model::{NetworkMode, Service};
use crate::tf::Ref;

/// Seconds resolvers cache an answer: short, so a replaced task leaves the answers quickly.
const RECORD_TTL: u32 = 10;

pub fn lower_namespace(context: &mut Context) {
    let stack = context.stack;
    if !stack.services().iter().any(|service| service.discoverable) {
        return;
    }
    let name = stack.cluster.namespace();
    let namespace = context.doc.add(
        "main",
        ServiceDiscoveryPrivateDnsNamespace {
            name: (&name).into(),
            description: format!(
                "Services of cluster {} find each other here",
                stack.cluster.name
            )
            .into(),
            vpc: context.vpc_id.clone(),
            tags: Tags::new(),
        },
    );
    context.namespace = Some(namespace);
}

/// The ECS service's `service_registries`, after adding its discovery service.
pub fn lower_service(
    context: &mut Context,
    service: &Service,
    names: &ServiceNames,
) -> Option<ServiceRegistries> {
    if !service.discoverable {
        return None;
    }
    let namespace = context
        .namespace
        .clone()
        .expect("lowering adds the namespace when a service is discoverable");
    // awsvpc tasks have addresses of their own (A records); bridge and host tasks share the
    // instance's, so clients need the port too (SRV records naming container and port).
    let srv_target = match service.compute.network_mode() {
        NetworkMode::Awsvpc => None,
        NetworkMode::Bridge | NetworkMode::Host => service.discovery_port(),
    };
    let record_type = if srv_target.is_some() { "SRV" } else { "A" };
    let registry = context.doc.add(
        &names.label,
        ServiceDiscoveryService {
            name: (&service.name).into(),
            description: format!("Tasks of service {}", service.name).into(),
            dns_config: DnsConfig {
                namespace_id: namespace.id(),
                routing_policy: "MULTIVALUE".into(),
                dns_records: vec![DnsRecord {
                    ttl: RECORD_TTL,
                    record_type: record_type.into(),
                }],
            },
            health_check_custom_config: HealthCheckCustomConfig {
                failure_threshold: 1,
            },
            tags: Tags::new(),
        },
    );
    Some(ServiceRegistries {
        registry_arn: registry.arn(),
        container_name: srv_target.map(|(container, _)| container.to_owned().into()),
        container_port: srv_target.map(|(_, port)| port),
    })
}

/// Lets every other awsvpc service of the stack reach each discoverable awsvpc service on its
/// port: what Cloud Map names, the security groups allow. Added after all services, because
/// any of them may come before the service it calls.
pub fn lower_access(
    context: &mut Context,
    services: &[(&Service, &ServiceNames, Option<Ref<SecurityGroup>>)],
) {
    for (service, names, group) in services {
        let (Some(group), Some((_, port))) = (group, service.discovery_port()) else {
            continue;
        };
        if !service.discoverable {
            continue;
        }
        // The rules open the called service's group: they are that service's.
        context.owned_by(Some((&names.part, &names.label)));
        for (caller, caller_names, caller_group) in services {
            let Some(caller_group) = caller_group else {
                continue;
            };
            if std::ptr::eq(*caller, *service) {
                continue;
            }
            context.doc.add(
                &format!("{}_to_{}", caller_names.label, names.label),
                VpcSecurityGroupIngressRule {
                    security_group_id: group.id(),
                    description: format!(
                        "Service {} calls {} found through Cloud Map",
                        caller.name, service.name
                    )
                    .into(),
                    ip_protocol: "tcp".into(),
                    from_port: Some(port),
                    to_port: Some(port),
                    cidr_ipv4: None,
                    referenced_security_group_id: Some(caller_group.id()),
                },
            );
        }
    }
    context.owned_by(None);
}
