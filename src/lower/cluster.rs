//! The ECS cluster of a stack, with Container Insights as the model says, and the service-linked
//! role ECS needs before a first capacity provider, when the stack asks ecsynth to create it.

use crate::aws::{ClusterSetting, EcsCluster, IamServiceLinkedRole, Tags};
use crate::model::Stack;
use crate::tf::{Document, Meta, Ref};

/// The cluster, and ECS's service-linked role when the stack creates it
/// ([`crate::model::Cluster::create_service_linked_role`]); the cluster waits for the role.
pub fn lower(
    doc: &mut Document,
    stack: &Stack,
) -> (Ref<EcsCluster>, Option<Ref<IamServiceLinkedRole>>) {
    let insights = if stack.cluster.container_insights {
        "enabled"
    } else {
        "disabled"
    };
    let role = stack.cluster.create_service_linked_role.then(|| {
        doc.add(
            "ecs",
            IamServiceLinkedRole {
                aws_service_name: "ecs.amazonaws.com".into(),
            },
        )
    });
    let cluster = doc.add_with(
        "main",
        EcsCluster {
            name: (&stack.cluster.name).into(),
            setting: vec![ClusterSetting {
                name: "containerInsights".into(),
                value: insights.into(),
            }],
            tags: Tags::new(),
        },
        Meta {
            depends_on: role.iter().map(Ref::dependency).collect(),
            ..Meta::default()
        },
    );
    (cluster, role)
}
