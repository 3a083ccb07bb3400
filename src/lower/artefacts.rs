//! What a deployment pipeline needs after `terraform apply`: the AppSpec and the task
//! definition template of each blue/green service, as Terraform outputs.
//!
//! The files are rendered from `templates/` at synth time; values that exist only after apply
//! (role ARNs, the tasks' security group, subnets given as variables) are left as Terraform
//! interpolations, so `terraform output -raw <service>_appspec_yaml` prints the finished file
//! and nobody pastes an ARN by hand. Container name and port come from the same `Traffic` that
//! gives the ECS service its `load_balancer` block, so the two cannot disagree.

use std::sync::OnceLock;

use minijinja::{context, AutoEscape, Environment};

use super::service::LoweredService;
use super::Context;
use crate::aws::ContainerDefinition;
use crate::model::naming::label;
use crate::model::{Deployment, Service};
use crate::tf::{Expr, List};

/// Image placeholder that CodePipeline's ECS blue/green action replaces with the built image.
pub const IMAGE_PLACEHOLDER: &str = "<IMAGE1_NAME>";

fn templates() -> &'static Environment<'static> {
    static TEMPLATES: OnceLock<Environment<'static>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut env = Environment::new();
        // Values are quoted explicitly with `tojson` where they are strings; the holes must
        // reach the text unquoted.
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_keep_trailing_newline(true);
        for (name, source) in [
            (
                "appspec.yaml",
                include_str!("../../templates/appspec.yaml.j2"),
            ),
            (
                "taskdef.json",
                include_str!("../../templates/taskdef.json.j2"),
            ),
        ] {
            env.add_template(name, source)
                .unwrap_or_else(|error| panic!("template `{name}` does not parse: {error:#}"));
        }
        env
    })
}

/// Renders `name`; the templates ship inside the binary and are exercised by the tests, so a
/// failure here is a bug in ecsynth, not in a stack.
fn render(name: &str, values: minijinja::Value) -> String {
    templates()
        .get_template(name)
        .and_then(|template| template.render(values))
        .unwrap_or_else(|error| panic!("template `{name}` failed to render: {error:#}"))
}

/// Terraform values a template cannot know: each becomes a marker in the rendered text and is
/// put back as an interpolation afterwards.
#[derive(Default)]
struct Holes {
    values: Vec<Expr>,
}

const HOLE_OPEN: &str = "@@ecsynth-hole-";
const HOLE_CLOSE: &str = "@@";

impl Holes {
    fn hole(&mut self, value: Expr) -> String {
        self.values.push(value);
        format!("{HOLE_OPEN}{}{HOLE_CLOSE}", self.values.len() - 1)
    }

    /// The rendered text with every marker replaced by its value.
    fn fill(&self, rendered: &str) -> Expr {
        let mut parts = Vec::new();
        let mut rest = rendered;
        while let Some(start) = rest.find(HOLE_OPEN) {
            let after = &rest[start + HOLE_OPEN.len()..];
            let hole = after.find(HOLE_CLOSE).and_then(|end| {
                let index: usize = after[..end].parse().ok()?;
                Some((self.values.get(index)?.clone(), end))
            });
            match hole {
                Some((value, end)) => {
                    parts.push(Expr::from(rest[..start].to_owned()));
                    parts.push(value);
                    rest = &after[end + HOLE_CLOSE.len()..];
                }
                None => {
                    // Not one of ours: keep the text as it is.
                    parts.push(Expr::from(rest[..start + HOLE_OPEN.len()].to_owned()));
                    rest = after;
                }
            }
        }
        parts.push(Expr::from(rest.to_owned()));
        Expr::concat(parts)
    }
}

/// `[...]` as JSON/YAML flow text: written out when the items are known, otherwise
/// `jsonencode(…)` of the list Terraform will know.
fn json_list(list: &List, holes: &mut Holes) -> String {
    match list {
        List::Whole(expr) => holes.hole(Expr::call("jsonencode", [expr.clone()])),
        List::Items(items) => {
            let rendered: Vec<String> = items
                .iter()
                .map(|item| match item.as_literal() {
                    Some(text) => serde_json::Value::from(text).to_string(),
                    None => format!("\"{}\"", holes.hole(item.clone())),
                })
                .collect();
            format!("[{}]", rendered.join(", "))
        }
    }
}

pub fn lower(
    context: &mut Context,
    service: &Service,
    lowered: &LoweredService,
    containers: &[ContainerDefinition],
) {
    let (Deployment::BlueGreen(blue_green), Some(traffic)) =
        (&service.deployment, &service.traffic)
    else {
        return;
    };
    let stack = context.stack;
    let name = label(&service.name);

    let mut holes = Holes::default();
    let subnets = json_list(&context.subnet_ids, &mut holes);
    let security_groups = json_list(
        &List::Items(vec![lowered.task_security_group.id()]),
        &mut holes,
    );
    let hooks: Vec<minijinja::Value> = blue_green
        .hooks
        .iter()
        .map(|hook| context! { event => hook.event.name(), function => hook.function })
        .collect();
    let appspec = render(
        "appspec.yaml",
        context! {
            stack => stack.name,
            service => service.name,
            container_name => traffic.container,
            container_port => traffic.container_port,
            subnets,
            security_groups,
            assign_public_ip => if service.assign_public_ip { "ENABLED" } else { "DISABLED" },
            hooks,
        },
    );
    let appspec = holes.fill(&appspec);

    let mut holes = Holes::default();
    let template_containers: Vec<ContainerDefinition> = containers
        .iter()
        .map(|container| ContainerDefinition {
            image: if container.name == traffic.container {
                IMAGE_PLACEHOLDER.to_owned()
            } else {
                container.image.clone()
            },
            ..container.clone()
        })
        .collect();
    let container_definitions = serde_json::to_string_pretty(&template_containers)
        .expect("container definitions are plain data and always serialise")
        .replace('\n', "\n  ");
    let taskdef = render(
        "taskdef.json",
        context! {
            family => lowered.family,
            execution_role_arn => format!("\"{}\"", holes.hole(lowered.execution_role.arn())),
            task_role_arn => format!("\"{}\"", holes.hole(lowered.task_role.arn())),
            cpu => service.task_size.cpu.to_string(),
            memory => service.task_size.memory.to_string(),
            cpu_architecture => service.architecture.name(),
            container_definitions,
        },
    );
    let taskdef = holes.fill(&taskdef);

    context.output(
        &name,
        "appspec_yaml",
        "appspec.yaml for CodeDeploy/CodePipeline: terraform output -raw".into(),
        appspec,
    );
    context.output(
        &name,
        "taskdef_json",
        format!(
            "taskdef.json for CodePipeline's ECS blue/green action, image as {IMAGE_PLACEHOLDER}"
        ),
        taskdef,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_come_back_as_the_values_they_stand_for() {
        let mut doc = crate::tf::Document::new(crate::tf::TerraformSettings::new(">= 1.5"));
        let subnets = doc.variable(
            "subnet_ids",
            crate::tf::Variable {
                type_constraint: "list(string)".into(),
                description: String::new(),
                default: None,
            },
        );
        let mut holes = Holes::default();
        let text = format!(
            "Subnets: {} ${{HOME}}",
            json_list(&List::Whole(subnets), &mut holes)
        );
        assert_eq!(
            holes.fill(&text).render(),
            "Subnets: ${jsonencode(var.subnet_ids)} $${HOME}"
        );
    }

    #[test]
    fn text_that_only_looks_like_a_hole_stays_literal() {
        let holes = Holes::default();
        let text = "a @@ecsynth-hole-7@@ b @@ecsynth-hole-x";
        assert_eq!(holes.fill(text).as_literal(), Some(text));
    }

    #[test]
    fn known_lists_are_written_out_as_json() {
        let mut holes = Holes::default();
        let list = List::from(vec!["subnet-1", "subnet-2"]);
        assert_eq!(json_list(&list, &mut holes), r#"["subnet-1", "subnet-2"]"#);
    }
}
