//! Step scaling: task bounds, CPU thresholds, alarm periods, and the steps of each policy.
//!
//! Step bounds are relative to the alarm threshold; `None` is unbounded. Application Auto
//! Scaling refuses steps that overlap or leave gaps, more than one step unbounded on a side,
//! and a step unbounded on both sides.

use super::Coverage::{ByConstruction, Checked};
use super::{row, Constraint};
use super::{service_path, Checker};
use crate::model::scaling::{Step, StepScaling};
use crate::model::service::Service;

const ALARM: &str = "aws_cloudwatch_metric_alarm";

pub(super) const CATALOGUE: &[Constraint] = &[
    row("aws_appautoscaling_target", "min_capacity", "0 ≤ min ≤ max", "Application Auto Scaling API RegisterScalableTarget", Checked("scaling.min_tasks")),
    row("aws_appautoscaling_target", "max_capacity", "≥ 1", "Application Auto Scaling API", Checked("scaling.max_tasks")),
    row("aws_appautoscaling_target", "resource_id", "service/<cluster>/<service>", "Application Auto Scaling API", ByConstruction("references")),
    row("aws_appautoscaling_target", "scalable_dimension", "enum", "Application Auto Scaling API", ByConstruction("constant")),
    row("aws_appautoscaling_target", "service_namespace", "enum", "Application Auto Scaling API", ByConstruction("constant")),
    row("aws_appautoscaling_policy", "step_scaling_policy_configuration", "steps: adjustments non-zero with the policy's sign, no overlap or gap, at most one unbounded per side; a positive upper bound needs a step unbounded above, a negative lower bound one unbounded below; cooldown ≥ 0", "Application Auto Scaling API StepScalingPolicyConfiguration", Checked("scaling.scale_out, scaling.scale_in")),
    row("aws_appautoscaling_policy", "name", "1–256 characters", "Application Auto Scaling API PutScalingPolicy", ByConstruction("`<stack>-<service>-scale-out|in` of checked names")),
    row("aws_appautoscaling_policy", "policy_type", "enum", "Application Auto Scaling API", ByConstruction("constant")),
    row("aws_appautoscaling_policy", "resource_id", "as the target", "Application Auto Scaling API", ByConstruction("reference")),
    row("aws_appautoscaling_policy", "scalable_dimension", "as the target", "Application Auto Scaling API", ByConstruction("reference")),
    row("aws_appautoscaling_policy", "service_namespace", "as the target", "Application Auto Scaling API", ByConstruction("reference")),
    row(ALARM, "threshold", "CPU percent 0–100, low < high; rollback: a count ≥ 1 or seconds > 0", "CloudWatch API PutMetricAlarm", Checked("scaling.low_cpu_percent, scaling.high_cpu_percent, deployment.rollback_alarms")),
    row(ALARM, "period", "10, 30 or a multiple of 60 s; ECS CPU is per minute", "CloudWatch API PutMetricAlarm", Checked("scaling.period_seconds")),
    row(ALARM, "evaluation_periods", "≥ 1; period × evaluation periods ≤ 86400 s for periods under an hour, ≤ 604800 s otherwise", "CloudWatch API PutMetricAlarm; provider validation", Checked("scaling.evaluation_periods, deployment.rollback_alarms.*_minutes")),
    row(ALARM, "alarm_name", "1–255 characters, no control characters", "CloudWatch API PutMetricAlarm", Checked("name (`<stack>-<service>-<target group|elb>-<metric>` of rollback alarms; `<stack>-<service>-cpu-high|low`)")),
    row(ALARM, "alarm_description", "≤ 1024", "CloudWatch API", ByConstruction("fixed text with checked names")),
    row(ALARM, "alarm_actions", "ARNs, ≤ 5", "CloudWatch API", ByConstruction("one policy reference")),
    row(ALARM, "comparison_operator", "enum", "CloudWatch API", ByConstruction("constant")),
    row(ALARM, "dimensions", "≤ 30; as the metric is published", "CloudWatch API; ELB user guides, CloudWatch metrics", ByConstruction("cluster and service; `LoadBalancer` and `TargetGroup` from the provider's `arn_suffix`; `LoadBalancerName` of a classic ELB")),
    row(ALARM, "metric_name", "metric", "CloudWatch API", ByConstruction("constant")),
    row(ALARM, "namespace", "namespace", "CloudWatch API", ByConstruction("constant")),
    row(ALARM, "statistic", "enum; exclusive with extended_statistic", "CloudWatch API", ByConstruction("constant")),
    row(ALARM, "extended_statistic", "percentile p0.0–p100", "CloudWatch API PutMetricAlarm", ByConstruction("constant `p99`")),
    row(ALARM, "treat_missing_data", "missing, ignore, breaching, notBreaching", "CloudWatch API PutMetricAlarm", ByConstruction("constant `notBreaching`")),
];

pub(super) fn check(check: &mut Checker, service: &Service) {
    let Some(scaling) = &service.scaling else {
        return;
    };
    let path = service_path(service);
    check_bounds(check, &path, service, scaling);
    check_alarms(check, &path, scaling);
    check_steps(check, &path, "scaling.scale_out", &scaling.scale_out, 1);
    check_steps(check, &path, "scaling.scale_in", &scaling.scale_in, -1);
}

fn check_bounds(check: &mut Checker, path: &[String], service: &Service, scaling: &StepScaling) {
    if scaling.max_tasks < 1 {
        check.error(
            path,
            "scaling.max_tasks",
            "0 tasks at most never runs the service; allow at least 1".into(),
        );
        return;
    }
    if scaling.min_tasks > scaling.max_tasks {
        check.error(
            path,
            "scaling.min_tasks",
            format!(
                "{} is more than `max_tasks` ({}); the minimum must not exceed the maximum",
                scaling.min_tasks, scaling.max_tasks
            ),
        );
    } else if !(scaling.min_tasks..=scaling.max_tasks).contains(&service.desired_count) {
        check.warning(
            path,
            "desired_count",
            format!(
                "{} is outside the scaling range {} to {}; the autoscaler moves it into the \
                 range right after the first apply",
                service.desired_count, scaling.min_tasks, scaling.max_tasks
            ),
        );
    }
}

fn check_alarms(check: &mut Checker, path: &[String], scaling: &StepScaling) {
    for (field, percent) in [
        ("scaling.low_cpu_percent", scaling.low_cpu_percent),
        ("scaling.high_cpu_percent", scaling.high_cpu_percent),
    ] {
        if !(0.0..=100.0).contains(&percent) {
            check.error(
                path,
                field,
                format!("{percent} is not a CPU percentage; allowed: 0 to 100"),
            );
        }
    }
    if scaling.low_cpu_percent >= scaling.high_cpu_percent {
        check.error(
            path,
            "scaling.low_cpu_percent",
            format!(
                "{} is not below `high_cpu_percent` ({}); the scale-in threshold must be lower \
                 than the scale-out threshold",
                scaling.low_cpu_percent, scaling.high_cpu_percent
            ),
        );
    }
    // AWS/ECS publishes CPUUtilization once a minute (standard resolution): alarms on it take
    // periods of whole minutes; 10 and 30 s are for high-resolution custom metrics only.
    if scaling.period_seconds == 0 || !scaling.period_seconds.is_multiple_of(60) {
        check.error(
            path,
            "scaling.period_seconds",
            format!(
                "{} is not a multiple of 60; ECS CPU metrics are per minute, so alarm periods \
                 are 60, 120, 180, …",
                scaling.period_seconds
            ),
        );
    }
    if scaling.evaluation_periods < 1 {
        check.error(
            path,
            "scaling.evaluation_periods",
            "0 periods never raise the alarm; use at least 1".into(),
        );
    }
    // PutMetricAlarm: period × evaluation periods is at most 7 days, and at most 1 day for
    // periods under an hour.
    let (limit, which) = if scaling.period_seconds < 3600 {
        (86_400, "1 day for periods under an hour")
    } else {
        (604_800, "7 days")
    };
    let total = u64::from(scaling.period_seconds) * u64::from(scaling.evaluation_periods);
    if total > limit {
        check.error(
            path,
            "scaling.evaluation_periods",
            format!(
                "{} periods of {} s evaluate {total} s; CloudWatch allows at most {limit} s \
                 ({which}): at most {} periods",
                scaling.evaluation_periods,
                scaling.period_seconds,
                limit / u64::from(scaling.period_seconds.max(1))
            ),
        );
    }
}

/// `sign` is +1 for scale-out steps (adding tasks) and −1 for scale-in steps.
fn check_steps(check: &mut Checker, path: &[String], field: &str, steps: &[Step], sign: i32) {
    if steps.is_empty() {
        check.error(
            path,
            field,
            "no steps; a step scaling policy needs at least one".into(),
        );
        return;
    }
    for (index, step) in steps.iter().enumerate() {
        check_step(check, path, &format!("{field}[{index}]"), field, step, sign);
    }
    check_unbounded_steps(check, path, field, steps);
    check_steps_meet(check, path, field, steps);
}

/// One step, `at` its place in the list: an adjustment in the list's direction and finite
/// bounds, lower below upper.
fn check_step(check: &mut Checker, path: &[String], at: &str, field: &str, step: &Step, sign: i32) {
    let direction = if sign > 0 { "add" } else { "remove" };
    if step.adjustment.signum() != sign {
        check.error(
            path,
            &format!("{at}.adjustment"),
            format!(
                "{} does not {direction} tasks; {field} adjustments must be {}",
                step.adjustment,
                if sign > 0 { "positive" } else { "negative" }
            ),
        );
    }
    let mut finite = true;
    for (side, bound) in [("lower", step.lower), ("upper", step.upper)] {
        if let Some(bound) = bound.filter(|bound| !bound.is_finite()) {
            finite = false;
            check.error(
                path,
                &format!("{at}.{side}"),
                format!(
                    "{bound} is not a number Application Auto Scaling takes; a bound is a \
                     finite number, and a side without one is unbounded"
                ),
            );
        }
    }
    if !finite {
        return;
    }
    match (step.lower, step.upper) {
        (None, None) => check.error(
            path,
            at,
            "both bounds are unbounded; give a lower or an upper bound".into(),
        ),
        (Some(lower), Some(upper)) if lower >= upper => check.error(
            path,
            at,
            format!("lower bound {lower} is not below upper bound {upper}"),
        ),
        _ => {}
    }
}

/// At most one step open at each end, and one open end wherever bounds cross the threshold.
fn check_unbounded_steps(check: &mut Checker, path: &[String], field: &str, steps: &[Step]) {
    for (side, unbounded) in [
        ("lower", steps.iter().filter(|s| s.lower.is_none()).count()),
        ("upper", steps.iter().filter(|s| s.upper.is_none()).count()),
    ] {
        if unbounded > 1 {
            check.error(
                path,
                field,
                format!("{unbounded} steps have no {side} bound; at most one may"),
            );
        }
    }
    // StepAdjustment: "If one step adjustment has a positive upper bound, then there must be
    // a step adjustment with a null upper bound", and likewise below. A bound that is no
    // finite number is reported as such above; it is no bound to reason about here.
    let positive_upper = steps
        .iter()
        .filter_map(|s| s.upper)
        .find(|u| u.is_finite() && *u > 0.0);
    if let Some(upper) = positive_upper.filter(|_| steps.iter().all(|s| s.upper.is_some())) {
        check.error(
            path,
            field,
            format!(
                "a step ends at {upper} above the threshold, and no step is unbounded above; \
                 Application Auto Scaling needs one step with no upper bound when any upper \
                 bound is positive"
            ),
        );
    }
    let negative_lower = steps
        .iter()
        .filter_map(|s| s.lower)
        .find(|l| l.is_finite() && *l < 0.0);
    if let Some(lower) = negative_lower.filter(|_| steps.iter().all(|s| s.lower.is_some())) {
        check.error(
            path,
            field,
            format!(
                "a step starts at {lower} below the threshold, and no step is unbounded below; \
                 Application Auto Scaling needs one step with no lower bound when any lower \
                 bound is negative"
            ),
        );
    }
}

/// Sorted by lower bound (unbounded first), each step must start where the previous ends.
fn check_steps_meet(check: &mut Checker, path: &[String], field: &str, steps: &[Step]) {
    let mut sorted: Vec<&Step> = steps.iter().collect();
    sorted.sort_by(|a, b| {
        let key = |s: &Step| s.lower.unwrap_or(f64::NEG_INFINITY);
        key(a).total_cmp(&key(b))
    });
    for pair in sorted.windows(2) {
        let (previous, next) = (pair[0], pair[1]);
        let (Some(end), Some(start)) = (previous.upper, next.lower) else {
            continue;
        };
        if end < start {
            check.error(
                path,
                field,
                format!("steps leave a gap from {end} to {start}; make each step start where the previous one ends"),
            );
        } else if end > start {
            check.error(
                path,
                field,
                format!("steps overlap from {start} to {end}; make each step start where the previous one ends"),
            );
        }
    }
}
