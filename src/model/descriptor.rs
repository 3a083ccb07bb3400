//! The compact service descriptor: the few fields an application team sets, kept as JSON in
//! the service's own repository, with defaults for everything else. Every field, its default
//! and its AWS limit: `docs/descriptors.md` (a test holds it to this parser). A stack takes
//! every descriptor of a folder with `Stack::add_described_services_from`.
//!
//! ```json
//! { "name": "catalogue", "image": "…/catalogue", "tag": "3.0.4", "port": 3000,
//!   "cpu": 512, "memory": 1024, "instances": { "min": 2, "max": 6 },
//!   "host": "catalogue.shop.example.com", "health_path": "/health",
//!   "environment": { "LOG_LEVEL": "info" } }
//! ```

use std::fmt;
use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::compute::Compute;
use super::deployment::{BlueGreen, CodeDeploy, DeploymentConfig};
use super::load_balancer::{LoadBalancerId, TargetHealthCheck};
use super::scaling::StepScaling;
use super::service::{Container, ContainerHealthCheck, Service, TaskSize};
use super::traffic::{RuleMatch, Traffic};

/// A service as an application team describes it. Unknown fields are errors, so a typo
/// never silently falls back to a default.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceDescriptor {
    pub name: String,
    /// Repository, without the tag.
    pub image: String,
    pub tag: String,
    /// The port the application listens on.
    pub port: u16,
    /// Fargate CPU units. Default: 256.
    #[serde(default = "default_cpu")]
    pub cpu: u32,
    /// MiB. Default: 512.
    #[serde(default = "default_memory")]
    pub memory: u32,
    /// Default: 2 to 4 tasks, scaled on CPU.
    #[serde(default)]
    pub instances: Instances,
    /// A name given twice is an error, like a top-level field given twice.
    #[serde(default, deserialize_with = "unique_keys")]
    pub environment: IndexMap<String, String>,
    /// Host header the shared load balancer routes by. At least one of `host` and `path`.
    #[serde(default)]
    pub host: Option<String>,
    /// Path pattern, e.g. `/orders/*`.
    #[serde(default)]
    pub path: Option<String>,
    /// Default: `/health`.
    #[serde(default = "default_health_path")]
    pub health_path: String,
    /// Listener rule priority. Default: derived from the name.
    #[serde(default)]
    pub priority: Option<u32>,
}

/// The task count range the descriptor's service scales in. Default: 2 to 4.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Instances {
    pub min: u32,
    pub max: u32,
}

impl Default for Instances {
    fn default() -> Instances {
        Instances { min: 2, max: 4 }
    }
}

/// A JSON object as a map, refusing a key given twice: serde's own maps keep the last value
/// silently, where a struct's duplicate field is an error.
fn unique_keys<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<IndexMap<String, String>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = IndexMap<String, String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of strings")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut values = IndexMap::new();
            while let Some((key, value)) = map.next_entry::<String, String>()? {
                if values.contains_key(&key) {
                    return Err(serde::de::Error::custom(format_args!(
                        "duplicate key `{key}`; each environment variable is given once"
                    )));
                }
                values.insert(key, value);
            }
            Ok(values)
        }
    }
    deserializer.deserialize_map(Visitor)
}

fn default_cpu() -> u32 {
    256
}

fn default_memory() -> u32 {
    512
}

fn default_health_path() -> String {
    "/health".into()
}

/// serde's message with the Rust type names it uses for what it expected (`u16`, `struct
/// Instances`) in the words of a JSON file's author.
fn plain_words(message: &str) -> String {
    const WORDS: [(&str, &str); 6] = [
        ("invalid type: sequence", "invalid type: array"),
        ("invalid type: map", "invalid type: object"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        (
            "expected struct ServiceDescriptor",
            "expected an object of descriptor fields",
        ),
        (
            "expected struct Instances",
            "expected an object with `min` and `max`",
        ),
    ];
    // An array where an object belongs: serde reads a struct from a sequence too, and says
    // "invalid length 0, expected struct X with 12 elements".
    let message = match (
        message.strip_prefix("invalid length "),
        message.find("expected struct "),
    ) {
        (Some(_), Some(at)) => {
            let expected = &message[at..];
            let expected = expected.split(" with ").next().unwrap_or(expected);
            format!("invalid type: array, {expected}")
        }
        _ => message.to_owned(),
    };
    WORDS.iter().fold(message, |message, (rust, plain)| {
        message.replace(rust, plain)
    })
}

/// A descriptor that could not be read: the file, and where in it.
#[derive(Clone, Debug, PartialEq)]
pub struct DescriptorError {
    pub file: String,
    /// 1-based; 0 when the file could not be read at all.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for DescriptorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for DescriptorError {}

impl ServiceDescriptor {
    /// Reads the descriptor at `path`.
    pub fn load(path: &Path) -> Result<ServiceDescriptor, DescriptorError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| DescriptorError {
            file: file.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read the service descriptor: {error}"),
        })?;
        ServiceDescriptor::from_json(&file, &text)
    }

    /// The descriptors of a folder: every `*.json` file directly in `dir`, in file-name order
    /// (byte order, so the same on every machine). Hidden files (`.gitkeep`, editor swap
    /// files) are skipped; any other entry is an error naming it, so that `orders.yaml` or
    /// `orders.jsn` is not silently left out. A folder that cannot be listed is one error.
    pub fn load_dir(dir: &Path) -> Vec<Result<ServiceDescriptor, DescriptorError>> {
        let whole = |message: String| DescriptorError {
            file: dir.display().to_string(),
            line: 0,
            column: 0,
            message,
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => {
                return vec![Err(whole(format!(
                    "cannot list the service descriptor folder: {error}"
                )))]
            }
        };
        let mut paths = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => paths.push(entry.path()),
                Err(error) => {
                    return vec![Err(whole(format!(
                        "cannot list the service descriptor folder: {error}"
                    )))]
                }
            }
        }
        paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        paths
            .iter()
            .filter(|path| {
                !path
                    .file_name()
                    .is_some_and(|name| name.as_encoded_bytes().starts_with(b"."))
            })
            .map(|path| {
                let not_a_descriptor = |what: &str| DescriptorError {
                    file: path.display().to_string(),
                    line: 0,
                    column: 0,
                    message: format!(
                        "{what}; a service descriptor folder holds `*.json` descriptor files \
                         only (hidden files are skipped)"
                    ),
                };
                if !path.is_file() {
                    Err(not_a_descriptor("not a file"))
                } else if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    Err(not_a_descriptor("not a `.json` file"))
                } else {
                    ServiceDescriptor::load(path)
                }
            })
            .collect()
    }

    /// Parses `text`; errors name `file`, the line and the column.
    pub fn from_json(file: &str, text: &str) -> Result<ServiceDescriptor, DescriptorError> {
        serde_json::from_str(text).map_err(|error| {
            let message = error.to_string();
            // serde_json appends " at line L column C"; the location is reported apart.
            let message = match message.rfind(" at line ") {
                Some(at) => plain_words(&message[..at]),
                None => plain_words(&message),
            };
            DescriptorError {
                file: file.into(),
                line: error.line(),
                column: error.column(),
                // serde quotes the value it refuses: a 10 MB string is cut.
                message: super::validate::cut_message(&message).into_owned(),
            }
        })
    }

    /// The service: Fargate, blue/green through a rule on `load_balancer`'s shared listeners,
    /// CPU step scaling between the instance bounds, the container's own health check on
    /// the health path.
    pub fn service(&self, load_balancer: LoadBalancerId) -> Service {
        let mut app = Container::new(&self.name, &format!("{}:{}", self.image, self.tag))
            .port(self.port)
            .env("PORT", &self.port.to_string())
            .health_check(ContainerHealthCheck::shell(&format!(
                "wget -q -O /dev/null http://localhost:{}{} || exit 1",
                self.port, self.health_path
            )));
        for (name, value) in &self.environment {
            app = app.env(name, value);
        }
        let rule = RuleMatch {
            hosts: self.host.iter().cloned().collect(),
            paths: self.path.iter().cloned().collect(),
            priority: self.priority,
        };
        let traffic = Traffic::rule(
            load_balancer,
            rule,
            app.target(self.port),
            TargetHealthCheck::http(&self.health_path),
        );
        Service::new(
            &self.name,
            TaskSize {
                cpu: self.cpu,
                memory: self.memory,
            },
        )
        .compute(Compute::fargate())
        .container(app)
        .blue_green(
            BlueGreen::new(traffic)
                .controller(CodeDeploy::default().config(DeploymentConfig::AllAtOnce)),
        )
        .scaling(StepScaling::cpu(self.instances.min..=self.instances.max))
        .desired_count(self.instances.min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_line_and_column() {
        let unknown = ServiceDescriptor::from_json(
            "orders.json",
            "{\n  \"name\": \"orders\",\n  \"replicas\": 3\n}",
        )
        .expect_err("unknown field");
        assert_eq!((unknown.line, unknown.column), (3, 12));
        assert!(
            unknown
                .to_string()
                .starts_with("orders.json:3:12: unknown field `replicas`, expected one of"),
            "{unknown}"
        );
        let wrong_type = ServiceDescriptor::from_json(
            "orders.json",
            "{\"name\": \"orders\", \"image\": \"x\", \"tag\": \"1\", \"port\": \"80\"}",
        )
        .expect_err("port is a number");
        assert_eq!(
            wrong_type.to_string(),
            "orders.json:1:57: invalid type: string \"80\", expected a whole number from 0 to \
             65535"
        );
        // serde's Rust type names never reach the descriptor's author.
        for (text, expected) in [
            (
                "[]",
                "invalid type: array, expected an object of descriptor fields",
            ),
            (
                r#"{"name": "a", "instances": 3}"#,
                "invalid type: integer `3`, expected an object with `min` and `max`",
            ),
            (
                r#"{"name": "a", "cpu": {}}"#,
                "invalid type: object, expected a whole number from 0 to 4294967295",
            ),
        ] {
            let error = ServiceDescriptor::from_json("a.json", text).expect_err(text);
            assert_eq!(error.message, expected);
        }
        let malformed =
            ServiceDescriptor::from_json("orders.json", "{\"name\": ").expect_err("malformed");
        assert_eq!(
            malformed.to_string(),
            "orders.json:1:9: EOF while parsing a value"
        );
    }

    #[test]
    fn a_key_given_twice_is_refused_at_every_depth() {
        for (text, expected) in [
            (
                r#"{"name": "a", "name": "b", "image": "i", "tag": "1", "port": 80}"#,
                "duplicate field `name`",
            ),
            (
                r#"{"name": "a", "image": "i", "tag": "1", "port": 80,
                   "instances": {"min": 1, "min": 2, "max": 3}}"#,
                "duplicate field `min`",
            ),
            (
                r#"{"name": "a", "image": "i", "tag": "1", "port": 80,
                   "environment": {"MODE": "safe", "MODE": "unsafe"}}"#,
                "duplicate key `MODE`; each environment variable is given once",
            ),
        ] {
            let error = ServiceDescriptor::from_json("a.json", text).expect_err(expected);
            assert_eq!(error.message, expected);
        }
    }

    #[test]
    fn an_error_quoting_a_huge_value_is_cut() {
        let huge = "y".repeat(10 * 1024 * 1024);
        let text = format!(r#"{{"name": "a", "image": "i", "tag": "1", "port": "{huge}"}}"#);
        let error = ServiceDescriptor::from_json("a.json", &text).expect_err("port is a number");
        assert!(error.message.len() < 2000, "{} bytes", error.message.len());
        assert!(
            error.message.starts_with("invalid type: string \"yyy"),
            "{}",
            error.message
        );
        assert!(
            error
                .message
                .ends_with("yyy\", expected a whole number from 0 to 65535"),
            "{}",
            error.message
        );
    }

    #[test]
    fn defaults_fill_what_a_team_leaves_out() {
        let descriptor = ServiceDescriptor::from_json(
            "users.json",
            r#"{"name": "users", "image": "users", "tag": "1.0", "port": 8080, "path": "/users/*"}"#,
        )
        .expect("valid");
        assert_eq!((descriptor.cpu, descriptor.memory), (256, 512));
        assert_eq!(descriptor.instances, Instances { min: 2, max: 4 });
        assert_eq!(descriptor.health_path, "/health");
    }
}
