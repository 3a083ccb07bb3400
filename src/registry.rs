//! The stacks a binary knows, by name, and the AWS names two of them would both create.

use crate::model::validate::names::stack_name_problems;
use crate::model::{Diagnostic, Severity, Stack};
use crate::synth::synthesize;

/// Builds one stack. Stacks are built only when asked for, so `synth prod` builds prod, and
/// only the stacks whose AWS names could collide with its own (`prod-ec2`,
/// [`Registry::aws_name_collisions`]).
pub type StackBuilder = fn() -> Stack;

#[derive(Default)]
pub struct Registry {
    entries: Vec<(&'static str, StackBuilder)>,
    /// Where the stacks' address locks are ([`crate::lock`]); none: synth keeps no lock.
    locks: Option<std::path::PathBuf>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    pub fn register(&mut self, name: &'static str, build: StackBuilder) -> &mut Registry {
        self.entries.push((name, build));
        self
    }

    /// Keeps the stacks' address locks in `dir` (`<dir>/<stack>.json`, committed next to the
    /// stack definitions): `synth` writes them, `synth --check` compares. Without it (the CLI
    /// tests' registries) synth keeps none.
    pub fn with_locks(&mut self, dir: impl Into<std::path::PathBuf>) -> &mut Registry {
        self.locks = Some(dir.into());
        self
    }

    pub fn locks(&self) -> Option<&std::path::Path> {
        self.locks.as_deref()
    }

    /// Registered names in registration order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.iter().map(|(name, _)| *name)
    }

    pub fn get(&self, name: &str) -> Option<StackBuilder> {
        self.entries
            .iter()
            .find(|(registered, _)| *registered == name)
            .map(|(_, build)| *build)
    }

    /// Every problem of every registered name that is not a valid stack name (empty, `..`, a
    /// path, characters AWS names refuse): such a stack is never built nor written, whatever
    /// else it holds, so its output cannot land outside `--out`.
    pub fn name_problems(&self) -> Vec<Diagnostic> {
        self.names().flat_map(stack_name_problems).collect()
    }

    /// Names registered more than once, each reported once.
    pub fn duplicate_names(&self) -> Vec<&'static str> {
        let mut seen = Vec::new();
        let mut duplicates = Vec::new();
        for name in self.names() {
            if seen.contains(&name) {
                if !duplicates.contains(&name) {
                    duplicates.push(name);
                }
            } else {
                seen.push(name);
            }
        }
        duplicates
    }
}

/// Attributes whose value is the name AWS keeps unique in an account: per region, or across
/// the account for IAM. `name_prefix` is no name, and `deployment_group_name`,
/// `policy_name` are unique only inside their parent.
const NAME_ATTRIBUTES: &[&str] = &["name", "alarm_name", "family", "creation_token"];

/// Resource types whose `name` is unique only inside a parent resource that has an AWS name
/// of its own: two stacks collide on the parent first (or not at all).
const NAMED_INSIDE_A_PARENT: &[&str] = &[
    "aws_appautoscaling_policy",
    "aws_ecs_service",
    "aws_iam_role_policy",
    "aws_service_discovery_service",
];

/// A stack and the AWS names its resources receive.
type Named = (Stack, Vec<AwsName>);

/// One AWS name a stack's resource receives.
struct AwsName {
    /// `eu-west-1`, or `global` for IAM.
    scope: String,
    value: String,
    /// `aws_iam_role.name`.
    kind: String,
}

/// The AWS names in a stack's rendered `main.tf.json`: literal values only (a reference or
/// template names nothing yet), each with where AWS keeps it unique.
fn aws_names(stack: &Stack, document: &serde_json::Value) -> Vec<AwsName> {
    let mut names = Vec::new();
    let Some(types) = document["resource"].as_object() else {
        return names;
    };
    for (resource_type, blocks) in types {
        if NAMED_INSIDE_A_PARENT.contains(&resource_type.as_str()) {
            continue;
        }
        let scope = if resource_type.starts_with("aws_iam_") {
            "global".to_owned()
        } else {
            stack.region.clone()
        };
        for body in blocks.as_object().into_iter().flat_map(|b| b.values()) {
            for attribute in NAME_ATTRIBUTES {
                if let Some(value) = body[*attribute].as_str().filter(|v| !v.contains("${")) {
                    names.push(AwsName {
                        scope: scope.clone(),
                        value: value.to_owned(),
                        kind: format!("{resource_type}.{attribute}"),
                    });
                }
            }
        }
    }
    names
}

/// The part of `stack` an AWS name `<stack>-<part>[-<suffix>]` comes from: the model name
/// with the longest match (`service `ec2-web``), or the stack itself.
fn owner(stack: &Stack, name: &str) -> String {
    let rest = name
        .strip_prefix(stack.name.as_str())
        .and_then(|rest| rest.strip_prefix('-'));
    let Some(rest) = rest else {
        return "the stack".to_owned();
    };
    let parts = stack
        .services()
        .iter()
        .map(|s| ("service", s.name.as_str()))
        .chain(
            stack
                .load_balancers()
                .iter()
                .map(|lb| ("load balancer", lb.name.as_str())),
        )
        .chain(
            stack
                .classic_load_balancers()
                .iter()
                .map(|elb| ("classic load balancer", elb.name.as_str())),
        )
        .chain(
            stack
                .capacity_providers()
                .iter()
                .map(|c| ("capacity provider", c.name.as_str())),
        );
    parts
        .filter(|(_, part)| {
            rest == *part
                || rest
                    .strip_prefix(part)
                    .is_some_and(|suffix| suffix.starts_with('-'))
        })
        .max_by_key(|(_, part)| part.len())
        .map_or_else(
            || "the stack".to_owned(),
            |(what, part)| format!("{what} `{part}`"),
        )
}

impl Registry {
    /// AWS names that two registered stacks would both create, where at least one of the
    /// two is in `requested`: one error per pair of colliding parts, naming both stacks,
    /// both parts and every shared name. AWS names join the stack name and model names with
    /// `-`, so `dev` + service `ec2-web` and `dev-ec2` + service `web` both make
    /// `dev-ec2-web-execution`; in one account the second apply fails, or (names AWS does not
    /// keep unique, such as a task definition family) the two stacks overwrite each other.
    ///
    /// Only stacks whose names are such a prefix of another's (`dev`, `dev-ec2`) can collide
    /// this way, so only those are built. A stack that panics or fails validation is left
    /// out here; synthesizing it reports why.
    pub fn aws_name_collisions(&self, requested: &[&str]) -> Vec<Diagnostic> {
        let names: Vec<&'static str> = self.names().collect();
        let related = |a: &str, b: &str| {
            a != b
                && (b.strip_prefix(a).is_some_and(|rest| rest.starts_with('-'))
                    || a.strip_prefix(b).is_some_and(|rest| rest.starts_with('-')))
        };
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                let wanted = requested.contains(a) || requested.contains(b);
                if wanted && related(a, b) {
                    pairs.push((a, b));
                }
            }
        }
        let mut built: Vec<(&str, Option<Named>)> = Vec::new();
        let mut diagnostics = Vec::new();
        for (a, b) in pairs {
            for name in [a, b] {
                if !built.iter().any(|(built, _)| *built == name) {
                    let names = self.get(name).and_then(built_names);
                    built.push((name, names));
                }
            }
            let find = |name: &str| {
                built
                    .iter()
                    .find(|(built, _)| *built == name)
                    .and_then(|(_, names)| names.as_ref())
            };
            let (Some((first, first_names)), Some((second, second_names))) = (find(a), find(b))
            else {
                continue;
            };
            // (owner in first, owner in second) → shared names with their kinds.
            let mut collisions: Vec<((String, String), Vec<String>)> = Vec::new();
            for theirs in second_names {
                // Each kind of resource is a namespace of its own.
                let shared_by_first = first_names.iter().any(|ours| {
                    ours.value == theirs.value
                        && ours.scope == theirs.scope
                        && ours.kind == theirs.kind
                });
                if shared_by_first {
                    let owners = (owner(first, &theirs.value), owner(second, &theirs.value));
                    let shared = format!("`{}` ({})", theirs.value, theirs.kind);
                    match collisions.iter_mut().find(|(o, _)| *o == owners) {
                        Some((_, names)) => names.push(shared),
                        None => collisions.push((owners, vec![shared])),
                    }
                }
            }
            for ((first_owner, second_owner), mut shared) in collisions {
                shared.sort();
                shared.dedup();
                diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    stack: second.name.clone(),
                    path: if second_owner == "the stack" {
                        Vec::new()
                    } else {
                        vec![second_owner.clone()]
                    },
                    field: "name".into(),
                    message: format!(
                        "makes the same AWS names as stack `{}`{}, because AWS names join the \
                         stack and model names with `-`: {}; in one account the second apply \
                         fails or the two stacks take over each other's resources; rename {}, \
                         {} or one of the two stacks",
                        first.name,
                        if first_owner == "the stack" {
                            String::new()
                        } else {
                            format!(" › {first_owner}")
                        },
                        shared.join(", "),
                        of_stack(&first.name, &first_owner),
                        of_stack(&second.name, &second_owner),
                    ),
                });
            }
        }
        diagnostics
    }
}

/// "service `web` of stack `dev`", or "stack `dev`".
fn of_stack(stack: &str, owner: &str) -> String {
    if owner == "the stack" {
        format!("stack `{stack}`")
    } else {
        format!("{owner} of stack `{stack}`")
    }
}

/// Builds and synthesizes one stack for [`Registry::aws_name_collisions`]; `None` when it
/// panics or is invalid.
fn built_names(build: StackBuilder) -> Option<Named> {
    let stack = std::panic::catch_unwind(build).ok()?;
    let bytes = synthesize(&stack).0?.render().ok()?;
    let document: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let names = aws_names(&stack, &document);
    Some((stack, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Stack {
        Stack::new("unused", "eu-west-1")
    }

    #[test]
    fn a_registered_name_that_is_no_stack_name_is_reported() {
        let mut registry = Registry::new();
        registry
            .register("prod", empty)
            .register("..", empty)
            .register("", empty);
        let messages: Vec<String> = registry
            .name_problems()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            messages,
            [
                "error: stack `..` › `name`: stack name `..` contains `.`; stack names allow \
                 only A-Z, a-z, 0-9, `-` and `_`; rename the stack name `..`",
                "error: stack `` › `name`: stack name is empty; it needs 1 to 64 characters",
            ]
        );
    }
}
