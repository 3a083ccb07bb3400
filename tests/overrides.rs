//! The escape hatch: a stack sets or removes an attribute of an emitted resource by address.
//! Refused at synth, all problems in one run: an address or removed attribute the document
//! does not have, an argument or shape the provider schema of the stack's major does not have,
//! a second override of the same attribute, and a change of a security default without a
//! reason. The stacks here are built in this file, so that a registered stack using the
//! escape hatch (as the README shows) changes nothing here.

mod support;

#[path = "readme/escape_hatch.rs"]
mod readme;

use ecsynth::model::{
    BlueGreen, Container, Listener, LoadBalancer, ProviderMajor, Service, Stack, StepScaling,
    TargetHealthCheck, TaskSize, Traffic,
};
use ecsynth::synth::{synthesize, MAIN_FILE};
use ecsynth::tf::schema::ProviderSchema;
use serde_json::{json, Value};

const CERTIFICATE: &str =
    "arn:aws:acm:eu-west-1:123456789012:certificate/0b6f8e1c-2f4d-4c59-9a57-6f2f2c9d1e21";

/// One blue/green Fargate service `web` behind an HTTPS ALB `web`: `aws_lb.web`,
/// `aws_ecs_service.web`, `aws_kms_key.logs`, … with no override.
fn hatch() -> Stack {
    let mut stack = Stack::new("hatch", "eu-west-1");
    stack.backend(ecsynth::model::Backend::Local);
    let lb = stack.add_load_balancer(
        LoadBalancer::application("web", Listener::https(443, CERTIFICATE))
            .access_logs("hatch-logs", "web")
            .deletion_protection(false),
    );
    let app = Container::new(
        "web",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.0.0",
    )
    .port(8080);
    let traffic = Traffic::listeners(lb, app.target(8080), TargetHealthCheck::http("/healthz"));
    stack.add_service(
        Service::new(
            "web",
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        )
        .container(app)
        .blue_green(BlueGreen::new(traffic))
        .scaling(StepScaling::cpu(1..=2)),
    );
    stack
}

fn document(stack: &Stack) -> Value {
    let (synthesized, diagnostics) = synthesize(stack);
    let synthesized = synthesized.unwrap_or_else(|| panic!("refused: {diagnostics:#?}"));
    serde_json::from_slice(&synthesized.render().expect("renders")).expect("JSON")
}

/// The error messages of a stack synth refuses.
fn refusal(stack: &Stack) -> Vec<String> {
    let (synthesized, diagnostics) = synthesize(stack);
    assert!(synthesized.is_none(), "accepted");
    diagnostics.iter().map(ToString::to_string).collect()
}

fn schema(major: ProviderMajor) -> ProviderSchema {
    let version = match major {
        ProviderMajor::V5 => "5.100.0",
        ProviderMajor::V6 => "6.66.0",
    };
    let path = format!("{}/schema/aws-{version}.json", env!("CARGO_MANIFEST_DIR"));
    ProviderSchema::from_json(&std::fs::read_to_string(&path).expect("schema file"))
        .expect("schema")
}

#[test]
fn an_override_sets_and_removes_attributes_and_says_so() {
    let mut stack = hatch();
    stack
        .override_attribute("aws_lb.web", "idle_timeout", json!(120))
        .override_attribute("aws_lb.web", "name", json!("hatch-${web}"))
        .remove_attribute("aws_ecs_service.web", "propagate_tags");
    let doc = document(&stack);
    let lb = &doc["resource"]["aws_lb"]["web"];
    assert_eq!(lb["idle_timeout"], 120);
    // Literal strings stay literal: `${` is escaped like everywhere else.
    assert_eq!(lb["name"], "hatch-$${web}");
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
    let plain = document(&hatch());
    assert_eq!(
        doc["resource"]["aws_ecs_task_definition"],
        plain["resource"]["aws_ecs_task_definition"]
    );
}

#[test]
fn an_override_reaches_a_data_source_by_its_data_address() {
    // Any registered stack that reads a data source will do. The override sets its first
    // argument, or `provider` (a meta-argument every data source takes) when it has none;
    // one the stack overrides already is left alone.
    let registry = stacks::registry();
    let (mut stack, address, attribute) = registry
        .names()
        .find_map(|name| {
            let stack = registry.get(name)?();
            let doc = document(&stack);
            let overridden = |address: &str, attribute: &str| {
                stack
                    .overrides()
                    .iter()
                    .any(|o| o.address == address && o.attribute == attribute)
            };
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
                    (!overridden(&address, attribute)).then(|| (address, attribute.to_owned()))
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
    let mut stack = hatch();
    stack
        .override_attribute("aws_lb.wbe", "idle_timeout", json!(120))
        .override_attribute("aws_lbb.web", "idle_timeout", json!(120))
        .remove_attribute("aws_lb.web", "xff_header_processing_mode");
    assert_eq!(
        refusal(&stack),
        [
            "error: stack `hatch` › `overrides`: `aws_lb.wbe` is not a resource or data source \
             of the document; check the address in the snapshot (`type.label`, \
             `data.type.label`); blocks of that type: `aws_lb.web`",
            "error: stack `hatch` › `overrides`: `aws_lbb.web` is not a resource or data source \
             of the document; check the address in the snapshot (`type.label`, \
             `data.type.label`); the document has no block of that type",
            "error: stack `hatch` › `overrides`: `aws_lb.web` has no attribute \
             `xff_header_processing_mode` to remove; only attributes the document writes can be \
             removed",
        ]
    );
}

/// The provider schema of the stack's major decides which arguments exist and what shape
/// their values have; every problem of every override is reported in one run.
#[test]
fn overrides_are_held_against_the_provider_schema_all_at_once() {
    let mut stack = hatch();
    stack
        .aws_provider(ProviderMajor::V5)
        .override_attribute("aws_lb.web", "idle_timeot", json!(120))
        .override_attribute("aws_lb.web", "arn", json!("arn:aws:x"))
        .override_attribute("aws_lb.web", "subnet_mapping", json!("subnet-1"))
        .override_attribute(
            "aws_lb_target_group.web_blue",
            "health_check",
            json!([{"path": "/a"}, {"path": "/b"}]),
        )
        .override_attribute(
            "aws_lb_target_group.web_blue",
            "stickiness",
            json!({"type": "lb_cookie", "enabld": true}),
        )
        .remove_attribute("aws_ecs_service.web", "name")
        .override_attribute("aws_ecs_service.web", "lifecycle", json!({}));
    let messages = refusal(&stack);
    assert_eq!(
        messages,
        [
            "error: stack `hatch` › `overrides`: `aws_lb.web` › `idle_timeot` set to 120: \
             `aws_lb` in hashicorp/aws 5.100.0 has no argument or block `idle_timeot`; did you \
             mean `idle_timeout`?"
                .to_owned(),
            "error: stack `hatch` › `overrides`: `aws_lb.web` › `arn` set to \"arn:aws:x\": \
             `arn` is computed by the provider (hashicorp/aws 5.100.0) and cannot be set or \
             removed; `aws_lb` takes "
                .to_owned()
                + &settable(ProviderMajor::V5, "aws_lb"),
            "error: stack `hatch` › `overrides`: `aws_lb.web` › `subnet_mapping` set to \
             \"subnet-1\": `subnet_mapping` is a block: give an object or an array of objects"
                .to_owned(),
            "error: stack `hatch` › `overrides`: `aws_lb_target_group.web_blue` › \
             `health_check` set to [{\"path\":\"/a\"},{\"path\":\"/b\"}]: `health_check` holds \
             at most one block, 2 given"
                .to_owned(),
            "error: stack `hatch` › `overrides`: `aws_lb_target_group.web_blue` › `stickiness` \
             set to {\"enabld\":true,\"type\":\"lb_cookie\"}: `stickiness.enabld`: no \
             argument or block `enabld`; did you mean `enabled`?"
                .to_owned(),
            "error: stack `hatch` › `overrides`: `aws_ecs_service.web` › `name` removed: `name` \
             is required by `aws_ecs_service` in hashicorp/aws 5.100.0 and cannot be removed"
                .to_owned(),
            "error: stack `hatch` › `overrides`: `aws_ecs_service.web` › `lifecycle` set to {}: \
             `lifecycle` is a Terraform meta-argument the generator writes; an override may set \
             only provider"
                .to_owned(),
        ]
    );
}

/// What `type_name` takes in the schema of `major`, as the message lists it.
fn settable(major: ProviderMajor, type_name: &str) -> String {
    let schema = schema(major);
    let block = &schema.resources[type_name];
    let mut names: Vec<&String> = block
        .attributes
        .iter()
        .filter(|(_, use_)| **use_ != ecsynth::tf::schema::AttributeUse::Computed)
        .map(|(name, _)| name)
        .chain(block.blocks.keys())
        .collect();
    names.sort();
    let names: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    names.join(", ")
}

/// An argument only one major has is accepted for a stack written for that major and refused
/// for the other: the check follows `Stack::provider_major`.
#[test]
fn the_schema_is_the_one_of_the_stacks_provider_major() {
    let (v5, v6) = (schema(ProviderMajor::V5), schema(ProviderMajor::V6));
    let only_in_6 = v6.resources["aws_lb"]
        .attributes
        .iter()
        .find(|(name, use_)| {
            **use_ == ecsynth::tf::schema::AttributeUse::Optional
                && !v5.resources["aws_lb"].attributes.contains_key(*name)
        })
        .map(|(name, _)| name.clone())
        .expect("6.x added an optional argument to aws_lb");
    let mut stack = hatch();
    stack.aws_provider(ProviderMajor::V5);
    stack.override_attribute("aws_lb.web", &only_in_6, json!(true));
    let messages = refusal(&stack);
    assert!(
        messages[0].contains(&format!("no argument or block `{only_in_6}`"))
            && messages[0].contains("hashicorp/aws 5.100.0"),
        "{messages:?}"
    );
    stack.aws_provider(ProviderMajor::V6);
    let doc = document(&stack);
    assert_eq!(doc["resource"]["aws_lb"]["web"][&only_in_6], true);
}

/// Two overrides of one attribute would write the key twice (JSON keeps the last, silently).
#[test]
fn a_second_override_of_the_same_attribute_is_refused() {
    let mut stack = hatch();
    stack
        .override_attribute("aws_lb.web", "idle_timeout", json!(120))
        .override_attribute("aws_lb.web", "idle_timeout", json!(60))
        .override_attribute("aws_ecs_service.web", "propagate_tags", json!("SERVICE"))
        .remove_attribute("aws_ecs_service.web", "propagate_tags");
    assert_eq!(
        refusal(&stack),
        [
            "error: stack `hatch` › `overrides`: `aws_lb.web` › `idle_timeout` is overridden \
             twice (first set to 120, then set to 60); give one override per attribute",
            "error: stack `hatch` › `overrides`: `aws_ecs_service.web` › `propagate_tags` is \
             overridden twice (first set to \"SERVICE\", then removed); give one override per \
             attribute",
        ]
    );
}

/// The security defaults (README, "Security defaults") cannot be switched off by a plain
/// override; the explicit opt-in takes a reason, which the review form shows.
#[test]
fn a_security_default_needs_a_reasoned_opt_in_that_the_review_shows() {
    let mut stack = hatch();
    stack
        .override_attribute("aws_lb.web", "drop_invalid_header_fields", json!(false))
        .remove_attribute("aws_cloudwatch_log_group.web", "kms_key_id")
        .override_security_default("aws_lb.web", "idle_timeout", json!(120), "long polls")
        .override_security_default("aws_lb.web", "enable_deletion_protection", json!(true), " ");
    assert_eq!(
        refusal(&stack),
        [
            "error: stack `hatch` › `overrides`: `aws_lb.web` › `drop_invalid_header_fields` set \
             to false would change a security default (ALBs drop invalid header fields); if that \
             is intended, say why with `Stack::override_security_default(address, attribute, \
             value, reason)` or `Stack::remove_security_default(address, attribute, reason)`: \
             the reason is written into the resource's `//` comment",
            "error: stack `hatch` › `overrides`: `aws_cloudwatch_log_group.web` › `kms_key_id` \
             removed would change a security default (log groups encrypted with a \
             customer-managed KMS key); if that is intended, say why with \
             `Stack::override_security_default(address, attribute, value, reason)` or \
             `Stack::remove_security_default(address, attribute, reason)`: the reason is \
             written into the resource's `//` comment",
            "error: stack `hatch` › `overrides`: `aws_lb.web` › `idle_timeout`: is not a \
             security default of `aws_lb`, so it needs no reason; use \
             `Stack::override_attribute` or `Stack::remove_attribute` (the guarded arguments of \
             `aws_lb`: `drop_invalid_header_fields`, `enable_deletion_protection`, \
             `enable_cross_zone_load_balancing`, `access_logs`)",
            "error: stack `hatch` › `overrides`: `aws_lb.web` › `enable_deletion_protection`: \
             the reason is empty; say why the security default is changed, for the reviewer",
        ]
    );

    let mut stack = hatch();
    stack.override_security_default(
        "aws_lb.web",
        "drop_invalid_header_fields",
        json!(false),
        "a legacy payment terminal sends headers with underscores; ticket PAY-123.",
    );
    let (synthesized, diagnostics) = synthesize(&stack);
    let synthesized = synthesized.unwrap_or_else(|| panic!("{diagnostics:?}"));
    let review =
        ecsynth::review::review_text(&synthesized.render().expect("renders")).expect("review");
    let doc: Value = serde_json::from_str(&review).expect("JSON");
    let lb = &doc["resource"]["aws_lb"]["web"];
    assert_eq!(lb["drop_invalid_header_fields"], false);
    assert!(
        lb["//"].as_str().expect("comment").ends_with(
            "`drop_invalid_header_fields` is set by the stack's override of a security default, \
             because: a legacy payment terminal sends headers with underscores; ticket PAY-123."
        ),
        "{}",
        lb["//"]
    );
}

/// The README's escape-hatch snippet is `tests/readme/escape_hatch.rs` (compiled here), shown
/// verbatim, and what it does synthesizes on a stack that has the resources it names.
#[test]
fn the_readme_escape_hatch_snippet_compiles_and_synthesizes() {
    let file = include_str!("readme/escape_hatch.rs");
    let snippet = file
        .split_once("// README: begin\n")
        .and_then(|(_, rest)| rest.split_once("// README: end"))
        .map(|(snippet, _)| snippet)
        .expect("markers");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    assert!(
        readme.contains(&format!("```rust\n{snippet}```\n")),
        "README.md, section \"Escape hatch\", must show tests/readme/escape_hatch.rs between \
         its markers verbatim:\n{snippet}"
    );
    let mut stack = hatch();
    readme::escape_hatch(&mut stack);
    let doc = document(&stack);
    assert_eq!(doc["resource"]["aws_lb"]["web"]["idle_timeout"], 120);
    assert_eq!(
        doc["resource"]["aws_kms_key"]["logs"]["deletion_window_in_days"],
        7
    );
}

#[test]
#[ignore = "full suite: runs Terraform; see README, Running the tests"]
fn an_overridden_document_passes_terraform_validate() {
    support::require_terraform();
    let mut stack = support::for_installed_provider(hatch());
    readme::escape_hatch(&mut stack);
    let dir = support::cached_dir("overrides/hatch");
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
    let mut stack = hatch();
    stack.override_attribute("aws_lb.web", "tags", json!({ "Owner ${var.x}": "a %{b}" }));
    let doc = document(&stack);
    assert_eq!(
        doc["resource"]["aws_lb"]["web"]["tags"],
        json!({ "Owner $${var.x}": "a %%{b}" })
    );

    let mut stack = hatch();
    stack
        .override_attribute("aws_lb.web\n", "idle_timeout", json!(1))
        .override_attribute("aws_lb.web", "${x}", json!(1));
    let (_, diagnostics) = synthesize(&stack);
    let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages[..2],
        [
            "error: stack `hatch` › `overrides`: `aws_lb.web\\n` is not a block address: \
             `<type>.<label>` or `data.<type>.<label>`, each a Terraform identifier (A-Z, a-z, \
             0-9, `_`, `-`, not starting with a digit or `-`)",
            "error: stack `hatch` › `overrides`: `${x}` of `aws_lb.web` is not an attribute name: \
             a Terraform identifier (A-Z, a-z, 0-9, `_`, `-`, not starting with a digit or `-`)",
        ]
    );
}
