//! Terraform values: literal strings, interpolations and templates that mix the two.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Serialize, Serializer};

/// Identifies one [`super::Document`], so that a reference it did not mint can be caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct DocId(u64);

impl DocId {
    pub(crate) fn fresh() -> DocId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        DocId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

thread_local! {
    /// The document being written on this thread. Serialising a reference checks against it;
    /// outside a write (a unit test rendering one value) there is nothing to check against.
    static WRITING: Cell<Option<DocId>> = const { Cell::new(None) };
}

/// Marks `doc` as the document being written for as long as the guard lives.
pub(crate) struct WritingGuard(Option<DocId>);

impl WritingGuard {
    pub(crate) fn enter(doc: DocId) -> WritingGuard {
        WritingGuard(WRITING.with(|cell| cell.replace(Some(doc))))
    }
}

impl Drop for WritingGuard {
    fn drop(&mut self) {
        WRITING.with(|cell| cell.set(self.0));
    }
}

/// Fails serialisation when `doc` is not the document being written.
pub(crate) fn check_owner<E: serde::ser::Error>(doc: DocId, what: &str) -> Result<(), E> {
    match WRITING.with(Cell::get) {
        Some(writing) if writing != doc => Err(E::custom(format!(
            "`{what}` refers to a resource of another document; \
             references must come from the document they are written into"
        ))),
        _ => Ok(()),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Literal(String),
    /// The text between `${` and `}`, e.g. `aws_lb.main.arn`.
    Interpolation {
        doc: DocId,
        expression: String,
    },
}

/// A Terraform string value: literal text, references, or a template joining both.
///
/// Build literals with `Expr::from("text")`; references come only from [`super::Ref`] and
/// [`super::Document`] methods. A value that is exactly one reference keeps the referenced
/// value's type (a list stays a list), as Terraform does for `"${var.subnet_ids}"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    parts: Vec<Part>,
}

impl Expr {
    pub(crate) fn interpolation(doc: DocId, expression: String) -> Expr {
        Expr {
            parts: vec![Part::Interpolation { doc, expression }],
        }
    }

    /// A template: the parts rendered one after another, e.g. `service/${cluster}/${service}`.
    pub fn concat(parts: impl IntoIterator<Item = Expr>) -> Expr {
        let mut joined: Vec<Part> = Vec::new();
        for part in parts.into_iter().flat_map(|expr| expr.parts) {
            match (joined.last_mut(), part) {
                (Some(Part::Literal(previous)), Part::Literal(next)) => previous.push_str(&next),
                (_, part) => joined.push(part),
            }
        }
        Expr { parts: joined }
    }

    /// The literal text when this value holds no reference.
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Literal(text)] => Some(text),
            _ => None,
        }
    }

    /// The string Terraform reads: literals escaped, references wrapped in `${…}`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => escape_into(text, &mut out),
                Part::Interpolation { expression, .. } => {
                    out.push_str("${");
                    out.push_str(expression);
                    out.push('}');
                }
            }
        }
        out
    }
}

/// Escapes the two template introducers so that literal text stays literal.
fn escape_into(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(at) = rest.find(['$', '%']) {
        out.push_str(&rest[..at]);
        let sigil = &rest[at..at + 1];
        out.push_str(sigil);
        if rest[at + 1..].starts_with('{') {
            out.push_str(sigil);
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

impl From<&str> for Expr {
    fn from(text: &str) -> Expr {
        Expr::from(text.to_owned())
    }
}

impl From<String> for Expr {
    fn from(text: String) -> Expr {
        Expr {
            parts: vec![Part::Literal(text)],
        }
    }
}

impl From<&String> for Expr {
    fn from(text: &String) -> Expr {
        Expr::from(text.as_str())
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        for part in &self.parts {
            if let Part::Interpolation { doc, expression } = part {
                check_owner::<S::Error>(*doc, expression)?;
            }
        }
        match self.as_literal() {
            // The common case: no allocation beyond the escaping itself.
            Some(text) if !text.contains(['$', '%']) => serializer.serialize_str(text),
            _ => serializer.serialize_str(&self.render()),
        }
    }
}

/// A list attribute: either items written out, or one expression that is a whole list
/// (`"${var.subnet_ids}"`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum List {
    Items(Vec<Expr>),
    Whole(Expr),
}

impl List {
    pub fn is_empty(&self) -> bool {
        matches!(self, List::Items(items) if items.is_empty())
    }
}

impl<T: Into<Expr>> From<Vec<T>> for List {
    fn from(items: Vec<T>) -> List {
        List::Items(items.into_iter().map(Into::into).collect())
    }
}

impl From<Expr> for List {
    fn from(whole: Expr) -> List {
        List::Whole(whole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(expr: &Expr) -> String {
        serde_json::to_string(expr).expect("an Expr always serialises outside a document")
    }

    #[test]
    fn literal_interpolation_sequences_are_escaped() {
        let script = Expr::from("echo ${HOME} %{if x} 100% $5 $$");
        assert_eq!(script.render(), "echo $${HOME} %%{if x} 100% $5 $$");
    }

    #[test]
    fn already_escaped_text_is_escaped_again_so_it_survives_literally() {
        // A user who writes `$${` means those three characters, which Terraform reads from `$$${`.
        assert_eq!(Expr::from("$${x}").render(), "$$${x}");
    }

    #[test]
    fn a_reference_renders_as_one_interpolation() {
        let doc = DocId::fresh();
        let arn = Expr::interpolation(doc, "aws_lb.main.arn".into());
        assert_eq!(json(&arn), r#""${aws_lb.main.arn}""#);
    }

    #[test]
    fn concat_mixes_escaped_literals_and_references() {
        let doc = DocId::fresh();
        let expr = Expr::concat([
            Expr::from("service/${not-a-ref}/"),
            Expr::interpolation(doc, "aws_ecs_service.web.name".into()),
        ]);
        assert_eq!(
            expr.render(),
            "service/$${not-a-ref}/${aws_ecs_service.web.name}"
        );
        assert_eq!(expr.as_literal(), None);
    }

    #[test]
    fn concat_merges_adjacent_literals() {
        let expr = Expr::concat([Expr::from("a"), Expr::from("b")]);
        assert_eq!(expr.as_literal(), Some("ab"));
    }

    #[test]
    fn a_reference_from_another_document_fails_while_writing() {
        let (mine, theirs) = (DocId::fresh(), DocId::fresh());
        let foreign = Expr::interpolation(theirs, "aws_lb.main.arn".into());
        let _writing = WritingGuard::enter(mine);
        let error = serde_json::to_string(&foreign).expect_err("foreign reference must fail");
        assert!(error.to_string().contains("aws_lb.main.arn"), "{error}");
    }
}
