//! What a stack's resources are, independent of their Terraform labels.
//!
//! Every emitted resource belongs to a [`Part`] of the stack (a service, a load balancer, a
//! capacity provider, or the stack itself); its identity is the part, the resource type and
//! its role in the part (`service `web` › aws_lb_target_group blue`, see
//! [`crate::tf::Identified`]). The naming table gives each part its [`Part`] next to its
//! labels, so a part renamed in Rust whose AWS names are pinned keeps its identity, and a
//! change of how labels are built never changes one. The address lock (`stacks/locks/`) maps
//! identities to addresses; see README, "Renaming and upgrading safely".

use std::fmt;

/// A part of a stack that owns resources, keyed by what AWS knows it as.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Part {
    kind: PartKind,
    /// The model name its AWS names are built from.
    key: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PartKind {
    Service,
    LoadBalancer,
    ClassicLoadBalancer,
    CapacityProvider,
}

impl Part {
    pub fn new(kind: PartKind, key: &str) -> Part {
        Part {
            kind,
            key: key.into(),
        }
    }

    pub fn kind(&self) -> PartKind {
        self.kind
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            PartKind::Service => "service",
            PartKind::LoadBalancer => "load balancer",
            PartKind::ClassicLoadBalancer => "classic load balancer",
            PartKind::CapacityProvider => "capacity provider",
        };
        write!(f, "{kind} `{}`", self.key)
    }
}

/// Roles lowering renamed, `(resource type, old role, new role)`: a role is the label's part
/// after its owner's base (`blue` of `web_blue`), so a change of lowering that renames one
/// (`tasks` → `task_sg`) would read as a resource destroyed and another created. An entry here
/// makes the address lock follow it with a `moved` block instead; `tests/address_lock.rs`
/// fails until there is one (or the locks are regenerated knowingly). Keep entries as long as
/// `moved` blocks ([`crate::lock::MOVED_KEPT_RELEASES`] releases).
pub const RENAMED_ROLES: &[(&str, &str, &str)] = &[];

/// The identity `identity` has under `renamed` roles, when one of them applies.
pub fn renamed_identity(identity: &str, renamed: &[(&str, &str, &str)]) -> Option<String> {
    let (part, rest) = identity.split_once(" › ")?;
    let (type_name, role) = rest.split_once(' ').unwrap_or((rest, ""));
    renamed
        .iter()
        .find(|(renamed_type, old, _)| *renamed_type == type_name && *old == role)
        .map(|(_, _, new)| {
            if new.is_empty() {
                format!("{part} › {type_name}")
            } else {
                format!("{part} › {type_name} {new}")
            }
        })
}

/// A removal the stack allows: the resource with `identity` may be destroyed, for `reason`.
/// Needed for a stateful resource (one holding data: a file system, a log group, a key),
/// which synth otherwise refuses to drop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    pub identity: String,
    pub reason: String,
}

/// An existing AWS object the stack adopts: the resource with `identity` is imported from
/// `id` (a log group name, a load balancer ARN, a cluster name: what the provider's import
/// takes) instead of being created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adoption {
    pub identity: String,
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_role_gives_the_new_identity_in_its_part() {
        let renamed = [
            ("aws_security_group", "tasks", "task_sg"),
            ("aws_ecs_service", "", "main"),
        ];
        assert_eq!(
            renamed_identity("service `web` › aws_security_group tasks", &renamed).as_deref(),
            Some("service `web` › aws_security_group task_sg")
        );
        // A role of nothing: the label was the part's base.
        assert_eq!(
            renamed_identity("service `web` › aws_ecs_service", &renamed).as_deref(),
            Some("service `web` › aws_ecs_service main")
        );
        assert_eq!(
            renamed_identity("service `web` › aws_security_group lb", &renamed),
            None
        );
        assert_eq!(
            Part::new(PartKind::ClassicLoadBalancer, "controller").to_string(),
            "classic load balancer `controller`"
        );
    }
}
