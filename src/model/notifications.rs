//! Deployment notifications: the SNS topic told when a deployment of a service starts,
//! succeeds, fails, is stopped or rolls back. Blue/green services get it as the CodeDeploy
//! deployment group's trigger; `ecsynth deploy` publishes the same events for rolling services.

/// The SNS topic a service's deployment events go to ([`super::Service::notify`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeploymentTopic {
    /// The stack creates `<stack>-<service>-deployments`, encrypted with SNS's AWS managed key
    /// (`alias/aws/sns`), whose key policy lets any principal of the account that may publish
    /// to the topic use it: CodeDeploy's role and whoever runs `ecsynth deploy`.
    Created,
    /// An existing standard topic, by ARN (`arn:aws:sns:<region>:<account>:<name>`). When it
    /// is encrypted with a customer managed key, that key's policy must let the publishers
    /// use it; ecsynth cannot see the key.
    Existing(String),
}

/// What a deployment tells its topic: CodeDeploy's trigger event names, in the order a
/// deployment reaches them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeploymentEvent {
    Start,
    Success,
    Failure,
    Stop,
    Rollback,
}

impl DeploymentEvent {
    /// Every event a topic is told of.
    pub const ALL: [DeploymentEvent; 5] = [
        DeploymentEvent::Start,
        DeploymentEvent::Success,
        DeploymentEvent::Failure,
        DeploymentEvent::Stop,
        DeploymentEvent::Rollback,
    ];

    /// The name CodeDeploy's `TriggerConfig.triggerEvents` takes (CodeDeploy API reference,
    /// `TriggerConfig`), which the rolling path publishes too.
    pub fn name(self) -> &'static str {
        match self {
            DeploymentEvent::Start => "DeploymentStart",
            DeploymentEvent::Success => "DeploymentSuccess",
            DeploymentEvent::Failure => "DeploymentFailure",
            DeploymentEvent::Stop => "DeploymentStop",
            DeploymentEvent::Rollback => "DeploymentRollback",
        }
    }
}
