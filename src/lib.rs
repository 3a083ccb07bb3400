//! ecsynth: typed ECS blue/green stacks → deterministic Terraform JSON.
//!
//! Layers, each depending only on those before it:
//! [`tf`] (generic Terraform JSON) ← [`aws`] (typed provider resources) ← [`model`] (what a
//! platform engineer describes) ← [`lower`] (model → resources) ← [`synth`] and [`drift`] ← [`cli`].
//! Stack definitions live outside the library, in `stacks/`, and use only [`model`] and
//! [`registry`].

pub mod aws;
pub mod cli;
pub mod drift;
pub mod lower;
pub mod model;
pub mod registry;
pub mod synth;
pub mod tf;
