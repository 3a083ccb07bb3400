//! Compute: the capacity providers of the stack and what a service asks of its compute —
//! Fargate's size table on Fargate, the instance type's size on EC2, volumes each kind offers.

use super::Coverage::{ByConstruction, Checked, NotChecked};
use super::{cut, plain_list, service_path, Checker};
use super::{row, Constraint};
use crate::model::compute::{
    Compute, Ec2Capacity, Ec2Placement, AGENT_DYNAMIC_HOST_PORT_RANGE, KERNEL_LOCAL_PORT_RANGE,
};
use crate::model::naming::{ServiceNames, VolumeNames};
use crate::model::service::{EfsVolume, Service, Volume, VolumeSource};
use crate::model::stack::Input;
use crate::model::stack::Stack;

const ASG: &str = "aws_autoscaling_group";
const LT: &str = "aws_launch_template";
const ECP: &str = "aws_ecs_capacity_provider";

pub(super) const CATALOGUE: &[Constraint] = &[
    row(ECP, "name", "1–255 of A-Za-z0-9-_, not `aws…`, `ecs…`, `fargate…`", "ECS API CreateCapacityProvider", Checked("name (see names)")),
    row(ECP, "auto_scaling_group_provider", "target capacity 1–100 %; managed termination protection needs scale-in protection", "ECS API ManagedScaling", Checked("target_capacity_percent")),
    row("aws_ecs_cluster_capacity_providers", "capacity_providers", "providers of the cluster", "ECS API PutClusterCapacityProviders", ByConstruction("references")),
    row("aws_ecs_cluster_capacity_providers", "default_capacity_provider_strategy", "weight 0–1000, base 0–100000", "ECS API", ByConstruction("constants")),
    row("aws_ecs_cluster_capacity_providers", "cluster_name", "cluster", "ECS API", ByConstruction("reference")),
    row(ASG, "name", "1–255 characters", "Auto Scaling API CreateAutoScalingGroup", ByConstruction("the checked capacity provider name")),
    row(ASG, "min_size", "0 ≤ min ≤ max", "Auto Scaling API", Checked("size")),
    row(ASG, "max_size", "≥ 1", "Auto Scaling API", Checked("size")),
    row(ASG, "desired_capacity", "min ≤ desired ≤ max", "Auto Scaling API", ByConstruction("the minimum")),
    row(ASG, "vpc_zone_identifier", "subnet ids", "Auto Scaling API", ByConstruction("the task subnets input")),
    row(ASG, "launch_template", "template and version", "Auto Scaling API", ByConstruction("reference")),
    row(ASG, "tag", "tag rules", "Auto Scaling API", Checked("tags (the `Name` tag is counted)")),
    row(ASG, "enabled_metrics", "metric name enum", "Auto Scaling API", ByConstruction("constants")),
    row(ASG, "health_check_type", "EC2 or ELB", "Auto Scaling API", ByConstruction("constant")),
    row(ASG, "instance_refresh", "strategy Rolling; preferences.scale_in_protected_instances Refresh, Ignore or Wait", "Auto Scaling API RefreshPreferences", ByConstruction("constants; `Refresh` with managed draining, else `Wait`")),
    row(ASG, "protect_from_scale_in", "boolean; required by managed termination protection", "ECS API ManagedTerminationProtection", ByConstruction("follows `managed_termination_protection`")),
    row(LT, "name", "3–128 of A-Za-z0-9()./_-", "EC2 API CreateLaunchTemplate", ByConstruction("the checked capacity provider name; a one-character stack and provider name gives at least 3")),
    row(LT, "instance_type", "an EC2 instance type", "EC2 API, `InstanceType` enum (botocore's EC2 service model; `instance_types.txt`)", Checked("instance_type")),
    row(LT, "block_device_mappings", "gp3 1–16384 GiB, at least the AMI snapshot", "EC2 API EbsBlockDevice; EBS User Guide, Amazon EBS volume types", Checked("root_volume_gib")),
    row(LT, "user_data", "base64 of a script of at most 16384 bytes", "EC2 API RequestLaunchTemplateData.UserData; EC2 User Guide, user data", Checked("user_data (the script lowering renders, measured; agent and kernel settings make it grow)")),
    row(LT, "description", "≤ 255", "EC2 API", ByConstruction("fixed text with checked names")),
    row(LT, "iam_instance_profile", "profile", "EC2 API", ByConstruction("reference")),
    row(LT, "image_id", "AMI id: `ami-` and 8 or 17 hex digits", "EC2 API Image.ImageId", Checked("ami (a pinned id; the default is a variable the operator sets)")),
    row(LT, "metadata_options", "IMDSv2 settings", "EC2 API", ByConstruction("constants")),
    row(LT, "monitoring", "boolean", "EC2 API", ByConstruction("constant")),
    row(LT, "tag_specifications", "tag rules", "EC2 API", Checked("tags (the `Name` tag is counted)")),
    row(LT, "update_default_version", "boolean", "provider", ByConstruction("constant")),
    row(LT, "vpc_security_group_ids", "ids", "EC2 API", ByConstruction("reference")),
    row("aws_efs_file_system", "creation_token", "1–64 characters", "EFS API CreateFileSystem (botocore `CreationToken`)", Checked("volumes (`<stack>-<service>-<volume>`)")),
    row("aws_efs_file_system", "tags", "tag rules", "EFS API", Checked("tags (the `Name` tag is counted)")),
    row("aws_efs_file_system", "encrypted", "boolean", "EFS API", ByConstruction("constant")),
    row("aws_efs_file_system", "performance_mode", "generalPurpose, maxIO", "EFS API", ByConstruction("constant")),
    row("aws_efs_file_system", "throughput_mode", "bursting, elastic, provisioned", "EFS API", ByConstruction("constant")),
    row("aws_efs_backup_policy", "file_system_id", "id", "EFS API PutBackupPolicy", ByConstruction("reference")),
    row("aws_efs_backup_policy", "backup_policy", "status ENABLED or DISABLED", "EFS API BackupPolicy", ByConstruction("constant ENABLED")),
    row("aws_efs_file_system_policy", "file_system_id", "id", "EFS API PutFileSystemPolicy", ByConstruction("reference")),
    row("aws_efs_file_system_policy", "policy", "resource policy JSON ≤ 20,000 characters", "EFS API PutFileSystemPolicy", ByConstruction("one fixed statement")),
    row("aws_efs_access_point", "root_directory", "path 1–100 characters, absolute; creation info", "EFS API CreateAccessPoint", Checked("volumes.root_directory")),
    row("aws_efs_access_point", "posix_user", "uid, gid 0–4294967295", "EFS API PosixUser", ByConstruction("u32 values")),
    row("aws_efs_access_point", "file_system_id", "id", "EFS API", ByConstruction("reference")),
    row("aws_efs_mount_target", "file_system_id", "id", "EFS API", ByConstruction("reference")),
    row("aws_efs_mount_target", "subnet_id", "one per Availability Zone", "EFS API CreateMountTarget", NotChecked("subnets are usually variables; AWS refuses two in one zone at apply")),
    row("aws_efs_mount_target", "security_groups", "ids", "EFS API", ByConstruction("reference")),
    row("aws_efs_mount_target", "for_each", "Terraform meta-argument", "Terraform", ByConstruction("the task subnets")),
];

/// Fargate CPU units → allowed memory in MiB (first, last, step).
const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// ECS: at most 5 placement strategy rules and 10 constraints per service.
const MAX_PLACEMENT_STRATEGIES: usize = 5;
const MAX_PLACEMENT_CONSTRAINTS: usize = 10;

/// The ECS-optimised Amazon Linux 2023 AMI's root snapshot is 30 GiB; smaller fails launch.
const MIN_ROOT_VOLUME_GIB: u32 = 30;
/// EBS volume types: gp3 (the root volume lowering writes) holds at most 16 TiB.
const MAX_ROOT_VOLUME_GIB: u32 = 16_384;

/// EC2: "User data is limited to 16 KB, in raw form, before it is base64-encoded."
const MAX_USER_DATA_BYTES: usize = 16_384;

/// EFS CreateFileSystem: `CreationToken` is 1 to 64 characters.
const MAX_CREATION_TOKEN: usize = 64;

/// The length of `bytes` bytes once base64-encoded, as Terraform's `base64encode` writes them.
fn base64_len(bytes: usize) -> usize {
    bytes.div_ceil(3) * 4
}

/// One EC2 capacity provider: its sizes, its instances, and what its user data writes to the
/// agent's and the kernel's configuration.
pub(super) fn check_capacity(check: &mut Checker, stack: &Stack, capacity: &Ec2Capacity) {
    let path = vec![format!("capacity provider `{}`", capacity.name)];
    check_sizes(check, &path, capacity);
    if let Some(problem) = instance_type_problem(&capacity.instance_type) {
        check.error(&path, "instance_type", problem);
    }
    check_user_data_size(check, &path, stack, capacity);
    check_dynamic_host_ports(check, &path, capacity);
    if let Input::Value(image_id) = &capacity.ami {
        // EC2 image ids: `ami-` and 8 or 17 hexadecimal digits (EC2 API, Image.ImageId).
        if !super::network::is_resource_id(image_id, "ami") {
            check.error(
                &path,
                "ami",
                format!(
                    "`{image_id}` is not an AMI id: `ami-` and 8 or 17 lower-case hexadecimal \
                     digits, e.g. `ami-0a1b2c3d4e5f67890`"
                ),
            );
        }
    }
    check_agent_settings(check, &path, capacity);
    check_kernel_settings(check, &path, capacity);
}

/// Instance counts, managed scaling's target and the root volume.
fn check_sizes(check: &mut Checker, path: &[String], capacity: &Ec2Capacity) {
    if capacity.max_size == 0 || capacity.min_size > capacity.max_size {
        check.error(
            path,
            "size",
            format!(
                "min {} and max {} instances: max must be at least 1 and at least min",
                capacity.min_size, capacity.max_size
            ),
        );
    }
    if !(1..=100).contains(&capacity.target_capacity_percent) {
        check.error(
            path,
            "target_capacity_percent",
            format!(
                "{} is outside ECS managed scaling's 1 to 100 percent",
                capacity.target_capacity_percent
            ),
        );
    }
    if capacity.root_volume_gib < MIN_ROOT_VOLUME_GIB {
        check.error(
            path,
            "root_volume_gib",
            format!(
                "{} GiB is smaller than the ECS-optimised AMI's {MIN_ROOT_VOLUME_GIB} GiB \
                 snapshot; instances would fail to launch",
                capacity.root_volume_gib
            ),
        );
    }
    if capacity.root_volume_gib > MAX_ROOT_VOLUME_GIB {
        check.error(
            path,
            "root_volume_gib",
            format!(
                "{} GiB is larger than a gp3 volume can be; allowed: {MIN_ROOT_VOLUME_GIB} to \
                 {MAX_ROOT_VOLUME_GIB} GiB (16 TiB)",
                capacity.root_volume_gib
            ),
        );
    }
}

/// EC2 takes at most 16 KB of user data before encoding.
fn check_user_data_size(
    check: &mut Checker,
    path: &[String],
    stack: &Stack,
    capacity: &Ec2Capacity,
) {
    let user_data = capacity.user_data(&stack.name, &stack.cluster.name).len();
    if user_data > MAX_USER_DATA_BYTES {
        check.error(
            path,
            "user_data",
            format!(
                "the user data script is {user_data} bytes ({} base64-encoded), more than EC2's \
                 {MAX_USER_DATA_BYTES} bytes (16 KB) before encoding; shorten the agent and \
                 kernel settings",
                base64_len(user_data)
            ),
        );
    }
}

/// ecs.config lines: a variable name and one line of printable text; the agent's durations in
/// Go's syntax.
fn check_agent_settings(check: &mut Checker, path: &[String], capacity: &Ec2Capacity) {
    for (name, value) in &capacity.agent_settings {
        // The agent also reads `HTTP_PROXY` and `NO_PROXY` from ecs.config, so no `ECS_`.
        let valid = name.starts_with(|c: char| c.is_ascii_uppercase())
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            check.error(
                path,
                "agent_settings",
                format!(
                    "`{name}` is not an ECS agent variable name: A-Z, 0-9 and `_`, starting \
                     with a letter (`ECS_…`, `HTTP_PROXY`)"
                ),
            );
        }
        if value.chars().any(char::is_control) {
            check.error(
                path,
                &format!("agent_settings.{name}"),
                format!(
                    "`{}` holds a line break or another control character; \
                     /etc/ecs/ecs.config takes one line of printable text per setting",
                    value.escape_debug()
                ),
            );
        }
    }
    for (field, value) in [
        ("task_cleanup_wait", &capacity.task_cleanup_wait),
        ("container_stop_timeout", &capacity.container_stop_timeout),
    ] {
        if !is_go_duration(value) {
            check.error(
                path,
                field,
                format!(
                    "`{}` is not a duration the ECS agent reads: a number and a unit, `ns`, \
                     `us`, `ms`, `s`, `m` or `h`, repeated (`30s`, `1h30m`)",
                    value.escape_debug()
                ),
            );
        }
    }
}

/// sysctl settings: dotted names, one line of printable text.
fn check_kernel_settings(check: &mut Checker, path: &[String], capacity: &Ec2Capacity) {
    for (name, value) in &capacity.kernel_settings {
        // sysctl(8): a key is names joined by `.` (or `/`), none of them empty.
        let valid_name = name.split('.').all(|part| !part.is_empty())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !valid_name || value.chars().any(char::is_control) {
            check.error(
                path,
                "kernel_settings",
                format!(
                    "`{} = {}` is not a sysctl setting: names are words of A-Z, a-z, 0-9, `_`, \
                     `-` joined by `.`, values one line of printable text",
                    name.escape_debug(),
                    value.escape_debug()
                ),
            );
        }
    }
}

/// The dynamic host ports are one value of the capacity: the agent's
/// `ECS_DYNAMIC_HOST_PORT_RANGE`, the kernel's `net.ipv4.ip_local_port_range` and the security
/// group rule from the load balancer all come from it. A task whose port lies outside the
/// opened range fails its health checks (ECS API reference, `PortMapping.hostPort`), so an
/// agent or kernel setting written by hand must say the same.
fn check_dynamic_host_ports(check: &mut Checker, path: &[String], capacity: &Ec2Capacity) {
    let range = capacity.dynamic_host_ports;
    if range.first < 1024 || range.first >= range.last {
        check.error(
            path,
            "dynamic_host_ports",
            format!(
                "{}–{} is not a port range the agent can use: the first port must be at least \
                 1024 (below are the system's own services) and below the last",
                range.first, range.last
            ),
        );
    }
    let settings = [
        (
            "agent_settings",
            AGENT_DYNAMIC_HOST_PORT_RANGE,
            capacity.agent_settings.get(AGENT_DYNAMIC_HOST_PORT_RANGE),
            range.agent_format(),
        ),
        (
            "kernel_settings",
            KERNEL_LOCAL_PORT_RANGE,
            capacity.kernel_settings.get(KERNEL_LOCAL_PORT_RANGE),
            range.kernel_format(),
        ),
    ];
    for (field, name, written, derived) in settings {
        let Some(written) = written else { continue };
        // sysctl separates the two numbers by any whitespace.
        let same = written.split_whitespace().collect::<Vec<_>>()
            == derived.split_whitespace().collect::<Vec<_>>();
        if !same {
            // Suggest the range the stack wrote, when it is one.
            let numbers: Vec<u16> = written
                .split(|c: char| c.is_whitespace() || c == '-')
                .filter(|part| !part.is_empty())
                .map(str::parse)
                .collect::<Result<_, _>>()
                .unwrap_or_default();
            let fix = match numbers[..] {
                [first, last] => format!("`Ec2Capacity::dynamic_host_ports({first}..={last})`"),
                _ => "`Ec2Capacity::dynamic_host_ports(first..=last)`".to_owned(),
            };
            check.error(
                path,
                &format!("{field}.{name}"),
                format!(
                    "`{written}` disagrees with the dynamic host ports {}–{} that the load \
                     balancer's security group rule opens, and tasks given a port outside \
                     them fail their health checks; set the range once with {fix}, and \
                     ecsynth writes `{AGENT_DYNAMIC_HOST_PORT_RANGE}`, \
                     `{KERNEL_LOCAL_PORT_RANGE}` and the rule from it",
                    range.first, range.last
                ),
            );
        }
    }
}

/// Go's `time.ParseDuration` syntax, which the ECS agent uses for its `…_DURATION` and
/// `…_TIMEOUT` settings (agent `config/types.go`): unsigned, one or more `<number><unit>`.
/// Anything else is also refused because the value is written raw into the user data.
fn is_go_duration(text: &str) -> bool {
    const UNITS: &[&str] = &["ns", "us", "µs", "μs", "ms", "s", "m", "h"];
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..digits];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[digits..];
        // Longest unit first: `ms` before `m`.
        let Some(unit) = UNITS
            .iter()
            .filter(|unit| rest.starts_with(**unit))
            .max_by_key(|unit| unit.len())
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

/// Where a service runs (Fargate, or the EC2 capacity it names and how tasks are placed
/// there) and its volumes and mounts.
pub(super) fn check_service(
    check: &mut Checker,
    stack: &Stack,
    service: &Service,
    names: &ServiceNames,
) {
    let path = service_path(service);
    match &service.compute {
        Compute::Fargate(_) => {
            check_fargate_size(check, service);
            for volume in &service.volumes {
                if let VolumeSource::HostPath(host_path) = &volume.source {
                    check.error(
                        &path,
                        &format!("volumes.{}", volume.name),
                        format!(
                            "host path `{host_path}` needs EC2 capacity; Fargate tasks have no \
                             host; use `Volume::efs` for data that must survive the task"
                        ),
                    );
                }
            }
        }
        Compute::Ec2(ec2) => {
            let Some(capacity) = stack.capacity_provider(ec2.capacity_provider) else {
                check.error(
                    &path,
                    "compute.capacity_provider",
                    "refers to a capacity provider that was not added to this stack; add one \
                     with `stack.add_capacity_provider(Ec2Capacity::new(…))`"
                        .into(),
                );
                return;
            };
            check_fits_instance(check, service, capacity);
            check_placement(check, &path, ec2);
            check_host_paths(check, &path, service);
        }
    }
    for (volume, named) in service.volumes.iter().zip(&names.volumes) {
        check_volume_name(check, &path, &volume.name);
        if let (VolumeSource::Efs(efs), Some(named)) = (&volume.source, named) {
            check_efs_volume(check, &path, volume, efs, named);
        }
    }
    check_mount_points(check, service);
}

/// At most 5 strategy rules and 10 constraints, each a cluster query expression.
fn check_placement(check: &mut Checker, path: &[String], ec2: &Ec2Placement) {
    if ec2.placement_strategy.len() > MAX_PLACEMENT_STRATEGIES {
        check.error(
            path,
            "compute.placement_strategy",
            format!(
                "{} rules; ECS allows at most {MAX_PLACEMENT_STRATEGIES}",
                ec2.placement_strategy.len()
            ),
        );
    }
    if ec2.placement_constraints.len() > MAX_PLACEMENT_CONSTRAINTS {
        check.error(
            path,
            "compute.placement_constraints",
            format!(
                "{} constraints; ECS allows at most {MAX_PLACEMENT_CONSTRAINTS}",
                ec2.placement_constraints.len()
            ),
        );
    }
    for expression in &ec2.placement_constraints {
        check_placement_expression(check, path, expression);
    }
}

/// Host path volumes on EC2: an absolute path Docker can bind-mount, and a warning that the
/// data stays on one instance.
fn check_host_paths(check: &mut Checker, path: &[String], service: &Service) {
    for volume in &service.volumes {
        if let VolumeSource::HostPath(host_path) = &volume.source {
            // Docker bind-mounts `sourcePath`, which must be absolute (ECS API
            // HostVolumeProperties; Docker refuses a relative bind source).
            let bad = host_path.chars().find(|c| c.is_control());
            if !host_path.starts_with('/') || bad.is_some() {
                let why = bad.map_or_else(
                    || "is not an absolute path".to_owned(),
                    |c| format!("contains {}", super::provider::shown(c)),
                );
                check.error(
                    path,
                    &format!("volumes.{}", volume.name),
                    format!(
                        "host path `{}` {why}; Docker bind-mounts an absolute path on \
                         the instance without control characters, e.g. `/srv/data`",
                        cut(&host_path.escape_debug().to_string())
                    ),
                );
                continue;
            }
            check.warning(
                path,
                &format!("volumes.{}", volume.name),
                format!(
                    "host path `{host_path}` lives on one instance: its data is lost \
                     when the instance is replaced (scale-in, AMI refresh); use \
                     `Volume::efs` for data that must survive"
                ),
            );
        }
    }
}

/// An EFS volume's creation token and access point root directory.
fn check_efs_volume(
    check: &mut Checker,
    path: &[String],
    volume: &Volume,
    efs: &EfsVolume,
    named: &VolumeNames,
) {
    let token = &named.token;
    let length = token.chars().count();
    if length > MAX_CREATION_TOKEN {
        check.error(
            path,
            &format!("volumes.{}", volume.name),
            format!(
                "the EFS creation token `{}` (`<stack>-<service>-<volume>`) is {length} \
                 characters; EFS allows at most {MAX_CREATION_TOKEN}: shorten the volume \
                 or service name",
                cut(token)
            ),
        );
    }
    // EFS CreateAccessPoint: RootDirectory.Path is 1 to 100 characters, absolute.
    let root = &efs.root_directory;
    if !root.starts_with('/') || root == "/" || root.chars().count() > 100 {
        check.error(
            path,
            &format!("volumes.{}.root_directory", volume.name),
            format!(
                "`{root}` must be an absolute directory below `/` of at most 100 \
                 characters; each volume gets its own directory on its file system"
            ),
        );
    }
}

/// Every mount: an absolute path in the container, of a volume of the service.
fn check_mount_points(check: &mut Checker, service: &Service) {
    for container in &service.containers {
        for mount in &container.mount_points {
            if !mount.path.starts_with('/') {
                check.error(
                    &super::container_path(service, container),
                    "mount_points",
                    format!("`{}` is not an absolute path in the container", mount.path),
                );
            }
            if !service
                .volumes
                .iter()
                .any(|volume| volume.name == mount.volume)
            {
                check.error(
                    &super::container_path(service, container),
                    "mount_points",
                    format!(
                        "`{}` is not a volume of this service; volumes: {}",
                        mount.volume,
                        if service.volumes.is_empty() {
                            "none".to_owned()
                        } else {
                            plain_list(service.volumes.iter().map(|v| &v.name))
                        }
                    ),
                );
            }
        }
    }
}

/// ECS Volume.name: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and
/// hyphens".
/// ECS: a `memberOf` expression has at most 2000 characters (ECS API, PlacementConstraint).
const MAX_PLACEMENT_EXPRESSION: usize = 2000;

/// What a cluster query language expression is written with besides letters, digits, spaces
/// (ECS Developer Guide, "Create expressions to define container instances": subjects such as
/// `attribute:ecs.instance-type` and `task:group`, operators `== != > >= < <= =~ !~ && || !`,
/// lists `[a, b]` or `(a, b)`, quoted ids `'i-…'`, wildcards `*`; attribute names and values
/// add `_ / \ @ :` and spaces).
const QUERY_PUNCTUATION: &str = "-_./\\@:*?=!~<>&|()[],'\"";

/// A `memberOf` expression: ECS requires one (1 to 2000 characters), of the characters the
/// cluster query language is written with; ECS refuses other text at CreateService.
fn check_placement_expression(check: &mut Checker, path: &[String], expression: &str) {
    let shown_expression = cut(&expression.escape_debug().to_string()).into_owned();
    let length = expression.chars().count();
    let problem = if expression.trim().is_empty() {
        Some(
            "is empty; a `memberOf` constraint needs a cluster query language expression, \
              e.g. `attribute:ecs.instance-type =~ m6i.*`"
                .to_owned(),
        )
    } else if length > MAX_PLACEMENT_EXPRESSION {
        Some(format!(
            "is {length} characters; ECS allows at most {MAX_PLACEMENT_EXPRESSION}"
        ))
    } else {
        expression
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == ' ' || QUERY_PUNCTUATION.contains(*c)))
            .map(|bad| {
                format!(
                    "contains {}; a cluster query language expression is one line of letters, \
                     digits, spaces and `{QUERY_PUNCTUATION}`",
                    super::provider::shown(bad)
                )
            })
    };
    if let Some(problem) = problem {
        check.error(
            path,
            "compute.placement_constraints",
            format!("`{shown_expression}` {problem}"),
        );
    }
}

fn check_volume_name(check: &mut Checker, path: &[String], name: &str) {
    let length = name.chars().count();
    let bad = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'));
    if length == 0 || length > MAX_VOLUME_NAME || bad.is_some() {
        check.error(
            path,
            "volumes",
            format!(
                "volume name `{}` ({length} characters{}) is not an ECS volume name: 1 to \
                 {MAX_VOLUME_NAME} of A-Z, a-z, 0-9, `_` and `-`",
                cut(name),
                bad.map(|c| format!(", contains {}", super::provider::shown(c)))
                    .unwrap_or_default()
            ),
        );
    }
}

/// ECS task definition volume names.
const MAX_VOLUME_NAME: usize = 255;

fn check_fargate_size(check: &mut Checker, service: &Service) {
    let size = service.task_size;
    let Some(&(_, first, last, step)) = FARGATE_SIZES.iter().find(|(cpu, ..)| *cpu == size.cpu)
    else {
        check.error(
            &service_path(service),
            "task_size.cpu",
            format!(
                "{} is not a Fargate CPU size; allowed: {}",
                size.cpu,
                plain_list(FARGATE_SIZES.iter().map(|s| s.0))
            ),
        );
        return;
    };
    // 256 CPU units allow 512, 1024 and 2048 MiB: the step there starts at 512.
    let fits = (first..=last).contains(&size.memory) && (size.memory - first).is_multiple_of(step);
    if !fits {
        check.error(
            &service_path(service),
            "task_size.memory",
            format!(
                "{} MiB is not offered with {} CPU units on Fargate; allowed: {first} to {last} \
                 in steps of {step}",
                size.memory, size.cpu
            ),
        );
    }
}

/// A task larger than its instance type can never be placed: ECS would leave it pending.
fn check_fits_instance(check: &mut Checker, service: &Service, capacity: &Ec2Capacity) {
    let Some((vcpus, memory_mib)) = instance_size(&capacity.instance_type) else {
        return;
    };
    let path = service_path(service);
    let size = service.task_size;
    if size.cpu == 0 || size.memory == 0 {
        check.error(
            &path,
            "task_size",
            "CPU units and memory must be above 0".into(),
        );
        return;
    }
    let cpu_units = vcpus * 1024;
    if size.cpu > cpu_units {
        check.error(
            &path,
            "task_size.cpu",
            format!(
                "{} CPU units do not fit a `{}` of capacity provider `{}` ({vcpus} vCPU = \
                 {cpu_units} units); lower it or choose a larger instance type",
                size.cpu, capacity.instance_type, capacity.name
            ),
        );
    }
    if size.memory > memory_mib {
        check.error(
            &path,
            "task_size.memory",
            format!(
                "{} MiB does not fit a `{}` of capacity provider `{}` ({memory_mib} MiB); lower \
                 it or choose a larger instance type",
                size.memory, capacity.instance_type, capacity.name
            ),
        );
    } else if u64::from(size.memory) * 10 > u64::from(memory_mib) * 9 {
        check.warning(
            &path,
            "task_size.memory",
            format!(
                "{} MiB is over 90% of a `{}`'s {memory_mib} MiB; the OS and the ECS agent keep \
                 part of it, so the task may never be placed",
                size.memory, capacity.instance_type
            ),
        );
    }
}

/// Every EC2 instance type, one family a line followed by its sizes: generated from botocore's
/// EC2 service model by `scripts/instance_types.py` (the header names the botocore version).
const INSTANCE_TYPES: &str = include_str!("instance_types.txt");

/// The sizes of `family` in the generated table, if EC2 has the family.
fn family_sizes(family: &str) -> Option<Vec<&'static str>> {
    INSTANCE_TYPES
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some(family)).then(|| words.collect())
        })
}

/// Why `instance_type` is not an EC2 instance type, with the nearest ones.
fn instance_type_problem(instance_type: &str) -> Option<String> {
    let (family, size) = instance_type.split_once('.').unwrap_or((instance_type, ""));
    if family_sizes(family).is_some_and(|sizes| sizes.contains(&size)) {
        return None;
    }
    let shown = cut(instance_type);
    Some(match family_sizes(family) {
        Some(sizes) => format!(
            "`{shown}` is not an EC2 instance type; `{family}` comes in {}",
            plain_list(sizes)
        ),
        None => {
            let closest = INSTANCE_TYPES
                .lines()
                .filter(|line| !line.starts_with('#'))
                .filter_map(|line| line.split_whitespace().next())
                .map(|known| (strsim::levenshtein(known, family), known))
                .min()
                .filter(|(distance, _)| *distance <= 2)
                .map(|(_, known)| format!("; did you mean family `{known}`?"))
                .unwrap_or_default();
            format!(
                "`{shown}` is not an EC2 instance type: no family `{family}` in EC2's list of \
                 instance types (`family.size`, e.g. `m6i.large`){closest}"
            )
        }
    })
}

/// Instance families whose sizes ecsynth knows, with GiB of memory per vCPU (AWS EC2 instance
/// types): tasks on other types are checked against the type's existence, not its size.
const FAMILIES: &[(&str, u32)] = &[
    ("m5", 4),
    ("m5a", 4),
    ("m6a", 4),
    ("m6g", 4),
    ("m6i", 4),
    ("m7a", 4),
    ("m7g", 4),
    ("m7i", 4),
    ("c5", 2),
    ("c5a", 2),
    ("c6a", 2),
    ("c6g", 2),
    ("c6i", 2),
    ("c7g", 2),
    ("c7i", 2),
    ("r5", 8),
    ("r6g", 8),
    ("r6i", 8),
    ("r7g", 8),
    ("r7i", 8),
    ("t3", 0),
    ("t3a", 0),
    ("t4g", 0),
];

/// `(vCPUs, MiB)` of an instance type of a known family.
fn instance_size(instance_type: &str) -> Option<(u32, u32)> {
    let (family, size) = instance_type.split_once('.')?;
    let (_, gib_per_vcpu) = FAMILIES.iter().find(|(known, _)| *known == family)?;
    if *gib_per_vcpu == 0 {
        // Burstable: two vCPUs up to large, memory doubling from nano.
        return Some(match size {
            "nano" => (2, 512),
            "micro" => (2, 1024),
            "small" => (2, 2048),
            "medium" => (2, 4096),
            "large" => (2, 8192),
            "xlarge" => (4, 16384),
            "2xlarge" => (8, 32768),
            _ => return None,
        });
    }
    let vcpus = match size {
        "medium" => 1,
        "large" => 2,
        "xlarge" => 4,
        _ => 4u32.checked_mul(size.strip_suffix("xlarge")?.parse::<u32>().ok()?)?,
    };
    // Checked: `m6i.1073741824xlarge` is text a stack may hold, not an instance.
    Some((vcpus, vcpus.checked_mul(*gib_per_vcpu)?.checked_mul(1024)?))
}

#[cfg(test)]
mod tests {
    use super::instance_size;

    #[test]
    fn every_family_with_a_known_size_is_an_ec2_family() {
        for (family, _) in super::FAMILIES {
            assert!(super::family_sizes(family).is_some(), "{family}");
        }
    }

    #[test]
    fn durations_follow_go_syntax() {
        for good in ["1h", "30s", "1h30m", "1.5h", "250ms", "10us"] {
            assert!(super::is_go_duration(good), "{good}");
        }
        for bad in [
            "",
            "1",
            "h",
            "30 s",
            "-1s",
            "1h\nrm -rf /",
            "1d",
            ".s",
            "1..2s",
        ] {
            assert!(!super::is_go_duration(bad), "{bad:?}");
        }
    }

    #[test]
    fn instance_sizes_follow_the_family_ratio() {
        assert_eq!(instance_size("m6i.large"), Some((2, 8192)));
        assert_eq!(instance_size("c7g.4xlarge"), Some((16, 32768)));
        assert_eq!(instance_size("t3.micro"), Some((2, 1024)));
        assert_eq!(instance_size("x2idn.large"), None);
        assert_eq!(instance_size("m6i"), None);
        assert_eq!(instance_size("m6i.1073741824xlarge"), None);
        assert_eq!(instance_size("r6i.4194304xlarge"), None);
    }
}
