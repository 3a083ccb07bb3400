//! Listener rules on a shared ALB: their conditions, priorities, and rules that would take
//! each other's requests.

use super::{service_path, Checker};
use crate::model::naming;
use crate::model::service::Service;
use crate::model::stack::Stack;
use crate::model::traffic::{Route, RuleMatch, Traffic};

/// ELB: "up to five match evaluations per rule"; each host or path value up to 128 characters.
const MAX_CONDITION_VALUES: usize = 5;
const MAX_VALUE_LEN: usize = 128;
const PRIORITIES: std::ops::RangeInclusive<u32> = 1..=50_000;

/// The priority a rule gets: pinned, or derived from the service name.
pub(crate) fn priority(service: &Service, rule: &RuleMatch) -> u32 {
    rule.priority
        .unwrap_or_else(|| naming::derived_rule_priority(&service.name))
}

pub(super) fn check_rule(
    check: &mut Checker,
    path: &[String],
    stack: &Stack,
    service: &Service,
    traffic: &Traffic,
    rule: &RuleMatch,
) {
    let field = "traffic.route";
    if rule.hosts.is_empty() && rule.paths.is_empty() {
        check.error(
            path,
            field,
            "a rule needs a host or a path to match; a service that takes every request uses \
             `Traffic::listeners` on a load balancer of its own"
                .into(),
        );
    }
    let values = rule.hosts.len() + rule.paths.len();
    if values > MAX_CONDITION_VALUES {
        check.error(
            path,
            field,
            format!(
                "{values} host and path values; a listener rule allows at most \
                 {MAX_CONDITION_VALUES}"
            ),
        );
    }
    for value in rule.hosts.iter().chain(&rule.paths) {
        if value.is_empty() || value.chars().count() > MAX_VALUE_LEN {
            check.error(
                path,
                field,
                format!(
                    "`{value}` has {} characters; host and path values need 1 to \
                     {MAX_VALUE_LEN}",
                    value.chars().count()
                ),
            );
        }
    }
    for path_pattern in &rule.paths {
        if !path_pattern.starts_with('/') && !path_pattern.starts_with('*') {
            check.error(
                path,
                field,
                format!("path pattern `{path_pattern}` must start with `/`"),
            );
        }
    }
    let mine = priority(service, rule);
    if let Some(pinned) = rule.priority.filter(|p| !PRIORITIES.contains(p)) {
        check.error(
            path,
            "traffic.route.priority",
            format!("{pinned} is outside the listener rule priorities 1 to 50000"),
        );
    }
    // Compare with the services before this one, so each clash is reported once.
    for other in stack
        .services_behind(traffic.load_balancer)
        .take_while(|other| !std::ptr::eq(*other, service))
    {
        let Some(Route::Rule(theirs)) = other.traffic().map(|t| &t.route) else {
            continue;
        };
        let their_priority = priority(other, theirs);
        if their_priority == mine {
            check.error(
                path,
                "traffic.route.priority",
                format!(
                    "{mine} is also the priority of service `{}`'s rule on this load balancer; \
                     pin a different one with `RuleMatch::priority`",
                    other.name
                ),
            );
        }
        if same_claim(rule, theirs) {
            check.error(
                path,
                "traffic.route",
                format!(
                    "service `{}` already claims the same hosts and paths on this load \
                     balancer; one of the two would never receive a request",
                    other.name
                ),
            );
        } else if let Some(shadow) = shadows(theirs, their_priority, rule, mine)
            .map(|(pattern, covered)| (other, pattern, covered, their_priority, mine))
            .or_else(|| {
                shadows(rule, mine, theirs, their_priority)
                    .map(|(pattern, covered)| (service, pattern, covered, mine, their_priority))
            })
        {
            let (first, pattern, covered, first_priority, second_priority) = shadow;
            let second = if first.name == service.name {
                other
            } else {
                service
            };
            check.error(
                &service_path(service),
                "traffic.route.priority",
                format!(
                    "the rule of service `{}` (priority {first_priority}) is evaluated before \
                     that of service `{}` (priority {second_priority}) and its path {} also \
                     matches `{covered}`; pin priorities with `RuleMatch::priority` so that the \
                     more specific rule has the lower number",
                    first.name,
                    second.name,
                    if pattern == "every path" {
                        pattern.to_owned()
                    } else {
                        format!("`{pattern}`")
                    }
                ),
            );
        }
    }
}

fn same_claim(a: &RuleMatch, b: &RuleMatch) -> bool {
    let sorted = |values: &[String]| {
        let mut values = values.to_vec();
        values.sort();
        values
    };
    sorted(&a.hosts) == sorted(&b.hosts) && sorted(&a.paths) == sorted(&b.paths)
}

/// When `first` is evaluated before `second` and one of its path patterns (`/api/*`) covers
/// one of `second`'s (`/api/orders/*`) for a host both match, `second` loses those requests.
fn shadows<'r>(
    first: &'r RuleMatch,
    first_priority: u32,
    second: &'r RuleMatch,
    second_priority: u32,
) -> Option<(&'r str, &'r str)> {
    if first_priority >= second_priority {
        return None;
    }
    let hosts_meet = first.hosts.is_empty()
        || second.hosts.is_empty()
        || first.hosts.iter().any(|host| second.hosts.contains(host));
    if !hosts_meet {
        return None;
    }
    if first.paths.is_empty() {
        // A host-only rule takes every path of its hosts.
        return (!second.hosts.is_empty() && !first.hosts.is_empty())
            .then_some(())
            .and(
                second
                    .paths
                    .first()
                    .map(|covered| ("every path", covered.as_str())),
            );
    }
    first.paths.iter().find_map(|pattern| {
        let prefix = pattern.strip_suffix('*')?;
        second
            .paths
            .iter()
            .find(|covered| *covered != pattern && covered.starts_with(prefix))
            .map(|covered| (pattern.as_str(), covered.as_str()))
    })
}
