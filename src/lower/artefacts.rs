//! What a deployment pipeline needs after `terraform apply`: the AppSpec and the task
//! definition template of each blue/green service, as Terraform outputs.
//!
//! The files are rendered from `templates/` at synth time; values that exist only after apply
//! (role ARNs, the tasks' security group, subnets given as variables) are left as Terraform
//! interpolations, so `terraform output -raw <service>_appspec_yaml` prints the finished file
//! and nobody pastes an ARN by hand. Container name and port come from the same `Traffic` that
//! gives the ECS service its `load_balancer` block, so the two cannot disagree.

use minijinja::context;
use serde::Serialize;

use super::{templates, Context, LoweredService};
use crate::aws::{ContainerDefinition, RuntimePlatformFile};
use crate::model::{BlueGreen, CodeDeploy, Compute, Service};
use crate::tf::{Expr, List};

/// Image placeholder that CodePipeline's ECS blue/green action replaces with the built image.
pub const IMAGE_PLACEHOLDER: &str = "<IMAGE1_NAME>";

/// Terraform values a template cannot know: each becomes a marker in the rendered text and is
/// put back as an interpolation afterwards.
///
/// User text (an environment value, a hook function) may contain a marker too. Markers carry
/// a salt, and [`render_with_holes`] renders again with the next salt until the text holds
/// the salt's opener exactly once per hole, so only markers made here are ever filled.
struct Holes {
    values: Vec<Expr>,
    /// The marker's opener: `@@ecsynth-hole-`, or `@@ecsynth-<salt>-hole-` after a clash.
    open: String,
}

const HOLE_CLOSE: &str = "@@";

impl Holes {
    fn with_salt(salt: usize) -> Holes {
        Holes {
            values: Vec::new(),
            open: if salt == 0 {
                "@@ecsynth-hole-".to_owned()
            } else {
                format!("@@ecsynth-{salt}-hole-")
            },
        }
    }

    fn hole(&mut self, value: Expr) -> String {
        self.values.push(value);
        format!("{}{}{HOLE_CLOSE}", self.open, self.values.len() - 1)
    }

    /// The rendered text with every marker replaced by its value.
    fn fill(&self, rendered: &str) -> Expr {
        let open = self.open.as_str();
        let mut parts = Vec::new();
        let mut rest = rendered;
        while let Some(start) = find_hole(rest, open) {
            let after = &rest[start + open.len()..];
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
                    parts.push(Expr::from(rest[..start + open.len()].to_owned()));
                    rest = after;
                }
            }
        }
        parts.push(Expr::from(rest.to_owned()));
        Expr::concat(parts)
    }

    /// How many markers with this salt's opener `rendered` holds.
    fn openers_in(&self, rendered: &str) -> usize {
        let mut count = 0;
        let mut rest = rendered;
        while let Some(at) = find_hole(rest, &self.open) {
            count += 1;
            rest = &rest[at + self.open.len()..];
        }
        count
    }
}

/// Renders with `render` and fills the holes it made. When user text already holds the
/// marker opener (more openers than holes), renders again with the next salt: user text is
/// finite, so some salt is free, and the markers never reach the output, so the result is
/// the same whichever salt was used.
fn render_with_holes(render: impl Fn(&mut Holes) -> String) -> Expr {
    let mut salt = 0;
    loop {
        let mut holes = Holes::with_salt(salt);
        let rendered = render(&mut holes);
        // Fewer openers than holes would be a template that drops a hole: a bug, but no
        // reason to loop for ever.
        if holes.openers_in(&rendered) <= holes.values.len() {
            return holes.fill(&rendered);
        }
        salt += 1;
    }
}

/// Where the next marker opens: a search for its first byte (`memchr`), then a comparison;
/// `str::find(&str)` builds a substring searcher on every call, which cost more than the rest
/// of the fill.
fn find_hole(text: &str, open: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = text[from..].find('@') {
        let at = from + offset;
        if text[at..].starts_with(open) {
            return Some(at);
        }
        from = at + 1;
    }
    None
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
                    Some(text) => templates::yaml_string(text),
                    None => format!("\"{}\"", holes.hole(item.clone())),
                })
                .collect();
            format!("[{}]", rendered.join(", "))
        }
    }
}

/// `taskdef.json`: the RegisterTaskDefinition input, made from the same values as the
/// `aws_ecs_task_definition` resource ([`LoweredService::task`]), so the two cannot disagree.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskDefinitionFile<'a> {
    family: &'a str,
    execution_role_arn: String,
    task_role_arn: String,
    network_mode: &'static str,
    requires_compatibilities: [&'static str; 1],
    cpu: String,
    memory: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    runtime_platform: Option<RuntimePlatformFile>,
    container_definitions: Vec<ContainerDefinition>,
}

pub fn lower(
    context: &mut Context,
    service: &Service,
    blue_green: &BlueGreen,
    code_deploy: &CodeDeploy,
    lowered: &LoweredService,
) {
    let stack = context.stack;
    let name = &lowered.names.label;
    let target = &blue_green.traffic.target;

    let hooks: Vec<minijinja::Value> = code_deploy
        .hooks
        .iter()
        .map(|hook| context! { event => hook.event.name(), function => hook.function })
        .collect();
    let appspec = render_with_holes(|holes| {
        // Bridge and host tasks have no network configuration of their own.
        let network = lowered.task_security_group.as_ref().map(|group| {
            let assign_public_ip = match &service.compute {
                Compute::Fargate(fargate) if fargate.assign_public_ip => "ENABLED",
                _ => "DISABLED",
            };
            context! {
                subnets => json_list(&context.subnet_ids, holes),
                security_groups => json_list(&List::Items(vec![group.id()]), holes),
                assign_public_ip,
            }
        });
        let capacity_provider = match &service.compute {
            Compute::Ec2(ec2) => Some(format!(
                "\"{}\"",
                holes.hole(context.capacity[&ec2.capacity_provider].provider.name())
            )),
            Compute::Fargate(_) => None,
        };
        templates::render(
            "appspec.yaml",
            context! {
                stack => stack.name,
                service => service.name,
                container_name => target.container(),
                container_port => target.port(),
                network,
                capacity_provider,
                hooks,
            },
        )
    });

    let task = &lowered.task;
    let taskdef = render_with_holes(|holes| {
        let file = TaskDefinitionFile {
            family: &lowered.names.family,
            execution_role_arn: holes.hole(lowered.execution_role.arn()),
            task_role_arn: holes.hole(lowered.task_role.arn()),
            network_mode: task.network_mode,
            requires_compatibilities: [task.compatibility],
            cpu: task.cpu.clone(),
            memory: task.memory.clone(),
            runtime_platform: task.runtime_platform.clone(),
            container_definitions: lowered
                .containers
                .iter()
                .map(|container| ContainerDefinition {
                    image: if container.name == target.container() {
                        IMAGE_PLACEHOLDER.to_owned()
                    } else {
                        container.image.clone()
                    },
                    ..container.clone()
                })
                .collect(),
        };
        let mut taskdef = crate::tf::to_pretty_json(&file)
            .expect("the task definition file is plain data and always serialises");
        taskdef.push('\n');
        taskdef
    });

    context.output(
        name,
        "appspec_yaml",
        "appspec.yaml for CodeDeploy/CodePipeline: terraform output -raw".into(),
        appspec,
    );
    context.output(
        name,
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

    /// `var.subnet_ids`, a list known only at plan time.
    fn subnet_variable() -> Expr {
        let mut doc = crate::tf::Document::new(crate::tf::TerraformSettings::new(">= 1.5"));
        doc.variable(
            "subnet_ids",
            crate::tf::Variable {
                type_constraint: "list(string)".into(),
                description: String::new(),
                default: None,
            },
        )
    }

    #[test]
    fn holes_come_back_as_the_values_they_stand_for() {
        let subnets = subnet_variable();
        let mut holes = Holes::with_salt(0);
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
        let holes = Holes::with_salt(0);
        let text = "a @@ecsynth-hole-7@@ b @@ecsynth-hole-x";
        assert_eq!(holes.fill(text).as_literal(), Some(text));
    }

    #[test]
    fn a_marker_in_user_text_stays_verbatim() {
        let subnets = subnet_variable();
        // User text forging the first two salts' markers, before and after the real hole.
        let forged = "@@ecsynth-hole-0@@ @@ecsynth-1-hole-0@@";
        let filled = render_with_holes(|holes| {
            format!(
                "{forged} {} {forged}",
                json_list(&List::Whole(subnets.clone()), holes)
            )
        });
        assert_eq!(
            filled.render(),
            format!("{forged} ${{jsonencode(var.subnet_ids)}} {forged}")
        );
    }

    #[test]
    fn known_lists_are_written_out_as_json() {
        let mut holes = Holes::with_salt(0);
        let list = List::from(vec!["subnet-1", "subnet-2"]);
        assert_eq!(json_list(&list, &mut holes), r#"["subnet-1", "subnet-2"]"#);
    }
}
