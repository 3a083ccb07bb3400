//! Which service each block of the graph belongs to, or whether the stack has it once for all
//! of them (shared: the cluster and its capacity, the load balancers, the log key).
//!
//! Read from the references alone, with two tables of resource types: what a service is
//! ([`SERVICE_TYPE`]) and what a stack has once whatever its services are ([`SHARED_TYPES`]:
//! without it, in a stack of one service the cluster would be that service's). Then:
//!
//! 1. shared: the blocks of a shared type and everything they reference, transitively (a load
//!    balancer's security group, an Auto Scaling group's launch template);
//! 2. a service's: what its `aws_ecs_service` block references, transitively, up to a shared
//!    block (task definition, roles, log group, target group); referenced by two services:
//!    shared;
//! 3. then, round by round until nothing changes, a block joins the one service among the
//!    blocks it references or is referenced by: a listener rule forwarding to the service's
//!    target group, its deployment group, alarms and scaling policies; a block next to blocks
//!    of two services is shared. Then the same with `depends_on` entries too (a log group
//!    the service waits for, that nothing references by address);
//! 4. what is left touches shared blocks only (an HTTP redirect listener, the cluster's
//!    capacity provider association) and is shared.
//!
//! Rounds look at the previous round's result only, so the outcome does not depend on the
//! order of the blocks.

use super::{EdgeKind, Link, Node};

/// The block type that makes a group of its own.
pub(super) const SERVICE_TYPE: &str = "aws_ecs_service";

/// Types a stack has once for all its services.
pub(super) const SHARED_TYPES: &[&str] = &[
    "aws_ecs_cluster",
    "aws_ecs_cluster_capacity_providers",
    "aws_ecs_capacity_provider",
    "aws_autoscaling_group",
    "aws_launch_template",
    "aws_lb",
    "aws_elb",
    "aws_kms_key",
    "aws_service_discovery_private_dns_namespace",
    "aws_iam_service_linked_role",
];

/// Where a block belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Group {
    Shared,
    /// Index into [`Grouping::services`].
    Service(usize),
}

pub(super) struct Grouping {
    /// Each service's name (its `name` argument, else its label) and node, in document order.
    pub services: Vec<(String, usize)>,
    /// Per node.
    pub of: Vec<Group>,
}

fn type_of(address: &str) -> &str {
    let rest = address.strip_prefix("data.").unwrap_or(address);
    rest.split('.').next().unwrap_or(rest)
}

pub(super) fn group(nodes: &[Node], links: &[Link]) -> Grouping {
    let services: Vec<(String, usize)> = nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| {
            !node.address.starts_with("data.") && type_of(&node.address) == SERVICE_TYPE
        })
        .map(|(index, node)| (node.name.clone(), index))
        .collect();
    let mut of: Vec<Option<Group>> = vec![None; nodes.len()];
    for (index, node) in nodes.iter().enumerate() {
        if SHARED_TYPES.contains(&type_of(&node.address)) {
            of[index] = Some(Group::Shared);
        }
    }
    for (service, &(_, node)) in services.iter().enumerate() {
        of[node] = Some(Group::Service(service));
    }
    // What each block references; its neighbours either way, through references, and through
    // any link.
    let mut references: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut referring: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut linked: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for link in links {
        if link.kind == EdgeKind::Reference {
            references[link.referrer].push(link.referenced);
            referring[link.referrer].push(link.referenced);
            referring[link.referenced].push(link.referrer);
        }
        linked[link.referrer].push(link.referenced);
        linked[link.referenced].push(link.referrer);
    }
    // 1. What shared blocks reference is shared.
    let mut stack: Vec<usize> = (0..nodes.len())
        .filter(|&n| of[n] == Some(Group::Shared))
        .collect();
    while let Some(node) = stack.pop() {
        for &referenced in &references[node] {
            if of[referenced].is_none() {
                of[referenced] = Some(Group::Shared);
                stack.push(referenced);
            }
        }
    }
    // 2. What a service references, up to shared blocks and other services.
    let mut owners: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (service, &(_, start)) in services.iter().enumerate() {
        let mut seen = vec![false; nodes.len()];
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            for &referenced in &references[node] {
                if of[referenced].is_none() && !seen[referenced] {
                    seen[referenced] = true;
                    owners[referenced].push(service);
                    stack.push(referenced);
                }
            }
        }
    }
    for (node, owners) in owners.iter().enumerate() {
        match owners.as_slice() {
            [] => {}
            [one] => of[node] = Some(Group::Service(*one)),
            _ => of[node] = Some(Group::Shared),
        }
    }
    // 3. Rounds: the one service among a block's neighbours, by reference, then by any link.
    join_neighbours(&mut of, &referring);
    join_neighbours(&mut of, &linked);
    // 4. The rest touches shared blocks only.
    Grouping {
        services,
        of: of
            .into_iter()
            .map(|group| group.unwrap_or(Group::Shared))
            .collect(),
    }
}

/// Round by round until nothing changes, each block of no group joins the one service among
/// its `neighbours`, or is shared when they hold two; a round reads the previous one's result.
fn join_neighbours(of: &mut Vec<Option<Group>>, neighbours: &[Vec<usize>]) {
    loop {
        let mut next = of.clone();
        for node in (0..of.len()).filter(|&n| of[n].is_none()) {
            let mut near: Vec<usize> = neighbours[node]
                .iter()
                .filter_map(|&neighbour| match of[neighbour] {
                    Some(Group::Service(service)) => Some(service),
                    _ => None,
                })
                .collect();
            near.sort_unstable();
            near.dedup();
            match near.as_slice() {
                [] => {}
                [one] => next[node] = Some(Group::Service(*one)),
                _ => next[node] = Some(Group::Shared),
            }
        }
        if next == *of {
            return;
        }
        *of = next;
    }
}
