//! `synth --check`: how the files on disk differ from what synth would write now.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::synth::{Synthesized, MAIN_FILE};

/// How one output file differs from what `synth` would write now.
pub enum Drift {
    Missing(PathBuf),
    /// The file differs; `details` say how (for `main.tf.json`, which resources).
    Differs {
        path: PathBuf,
        details: Vec<String>,
    },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(path) => write!(f, "{} is missing", path.display()),
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
/// Files on disk that synth does not write (`.terraform/`, state) are not looked at.
pub fn drift(synthesized: &Synthesized, out: &Path) -> Result<Vec<Drift>, String> {
    let dir = out.join(&synthesized.stack);
    let files = synthesized.files().map_err(|error| error.to_string())?;
    let mut drifts = Vec::new();
    for file in files {
        let path = dir.join(&file.relative_path);
        let on_disk = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                drifts.push(Drift::Missing(path));
                continue;
            }
            Err(error) => return Err(format!("{}: {error}", path.display())),
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
    Ok(drifts)
}

/// Which `resource.<type>.<label>` blocks synth would change, add or remove, and which other
/// top-level blocks differ, comparing parsed JSON.
fn terraform_changes(on_disk: &[u8], fresh: &[u8]) -> Vec<String> {
    let on_disk: serde_json::Value = match serde_json::from_slice(on_disk) {
        Ok(value) => value,
        Err(error) => return vec![format!("not valid JSON: {error}")],
    };
    let fresh: serde_json::Value = serde_json::from_slice(fresh).expect("synth renders valid JSON");
    let (old, new) = (resources(&on_disk), resources(&fresh));
    let changed: Vec<&str> = new
        .iter()
        .filter(|(address, value)| old.get(*address).is_some_and(|old| old != *value))
        .map(|(address, _)| address.as_str())
        .collect();
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
    let mut blocks: Vec<&str> = Vec::new();
    for value in [&on_disk, &fresh] {
        for key in value
            .as_object()
            .into_iter()
            .flat_map(|object| object.keys())
        {
            if key != "resource"
                && !blocks.contains(&key.as_str())
                && on_disk.get(key) != fresh.get(key)
            {
                blocks.push(key);
            }
        }
    }
    blocks.sort_unstable();
    let mut details = Vec::new();
    for (what, addresses) in [("changed", changed), ("added", added), ("removed", removed)] {
        if !addresses.is_empty() {
            details.push(format!("{what}: {}", addresses.join(", ")));
        }
    }
    if !blocks.is_empty() {
        details.push(format!("other blocks changed: {}", blocks.join(", ")));
    }
    if details.is_empty() {
        details.push("same JSON, different formatting".into());
    }
    details
}

/// `resource.<type>.<label>` → the block, by address `<type>.<label>`, sorted.
fn resources(document: &serde_json::Value) -> BTreeMap<String, &serde_json::Value> {
    let mut found = BTreeMap::new();
    let types = document
        .get("resource")
        .and_then(serde_json::Value::as_object);
    for (kind, blocks) in types.into_iter().flatten() {
        for (label, block) in blocks.as_object().into_iter().flatten() {
            found.insert(format!("{kind}.{label}"), block);
        }
    }
    found
}
