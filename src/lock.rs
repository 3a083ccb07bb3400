//! The address lock: where each resource of a stack lives in Terraform's state, by identity.
//!
//! Lowering gives every resource an identity that does not depend on its label
//! ([`crate::model::identity`]). The lock, one committed JSON file per stack
//! (`stacks/locks/<stack>.json`), maps identities to addresses. When an identity's address
//! changes (a new labelling rule, a service renamed in Rust with its AWS names pinned), synth
//! records the change in the lock and writes it into the output as a root `moved` block, so
//! `terraform plan` moves the object instead of destroying and recreating it. A `moved`
//! entry stays for [`MOVED_KEPT_RELEASES`] ecsynth releases, then is dropped with a note.
//! An identity that disappears is reported; a stateful one (see [`crate::aws::is_stateful`])
//! is refused unless the stack allows its removal by name. `synth` writes the lock; `synth
//! --check` fails while it is missing or stale. README, "Renaming and upgrading safely".

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::aws::is_stateful;
use crate::model::identity::{renamed_identity, RENAMED_ROLES};
use crate::model::{Diagnostic, Stack};
use crate::tf::{Document, Identified, Moved};

/// Releases of ecsynth (`major.minor`) a `moved` entry stays in the output after the release
/// that recorded it: a state not applied with any of them must be applied with an older
/// ecsynth first, or moved by hand (`terraform state mv`).
pub const MOVED_KEPT_RELEASES: u32 = 3;

/// This ecsynth's release, `major.minor`, which new `moved` entries record.
pub fn current_release() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) => format!("{major}.{minor}"),
        _ => version.to_owned(),
    }
}

/// Releases from `since` to `current` (both `major.minor`); a major counts as 1000 minors.
/// `None` when either cannot be read: such an entry is kept.
fn releases_between(since: &str, current: &str) -> Option<u32> {
    let index = |release: &str| -> Option<u32> {
        let (major, minor) = release.split_once('.')?;
        Some(major.parse::<u32>().ok()? * 1000 + minor.parse::<u32>().ok()?)
    };
    Some(index(current)?.saturating_sub(index(since)?))
}

/// The lock file of one stack.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    #[serde(rename = "//", default)]
    pub comment: String,
    /// Identity → address, sorted by identity.
    pub addresses: BTreeMap<String, String>,
    /// Address changes still written as `moved` blocks, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<MovedEntry>,
}

/// One address change: `identity` was at `from`, is at `to` since release `since`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedEntry {
    pub identity: String,
    pub from: String,
    pub to: String,
    pub since: String,
}

impl Lock {
    /// The text of the file: pretty JSON, keys sorted, a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a lock always serialises");
        text.push('\n');
        text
    }

    pub fn parse(text: &str) -> Result<Lock, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// `<dir>/<stack>.json`.
pub fn lock_path(dir: &Path, stack: &str) -> PathBuf {
    dir.join(format!("{stack}.json"))
}

/// The lock at `path`; `None` when there is no file yet.
pub fn read(path: &Path) -> Result<Option<Lock>, LockError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(LockError {
                path: path.to_owned(),
                message: error.to_string(),
            })
        }
    };
    Lock::parse(&text).map(Some).map_err(|error| LockError {
        path: path.to_owned(),
        message: error.to_string(),
    })
}

/// A lock file that cannot be read.
#[derive(Debug)]
pub struct LockError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read the address lock {}: {}; fix it, or delete it to record the current \
             addresses afresh (without `moved` blocks for changes since)",
            self.path.display(),
            self.message
        )
    }
}

/// A resource of the previous lock that is no longer in the stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed {
    pub identity: String,
    pub address: String,
    /// It holds data.
    pub stateful: bool,
    /// The stack's reason for allowing the removal, when it gave one.
    pub allowed: Option<String>,
}

/// What comparing a stack's resources with its lock found.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// The lock as it must be now.
    pub lock: Lock,
    /// Address changes found by this synth.
    pub moves: Vec<MovedEntry>,
    pub removed: Vec<Removed>,
    /// `moved` entries older than [`MOVED_KEPT_RELEASES`] releases, no longer written.
    pub dropped: Vec<MovedEntry>,
    /// The lock was missing: it records the current addresses.
    pub created: bool,
}

impl Reconciled {
    /// Removals the stack did not allow of resources that hold data: synth refuses them.
    pub fn refusals(&self, stack: &str) -> Vec<Diagnostic> {
        self.removed
            .iter()
            .filter(|removed| removed.stateful && removed.allowed.is_none())
            .map(|removed| {
                Diagnostic::stack_error(
                    stack,
                    "allow_removal",
                    format!(
                        "`{}` ({}) holds data and is no longer in the stack: `terraform apply` \
                         would destroy it. If that is intended, add `stack.allow_removal(\"{}\", \
                         \"<why>\")`; if it was renamed, keep its AWS names (for a service, \
                         `Service::aws_name`)",
                        removed.identity,
                        removed.address,
                        removed.identity.replace('"', "\\\""),
                    ),
                )
            })
            .collect()
    }

    /// What changed, one line each, for the review: moves, removals, dropped entries.
    pub fn notes(&self, stack: &str, lock: &Path) -> Vec<String> {
        let mut notes = Vec::new();
        if self.created {
            notes.push(format!(
                "note: stack `{stack}`: no address lock yet; {} records the current addresses",
                lock.display()
            ));
        }
        for moved in &self.moves {
            notes.push(format!(
                "note: stack `{stack}`: `{}` moved from {} to {}: written as a `moved` block",
                moved.identity, moved.from, moved.to
            ));
        }
        for removed in &self.removed {
            let why = removed
                .allowed
                .as_ref()
                .map(|reason| format!(" (allowed: {reason})"))
                .unwrap_or_default();
            notes.push(format!(
                "note: stack `{stack}`: `{}` ({}) is no longer in the stack: `terraform apply` \
                 destroys it{why}",
                removed.identity, removed.address
            ));
        }
        for dropped in &self.dropped {
            notes.push(format!(
                "note: stack `{stack}`: the `moved` block from {} to {} (since {}) is dropped \
                 after {MOVED_KEPT_RELEASES} releases; a state still at {} needs `terraform \
                 state mv {} {}`",
                dropped.from, dropped.to, dropped.since, dropped.from, dropped.from, dropped.to
            ));
        }
        notes
    }

    /// Writes the lock's `moved` entries into `document` as root `moved` blocks.
    pub fn write_moved(&self, document: &mut Document) {
        for entry in &self.lock.moved {
            document.moved(Moved {
                from: entry.from.clone(),
                to: entry.to.clone(),
            });
        }
    }
}

/// The lock's `//` comment.
fn comment(stack: &str) -> String {
    format!(
        "The Terraform address of every resource of stack `{stack}`, by identity: written by \
         `ecsynth synth`, checked by `synth --check`; commit it. `moved`: address changes, \
         written as `moved` blocks for {MOVED_KEPT_RELEASES} releases. README, \"Renaming and \
         upgrading safely\"."
    )
}

/// Compares the resources `identified` of `stack` with its `previous` lock under ecsynth
/// release `release`: what moved, what is gone, and the lock as it must be now.
pub fn reconcile(
    stack: &Stack,
    identified: &[Identified],
    previous: Option<&Lock>,
    release: &str,
) -> Reconciled {
    reconcile_renaming(stack, identified, previous, release, RENAMED_ROLES)
}

/// [`reconcile`], with `renamed` as the roles lowering renamed.
fn reconcile_renaming(
    stack: &Stack,
    identified: &[Identified],
    previous: Option<&Lock>,
    release: &str,
    renamed: &[(&str, &str, &str)],
) -> Reconciled {
    let addresses: BTreeMap<String, String> = identified
        .iter()
        .map(|resource| (resource.identity.clone(), resource.address.clone()))
        .collect();
    let current: BTreeSet<&str> = addresses.values().map(String::as_str).collect();
    let mut reconciled = Reconciled {
        lock: Lock {
            comment: comment(&stack.name),
            addresses: addresses.clone(),
            moved: Vec::new(),
        },
        created: previous.is_none(),
        ..Reconciled::default()
    };
    let Some(previous) = previous else {
        return reconciled;
    };
    for (identity, old) in &previous.addresses {
        let now = addresses.get_key_value(identity).or_else(|| {
            renamed_identity(identity, renamed)
                .and_then(|identity| addresses.get_key_value(&identity))
        });
        match now {
            // An address another resource took is not moved from: that resource lives there.
            Some((now_identity, new)) if new != old && !current.contains(old.as_str()) => {
                reconciled.moves.push(MovedEntry {
                    identity: now_identity.clone(),
                    from: old.clone(),
                    to: new.clone(),
                    since: release.to_owned(),
                });
            }
            Some(_) => {}
            // Its address still in use: the resource is another part's now, not destroyed.
            None if current.contains(old.as_str()) => {}
            None => reconciled.removed.push(Removed {
                identity: identity.clone(),
                address: old.clone(),
                stateful: is_stateful(old),
                allowed: stack
                    .removals()
                    .iter()
                    .find(|removal| removal.identity == *identity)
                    .map(|removal| removal.reason.clone()),
            }),
        }
    }
    let mut moved: Vec<MovedEntry> = Vec::new();
    for entry in &previous.moved {
        // Moving from an address the configuration declares again is an error in Terraform.
        if current.contains(entry.from.as_str()) {
            continue;
        }
        if releases_between(&entry.since, release).is_some_and(|n| n >= MOVED_KEPT_RELEASES) {
            reconciled.dropped.push(entry.clone());
        } else {
            moved.push(entry.clone());
        }
    }
    moved.extend(reconciled.moves.iter().cloned());
    reconciled.lock.moved = reachable(moved, &current);
    reconciled
}

/// The entries that lead, directly or through later entries, to an address the configuration
/// declares: a chain ending at a removed resource has nothing left to move to.
fn reachable(mut moved: Vec<MovedEntry>, current: &BTreeSet<&str>) -> Vec<MovedEntry> {
    loop {
        let froms: BTreeSet<String> = moved.iter().map(|entry| entry.from.clone()).collect();
        let before = moved.len();
        moved.retain(|entry| current.contains(entry.to.as_str()) || froms.contains(&entry.to));
        if moved.len() == before {
            return moved;
        }
    }
}

/// Writes an `import` block for every object the stack adopts; the problems with its
/// adoptions and allowed removals (an identity the stack does not have, an empty id or
/// reason, one named twice), all of them.
pub fn adopt(stack: &Stack, document: &mut Document) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let identities: Vec<&str> = document
        .identified()
        .iter()
        .map(|resource| resource.identity.as_str())
        .collect();
    let mut imports = Vec::new();
    let mut seen = BTreeSet::new();
    for adoption in stack.adoptions() {
        let found = document
            .identified()
            .iter()
            .find(|resource| resource.identity == adoption.identity);
        match found {
            None => problems.push(Diagnostic::stack_error(
                &stack.name,
                "adopt",
                unknown_identity(&adoption.identity, &identities),
            )),
            Some(resource) if resource.for_each => problems.push(Diagnostic::stack_error(
                &stack.name,
                "adopt",
                format!(
                    "`{}` ({}) is one resource per element (`for_each`): an `import` block \
                     names one instance; import each with `terraform import '{}[\"<key>\"]' \
                     <id>` instead",
                    adoption.identity, resource.address, resource.address
                ),
            )),
            Some(_) if adoption.id.trim().is_empty() => problems.push(Diagnostic::stack_error(
                &stack.name,
                "adopt",
                format!(
                    "`{}`: the id of the existing object is empty; give what the \
                         provider's import takes (a log group's name, a load balancer's ARN, a \
                         cluster's name)",
                    adoption.identity
                ),
            )),
            Some(_) if !seen.insert(adoption.identity.as_str()) => {
                problems.push(Diagnostic::stack_error(
                    &stack.name,
                    "adopt",
                    format!(
                        "`{}` is adopted twice; one object can be imported once",
                        adoption.identity
                    ),
                ))
            }
            Some(resource) => imports.push((resource.address.clone(), adoption.id.clone())),
        }
    }
    for removal in stack.removals() {
        if removal.reason.trim().is_empty() {
            problems.push(Diagnostic::stack_error(
                &stack.name,
                "allow_removal",
                format!(
                    "`{}`: the reason is empty; say why the data may go (the review reads it)",
                    removal.identity
                ),
            ));
        }
    }
    if problems.is_empty() {
        for (address, id) in imports {
            document.import(&address, &id);
        }
    }
    problems
}

/// "no resource has identity …", with the closest identity when one is a typo away.
fn unknown_identity(identity: &str, known: &[&str]) -> String {
    let closest = known
        .iter()
        .map(|candidate| (strsim::levenshtein(identity, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.chars().count() / 4).max(1))
        .min_by_key(|(distance, _)| *distance);
    let suggestion = closest
        .map(|(_, candidate)| format!(" (did you mean `{candidate}`?)"))
        .unwrap_or_default();
    format!(
        "no resource of the stack has identity `{}`{suggestion}. The identities are the keys of \
         the stack's address lock (`stacks/locks/<stack>.json`)",
        crate::model::cut(identity)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identified(pairs: &[(&str, &str)]) -> Vec<Identified> {
        pairs
            .iter()
            .map(|(identity, address)| Identified {
                identity: (*identity).into(),
                address: (*address).into(),
                type_name: "test",
                for_each: false,
            })
            .collect()
    }

    fn lock(stack: &Stack, pairs: &[(&str, &str)]) -> Lock {
        reconcile(stack, &identified(pairs), None, "0.1").lock
    }

    #[test]
    fn a_changed_address_is_a_move_and_the_lock_follows() {
        let stack = Stack::new("dev", "eu-west-1");
        let before = lock(
            &stack,
            &[(
                "service `web` › aws_lb_target_group blue",
                "aws_lb_target_group.web_blue",
            )],
        );
        let now = identified(&[(
            "service `web` › aws_lb_target_group blue",
            "aws_lb_target_group.frontend_blue",
        )]);
        let reconciled = reconcile(&stack, &now, Some(&before), "0.1");
        assert_eq!(
            reconciled.lock.moved,
            [MovedEntry {
                identity: "service `web` › aws_lb_target_group blue".into(),
                from: "aws_lb_target_group.web_blue".into(),
                to: "aws_lb_target_group.frontend_blue".into(),
                since: "0.1".into(),
            }]
        );
        assert_eq!(
            reconciled.lock.addresses.values().collect::<Vec<_>>(),
            ["aws_lb_target_group.frontend_blue"]
        );
        // Synth again: nothing new moves, the entry is kept.
        let again = reconcile(&stack, &now, Some(&reconciled.lock), "0.1");
        assert!(again.moves.is_empty());
        assert_eq!(again.lock, reconciled.lock);
    }

    #[test]
    fn a_renamed_role_is_followed_with_a_move() {
        let stack = Stack::new("dev", "eu-west-1");
        let old = "service `web` › aws_security_group tasks";
        let before = lock(&stack, &[(old, "aws_security_group.web_tasks")]);
        let now = identified(&[(
            "service `web` › aws_security_group task_sg",
            "aws_security_group.web_task_sg",
        )]);
        let unknown = reconcile_renaming(&stack, &now, Some(&before), "0.1", &[]);
        assert_eq!(unknown.removed.len(), 1);
        let renamed = [("aws_security_group", "tasks", "task_sg")];
        let followed = reconcile_renaming(&stack, &now, Some(&before), "0.1", &renamed);
        assert!(followed.removed.is_empty());
        assert_eq!(
            followed
                .moves
                .iter()
                .map(|m| (m.from.as_str(), m.to.as_str()))
                .collect::<Vec<_>>(),
            [(
                "aws_security_group.web_tasks",
                "aws_security_group.web_task_sg"
            )]
        );
    }

    #[test]
    fn moved_entries_are_dropped_after_the_kept_releases() {
        let stack = Stack::new("dev", "eu-west-1");
        let before = lock(&stack, &[("x", "t.a")]);
        let now = identified(&[("x", "t.b")]);
        let moved = reconcile(&stack, &now, Some(&before), "0.1").lock;
        let kept = reconcile(
            &stack,
            &now,
            Some(&moved),
            &format!("0.{MOVED_KEPT_RELEASES}"),
        );
        assert_eq!(kept.lock.moved.len(), 1);
        let dropped = reconcile(
            &stack,
            &now,
            Some(&moved),
            &format!("0.{}", 1 + MOVED_KEPT_RELEASES),
        );
        assert!(dropped.lock.moved.is_empty());
        assert_eq!(dropped.dropped.len(), 1);
        assert!(dropped.notes("dev", Path::new("l.json"))[0].contains("terraform state mv t.a t.b"));
    }

    #[test]
    fn moving_back_drops_the_old_entry_instead_of_a_cycle() {
        let stack = Stack::new("dev", "eu-west-1");
        let a = lock(&stack, &[("x", "t.a")]);
        let b = reconcile(&stack, &identified(&[("x", "t.b")]), Some(&a), "0.1").lock;
        let back = reconcile(&stack, &identified(&[("x", "t.a")]), Some(&b), "0.1").lock;
        assert_eq!(
            back.moved
                .iter()
                .map(|m| (m.from.as_str(), m.to.as_str()))
                .collect::<Vec<_>>(),
            [("t.b", "t.a")]
        );
    }

    #[test]
    fn a_removed_stateful_resource_is_refused_unless_allowed() {
        let mut stack = Stack::new("dev", "eu-west-1");
        let identity = "service `web` › aws_cloudwatch_log_group";
        let before = lock(
            &stack,
            &[
                (identity, "aws_cloudwatch_log_group.web"),
                ("service `web` › aws_ecs_service", "aws_ecs_service.web"),
            ],
        );
        let refused = reconcile(&stack, &[], Some(&before), "0.1");
        let refusals = refused.refusals("dev");
        // The ECS service holds nothing: reported, not refused.
        assert_eq!(refused.removed.len(), 2);
        assert_eq!(refusals.len(), 1);
        assert_eq!(
            refusals[0].to_string(),
            "error: stack `dev` › `allow_removal`: `service `web` › aws_cloudwatch_log_group` \
             (aws_cloudwatch_log_group.web) holds data and is no longer in the stack: `terraform \
             apply` would destroy it. If that is intended, add `stack.allow_removal(\"service \
             `web` › aws_cloudwatch_log_group\", \"<why>\")`; if it was renamed, keep its AWS \
             names (for a service, `Service::aws_name`)"
        );
        stack.allow_removal(identity, "logs exported to S3");
        let allowed = reconcile(&stack, &[], Some(&before), "0.1");
        assert!(allowed.refusals("dev").is_empty());
        assert!(allowed
            .notes("dev", Path::new("l.json"))
            .iter()
            .any(|note| note.ends_with("destroys it (allowed: logs exported to S3)")));
    }

    #[test]
    fn an_address_taken_by_another_identity_is_neither_moved_nor_destroyed() {
        let stack = Stack::new("dev", "eu-west-1");
        let before = lock(&stack, &[("old owner › t", "aws_kms_key.logs")]);
        let now = identified(&[("new owner › t", "aws_kms_key.logs")]);
        let reconciled = reconcile(&stack, &now, Some(&before), "0.1");
        assert!(reconciled.removed.is_empty() && reconciled.moves.is_empty());
    }
}
