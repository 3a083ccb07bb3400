//! ecsynth: typed ECS blue/green stacks → deterministic Terraform JSON.
//!
//! Layers, each depending only on those before it:
//! [`tf`] (generic Terraform JSON) ← [`aws`] (typed provider resources) ← [`model`] (what a
//! platform engineer describes) ← [`lower`] (model → resources) ← [`synth`] and [`lock`]
//! (the address lock: `moved`, `import`, the destroy guard), [`drift`] and
//! [`graph`] (the latter two read the written JSON back through [`review`]) ← `deploy` (feature
//! `deploy`: synthesizes in memory and talks to AWS) and [`try_it`] (synth, then Terraform on
//! the local emulator) ← [`cli`].
//! Stack definitions live outside the library, in `stacks/`, and use only [`model`] and
//! [`registry`].

pub mod aws;
pub mod cli;
/// `ecsynth deploy`, `status`, `rollback`: only with the `deploy` feature (the AWS SDK).
#[cfg(feature = "deploy")]
pub mod deploy;
pub mod drift;
pub mod graph;
pub mod lock;
pub mod lower;
pub mod model;
pub mod registry;
pub mod review;
pub mod synth;
pub mod tf;
pub mod try_it;
