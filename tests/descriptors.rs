//! Services from descriptor files: a file dropped into the folder a stack lists becomes a
//! service with no code change; a broken file or a stray entry refuses the stack naming the
//! file (and line and column where there is one); and `docs/descriptors.md` documents exactly
//! the fields the parser accepts, with the defaults it fills in.

mod support;

use std::fs;
use std::path::Path;

use ecsynth::model::{Listener, LoadBalancer, ServiceDescriptor, Stack};
use ecsynth::synth::synthesize;
use serde_json::{json, Value};

const CERTIFICATE: &str =
    "arn:aws:acm:eu-west-1:123456789012:certificate/5f1c2a9e-7d3b-4e61-8a0f-2b9c6d4e1f37";

/// A stack with one shared HTTPS ALB `edge` that takes its services from `dir`.
fn described_stack(dir: &Path) -> Stack {
    let mut stack = Stack::new("described", "eu-west-1");
    stack.backend(ecsynth::model::Backend::Local);
    let edge = stack.add_load_balancer(
        LoadBalancer::application("edge", Listener::https(443, CERTIFICATE))
            .access_logs("described-logs", "edge")
            .deletion_protection(false),
    );
    stack.add_described_services_from(dir, edge);
    stack
}

fn descriptor(name: &str, path: &str) -> String {
    serde_json::to_string_pretty(&json!({
        "name": name,
        "image": format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/{name}"),
        "tag": "1.0.0",
        "port": 8080,
        "path": path,
    }))
    .expect("JSON")
}

#[test]
fn a_descriptor_dropped_into_the_folder_becomes_a_service_in_file_name_order() {
    let dir = support::scratch_dir("descriptors/dropped");
    fs::write(dir.join("b-orders.json"), descriptor("orders", "/orders/*")).expect("write");
    // Hidden files are not descriptors.
    fs::write(dir.join(".gitkeep"), "").expect("write");
    let stack = described_stack(&dir);
    let names: Vec<&str> = stack.services().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["orders"]);

    // Dropping a second file is all it takes; its name sorts it first.
    fs::write(dir.join("a-users.json"), descriptor("users", "/users/*")).expect("write");
    let stack = described_stack(&dir);
    let names: Vec<&str> = stack.services().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["users", "orders"]);
    let (synthesized, diagnostics) = synthesize(&stack);
    let synthesized = synthesized.unwrap_or_else(|| panic!("refused: {diagnostics:#?}"));
    // The document's own order (serde_json's `Value` would sort the keys).
    let doc = ecsynth::review::Json::parse(&synthesized.render().expect("renders")).expect("JSON");
    let services: Vec<&String> = doc
        .get("resource")
        .and_then(|resources| resources.get("aws_ecs_service"))
        .and_then(ecsynth::review::Json::as_object)
        .expect("services")
        .keys()
        .collect();
    assert_eq!(services, ["users", "orders"]);
}

#[test]
fn broken_files_and_stray_entries_refuse_the_stack_naming_each_file() {
    let dir = support::scratch_dir("descriptors/broken");
    fs::write(dir.join("a-good.json"), descriptor("good", "/good/*")).expect("write");
    fs::write(
        dir.join("b-typo.json"),
        "{\n  \"name\": \"typo\",\n  \"replicas\": 3\n}\n",
    )
    .expect("write");
    fs::write(dir.join("c-truncated.json"), "{\"name\": ").expect("write");
    fs::write(dir.join("d-orders.yaml"), "name: orders\n").expect("write");
    fs::create_dir_all(dir.join("e-folder")).expect("mkdir");
    let (synthesized, diagnostics) = synthesize(&described_stack(&dir));
    assert!(synthesized.is_none());
    let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    let file = |name: &str| dir.join(name).display().to_string();
    let folder_rule =
        "a service descriptor folder holds `*.json` descriptor files only (hidden files are \
         skipped)";
    assert_eq!(
        messages,
        [
            format!(
                "error: stack `described` › `services`: {}:3:12: unknown field `replicas`, \
                 expected one of `name`, `image`, `tag`, `port`, `cpu`, `memory`, `instances`, \
                 `environment`, `host`, `path`, `health_path`, `priority`",
                file("b-typo.json")
            ),
            format!(
                "error: stack `described` › `services`: {}:1:9: EOF while parsing a value",
                file("c-truncated.json")
            ),
            format!(
                "error: stack `described` › `services`: {}: not a `.json` file; {folder_rule}",
                file("d-orders.yaml")
            ),
            format!(
                "error: stack `described` › `services`: {}: not a file; {folder_rule}",
                file("e-folder")
            ),
        ]
    );
}

#[test]
fn a_folder_that_cannot_be_listed_is_an_error_naming_it() {
    let missing = support::scratch_dir("descriptors/missing").join("no-such-folder");
    let (synthesized, diagnostics) = synthesize(&described_stack(&missing));
    assert!(synthesized.is_none());
    let message = diagnostics[0].to_string();
    assert!(
        message.starts_with(&format!(
            "error: stack `described` › `services`: {}: cannot list the service descriptor \
             folder: ",
            missing.display()
        )),
        "{message}"
    );
}

/// Every file of the folder the `shop` stack lists is one of its services.
#[test]
fn every_file_in_the_shop_folder_is_a_shop_service() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/services/shop");
    let described: Vec<String> = ServiceDescriptor::load_dir(&dir)
        .into_iter()
        .map(|descriptor| descriptor.expect("the shop's descriptors are valid").name)
        .collect();
    assert!(!described.is_empty());
    let shop = stacks::shop::shop();
    let services: Vec<&str> = shop.services().iter().map(|s| s.name.as_str()).collect();
    for name in &described {
        assert!(services.contains(&name.as_str()), "{name} in {services:?}");
    }
}

/// One row of the table in `docs/descriptors.md`: field, default cell.
fn documented_fields() -> Vec<(String, String)> {
    let doc = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/descriptors.md"))
        .expect("docs/descriptors.md");
    doc.lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let field = cells[0]
                .trim_start_matches("| ")
                .trim_matches('`')
                .to_owned();
            (field, cells[2].to_owned())
        })
        .collect()
}

/// The fields the parser accepts, as its own error for an unknown field lists them.
fn accepted(text: &str) -> Vec<String> {
    let error = ServiceDescriptor::from_json("probe.json", text).expect_err("unknown field");
    let expected = error
        .message
        .split_once("expected one of ")
        .or_else(|| error.message.split_once("expected "))
        .map(|(_, list)| list)
        .unwrap_or_else(|| panic!("{}", error.message));
    expected
        .split(", ")
        .flat_map(|part| part.split(" or "))
        .map(|field| field.trim_start_matches("or ").trim_matches('`').to_owned())
        .collect()
}

/// The doc's table and the parser agree: the same fields, each default is what the parser
/// fills in, and a field the doc calls required is one the parser cannot do without.
#[test]
fn the_descriptor_doc_lists_every_field_with_the_parsers_default() {
    let mut fields = accepted(r#"{"not_a_field": 1}"#);
    fields.extend(
        accepted(
            r#"{"name": "a", "image": "i", "tag": "1", "port": 80,
                "instances": {"not_a_field": 1}}"#,
        )
        .into_iter()
        .map(|field| format!("instances.{field}")),
    );
    let documented = documented_fields();
    let mut documented_names: Vec<&str> = documented.iter().map(|(f, _)| f.as_str()).collect();
    let mut accepted_names: Vec<&str> = fields.iter().map(String::as_str).collect();
    documented_names.sort_unstable();
    accepted_names.sort_unstable();
    assert_eq!(documented_names, accepted_names, "docs/descriptors.md");

    let full = json!({
        "name": "a", "image": "i", "tag": "1", "port": 80,
        "instances": {"min": 1, "max": 2}
    });
    let required = |field: &str| {
        let mut without = full.clone();
        match field.split_once('.') {
            Some((outer, inner)) => without[outer]
                .as_object_mut()
                .expect("object")
                .remove(inner),
            None => without.as_object_mut().expect("object").remove(field),
        };
        ServiceDescriptor::from_json("probe.json", &without.to_string()).is_err()
    };
    let minimal = json!({"name": "a", "image": "i", "tag": "1", "port": 80});
    let filled = serde_json::to_value(
        ServiceDescriptor::from_json("probe.json", &minimal.to_string()).expect("minimal"),
    )
    .expect("serialises");
    for (field, default) in &documented {
        if default.starts_with("required") {
            assert!(required(field), "`{field}` is documented as required");
            continue;
        }
        assert!(
            !required(field),
            "`{field}` is required but documented {default}"
        );
        let value = &filled[field.as_str()];
        if default.starts_with("none") {
            assert_eq!(value, &Value::Null, "`{field}`: documented {default}");
        } else {
            let documented: Value = serde_json::from_str(default.trim_matches('`'))
                .unwrap_or_else(|error| panic!("`{field}` default {default}: {error}"));
            assert_eq!(value, &documented, "`{field}`");
        }
    }
}

/// Two files describing services of the same name: the stack is refused, naming the service,
/// as two services of one name written in Rust are.
#[test]
fn two_files_describing_one_service_name_are_refused() {
    let dir = support::scratch_dir("descriptors/twice");
    fs::write(dir.join("a.json"), descriptor("orders", "/a/*")).expect("write");
    fs::write(dir.join("b.json"), descriptor("orders", "/b/*")).expect("write");
    let (synthesized, diagnostics) = synthesize(&described_stack(&dir));
    assert!(synthesized.is_none());
    assert_eq!(
        diagnostics[0].to_string(),
        "error: stack `described` › service `orders` › `name`: another service of this stack is \
         also named `orders`; service names must be unique within a stack (they name AWS \
         resources and Terraform addresses)"
    );
}
