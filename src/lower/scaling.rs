//! CPU step scaling: the scalable target, a scale-out and a scale-in policy, and the two
//! alarms that trigger them.

use indexmap::IndexMap;

use super::{Context, LoweredService};
use crate::aws::{
    AppautoscalingPolicy, AppautoscalingTarget, CloudwatchMetricAlarm, StepAdjustment,
    StepScalingPolicyConfiguration, Tags,
};
use crate::model::naming::Named;
use crate::model::{Service, Step, StepScaling};
use crate::tf::{Expr, Ref};

/// The service's scalable target, then per direction a step policy and the CPU alarm that
/// triggers it.
pub fn lower(
    context: &mut Context,
    service: &Service,
    scaling: &StepScaling,
    lowered: &LoweredService,
) {
    let names = lowered
        .names
        .scaling
        .as_ref()
        .expect("the naming table names the scaling of a service that scales");
    let target = scalable_target(context, scaling, lowered);
    let directions = [
        Direction {
            word: "out",
            policy: &names.scale_out,
            alarm: &names.cpu_high,
            steps: &scaling.scale_out,
            threshold: scaling.high_cpu_percent,
            comparison: "GreaterThanOrEqualToThreshold",
            relation: "at or above",
        },
        Direction {
            word: "in",
            policy: &names.scale_in,
            alarm: &names.cpu_low,
            steps: &scaling.scale_in,
            threshold: scaling.low_cpu_percent,
            comparison: "LessThanOrEqualToThreshold",
            relation: "at or below",
        },
    ];
    for direction in directions {
        let policy = step_policy(context, scaling, &target, &direction);
        cpu_alarm(context, service, scaling, lowered, &direction, &policy);
    }
}

/// Scaling out or in: the policy's and the alarm's names, the steps, and when the alarm fires.
struct Direction<'a> {
    word: &'static str,
    policy: &'a Named,
    alarm: &'a Named,
    steps: &'a [Step],
    threshold: f64,
    comparison: &'static str,
    /// How the CPU compares with the threshold, for the alarm's description.
    relation: &'static str,
}

/// The service's desired count, between the scaling's minimum and maximum.
fn scalable_target(
    context: &mut Context,
    scaling: &StepScaling,
    lowered: &LoweredService,
) -> Ref<AppautoscalingTarget> {
    context.doc.add(
        &lowered.names.label,
        AppautoscalingTarget {
            service_namespace: "ecs".into(),
            resource_id: Expr::concat([
                Expr::from("service/"),
                context.cluster.name(),
                Expr::from("/"),
                lowered.service.name(),
            ]),
            scalable_dimension: "ecs:service:DesiredCount".into(),
            min_capacity: scaling.min_tasks,
            max_capacity: scaling.max_tasks,
        },
    )
}

fn step_policy(
    context: &mut Context,
    scaling: &StepScaling,
    target: &Ref<AppautoscalingTarget>,
    direction: &Direction,
) -> Ref<AppautoscalingPolicy> {
    context.doc.add(
        &direction.policy.label,
        AppautoscalingPolicy {
            name: (&direction.policy.aws).into(),
            policy_type: "StepScaling".into(),
            // Referencing the target, not repeating its values, orders creation after it.
            service_namespace: target.service_namespace(),
            resource_id: target.resource_id(),
            scalable_dimension: target.scalable_dimension(),
            step_scaling_policy_configuration: StepScalingPolicyConfiguration {
                adjustment_type: "ChangeInCapacity".into(),
                cooldown: scaling.cooldown_seconds,
                metric_aggregation_type: "Average".into(),
                step_adjustment: direction.steps.iter().map(step_adjustment).collect(),
            },
        },
    )
}

/// The service's average CPU against the direction's threshold, triggering `policy`.
fn cpu_alarm(
    context: &mut Context,
    service: &Service,
    scaling: &StepScaling,
    lowered: &LoweredService,
    direction: &Direction,
    policy: &Ref<AppautoscalingPolicy>,
) {
    let dimensions: IndexMap<String, Expr> = [
        ("ClusterName".to_owned(), context.cluster.name()),
        ("ServiceName".to_owned(), lowered.service.name()),
    ]
    .into_iter()
    .collect();
    context.doc.add(
        &direction.alarm.label,
        CloudwatchMetricAlarm {
            alarm_name: (&direction.alarm.aws).into(),
            alarm_description: format!(
                "Scale {} {} when average CPU is {} {}%",
                service.name, direction.word, direction.relation, direction.threshold
            )
            .into(),
            namespace: "AWS/ECS".into(),
            metric_name: "CPUUtilization".into(),
            dimensions,
            statistic: Some("Average".into()),
            extended_statistic: None,
            comparison_operator: direction.comparison.into(),
            threshold: direction.threshold,
            period: scaling.period_seconds,
            evaluation_periods: scaling.evaluation_periods,
            treat_missing_data: None,
            alarm_actions: vec![policy.arn()],
            tags: Tags::new(),
        },
    );
}

fn step_adjustment(step: &Step) -> StepAdjustment {
    StepAdjustment {
        metric_interval_lower_bound: step.lower.map(|bound| Expr::from(bound.to_string())),
        metric_interval_upper_bound: step.upper.map(|bound| Expr::from(bound.to_string())),
        scaling_adjustment: step.adjustment,
    }
}
