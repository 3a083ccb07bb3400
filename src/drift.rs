//! `synth --check`: how the files on disk differ from what synth would write now.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use similar::TextDiff;

use crate::review::{self, Json};
use crate::synth::{temporary_file_pid, Synthesized, MAIN_FILE, OUTPUT_FILES};

/// How one output file differs from what `synth` would write now.
pub enum Drift {
    Missing(PathBuf),
    /// A file synth does not write now: the temporary file of an interrupted synth, or an
    /// output file this stack no longer has (`terraform.tfvars.example` without variables).
    Stray {
        path: PathBuf,
        temporary: bool,
    },
    /// The file differs; `details` say how, one line each (for `main.tf.json`, which blocks and
    /// attributes, with a diff per changed block).
    Differs {
        path: PathBuf,
        details: Vec<String>,
    },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(path) => write!(f, "{} is missing", path.display()),
            Drift::Stray {
                path,
                temporary: true,
            } => write!(
                f,
                "{} is a stray temporary file of an interrupted synth; the next synth removes it",
                path.display()
            ),
            Drift::Stray {
                path,
                temporary: false,
            } => write!(
                f,
                "{} is stray: synth no longer writes it; delete it",
                path.display()
            ),
            Drift::Differs { path, details } => {
                write!(f, "{} is out of date", path.display())?;
                for detail in details {
                    write!(f, "\n  {detail}")?;
                }
                Ok(())
            }
        }
    }
}

/// Compares every file `synthesized` would write with the one under `out`, writing nothing.
/// Of the files on disk that synth does not write, only its own are looked at (temporary
/// files, output files the stack no longer has); `.terraform/`, state and the like are not.
pub fn drift(synthesized: &Synthesized, out: &Path) -> Result<Vec<Drift>, String> {
    let dir = synthesized
        .directory(out)
        .map_err(|error| error.to_string())?;
    let files = synthesized.files().map_err(|error| error.to_string())?;
    let mut drifts = Vec::new();
    for file in &files {
        let path = dir.join(&file.relative_path);
        let on_disk = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                drifts.push(Drift::Missing(path));
                continue;
            }
            Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        };
        if on_disk == file.bytes {
            continue;
        }
        let details = if file.relative_path == Path::new(MAIN_FILE) {
            terraform_changes(&on_disk, &file.bytes)
        } else {
            Vec::new()
        };
        drifts.push(Drift::Differs { path, details });
    }
    drifts.extend(stray_files(&dir, &files));
    Ok(drifts)
}

/// Files of synth's own in `dir` that this synth does not write, by name.
fn stray_files(dir: &Path, files: &[crate::synth::OutputFile]) -> Vec<Drift> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|name| {
            let temporary = temporary_file_pid(&name).is_some();
            let unwritten = OUTPUT_FILES.contains(&name.as_str())
                && !files
                    .iter()
                    .any(|file| file.relative_path == Path::new(&name));
            (temporary || unwritten).then(|| Drift::Stray {
                path: dir.join(&name),
                temporary,
            })
        })
        .collect()
}

/// What synth would change, add or remove in `main.tf.json`, comparing parsed JSON block by
/// block: `resource.<type>.<label>` and `data.<type>.<label>` by `<type>.<label>`
/// (`data.<type>.<label>`), other top-level blocks by `<block>.<name>` (`output.web_dns_name`).
/// Each changed block lists its changed attribute paths with old → new values, real changes
/// first, then those of attributes its `lifecycle.ignore_changes` lists, marked as ignored by
/// Terraform after creation with their owner ([`review::ignored_after_creation`]): a reviewer
/// tells noise from change. Then a unified diff of the block in review form (JSON-text strings
/// such as `container_definitions` expanded, see [`crate::review`]).
fn terraform_changes(on_disk: &[u8], fresh: &[u8]) -> Vec<String> {
    let on_disk = match Json::parse(on_disk) {
        Ok(value) => value,
        Err(error) => return vec![format!("not valid JSON: {error}")],
    };
    let fresh = Json::parse(fresh).expect("synth renders valid JSON");
    let (old, new) = (blocks(&on_disk), blocks(&fresh));
    let mut details = Vec::new();
    for (address, value) in &new {
        let Some(old_value) = old.get(address) else {
            continue;
        };
        // Values only: keys in another order are formatting, like whitespace.
        if old_value == value {
            continue;
        }
        details.push(format!("changed: {address}"));
        let ignored = review::ignored_after_creation(address, value);
        let (old_value, value) = (review::expand(old_value), review::expand(value));
        let mut changes: Vec<(String, String)> = Vec::new();
        attribute_changes("", &old_value, &value, &mut changes);
        // Real changes first; a change of an ignored attribute names who owns it instead.
        let (ignored_changes, real): (Vec<_>, Vec<_>) =
            changes.into_iter().partition(|(path, _)| {
                ignored
                    .iter()
                    .any(|(attribute, _)| top_attribute(path) == attribute)
            });
        let attributes: Vec<String> = real
            .into_iter()
            .map(|(_, line)| line)
            .chain(ignored_changes.into_iter().map(|(path, line)| {
                let owners = ignored
                    .iter()
                    .find(|(attribute, _)| top_attribute(&path) == attribute)
                    .map(|(_, owners)| owners.join(" or "))
                    .unwrap_or_default();
                if owners.is_empty() {
                    format!("ignored by Terraform after creation: {line}")
                } else {
                    format!("ignored by Terraform after creation (owner: {owners}): {line}")
                }
            }))
            .collect();
        let shown = attributes.len().min(MAX_ATTRIBUTES);
        for attribute in &attributes[..shown] {
            details.push(format!("  {attribute}"));
        }
        if attributes.len() > shown {
            details.push(format!(
                "  … and {} more changed attributes, in the diff below",
                attributes.len() - shown
            ));
        }
        let (old_text, new_text) = (old_value.to_pretty(), value.to_pretty());
        let diff = TextDiff::from_lines(&old_text, &new_text);
        let unified = diff
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("{address} on disk"),
                &format!("{address} from synth"),
            )
            .to_string();
        details.extend(unified.lines().map(|line| format!("  {line}")));
    }
    let added: Vec<&str> = new
        .keys()
        .filter(|address| !old.contains_key(*address))
        .map(String::as_str)
        .collect();
    let removed: Vec<&str> = old
        .keys()
        .filter(|address| !new.contains_key(*address))
        .map(String::as_str)
        .collect();
    for (what, addresses) in [("added", added), ("removed", removed)] {
        if !addresses.is_empty() {
            details.push(format!("{what}: {}", addresses.join(", ")));
        }
    }
    if details.is_empty() {
        details.push("same JSON, different formatting".into());
    }
    details
}

/// At most this many attribute lines per changed block; the diff shows the rest.
const MAX_ATTRIBUTES: usize = 20;

/// Every block of the document by address, in document order.
fn blocks(document: &Json) -> IndexMap<String, &Json> {
    let mut found = IndexMap::new();
    for (key, value) in document.as_object().into_iter().flatten() {
        let prefix = match key.as_str() {
            "resource" => "",
            "data" => "data.",
            _ => {
                match value.as_object() {
                    Some(children) => {
                        for (name, child) in children {
                            found.insert(format!("{key}.{name}"), child);
                        }
                    }
                    None => {
                        found.insert(key.clone(), value);
                    }
                }
                continue;
            }
        };
        for (kind, labelled) in value.as_object().into_iter().flatten() {
            for (label, block) in labelled.as_object().into_iter().flatten() {
                found.insert(format!("{prefix}{kind}.{label}"), block);
            }
        }
    }
    found
}

/// The top-level attribute of an attribute path: `load_balancer` of `load_balancer[0].x`.
fn top_attribute(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or(path)
}

/// `(path, "path: old → new")` for every leaf that differs between two expanded values; list
/// positions are compared one by one when both lists have the same length, as a whole
/// otherwise.
fn attribute_changes(path: &str, old: &Json, new: &Json, out: &mut Vec<(String, String)>) {
    const ABSENT: &str = "(absent)";
    const WIDTH: usize = 100;
    if old == new {
        return;
    }
    let child = |key: &str| {
        if key == review::JSON_TEXT || key == review::LINES {
            path.to_owned()
        } else if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match (old, new) {
        (Json::Object(old), Json::Object(new)) => {
            for key in old
                .keys()
                .chain(new.keys().filter(|key| !old.contains_key(*key)))
            {
                match (old.get(key), new.get(key)) {
                    (Some(old), Some(new)) => attribute_changes(&child(key), old, new, out),
                    (Some(old), None) => out.push((
                        child(key),
                        format!("{}: {} → {ABSENT}", child(key), review::short(old, WIDTH)),
                    )),
                    (None, Some(new)) => out.push((
                        child(key),
                        format!("{}: {ABSENT} → {}", child(key), review::short(new, WIDTH)),
                    )),
                    (None, None) => {}
                }
            }
        }
        (Json::Array(old), Json::Array(new)) if old.len() == new.len() => {
            for (index, (old, new)) in old.iter().zip(new).enumerate() {
                attribute_changes(&format!("{path}[{index}]"), old, new, out);
            }
        }
        _ => {
            let shown = if path.is_empty() { "value" } else { path };
            out.push((
                path.to_owned(),
                format!(
                    "{shown}: {} → {}",
                    review::short(old, WIDTH),
                    review::short(new, WIDTH)
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Terraform plans no change of an attribute `lifecycle.ignore_changes` lists once the
    /// resource exists (Terraform language docs, "The lifecycle Meta-Argument",
    /// `ignore_changes`): such a change is listed after the real ones, marked with its owner.
    #[test]
    fn changes_of_ignored_attributes_are_marked_apart_with_their_owner() {
        let document = |count: u32, image: &str, grace: u32| {
            format!(
                r#"{{"resource": {{"aws_ecs_service": {{"web": {{
                  "desired_count": {count},
                  "task_definition": "{image}",
                  "health_check_grace_period_seconds": {grace},
                  "deployment_controller": {{"type": "CODE_DEPLOY"}},
                  "lifecycle": {{"ignore_changes": ["task_definition", "desired_count"]}}
                }}}}}}}}"#
            )
        };
        let details = terraform_changes(
            document(2, "web:1", 30).as_bytes(),
            document(3, "web:2", 60).as_bytes(),
        );
        let attributes: Vec<&str> = details
            .iter()
            .take_while(|line| !line.starts_with("  ---"))
            .map(String::as_str)
            .collect();
        assert_eq!(
            attributes,
            [
                "changed: aws_ecs_service.web",
                "  health_check_grace_period_seconds: 30 → 60",
                "  ignored by Terraform after creation (owner: Application Auto Scaling): \
                 desired_count: 2 → 3",
                "  ignored by Terraform after creation (owner: CodeDeploy): \
                 task_definition: \"web:1\" → \"web:2\"",
            ]
        );
    }

    /// Nested paths count under their top-level attribute; an attribute no ownership rule
    /// names is still marked, without an owner.
    #[test]
    fn nested_and_unowned_ignored_attributes_are_marked() {
        let document = |port: u32, tag: &str| {
            format!(
                r#"{{"resource": {{"aws_ecs_service": {{"web": {{
                  "load_balancer": [{{"container_port": {port}}}],
                  "tags": {{"team": "{tag}"}},
                  "lifecycle": {{"ignore_changes": ["load_balancer", "tags"]}}
                }}}}}}}}"#
            )
        };
        let details =
            terraform_changes(document(80, "a").as_bytes(), document(8080, "b").as_bytes());
        assert_eq!(
            details[1..3],
            [
                "  ignored by Terraform after creation (owner: CodeDeploy): \
                 load_balancer[0].container_port: 80 → 8080",
                "  ignored by Terraform after creation: tags.team: \"a\" → \"b\"",
            ]
        );
    }
}
