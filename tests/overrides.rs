//! The escape hatch: a stack sets or removes an attribute of an emitted resource by address;
//! an address or attribute the document does not have refuses the stack at synth.

mod support;

use ecsynth::synth::{synthesize, MAIN_FILE};
use serde_json::{json, Value};

fn document(stack: &ecsynth::model::Stack) -> Value {
    let (synthesized, diagnostics) = synthesize(stack);
    let synthesized = synthesized.unwrap_or_else(|| panic!("refused: {diagnostics:?}"));
    serde_json::from_slice(&synthesized.render().expect("renders")).expect("JSON")
}

#[test]
fn an_override_sets_and_removes_attributes_and_says_so() {
    let mut stack = stacks::prod();
    stack
        .override_attribute("aws_lb.web", "idle_timeout", json!(120))
        .override_attribute("aws_lb.web", "name", json!("prod-${web}"))
        .remove_attribute("aws_ecs_service.web", "propagate_tags");
    let doc = document(&stack);
    let lb = &doc["resource"]["aws_lb"]["web"];
    assert_eq!(lb["idle_timeout"], 120);
    // Literal strings stay literal: `${` is escaped like everywhere else.
    assert_eq!(lb["name"], "prod-$${web}");
    let comment = lb["//"].as_str().expect("a comment");
    assert!(
        comment.contains("`idle_timeout` is set by the stack's override")
            && comment.contains("`name` is set by the stack's override"),
        "{comment}"
    );
    let service = &doc["resource"]["aws_ecs_service"]["web"];
    assert!(service.get("propagate_tags").is_none(), "{service}");
    assert!(service["//"]
        .as_str()
        .expect("comment")
        .ends_with("`propagate_tags` is removed by the stack's override."));
    // Everything else is as lowering wrote it.
    let plain = document(&stacks::prod());
    assert_eq!(
        doc["resource"]["aws_ecs_task_definition"],
        plain["resource"]["aws_ecs_task_definition"]
    );
}

#[test]
fn an_override_reaches_a_data_source_by_its_data_address() {
    // Any registered stack that reads a data source will do. The override sets its first
    // argument, or `provider` (a meta-argument every data source takes) when it has none.
    let registry = stacks::registry();
    let (mut stack, address, attribute) = registry
        .names()
        .find_map(|name| {
            let stack = registry.get(name)?();
            let doc = document(&stack);
            let (address, attribute) = doc["data"]
                .as_object()?
                .iter()
                .flat_map(|(type_name, blocks)| {
                    blocks
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(move |(label, body)| (format!("data.{type_name}.{label}"), body))
                })
                .find_map(|(address, body)| {
                    let attribute = body
                        .as_object()?
                        .keys()
                        .find(|key| *key != "//")
                        .map_or("provider", String::as_str);
                    Some((address, attribute.to_owned()))
                })?;
            Some((stack, address, attribute))
        })
        .expect("some registered stack reads a data source");
    stack.override_attribute(&address, &attribute, json!("overridden"));
    let doc = document(&stack);
    let (type_name, label) = address["data.".len()..]
        .split_once('.')
        .expect("data.type.label");
    let block = &doc["data"][type_name][label];
    assert_eq!(block[&attribute], "overridden", "{block}");
    let comment = block["//"].as_str().expect("a comment");
    assert!(
        comment.ends_with(&format!("`{attribute}` is set by the stack's override.")),
        "{comment}"
    );
}

#[test]
fn an_override_of_a_missing_resource_or_attribute_refuses_the_stack() {
    let mut stack = stacks::prod();
    stack
        .override_attribute("aws_lb.wbe", "idle_timeout", json!(120))
        .remove_attribute("aws_lb.web", "no_such_attribute");
    let (synthesized, diagnostics) = synthesize(&stack);
    assert!(synthesized.is_none());
    let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "error: stack `prod` › `overrides`: `aws_lb.wbe` is not a resource or data source \
             of the document; check the address in the snapshot (`type.label`, \
             `data.type.label`)",
            "error: stack `prod` › `overrides`: `aws_lb.web` has no attribute \
             `no_such_attribute` to remove; only attributes the document writes can be removed",
        ]
    );
}

#[test]
fn an_overridden_document_passes_terraform_validate() {
    support::require_terraform();
    let mut stack = support::for_installed_provider(stacks::prod());
    stack.override_attribute("aws_lb.web", "idle_timeout", json!(120));
    let dir = support::cached_dir("overrides/prod");
    let bytes = synthesize(&stack)
        .0
        .expect("valid")
        .render()
        .expect("renders");
    std::fs::write(dir.join(MAIN_FILE), bytes).expect("write");
    support::terraform_init(&dir);
    let output = support::terraform(&dir, &["validate", "-no-color"]);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Terraform reads the keys of an object value as templates: a key of an override's value is
/// escaped like a string value. Block addresses and attribute names are written where
/// Terraform reads no template, so only identifiers are taken there.
#[test]
fn override_keys_are_escaped_and_names_must_be_identifiers() {
    let mut stack = stacks::prod();
    stack.override_attribute("aws_lb.web", "tags", json!({ "Owner ${var.x}": "a %{b}" }));
    let doc = document(&stack);
    assert_eq!(
        doc["resource"]["aws_lb"]["web"]["tags"],
        json!({ "Owner $${var.x}": "a %%{b}" })
    );

    let mut stack = stacks::prod();
    stack
        .override_attribute("aws_lb.web\n", "idle_timeout", json!(1))
        .override_attribute("aws_lb.web", "${x}", json!(1));
    let (_, diagnostics) = synthesize(&stack);
    let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages[..2],
        [
            "error: stack `prod` › `overrides`: `aws_lb.web\\n` is not a block address: \
             `<type>.<label>` or `data.<type>.<label>`, each a Terraform identifier (A-Z, a-z, \
             0-9, `_`, `-`, not starting with a digit or `-`)",
            "error: stack `prod` › `overrides`: `${x}` of `aws_lb.web` is not an attribute name: \
             a Terraform identifier (A-Z, a-z, 0-9, `_`, `-`, not starting with a digit or `-`)",
        ]
    );
}
