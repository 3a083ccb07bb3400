//! CPU step scaling: the scalable target, a scale-out and a scale-in policy, and the two
//! alarms that trigger them.

use indexmap::IndexMap;

use super::{Context, LoweredService};
use crate::aws::{
    AppautoscalingPolicy, AppautoscalingTarget, CloudwatchMetricAlarm, StepAdjustment,
    StepScalingPolicyConfiguration, Tags,
};
use crate::model::{Service, Step, StepScaling};
use crate::tf::Expr;

pub fn lower(
    context: &mut Context,
    service: &Service,
    scaling: &StepScaling,
    lowered: &LoweredService,
) {
    let ecs_service = &lowered.service;
    let names = lowered
        .names
        .scaling
        .as_ref()
        .expect("the naming table names the scaling of a service that scales");
    let cluster_name = context.cluster.name();
    let target = context.doc.add(
        &lowered.names.label,
        AppautoscalingTarget {
            service_namespace: "ecs".into(),
            resource_id: Expr::concat([
                Expr::from("service/"),
                cluster_name.clone(),
                Expr::from("/"),
                ecs_service.name(),
            ]),
            scalable_dimension: "ecs:service:DesiredCount".into(),
            min_capacity: scaling.min_tasks,
            max_capacity: scaling.max_tasks,
        },
    );
    let directions = [
        (
            "out",
            &names.scale_out,
            &names.cpu_high,
            &scaling.scale_out,
            scaling.high_cpu_percent,
            "GreaterThanOrEqualToThreshold",
            "high",
        ),
        (
            "in",
            &names.scale_in,
            &names.cpu_low,
            &scaling.scale_in,
            scaling.low_cpu_percent,
            "LessThanOrEqualToThreshold",
            "low",
        ),
    ];
    for (direction, policy_name, alarm_name, steps, threshold, comparison, level) in directions {
        let policy = context.doc.add(
            &policy_name.label,
            AppautoscalingPolicy {
                name: (&policy_name.aws).into(),
                policy_type: "StepScaling".into(),
                // Referencing the target, not repeating its values, orders creation after it.
                service_namespace: target.service_namespace(),
                resource_id: target.resource_id(),
                scalable_dimension: target.scalable_dimension(),
                step_scaling_policy_configuration: StepScalingPolicyConfiguration {
                    adjustment_type: "ChangeInCapacity".into(),
                    cooldown: scaling.cooldown_seconds,
                    metric_aggregation_type: "Average".into(),
                    step_adjustment: steps.iter().map(step_adjustment).collect(),
                },
            },
        );
        let dimensions: IndexMap<String, Expr> = [
            ("ClusterName".to_owned(), cluster_name.clone()),
            ("ServiceName".to_owned(), ecs_service.name()),
        ]
        .into_iter()
        .collect();
        context.doc.add(
            &alarm_name.label,
            CloudwatchMetricAlarm {
                alarm_name: (&alarm_name.aws).into(),
                alarm_description: format!(
                    "Scale {} {direction} when average CPU is {} {threshold}%",
                    service.name,
                    if level == "high" {
                        "at or above"
                    } else {
                        "at or below"
                    },
                )
                .into(),
                namespace: "AWS/ECS".into(),
                metric_name: "CPUUtilization".into(),
                dimensions,
                statistic: Some("Average".into()),
                extended_statistic: None,
                comparison_operator: comparison.into(),
                threshold,
                period: scaling.period_seconds,
                evaluation_periods: scaling.evaluation_periods,
                treat_missing_data: None,
                alarm_actions: vec![policy.arn()],
                tags: Tags::new(),
            },
        );
    }
}

fn step_adjustment(step: &Step) -> StepAdjustment {
    StepAdjustment {
        metric_interval_lower_bound: step.lower.map(|bound| Expr::from(bound.to_string())),
        metric_interval_upper_bound: step.upper.map(|bound| Expr::from(bound.to_string())),
        scaling_adjustment: step.adjustment,
    }
}
