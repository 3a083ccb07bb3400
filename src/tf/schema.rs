//! A provider's schema, compact, and the check of a written document against it.
//!
//! `terraform validate` needs the provider binary; a schema does not. The compact files under
//! `schema/` (made by `scripts/provider_schema.py` from `terraform providers schema -json`, or from the
//! CDK-Terrain bindings when no binary of that provider version can be installed) say, for each
//! resource and data source type, which arguments exist, which are required, which are only
//! computed, and which nested blocks hold at most one element. [`ProviderSchema::check`] walks a
//! parsed `.tf.json` and reports every argument, block, `ignore_changes` path and reference
//! attribute the schema does not have, so a document can be held against a provider major that
//! is not installed.
//!
//! Generic: nothing here knows AWS; the schema is data.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::Value;

/// One provider version's resource and data source types.
#[derive(Debug, Deserialize)]
pub struct ProviderSchema {
    /// `hashicorp/aws`.
    pub provider: String,
    /// The provider version the schema was taken from.
    pub version: String,
    /// Where it was taken from.
    pub source: String,
    pub resources: BTreeMap<String, BlockSchema>,
    pub data: BTreeMap<String, BlockSchema>,
}

/// The arguments and nested blocks of a resource, or of a block inside one.
#[derive(Debug, Default, Deserialize)]
pub struct BlockSchema {
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeUse>,
    #[serde(default)]
    pub blocks: BTreeMap<String, NestedBlock>,
}

/// Whether a configuration sets an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeUse {
    Required,
    Optional,
    /// Set by the provider only; readable in references, an error in configuration.
    Computed,
}

/// A nested block type.
#[derive(Debug, Deserialize)]
pub struct NestedBlock {
    /// At most one block of this type (`max_items = 1`, or single nesting).
    pub max_one: bool,
    /// At least one block is required.
    pub required: bool,
    #[serde(flatten)]
    pub block: BlockSchema,
}

/// Something in a document that the schema does not allow.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SchemaProblem {
    /// `aws_ecs_service.web`, or `data.aws_ssm_parameter.ami`.
    pub address: String,
    /// The argument path inside the block (`load_balancer[0].advanced_configuration`), empty
    /// for the block itself.
    pub path: String,
    pub message: String,
}

impl fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.address, self.message)
        } else {
            write!(f, "{} › {}: {}", self.address, self.path, self.message)
        }
    }
}

/// Resource-level keys that are Terraform's, not the provider's.
const META_ARGUMENTS: &[&str] = &[
    "count",
    "depends_on",
    "for_each",
    "lifecycle",
    "provider",
    "provisioner",
    "connection",
];

/// Terraform JSON's comment property, allowed in any block object.
const COMMENT: &str = "//";

impl ProviderSchema {
    /// Parses a compact schema file.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text)
            .map_err(|error| format!("not a compact provider schema: {error}"))
    }

    /// Every problem of `document` (a parsed `.tf.json`) against this schema, sorted.
    pub fn check(&self, document: &Value) -> Vec<SchemaProblem> {
        let mut problems = Vec::new();
        for (kind, types, prefix) in [
            ("resource", &self.resources, ""),
            ("data", &self.data, "data."),
        ] {
            let Some(blocks) = document.get(kind).and_then(Value::as_object) else {
                continue;
            };
            for (type_name, labelled) in blocks {
                let Some(labelled) = labelled.as_object() else {
                    continue;
                };
                for (label, body) in labelled {
                    let address = [prefix, type_name, ".", label].concat();
                    match types.get(type_name) {
                        None => problems.push(SchemaProblem {
                            address,
                            path: String::new(),
                            message: format!(
                                "{kind} type `{type_name}` is not in the schema of {} {} \
                                 (the provider lacks it, or the schema file predates it)",
                                self.provider, self.version
                            ),
                        }),
                        Some(schema) => {
                            let mut check = BlockCheck {
                                address: &address,
                                problems: &mut problems,
                            };
                            check.body(schema, body, "", true);
                            check.ignore_changes(schema, body);
                        }
                    }
                }
            }
        }
        self.check_references(document, &mut problems);
        problems.sort();
        problems.dedup();
        problems
    }

    /// Every `${type.label.attribute}` in the document must read an attribute or block the
    /// type has.
    fn check_references(&self, document: &Value, problems: &mut Vec<SchemaProblem>) {
        let mut found = Vec::new();
        for kind in ["resource", "data", "output", "locals", "module"] {
            if let Some(value) = document.get(kind) {
                collect_references(value, &mut found);
            }
        }
        for reference in found {
            let (types, type_name) = match reference.address.strip_prefix("data.") {
                Some(rest) => (&self.data, rest.split('.').next().unwrap_or(rest)),
                None => (
                    &self.resources,
                    reference
                        .address
                        .split('.')
                        .next()
                        .unwrap_or(&reference.address),
                ),
            };
            let Some(schema) = types.get(type_name) else {
                // `var.x`, `local.y`, or a type the block check already reports.
                continue;
            };
            let Some(attribute) = reference.attribute else {
                continue;
            };
            if !schema.attributes.contains_key(&attribute)
                && !schema.blocks.contains_key(&attribute)
            {
                problems.push(SchemaProblem {
                    address: reference.address.clone(),
                    path: attribute.clone(),
                    message: format!(
                        "a reference reads `{attribute}`, which `{type_name}` does not have in {} {}",
                        self.provider, self.version
                    ),
                });
            }
        }
    }
}

/// What a top-level argument of a block may become, by [`ProviderSchema::check_argument`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgumentChange<'v> {
    /// Set to this value.
    Set(&'v Value),
    Remove,
}

/// Meta-arguments a stack's override may set: the others are written by the generator (from
/// the ownership rules, the lowering's dependencies) or change how many blocks there are.
const OVERRIDABLE_META_ARGUMENTS: &[&str] = &["provider"];

impl ProviderSchema {
    /// Why setting or removing the top-level `argument` of a `type_name` block (a data source
    /// when `data`) does not fit this schema: an argument or block the type lacks (with what it
    /// has), one only the provider computes, a required one removed, a block given a value
    /// that is not an object or list of objects (or a list longer than the block allows), and
    /// inside a block's value every nested argument as [`ProviderSchema::check`] checks it.
    /// Empty when it fits; `None` when the schema does not know the type.
    pub fn check_argument(
        &self,
        data: bool,
        type_name: &str,
        argument: &str,
        change: ArgumentChange<'_>,
    ) -> Option<Vec<String>> {
        let schema = if data { &self.data } else { &self.resources }.get(type_name)?;
        let mut problems = Vec::new();
        if OVERRIDABLE_META_ARGUMENTS.contains(&argument) {
            return Some(problems);
        }
        if META_ARGUMENTS.contains(&argument) {
            problems.push(format!(
                "`{argument}` is a Terraform meta-argument the generator writes; an override may \
                 set only {}",
                OVERRIDABLE_META_ARGUMENTS.join(", ")
            ));
            return Some(problems);
        }
        let provider = format!("{} {}", self.provider, self.version);
        if let Some(nested) = schema.blocks.get(argument) {
            match change {
                ArgumentChange::Remove if nested.required => problems.push(format!(
                    "`{argument}` is a required block of `{type_name}` in {provider} and cannot \
                     be removed"
                )),
                ArgumentChange::Remove => {}
                ArgumentChange::Set(value) => {
                    let mut found = Vec::new();
                    let mut check = BlockCheck {
                        address: "",
                        problems: &mut found,
                    };
                    check.nested(nested, value, argument);
                    problems.extend(found.into_iter().map(|problem| {
                        if problem.path == argument {
                            format!("`{argument}` {}", problem.message)
                        } else {
                            format!("`{}`: {}", problem.path, problem.message)
                        }
                    }));
                }
            }
            return Some(problems);
        }
        match (schema.attributes.get(argument), change) {
            (None, _) => {
                let unknown = unknown(argument, schema);
                problems.push(if unknown.contains("did you mean") {
                    format!("`{type_name}` in {provider} has {unknown}")
                } else {
                    format!(
                        "`{type_name}` in {provider} has {unknown}; it takes {}",
                        settable(schema)
                    )
                })
            }
            (Some(AttributeUse::Computed), _) => problems.push(format!(
                "`{argument}` is computed by the provider ({provider}) and cannot be set or \
                 removed; `{type_name}` takes {}",
                settable(schema)
            )),
            (Some(AttributeUse::Required), ArgumentChange::Remove) => problems.push(format!(
                "`{argument}` is required by `{type_name}` in {provider} and cannot be removed"
            )),
            (Some(AttributeUse::Required), ArgumentChange::Set(Value::Null)) => {
                problems.push(format!(
                    "`{argument}` is required by `{type_name}` in {provider} and cannot be null"
                ))
            }
            (Some(_), _) => {}
        }
        Some(problems)
    }
}

/// The arguments and blocks a configuration may set, for messages.
fn settable(schema: &BlockSchema) -> String {
    let mut names: Vec<&str> = schema
        .attributes
        .iter()
        .filter(|(_, use_)| **use_ != AttributeUse::Computed)
        .map(|(name, _)| name.as_str())
        .chain(schema.blocks.keys().map(String::as_str))
        .collect();
    names.sort_unstable();
    let names: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    names.join(", ")
}

struct BlockCheck<'a> {
    address: &'a str,
    problems: &'a mut Vec<SchemaProblem>,
}

impl BlockCheck<'_> {
    fn problem(&mut self, path: &str, message: String) {
        self.problems.push(SchemaProblem {
            address: self.address.to_owned(),
            path: path.to_owned(),
            message,
        });
    }

    /// The arguments of one block object.
    fn body(&mut self, schema: &BlockSchema, body: &Value, path: &str, top_level: bool) {
        let Some(object) = body.as_object() else {
            self.problem(path, "a block must be a JSON object".to_owned());
            return;
        };
        for (key, value) in object {
            if key == COMMENT || (top_level && META_ARGUMENTS.contains(&key.as_str())) {
                continue;
            }
            let at = join(path, key);
            if let Some(nested) = schema.blocks.get(key) {
                self.nested(nested, value, &at);
            } else {
                match schema.attributes.get(key) {
                    Some(AttributeUse::Computed) => self.problem(
                        &at,
                        "is computed by the provider and cannot be set".to_owned(),
                    ),
                    Some(_) => {}
                    None => self.problem(&at, unknown(key, schema)),
                }
            }
        }
        for (name, attribute) in &schema.attributes {
            if *attribute == AttributeUse::Required && !object.contains_key(name) {
                self.problem(&join(path, name), "is required and missing".to_owned());
            }
        }
        for (name, nested) in &schema.blocks {
            if nested.required && !object.contains_key(name) {
                self.problem(
                    &join(path, name),
                    "is a required block and missing".to_owned(),
                );
            }
        }
    }

    /// A nested block: one object, or an array of objects.
    fn nested(&mut self, nested: &NestedBlock, value: &Value, path: &str) {
        match value {
            Value::Array(items) => {
                if nested.max_one && items.len() > 1 {
                    self.problem(
                        path,
                        format!("holds at most one block, {} given", items.len()),
                    );
                }
                for (index, item) in items.iter().enumerate() {
                    self.body(&nested.block, item, &format!("{path}[{index}]"), false);
                }
            }
            Value::Object(_) => self.body(&nested.block, value, path, false),
            _ => self.problem(
                path,
                "is a block: give an object or an array of objects".to_owned(),
            ),
        }
    }

    /// Each `lifecycle.ignore_changes` entry must name an argument the type has.
    fn ignore_changes(&mut self, schema: &BlockSchema, body: &Value) {
        let entries = body
            .pointer("/lifecycle/ignore_changes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        for entry in entries {
            let mut block = schema;
            // `a[0].b`, `a["key"]`: follow the names, skip the indexes.
            let names: Vec<&str> = entry
                .split('.')
                .map(|part| part.split('[').next().unwrap_or(part))
                .collect();
            for (depth, name) in names.iter().enumerate() {
                let last = depth + 1 == names.len();
                if let Some(nested) = block.blocks.get(*name) {
                    block = &nested.block;
                } else if block.attributes.contains_key(*name) {
                    // An attribute ends the path; what follows indexes into its value.
                    break;
                } else {
                    self.problem(
                        &format!("lifecycle.ignore_changes[{entry:?}]"),
                        unknown(name, block),
                    );
                    break;
                }
                if last {
                    break;
                }
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        [path, ".", key].concat()
    }
}

fn unknown(key: &str, schema: &BlockSchema) -> String {
    let closest = schema
        .attributes
        .keys()
        .chain(schema.blocks.keys())
        .filter(|candidate| strsim::jaro_winkler(key, candidate) > 0.85)
        .max_by(|a, b| {
            strsim::jaro_winkler(key, a)
                .total_cmp(&strsim::jaro_winkler(key, b))
                .then_with(|| b.cmp(a))
        });
    match closest {
        Some(candidate) => format!("no argument or block `{key}`; did you mean `{candidate}`?"),
        None => format!("no argument or block `{key}`"),
    }
}

/// A traversal inside a template interpolation: `aws_lb.web.arn_suffix` gives address
/// `aws_lb.web` and attribute `arn_suffix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traversal {
    /// `type.label`, or `data.type.label`.
    pub address: String,
    /// The first name after the address, when there is one.
    pub attribute: Option<String>,
}

fn collect_references(value: &Value, found: &mut Vec<Traversal>) {
    match value {
        Value::String(text) => found.extend(interpolated_traversals(text)),
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_references(item, found)),
        Value::Object(object) => object
            .values()
            .for_each(|item| collect_references(item, found)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Every traversal inside the `${…}` interpolations of a Terraform template string; `$${` is a
/// literal and skipped. Candidates that are not blocks of a document (`var.x`, `local.y`) are
/// the caller's to drop.
pub fn interpolated_traversals(text: &str) -> Vec<Traversal> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let escaped = rest[..start].ends_with('$');
        rest = &rest[start + 2..];
        if escaped {
            continue;
        }
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(rest.len(), |(index, _)| index);
        found.extend(traversals(&rest[..end]));
        rest = &rest[end..];
    }
    found
}

/// `a.b[.attr]` or `data.a.b[.attr]` prefixes of the dotted identifiers in an expression.
fn traversals(expression: &str) -> Vec<Traversal> {
    let is_part = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut found = Vec::new();
    for token in expression.split(|c: char| !(is_part(c) || c == '.')) {
        let parts: Vec<&str> = token.split('.').collect();
        let starts_identifier = parts[0].starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        if !starts_identifier || parts.iter().any(|part| part.is_empty()) {
            continue;
        }
        let wanted = if parts[0] == "data" { 3 } else { 2 };
        if parts.len() >= wanted {
            found.push(Traversal {
                address: parts[..wanted].join("."),
                attribute: parts.get(wanted).map(|part| (*part).to_owned()),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> ProviderSchema {
        ProviderSchema::from_json(
            &json!({
                "provider": "example/cloud",
                "version": "1.2.3",
                "source": "a test",
                "resources": {
                    "cloud_service": {
                        "attributes": {"name": "required", "count_of": "optional", "arn": "computed"},
                        "blocks": {
                            "deployment": {"max_one": true, "required": false,
                                "attributes": {"strategy": "optional"}, "blocks": {}},
                            "target": {"max_one": false, "required": true,
                                "attributes": {"port": "required"}, "blocks": {}}
                        }
                    }
                },
                "data": {"cloud_image": {"attributes": {"name": "required", "id": "computed"}, "blocks": {}}}
            })
            .to_string(),
        )
        .expect("parses")
    }

    fn messages(document: Value) -> Vec<String> {
        schema()
            .check(&document)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_document_within_the_schema_has_no_problems() {
        let document = json!({
            "data": {"cloud_image": {"base": {"name": "x"}}},
            "resource": {"cloud_service": {"web": {
                "//": "a comment",
                "name": "web",
                "deployment": [{"strategy": "${data.cloud_image.base.id}"}],
                "target": [{"port": 80}, {"port": 81}],
                "depends_on": ["cloud_service.other"],
                "lifecycle": {"ignore_changes": ["count_of", "deployment[0].strategy"]}
            }}},
            "output": {"arn": {"value": "${cloud_service.web.arn} $${cloud_service.web.nope}"}}
        });
        assert_eq!(messages(document), Vec::<String>::new());
    }

    #[test]
    fn every_kind_of_problem_is_reported_with_its_place() {
        let document = json!({
            "resource": {
                "cloud_service": {"web": {
                    "nmae": "web",
                    "arn": "x",
                    "deployment": [{"strategy": "a"}, {"strategy": "b"}],
                    "lifecycle": {"ignore_changes": ["deployment[0].stratgy", "missing"]}
                }},
                "cloud_other": {"x": {}}
            },
            "output": {"o": {"value": "${cloud_service.web.name_prefix}"}}
        });
        assert_eq!(
            messages(document),
            [
                "cloud_other.x: resource type `cloud_other` is not in the schema of example/cloud 1.2.3 (the provider lacks it, or the schema file predates it)",
                "cloud_service.web › arn: is computed by the provider and cannot be set",
                "cloud_service.web › deployment: holds at most one block, 2 given",
                "cloud_service.web › lifecycle.ignore_changes[\"deployment[0].stratgy\"]: no argument or block `stratgy`; did you mean `strategy`?",
                "cloud_service.web › lifecycle.ignore_changes[\"missing\"]: no argument or block `missing`",
                "cloud_service.web › name: is required and missing",
                "cloud_service.web › name_prefix: a reference reads `name_prefix`, which `cloud_service` does not have in example/cloud 1.2.3",
                "cloud_service.web › nmae: no argument or block `nmae`; did you mean `name`?",
                "cloud_service.web › target: is a required block and missing",
            ]
        );
    }

    #[test]
    fn interpolations_yield_block_addresses_and_skip_escapes() {
        let addresses: Vec<String> = interpolated_traversals(
            "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.web.name} $${x.y} \
             ${jsonencode(data.aws_iam_policy_document.p.json)} ${var.subnet_ids[0]}",
        )
        .into_iter()
        .map(|traversal| traversal.address)
        .collect();
        assert_eq!(
            addresses,
            [
                "aws_ecs_cluster.main",
                "aws_ecs_service.web",
                "data.aws_iam_policy_document.p",
                "var.subnet_ids"
            ]
        );
    }

    #[test]
    fn traversals_keep_the_attribute_and_skip_escapes() {
        let found = interpolated_traversals(
            "${aws_lb.web.arn_suffix}/${data.aws_x.y.id} $${not.a.ref} ${var.subnets[0]}",
        );
        assert_eq!(
            found,
            [
                Traversal {
                    address: "aws_lb.web".into(),
                    attribute: Some("arn_suffix".into())
                },
                Traversal {
                    address: "data.aws_x.y".into(),
                    attribute: Some("id".into())
                },
                Traversal {
                    address: "var.subnets".into(),
                    attribute: None
                },
            ]
        );
    }
}
