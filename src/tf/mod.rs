//! The generic Terraform JSON layer.
//!
//! Knows Terraform's JSON syntax — blocks, labels, template strings, meta-arguments — and nothing
//! of AWS. The layers above describe resources as typed structs; this layer gives each one an
//! address, hands back a typed [`Ref`] to build references from, renders each block as it is
//! added and writes the whole document as deterministic pretty JSON.
//!
//! Two guarantees live here so that no caller has to remember them:
//! - every literal string is escaped (`${` → `$${`, `%{` → `%%{`), so a shell script or a JSON
//!   blob is never read as an interpolation;
//! - a reference can only be built from a [`Ref`] returned by [`Document::add`], and writing a
//!   document that contains a reference minted by another document fails before any byte of it
//!   reaches a file.

mod document;
mod expr;
mod json;
pub mod schema;

pub use document::{
    Dependency, Document, DocumentError, Guarded, Lifecycle, Meta, Output, OverrideRules, Ref,
    Resource, TerraformSettings, Variable, WriteError,
};
// Identities and the root `moved`/`import` blocks, for the address lock (`crate::lock`).
pub use document::{Identified, Moved, Owner};
pub use expr::{Expr, List};

/// `value` as pretty JSON, byte for byte what `serde_json::to_string_pretty` writes, through
/// the document's own writer (its escaping is the faster): for JSON files that travel inside
/// the document as text, such as an ECS `taskdef.json`. Map keys must be strings (serde_json
/// would also turn numbers into keys; this writer refuses them).
pub fn to_pretty_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, String> {
    let mut bytes = Vec::new();
    let mut writer = json::Writer::with_capacity(&mut bytes, 4096).plain_keys();
    value
        .serialize(&mut writer)
        .and_then(|()| writer.finish(b""))
        .map_err(|error| error.to_string())?;
    String::from_utf8(bytes).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_json_is_what_serde_json_writes() {
        let value = serde_json::json!({
            "family": "prod-web",
            "containerDefinitions": [{
                "name": "web",
                "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                "environment": [],
                "healthCheck": {"command": ["CMD-SHELL", "wget -q http://localhost/ || exit 1"]},
                "options": {},
            }],
            "requiresCompatibilities": ["FARGATE"],
            "text": "a \"quote\", a\nnewline and ${not_a_reference}",
        });
        assert_eq!(
            to_pretty_json(&value).expect("serialises"),
            serde_json::to_string_pretty(&value).expect("serialises")
        );
    }
}
