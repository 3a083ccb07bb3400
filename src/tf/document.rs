//! The Terraform document: blocks in insertion order, typed handles, deterministic output.
//!
//! A block's typed body is serialised into the document's text when it is added (its
//! overrides applied, its references checked) and then dropped: the document holds the
//! rendered entries, about the size of the file, not the tree of values behind them, and
//! writing it is copying. Memory is what costs here: on this project's virtual machines every
//! page touched for the first time is a fault of several microseconds.

use std::fmt;
use std::io::{self, Write};
use std::marker::PhantomData;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::expr::{check_owner, DocId, Expr, WritingGuard};
use super::json;
use super::schema::{ArgumentChange, ProviderSchema};

/// A resource or data source body: a typed struct whose fields are the provider's arguments.
pub trait Resource: Serialize + 'static {
    /// The provider's type name, e.g. `aws_lb`.
    const TYPE: &'static str;
}

/// A typed handle to a block added to a [`Document`]; the only way to build references to it.
///
/// The type parameter keeps a target group from being passed where a listener is expected;
/// attribute accessors (`arn()`, `name()`, …) are defined per type by the layer that owns it.
pub struct Ref<T> {
    doc: DocId,
    address: Arc<str>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Ref<T> {
    fn clone(&self) -> Self {
        Ref {
            doc: self.doc,
            address: self.address.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Ref<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

impl<T> Ref<T> {
    /// `type.label` for resources, `data.type.label` for data sources.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// A reference to one attribute: `${address.attribute}`. Resource layers wrap this in
    /// named accessors so that attribute names are typed once, next to the resource.
    pub fn attr(&self, attribute: &'static str) -> Expr {
        Expr::reference(self.doc, Arc::clone(&self.address), Some(attribute))
    }

    /// This block as a `depends_on` entry.
    pub fn dependency(&self) -> Dependency {
        Dependency {
            doc: self.doc,
            address: self.address.clone(),
        }
    }
}

/// One `depends_on` entry; built from a [`Ref`] so that it cannot name a missing block.
#[derive(Clone, Debug, PartialEq)]
pub struct Dependency {
    doc: DocId,
    address: Arc<str>,
}

impl Serialize for Dependency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        check_owner::<S::Error>(self.doc, || self.address.to_string())?;
        serializer.serialize_str(&self.address)
    }
}

/// `lifecycle` meta-argument.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Lifecycle {
    /// Attributes something other than Terraform owns after creation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_changes: Vec<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub prevent_destroy: bool,
}

impl Lifecycle {
    pub fn is_empty(&self) -> bool {
        self.ignore_changes.is_empty() && !self.create_before_destroy && !self.prevent_destroy
    }
}

/// Meta-arguments and the reviewer's comment that travel with a block.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    /// Rendered as the block's `"//"` key, the first thing a reviewer reads.
    pub comment: Option<String>,
    /// One instance per element (`for_each`); inside, [`Document::each_value`] is the element.
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Dependency>,
    pub lifecycle: Lifecycle,
}

/// Who the resources added next belong to, for their identity: a part of what the document
/// describes (`service \`web\``) and the label its resources' labels start with (`web`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub part: String,
    pub label_base: String,
}

/// A resource by what it is for rather than where it is: its owner's part, its type and its
/// label after the owner's label base (`service \`web\` › aws_lb_target_group blue`). Renaming
/// a part's labels, or changing how labels are built from a base, leaves it unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identified {
    pub identity: String,
    pub address: String,
    pub type_name: &'static str,
    /// One instance per element (`for_each`): an `import` needs each instance's key.
    pub for_each: bool,
}

/// The identity of the resource `type_name.label` owned by `owner`. A label that does not
/// start with the owner's base keeps it whole as its role.
fn identity(owner: Option<&Owner>, type_name: &str, label: &str) -> String {
    let (part, base) = owner.map_or(("stack", ""), |o| (o.part.as_str(), o.label_base.as_str()));
    let role = if base.is_empty() {
        label
    } else if label == base {
        ""
    } else {
        label
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('_'))
            .unwrap_or(label)
    };
    // Built for every resource: `concat` is a fraction of what `format!` costs.
    if role.is_empty() {
        [part, " › ", type_name].concat()
    } else {
        [part, " › ", type_name, " ", role].concat()
    }
}

/// A root `moved` block (Terraform 1.1+): state at `from` belongs to `to` now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Moved {
    pub from: String,
    pub to: String,
}

/// A root `import` block (Terraform 1.5+): the resource at `to` adopts the existing object `id`.
#[derive(Clone, Debug, Serialize)]
struct Import {
    to: String,
    id: Expr,
}

/// A `variable` block. Its description and type are literal text, never templates.
#[derive(Clone, Debug, Serialize)]
pub struct Variable {
    #[serde(rename = "type")]
    pub type_constraint: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
}

/// An `output` block.
#[derive(Clone, Debug, Serialize)]
pub struct Output {
    pub description: String,
    pub value: Expr,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// The `terraform` block. Literal, like everything in it.
#[derive(Clone, Debug, Serialize)]
pub struct TerraformSettings {
    pub required_version: String,
    pub required_providers: IndexMap<String, ProviderRequirement>,
    /// `backend` type and its literal settings, e.g. `("s3", {"bucket": "…", "encrypt": true})`.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "backend")]
    pub backend: Option<(String, IndexMap<String, serde_json::Value>)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProviderRequirement {
    pub source: String,
    pub version: String,
}

impl TerraformSettings {
    pub fn new(required_version: &str) -> TerraformSettings {
        TerraformSettings {
            required_version: required_version.into(),
            required_providers: IndexMap::new(),
            backend: None,
        }
    }

    pub fn require_provider(&mut self, name: &str, source: &str, version: &str) {
        self.required_providers.insert(
            name.into(),
            ProviderRequirement {
                source: source.into(),
                version: version.into(),
            },
        );
    }
}

fn backend<S: Serializer>(
    backend: &Option<(String, IndexMap<String, serde_json::Value>)>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    if let Some((kind, settings)) = backend {
        map.serialize_entry(kind, settings)?;
    }
    map.end()
}

/// A value written by its own monomorphised `Serialize` into the document's writer.
trait Body {
    fn write(&self, writer: &mut json::Writer<'_>) -> Result<(), json::Error>;
}

impl<T: Serialize> Body for T {
    fn write(&self, writer: &mut json::Writer<'_>) -> Result<(), json::Error> {
        self.serialize(writer)
    }
}

/// A top-level attribute a stack sets (`Some`) or removes (`None`) over a block's typed body,
/// declared before the block is added and applied as it is rendered.
struct Override {
    address: String,
    attribute: String,
    value: Option<Literal>,
    /// Why the stack changes a guarded argument ([`OverrideRules::guarded`]): given only
    /// through the explicit opt-in, and written into the block's `//` comment.
    reason: Option<String>,
    /// The block was added (and the override applied to it).
    applied: bool,
    /// The typed body writes the attribute (what a removal needs).
    body_has_it: bool,
}

/// What [`Document::check_overrides`] holds a stack's overrides against.
#[derive(Clone, Copy, Debug, Default)]
pub struct OverrideRules<'a> {
    /// The schema of the provider the document is written for; `None` skips the schema check.
    pub schema: Option<&'a ProviderSchema>,
    /// Resource arguments a plain override may not change: each needs the stack's reason.
    pub guarded: &'a [Guarded],
}

/// A resource argument whose value is a default the generator keeps for a reason (a security
/// default): an override of it must say why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guarded {
    pub resource_type: &'static str,
    pub argument: &'static str,
    /// What the default protects, in a few words, for the error.
    pub why: &'static str,
}

/// Longest value an override message quotes.
const VALUE_IN_MESSAGES: usize = 80;

impl Override {
    /// `set to <the value as compact JSON, cut>` or `removed`, for messages.
    fn change_text(&self) -> String {
        let Some(value) = &self.value else {
            return "removed".to_owned();
        };
        let text = serde_json::to_string(&value.0).unwrap_or_default();
        if text.chars().count() <= VALUE_IN_MESSAGES {
            return format!("set to {text}");
        }
        let cut: String = text.chars().take(VALUE_IN_MESSAGES - 1).collect();
        format!("set to {cut}…")
    }

    /// Its problems against the schema and the guarded arguments.
    fn check_against(&self, rules: &OverrideRules<'_>) -> Vec<DocumentError> {
        let mut problems = Vec::new();
        let (data, rest) = match self.address.strip_prefix("data.") {
            Some(rest) => (true, rest),
            None => (false, self.address.as_str()),
        };
        let type_name = rest.split('.').next().unwrap_or(rest);
        if let Some(schema) = rules.schema {
            let change = match &self.value {
                Some(value) => ArgumentChange::Set(&value.0),
                None => ArgumentChange::Remove,
            };
            let messages = schema
                .check_argument(data, type_name, &self.attribute, change)
                .unwrap_or_else(|| {
                    vec![format!(
                        "the schema of {} {} has no type `{type_name}`",
                        schema.provider, schema.version
                    )]
                });
            problems.extend(
                messages
                    .into_iter()
                    .map(|message| DocumentError::OverrideSchema {
                        address: self.address.clone(),
                        attribute: self.attribute.clone(),
                        change: self.change_text(),
                        message,
                    }),
            );
        }
        let guard = rules
            .guarded
            .iter()
            .find(|g| !data && g.resource_type == type_name && g.argument == self.attribute);
        match (guard, &self.reason) {
            (Some(guard), None) => problems.push(DocumentError::GuardedWithoutReason {
                address: self.address.clone(),
                attribute: self.attribute.clone(),
                change: self.change_text(),
                why: guard.why,
            }),
            (Some(_), Some(reason)) if reason.trim().is_empty() => {
                problems.push(DocumentError::MisusedOptIn {
                    address: self.address.clone(),
                    attribute: self.attribute.clone(),
                    message: "the reason is empty; say why the security default is changed, \
                              for the reviewer"
                        .to_owned(),
                })
            }
            (None, Some(_)) => problems.push(DocumentError::MisusedOptIn {
                address: self.address.clone(),
                attribute: self.attribute.clone(),
                message: format!(
                    "is not a security default of `{type_name}`, so it needs no reason; use \
                     `Stack::override_attribute` or `Stack::remove_attribute` (the guarded \
                     arguments of `{type_name}`: {})",
                    guarded_of(rules.guarded, type_name)
                ),
            }),
            _ => {}
        }
        problems
    }
}

/// The guarded arguments of `type_name`, for messages.
fn guarded_of(guarded: &[Guarded], type_name: &str) -> String {
    let names: Vec<String> = guarded
        .iter()
        .filter(|g| g.resource_type == type_name)
        .map(|g| format!("`{}`", g.argument))
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// The blocks of one type (or the outputs), rendered as they were added: the entries of their
/// JSON object, byte for byte as they appear in the file. A block's typed body is serialised
/// once, when it is added, and dropped; the document holds text, not a tree of values.
#[derive(Default)]
struct Rendered {
    /// `"label": {…}` entries, separated and indented as in the file, in chunks of about
    /// [`CHUNK`] bytes: a single growing buffer would copy itself on every doubling and leave
    /// up to half its capacity untouched but paid for.
    chunks: Vec<Vec<u8>>,
    /// Entries written (a duplicate label adds one; it is reported as a problem).
    entries: usize,
    /// What identifies each entry (a block's address, an output's name), to find duplicates.
    keys: std::collections::HashSet<Arc<str>, Fx>,
}

/// Capacity of a chunk of rendered text.
const CHUNK: usize = 64 * 1024;
/// Room a chunk must have left to take the next entry: more than almost any block needs (one
/// that needs more grows the chunk, which is only a copy).
const CHUNK_ROOM: usize = 8 * 1024;

impl Rendered {
    /// Appends the entry `"label": <what write writes>` to an object whose entries are
    /// `depth` levels deep. False when `key` was there already.
    fn append(
        &mut self,
        depth: usize,
        key: &Arc<str>,
        label: &str,
        write: impl FnOnce(&mut json::Writer<'_>) -> Result<(), json::Error>,
    ) -> (bool, Result<(), json::Error>) {
        let new = self.keys.insert(Arc::clone(key));
        let chunk = match self.chunks.last_mut() {
            Some(chunk) if chunk.capacity() - chunk.len() >= CHUNK_ROOM => chunk,
            _ => {
                self.chunks.push(Vec::with_capacity(CHUNK));
                self.chunks.last_mut().expect("a chunk was just pushed")
            }
        };
        let mut writer = json::Writer::fragment(std::mem::take(chunk), depth, self.entries > 0);
        writer.key(label);
        let written = write(&mut writer);
        *chunk = writer.into_fragment();
        self.entries += 1;
        (new, written)
    }

    /// Writes the rendered entries as the object `"key": {…}` of `writer`.
    fn write(&self, key: &str, writer: &mut json::Writer<'_>) -> Result<(), json::Error> {
        writer.key(key);
        writer.begin(b'{');
        for chunk in &self.chunks {
            writer.entries(chunk)?;
        }
        if self.entries > 0 {
            writer.value_written();
        }
        writer.end(b'}')
    }
}

/// Depth of a block's entry in the file: root object › `resource` › type › label.
const BLOCK_DEPTH: usize = 3;
/// Depth of an output's entry: root object › `output` › name.
const OUTPUT_DEPTH: usize = 2;

/// A literal JSON value whose strings are escaped like every literal of the document.
#[derive(Clone, Debug)]
pub struct Literal(pub serde_json::Value);

impl Serialize for Literal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match &self.0 {
            serde_json::Value::String(text) => Expr::from(text.clone()).serialize(serializer),
            serde_json::Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Literal(item.clone()))?;
                }
                seq.end()
            }
            serde_json::Value::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, value) in fields {
                    map.serialize_entry(key, &Literal(value.clone()))?;
                }
                map.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// `{ "//": comment, <the body's fields>, <overrides>, "depends_on": […], "lifecycle": {…} }`.
/// With overrides, also says which of their attributes the body itself has.
fn write_block<T: Serialize>(
    writer: &mut json::Writer<'_>,
    body: &T,
    meta: &Meta,
    overrides: &mut [&mut Override],
) -> Result<(), json::Error> {
    writer.begin(b'{');
    if let Some(comment) = &meta.comment {
        writer.entry("//", comment)?;
    }
    if let Some(for_each) = &meta.for_each {
        writer.entry("for_each", for_each)?;
    }
    writer.inline_next();
    if overrides.is_empty() {
        body.serialize(&mut *writer)?;
    } else {
        writer.set_body_filter(json::BodyFilter {
            skip: overrides.iter().map(|o| o.attribute.clone()).collect(),
            seen: Vec::new(),
        });
        let written = body.serialize(&mut *writer);
        let seen = writer.take_body_filter().unwrap_or_default().seen;
        written?;
        for o in overrides.iter_mut() {
            o.body_has_it = seen.contains(&o.attribute);
        }
    }
    writer.check_inlined()?;
    for o in overrides.iter() {
        if let Some(value) = &o.value {
            writer.entry(&o.attribute, value)?;
        }
    }
    if !meta.depends_on.is_empty() {
        writer.entry("depends_on", &meta.depends_on)?;
    }
    if !meta.lifecycle.is_empty() {
        writer.entry("lifecycle", &meta.lifecycle)?;
    }
    writer.end(b'}')
}

/// Blocks of one kind (`resource` or `data`), grouped by type in first-insertion order.
type Blocks = IndexMap<&'static str, Rendered, Fx>;

/// FxHash, rustc's hasher (`rustc-hash`): labels and type names are short and chosen by the
/// stack's author, so SipHash's flooding resistance buys nothing here and costs 2 % of a synth.
type Fx = rustc_hash::FxBuildHasher;

/// A problem in how the document was built, found before anything is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocumentError {
    DuplicateBlock {
        address: String,
    },
    /// Two resources with one identity: the address lock could not tell them apart (a
    /// lowering bug: an owner's labels must be unique).
    DuplicateIdentity {
        identity: String,
        address: String,
    },
    InvalidLabel {
        kind: &'static str,
        label: String,
    },
    /// Serialisation failed, e.g. a reference minted by another document.
    Serialize(String),
    /// An override names a block the document does not have.
    UnknownBlock {
        address: String,
        /// The addresses of the blocks of that type the document has, sorted.
        of_type: Vec<String>,
    },
    /// An override declared after its block was added, too late to be applied.
    OverrideAfterBlock {
        address: String,
    },
    /// An override removes an attribute the block does not have.
    UnknownAttribute {
        address: String,
        attribute: String,
    },
    /// An override does not fit the provider schema: an argument the type lacks, a computed
    /// one, a required one removed, a block given the wrong shape.
    OverrideSchema {
        address: String,
        attribute: String,
        /// `set to <the value, compact and cut>` or `removed`.
        change: String,
        message: String,
    },
    /// A second override of the same attribute of the same block.
    DuplicateOverride {
        address: String,
        attribute: String,
        /// `first set to 120, then removed`.
        changes: String,
    },
    /// A plain override of an argument that carries a security default.
    GuardedWithoutReason {
        address: String,
        attribute: String,
        change: String,
        why: &'static str,
    },
    /// A reasoned opt-in whose reason is empty, or for an argument that is not guarded.
    MisusedOptIn {
        address: String,
        attribute: String,
        message: String,
    },
}

impl DocumentError {
    /// The problem is in the stack's overrides (the escape hatch), not in lowering.
    pub fn is_override(&self) -> bool {
        matches!(
            self,
            DocumentError::UnknownBlock { .. }
                | DocumentError::UnknownAttribute { .. }
                | DocumentError::OverrideAfterBlock { .. }
                | DocumentError::OverrideSchema { .. }
                | DocumentError::DuplicateOverride { .. }
                | DocumentError::GuardedWithoutReason { .. }
                | DocumentError::MisusedOptIn { .. }
        )
    }
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocumentError::DuplicateIdentity { identity, address } => write!(
                f,
                "`{address}` has the identity `{identity}` of another resource; the address \
                 lock needs one identity per resource"
            ),
            DocumentError::DuplicateBlock { address } => {
                write!(f, "`{address}` is defined twice in the document")
            }
            DocumentError::UnknownBlock { address, of_type } => {
                write!(
                    f,
                    "`{address}` is not a resource or data source of the document; check the \
                     address in the snapshot (`type.label`, `data.type.label`)"
                )?;
                match of_type.as_slice() {
                    [] => f.write_str("; the document has no block of that type"),
                    known => {
                        const SHOWN: usize = 10;
                        let mut shown: Vec<String> = known
                            .iter()
                            .take(SHOWN)
                            .map(|address| format!("`{address}`"))
                            .collect();
                        if known.len() > SHOWN {
                            shown.push(format!("… ({} in all)", known.len()));
                        }
                        write!(f, "; blocks of that type: {}", shown.join(", "))
                    }
                }
            }
            DocumentError::OverrideSchema {
                address,
                attribute,
                change,
                message,
            } => write!(f, "`{address}` › `{attribute}` {change}: {message}"),
            DocumentError::DuplicateOverride {
                address,
                attribute,
                changes,
            } => write!(
                f,
                "`{address}` › `{attribute}` is overridden twice ({changes}); give one override \
                 per attribute"
            ),
            DocumentError::GuardedWithoutReason {
                address,
                attribute,
                change,
                why,
            } => write!(
                f,
                "`{address}` › `{attribute}` {change} would change a security default ({why}); \
                 if that is intended, say why with `Stack::override_security_default(address, \
                 attribute, value, reason)` or `Stack::remove_security_default(address, \
                 attribute, reason)`: the reason is written into the resource's `//` comment"
            ),
            DocumentError::MisusedOptIn {
                address,
                attribute,
                message,
            } => write!(f, "`{address}` › `{attribute}`: {message}"),
            DocumentError::UnknownAttribute { address, attribute } => write!(
                f,
                "`{address}` has no attribute `{attribute}` to remove; only attributes the \
                 document writes can be removed"
            ),
            DocumentError::OverrideAfterBlock { address } => write!(
                f,
                "the override of `{address}` was declared after the block was added; blocks \
                 are rendered as they are added, so overrides come first"
            ),
            DocumentError::InvalidLabel { kind, label } => write!(
                f,
                "{kind} label `{label}` is not a Terraform identifier \
                 (letters, digits, `_` and `-`, starting with a letter or `_`)"
            ),
            DocumentError::Serialize(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for DocumentError {}

/// One Terraform JSON file.
pub struct Document {
    id: DocId,
    comment: Option<String>,
    terraform: TerraformSettings,
    providers: IndexMap<String, Box<dyn Body>>,
    variables: IndexMap<String, Variable>,
    locals: IndexMap<String, Expr>,
    data: Blocks,
    resources: Blocks,
    outputs: Rendered,
    /// Declared by [`Document::override_attribute`], applied as blocks are added.
    overrides: Vec<Override>,
    /// Problems found while adding blocks; reported by [`Document::write`].
    problems: Vec<DocumentError>,
    /// The owner of the resources added now ([`Document::set_owner`]).
    owner: Option<Owner>,
    /// Every resource, by identity, in the order added.
    identified: Vec<Identified>,
    /// Identity → address, to find two resources with one identity.
    identities: std::collections::HashMap<String, Arc<str>, Fx>,
    moved: Vec<Moved>,
    imports: Vec<Import>,
}

impl Document {
    pub fn new(terraform: TerraformSettings) -> Document {
        Document {
            id: DocId::fresh(),
            comment: None,
            terraform,
            providers: IndexMap::new(),
            variables: IndexMap::new(),
            locals: IndexMap::new(),
            data: Blocks::default(),
            resources: Blocks::default(),
            outputs: Rendered::default(),
            overrides: Vec::new(),
            problems: Vec::new(),
            owner: None,
            identified: Vec::new(),
            identities: Default::default(),
            moved: Vec::new(),
            imports: Vec::new(),
        }
    }

    /// The owner of the resources added from now on; `None`: the document as a whole (part
    /// `stack`, no label base).
    pub fn set_owner(&mut self, owner: Option<Owner>) {
        self.owner = owner;
    }

    /// Every resource (data sources are not state) with its identity, in the order added.
    pub fn identified(&self) -> &[Identified] {
        &self.identified
    }

    /// Adds a root `moved` block.
    pub fn moved(&mut self, moved: Moved) {
        self.moved.push(moved);
    }

    /// Adds a root `import` block: the resource at `to` adopts the existing object `id`
    /// (literal text, escaped like every literal).
    pub fn import(&mut self, to: &str, id: &str) {
        self.imports.push(Import {
            to: to.into(),
            id: Expr::from(id.to_owned()),
        });
    }

    /// The root `"//"` comment.
    pub fn set_comment(&mut self, comment: impl Into<String>) {
        self.comment = Some(comment.into());
    }

    /// Configures a provider by its local name (`aws`).
    pub fn provider(&mut self, name: &str, body: impl Serialize + 'static) {
        self.providers.insert(name.into(), Box::new(body));
    }

    /// Declares a variable and returns a reference to it.
    pub fn variable(&mut self, name: &str, variable: Variable) -> Expr {
        self.check_label("variable", name);
        if self.variables.insert(name.into(), variable).is_some() {
            self.problems.push(DocumentError::DuplicateBlock {
                address: format!("var.{name}"),
            });
        }
        Expr::reference(self.id, format!("var.{name}").into(), None)
    }

    /// Declares a local value and returns a reference to it.
    pub fn local(&mut self, name: &str, value: Expr) -> Expr {
        self.check_label("local", name);
        if self.locals.insert(name.into(), value).is_some() {
            self.problems.push(DocumentError::DuplicateBlock {
                address: format!("local.{name}"),
            });
        }
        Expr::reference(self.id, format!("local.{name}").into(), None)
    }

    /// `each.value`: the element of a block with `for_each` that is being created.
    pub fn each_value(&self) -> Expr {
        Expr::reference(self.id, "each.value".into(), None)
    }

    /// Sets (`Some`) or removes (`None`) the top-level attribute `attribute` of the block at
    /// `address` (`aws_lb.web`, `data.aws_caller_identity.current`), over what its typed body
    /// writes, and says so in the block's `//` comment. Blocks are rendered as they are added,
    /// so overrides are declared first: one declared after its block is recorded at once as a
    /// problem ([`DocumentError::OverrideAfterBlock`]); [`Document::check_overrides`] reports
    /// the rest. `reason` is the stack's reason for changing a guarded argument
    /// ([`OverrideRules::guarded`]); it is written into the comment.
    pub fn override_attribute(
        &mut self,
        address: &str,
        attribute: &str,
        value: Option<serde_json::Value>,
        reason: Option<String>,
    ) {
        if self.has_block(address) {
            self.problems.push(DocumentError::OverrideAfterBlock {
                address: address.into(),
            });
            return;
        }
        self.overrides.push(Override {
            address: address.into(),
            attribute: attribute.into(),
            value: value.map(Literal),
            reason,
            applied: false,
            body_has_it: false,
        });
    }

    /// Records every problem of the overrides, in the order they were declared: a block the
    /// document does not have, the removal of an attribute the block does not write, a second
    /// override of the same attribute, an override that does not fit `rules.schema`, a guarded
    /// argument changed without a reason, a reason given where none is needed. Call it once
    /// all blocks are added; [`Document::problems`] then lists them.
    pub fn check_overrides(&mut self, rules: &OverrideRules<'_>) {
        let mut problems = Vec::new();
        for (index, o) in self.overrides.iter().enumerate() {
            if let Some(first) = self.overrides[..index].iter().find(|earlier| {
                (&earlier.address, &earlier.attribute) == (&o.address, &o.attribute)
            }) {
                problems.push(DocumentError::DuplicateOverride {
                    address: o.address.clone(),
                    attribute: o.attribute.clone(),
                    changes: format!("first {}, then {}", first.change_text(), o.change_text()),
                });
                continue;
            }
            if !o.applied {
                problems.push(DocumentError::UnknownBlock {
                    address: o.address.clone(),
                    of_type: self.blocks_of_type(&o.address),
                });
                continue;
            }
            problems.extend(o.check_against(rules));
            if o.value.is_none() && !o.body_has_it {
                problems.push(DocumentError::UnknownAttribute {
                    address: o.address.clone(),
                    attribute: o.attribute.clone(),
                });
            }
        }
        self.problems.extend(problems);
    }

    /// The sorted addresses of the blocks of the type `address` names.
    fn blocks_of_type(&self, address: &str) -> Vec<String> {
        let (blocks, rest) = match address.strip_prefix("data.") {
            Some(rest) => (&self.data, rest),
            None => (&self.resources, address),
        };
        let type_name = rest.split('.').next().unwrap_or(rest);
        let mut found: Vec<String> = blocks
            .get(type_name)
            .map(|of_type| of_type.keys.iter().map(|key| key.to_string()).collect())
            .unwrap_or_default();
        found.sort();
        found
    }

    fn has_block(&self, address: &str) -> bool {
        let (blocks, rest) = match address.strip_prefix("data.") {
            Some(rest) => (&self.data, rest),
            None => (&self.resources, address),
        };
        rest.split_once('.').is_some_and(|(type_name, _)| {
            blocks
                .get(type_name)
                .is_some_and(|of_type| of_type.keys.contains(address))
        })
    }

    /// What is wrong with how the document was built; [`Document::write`] refuses to write
    /// while there is anything.
    pub fn problems(&self) -> &[DocumentError] {
        &self.problems
    }

    /// The `variable` blocks, in the order they were declared.
    pub fn variables(&self) -> impl Iterator<Item = (&str, &Variable)> {
        self.variables
            .iter()
            .map(|(name, variable)| (name.as_str(), variable))
    }

    pub fn add<T: Resource>(&mut self, label: &str, body: T) -> Ref<T> {
        self.add_with(label, body, Meta::default())
    }

    pub fn add_with<T: Resource>(&mut self, label: &str, body: T, meta: Meta) -> Ref<T> {
        // Every block pays for its address: `concat` is a fraction of what `format!` costs.
        let address: Arc<str> = [T::TYPE, ".", label].concat().into();
        let for_each = meta.for_each.is_some();
        self.insert_block(BlockKind::Resource, T::TYPE, &address, label, &body, meta);
        let identity = identity(self.owner.as_ref(), T::TYPE, label);
        let taken = self
            .identities
            .insert(identity.clone(), Arc::clone(&address));
        // The same address twice is a duplicate block, reported as such.
        if taken.is_some_and(|other| other != address) {
            self.problems.push(DocumentError::DuplicateIdentity {
                identity: identity.clone(),
                address: address.to_string(),
            });
        }
        self.identified.push(Identified {
            identity,
            address: address.to_string(),
            type_name: T::TYPE,
            for_each,
        });
        self.handle(address)
    }

    /// Adds a data source; its address is `data.type.label`.
    pub fn data<T: Resource>(&mut self, label: &str, body: T) -> Ref<T> {
        let address: Arc<str> = ["data.", T::TYPE, ".", label].concat().into();
        self.insert_block(
            BlockKind::Data,
            T::TYPE,
            &address,
            label,
            &body,
            Meta::default(),
        );
        self.handle(address)
    }

    pub fn output(&mut self, name: &str, output: Output) {
        self.check_label("output", name);
        let _writing = WritingGuard::enter(self.id);
        let (new, written) = self
            .outputs
            .append(OUTPUT_DEPTH, &name.into(), name, |writer| {
                output.serialize(&mut *writer)?;
                writer.value_written();
                Ok(())
            });
        if !new {
            self.problems.push(DocumentError::DuplicateBlock {
                address: format!("output.{name}"),
            });
        }
        self.note_render_error(written);
    }

    /// How many resources the document holds (data sources not counted).
    pub fn resource_count(&self) -> usize {
        self.resources
            .values()
            .map(|of_type| of_type.keys.len())
            .sum()
    }

    /// Writes the document as pretty JSON (2-space indent, trailing newline).
    ///
    /// Fails before writing anything when it was built with problems, among them a reference
    /// minted by another document in a block or an output (caught as they were added). Such a
    /// reference in a local or a provider, which are serialised here, and I/O errors can leave
    /// part of it written, so write to a temporary file.
    pub fn write(&self, out: impl Write) -> Result<(), WriteError> {
        if let Some(problem) = self.problems.first() {
            return Err(WriteError::Document(problem.clone()));
        }
        let _writing = WritingGuard::enter(self.id);
        let mut out = out;
        let mut writer = json::Writer::new(&mut out);
        let written = self
            .write_json(&mut writer)
            .and_then(|()| writer.finish(b"\n"));
        written.map_err(|error| match error {
            json::Error::Io(error) => WriteError::Io(error),
            json::Error::Custom(message) => WriteError::Document(DocumentError::Serialize(message)),
        })
    }

    fn write_json(&self, writer: &mut json::Writer<'_>) -> Result<(), json::Error> {
        writer.begin(b'{');
        if let Some(comment) = &self.comment {
            writer.entry("//", comment)?;
        }
        writer.entry("terraform", &self.terraform)?;
        if !self.providers.is_empty() {
            writer.key("provider");
            writer.begin(b'{');
            for (name, body) in &self.providers {
                writer.key(name);
                body.write(writer)?;
                writer.value_written();
            }
            writer.end(b'}')?;
        }
        if !self.variables.is_empty() {
            writer.entry("variable", &self.variables)?;
        }
        if !self.locals.is_empty() {
            writer.entry("locals", &self.locals)?;
        }
        for (key, blocks) in [("data", &self.data), ("resource", &self.resources)] {
            if blocks.is_empty() {
                continue;
            }
            writer.key(key);
            writer.begin(b'{');
            for (type_name, of_type) in blocks {
                of_type.write(type_name, writer)?;
            }
            writer.end(b'}')?;
        }
        if self.outputs.entries > 0 {
            self.outputs.write("output", writer)?;
        }
        if !self.moved.is_empty() {
            writer.entry("moved", &self.moved)?;
        }
        if !self.imports.is_empty() {
            writer.entry("import", &self.imports)?;
        }
        writer.end(b'}')
    }

    /// The document as a string, exactly as [`Document::write`] produces it.
    pub fn to_json(&self) -> Result<String, DocumentError> {
        let mut bytes = Vec::new();
        self.write(&mut bytes).map_err(|error| match error {
            WriteError::Document(error) => error,
            WriteError::Io(error) => DocumentError::Serialize(error.to_string()),
        })?;
        String::from_utf8(bytes).map_err(|error| DocumentError::Serialize(error.to_string()))
    }

    fn handle<T>(&self, address: Arc<str>) -> Ref<T> {
        Ref {
            doc: self.id,
            address,
            _type: PhantomData,
        }
    }

    /// Renders the block into its type's entries, applying the overrides declared for it.
    fn insert_block<T: Serialize>(
        &mut self,
        kind: BlockKind,
        type_name: &'static str,
        address: &Arc<str>,
        label: &str,
        body: &T,
        meta: Meta,
    ) {
        self.check_label(kind.name(), label);
        let mut meta = meta;
        let mut overrides: Vec<&mut Override> = self
            .overrides
            .iter_mut()
            .filter(|o| *o.address == **address)
            .collect();
        for o in &mut overrides {
            o.applied = true;
            let verb = if o.value.is_some() { "set" } else { "removed" };
            let note = match &o.reason {
                None => format!("`{}` is {verb} by the stack's override", o.attribute),
                Some(reason) => format!(
                    "`{}` is {verb} by the stack's override of a security default, because: \
                     {}",
                    o.attribute,
                    reason.trim_end_matches('.')
                ),
            };
            meta.comment = Some(match meta.comment.take() {
                Some(comment) => format!("{comment} {note}."),
                None => format!("{note}."),
            });
        }
        let blocks = match kind {
            BlockKind::Resource => &mut self.resources,
            BlockKind::Data => &mut self.data,
        };
        let _writing = WritingGuard::enter(self.id);
        let (new, written) =
            blocks
                .entry(type_name)
                .or_default()
                .append(BLOCK_DEPTH, address, label, |writer| {
                    write_block(writer, body, &meta, &mut overrides)
                });
        if !new {
            self.problems.push(DocumentError::DuplicateBlock {
                address: address.to_string(),
            });
        }
        self.note_render_error(written);
    }

    /// A value that refused to serialise (a reference minted by another document) makes the
    /// document unwritable; every block that failed is recorded.
    fn note_render_error(&mut self, written: Result<(), json::Error>) {
        if let Err(error) = written {
            self.problems
                .push(DocumentError::Serialize(error.to_string()));
        }
    }

    fn check_label(&mut self, kind: &'static str, label: &str) {
        if !is_identifier(label) {
            self.problems.push(DocumentError::InvalidLabel {
                kind,
                label: label.into(),
            });
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Resource,
    Data,
}

impl BlockKind {
    fn name(self) -> &'static str {
        match self {
            BlockKind::Resource => "resource",
            BlockKind::Data => "data",
        }
    }
}

/// Terraform identifiers: a letter or `_`, then letters, digits, `_` or `-`.
fn is_identifier(label: &str) -> bool {
    /// Bytes allowed after the first: one table lookup each (every block's label is checked).
    const REST: [bool; 256] = {
        let mut allowed = [false; 256];
        let mut byte = 0;
        while byte < 256 {
            let b = byte as u8;
            allowed[byte] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
            byte += 1;
        }
        allowed
    };
    match label.as_bytes() {
        [first, rest @ ..] => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && rest.iter().all(|&b| REST[usize::from(b)])
        }
        [] => false,
    }
}

/// Why [`Document::write`] failed.
#[derive(Debug)]
pub enum WriteError {
    Document(DocumentError),
    Io(io::Error),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Document(error) => error.fmt(f),
            WriteError::Io(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for WriteError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Bucket {
        name: Expr,
        #[serde(skip_serializing_if = "Option::is_none")]
        policy: Option<Expr>,
    }

    impl Resource for Bucket {
        const TYPE: &'static str = "test_bucket";
    }

    /// A bucket with a name and no policy.
    fn plain(name: &str) -> Bucket {
        Bucket {
            name: name.to_owned().into(),
            policy: None,
        }
    }

    fn document() -> Document {
        let mut settings = TerraformSettings::new(">= 1.5.0");
        settings.require_provider("test", "example/test", ">= 1.0");
        Document::new(settings)
    }

    #[test]
    fn references_render_from_handles_and_meta_arguments_follow_the_body() {
        let mut doc = document();
        let logs = doc.add(
            "logs",
            Bucket {
                name: "logs".into(),
                policy: None,
            },
        );
        doc.add_with(
            "site",
            Bucket {
                name: "site".into(),
                policy: Some(logs.attr("arn")),
            },
            Meta {
                comment: Some("who owns what".into()),
                depends_on: vec![logs.dependency()],
                lifecycle: Lifecycle {
                    ignore_changes: vec!["policy"],
                    ..Lifecycle::default()
                },
                ..Meta::default()
            },
        );
        let json: serde_json::Value =
            serde_json::from_str(&doc.to_json().expect("valid document")).expect("JSON");
        let site = &json["resource"]["test_bucket"]["site"];
        assert_eq!(site["policy"], "${test_bucket.logs.arn}");
        assert_eq!(site["depends_on"], serde_json::json!(["test_bucket.logs"]));
        assert_eq!(
            site["lifecycle"]["ignore_changes"],
            serde_json::json!(["policy"])
        );
        assert_eq!(site["//"], "who owns what");
        assert!(json["resource"]["test_bucket"]["logs"]
            .get("lifecycle")
            .is_none());
    }

    #[test]
    fn output_is_pretty_with_two_space_indent_and_a_trailing_newline() {
        let mut doc = document();
        doc.add("a", plain("a"));
        let text = doc.to_json().expect("valid document");
        assert!(text.ends_with("}\n"));
        assert!(
            text.contains("\n  \"terraform\": {\n    \"required_version\""),
            "{text}"
        );
    }

    #[test]
    fn a_reference_from_another_document_is_caught_before_output() {
        let mut other = document();
        let foreign = other.add(
            "elsewhere",
            Bucket {
                name: "x".into(),
                policy: None,
            },
        );
        let mut doc = document();
        doc.add(
            "site",
            Bucket {
                name: "site".into(),
                policy: Some(foreign.attr("arn")),
            },
        );
        let error = doc
            .to_json()
            .expect_err("a dangling reference must not be written");
        assert!(
            error.to_string().contains("test_bucket.elsewhere.arn"),
            "{error}"
        );
    }

    #[test]
    fn a_dependency_from_another_document_is_caught_before_output() {
        let mut other = document();
        let foreign = other.add(
            "elsewhere",
            Bucket {
                name: "x".into(),
                policy: None,
            },
        );
        let mut doc = document();
        let meta = Meta {
            depends_on: vec![foreign.dependency()],
            ..Meta::default()
        };
        doc.add_with(
            "site",
            Bucket {
                name: "site".into(),
                policy: None,
            },
            meta,
        );
        assert!(doc.to_json().is_err());
    }

    #[test]
    fn duplicate_and_invalid_labels_are_reported() {
        let mut doc = document();
        doc.add("a", plain("a"));
        doc.add(
            "a",
            Bucket {
                name: "b".into(),
                policy: None,
            },
        );
        assert_eq!(
            doc.to_json(),
            Err(DocumentError::DuplicateBlock {
                address: "test_bucket.a".into()
            })
        );
        let mut doc = document();
        doc.add(
            "9lives",
            Bucket {
                name: "a".into(),
                policy: None,
            },
        );
        assert!(matches!(
            doc.to_json(),
            Err(DocumentError::InvalidLabel { .. })
        ));
    }

    #[test]
    fn blocks_spanning_many_chunks_are_written_in_order_with_the_file_layout() {
        let labels: Vec<String> = (0..10_000).map(|n| format!("b{n:05}")).collect();
        let mut doc = document();
        for label in &labels {
            doc.add(
                label,
                Bucket {
                    name: label.clone().into(),
                    policy: None,
                },
            );
        }
        let text = doc.to_json().expect("valid document");
        assert!(
            text.len() > 4 * CHUNK,
            "the blocks must span several chunks"
        );
        let entries: Vec<String> = labels
            .iter()
            .map(|l| format!("      \"{l}\": {{\n        \"name\": \"{l}\"\n      }}"))
            .collect();
        let expected_tail = format!(
            "  \"resource\": {{\n    \"test_bucket\": {{\n{}\n    }}\n  }}\n}}\n",
            entries.join(",\n")
        );
        assert!(text.ends_with(&expected_tail), "{}", &text[..400]);
    }

    #[test]
    fn an_override_declared_first_is_applied_when_its_block_is_added() {
        let mut doc = document();
        doc.override_attribute(
            "test_bucket.a",
            "name",
            Some(serde_json::json!("renamed")),
            None,
        );
        doc.override_attribute("test_bucket.a", "policy", None, None);
        doc.override_attribute("test_bucket.missing", "name", None, None);
        doc.add("a", plain("a"));
        doc.check_overrides(&OverrideRules::default());
        // The body has no `policy` to remove (it is skipped when empty), and there is no
        // `test_bucket.missing`: both reported, in the order declared.
        assert_eq!(
            doc.problems(),
            [
                DocumentError::UnknownAttribute {
                    address: "test_bucket.a".into(),
                    attribute: "policy".into()
                },
                DocumentError::UnknownBlock {
                    address: "test_bucket.missing".into(),
                    of_type: vec!["test_bucket.a".into()],
                },
            ]
        );
    }

    #[test]
    fn an_override_declared_after_its_block_is_refused() {
        let mut doc = document();
        doc.add("a", plain("a"));
        doc.override_attribute(
            "test_bucket.a",
            "name",
            Some(serde_json::json!("late")),
            None,
        );
        doc.check_overrides(&OverrideRules::default());
        assert_eq!(
            doc.problems(),
            [DocumentError::OverrideAfterBlock {
                address: "test_bucket.a".into()
            }]
        );
        assert!(doc.to_json().is_err());
    }

    #[test]
    fn an_overridden_attribute_replaces_the_bodys_and_the_comment_says_so() {
        let mut doc = document();
        doc.override_attribute(
            "test_bucket.a",
            "name",
            Some(serde_json::json!("renamed")),
            None,
        );
        doc.add("a", plain("a"));
        doc.check_overrides(&OverrideRules::default());
        let json: serde_json::Value =
            serde_json::from_str(&doc.to_json().expect("valid document")).expect("JSON");
        let block = &json["resource"]["test_bucket"]["a"];
        assert_eq!(block["name"], "renamed");
        assert_eq!(block["//"], "`name` is set by the stack's override.");
    }

    /// A second override of one attribute, a guarded argument changed without a reason and a
    /// reason where none is needed: all reported, in the order declared, and the block's
    /// comment carries the reason of an accepted opt-in.
    #[test]
    fn duplicates_and_guarded_arguments_are_checked_by_the_rules() {
        const GUARDED: &[Guarded] = &[Guarded {
            resource_type: "test_bucket",
            argument: "policy",
            why: "the bucket is private",
        }];
        let rules = OverrideRules {
            schema: None,
            guarded: GUARDED,
        };
        let mut doc = document();
        doc.override_attribute("test_bucket.a", "name", Some(serde_json::json!("x")), None);
        doc.override_attribute("test_bucket.a", "name", None, None);
        doc.override_attribute(
            "test_bucket.a",
            "policy",
            Some(serde_json::json!("{}")),
            None,
        );
        doc.override_attribute("test_bucket.b", "name", None, Some("why not".into()));
        doc.override_attribute(
            "test_bucket.c",
            "policy",
            Some(serde_json::json!("{}")),
            Some("public website".into()),
        );
        for label in ["a", "b", "c"] {
            doc.add(label, plain(label));
        }
        doc.check_overrides(&rules);
        let messages: Vec<String> = doc.problems().iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "`test_bucket.a` › `name` is overridden twice (first set to \"x\", then \
                 removed); give one override per attribute",
                "`test_bucket.a` › `policy` set to \"{}\" would change a security default (the \
                 bucket is private); if that is intended, say why with \
                 `Stack::override_security_default(address, attribute, value, reason)` or \
                 `Stack::remove_security_default(address, attribute, reason)`: the reason is \
                 written into the resource's `//` comment",
                "`test_bucket.b` › `name`: is not a security default of `test_bucket`, so it \
                 needs no reason; use `Stack::override_attribute` or `Stack::remove_attribute` \
                 (the guarded arguments of `test_bucket`: `policy`)",
            ]
        );
        assert!(doc.problems().iter().all(DocumentError::is_override));
    }

    #[test]
    fn an_accepted_opt_in_puts_its_reason_in_the_comment() {
        let mut doc = document();
        doc.override_attribute(
            "test_bucket.a",
            "policy",
            Some(serde_json::json!("{}")),
            Some("a public website.".into()),
        );
        doc.add("a", plain("a"));
        doc.check_overrides(&OverrideRules {
            schema: None,
            guarded: &[Guarded {
                resource_type: "test_bucket",
                argument: "policy",
                why: "the bucket is private",
            }],
        });
        let json: serde_json::Value =
            serde_json::from_str(&doc.to_json().expect("valid document")).expect("JSON");
        assert_eq!(
            json["resource"]["test_bucket"]["a"]["//"],
            "`policy` is set by the stack's override of a security default, because: a public \
             website."
        );
    }

    #[test]
    fn identities_follow_the_owner_not_the_label() {
        let mut doc = document();
        doc.add("main", plain("main"));
        doc.set_owner(Some(Owner {
            part: "service `web`".into(),
            label_base: "web".into(),
        }));
        doc.add("web", plain("web"));
        doc.add("web_blue", plain("blue"));
        doc.add("other", plain("other"));
        let identities: Vec<(&str, &str)> = doc
            .identified()
            .iter()
            .map(|i| (i.identity.as_str(), i.address.as_str()))
            .collect();
        assert_eq!(
            identities,
            [
                ("stack › test_bucket main", "test_bucket.main"),
                ("service `web` › test_bucket", "test_bucket.web"),
                ("service `web` › test_bucket blue", "test_bucket.web_blue"),
                ("service `web` › test_bucket other", "test_bucket.other"),
            ]
        );
        // The same part under another label base: same identities, other addresses.
        let mut renamed = document();
        renamed.add("main", plain("main"));
        renamed.set_owner(Some(Owner {
            part: "service `web`".into(),
            label_base: "frontend".into(),
        }));
        renamed.add("frontend_blue", plain("blue"));
        assert_eq!(
            renamed.identified()[1].identity,
            "service `web` › test_bucket blue"
        );
    }

    #[test]
    fn two_resources_with_one_identity_are_reported() {
        let mut doc = document();
        doc.set_owner(Some(Owner {
            part: "service `a`".into(),
            label_base: "a".into(),
        }));
        doc.add("a_x", plain("x"));
        // Not under the base: its whole label is its role, the same as `a_x`'s.
        doc.add("x", plain("x"));
        assert_eq!(
            doc.problems(),
            [DocumentError::DuplicateIdentity {
                identity: "service `a` › test_bucket x".into(),
                address: "test_bucket.x".into()
            }]
        );
    }

    #[test]
    fn moved_and_import_blocks_are_written_at_the_root_after_the_outputs() {
        let mut doc = document();
        doc.add("b", plain("b"));
        doc.moved(Moved {
            from: "test_bucket.a".into(),
            to: "test_bucket.b".into(),
        });
        doc.import("test_bucket.b", "bucket-${b}");
        let json: serde_json::Value =
            serde_json::from_str(&doc.to_json().expect("valid document")).expect("JSON");
        assert_eq!(
            json["moved"],
            serde_json::json!([{"from": "test_bucket.a", "to": "test_bucket.b"}])
        );
        // The id is literal text: `${` is escaped so Terraform does not read a reference.
        assert_eq!(
            json["import"],
            serde_json::json!([{"to": "test_bucket.b", "id": "bucket-$${b}"}])
        );
    }

    #[test]
    fn same_document_twice_gives_identical_bytes() {
        let build = || {
            let mut doc = document();
            let a = doc.add(
                "a",
                Bucket {
                    name: "a".into(),
                    policy: None,
                },
            );
            doc.add(
                "b",
                Bucket {
                    name: "b".into(),
                    policy: Some(a.attr("arn")),
                },
            );
            doc.to_json().expect("valid")
        };
        assert_eq!(build(), build());
    }
}
