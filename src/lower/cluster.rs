use crate::aws::{ClusterSetting, EcsCluster, Tags};
use crate::model::Stack;
use crate::tf::{Document, Ref};

pub fn lower(doc: &mut Document, stack: &Stack) -> Ref<EcsCluster> {
    let insights = if stack.cluster.container_insights {
        "enabled"
    } else {
        "disabled"
    };
    doc.add(
        "main",
        EcsCluster {
            name: (&stack.cluster.name).into(),
            setting: vec![ClusterSetting {
                name: "containerInsights".into(),
                value: insights.into(),
            }],
            tags: Tags::new(),
        },
    )
}
