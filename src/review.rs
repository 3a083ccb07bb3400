//! The document as a reviewer reads it: the JSON synth writes, with every string that is itself
//! JSON text (`container_definitions`, IAM policies) expanded into indented JSON, and every
//! multi-line string split into its lines. Snapshots and the `synth --check` diff use this form,
//! so a one-character change shows as one changed line instead of two 900-character ones.
//!
//! The expansion is reversible: [`collapse`] gives back exactly the values synth writes, and
//! [`Json::to_pretty`] of the collapsed document is byte-for-byte the file synth writes. Only
//! strings that re-compact to themselves are expanded, so nothing is normalised on the way.

use std::fmt::Write as _;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Marks a string that was compact JSON text: `{"<json>": <the parsed text>}`.
pub const JSON_TEXT: &str = "<json>";
/// Marks a multi-line string: `{"<lines>": ["first", "second", ""]}` (split at `\n`).
pub const LINES: &str = "<lines>";

/// A JSON value whose objects keep their keys in document order. (`serde_json::Value` sorts
/// them in this build: the feature that would keep the order also changes how `json!` IAM
/// policies are written.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(IndexMap<String, Json>),
}

impl Json {
    /// Parses JSON text, keeping object keys in order.
    pub fn parse(text: &[u8]) -> Result<Json, serde_json::Error> {
        serde_json::from_slice(text)
    }

    /// Compact JSON text, as synth writes JSON inside strings.
    pub fn to_compact(&self) -> String {
        serde_json::to_string(self).expect("JSON values always serialise")
    }

    /// Pretty JSON with 2-space indentation and a trailing newline, as synth writes files.
    pub fn to_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("JSON values always serialise");
        text.push('\n');
        text
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(object) => object.get(key),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Object(object) => object.get_mut(key),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut IndexMap<String, Json>> {
        match self {
            Json::Object(object) => Some(object),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&IndexMap<String, Json>> {
        match self {
            Json::Object(object) => Some(object),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(text) => Some(text),
            _ => None,
        }
    }
}

/// `value` with JSON-text and multi-line strings expanded, recursively.
pub fn expand(value: &Json) -> Json {
    match value {
        Json::String(text) => expand_string(text).unwrap_or_else(|| value.clone()),
        Json::Array(items) => Json::Array(items.iter().map(expand).collect()),
        Json::Object(object) => Json::Object(
            object
                .iter()
                .map(|(key, value)| (key.clone(), expand(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn expand_string(text: &str) -> Option<Json> {
    if text.starts_with(['{', '[']) {
        if let Ok(parsed) = Json::parse(text.as_bytes()) {
            if parsed.to_compact() == text {
                return Some(marker(JSON_TEXT, expand(&parsed)));
            }
        }
    }
    if text.contains('\n') {
        let lines = text.split('\n').map(|line| Json::String(line.into()));
        return Some(marker(LINES, Json::Array(lines.collect())));
    }
    None
}

fn marker(key: &str, value: Json) -> Json {
    Json::Object(IndexMap::from([(key.to_owned(), value)]))
}

/// Undoes [`expand`]: every marker object becomes the string it was made from.
pub fn collapse(value: &Json) -> Json {
    match value {
        Json::Object(object) if object.len() == 1 => {
            let (key, inner) = object.first().expect("one entry");
            match (key.as_str(), inner) {
                (JSON_TEXT, inner) => Json::String(collapse(inner).to_compact()),
                (LINES, Json::Array(lines)) => {
                    let mut text = String::new();
                    for (index, line) in lines.iter().enumerate() {
                        if index > 0 {
                            text.push('\n');
                        }
                        text.push_str(line.as_str().unwrap_or_default());
                    }
                    Json::String(text)
                }
                _ => Json::Object(IndexMap::from([(key.clone(), collapse(inner))])),
            }
        }
        Json::Object(object) => Json::Object(
            object
                .iter()
                .map(|(key, value)| (key.clone(), collapse(value)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(collapse).collect()),
        other => other.clone(),
    }
}

/// The attributes the `lifecycle.ignore_changes` of the block at `address` (`type.label`)
/// lists, each with who owns it after creation by the ownership rules
/// ([`crate::lower::lifecycle::owners`]; empty when no rule names it). Terraform plans no
/// change of them once the resource exists: a change there is noise to a reviewer, not a
/// change of the infrastructure.
pub fn ignored_after_creation(address: &str, block: &Json) -> Vec<(String, Vec<&'static str>)> {
    let resource_type = address.split('.').next().unwrap_or_default();
    let Some(Json::Array(ignored)) = block
        .get("lifecycle")
        .and_then(|lifecycle| lifecycle.get("ignore_changes"))
    else {
        return Vec::new();
    };
    // What the block shows tells apart the owners that hold under one controller only.
    fn first(value: &Json) -> Option<&Json> {
        match value {
            Json::Array(items) => items.first(),
            other => Some(other),
        }
    }
    let written = |path: &[&str]| {
        let mut at = block;
        for key in path {
            at = first(at)?.get(key)?;
        }
        Some(first(at)?.as_str().unwrap_or_default().to_owned())
    };
    ignored
        .iter()
        .filter_map(Json::as_str)
        .map(|attribute| {
            (
                attribute.to_owned(),
                crate::lower::lifecycle::owners(resource_type, attribute, written),
            )
        })
        .collect()
}

/// Each provider the document requires (`terraform.required_providers`), as `source N.x
/// (constraint)`: `hashicorp/aws 6.x (>= 6.5, < 7.0)`. The major is the one below the
/// constraint's `< N.0` bound, so a reader sees which major the file is written for; without
/// such a bound only the constraint is shown.
pub fn required_providers(document: &Json) -> Vec<String> {
    let Some(providers) = document
        .get("terraform")
        .and_then(|terraform| terraform.get("required_providers"))
        .and_then(Json::as_object)
    else {
        return Vec::new();
    };
    providers
        .iter()
        .map(|(name, requirement)| {
            let source = requirement.get("source").and_then(Json::as_str);
            let source = source.unwrap_or(name);
            let Some(constraint) = requirement.get("version").and_then(Json::as_str) else {
                return source.to_owned();
            };
            match major_below_bound(constraint) {
                Some(major) => format!("{source} {major}.x ({constraint})"),
                None => format!("{source} ({constraint})"),
            }
        })
        .collect()
}

/// `N - 1` for a constraint with an exclusive upper bound `< N.0` (or `< N`, `< N.0.0`).
fn major_below_bound(constraint: &str) -> Option<u64> {
    constraint.split(',').find_map(|part| {
        let bound = part.trim().strip_prefix('<')?;
        if bound.starts_with('=') {
            return None;
        }
        let mut numbers = bound.trim().split('.');
        let major: u64 = numbers.next()?.parse().ok()?;
        numbers
            .all(|rest| rest == "0")
            .then(|| major.checked_sub(1))
            .flatten()
    })
}

/// The review form of a document synth wrote: pretty JSON with the strings expanded.
pub fn review_text(document: &[u8]) -> Result<String, serde_json::Error> {
    Ok(expand(&Json::parse(document)?).to_pretty())
}

/// A value on one line for messages, shortened in the middle past `limit` characters so that
/// both ends (a name's prefix, an image's tag) stay visible.
pub fn short(value: &Json, limit: usize) -> String {
    let text = collapse(value).to_compact();
    let count = text.chars().count();
    if count <= limit {
        return text;
    }
    let keep = limit.saturating_sub(1) / 2;
    let mut shortened: String = text.chars().take(keep).collect();
    shortened.push('…');
    let tail: String = text.chars().skip(count - keep).collect();
    let _ = write!(shortened, "{tail}");
    shortened
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Json {
        Json::parse(text.as_bytes()).expect("JSON")
    }

    #[test]
    fn compact_json_strings_are_expanded_in_order_and_collapse_back() {
        let document = parse(
            r#"{"b":1,"a":{"defs":"[{\"name\":\"web\",\"image\":\"x:1\"}]","text":"one\ntwo\n","plain":"a [b]"}}"#,
        );
        let expanded = expand(&document);
        assert_eq!(
            expanded.to_pretty(),
            r#"{
  "b": 1,
  "a": {
    "defs": {
      "<json>": [
        {
          "name": "web",
          "image": "x:1"
        }
      ]
    },
    "text": {
      "<lines>": [
        "one",
        "two",
        ""
      ]
    },
    "plain": "a [b]"
  }
}
"#
        );
        assert_eq!(collapse(&expanded), document);
        assert_eq!(collapse(&expanded).to_compact(), document.to_compact());
    }

    #[test]
    fn json_text_that_would_not_compact_to_itself_is_left_alone() {
        // Pretty JSON text is multi-line, so it is shown as lines, never reformatted.
        let document = parse(r#"{"a":"[1, 2]","b":"{\n  \"x\": 1\n}","c":"{1.50}"}"#);
        let expanded = expand(&document);
        assert_eq!(expanded.get("a"), Some(&Json::String("[1, 2]".into())));
        assert_eq!(
            expanded
                .get("b")
                .and_then(|b| b.get(LINES))
                .map(Json::to_compact),
            Some(r#"["{","  \"x\": 1","}"]"#.into())
        );
        assert_eq!(collapse(&expanded), document);
    }

    #[test]
    fn numbers_keep_their_spelling() {
        let text = "{\n  \"threshold\": 70.0,\n  \"count\": -1\n}\n";
        assert_eq!(parse(text).to_pretty(), text);
    }

    #[test]
    fn required_providers_name_the_major_below_the_upper_bound() {
        let document = parse(
            r#"{"terraform": {"required_providers": {
                "aws": {"source": "hashicorp/aws", "version": ">= 6.5, < 7.0"},
                "old": {"source": "hashicorp/aws", "version": ">= 5.36, < 6.0.0"},
                "open": {"source": "hashicorp/random", "version": ">= 3.1"},
                "inclusive": {"source": "hashicorp/null", "version": "<= 3.0"},
                "bare": {"source": "hashicorp/tls"}
            }}}"#,
        );
        assert_eq!(
            required_providers(&document),
            [
                "hashicorp/aws 6.x (>= 6.5, < 7.0)",
                "hashicorp/aws 5.x (>= 5.36, < 6.0.0)",
                "hashicorp/random (>= 3.1)",
                "hashicorp/null (<= 3.0)",
                "hashicorp/tls",
            ]
        );
        assert!(required_providers(&parse("{}")).is_empty());
    }

    #[test]
    fn short_values_keep_both_ends() {
        let value = Json::String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.3.2".into());
        assert_eq!(
            short(&value, 100),
            format!("\"{}\"", value.as_str().unwrap())
        );
        assert_eq!(short(&value, 21), "\"123456789…web:1.3.2\"");
    }
}
