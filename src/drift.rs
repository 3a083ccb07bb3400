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
/// Each changed block lists its changed attribute paths with old → new values, then a unified
/// diff of the block in review form (JSON-text strings such as `container_definitions`
/// expanded, see [`crate::review`]).
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
        let (old_value, value) = (review::expand(old_value), review::expand(value));
        let mut attributes: Vec<String> = Vec::new();
        attribute_changes("", &old_value, &value, &mut attributes);
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

/// `path: old → new` for every leaf that differs between two expanded values; list positions
/// are compared one by one when both lists have the same length, as a whole otherwise.
fn attribute_changes(path: &str, old: &Json, new: &Json, out: &mut Vec<String>) {
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
                    (Some(old), None) => out.push(format!(
                        "{}: {} → {ABSENT}",
                        child(key),
                        review::short(old, WIDTH)
                    )),
                    (None, Some(new)) => out.push(format!(
                        "{}: {ABSENT} → {}",
                        child(key),
                        review::short(new, WIDTH)
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
        _ => out.push(format!(
            "{}: {} → {}",
            if path.is_empty() { "value" } else { path },
            review::short(old, WIDTH),
            review::short(new, WIDTH)
        )),
    }
}
