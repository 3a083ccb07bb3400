//! Terraform values: literal strings, interpolations and templates that mix the two.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Serialize, Serializer};

use super::json::has_byte;

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
/// `what` names the reference; it is only built when the check fails.
pub(crate) fn check_owner<E: serde::ser::Error>(
    doc: DocId,
    what: impl FnOnce() -> String,
) -> Result<(), E> {
    match WRITING.with(Cell::get) {
        Some(writing) if writing != doc => Err(E::custom(format!(
            "`{}` refers to a resource of another document; \
             references must come from the document they are written into",
            what()
        ))),
        _ => Ok(()),
    }
}

/// Text that is usually a `'static` literal of the lowering and so costs no allocation.
type Text = Cow<'static, str>;

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Literal(Text),
    /// `${address.attribute}`, or `${address}` without an attribute (`var.subnet_ids`). The
    /// address is shared by every reference to one block.
    Reference {
        doc: DocId,
        address: Arc<str>,
        attribute: Option<&'static str>,
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
    repr: Repr,
}

/// Most values are one part; only templates pay for a vector.
#[derive(Clone, Debug, PartialEq)]
enum Repr {
    One(Part),
    Template(Vec<Part>),
}

impl Expr {
    fn one(part: Part) -> Expr {
        Expr {
            repr: Repr::One(part),
        }
    }

    pub(crate) fn reference(
        doc: DocId,
        address: Arc<str>,
        attribute: Option<&'static str>,
    ) -> Expr {
        Expr::one(Part::Reference {
            doc,
            address,
            attribute,
        })
    }

    fn parts(&self) -> &[Part] {
        match &self.repr {
            Repr::One(part) => std::slice::from_ref(part),
            Repr::Template(parts) => parts,
        }
    }

    /// A template: the parts rendered one after another, e.g. `service/${cluster}/${service}`.
    pub fn concat(exprs: impl IntoIterator<Item = Expr>) -> Expr {
        let mut joined: Vec<Part> = Vec::new();
        for expr in exprs {
            let parts = match expr.repr {
                Repr::One(part) => vec![part],
                Repr::Template(parts) => parts,
            };
            for part in parts {
                match (joined.last_mut(), part) {
                    (Some(Part::Literal(previous)), Part::Literal(next)) => {
                        previous.to_mut().push_str(&next)
                    }
                    (_, part) => joined.push(part),
                }
            }
        }
        match joined.len() {
            0 => Expr::from(""),
            1 => Expr::one(joined.remove(0)),
            _ => Expr {
                repr: Repr::Template(joined),
            },
        }
    }

    /// A call of the Terraform function `function`, e.g. `Expr::call("jsonencode", [subnets])`
    /// renders `${jsonencode(var.subnet_ids)}`.
    pub fn call(function: &'static str, args: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::one(Part::Call {
            function,
            args: args.into_iter().collect(),
        })
    }

    /// The literal text when this value holds no reference.
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts() {
            [Part::Literal(text)] => Some(text),
            _ => None,
        }
    }

    /// The string Terraform reads: literals escaped, references wrapped in `${…}`.
    pub fn render(&self) -> String {
        let mut rendered = String::new();
        self.render_into(&mut rendered);
        rendered
    }

    /// Appends [`Expr::render`]'s text to `out`.
    fn render_into(&self, out: &mut String) {
        for part in self.parts() {
            match part {
                Part::Literal(text) => escape_into(text, out),
                Part::Reference { .. } | Part::Call { .. } => {
                    out.push_str("${");
                    part.write_expression(out);
                    out.push('}');
                }
            }
        }
    }

    /// Fails when any reference, however deeply nested, was minted by another document.
    fn check_owners<E: serde::ser::Error>(&self) -> Result<(), E> {
        for part in self.parts() {
            match part {
                Part::Literal(_) => {}
                Part::Reference { doc, .. } => check_owner::<E>(*doc, || {
                    let mut name = String::new();
                    part.write_expression(&mut name);
                    name
                })?,
                Part::Call { args, .. } => {
                    for arg in args {
                        arg.check_owners::<E>()?;
                    }
                }
            }
        }
        Ok(())
    }

    /// This value as an HCL expression inside `${…}`: a lone reference or call as itself,
    /// anything else as a quoted template.
    fn write_expression(&self, out: &mut String) {
        if let [part @ (Part::Reference { .. } | Part::Call { .. })] = self.parts() {
            return part.write_expression(out);
        }
        out.push('"');
        for part in self.parts() {
            match part {
                Part::Literal(text) => {
                    let mut escaped = String::new();
                    escape_into(text, &mut escaped);
                    // JSON string escapes are valid HCL string escapes.
                    let quoted = serde_json::Value::String(escaped).to_string();
                    out.push_str(&quoted[1..quoted.len() - 1]);
                }
                Part::Reference { .. } | Part::Call { .. } => {
                    out.push_str("${");
                    part.write_expression(out);
                    out.push('}');
                }
            }
        }
        out.push('"');
    }
}

impl Part {
    fn write_expression(&self, out: &mut String) {
        match self {
            Part::Literal(_) => unreachable!("literals are written as quoted templates"),
            Part::Reference {
                address, attribute, ..
            } => {
                out.push_str(address);
                if let Some(attribute) = attribute {
                    out.push('.');
                    out.push_str(attribute);
                }
            }
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

thread_local! {
    /// Where a template or reference is rendered before the serializer escapes it: one buffer
    /// per thread, reused, so a reference costs two copies and no allocation.
    static RENDERED: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Escapes the two template introducers so that literal text stays literal: the text between
/// them is written in one piece.
fn escape_into(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(at) = find_introducer(rest) {
        // Up to and including the sigil, then the sigil again: `${` → `$${`.
        out.push_str(&rest[..=at]);
        out.push_str(&rest[at..at + 1]);
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// The byte offset of the first `${` or `%{` in `text`. Scans eight bytes at a time for either
/// sigil (`$` is 0x24, `%` 0x25: equal once the low bit is set).
fn find_introducer(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at + 1 < bytes.len() {
        if let Some(chunk) = bytes.get(at..at + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            if !has_byte(u64::from_le_bytes(word) | 0x0101_0101_0101_0101, b'%') {
                at += 8;
                continue;
            }
        }
        if matches!(bytes[at], b'$' | b'%') && bytes[at + 1] == b'{' {
            return Some(at);
        }
        at += 1;
    }
    None
}

impl From<&'static str> for Expr {
    fn from(text: &'static str) -> Expr {
        Expr::one(Part::Literal(Cow::Borrowed(text)))
    }
}

impl From<String> for Expr {
    fn from(text: String) -> Expr {
        Expr::one(Part::Literal(Cow::Owned(text)))
    }
}

impl From<&String> for Expr {
    fn from(text: &String) -> Expr {
        Expr::from(text.clone())
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.check_owners::<S::Error>()?;
        match self.as_literal() {
            Some(text) if find_introducer(text).is_none() => serializer.serialize_str(text),
            _ => RENDERED.with(|rendered| match rendered.try_borrow_mut() {
                Ok(mut rendered) => {
                    rendered.clear();
                    self.render_into(&mut rendered);
                    serializer.serialize_str(&rendered)
                }
                // Only a serializer that serialises another `Expr` from inside
                // `serialize_str` gets here; it pays for a buffer of its own.
                Err(_) => serializer.serialize_str(&self.render()),
            }),
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
        let arn = Expr::reference(doc, "aws_lb.main".into(), Some("arn"));
        assert_eq!(json(&arn), r#""${aws_lb.main.arn}""#);
    }

    #[test]
    fn concat_mixes_escaped_literals_and_references() {
        let doc = DocId::fresh();
        let expr = Expr::concat([
            Expr::from("service/${not-a-ref}/"),
            Expr::reference(doc, "aws_ecs_service.web".into(), Some("name")),
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
        let subnets = Expr::reference(doc, "var.subnet_ids".into(), None);
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
        let call = Expr::call(
            "jsonencode",
            [Expr::reference(theirs, "var.x".into(), None)],
        );
        let _writing = WritingGuard::enter(mine);
        assert!(serde_json::to_string(&call).is_err());
    }

    #[test]
    fn a_reference_from_another_document_fails_while_writing() {
        let (mine, theirs) = (DocId::fresh(), DocId::fresh());
        let foreign = Expr::reference(theirs, "aws_lb.main".into(), Some("arn"));
        let _writing = WritingGuard::enter(mine);
        let error = serde_json::to_string(&foreign).expect_err("foreign reference must fail");
        assert!(error.to_string().contains("aws_lb.main.arn"), "{error}");
    }
}
