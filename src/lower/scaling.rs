//! CPU step scaling: the scalable target, a scale-out and a scale-in policy, and the two
//! alarms that trigger them.

use indexmap::IndexMap;

use super::Context;
use crate::aws::{
    AppautoscalingPolicy, AppautoscalingTarget, CloudwatchMetricAlarm, EcsService, StepAdjustment,
    StepScalingPolicyConfiguration, Tags,
};
use crate::model::naming::{aws_name, label};
use crate::model::{Service, Step, StepScaling};
use crate::tf::{Expr, Ref};

pub fn lower(
    context: &mut Context,
    service: &Service,
    scaling: &StepScaling,
    ecs_service: &Ref<EcsService>,
) {
    let stack = context.stack;
    let name = label(&service.name);
    let cluster_name = context.cluster.name();
    let target = context.doc.add(
        &name,
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
            &scaling.scale_out,
            scaling.high_cpu_percent,
            "GreaterThanOrEqualToThreshold",
            "high",
        ),
        (
            "in",
            &scaling.scale_in,
            scaling.low_cpu_percent,
            "LessThanOrEqualToThreshold",
            "low",
        ),
    ];
    for (direction, steps, threshold, comparison, level) in directions {
        let policy = context.doc.add(
            &[name.as_str(), "_scale_", direction].concat(),
            AppautoscalingPolicy {
                name: aws_name(&stack.name, &[&service.name, "scale", direction]).into(),
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
            &[name.as_str(), "_cpu_", level].concat(),
            CloudwatchMetricAlarm {
                alarm_name: aws_name(&stack.name, &[&service.name, "cpu", level]).into(),
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
