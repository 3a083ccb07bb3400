//! Listener rules on a shared ALB: their conditions, priorities, and rules that would take
//! each other's requests.

use super::provider::shown;
use super::Coverage::{ByConstruction, Checked};
use super::{cut, quoted_list, service_path, Checker};
use super::{row, Constraint};
use crate::model::naming;
use crate::model::service::Service;
use crate::model::stack::Stack;
use crate::model::traffic::{Route, RuleMatch, Traffic};

pub(super) const CATALOGUE: &[Constraint] = &[
    row("aws_lb_listener_rule", "priority", "1–50000, unique per listener", "ELBv2 API CreateRule; provider validation", Checked("traffic.route.priority")),
    row("aws_lb_listener_rule", "condition", "host-header and path-pattern values 1–128 characters, at most 5 per rule; hosts of A-Za-z0-9 and `-.*?`, labels joined by single dots; paths start with `/`, of A-Za-z0-9 and `_-.$/~\"'@:+&*?`; no rule that a higher-priority rule always wins over", "ELBv2 API RuleCondition; ELB User Guide, Listener rules for your Application Load Balancer (condition types); ELB quotas", Checked("traffic.route")),
    row("aws_lb_listener_rule", "action", "forward to a target group", "ELBv2 API", ByConstruction("lowering writes it")),
    row("aws_lb_listener_rule", "listener_arn", "ARN", "ELBv2 API", ByConstruction("reference")),
];

/// ELB: "up to five match evaluations per rule"; each host or path value up to 128 characters.
const MAX_CONDITION_VALUES: usize = 5;
const MAX_VALUE_LEN: usize = 128;
const PRIORITIES: std::ops::RangeInclusive<u32> = 1..=50_000;

/// ELB User Guide, listener rule conditions: a host header value may hold "A-Z, a-z, 0-9",
/// "- ." and the wildcards `*` and `?`.
fn host_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.*?".contains(c)
}

/// ELB User Guide, listener rule conditions: a path pattern may hold "A-Z, a-z, 0-9",
/// "_ - . $ / ~ \" ' @ : +", "&" and the wildcards `*` and `?`.
fn path_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(c)
}

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
    check_condition_values(check, path, rule);
    check_hosts(check, path, rule);
    check_paths(check, path, rule);
    if let Some(pinned) = rule.priority.filter(|p| !PRIORITIES.contains(p)) {
        check.error(
            path,
            "traffic.route.priority",
            format!("{pinned} is outside the listener rule priorities 1 to 50000"),
        );
    }
    let mine = Claim {
        service,
        rule,
        priority: priority(service, rule),
    };
    // Compare with the services before this one, so each clash is reported once.
    for other in stack
        .services_behind(traffic.load_balancer)
        .take_while(|other| !std::ptr::eq(*other, service))
    {
        let Some(Route::Rule(theirs)) = other.traffic().map(|t| &t.route) else {
            continue;
        };
        let theirs = Claim {
            service: other,
            rule: theirs,
            priority: priority(other, theirs),
        };
        if theirs.priority == mine.priority {
            check.error(
                path,
                "traffic.route.priority",
                format!(
                    "{} is also the priority of service `{}`'s rule on this load balancer; \
                     pin a different one with `RuleMatch::priority`",
                    mine.priority, other.name
                ),
            );
        }
        check_overlap(check, path, &mine, &theirs);
    }
}

/// A rule of a service with the priority it gets.
struct Claim<'a> {
    service: &'a Service,
    rule: &'a RuleMatch,
    priority: u32,
}

/// Between one and five host and path values, each 1 to 128 characters.
fn check_condition_values(check: &mut Checker, path: &[String], rule: &RuleMatch) {
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
}

/// Hosts of the characters ELB takes, labels joined by single dots.
fn check_hosts(check: &mut Checker, path: &[String], rule: &RuleMatch) {
    for host in &rule.hosts {
        if let Some(bad) = host.chars().find(|c| !host_character(*c)) {
            check.error(
                path,
                "traffic.route",
                format!(
                    "host `{}` contains {}; a host condition allows A-Z, a-z, 0-9, `-`, `.` \
                     and the wildcards `*` and `?`",
                    cut(host),
                    shown(bad)
                ),
            );
        } else if host.starts_with('.') || host.contains("..") {
            // A Host header is a DNS name: labels joined by single dots (RFC 1035 §2.3.1);
            // a rule for `..` could never match a request.
            check.error(
                path,
                "traffic.route",
                format!(
                    "host `{}` has an empty label; a host is labels joined by single dots, \
                     e.g. `shop.example.com` or `*.example.com`",
                    cut(host)
                ),
            );
        }
    }
}

/// Path patterns of the characters ELB takes, starting with `/` (or a wildcard).
fn check_paths(check: &mut Checker, path: &[String], rule: &RuleMatch) {
    for path_pattern in &rule.paths {
        if let Some(bad) = path_pattern.chars().find(|c| !path_character(*c)) {
            check.error(
                path,
                "traffic.route",
                format!(
                    "path pattern `{}` contains {}; a path condition allows A-Z, a-z, 0-9, \
                     `_-.$/~\"'@:+&` and the wildcards `*` and `?`",
                    cut(path_pattern),
                    shown(bad)
                ),
            );
        }
        if !path_pattern.starts_with('/') && !path_pattern.starts_with('*') {
            check.error(
                path,
                "traffic.route",
                format!("path pattern `{path_pattern}` must start with `/`"),
            );
        }
    }
}

/// Two rules on one load balancer that would take each other's requests: the same claim, a
/// rule evaluated first that matches everything the other does, or one whose path pattern
/// covers a more specific one of the other.
fn check_overlap(check: &mut Checker, path: &[String], mine: &Claim, theirs: &Claim) {
    if same_claim(mine.rule, theirs.rule) {
        check.error(
            path,
            "traffic.route",
            format!(
                "service `{}` already claims the same hosts and paths on this load \
                 balancer; one of the two would never receive a request",
                theirs.service.name
            ),
        );
        return;
    }
    // ELB evaluates the lower priority first; on a tie (reported above) this rule counts as
    // first.
    let (first, second) = if theirs.priority < mine.priority {
        (theirs, mine)
    } else {
        (mine, theirs)
    };
    if covers(first.rule, second.rule) {
        check.error(
            &service_path(second.service),
            "traffic.route",
            format!(
                "the rule of service `{}` (priority {}) can never match: the rule of \
                 service `{}` (priority {}) is evaluated first and matches every request \
                 it would ({}); pin a lower priority for the narrower rule with \
                 `RuleMatch::priority`, or give the rules different hosts or paths",
                second.service.name,
                second.priority,
                first.service.name,
                first.priority,
                describe(first.rule)
            ),
        );
    } else if let Some((pattern, covered)) =
        shadows(first.rule, first.priority, second.rule, second.priority)
    {
        check.error(
            &service_path(mine.service),
            "traffic.route.priority",
            format!(
                "the rule of service `{}` (priority {}) is evaluated before \
                 that of service `{}` (priority {}) and its path {} also \
                 matches `{covered}`; pin priorities with `RuleMatch::priority` so that the \
                 more specific rule has the lower number",
                first.service.name,
                first.priority,
                second.service.name,
                second.priority,
                if pattern == "every path" {
                    pattern.to_owned()
                } else {
                    format!("`{pattern}`")
                }
            ),
        );
    }
}

/// "hosts `a`, `b`; paths `/x`", or "every host" / "every path" for a missing condition.
fn describe(rule: &RuleMatch) -> String {
    let values = |values: &[String], every: &str, some: &str| {
        if values.is_empty() {
            every.to_owned()
        } else {
            format!(
                "{some} {}",
                quoted_list(values.iter().map(|value| cut(value)))
            )
        }
    };
    format!(
        "{}; {}",
        values(&rule.hosts, "every host", "hosts"),
        values(&rule.paths, "every path", "paths")
    )
}

/// Whether every request `second` matches is matched by `first` as well: each of its
/// conditions is missing from `first` or covers every value of `second`'s. Hosts compare
/// without case, paths with.
fn covers(first: &RuleMatch, second: &RuleMatch) -> bool {
    let condition = |mine: &[String], theirs: &[String], fold: bool| {
        mine.is_empty()
            || (!theirs.is_empty()
                && theirs.iter().all(|value| {
                    mine.iter().any(|pattern| {
                        if fold {
                            glob_covers(&pattern.to_ascii_lowercase(), &value.to_ascii_lowercase())
                        } else {
                            glob_covers(pattern, value)
                        }
                    })
                }))
    };
    condition(&first.hosts, &second.hosts, true) && condition(&first.paths, &second.paths, false)
}

/// Whether `pattern` matches everything `value` (itself a pattern) does: `*` in `pattern`
/// takes any run of `value`, `?` one character that is not `*`, other characters themselves.
/// Sound, not complete: when it says yes, it is so.
fn glob_covers(pattern: &str, value: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let value: Vec<char> = value.chars().collect();
    // matches[j]: whether the pattern so far covers the first j characters of `value`.
    let mut matches = vec![false; value.len() + 1];
    matches[0] = true;
    for p in pattern {
        let mut next = vec![false; value.len() + 1];
        for j in 0..=value.len() {
            next[j] = match p {
                '*' => matches[j] || (j > 0 && next[j - 1]),
                '?' => j > 0 && matches[j - 1] && value[j - 1] != '*',
                _ => j > 0 && matches[j - 1] && value[j - 1] == p,
            };
        }
        matches = next;
    }
    matches[value.len()]
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

#[cfg(test)]
mod tests {
    use super::glob_covers;

    #[test]
    fn a_pattern_covers_what_it_matches_and_no_more() {
        assert!(glob_covers("*", "/api/*"));
        assert!(glob_covers("/api/*", "/api/orders/*"));
        assert!(glob_covers("*.example.com", "api.example.com"));
        assert!(glob_covers("/a?c", "/abc"));
        assert!(!glob_covers("/a?c", "/a*c"));
        assert!(!glob_covers("/api/orders", "/api/*"));
        assert!(!glob_covers("api.example.com", "*.example.com"));
    }
}
