//! Names: AWS's length, character and prefix rules, checked on the names AWS actually receives
//! (`<stack>-<service>-green`, not `green`), and model names used twice in one stack.
//!
//! A derived name is made of model names and fixed suffixes; a message says which model names
//! to change. The rules are public so that parts of the model still to come (capacity
//! providers) use the same checks.

use std::collections::HashMap;

use super::Coverage::{ByConstruction, Checked};
use super::{container_path, load_balancer_path, quoted_list, service_path, Checker};
use super::{row, Constraint};
use crate::model::naming::{self, LoadBalancerNames, Names};
use crate::model::service::Service;
use crate::model::stack::Stack;

pub(super) const CATALOGUE: &[Constraint] = &[
    row("aws_ecs_cluster", "name", "1–255 of A-Za-z0-9-_", "ECS API CreateCluster", Checked("cluster.name")),
    row("aws_ecs_cluster", "setting", "containerInsights enabled/disabled", "ECS API ClusterSetting", ByConstruction("from a bool")),
    row("aws_iam_role", "name", "1–64 of A-Za-z0-9_+=,.@-", "IAM API CreateRole; provider validation", Checked("name (`<stack>-<service>-execution|task|codedeploy|bluegreen|hooks`, `<stack>-<capacity>-instance`)")),
    row("aws_iam_role", "description", "≤ 1000 of printable characters", "IAM API CreateRole", ByConstruction("fixed text with checked names")),
    row("aws_iam_role", "assume_role_policy", "IAM policy JSON", "IAM API", ByConstruction("fixed service principals")),
    row("aws_iam_role_policy", "name", "1–128 of A-Za-z0-9_+=,.@-", "IAM API PutRolePolicy", ByConstruction("constant")),
    row("aws_iam_role_policy", "policy", "IAM policy JSON ≤ 10240 characters per role", "IAM quotas", ByConstruction("ARNs of checked secrets (the secret itself: no `:json-key:stage:version` tail, `-??????` for a partial ARN; `Secret::grant_resource`), their checked KMS keys and volumes; the number of secrets is bounded by the task definition size")),
    row("aws_iam_role_policy", "role", "role", "IAM API", ByConstruction("reference")),
    row("aws_iam_role_policy_attachment", "policy_arn", "managed policy ARN", "IAM API", ByConstruction("constant AWS managed policies")),
    row("aws_iam_role_policy_attachment", "role", "role", "IAM API", ByConstruction("reference")),
    row("aws_iam_service_linked_role", "aws_service_name", "a service that has a service-linked role; one role per account", "IAM API CreateServiceLinkedRole", ByConstruction("constant `ecs.amazonaws.com`; created only when the stack asks")),
    row("aws_iam_instance_profile", "name", "1–128 of A-Za-z0-9_+=,.@-", "IAM API CreateInstanceProfile", ByConstruction("as the instance role name, checked at 64")),
    row("aws_iam_instance_profile", "role", "role", "IAM API", ByConstruction("reference")),
];

/// AWS's naming rule for one kind of resource.
pub struct NameRule {
    /// What AWS calls the resource, as messages say it: "load balancer".
    pub kind: &'static str,
    pub max_len: usize,
    pub allowed: fn(char) -> bool,
    /// The allowed characters as messages spell them.
    pub allowed_text: &'static str,
    /// Whether the name must start and end with a letter or digit.
    pub no_edge_hyphen: bool,
    /// Prefixes AWS refuses, compared ignoring ASCII case, each with the reason.
    pub reserved_prefixes: &'static [(&'static str, &'static str)],
}

fn alphanumeric_or_hyphen(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

fn alphanumeric_hyphen_or_underscore(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn iam_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// `aws_lb.name`: the stack name, `-`, the load balancer name.
pub const LOAD_BALANCER: NameRule = NameRule {
    kind: "load balancer",
    max_len: 32,
    allowed: alphanumeric_or_hyphen,
    allowed_text: "A-Z, a-z, 0-9 and `-`",
    no_edge_hyphen: true,
    reserved_prefixes: &[("internal-", "AWS reserves for internal load balancers")],
};

/// `aws_lb_target_group.name`; CodeDeploy refers to target groups by this name.
pub const TARGET_GROUP: NameRule = NameRule {
    kind: "target group",
    max_len: 32,
    allowed: alphanumeric_or_hyphen,
    allowed_text: "A-Z, a-z, 0-9 and `-`",
    no_edge_hyphen: true,
    reserved_prefixes: &[],
};

/// ECS service names.
pub const SERVICE: NameRule = NameRule {
    kind: "ECS service",
    max_len: 255,
    allowed: alphanumeric_hyphen_or_underscore,
    allowed_text: "A-Z, a-z, 0-9, `-` and `_`",
    no_edge_hyphen: false,
    reserved_prefixes: &[],
};

/// ECS cluster names.
pub const CLUSTER: NameRule = NameRule {
    kind: "ECS cluster",
    ..SERVICE
};

/// Container names in a task definition.
pub const CONTAINER: NameRule = NameRule {
    kind: "container",
    ..SERVICE
};

/// `aws_elb.name`: the stack name, `-`, the classic load balancer name.
pub const CLASSIC_LOAD_BALANCER: NameRule = NameRule {
    kind: "classic load balancer",
    reserved_prefixes: &[],
    ..LOAD_BALANCER
};

/// ECS capacity provider names, `<stack>-<name>`; the Auto Scaling group and launch template
/// share the name.
pub const CAPACITY_PROVIDER: NameRule = NameRule {
    kind: "capacity provider",
    reserved_prefixes: &[
        ("aws", "AWS reserves"),
        ("ecs", "AWS reserves"),
        ("fargate", "AWS reserves for its Fargate capacity providers"),
    ],
    ..SERVICE
};

/// IAM role names: `<stack>-<service>-execution|task|codedeploy|bluegreen|hooks`.
pub const IAM_ROLE: NameRule = NameRule {
    kind: "IAM role",
    max_len: 64,
    allowed: iam_character,
    allowed_text: "A-Z, a-z, 0-9 and `_+=,.@-`",
    no_edge_hyphen: false,
    reserved_prefixes: &[],
};

/// `aws_cloudwatch_metric_alarm.alarm_name`: `<stack>-<service>-<source>-<metric>` for
/// rollback alarms. CloudWatch API PutMetricAlarm `AlarmName`: 1–255 UTF-8 characters, no
/// ASCII control characters.
pub const ALARM: NameRule = NameRule {
    kind: "CloudWatch alarm",
    max_len: 255,
    allowed: not_control,
    allowed_text: "any character but control characters",
    no_edge_hyphen: false,
    reserved_prefixes: &[],
};

fn not_control(c: char) -> bool {
    !c.is_control()
}

/// Stack names: the output directory `<out>/<stack>/` and the prefix of every AWS name. A
/// path separator, `.` or `..` would write outside `--out`; the characters are those every
/// AWS name the stack prefixes allows.
pub const STACK: NameRule = NameRule {
    kind: "stack",
    max_len: 64,
    allowed: alphanumeric_hyphen_or_underscore,
    allowed_text: "A-Z, a-z, 0-9, `-` and `_`",
    no_edge_hyphen: true,
    reserved_prefixes: &[],
};

/// Every problem of a stack name, as diagnostics of that stack: what validation reports for
/// a stack and the registry for a registered name.
pub fn stack_name_problems(name: &str) -> Vec<super::Diagnostic> {
    let mut check = Checker::new(name);
    check_stack_name(&mut check, name);
    check.diagnostics
}

fn check_stack_name(check: &mut Checker, name: &str) {
    STACK.check(
        check,
        &[],
        "name",
        &[Part::Model {
            what: "stack name",
            value: name,
        }],
    );
}

/// A piece of a name AWS receives: a model name (`("service name", "web")`) or a fixed suffix.
#[derive(Clone, Copy)]
pub enum Part<'a> {
    Model { what: &'a str, value: &'a str },
    Fixed(&'a str),
}

impl NameRule {
    /// Every way `name` breaks this rule, each as "<problem>" without a fix.
    pub fn problems(&self, name: &str) -> Vec<NameProblem> {
        let mut problems = Vec::new();
        if name.is_empty() {
            problems.push(NameProblem::Empty);
            return problems;
        }
        let length = name.chars().count();
        if length > self.max_len {
            problems.push(NameProblem::TooLong { length });
        }
        let mut bad: Vec<char> = name.chars().filter(|c| !(self.allowed)(*c)).collect();
        bad.dedup();
        bad.sort_unstable();
        bad.dedup();
        if !bad.is_empty() {
            problems.push(NameProblem::Characters(bad));
        }
        if self.no_edge_hyphen && name.starts_with('-') {
            problems.push(NameProblem::LeadingHyphen);
        }
        if self.no_edge_hyphen && name.ends_with('-') {
            problems.push(NameProblem::TrailingHyphen);
        }
        for (prefix, reason) in self.reserved_prefixes {
            let starts = name
                .get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix));
            if starts {
                problems.push(NameProblem::Reserved { prefix, reason });
            }
        }
        problems
    }

    /// The message for one problem of `name`, built from `parts`, ending with a fix.
    fn message(&self, name: &str, parts: &[Part], problem: &NameProblem) -> String {
        let models: Vec<(&str, &str)> = parts
            .iter()
            .filter_map(|part| match part {
                Part::Model { what, value } => Some((*what, *value)),
                Part::Fixed(_) => None,
            })
            .collect();
        let derived = parts.len() > 1;
        let subject = format!("{} name `{name}`", self.kind);
        let subject = if derived {
            format!("{subject} (made from {})", describe(&models))
        } else {
            subject
        };
        match problem {
            NameProblem::Empty => {
                format!(
                    "{} name is empty; it needs 1 to {} characters",
                    self.kind, self.max_len
                )
            }
            NameProblem::TooLong { length } => {
                let over = length - self.max_len;
                format!(
                    "{subject} is {length} characters, AWS allows at most {}; shorten {} by \
                     {over} character{}",
                    self.max_len,
                    alternatives(&models),
                    if over == 1 { "" } else { "s" }
                )
            }
            NameProblem::Characters(bad) => {
                let culprits: Vec<(&str, &str)> = models
                    .iter()
                    .copied()
                    .filter(|(_, value)| value.chars().any(|c| bad.contains(&c)))
                    .collect();
                format!(
                    "{subject} contains {}; {} names allow only {}; rename {}",
                    quoted_list(bad),
                    self.kind,
                    self.allowed_text,
                    alternatives(&culprits)
                )
            }
            NameProblem::LeadingHyphen => format!(
                "{subject} starts with `-`; {} names must start with a letter or digit; rename {}",
                self.kind,
                alternatives(&models[..1])
            ),
            NameProblem::TrailingHyphen => format!(
                "{subject} ends with `-`; {} names must end with a letter or digit; rename {}",
                self.kind,
                alternatives(&models[models.len() - 1..])
            ),
            NameProblem::Reserved { prefix, reason } => format!(
                "{subject} starts with `{prefix}`, which {reason}; rename {}",
                alternatives(&models[..1])
            ),
        }
    }

    /// Reports every problem of the name made of `parts` (joined with `-`).
    pub fn check(&self, check: &mut Checker, path: &[String], field: &str, parts: &[Part]) {
        let name = parts
            .iter()
            .map(|part| match part {
                Part::Model { value, .. } => *value,
                Part::Fixed(suffix) => suffix,
            })
            .collect::<Vec<_>>()
            .join("-");
        self.check_named(check, path, field, &name, parts);
    }

    /// Reports every problem of `name`, a name from the stack's naming table ([`Names`]);
    /// `parts` are what it is made of, for the message.
    fn check_named(
        &self,
        check: &mut Checker,
        path: &[String],
        field: &str,
        name: &str,
        parts: &[Part],
    ) {
        for problem in self.problems(name) {
            let message = self.message(name, parts, &problem);
            check.error(path, field, message);
        }
    }
}

/// One way a name breaks a [`NameRule`].
#[derive(Clone, Debug, PartialEq)]
pub enum NameProblem {
    Empty,
    TooLong {
        length: usize,
    },
    Characters(Vec<char>),
    LeadingHyphen,
    TrailingHyphen,
    Reserved {
        prefix: &'static str,
        reason: &'static str,
    },
}

/// "the stack name `prod` and the service name `web`".
fn describe(models: &[(&str, &str)]) -> String {
    name_list(models, " and ")
}

/// "the stack name `prod` or the service name `web`".
fn alternatives(models: &[(&str, &str)]) -> String {
    name_list(models, " or ")
}

fn name_list(models: &[(&str, &str)], joiner: &str) -> String {
    models
        .iter()
        .map(|(what, value)| format!("the {what} `{value}`"))
        .collect::<Vec<_>>()
        .join(joiner)
}

/// A model name that becomes a Terraform label (`label`, from the naming table) must start
/// with a letter or `_`.
fn check_label(check: &mut Checker, path: &[String], what: &str, name: &str, label: &str) {
    if let Some(first) = name.chars().next() {
        if !(first.is_ascii_alphabetic() || first == '_') {
            check.error(
                path,
                "name",
                format!(
                    "{what} name `{name}` starts with `{first}`; it becomes the Terraform label \
                     `{label}`, which must start with a letter or `_`"
                ),
            );
        }
    }
}

pub(super) fn check_stack(check: &mut Checker, stack: &Stack, names: &Names) {
    check_stack_name(check, &stack.name);
    let stack_part = Part::Model {
        what: "stack name",
        value: &stack.name,
    };
    CLUSTER.check(
        check,
        &[],
        "cluster.name",
        &[Part::Model {
            what: "cluster name",
            value: &stack.cluster.name,
        }],
    );
    check_load_balancer_names(check, stack, names, stack_part);
    check_capacity_provider_names(check, stack, names, stack_part);
    check_service_names(check, stack, names, stack_part);
}

/// Load balancers of both kinds: AWS names, and Terraform labels unique across the two.
fn check_load_balancer_names(check: &mut Checker, stack: &Stack, names: &Names, stack_part: Part) {
    let mut labels = HashMap::new();
    for (load_balancer, named) in stack.load_balancers().iter().zip(&names.load_balancers) {
        let path = load_balancer_path(load_balancer);
        let kind = LoadBalancerKind {
            what: "load balancer",
            rule: &LOAD_BALANCER,
        };
        kind.check(
            check,
            &path,
            &mut labels,
            stack_part,
            &load_balancer.name,
            named,
        );
    }
    for (elb, named) in stack
        .classic_load_balancers()
        .iter()
        .zip(&names.classic_load_balancers)
    {
        let path = vec![format!("classic load balancer `{}`", elb.name)];
        let kind = LoadBalancerKind {
            what: "classic load balancer",
            rule: &CLASSIC_LOAD_BALANCER,
        };
        kind.check(check, &path, &mut labels, stack_part, &elb.name, named);
    }
}

/// What differs between the names of an ALB or NLB and those of a classic ELB.
struct LoadBalancerKind {
    what: &'static str,
    rule: &'static NameRule,
}

impl LoadBalancerKind {
    /// The AWS name `named.aws` made from the stack's and `name`, and the Terraform label,
    /// unique among the `labels` of load balancers of both kinds.
    fn check<'n>(
        &self,
        check: &mut Checker,
        path: &[String],
        labels: &mut HashMap<String, &'n str>,
        stack_part: Part,
        name: &'n str,
        named: &LoadBalancerNames,
    ) {
        let what = format!("{} name", self.what);
        let part = Part::Model {
            what: &what,
            value: name,
        };
        self.rule
            .check_named(check, path, "name", &named.aws, &[stack_part, part]);
        check_label(check, path, self.what, name, &named.label);
        check_unique(check, path, labels, "load balancer", name, &named.label);
    }
}

/// Capacity providers and their instance roles.
fn check_capacity_provider_names(
    check: &mut Checker,
    stack: &Stack,
    names: &Names,
    stack_part: Part,
) {
    let mut labels = HashMap::new();
    for (capacity, named) in stack
        .capacity_providers()
        .iter()
        .zip(&names.capacity_providers)
    {
        let path = vec![format!("capacity provider `{}`", capacity.name)];
        let capacity_part = Part::Model {
            what: "capacity provider name",
            value: &capacity.name,
        };
        CAPACITY_PROVIDER.check_named(
            check,
            &path,
            "name",
            &named.aws,
            &[stack_part, capacity_part],
        );
        check_label(
            check,
            &path,
            "capacity provider",
            &capacity.name,
            &named.label,
        );
        if CAPACITY_PROVIDER.problems(&named.aws).is_empty() {
            IAM_ROLE.check_named(
                check,
                &path,
                "name",
                &named.instance_role.aws,
                &[stack_part, capacity_part, Part::Fixed("instance")],
            );
        }
        check_unique(
            check,
            &path,
            &mut labels,
            "capacity provider",
            &capacity.name,
            &named.label,
        );
    }
}

/// Services, the names derived from them, and their containers.
fn check_service_names(check: &mut Checker, stack: &Stack, names: &Names, stack_part: Part) {
    let mut labels = HashMap::new();
    for (service, named) in stack.services().iter().zip(&names.services) {
        let path = service_path(service);
        let service_part = Part::Model {
            what: "service name",
            value: &service.name,
        };
        SERVICE.check(check, &path, "name", &[service_part]);
        check_label(check, &path, "service", &service.name, &named.label);
        // Derived names repeat the service name's own problems; report only what they add
        // (`_` in a target group name, length).
        if SERVICE.problems(&service.name).is_empty() {
            check_derived_service_names(check, &path, stack_part, service_part, named);
        }
        check_unique(
            check,
            &path,
            &mut labels,
            "service",
            &service.name,
            &named.label,
        );
        check_container_names(check, service);
    }
}

/// Container names, unique within the service's task.
fn check_container_names(check: &mut Checker, service: &Service) {
    let mut containers: Vec<&str> = Vec::new();
    for container in &service.containers {
        let path = container_path(service, container);
        CONTAINER.check(
            check,
            &path,
            "name",
            &[Part::Model {
                what: "container name",
                value: &container.name,
            }],
        );
        if containers.contains(&container.name.as_str()) {
            check.error(
                &path,
                "name",
                format!(
                    "another container of this service is also named `{}`; container names \
                     must be unique within a task",
                    container.name
                ),
            );
        }
        containers.push(&container.name);
    }
}

/// Target groups, IAM roles and rollback alarms are named `<stack>-<service>-<suffix>` in the
/// naming table; the longest of siblings stands for them, so a name too long is reported once.
fn check_derived_service_names(
    check: &mut Checker,
    path: &[String],
    stack: Part,
    service_part: Part,
    names: &naming::ServiceNames,
) {
    // The last of the longest, as `max_by_key` picks it.
    let target_groups = names
        .target_groups
        .iter()
        .map(|group| (group.suffix, &group.named.aws));
    let roles = names
        .roles
        .iter()
        .map(|role| (role.suffix, &role.named.aws));
    for (rule, longest) in [
        (
            &TARGET_GROUP,
            target_groups.max_by_key(|(suffix, _)| suffix.len()),
        ),
        (&IAM_ROLE, roles.max_by_key(|(suffix, _)| suffix.len())),
    ] {
        if let Some((suffix, name)) = longest {
            rule.check_named(
                check,
                path,
                "name",
                name,
                &[stack, service_part, Part::Fixed(suffix)],
            );
        }
    }
    let source = names
        .rollback_alarms
        .iter()
        .max_by_key(|source| source.source.len());
    let metric = naming::ROLLBACK_ALARM_METRICS
        .iter()
        .max_by_key(|metric| metric.len());
    if let (Some(source), Some(metric)) = (source, metric) {
        let suffix = format!("{}-{metric}", source.source);
        ALARM.check_named(
            check,
            path,
            "name",
            &source.alarm(metric).aws,
            &[stack, service_part, Part::Fixed(&suffix)],
        );
    }
}

/// Reports `name` when an earlier sibling has the same name or the same Terraform label.
/// `seen` maps labels to the first name that took them: one lookup per name, so checking a
/// stack of thousands of services stays linear.
fn check_unique<'n>(
    check: &mut Checker,
    path: &[String],
    seen: &mut HashMap<String, &'n str>,
    what: &str,
    name: &'n str,
    label: &str,
) {
    match seen.get(label) {
        Some(other) if *other == name => check.error(
            path,
            "name",
            format!(
                "another {what} of this stack is also named `{name}`; {what} names must be \
                 unique within a stack (they name AWS resources and Terraform addresses)"
            ),
        ),
        Some(other) => check.error(
            path,
            "name",
            format!(
                "`{name}` and {what} `{other}` both become the Terraform label `{label}`; \
                 rename one of them"
            ),
        ),
        None => {
            seen.insert(label.to_owned(), name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_provider_names_must_not_use_reserved_prefixes() {
        assert_eq!(
            CAPACITY_PROVIDER.problems("FARGATE_SPOT_2"),
            [NameProblem::Reserved {
                prefix: "fargate",
                reason: "AWS reserves for its Fargate capacity providers",
            }]
        );
        assert_eq!(
            CAPACITY_PROVIDER.problems("ecs-ec2"),
            [NameProblem::Reserved {
                prefix: "ecs",
                reason: "AWS reserves",
            }]
        );
        assert_eq!(CAPACITY_PROVIDER.problems("storefront-ec2"), []);
    }

    /// CloudWatch API reference, PutMetricAlarm `AlarmName`: 1–255 characters, no ASCII
    /// control characters (botocore `cloudwatch/2010-08-01/service-2.json`, `AlarmName`:
    /// min 1, max 255).
    #[test]
    fn alarm_names_are_at_most_255_characters_without_control_characters() {
        let longest = "a".repeat(255);
        assert_eq!(ALARM.problems(&longest), []);
        assert_eq!(
            ALARM.problems(&format!("{longest}x")),
            [NameProblem::TooLong { length: 256 }]
        );
        assert_eq!(
            ALARM.problems("prod-web-blue\tunhealthy"),
            [NameProblem::Characters(vec!['\t'])]
        );
        assert_eq!(ALARM.problems("prod-web_1.blue/unhealthy"), []);
    }

    #[test]
    fn every_problem_of_a_name_is_returned() {
        assert_eq!(
            LOAD_BALANCER.problems("internal-a_b.c-this-name-is-far-too-long-"),
            [
                NameProblem::TooLong { length: 41 },
                NameProblem::Characters(vec!['.', '_']),
                NameProblem::TrailingHyphen,
                NameProblem::Reserved {
                    prefix: "internal-",
                    reason: "AWS reserves for internal load balancers",
                },
            ]
        );
    }
}
