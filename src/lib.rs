//! ecsynth: typed ECS blue/green stacks → deterministic Terraform JSON.
//!
//! Layers, each depending only on those before it:
//! [`tf`] (generic Terraform JSON) ← [`aws`] (typed provider resources) ← [`model`] (what a
//! platform engineer describes) ← [`lower`] (model → resources) ← [`cli`].

pub mod tf;
