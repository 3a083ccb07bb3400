//! The pipeline from a stack to files: validate, lower, write atomically.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::lower::lower;
use crate::model::{Diagnostic, Stack};
use crate::tf::{Document, WriteError};

/// The Terraform file written for every stack.
pub const MAIN_FILE: &str = "main.tf.json";

/// The variables a stack needs, with their descriptions, as a `terraform.tfvars` to copy.
pub const TFVARS_EXAMPLE_FILE: &str = "terraform.tfvars.example";

/// A stack lowered and ready to write.
pub struct Synthesized {
    pub stack: String,
    pub document: Document,
}

/// Validates and lowers a stack; the diagnostics are everything validation found, warnings
/// included. A stack with errors is not lowered.
pub fn synthesize(stack: &Stack) -> (Option<Synthesized>, Vec<Diagnostic>) {
    let validated = match stack.validated() {
        Ok(validated) => validated,
        Err(diagnostics) => return (None, diagnostics),
    };
    let mut document = lower(&validated);
    let mut diagnostics = validated.warnings().to_vec();
    // A valid stack's document can only be wrong through the escape hatch (an override of a
    // resource or attribute the document does not have), or through a bug in lowering.
    if !document.problems().is_empty() {
        diagnostics.extend(document.problems().iter().map(|problem| {
            let field = if problem.is_override() {
                "overrides"
            } else {
                "document"
            };
            Diagnostic::stack_error(&stack.name, field, problem.to_string())
        }));
        return (None, diagnostics);
    }
    let adoptions = crate::lock::adopt(stack, &mut document);
    if !adoptions.is_empty() {
        diagnostics.extend(adoptions);
        return (None, diagnostics);
    }
    let synthesized = Synthesized {
        stack: stack.name.clone(),
        document,
    };
    (Some(synthesized), diagnostics)
}

/// Why writing a stack's files failed.
#[derive(Debug)]
pub enum SynthError {
    Render {
        stack: String,
        error: WriteError,
    },
    /// The stack's directory would not be a directory directly inside `--out` (a name such as
    /// `..` or `/tmp/x`, or a symbolic link leading elsewhere). Validation refuses such names
    /// first; this is the last guard, at the write itself.
    OutsideOut {
        stack: String,
        out: PathBuf,
    },
    /// `action` on `path` failed. `path` is always the file or directory the user asked for,
    /// never the temporary file a write goes through.
    Io {
        action: IoAction,
        path: PathBuf,
        error: io::Error,
    },
}

/// What synth was doing when an I/O error happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoAction {
    CreateDirectory,
    /// Writing the new contents, into a temporary file beside the path.
    Write,
    /// Renaming the finished temporary file over the path.
    Replace,
}

impl std::fmt::Display for SynthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SynthError::Render { stack, error } => {
                write!(f, "stack `{stack}`: cannot render Terraform JSON: {error}")
            }
            SynthError::OutsideOut { stack, out } => write!(
                f,
                "stack `{}`: its directory would not be a directory directly inside {}; \
                 nothing written",
                crate::model::cut(stack),
                out.display()
            ),
            SynthError::Io {
                action,
                path,
                error,
            } => {
                let path = path.display();
                match action {
                    IoAction::CreateDirectory => {
                        write!(f, "cannot create the output directory {path}: {error}")
                    }
                    IoAction::Write => write!(
                        f,
                        "cannot write {path} (through a temporary file in the same directory): \
                         {error}"
                    ),
                    IoAction::Replace => write!(
                        f,
                        "cannot replace {path} with the newly written file: {error}"
                    ),
                }
            }
        }
    }
}

impl std::error::Error for SynthError {}

/// One file of a stack's output, relative to the stack's directory.
pub struct OutputFile {
    pub relative_path: PathBuf,
    pub bytes: Vec<u8>,
}

impl Synthesized {
    /// The bytes of `main.tf.json`.
    pub fn render(&self) -> Result<Vec<u8>, SynthError> {
        let mut bytes = Vec::new();
        self.document
            .write(&mut bytes)
            .map_err(|error| SynthError::Render {
                stack: self.stack.clone(),
                error,
            })?;
        Ok(bytes)
    }

    /// Every file of the stack's output, `main.tf.json` first, rendered in memory (for
    /// comparing with what is on disk).
    pub fn files(&self) -> Result<Vec<OutputFile>, SynthError> {
        let mut files = vec![OutputFile {
            relative_path: PathBuf::from(MAIN_FILE),
            bytes: self.render()?,
        }];
        files.extend(self.artefacts());
        Ok(files)
    }

    /// Files beside `main.tf.json`: `terraform.tfvars.example` when the stack has variables.
    fn artefacts(&self) -> Vec<OutputFile> {
        let mut text = String::new();
        for (name, variable) in self.document.variables() {
            if text.is_empty() {
                text.push_str(&format!(
                    "# The variables of stack `{}`. Copy to terraform.tfvars and fill in, or pass \
                     them with -var.\n",
                    self.stack
                ));
            }
            let placeholder = if variable.type_constraint.starts_with("list(") {
                "[]"
            } else {
                "\"\""
            };
            text.push_str(&format!(
                "\n# {} ({})\n{name} = {placeholder}\n",
                variable.description, variable.type_constraint
            ));
        }
        if text.is_empty() {
            return Vec::new();
        }
        vec![OutputFile {
            relative_path: PathBuf::from(TFVARS_EXAMPLE_FILE),
            bytes: text.into_bytes(),
        }]
    }

    /// Writes every file under `<out>/<stack>/`, each through a temporary file and a rename,
    /// so that a previous file stays whole until its replacement is complete. `main.tf.json`
    /// is the document's text, rendered block by block as lowering added them, copied into its
    /// temporary file. Returns the paths written.
    pub fn write_to(&self, out: &Path) -> Result<Vec<PathBuf>, SynthError> {
        let dir = self.directory(out)?;
        create_parent(&dir.join(MAIN_FILE))?;
        self.check_resolved(out, &dir)?;
        let main = dir.join(MAIN_FILE);
        write_atomically(&main, |file| {
            self.document.write(file).map_err(|error| match error {
                WriteError::Io(error) => SynthError::Io {
                    action: IoAction::Write,
                    path: main.clone(),
                    error,
                },
                error => SynthError::Render {
                    stack: self.stack.clone(),
                    error,
                },
            })
        })?;
        let mut written = vec![main];
        for artefact in self.artefacts() {
            let path = dir.join(&artefact.relative_path);
            create_parent(&path)?;
            write_atomically(&path, |file| {
                io::Write::write_all(file, &artefact.bytes).map_err(|error| SynthError::Io {
                    action: IoAction::Write,
                    path: path.clone(),
                    error,
                })
            })?;
            written.push(path);
        }
        remove_abandoned_temporaries(&dir);
        Ok(written)
    }
}

/// The files synth writes into a stack's directory, whether or not this stack has them.
pub const OUTPUT_FILES: &[&str] = &[MAIN_FILE, TFVARS_EXAMPLE_FILE];

/// The process id in `name` when it is the temporary file of an output file
/// (`.main.tf.json.<pid>.tmp`, see [`write_atomically`]).
pub fn temporary_file_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (file, pid) = rest.rsplit_once('.')?;
    if !OUTPUT_FILES.contains(&file) || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Temporary files in `dir` that a synth killed mid-write left (its process is gone), after
/// this synth wrote the directory: removed, so they do not pile up. A running synth's own
/// temporary file is left to it. Where process ids cannot be looked up (no `/proc`), a file
/// untouched for an hour counts as abandoned. Failing to remove one is not an error of this
/// synth; `synth --check` reports what is left.
fn remove_abandoned_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let own = std::process::id();
    let proc = Path::new("/proc/self").exists();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_file_pid) else {
            continue;
        };
        if pid == own {
            continue;
        }
        let abandoned = if proc {
            !Path::new("/proc").join(pid.to_string()).exists()
        } else {
            entry
                .metadata()
                .and_then(|metadata| metadata.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600)
        };
        if abandoned {
            let _ = fs::remove_file(entry.path());
        }
    }
}

impl Synthesized {
    /// `<out>/<stack>`, when the stack name is one plain path component (not empty, `.`, `..`,
    /// absolute, nor holding a separator).
    pub fn directory(&self, out: &Path) -> Result<PathBuf, SynthError> {
        let mut components = Path::new(&self.stack).components();
        let plain = matches!(
            (components.next(), components.next()),
            (Some(std::path::Component::Normal(name)), None) if name == self.stack.as_str()
        );
        if !plain {
            return Err(SynthError::OutsideOut {
                stack: self.stack.clone(),
                out: out.to_owned(),
            });
        }
        Ok(out.join(&self.stack))
    }

    /// The created directory, with links resolved, is a directory directly inside `out`.
    fn check_resolved(&self, out: &Path, dir: &Path) -> Result<(), SynthError> {
        let outside = || SynthError::OutsideOut {
            stack: self.stack.clone(),
            out: out.to_owned(),
        };
        let resolve = |path: &Path| {
            fs::canonicalize(path).map_err(|error| SynthError::Io {
                action: IoAction::CreateDirectory,
                path: path.to_owned(),
                error,
            })
        };
        let (out_resolved, dir_resolved) = (resolve(out)?, resolve(dir)?);
        if dir_resolved.parent() != Some(out_resolved.as_path()) {
            return Err(outside());
        }
        Ok(())
    }
}

pub(crate) fn create_parent(path: &Path) -> Result<(), SynthError> {
    match path.parent() {
        Some(parent) => fs::create_dir_all(parent).map_err(|error| SynthError::Io {
            action: IoAction::CreateDirectory,
            path: parent.to_owned(),
            error,
        }),
        None => Ok(()),
    }
}

/// Writes `path` by filling a temporary sibling and renaming it over `path`. On any failure
/// the temporary file is removed and `path` is left as it was; errors name `path`, not the
/// temporary file (which no longer exists when the user reads the message).
///
/// The file is not fsynced: like cargo and other generators, ecsynth writes regenerable
/// output, and a reader sees the old file or the new one whole either way. After a power cut
/// just after a synth the file may be empty or incomplete on some filesystems (`synth --check`
/// tells, a synth rewrites it); waiting for the disk cost 4.5 ms of a 25 ms synth at 3 × 100
/// services and 31 ms at 3 × 1000.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut fs::File) -> Result<(), SynthError>,
) -> Result<(), SynthError> {
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Named after the process: `synth` writes each path once per run (a stack named twice is
    // synthesized once), so no two of its threads share a temporary file.
    let temporary = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let io_error = |error| SynthError::Io {
        action: IoAction::Write,
        path: path.to_owned(),
        error,
    };
    let result = (|| {
        let mut file = fs::File::create(&temporary).map_err(io_error)?;
        fill(&mut file)?;
        fs::rename(&temporary, path).map_err(|error| SynthError::Io {
            action: IoAction::Replace,
            path: path.to_owned(),
            error,
        })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// Runs `job` on every item and returns the results in the items' order; a job that panics
/// gives `Err` with its panic message, and the other items still run. Each item gets a thread
/// of its own (up to twice the CPUs, which then take the items left in turn; the calling thread
/// is one of them): stacks are independent and a few, so three stacks on two cores finish
/// together at half the work each, where a pool of two would leave one core idle for the last
/// third.
pub fn each_in_parallel<I: Sync, T: Send>(
    items: &[I],
    job: impl Fn(&I) -> T + Sync,
) -> Vec<Result<T, String>> {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// As much as the main thread gets, so a stack behaves the same whichever thread runs it.
    const STACK_SIZE: usize = 8 * 1024 * 1024;

    let run = |item: &I| {
        catch_unwind(AssertUnwindSafe(|| job(item))).map_err(|payload| {
            payload
                .downcast_ref::<&str>()
                .map(|message| (*message).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned())
        })
    };
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = items.len().min(2 * cpus);
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Result<T, String>>>> =
        items.iter().map(|_| Mutex::new(None)).collect();
    let work = || loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(item) = items.get(index) else {
            break;
        };
        let result = run(item);
        *results[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(result);
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            // A thread that cannot be started leaves its share to the others.
            let _ = std::thread::Builder::new()
                .stack_size(STACK_SIZE)
                .spawn_scoped(scope, work);
        }
        work();
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .unwrap_or_else(|| Err("the job never ran".to_owned()))
        })
        .collect()
}
