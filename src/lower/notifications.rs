//! Deployment notifications ([`crate::model::Service::notify`]): the topic the stack creates,
//! the output `ecsynth deploy` reads the topic from (it publishes a rolling service's events
//! itself), and for a blue/green service CodeDeploy's trigger with the grant its role needs.

use super::{policy, Context, LoweredService};
use crate::aws::{IamRole, IamRolePolicy, SnsTopic, Tags, TriggerConfiguration};
use crate::model::naming::ServiceNames;
use crate::model::{DeploymentEvent, DeploymentTopic, Service};
use crate::tf::{Dependency, Expr, Ref};

/// SNS's AWS managed key. Its key policy allows every principal of the account that may use
/// SNS, so CodeDeploy's role and `ecsynth deploy` can publish without a key grant; a
/// customer managed key would need one in its own policy (SNS Developer Guide, "Encryption at
/// rest": "Configure AWS KMS permissions").
pub const SNS_MANAGED_KEY: &str = "alias/aws/sns";

/// The output naming a service's deployment topic: `<label>_deployment_topic_arn`.
pub const TOPIC_OUTPUT: &str = "deployment_topic_arn";

/// The inline policy on CodeDeploy's role that lets it publish to the topic.
pub const PUBLISH_POLICY: &str = "publish-deployment-events";

/// The service's deployment topic ARN, after adding the topic when the stack creates it and
/// the output that names it; `None` when the service notifies no one.
pub(crate) fn lower(
    context: &mut Context,
    service: &Service,
    names: &ServiceNames,
) -> Option<Expr> {
    let arn = match service.notifications.as_ref()? {
        DeploymentTopic::Created => {
            let named = &names.deployment_topic;
            context
                .doc
                .add(
                    &named.label,
                    SnsTopic {
                        name: (&named.aws).into(),
                        kms_master_key_id: SNS_MANAGED_KEY.into(),
                        tags: Tags::new(),
                    },
                )
                .arn()
        }
        DeploymentTopic::Existing(arn) => Expr::from(arn),
    };
    context.output(
        &names.label,
        TOPIC_OUTPUT,
        format!("SNS topic told of every deployment of {}", service.name),
        arn.clone(),
    );
    Some(arn)
}

/// CodeDeploy's trigger on the deployment topic, and the inline policy the group must wait
/// for. CodeDeploy publishes as its service role ("Grant Amazon SNS permissions to a
/// CodeDeploy service role", CodeDeploy User Guide), and the managed policy on that role,
/// `AWSCodeDeployRoleForECSLimited`, allows `sns:Publish` only on topics named
/// `CodeDeployTopic_*`: a grant on exactly this topic serves any topic name.
pub(crate) fn codedeploy_trigger(
    context: &mut Context,
    lowered: &LoweredService,
    role: &Ref<IamRole>,
) -> (Vec<TriggerConfiguration>, Option<Dependency>) {
    let Some(topic) = &lowered.deployment_topic else {
        return (Vec::new(), None);
    };
    let named = &lowered.names.deployment_topic;
    // The policy text as `policy::allow` writes it, with the topic's ARN (a reference when
    // the stack creates the topic) in place of the placeholder, which JSON keeps as it is.
    const PLACEHOLDER: &str = "@topic@";
    let text = policy::allow(&[(&["sns:Publish"], vec![PLACEHOLDER.to_owned()])]);
    let (before, after) = text
        .split_once(PLACEHOLDER)
        .expect("the placeholder is in the policy text");
    let grant = context.doc.add(
        &named.label,
        IamRolePolicy {
            name: PUBLISH_POLICY.into(),
            role: role.id(),
            policy: Expr::concat([
                Expr::from(before.to_owned()),
                topic.clone(),
                Expr::from(after.to_owned()),
            ]),
        },
    );
    let trigger = TriggerConfiguration {
        trigger_events: DeploymentEvent::ALL
            .iter()
            .map(|event| event.name().into())
            .collect(),
        trigger_name: (&named.aws).into(),
        trigger_target_arn: topic.clone(),
    };
    (vec![trigger], Some(grant.dependency()))
}
