//! Typed resources of the hashicorp/aws provider.
//!
//! One struct per resource type; field names are the provider's argument names, `Option` where
//! the argument is optional, nested blocks as structs (repeated blocks as `Vec`). No logic lives
//! here: what to set, and why, is decided by [`crate::lower`]. Every string field is a
//! [`crate::tf::Expr`] so that literal text is always escaped and references are always typed.

mod codedeploy;
mod ec2;
mod ecs;
mod efs;
mod elb;
mod iam;
mod monitoring;
mod network;
mod provider;
mod sns;
mod stateful;

pub use codedeploy::*;
pub use ec2::*;
pub use ecs::*;
pub use efs::*;
pub use elb::*;
pub use iam::*;
pub use monitoring::*;
pub use network::*;
pub use provider::*;
pub use sns::*;
pub use stateful::{is_stateful, STATEFUL_TYPES};

/// Declares a struct as a resource type and the attributes other resources may reference.
macro_rules! resource {
    ($ty:ident = $type_name:literal, attributes: [$($attribute:ident),* $(,)?]) => {
        impl crate::tf::Resource for $ty {
            const TYPE: &'static str = $type_name;
        }

        impl crate::tf::Ref<$ty> {
            $(
                pub fn $attribute(&self) -> crate::tf::Expr {
                    self.attr(stringify!($attribute))
                }
            )*
        }
    };
}
pub(crate) use resource;

/// `tags` arguments; most tags come from the provider's `default_tags`.
pub type Tags = indexmap::IndexMap<String, crate::tf::Expr>;
