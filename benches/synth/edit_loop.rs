//! The edit-and-synth loop: append a comment to `stacks/web.rs`, time `cargo run -- synth
//! prod` (debug), check from cargo's `fresh` flags what was rebuilt, restore the file.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{median, ms, target};

const TARGET_EDIT_LOOP: Duration = Duration::from_secs(3);

const STACK_FILE: &str = "stacks/web.rs";
/// Start of the comment the loop appends; a leftover one (the process was killed) is removed.
const EDIT_MARKER: &str = "\n// ecsynth-bench edit-loop ";

/// Restores `stacks/web.rs` to its original bytes when dropped, unless someone else changed
/// the file in the meantime.
struct EditGuard {
    path: PathBuf,
    original: Vec<u8>,
    edited: Vec<u8>,
}

impl EditGuard {
    fn apply(path: &Path, original: &[u8], n: usize) -> EditGuard {
        let mut edited = original.to_vec();
        edited.extend_from_slice(format!("{}{n}\n", EDIT_MARKER.trim_start()).as_bytes());
        let guard = EditGuard {
            path: path.to_owned(),
            original: original.to_vec(),
            edited,
        };
        fs::write(path, &guard.edited).expect("edit stacks/web.rs");
        guard
    }
}

impl Drop for EditGuard {
    fn drop(&mut self) {
        match fs::read(&self.path) {
            Ok(current) if current == self.edited => {
                if let Err(error) = fs::write(&self.path, &self.original) {
                    eprintln!("error: could not restore {}: {error}", self.path.display());
                }
            }
            Ok(current) if current == self.original => {}
            _ => eprintln!(
                "warning: {} was changed by someone else during the measurement; left as is",
                self.path.display()
            ),
        }
    }
}

/// The file's bytes without a marker comment left by a killed run.
fn without_leftover_marker(bytes: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(bytes).expect("UTF-8 source");
    match text.find(EDIT_MARKER) {
        Some(at) if !text[at + 1..].trim_end().contains('\n') => text[..at + 1].to_owned(),
        _ => text,
    }
    .into_bytes()
}

struct LoopRun {
    elapsed: Duration,
    /// `(target kind, name, fresh)` of each unit cargo reported.
    units: Vec<(String, String, bool)>,
    waited_for_lock: bool,
}

impl LoopRun {
    /// Whether cargo reported the unit `name` of target kind `kind` with this `fresh` flag.
    fn has(&self, kind: &str, name: &str, fresh: bool) -> bool {
        self.units
            .iter()
            .any(|unit| unit.0 == kind && unit.1 == name && unit.2 == fresh)
    }
}

fn cargo_run_synth(manifest_dir: &Path, out: &Path) -> LoopRun {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let start = Instant::now();
    let output = Command::new(cargo)
        .current_dir(manifest_dir)
        .args(["run", "-q", "--message-format=json", "--", "synth", "prod"])
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .output()
        .expect("spawn cargo");
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "cargo run -- synth prod failed: {}\n{stderr}",
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut units = Vec::new();
    for line in stdout.lines().filter(|line| line.starts_with('{')) {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let kind = message["target"]["kind"][0]
            .as_str()
            .unwrap_or("?")
            .to_owned();
        let name = message["target"]["name"].as_str().unwrap_or("?").to_owned();
        units.push((kind, name, message["fresh"] == true));
    }
    assert!(
        out.join("prod").join("main.tf.json").is_file(),
        "cargo run -- synth prod wrote no file"
    );
    LoopRun {
        elapsed,
        units,
        waited_for_lock: stderr.contains("Blocking waiting for file lock"),
    }
}

pub(crate) fn edit_loop() {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = manifest_dir.join(STACK_FILE);
    let read = fs::read(&path).expect("read stacks/web.rs");
    let original = without_leftover_marker(read.clone());
    if original != read {
        fs::write(&path, &original).expect("remove a leftover edit-loop comment");
        say!("removed a leftover edit-loop comment from {STACK_FILE}");
    }
    let out = std::env::temp_dir().join(format!("ecsynth-bench-edit-{}", std::process::id()));
    let reps = 5;
    say!(
        "\nedit-and-synth loop (debug profile): append a comment to {STACK_FILE}, \
         `cargo run -q -- synth prod --out <tmp>`, restore; {reps} runs after a warm-up"
    );
    // Warm-up: builds whatever is stale (the library, if someone changed src/) so that the
    // measured runs see only the stack edit.
    {
        let _edit = EditGuard::apply(&path, &original, 0);
        cargo_run_synth(manifest_dir, &out);
    }
    let mut times = Vec::new();
    let mut library_rebuilt = 0;
    let mut library_fresh = 0;
    let mut binary_fresh = 0;
    let mut lock_waits = 0;
    for n in 1..=reps {
        let run = {
            let _edit = EditGuard::apply(&path, &original, n);
            cargo_run_synth(manifest_dir, &out)
        };
        let rebuilt: Vec<String> = run
            .units
            .iter()
            .filter(|(_, _, fresh)| !fresh)
            .map(|(kind, name, _)| format!("{name} ({kind})"))
            .collect();
        if run.has("lib", "ecsynth", false) {
            library_rebuilt += 1;
        }
        if run.has("lib", "ecsynth", true) {
            library_fresh += 1;
        }
        if run.has("bin", "ecsynth", true) {
            binary_fresh += 1;
        }
        if run.waited_for_lock {
            lock_waits += 1;
        }
        say!(
            "  run {n}: {} — rebuilt: {}{}",
            ms(run.elapsed),
            if rebuilt.is_empty() {
                "nothing".to_owned()
            } else {
                rebuilt.join(", ")
            },
            if run.waited_for_lock {
                " (waited for another cargo's lock)"
            } else {
                ""
            }
        );
        times.push(run.elapsed);
    }
    let _ = fs::remove_dir_all(&out);
    let min = *times.iter().min().expect("runs");
    let median = median(&mut times);
    say!(
        "edit-and-synth loop: median {} (min {}); library reported fresh in {library_fresh} \
         and rebuilt in {library_rebuilt} of {reps} runs, binary left fresh in {binary_fresh}{}",
        ms(median),
        ms(min),
        if lock_waits > 0 {
            format!("; {lock_waits} run(s) waited for another cargo")
        } else {
            String::new()
        }
    );
    let ok = median <= TARGET_EDIT_LOOP
        && library_fresh == reps
        && library_rebuilt == 0
        && binary_fresh == 0;
    target(
        "edit-and-synth loop",
        ok,
        format!(
            "{} ≤ {}, only the stacks crate and the binary rebuilt",
            ms(median),
            ms(TARGET_EDIT_LOOP)
        ),
    );
    if !ok {
        std::process::exit(1);
    }
}
