//! Checks a model against AWS's rules before anything is lowered, collecting every problem.
//!
//! Each rule is a small function over one part of the model that reports through a
//! [`Checker`]; a message names the bad value, the rule, and what is allowed or how to fix it.
//! One file per concern:
//!
//! - [`names`]: AWS and Terraform names, checked on the names AWS receives, and names used twice;
//! - `load_balancer`: listeners, protocols, certificates, ports;
//! - `network`: subnets;
//! - `state`: the Terraform backend;
//! - `compute`: capacity providers (instance type against EC2's list, root volume, user data
//!   size); Fargate sizes on Fargate, instance sizes on EC2; volumes;
//! - `rules`: listener rules on a shared ALB;
//! - `discovery`: Cloud Map registration and its DNS names;
//! - `task`: containers, reservations, ports, secrets, logs;
//! - `traffic`: how a load balancer reaches a service, and its health check;
//! - `deployment`: CodeDeploy blue/green settings and lifecycle hooks;
//! - `notifications`: the SNS topic told of deployments;
//! - `scaling`: step scaling and its alarms;
//! - `provider`: the region and the tags every resource gets.
//!
//! Each module also holds the catalogue rows ([`Constraint`]) of the resources it speaks for:
//! every attribute lowering emits, AWS's constraint on it with its source, and whether a rule
//! here checks it, lowering makes it hold by construction, or it is knowingly not checked and
//! why. [`catalogue`] gathers them; a test proves every attribute of every emitted resource
//! has a row.

mod compute;
mod deployment;
mod discovery;
mod load_balancer;
pub mod names;
mod network;
mod notifications;
mod provider;
pub(crate) mod rules;
mod scaling;
mod state;
mod task;
mod traffic;

use std::fmt;

pub use provider::{region_partition, KNOWN_REGIONS};

use super::load_balancer::LoadBalancer;
use super::naming::Names;
use super::service::{Container, Service};
use super::stack::Stack;

/// An error refuses the stack; a warning is printed (fatal with `--deny-warnings`).
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

impl Diagnostic {
    /// A problem of the stack as a whole (its name, its registration), not of a part of it.
    pub fn stack_error(stack: &str, field: &str, message: String) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            stack: cut(stack).into_owned(),
            path: Vec::new(),
            field: cut(field).into_owned(),
            message: cut_message(&message).into_owned(),
        }
    }
}

/// Longest name or field shown whole in a message; longer ones are cut.
const SHOWN_NAME: usize = 200;
/// Longest message shown whole (long lists of allowed values fit); longer ones lose their
/// middle, where a quoted user value sits between what the message is about and what is allowed.
const SHOWN_MESSAGE: usize = 1200;

/// A user value as an error shows it: whole up to 200 characters, otherwise its start and
/// how long it is, so a 10 MB value gives a one-line error. Every error that quotes user text
/// goes through here ([`Checker`], [`Diagnostic::stack_error`], descriptor errors, synth
/// errors naming a stack).
pub fn cut(text: &str) -> std::borrow::Cow<'_, str> {
    cut_to(text, SHOWN_NAME, SHOWN_NAME, 0)
}

/// A whole message: its start and its end (what is allowed, the fix) when it is too long.
pub fn cut_message(text: &str) -> std::borrow::Cow<'_, str> {
    cut_to(text, SHOWN_MESSAGE, SHOWN_MESSAGE / 2, SHOWN_MESSAGE / 3)
}

/// `text` when at most `max` characters; otherwise its first `head` and last `tail`
/// characters around a note of how many were left out.
fn cut_to(text: &str, max: usize, head: usize, tail: usize) -> std::borrow::Cow<'_, str> {
    let length = text.chars().count();
    if length <= max {
        return text.into();
    }
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(length - tail).collect();
    format!(
        "{start}… ({} of {length} characters not shown) …{end}",
        length - head - tail
    )
    .into()
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
    pub(crate) fn new(stack: &'a str) -> Checker<'a> {
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
            stack: cut(self.stack).into_owned(),
            path: path
                .iter()
                // Keep the segment's closing backtick: ``service `aaa… (…) …` ``.
                .map(|segment| cut_to(segment, SHOWN_NAME, SHOWN_NAME - 1, 1).into_owned())
                .collect(),
            field: cut(field).into_owned(),
            message: cut_message(&message).into_owned(),
        });
    }
}

/// One row of the catalogue: an attribute lowering emits and AWS's constraint on it.
#[derive(Clone, Copy, Debug)]
pub struct Constraint {
    /// Terraform resource type (`aws_lb_target_group`), or `provider.aws`.
    pub resource: &'static str,
    /// The attribute as emitted (`deregistration_delay`); nested values after a `.`
    /// (`container_definitions.image`).
    pub attribute: &'static str,
    /// AWS's rule: type, range, length, pattern or enum.
    pub rule: &'static str,
    /// Where the rule comes from: the API reference, the provider's own validation, a quota.
    pub source: &'static str,
    pub coverage: Coverage,
}

/// How the catalogue covers a constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// Checked by validation; the model field a message names.
    Checked(&'static str),
    /// Lowering writes a constant, a reference, or a value made only from checked ones.
    ByConstruction(&'static str),
    /// Knowingly not checked, and why.
    NotChecked(&'static str),
}

/// A catalogue row; `const` so each module's table is a `const` slice.
pub(crate) const fn row(
    resource: &'static str,
    attribute: &'static str,
    rule: &'static str,
    source: &'static str,
    coverage: Coverage,
) -> Constraint {
    Constraint {
        resource,
        attribute,
        rule,
        source,
        coverage,
    }
}

/// Every row of every module's table, resource by resource.
pub fn catalogue() -> Vec<&'static Constraint> {
    [
        provider::CATALOGUE,
        names::CATALOGUE,
        network::CATALOGUE,
        compute::CATALOGUE,
        load_balancer::CATALOGUE,
        rules::CATALOGUE,
        traffic::CATALOGUE,
        task::CATALOGUE,
        deployment::CATALOGUE,
        notifications::CATALOGUE,
        discovery::CATALOGUE,
        scaling::CATALOGUE,
        state::CATALOGUE,
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn service_path(service: &Service) -> Vec<String> {
    vec![format!("service `{}`", service.name)]
}

fn container_path(service: &Service, container: &Container) -> Vec<String> {
    vec![
        format!("service `{}`", service.name),
        format!("container `{}`", container.name),
    ]
}

fn load_balancer_path(load_balancer: &LoadBalancer) -> Vec<String> {
    vec![format!("load balancer `{}`", load_balancer.name)]
}

/// `a, b, c` with each item in backticks.
fn quoted_list<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `a, b, c` without quotes.
fn plain_list<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stack validation accepted: the stack, its naming table and its warnings. Only
/// [`Stack::validated`] makes one, and lowering ([`crate::lower::lower`]) takes nothing else.
pub struct Validated<'a> {
    stack: &'a Stack,
    names: Names,
    warnings: Vec<Diagnostic>,
}

impl<'a> Validated<'a> {
    pub fn stack(&self) -> &'a Stack {
        self.stack
    }

    /// The warnings validation found (a validated stack has no errors).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Every AWS name and Terraform label of the stack, as validation checked them.
    pub(crate) fn names(&self) -> &Names {
        &self.names
    }

    /// Every AWS name the stack's naming table holds, which lowering takes its names from
    /// (a superset: the rollback alarm of every metric, the tasks' own security group, which
    /// only some load balancers and network modes make).
    pub fn aws_names(&self) -> Vec<&str> {
        self.names.aws_names()
    }
}

impl Stack {
    /// Every problem of this stack, errors first in model order, then warnings.
    pub fn validate(&self) -> Vec<Diagnostic> {
        self.check(&Names::of(self))
    }

    /// The stack ready to lower, with its warnings; every problem when it has an error.
    pub fn validated(&self) -> Result<Validated<'_>, Vec<Diagnostic>> {
        let names = Names::of(self);
        let diagnostics = self.check(&names);
        if diagnostics
            .iter()
            .any(|diagnostic| diagnostic.severity == Severity::Error)
        {
            return Err(diagnostics);
        }
        Ok(Validated {
            stack: self,
            names,
            warnings: diagnostics,
        })
    }

    fn check(&self, names: &Names) -> Vec<Diagnostic> {
        let mut check = Checker::new(&self.name);
        for error in &self.undescribed {
            check.error(&[], "services", error.to_string());
        }
        provider::check(&mut check, self);
        names::check_stack(&mut check, self, names);
        check_overrides(&mut check, self);
        network::check(&mut check, self);
        state::check(&mut check, self);
        state::check_log_key(&mut check, self);
        discovery::check_namespace(&mut check, self);
        for capacity in self.capacity_providers() {
            compute::check_capacity(&mut check, self, capacity);
        }
        for load_balancer in self.load_balancers() {
            load_balancer::check(&mut check, &self.region, load_balancer);
        }
        for load_balancer in self.classic_load_balancers() {
            load_balancer::check_classic(&mut check, &self.region, load_balancer);
        }
        for (service, named) in self.services().iter().zip(&names.services) {
            compute::check_service(&mut check, self, service, named);
            discovery::check_service(&mut check, service);
            task::check(&mut check, service);
            traffic::check(&mut check, self, service);
            deployment::check(&mut check, self, service);
            notifications::check(&mut check, self, service);
            scaling::check(&mut check, service);
        }
        let mut diagnostics = check.diagnostics;
        // Stable: model order is kept within each severity.
        diagnostics.sort_by_key(|diagnostic| diagnostic.severity);
        diagnostics
    }
}

/// A Terraform identifier: a letter or `_`, then letters, digits, `_` and `-`.
fn is_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The escape hatch names blocks and attributes; they are written as JSON keys where Terraform
/// reads no template, so only identifiers are taken (the values are escaped like any literal).
fn check_overrides(check: &mut Checker, stack: &Stack) {
    for o in stack.overrides() {
        let parts: Vec<&str> = o.address.split('.').collect();
        let address_ok = match parts.as_slice() {
            ["data", kind, label] | [kind, label] => is_identifier(kind) && is_identifier(label),
            _ => false,
        };
        if !address_ok {
            check.error(
                &[],
                "overrides",
                format!(
                    "`{}` is not a block address: `<type>.<label>` or `data.<type>.<label>`, \
                     each a Terraform identifier (A-Z, a-z, 0-9, `_`, `-`, not starting with a \
                     digit or `-`)",
                    o.address.escape_debug()
                ),
            );
        }
        if !is_identifier(&o.attribute) {
            check.error(
                &[],
                "overrides",
                format!(
                    "`{}` of `{}` is not an attribute name: a Terraform identifier (A-Z, a-z, \
                     0-9, `_`, `-`, not starting with a digit or `-`)",
                    o.attribute.escape_debug(),
                    o.address.escape_debug()
                ),
            );
        }
    }
}

/// Problems across stacks and within each, for everything one run synthesizes.
pub fn validate_all<'s>(stacks: impl IntoIterator<Item = &'s Stack>) -> Vec<Diagnostic> {
    stacks.into_iter().flat_map(Stack::validate).collect()
}

/// The first problem of every stack name registered more than once, in the diagnostic style:
/// ``error: stack `dev` › `name`: registered 2 times; …``.
pub fn duplicate_stack_names<'n>(names: impl IntoIterator<Item = &'n str>) -> Vec<Diagnostic> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for name in names {
        match counts.iter_mut().find(|(seen, _)| *seen == name) {
            Some((_, count)) => *count += 1,
            None => counts.push((name, 1)),
        }
    }
    counts
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(name, count)| {
            Diagnostic::stack_error(
                name,
                "name",
                format!(
                    "registered {count} times; stack names must be unique, they prefix every \
                     AWS name and output directory"
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_user_value_gives_a_short_error() {
        let huge = "x".repeat(10 * 1024 * 1024);
        let mut check = Checker::new(&huge);
        check.error(
            &[format!("service `{huge}`")],
            &format!("environment.{huge}"),
            format!("`{huge}` is wrong; allowed: A-Z"),
        );
        let line = check.diagnostics[0].to_string();
        assert!(line.len() < 2000, "{} bytes", line.len());
        assert!(line.ends_with("xxx` is wrong; allowed: A-Z"), "{line}");
        assert!(line.contains("characters not shown) …"), "{line}");
        assert_eq!(cut("short"), "short");
    }

    #[test]
    fn duplicate_stack_names_are_counted_and_reported_once() {
        let messages: Vec<String> = duplicate_stack_names(["dev", "prod", "dev", "dev", "qa"])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            messages,
            ["error: stack `dev` › `name`: registered 3 times; stack names must be unique, they \
              prefix every AWS name and output directory"]
        );
    }
}
