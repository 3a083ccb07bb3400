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
