//! Deployment notifications of rolling services: ECS has no deployment triggers, so `ecsynth
//! deploy` publishes to the service's deployment topic ([`crate::model::Service::notify`]) the
//! events CodeDeploy's triggers send for blue/green services, under the same names.
//!
//! A notification that cannot be published is a warning, never a failed deploy: the deployment
//! itself went as printed.

use serde_json::json;

use super::live::{sdk_error, Aws};
use super::plan::ServicePlan;
use super::Streams;
use crate::model::DeploymentEvent;

/// SNS `Publish`: a subject is at most 100 characters.
const MAX_SUBJECT: usize = 100;

/// Where a rolling deployment's events go, and what they say it is.
#[derive(Clone, Debug)]
pub struct Notifier {
    pub topic: String,
    pub stack: String,
    pub service: String,
    pub cluster: String,
    pub task_definition: String,
    /// The ECS deployment id, when UpdateService named one.
    pub deployment_id: Option<String>,
    pub image: String,
}

impl Notifier {
    pub fn new(
        plan: &ServicePlan,
        topic: String,
        task_definition: &str,
        deployment_id: Option<String>,
        image: &str,
    ) -> Notifier {
        Notifier {
            topic,
            stack: plan.stack.clone(),
            service: plan.service.clone(),
            cluster: plan.cluster.clone(),
            task_definition: task_definition.to_owned(),
            deployment_id,
            image: image.to_owned(),
        }
    }

    /// The message body: JSON with CodeDeploy's trigger event name, so one subscriber reads
    /// both kinds of service.
    pub fn message(&self, event: DeploymentEvent, detail: &str) -> String {
        json!({
            "source": "ecsynth",
            "eventTriggerName": event.name(),
            "stack": self.stack,
            "service": self.service,
            "cluster": self.cluster,
            "deploymentId": self.deployment_id,
            "taskDefinition": self.task_definition,
            "image": self.image,
            "message": detail,
        })
        .to_string()
    }

    pub fn subject(&self, event: DeploymentEvent) -> String {
        let subject = format!(
            "{}: ecsynth deploy {} {}",
            event.name(),
            self.stack,
            self.service
        );
        subject.chars().take(MAX_SUBJECT).collect()
    }

    /// Publishes `event`; a failure is printed as a warning.
    pub async fn publish(
        &self,
        aws: &Aws,
        event: DeploymentEvent,
        detail: &str,
        streams: &mut Streams<'_>,
    ) {
        let attribute = aws_sdk_sns::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(event.name())
            .build();
        let sent = match attribute {
            Ok(attribute) => aws
                .sns
                .publish()
                .topic_arn(&self.topic)
                .subject(self.subject(event))
                .message(self.message(event, detail))
                .message_attributes("eventTriggerName", attribute)
                .send()
                .await
                .map(|_| ())
                .map_err(sdk_error),
            Err(error) => Err(error.to_string()),
        };
        match sent {
            Ok(()) => streams.say(format_args!("notified {}: {}", self.topic, event.name())),
            Err(error) => streams.problem(format_args!(
                "warning: could not publish {} to {}: {error}",
                event.name(),
                self.topic
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notifier() -> Notifier {
        Notifier {
            topic: "arn:aws:sns:eu-west-1:123456789012:t".into(),
            stack: "s".repeat(80),
            service: "web".into(),
            cluster: "c".into(),
            task_definition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/f:2".into(),
            deployment_id: Some("ecs-svc/1".into()),
            image: "repo@sha256:00".into(),
        }
    }

    /// SNS API `Publish`: "Subject … must be … no longer than 100 characters".
    #[test]
    fn subjects_fit_sns_limit_of_100_characters() {
        let subject = notifier().subject(DeploymentEvent::Success);
        assert_eq!(subject.chars().count(), MAX_SUBJECT);
        assert!(subject.starts_with("DeploymentSuccess: ecsynth deploy sss"));
    }

    #[test]
    fn messages_carry_codedeploy_event_names() {
        let message: serde_json::Value =
            serde_json::from_str(&notifier().message(DeploymentEvent::Failure, "why")).unwrap();
        assert_eq!(message["eventTriggerName"], "DeploymentFailure");
        assert_eq!(message["deploymentId"], "ecs-svc/1");
        assert_eq!(message["message"], "why");
    }
}
