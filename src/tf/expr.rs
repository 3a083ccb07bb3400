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
    /// A Terraform function applied to values, e.g. `jsonencode(var.subnet_ids)`.
    Call {
        function: &'static str,
        args: Vec<Expr>,
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

    /// A call of the Terraform function `function`, e.g. `Expr::call("jsonencode", [subnets])`
    /// renders `${jsonencode(var.subnet_ids)}`.
    pub fn call(function: &'static str, args: impl IntoIterator<Item = Expr>) -> Expr {
        Expr {
            parts: vec![Part::Call {
                function,
                args: args.into_iter().collect(),
            }],
        }
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
                Part::Interpolation { .. } | Part::Call { .. } => {
                    out.push_str("${");
                    part.write_expression(&mut out);
                    out.push('}');
                }
            }
        }
        out
    }

    /// This value as an HCL expression inside `${…}`: a lone reference or call as itself,
    /// anything else as a quoted template.
    fn write_expression(&self, out: &mut String) {
        if let [part @ (Part::Interpolation { .. } | Part::Call { .. })] = self.parts.as_slice() {
            part.write_expression(out);
            return;
        }
        out.push('"');
        for part in &self.parts {
            match part {
                Part::Literal(text) => {
                    let mut escaped = String::new();
                    escape_into(text, &mut escaped);
                    // JSON string escapes are valid HCL string escapes.
                    let quoted = serde_json::to_string(&escaped).unwrap_or_default();
                    out.push_str(&quoted[1..quoted.len() - 1]);
                }
                Part::Interpolation { .. } | Part::Call { .. } => {
                    out.push_str("${");
                    part.write_expression(out);
                    out.push('}');
                }
            }
        }
        out.push('"');
    }

    /// Fails when any reference, however deeply nested, was minted by another document.
    fn check_owners<E: serde::ser::Error>(&self) -> Result<(), E> {
        for part in &self.parts {
            match part {
                Part::Literal(_) => {}
                Part::Interpolation { doc, expression } => check_owner::<E>(*doc, expression)?,
                Part::Call { args, .. } => {
                    for arg in args {
                        arg.check_owners::<E>()?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Part {
    fn write_expression(&self, out: &mut String) {
        match self {
            Part::Literal(_) => unreachable!("literals are written as quoted templates"),
            Part::Interpolation { expression, .. } => out.push_str(expression),
            Part::Call { function, args } => {
                out.push_str(function);
                out.push('(');
                for (n, arg) in args.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    arg.write_expression(out);
                }
                out.push(')');
            }
        }
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
        self.check_owners::<S::Error>()?;
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
    fn calls_render_their_arguments_as_hcl_expressions() {
        let doc = DocId::fresh();
        let subnets = Expr::interpolation(doc, "var.subnet_ids".into());
        assert_eq!(
            Expr::call("jsonencode", [subnets.clone()]).render(),
            "${jsonencode(var.subnet_ids)}"
        );
        let template = Expr::concat([Expr::from("a \"${x}\"\n"), subnets]);
        assert_eq!(
            Expr::call("upper", [template]).render(),
            r#"${upper("a \"$${x}\"\n${var.subnet_ids}")}"#
        );
    }

    #[test]
    fn a_foreign_reference_inside_a_call_fails_while_writing() {
        let (mine, theirs) = (DocId::fresh(), DocId::fresh());
        let call = Expr::call("jsonencode", [Expr::interpolation(theirs, "var.x".into())]);
        let _writing = WritingGuard::enter(mine);
        assert!(serde_json::to_string(&call).is_err());
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
