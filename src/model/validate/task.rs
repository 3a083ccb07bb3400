//! The task: what its containers reserve of its size, their ports, images,
//! environment, secrets, and the log group's retention.

use super::provider::{closest_region, region_partition, shown, KNOWN_REGIONS};
use super::Coverage::{ByConstruction, Checked};
use super::{container_path, cut, plain_list, row, service_path, Checker, Constraint};
use crate::model::compute::Compute;
use crate::model::service::{Container, ContainerHealthCheck, Service};

const TD: &str = "aws_ecs_task_definition";
const REGISTER: &str = "ECS API RegisterTaskDefinition";
const CD: &str = "ECS API ContainerDefinition";

pub(super) const CATALOGUE: &[Constraint] = &[
    row(TD, "family", "1–255 of A-Za-z0-9-_", REGISTER, ByConstruction("`<stack>-<service>`, both checked as ECS names; the service name limit leaves room only if short, see names")),
    row(TD, "cpu", "Fargate: 256, 512, 1024, 2048, 4096, 8192, 16384 units", "ECS Developer Guide, Task CPU and memory", Checked("task_size.cpu")),
    row(TD, "memory", "Fargate: the memory range of the CPU size; EC2: fits the instance", "ECS Developer Guide, Task CPU and memory", Checked("task_size.memory")),
    row(TD, "requires_compatibilities", "enum FARGATE, EC2", REGISTER, ByConstruction("from `Compute`")),
    row(TD, "network_mode", "enum awsvpc, bridge, host (Fargate: awsvpc)", REGISTER, ByConstruction("from `Compute`; Fargate is always awsvpc")),
    row(TD, "runtime_platform", "LINUX; X86_64 or ARM64", REGISTER, ByConstruction("from `Architecture`")),
    row(TD, "execution_role_arn", "IAM role ARN", REGISTER, ByConstruction("reference to the role lowering creates")),
    row(TD, "task_role_arn", "IAM role ARN", REGISTER, ByConstruction("reference to the role lowering creates")),
    row(TD, "volume", "name 1–255 of A-Za-z0-9-_; host_path absolute (Docker bind mount); EFS access point and transit encryption", "ECS API Volume, HostVolumeProperties (botocore `ecs` service model)", Checked("volumes (names; host paths absolute without control characters; EFS settings are written by lowering)")),
    row(TD, "container_definitions", "at most 10 containers; whole task definition at most 64 KiB", "ECS service quotas: containers per task definition, task definition size", Checked("containers (the size estimated from the model: names, images, environment, secrets, commands)")),
    row(TD, "container_definitions.name", "1–255 of A-Za-z0-9-_, unique in the task", CD, Checked("containers.name")),
    row(TD, "container_definitions.image", "1–255 of letters, digits, `-_:./#` and `@` (digests); a reference the agent can pull: `[registry[:port]/]path[:tag][@algorithm:hex]`, lower-case path parts", "ECS API ContainerDefinition; distribution/reference `reference.go` (Docker's grammar)", Checked("containers.image")),
    row(TD, "container_definitions.cpu", "sum within the task's CPU", CD, Checked("containers.cpu")),
    row(TD, "container_definitions.memory", "≥ 6 MiB (Docker's minimum); ≤ task memory; ≥ reservation", CD, Checked("containers.memory")),
    row(TD, "container_definitions.memoryReservation", "sum within task memory; ≤ hard limit", CD, Checked("containers.memory_reservation")),
    row(TD, "container_definitions.essential", "at least one essential container", CD, Checked("containers")),
    row(TD, "container_definitions.portMappings", "containerPort 1–65535, each port/protocol once per awsvpc task; protocol tcp or udp", CD, Checked("containers.ports")),
    row(TD, "container_definitions.environment", "names non-empty, without `=`, whitespace or control characters (Docker's `NAME=value` form); values any text but NUL (execve(2)); ecsynth's rule: Jenkins' `-Djenkins.install.runSetupWizard=false` only with `CASC_JENKINS_CONFIG` and a secret", "ECS API KeyValuePair; Docker run --env; Jenkins handbook, Managing Security", Checked("containers.environment")),
    row(TD, "container_definitions.secrets", "name as an environment variable; valueFrom `arn:aws:ssm:<region>:<account>:parameter/<name>` or `arn:aws:secretsmanager:<region>:<account>:secret:<name>[:json-key:stage:version]`, the region one of the `aws` partition", "ECS API Secret; ECS Developer Guide, Pass sensitive data", Checked("containers.secrets")),
    row(TD, "container_definitions.healthCheck", "command starting CMD or CMD-SHELL, then non-blank arguments without NUL (execve(2)); interval 5–300 s, timeout 2–120 s, retries 1–10, startPeriod 0–300 s", "ECS API HealthCheck", Checked("containers.health_check")),
    row(TD, "container_definitions.ulimits", "name ∈ core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack; soft ≤ hard; Fargate nofile ≤ 1048576", "ECS API Ulimit; ECS Developer Guide, Fargate task resource limits", Checked("containers.ulimits")),
    row(TD, "container_definitions.mountPoints", "sourceVolume a volume of the task; containerPath absolute", CD, Checked("containers.mount_points")),
    row(TD, "container_definitions.readonlyRootFilesystem", "boolean", CD, ByConstruction("a bool")),
    row(TD, "container_definitions.logConfiguration", "awslogs with group, region, stream prefix", "ECS Developer Guide, awslogs driver", ByConstruction("the service's log group in the stack's checked region; the prefix is the checked service name")),
    row("aws_cloudwatch_log_group", "name", "1–512 of A-Za-z0-9_-/.#", "CloudWatch Logs API CreateLogGroup", ByConstruction("`/ecs/<stack>/<service>` of checked names")),
    row("aws_cloudwatch_log_group", "retention_in_days", "enum 0 (never), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653", "CloudWatch Logs API PutRetentionPolicy; provider validation", Checked("log_retention_days")),
];

/// ECS API Ulimit.name.
const ULIMIT_NAMES: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// Fargate: the `nofile` hard limit can be raised to this.
const FARGATE_MAX_NOFILE: u32 = 1_048_576;

/// ECS service quotas: "Containers per task definition: 10" (not adjustable).
const MAX_CONTAINERS: usize = 10;

/// Docker's smallest hard memory limit.
const MIN_CONTAINER_MEMORY: u32 = 6;

const MAX_IMAGE: usize = 255;

/// ECS refuses task definitions larger than 64 KiB.
const MAX_TASK_DEFINITION_BYTES: usize = 65_536;
/// What a container definition takes besides its own text (keys, log configuration, …), and
/// what the task definition takes besides its containers (family, roles, volumes): measured
/// on lowering's output, rounded up.
const CONTAINER_OVERHEAD: usize = 600;
const TASK_OVERHEAD: usize = 1_024;

/// CloudWatch Logs retention periods in days; 0 is Terraform's "never expire".
const LOG_RETENTION_DAYS: &[u32] = &[
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The prefixes of the ARNs the execution role may read secrets from; lowering grants
/// `ssm:GetParameters` and `secretsmanager:GetSecretValue` by them.
const SECRET_ARN_PREFIXES: &[&str] = &["arn:aws:ssm:", "arn:aws:secretsmanager:"];

pub(super) fn check(check: &mut Checker, service: &Service) {
    check_containers(check, service);
    check_reservations(check, service);
    check_ports(check, service);
    if !LOG_RETENTION_DAYS.contains(&service.log_retention_days) {
        check.error(
            &service_path(service),
            "log_retention_days",
            format!(
                "{} is not a CloudWatch Logs retention period; allowed: {} (0 keeps logs forever)",
                service.log_retention_days,
                plain_list(LOG_RETENTION_DAYS)
            ),
        );
    }
}

fn check_containers(check: &mut Checker, service: &Service) {
    if service.containers.is_empty() {
        check.error(
            &service_path(service),
            "containers",
            "a task needs at least one container; add one with `.container(Container::new(name, \
             image))`"
                .into(),
        );
        return;
    }
    if service.containers.len() > MAX_CONTAINERS {
        check.error(
            &service_path(service),
            "containers",
            format!(
                "{} containers; an ECS task definition holds at most {MAX_CONTAINERS}: move \
                 some into a service of their own",
                service.containers.len()
            ),
        );
    }
    if !service
        .containers
        .iter()
        .any(|container| container.essential)
    {
        check.error(
            &service_path(service),
            "containers",
            "no container is essential; ECS needs at least one, whose exit stops the task".into(),
        );
    }
    for container in &service.containers {
        let path = container_path(service, container);
        if container.image.trim().is_empty() {
            check.error(
                &path,
                "image",
                "the image is empty; give a repository and tag, e.g. `nginx:1.27`".into(),
            );
        }
        check_image(check, &path, &container.image);
        for name in container.environment.keys() {
            if name.is_empty() {
                check.error(
                    &path,
                    "environment",
                    "an environment variable has an empty name".into(),
                );
            } else if let Some(problem) = variable_name_problem(name) {
                check.error(
                    &path,
                    "environment",
                    format!("environment variable name `{name}` {problem}"),
                );
            }
        }
        for (name, value) in &container.environment {
            if value.contains('\0') {
                check.error(
                    &path,
                    &format!("environment.{name}"),
                    format!(
                        "`{}` contains U+0000; a process environment cannot hold NUL (execve(2) \
                         ends each string there) and the container runtime refuses to start \
                         the container",
                        cut(&value.escape_debug().to_string())
                    ),
                );
            }
        }
        if let Some(memory) = container.memory.filter(|m| *m < MIN_CONTAINER_MEMORY) {
            check.error(
                &path,
                "memory",
                format!(
                    "{memory} MiB is below Docker's minimum hard limit of \
                     {MIN_CONTAINER_MEMORY} MiB; give at least {MIN_CONTAINER_MEMORY}"
                ),
            );
        }
        check_secrets(check, &path, container);
        check_open_jenkins(check, &path, container);
        check_ulimits(check, &path, service, container);
        if let Some(health) = &container.health_check {
            check_health_check(check, &path, health);
        }
    }
    check_size(check, service);
}

/// ECS: "Up to 255 letters (uppercase and lowercase), numbers, hyphens, underscores, colons,
/// periods, forward slashes, and number signs"; `@` joins a digest (`repo@sha256:…`).
fn check_image(check: &mut Checker, path: &[String], image: &str) {
    if image.trim().is_empty() {
        return;
    }
    let length = image.chars().count();
    if length > MAX_IMAGE {
        check.error(
            path,
            "image",
            format!("the image is {length} characters; ECS allows at most {MAX_IMAGE}"),
        );
    }
    if let Some(bad) = image
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_:./#@".contains(*c)))
    {
        check.error(
            path,
            "image",
            format!(
                "`{image}` contains {}; an image reference allows A-Z, a-z, 0-9 and `-_:./#@`",
                shown(bad)
            ),
        );
    } else if let Some(problem) = reference_problem(image) {
        check.error(
            path,
            "image",
            format!(
                "`{}` is not an image reference Docker can pull: {problem}; write \
                 `[registry/]repository[:tag][@digest]`, e.g. `nginx:1.27`",
                cut(image)
            ),
        );
    }
}

/// What breaks Docker's reference grammar (distribution/reference `reference.go`):
/// `[domain[:port]/]path[:tag][@algorithm:hex]`, path components of lower-case letters and
/// digits joined by `.`, `_`, `__` or dashes, a tag of at most 128 word characters, `.` and
/// `-` not starting with `.` or `-`, a digest of at least 32 hex digits.
fn reference_problem(image: &str) -> Option<&'static str> {
    let (name_tag, digest) = match image.split_once('@') {
        Some((name_tag, digest)) => (name_tag, Some(digest)),
        None => (image, None),
    };
    if let Some(digest) = digest {
        let valid = digest.split_once(':').is_some_and(|(algorithm, hex)| {
            algorithm.starts_with(|c: char| c.is_ascii_alphabetic())
                && algorithm
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-_".contains(c))
                && hex.len() >= 32
                && hex.chars().all(|c| c.is_ascii_hexdigit())
        });
        if !valid {
            return Some("the digest after `@` is not `<algorithm>:<at least 32 hex digits>`");
        }
    }
    let (name, tag) = match name_tag.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
        _ => (name_tag, None),
    };
    if let Some(tag) = tag {
        let valid = (1..=128).contains(&tag.len())
            && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !valid {
            return Some(
                "the tag after `:` is 1 to 128 of A-Z, a-z, 0-9, `_`, `.`, `-`, not starting \
                 with `.` or `-`",
            );
        }
    }
    let components: Vec<&str> = name.split('/').collect();
    let first = components[0];
    let path = if components.len() > 1
        && (first.contains('.') || first.contains(':') || first == "localhost")
    {
        let (host, port) = match first.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (first, None),
        };
        let host_ok = host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        let port_ok =
            port.is_none_or(|port| !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()));
        if !host_ok || !port_ok {
            return Some("the registry is not a host name with an optional `:port`");
        }
        &components[1..]
    } else {
        &components[..]
    };
    let component_ok = |component: &str| {
        let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        component.starts_with(alphanumeric)
            && component.ends_with(alphanumeric)
            && component
                .chars()
                .all(|c| alphanumeric(c) || "._-".contains(c))
            && !component.contains("..")
            && !component.contains("___")
            && !component.contains("._")
            && !component.contains("_.")
            && !component.contains(".-")
            && !component.contains("-.")
            && !component.contains("_-")
            && !component.contains("-_")
    };
    if !path.iter().all(|component| component_ok(component)) {
        return Some(
            "repository path parts are lower-case letters and digits joined by `.`, `_`, `__` \
             or `-`, separated by `/`",
        );
    }
    None
}

/// Docker passes variables as `NAME=value`: a name holds no `=`, and a name with spaces or
/// control characters cannot be read back by a shell or most programs.
fn variable_name_problem(name: &str) -> Option<String> {
    if name.contains('=') {
        return Some("contains `=`; Docker passes variables as `NAME=value`".into());
    }
    name.chars()
        .find(|c| c.is_whitespace() || c.is_control())
        .map(|bad| {
            format!(
                "contains {}; use letters, digits and `_`, e.g. `{}`",
                shown(bad),
                name.chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect::<String>()
            )
        })
}

fn check_ulimits(check: &mut Checker, path: &[String], service: &Service, container: &Container) {
    let mut seen: Vec<&str> = Vec::new();
    for ulimit in &container.ulimits {
        let field = format!("ulimits.{}", ulimit.name);
        if !ULIMIT_NAMES.contains(&ulimit.name.as_str()) {
            check.error(
                path,
                "ulimits",
                format!(
                    "`{}` is not a ulimit name; allowed: {}",
                    ulimit.name,
                    plain_list(ULIMIT_NAMES)
                ),
            );
        } else if seen.contains(&ulimit.name.as_str()) {
            check.error(
                path,
                &field,
                format!("`{}` is set twice; set each ulimit once", ulimit.name),
            );
        }
        seen.push(&ulimit.name);
        if ulimit.soft_limit > ulimit.hard_limit {
            check.error(
                path,
                &field,
                format!(
                    "soft limit {} is above the hard limit {}; the soft limit must not exceed \
                     the hard limit",
                    ulimit.soft_limit, ulimit.hard_limit
                ),
            );
        }
        if ulimit.name == "nofile"
            && matches!(service.compute, Compute::Fargate(_))
            && ulimit.hard_limit > FARGATE_MAX_NOFILE
        {
            check.error(
                path,
                &field,
                format!(
                    "hard limit {} is above Fargate's {FARGATE_MAX_NOFILE} open files",
                    ulimit.hard_limit
                ),
            );
        }
    }
}

/// ECS API HealthCheck.
fn check_health_check(check: &mut Checker, path: &[String], health: &ContainerHealthCheck) {
    let field = |name: &str| format!("health_check.{name}");
    match health.command.first().map(String::as_str) {
        Some("CMD" | "CMD-SHELL") if health.command.len() > 1 => {}
        _ => check.error(
            path,
            &field("command"),
            format!(
                "{:?} is not a health check command; start with `CMD` and the program and its \
                 arguments, or `CMD-SHELL` and a shell command (`ContainerHealthCheck::shell`)",
                health.command
            ),
        ),
    }
    // Docker runs the command with execve(2): an argument cannot hold NUL; and a blank
    // argument after `CMD-SHELL` runs `sh -c ""`, which always passes and checks nothing.
    if let Some(bad) = health
        .command
        .iter()
        .skip(1)
        .find(|argument| argument.trim().is_empty() || argument.contains('\0'))
    {
        check.error(
            path,
            &field("command"),
            format!(
                "`{}` is blank or contains U+0000; each part of a health check command is \
                 non-blank text without NUL, which Docker passes to the program as an argument",
                cut(&bad.escape_debug().to_string())
            ),
        );
    }
    for (name, value, range, unit) in [
        ("interval", health.interval, 5..=300, " seconds"),
        ("timeout", health.timeout, 2..=120, " seconds"),
        ("retries", health.retries, 1..=10, ""),
        ("start_period", health.start_period, 0..=300, " seconds"),
    ] {
        if !range.contains(&value) {
            check.error(
                path,
                &field(name),
                format!(
                    "{value} is outside ECS's range {} to {}{unit}",
                    range.start(),
                    range.end()
                ),
            );
        }
    }
}

/// The bytes a string takes inside JSON, quotes included.
fn json_len(text: &str) -> usize {
    serde_json::to_string(text).map_or(text.len() + 2, |json| json.len())
}

/// The container definitions' size, from their text plus a measured overhead per container.
fn check_size(check: &mut Checker, service: &Service) {
    let sizes: Vec<(&str, usize)> = service
        .containers
        .iter()
        .map(|c| {
            let text = json_len(&c.name)
                + json_len(&c.image)
                + c.environment
                    .iter()
                    .map(|(name, value)| json_len(name) + json_len(value) + 20)
                    .sum::<usize>()
                + c.secrets
                    .iter()
                    .map(|s| json_len(&s.name) + json_len(&s.value_from) + 24)
                    .sum::<usize>()
                + c.health_check
                    .as_ref()
                    .map_or(0, |h| h.command.iter().map(|part| json_len(part) + 1).sum())
                + c.mount_points
                    .iter()
                    .map(|m| json_len(&m.volume) + json_len(&m.path) + 60)
                    .sum::<usize>()
                + c.ulimits.len() * 60
                + c.ports.len() * 60;
            (c.name.as_str(), text + CONTAINER_OVERHEAD)
        })
        .collect();
    let total: usize = sizes.iter().map(|(_, size)| size).sum::<usize>() + TASK_OVERHEAD;
    if total > MAX_TASK_DEFINITION_BYTES {
        check.error(
            &service_path(service),
            "containers",
            format!(
                "the task definition takes about {total} bytes ({}), more than ECS's \
                 {MAX_TASK_DEFINITION_BYTES} (64 KiB); move large environment values into \
                 secrets or a configuration file",
                sizes
                    .iter()
                    .map(|(name, size)| format!("`{name}` {size}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}

/// The Java system property that skips the wizard creating Jenkins' first admin user.
const JENKINS_WIZARD_OFF: &str = "-Djenkins.install.runSetupWizard=false";

/// Jenkins with its setup wizard off and no security realm lets anyone who reaches it
/// administer it, the script console included: code execution on the controller (Jenkins
/// handbook, "Managing Security" and "Configuration as Code"). The wizard may be off only
/// when configuration-as-code (`CASC_JENKINS_CONFIG`) sets up a user, whose password comes
/// from a secret: a password in plain `environment` is readable by anyone who may describe
/// the task definition.
fn check_open_jenkins(check: &mut Checker, path: &[String], container: &Container) {
    let Some((variable, _)) = container.environment.iter().find(|(_, value)| {
        value
            .split_whitespace()
            .any(|word| word == JENKINS_WIZARD_OFF)
    }) else {
        return;
    };
    let casc = container
        .environment
        .get("CASC_JENKINS_CONFIG")
        .is_some_and(|file| !file.trim().is_empty());
    let missing = match (casc, container.secrets.is_empty()) {
        (true, false) => return,
        (false, false) => "sets no `CASC_JENKINS_CONFIG`",
        (true, true) => "takes no secret for the admin's password",
        (false, true) => "sets no `CASC_JENKINS_CONFIG` and takes no secret",
    };
    check.error(
        path,
        &format!("environment.{variable}"),
        format!(
            "`{JENKINS_WIZARD_OFF}` skips the wizard that creates Jenkins' admin user, and this \
             container {missing}: Jenkins would start without a security realm, letting anyone \
             who reaches it administer it, script console (code execution) included; set \
             `CASC_JENKINS_CONFIG` to a configuration-as-code file that defines the admin with \
             its password from a secret (`.secret(\"JENKINS_ADMIN_PASSWORD\", arn)`), or \
             leave the wizard on"
        ),
    );
}

fn check_secrets(check: &mut Checker, path: &[String], container: &Container) {
    for secret in &container.secrets {
        if let Some(problem) = variable_name_problem(&secret.name) {
            check.error(
                path,
                "secrets",
                format!("secret variable name `{}` {problem}", secret.name),
            );
        }
        if secret.name.is_empty() {
            check.error(
                path,
                "secrets",
                format!(
                    "the secret from `{}` has an empty variable name",
                    secret.value_from
                ),
            );
        }
        if !SECRET_ARN_PREFIXES
            .iter()
            .any(|prefix| secret.value_from.starts_with(prefix))
        {
            check.error(
                path,
                &format!("secrets.{}", secret.name),
                format!(
                    "`{}` is not an SSM parameter or Secrets Manager ARN; it must start with \
                     `arn:aws:ssm:` or `arn:aws:secretsmanager:` (the execution role is granted \
                     read access by these prefixes)",
                    secret.value_from
                ),
            );
        } else if let Some(problem) = secret_arn_problem(&secret.value_from) {
            check.error(
                path,
                &format!("secrets.{}", secret.name),
                format!(
                    "`{}` is not a well-formed ARN: {problem}",
                    secret.value_from
                ),
            );
        }
        if let Some(problem) = secret.kms_key.as_deref().and_then(kms_key_problem) {
            check.error(path, &format!("secrets.{}.kms_key", secret.name), problem);
        }
    }
}

/// `kms:Decrypt` is granted on the key's ARN, `arn:aws:kms:<region>:<account>:key/<id>`.
/// An alias ARN in a policy's `Resource` does not match the key it names (KMS Developer
/// Guide, "Using aliases to control access to KMS keys"), so ECS would still be refused.
fn kms_key_problem(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let well_formed = match parts.as_slice() {
        ["arn", partition, "kms", region, account, resource] => {
            partition.starts_with("aws")
                && !region.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource
                    .strip_prefix("key/")
                    .is_some_and(|id| !id.is_empty())
        }
        _ => false,
    };
    (!well_formed).then(|| {
        format!(
            "`{arn}` is not a KMS key ARN; write `arn:aws:kms:<region>:<account>:key/<key-id>` \
             (an alias ARN in an IAM policy does not grant the key it names)"
        )
    })
}

/// `arn:aws:ssm:<region>:<account>:parameter/<name>` or
/// `arn:aws:secretsmanager:<region>:<account>:secret:<name>[:json-key:stage:version]`.
fn secret_arn_problem(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, service, region, account, resource] = parts.as_slice() else {
        return Some("write `arn:aws:<service>:<region>:<account>:<resource>`".into());
    };
    if region.is_empty()
        || !region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some(format!(
            "the region `{region}` is not a region name such as `eu-west-1`"
        ));
    }
    // `arn:aws:` is the `aws` partition: its regions only (AWS General Reference, Regions).
    if !KNOWN_REGIONS.contains(region) {
        let hint = match (region_partition(region), closest_region(region)) {
            (Some(partition), _) => format!(
                "it is a region of the `{partition}` partition, whose ARNs start `arn:{partition}:`"
            ),
            (None, Some(known)) => format!("did you mean `{known}`?"),
            (None, None) => format!("regions: {}", KNOWN_REGIONS.join(", ")),
        };
        return Some(format!(
            "`{region}` is not a region of the `aws` partition (`arn:aws:`); {hint}"
        ));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("the account `{account}` is not 12 digits"));
    }
    let (name, allowed, example): (&str, fn(char) -> bool, &str) = match *service {
        "ssm" => match resource.strip_prefix("parameter/") {
            Some(name) => (
                name,
                |c| c.is_ascii_alphanumeric() || "_.-/".contains(c),
                "A-Z, a-z, 0-9 and `_.-/`",
            ),
            None => return Some(format!("`{resource}` is not `parameter/<name>`")),
        },
        _ => match resource.strip_prefix("secret:") {
            // The name, then optionally ECS's `:json-key:version-stage:version-id`.
            Some(rest) => (
                rest.split(':').next().unwrap_or_default(),
                |c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c),
                "A-Z, a-z, 0-9 and `/_+=.@-`",
            ),
            None => return Some(format!("`{resource}` is not `secret:<name>`")),
        },
    };
    if name.is_empty() || name.len() > 2048 {
        return Some("the name is empty or longer than 2048 characters".into());
    }
    name.chars().find(|c| !allowed(*c)).map(|bad| {
        format!(
            "the name `{name}` contains {}; names allow {example}",
            shown(bad)
        )
    })
}

/// CPU and memory the containers reserve must fit the task: ECS refuses the task definition
/// otherwise. A container's reservation is its `memory_reservation`, else its hard `memory`.
fn check_reservations(check: &mut Checker, service: &Service) {
    let size = service.task_size;
    for container in &service.containers {
        let path = container_path(service, container);
        if let (Some(reservation), Some(limit)) = (container.memory_reservation, container.memory) {
            if reservation > limit {
                check.error(
                    &path,
                    "memory_reservation",
                    format!(
                        "{reservation} MiB is more than the container's hard limit `memory` \
                         ({limit} MiB); the reservation must not exceed the limit"
                    ),
                );
            }
        }
        if let Some(limit) = container.memory.filter(|limit| *limit > size.memory) {
            check.error(
                &path,
                "memory",
                format!(
                    "{limit} MiB is more than the task's {} MiB; lower it or raise \
                     `task_size.memory`",
                    size.memory
                ),
            );
        }
    }
    let cpu: Vec<(&str, u32)> = service
        .containers
        .iter()
        .filter(|c| c.cpu > 0)
        .map(|c| (c.name.as_str(), c.cpu))
        .collect();
    // In u64: two containers at u32::MAX must not wrap around to a small total.
    let total_cpu: u64 = cpu.iter().map(|(_, units)| u64::from(*units)).sum();
    if total_cpu > u64::from(size.cpu) {
        check.error(
            &service_path(service),
            "containers.cpu",
            format!(
                "containers reserve {total_cpu} CPU units ({}), more than the task's {}; lower \
                 the reservations or raise `task_size.cpu`",
                breakdown(&cpu, ""),
                size.cpu
            ),
        );
    }
    let memory: Vec<(&str, u32)> = service
        .containers
        .iter()
        .filter_map(|c| {
            c.memory_reservation
                .or(c.memory)
                .map(|mib| (c.name.as_str(), mib))
        })
        .collect();
    let total_memory: u64 = memory.iter().map(|(_, mib)| u64::from(*mib)).sum();
    if total_memory > u64::from(size.memory) {
        check.error(
            &service_path(service),
            "containers.memory_reservation",
            format!(
                "containers reserve {total_memory} MiB ({}), more than the task's {} MiB; lower \
                 the reservations or raise `task_size.memory`",
                breakdown(&memory, " MiB"),
                size.memory
            ),
        );
    }
}

/// "`app` 1024, `sidecar` 512".
fn breakdown(amounts: &[(&str, u32)], unit: &str) -> String {
    amounts
        .iter()
        .map(|(name, amount)| format!("`{name}` {amount}{unit}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Containers of a Fargate task share one network namespace (awsvpc): a port is bound once.
fn check_ports(check: &mut Checker, service: &Service) {
    let mut seen: Vec<(u16, &str, &str)> = Vec::new();
    for container in &service.containers {
        let path = container_path(service, container);
        for port in &container.ports {
            if port.container_port == 0 {
                check.error(
                    &path,
                    "ports",
                    "0 is not a container port; allowed: 1 to 65535".into(),
                );
                continue;
            }
            let protocol = port.protocol.name();
            match seen
                .iter()
                .find(|(number, proto, _)| *number == port.container_port && *proto == protocol)
            {
                Some((_, _, owner)) if *owner == container.name => check.error(
                    &path,
                    "ports",
                    format!(
                        "{}/{protocol} is listed twice; list each port once",
                        port.container_port
                    ),
                ),
                Some((_, _, owner)) => check.error(
                    &path,
                    "ports",
                    format!(
                        "{}/{protocol} is also a port of container `{owner}`; containers of a \
                         task share its network, so each port can be bound once",
                        port.container_port
                    ),
                ),
                None => seen.push((port.container_port, protocol, &container.name)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{
        Backend, BlueGreen, Container, Listener, LoadBalancer, Service, Stack, TargetHealthCheck,
        TaskSize, Traffic,
    };

    /// `service` deployed blue/green behind an internal ALB that sends to `app:8080`.
    fn stack_with(service: Service) -> Stack {
        let mut stack = Stack::new("test", "eu-west-1");
        stack.backend(Backend::Local);
        let lb = stack
            .add_load_balancer(LoadBalancer::application("web", Listener::http(80)).internal());
        let app = Container::new("app", "nginx").port(8080);
        let traffic = Traffic::listeners(lb, app.target(8080), TargetHealthCheck::http("/"));
        stack.add_service(service.blue_green(BlueGreen::new(traffic)));
        stack
    }

    fn service(cpu: u32, memory: u32) -> Service {
        Service::new("web", TaskSize { cpu, memory })
            .container(Container::new("app", "nginx").port(8080))
    }

    fn messages(stack: &Stack) -> Vec<String> {
        stack.validate().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_valid_service_has_no_diagnostics() {
        assert_eq!(
            messages(&stack_with(service(256, 512))),
            Vec::<String>::new()
        );
    }

    #[test]
    fn fargate_cpu_must_be_offered() {
        assert_eq!(
            messages(&stack_with(service(300, 512))),
            [
                "error: stack `test` › service `web` › `task_size.cpu`: 300 is not a Fargate CPU \
              size; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384"
            ]
        );
    }

    #[test]
    fn fargate_memory_must_match_cpu() {
        assert_eq!(
            messages(&stack_with(service(1024, 1024))),
            ["error: stack `test` › service `web` › `task_size.memory`: 1024 MiB is not offered \
              with 1024 CPU units on Fargate; allowed: 2048 to 8192 in steps of 1024"]
        );
        assert!(messages(&stack_with(service(256, 2048))).is_empty());
        assert!(!messages(&stack_with(service(8192, 18432))).is_empty());
    }
}
