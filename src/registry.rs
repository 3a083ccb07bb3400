//! The stacks a binary knows, by name.

use crate::model::validate::names::stack_name_problems;
use crate::model::{Diagnostic, Stack};

/// Builds one stack. Stacks are built only when asked for, so `synth prod` builds only prod.
pub type StackBuilder = fn() -> Stack;

#[derive(Default)]
pub struct Registry {
    entries: Vec<(&'static str, StackBuilder)>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    pub fn register(&mut self, name: &'static str, build: StackBuilder) -> &mut Registry {
        self.entries.push((name, build));
        self
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
