//! Rollback alarms: CloudWatch alarms on what the load balancer sees of a service, which
//! CodeDeploy (`alarm_configuration`) or ECS (`aws_ecs_service.alarms`) watch during a
//! deployment and roll back on.
//!
//! One set per target group the service can be served from: blue and green, because after a
//! deployment the new version serves from the other one. Dimensions are what the load
//! balancer publishes under: `LoadBalancer` = `app/<name>/<id>` (`net/…` for NLB) and
//! `TargetGroup` = `targetgroup/<name>/<id>`, the provider's `arn_suffix` attributes; a classic
//! ELB publishes by `LoadBalancerName` (CloudWatch metrics for your Application Load Balancer /
//! Network Load Balancer / Classic Load Balancer, ELB user guides). No traffic is no failure:
//! `treat_missing_data = notBreaching`.

use indexmap::IndexMap;

use super::targets::{Attached, Attachment};
use super::Context;
use crate::aws::{CloudwatchMetricAlarm, Elb, Lb, LbTargetGroup, Tags};
use crate::model::naming::ServiceNames;
use crate::model::{ClassicProtocol, LoadBalancerKind, RollbackAlarms, Service};
use crate::tf::{Expr, Ref};

/// Every metric here is published per minute.
const PERIOD_SECONDS: u32 = 60;

/// One alarm before it gets its names.
struct Metric {
    suffix: &'static str,
    namespace: &'static str,
    metric_name: &'static str,
    statistic: Option<&'static str>,
    extended_statistic: Option<&'static str>,
    comparison: &'static str,
    threshold: f64,
    evaluation_periods: u32,
    description: String,
}

/// The service's rollback alarms, in the order blue, green (or its one target group, or its
/// classic ELB); none when it has no load balancer or opted out.
pub fn lower(
    context: &mut Context,
    service: &Service,
    names: &ServiceNames,
    attached: &Attached,
) -> Vec<Ref<CloudwatchMetricAlarm>> {
    let Some(settings) = service.deployment.rollback_alarms() else {
        return Vec::new();
    };
    let sources = &names.rollback_alarms;
    let watched: Vec<(Vec<Metric>, IndexMap<String, Expr>)> = match &attached.attachment {
        Attachment::None => return Vec::new(),
        Attachment::Classic(elb) => vec![classic(context, service, settings, elb)],
        Attachment::BlueGreen(_) | Attachment::TargetGroup(_) => {
            let Some(traffic) = service.traffic() else {
                return Vec::new();
            };
            let kind = context
                .stack
                .load_balancer(traffic.load_balancer)
                .expect("validation: traffic goes through a load balancer of this stack")
                .kind;
            let lb = context.load_balancers[&traffic.load_balancer].lb.clone();
            attached
                .target_groups()
                .into_iter()
                .zip(sources)
                .map(|(group, source)| {
                    target_group(service, settings, kind, &lb, group, source.source)
                })
                .collect()
        }
    };
    let mut alarms = Vec::new();
    for ((metrics, dimensions), source) in watched.into_iter().zip(sources) {
        for metric in metrics {
            let named = source.alarm(metric.suffix);
            alarms.push(context.doc.add(
                &named.label,
                CloudwatchMetricAlarm {
                    alarm_name: (&named.aws).into(),
                    alarm_description: metric.description.into(),
                    namespace: metric.namespace.into(),
                    metric_name: metric.metric_name.into(),
                    dimensions: dimensions.clone(),
                    statistic: metric.statistic.map(Expr::from),
                    extended_statistic: metric.extended_statistic.map(Expr::from),
                    comparison_operator: metric.comparison.into(),
                    threshold: metric.threshold,
                    period: PERIOD_SECONDS,
                    evaluation_periods: metric.evaluation_periods,
                    treat_missing_data: Some("notBreaching".into()),
                    alarm_actions: Vec::new(),
                    tags: Tags::new(),
                },
            ));
        }
    }
    alarms
}

/// CloudWatch PutMetricAlarm: evaluation periods × period at most one day.
const MAX_EVALUATION_MINUTES: u32 = 1440;

/// `unhealthy_minutes`, at least the health check grace period in whole minutes, at most
/// the day CloudWatch can evaluate (validation keeps `unhealthy_minutes` within it).
fn unhealthy_minutes(service: &Service, settings: &RollbackAlarms) -> u32 {
    let grace_minutes = service
        .health_check_grace_period_seconds
        .div_ceil(PERIOD_SECONDS);
    settings
        .unhealthy_minutes
        .max(grace_minutes)
        .min(MAX_EVALUATION_MINUTES)
}

fn unhealthy(
    namespace: &'static str,
    service: &Service,
    settings: &RollbackAlarms,
    what: String,
) -> Metric {
    let minutes = unhealthy_minutes(service, settings);
    Metric {
        suffix: "unhealthy",
        namespace,
        metric_name: "UnHealthyHostCount",
        statistic: Some("Maximum"),
        extended_statistic: None,
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: 1.0,
        evaluation_periods: minutes,
        description: format!(
            "Roll back: {what} has had an unhealthy target for {minutes} minute(s)"
        ),
    }
}

fn errors(
    namespace: &'static str,
    metric_name: &'static str,
    settings: &RollbackAlarms,
    what: String,
) -> Metric {
    Metric {
        suffix: "5xx",
        namespace,
        metric_name,
        statistic: Some("Sum"),
        extended_statistic: None,
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: f64::from(settings.errors_per_minute),
        evaluation_periods: 1,
        description: format!(
            "Roll back: the tasks behind {what} answered {} or more 5XX responses in a minute",
            settings.errors_per_minute
        ),
    }
}

fn target_group(
    service: &Service,
    settings: &RollbackAlarms,
    kind: LoadBalancerKind,
    lb: &Ref<Lb>,
    group: &Ref<LbTargetGroup>,
    source: &str,
) -> (Vec<Metric>, IndexMap<String, Expr>) {
    let what = || format!("the {source} target group of {}", service.name);
    let metrics = match kind {
        LoadBalancerKind::Application => {
            let namespace = "AWS/ApplicationELB";
            let mut metrics = vec![
                unhealthy(namespace, service, settings, what()),
                errors(namespace, "HTTPCode_Target_5XX_Count", settings, what()),
            ];
            if let Some(seconds) = settings.response_time_p99_seconds {
                metrics.push(Metric {
                    suffix: "p99",
                    namespace,
                    metric_name: "TargetResponseTime",
                    statistic: None,
                    extended_statistic: Some("p99"),
                    comparison: "GreaterThanThreshold",
                    threshold: seconds,
                    evaluation_periods: settings.latency_minutes,
                    description: format!(
                        "Roll back: p99 response time of {} above {seconds} s for {} minute(s)",
                        what(),
                        settings.latency_minutes
                    ),
                });
            }
            metrics
        }
        // Network load balancers publish no HTTP status codes and no response time.
        LoadBalancerKind::Network => vec![unhealthy("AWS/NetworkELB", service, settings, what())],
    };
    let dimensions = [
        ("LoadBalancer".to_owned(), lb.arn_suffix()),
        ("TargetGroup".to_owned(), group.arn_suffix()),
    ]
    .into_iter()
    .collect();
    (metrics, dimensions)
}

/// A classic ELB has no target groups: its own `UnHealthyHostCount` (instances out of service
/// after failing the health check) and, where it reads HTTP from the instances,
/// `HTTPCode_Backend_5XX`.
fn classic(
    context: &Context,
    service: &Service,
    settings: &RollbackAlarms,
    elb: &Ref<Elb>,
) -> (Vec<Metric>, IndexMap<String, Expr>) {
    let what = || format!("the classic load balancer of {}", service.name);
    let namespace = "AWS/ELB";
    let mut metrics = vec![unhealthy(namespace, service, settings, what())];
    let reads_http = service
        .classic_traffic()
        .and_then(|traffic| context.stack.classic_load_balancer(traffic.load_balancer))
        .is_some_and(|model| {
            model.listeners.iter().any(|listener| {
                matches!(
                    listener.instance_protocol,
                    ClassicProtocol::Http | ClassicProtocol::Https
                )
            })
        });
    if reads_http {
        metrics.push(errors(namespace, "HTTPCode_Backend_5XX", settings, what()));
    }
    let dimensions = [("LoadBalancerName".to_owned(), elb.name())]
        .into_iter()
        .collect();
    (metrics, dimensions)
}
