//! The document's JSON writer: serde_json's pretty layout (2-space indent, `": "`, `[]`/`{}` when
//! empty) byte for byte, written by a serializer of our own.
//!
//! Why not `serde_json::to_writer_pretty`: a block is its typed body plus meta-arguments around
//! it, which serde can only express with `#[serde(flatten)]` over an erased body (a dynamic call
//! per field and a detour through a map serializer), and serde_json escapes strings one byte at
//! a time through its formatter. Here the body of each block is serialised by its own
//! monomorphised `Serialize` straight into the open block object ([`Writer::inline_next`]),
//! strings are escaped sixteen bytes at a time, and output goes to our own buffer that is handed
//! to the sink in large writes. A [`Writer::fragment`] renders a block on its own, exactly as it
//! will sit in the file, so that the document can hold text instead of values.

use std::fmt;
use std::io;

use serde::ser::{self, Serialize};

/// Bytes gathered before a write to the sink: each syscall is costly on virtual machines, and
/// output runs to megabytes.
const FLUSH_AT: usize = 256 * 1024;

/// Why writing failed.
#[derive(Debug)]
pub(crate) enum Error {
    Io(io::Error),
    /// A value refused to serialise, e.g. a reference minted by another document.
    Custom(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(error) => error.fmt(f),
            Error::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Error {
        Error::Custom(message.to_string())
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Error {
        Error::Io(error)
    }
}

/// A pretty JSON writer; `&mut Writer` is a [`serde::Serializer`].
pub(crate) struct Writer<'a> {
    buf: Vec<u8>,
    /// Where full buffers go; `None` for a fragment, which stays in `buf`.
    sink: Option<&'a mut dyn io::Write>,
    depth: usize,
    /// The innermost open object or array has a value already (the next one needs a `,`).
    has_value: bool,
    /// The next struct or map is written into the object already open (a block body).
    inline_next: bool,
    /// Top-level fields of the inlined block body to leave out, and those it had.
    body_filter: Option<BodyFilter>,
    /// Map keys are Terraform templates (`${`, `%{` escaped as in values): true in the
    /// document, where Terraform reads every object key as a template; false for plain JSON
    /// ([`super::to_pretty_json`]), whose text the document escapes as a whole.
    template_keys: bool,
}

/// What a block body wrote at its top level, and what to leave out of it (attributes a
/// stack overrides or removes).
#[derive(Default)]
pub(crate) struct BodyFilter {
    pub(crate) skip: Vec<String>,
    pub(crate) seen: Vec<String>,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(sink: &'a mut dyn io::Write) -> Writer<'a> {
        Writer::with_capacity(sink, FLUSH_AT + 16 * 1024)
    }

    /// A writer whose buffer starts at `capacity` bytes: small for a value of a few KB, where
    /// the full buffer of a document would cost more to allocate than to write.
    pub(crate) fn with_capacity(sink: &'a mut dyn io::Write, capacity: usize) -> Writer<'a> {
        Writer {
            buf: Vec::with_capacity(capacity),
            sink: Some(sink),
            depth: 0,
            has_value: false,
            inline_next: false,
            body_filter: None,
            template_keys: true,
        }
    }

    /// A writer that appends to `buf` as if it were inside an object or array `depth` levels
    /// deep that has (`has_value`) or has not had a value yet; [`Writer::into_fragment`] gives
    /// `buf` back. What it writes is byte for byte what a writer of the whole file would write
    /// at that place, so fragments can be rendered early and copied in later.
    pub(crate) fn fragment(buf: Vec<u8>, depth: usize, has_value: bool) -> Writer<'static> {
        Writer {
            buf,
            sink: None,
            depth,
            has_value,
            inline_next: false,
            body_filter: None,
            template_keys: true,
        }
    }

    /// Map keys are written as plain JSON, not escaped as Terraform templates.
    pub(crate) fn plain_keys(mut self) -> Writer<'a> {
        self.template_keys = false;
        self
    }

    pub(crate) fn into_fragment(self) -> Vec<u8> {
        self.buf
    }

    /// Copies in entries rendered by a [`Writer::fragment`] at this writer's depth, after
    /// those already written here; call [`Writer::value_written`] when there were any.
    pub(crate) fn entries(&mut self, fragment: &[u8]) -> Result<(), Error> {
        /// Fragments this large go to the sink as they are: copying them through the buffer
        /// would cost more than the extra write.
        const DIRECT: usize = 16 * 1024;
        match &mut self.sink {
            Some(sink) if fragment.len() >= DIRECT => {
                sink.write_all(&self.buf)?;
                self.buf.clear();
                sink.write_all(fragment)?;
            }
            Some(sink) if self.buf.len() + fragment.len() > self.buf.capacity() => {
                sink.write_all(&self.buf)?;
                self.buf.clear();
                self.buf.extend_from_slice(fragment);
            }
            _ => self.buf.extend_from_slice(fragment),
        }
        Ok(())
    }

    /// Filters the top-level fields of the next inlined body; [`Writer::take_body_filter`]
    /// returns what it saw.
    pub(crate) fn set_body_filter(&mut self, filter: BodyFilter) {
        self.body_filter = Some(filter);
    }

    pub(crate) fn take_body_filter(&mut self) -> Option<BodyFilter> {
        self.body_filter.take()
    }

    /// Writes what is buffered, and `tail`, to the sink.
    pub(crate) fn finish(mut self, tail: &[u8]) -> Result<(), Error> {
        self.buf.extend_from_slice(tail);
        if let Some(sink) = self.sink {
            sink.write_all(&self.buf)?;
            sink.flush()?;
        }
        Ok(())
    }

    /// Called only when an object or array ends, so that a map key (a string) is still in the
    /// buffer when [`ser::SerializeMap::serialize_key`] checks it.
    fn maybe_flush(&mut self) -> Result<(), Error> {
        if let Some(sink) = &mut self.sink {
            if self.buf.len() >= FLUSH_AT {
                sink.write_all(&self.buf)?;
                self.buf.clear();
            }
        }
        Ok(())
    }

    fn newline_indent(&mut self) {
        /// A newline and the indent of up to 15 levels: every line of output starts here.
        const LINE_START: &[u8; 32] = b"\n                               ";
        let width = 1 + 2 * self.depth;
        if width <= LINE_START.len() {
            push_prefix(&mut self.buf, LINE_START, width);
        } else {
            self.buf.push(b'\n');
            self.buf.resize(self.buf.len() + 2 * self.depth, b' ');
        }
    }

    /// Opens an object (`b'{'`) or array (`b'['`).
    pub(crate) fn begin(&mut self, open: u8) {
        self.buf.push(open);
        self.depth += 1;
        self.has_value = false;
    }

    /// Closes an object (`b'}'`) or array (`b']'`).
    pub(crate) fn end(&mut self, close: u8) -> Result<(), Error> {
        self.depth -= 1;
        if self.has_value {
            self.newline_indent();
        }
        self.buf.push(close);
        self.has_value = true;
        self.maybe_flush()
    }

    /// Starts the next element of the open array, or the next key of the open object.
    fn next_item(&mut self) {
        if self.has_value {
            self.buf.push(b',');
        }
        self.newline_indent();
    }

    /// Writes `"key": ` into the open object.
    pub(crate) fn key(&mut self, key: &str) {
        self.next_item();
        self.string(key);
        self.buf.extend_from_slice(b": ");
    }

    /// Writes `"name": ` into the open object for a field name of our own structs. Those are
    /// Rust identifiers or serde renames of them, never anything JSON escapes, so they are
    /// copied as they are: a hundred thousand keys at 3 × 100 services, where the escape check
    /// was 6 % of the instructions. Every test run checks the claim.
    fn field_name(&mut self, name: &'static str) {
        debug_assert!(
            !name
                .bytes()
                .any(|byte| byte < 0x20 || byte == b'"' || byte == b'\\'),
            "field name {name:?} needs escaping"
        );
        self.next_item();
        self.buf.push(b'"');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"\": ");
    }

    /// Writes `"key": value` into the open object.
    pub(crate) fn entry<T: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), Error> {
        self.key(key);
        value.serialize(&mut *self)?;
        self.has_value = true;
        Ok(())
    }

    /// Marks the value just written after [`Writer::key`] as done (the next key needs a `,`).
    pub(crate) fn value_written(&mut self) {
        self.has_value = true;
    }

    /// The next struct or map is written into the object already open instead of a new one:
    /// a block body between the block's comment and its meta-arguments. Call
    /// [`Writer::check_inlined`] after serialising it.
    pub(crate) fn inline_next(&mut self) {
        self.inline_next = true;
    }

    /// Fails when the value meant to be inlined was not a struct or map.
    pub(crate) fn check_inlined(&mut self) -> Result<(), Error> {
        if std::mem::take(&mut self.inline_next) {
            return Err(Error::Custom(
                "a block body must serialise as a struct or map".into(),
            ));
        }
        Ok(())
    }

    fn string(&mut self, text: &str) {
        self.buf.push(b'"');
        escape_json(&mut self.buf, text.as_bytes());
        self.buf.push(b'"');
    }

    fn open(&mut self, open: u8) -> Compound<'_, 'a> {
        if std::mem::take(&mut self.inline_next) {
            Compound {
                writer: self,
                close: Close::Inline,
            }
        } else {
            self.begin(open);
            Compound {
                writer: self,
                close: if open == b'{' {
                    Close::Object
                } else {
                    Close::Array
                },
            }
        }
    }

    /// `{ "variant": ` of an externally tagged enum variant.
    fn open_variant(&mut self, variant: &str) {
        self.begin(b'{');
        self.key(variant);
    }

    fn integer(&mut self, value: u64, negative: bool) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = value;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if negative {
            self.buf.push(b'-');
        }
        self.buf.extend_from_slice(&digits[at..]);
    }
}

/// How to close what [`Writer::open`] opened.
#[derive(Clone, Copy, PartialEq)]
enum Close {
    Object,
    Array,
    /// Nothing was opened: the fields went into the enclosing object.
    Inline,
    /// A struct or tuple variant: its object or array, then the `{ "variant": … }` around it.
    VariantObject,
    VariantArray,
}

pub(crate) struct Compound<'w, 'a> {
    writer: &'w mut Writer<'a>,
    close: Close,
}

impl Compound<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.writer.next_item();
        value.serialize(&mut *self.writer)?;
        self.writer.has_value = true;
        Ok(())
    }

    /// A field of a struct or struct variant: `key` is a field name from `derive(Serialize)`.
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        if let (Close::Inline, Some(filter)) = (&self.close, &mut self.writer.body_filter) {
            filter.seen.push(key.to_owned());
            if filter.skip.iter().any(|skipped| skipped == key) {
                return Ok(());
            }
        }
        self.writer.field_name(key);
        value.serialize(&mut *self.writer)?;
        self.writer.has_value = true;
        Ok(())
    }

    fn close(self) -> Result<(), Error> {
        match self.close {
            Close::Object => self.writer.end(b'}'),
            Close::Array => self.writer.end(b']'),
            Close::Inline => Ok(()),
            Close::VariantObject => {
                self.writer.end(b'}')?;
                self.writer.end(b'}')
            }
            Close::VariantArray => {
                self.writer.end(b']')?;
                self.writer.end(b'}')
            }
        }
    }
}

impl<'w, 'a> ser::Serializer for &'w mut Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'w, 'a>;
    type SerializeTuple = Compound<'w, 'a>;
    type SerializeTupleStruct = Compound<'w, 'a>;
    type SerializeTupleVariant = Compound<'w, 'a>;
    type SerializeMap = Compound<'w, 'a>;
    type SerializeStruct = Compound<'w, 'a>;
    type SerializeStructVariant = Compound<'w, 'a>;

    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        self.buf
            .extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result<(), Error> {
        self.serialize_i64(value.into())
    }

    fn serialize_i16(self, value: i16) -> Result<(), Error> {
        self.serialize_i64(value.into())
    }

    fn serialize_i32(self, value: i32) -> Result<(), Error> {
        self.serialize_i64(value.into())
    }

    fn serialize_i64(self, value: i64) -> Result<(), Error> {
        self.integer(value.unsigned_abs(), value < 0);
        Ok(())
    }

    fn serialize_i128(self, value: i128) -> Result<(), Error> {
        self.buf.extend_from_slice(value.to_string().as_bytes());
        Ok(())
    }

    fn serialize_u8(self, value: u8) -> Result<(), Error> {
        self.serialize_u64(value.into())
    }

    fn serialize_u16(self, value: u16) -> Result<(), Error> {
        self.serialize_u64(value.into())
    }

    fn serialize_u32(self, value: u32) -> Result<(), Error> {
        self.serialize_u64(value.into())
    }

    fn serialize_u64(self, value: u64) -> Result<(), Error> {
        self.integer(value, false);
        Ok(())
    }

    fn serialize_u128(self, value: u128) -> Result<(), Error> {
        self.buf.extend_from_slice(value.to_string().as_bytes());
        Ok(())
    }

    fn serialize_f32(self, value: f32) -> Result<(), Error> {
        if !value.is_finite() {
            return Err(Error::Custom(format!("the number {value} is not finite")));
        }
        serde_json::to_writer(&mut self.buf, &value).map_err(|e| Error::Custom(e.to_string()))
    }

    fn serialize_f64(self, value: f64) -> Result<(), Error> {
        // serde_json would write `null`: a number Terraform never gets. Validation refuses
        // NaN and infinities; one reaching here is a bug, and the document is not written.
        if !value.is_finite() {
            return Err(Error::Custom(format!("the number {value} is not finite")));
        }
        // serde_json's float format (shortest round trip).
        serde_json::to_writer(&mut self.buf, &value).map_err(|e| Error::Custom(e.to_string()))
    }

    fn serialize_char(self, value: char) -> Result<(), Error> {
        self.string(value.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        // No flush here: a map key is checked in the buffer after it is written.
        self.string(value);
        Ok(())
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<(), Error> {
        let mut seq = self.open(b'[');
        for byte in value {
            seq.element(byte)?;
        }
        seq.close()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.buf.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.open_variant(variant);
        value.serialize(&mut *self)?;
        self.has_value = true;
        self.end(b'}')
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.open(b'['))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.open(b'['))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.open(b'['))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w, 'a>, Error> {
        self.open_variant(variant);
        self.begin(b'[');
        Ok(Compound {
            writer: self,
            close: Close::VariantArray,
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.open(b'{'))
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.open(b'{'))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w, 'a>, Error> {
        self.open_variant(variant);
        self.begin(b'{');
        Ok(Compound {
            writer: self,
            close: Close::VariantObject,
        })
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        use fmt::Write as _;
        self.buf.push(b'"');
        write!(Escaping(&mut self.buf), "{value}")
            .map_err(|_| Error::Custom("a value failed to render".into()))?;
        self.buf.push(b'"');
        Ok(())
    }
}

/// Text written into a JSON string, escaped on the way.
struct Escaping<'b>(&'b mut Vec<u8>);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        escape_json(self.0, text.as_bytes());
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.writer.next_item();
        let start = self.writer.buf.len();
        key.serialize(&mut *self.writer)?;
        // JSON keys are strings; anything else would be written unquoted.
        if self.writer.buf.get(start) != Some(&b'"') {
            return Err(Error::Custom("a map key must be a string".into()));
        }
        if self.writer.template_keys {
            escape_key_templates(&mut self.writer.buf, start);
        }
        self.writer.buf.extend_from_slice(b": ");
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.writer)?;
        self.writer.has_value = true;
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// Terraform reads the keys of a JSON object as templates, like its string values (a tag key
/// `a${1+1}` becomes `a2`): `${` → `$${` and `%{` → `%%{` in the key written from `start`.
/// JSON escaping never writes `$`, `%` or `{` as escapes, so the sequences in the JSON text
/// are exactly those of the key.
fn escape_key_templates(buf: &mut Vec<u8>, start: usize) {
    let key = &buf[start..];
    if !key.windows(2).any(|pair| matches!(pair, b"${" | b"%{")) {
        return;
    }
    let mut escaped = Vec::with_capacity(key.len() + 4);
    for (at, &byte) in key.iter().enumerate() {
        if matches!(byte, b'$' | b'%') && key.get(at + 1) == Some(&b'{') {
            escaped.push(byte);
        }
        escaped.push(byte);
    }
    buf.truncate(start);
    buf.extend_from_slice(&escaped);
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `word` is `byte`.
#[inline]
pub(crate) fn has_byte(word: u64, byte: u8) -> bool {
    let x = word ^ (LOW * u64::from(byte));
    x.wrapping_sub(LOW) & !x & HIGH != 0
}

/// Appends `text` escaped as the inside of a JSON string, exactly as serde_json does: `\"`,
/// `\\`, `\b \f \n \r \t`, other control characters as `\u00xx`; everything else as is.
/// Looks at sixteen bytes at a time ([`escape_bits`]), the last few padded with a byte that
/// needs no escape, so most keys and names cost one look; the runs between escapes are copied
/// in one go.
pub(crate) fn escape_json(out: &mut Vec<u8>, text: &[u8]) {
    // Most strings are keys and short values with nothing to escape: one look, then copied
    // from the padded chunk, with no call to `memcpy` on the way.
    if text.len() <= CHUNK {
        let chunk = short_chunk(text);
        if escape_bits(&chunk) == 0 {
            push_prefix(out, &chunk, text.len());
            return;
        }
    }
    out.reserve(text.len());
    let mut run_start = 0;
    let mut at = 0;
    while at < text.len() {
        // Every escape of the chunk from one look: JSON held in a string has one every few
        // bytes.
        let mut bits = escape_bits(&chunk_at(text, at));
        while bits != 0 {
            let found = at + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let Some(&byte) = text.get(found) else {
                break;
            };
            out.extend_from_slice(&text[run_start..found]);
            push_escape(out, byte);
            run_start = found + 1;
        }
        at += CHUNK;
    }
    out.extend_from_slice(&text[run_start..]);
}

/// Appends the first `len` bytes of `bytes`. Appending all `N` and cutting back is a few
/// vector stores; a copy of exactly `len` bytes is a call to `memcpy`, which costs more than
/// the short string or line start it copies.
#[inline]
fn push_prefix<const N: usize>(out: &mut Vec<u8>, bytes: &[u8; N], len: usize) {
    debug_assert!(len <= N, "{len} bytes asked of {N}");
    let end = out.len() + len;
    out.extend_from_slice(bytes);
    out.truncate(end);
}

/// The escape of a byte that needs one.
#[inline]
fn push_escape(out: &mut Vec<u8>, byte: u8) {
    match byte {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        }
    }
}

const CHUNK: usize = 16;

/// The `CHUNK` bytes of `text` from `at`; past the end, `a`s (which need no escape).
#[inline]
fn chunk_at(text: &[u8], at: usize) -> [u8; CHUNK] {
    match text.get(at..at + CHUNK) {
        Some(bytes) => {
            let mut chunk = [0; CHUNK];
            chunk.copy_from_slice(bytes);
            chunk
        }
        None => short_chunk(&text[at..]),
    }
}

/// `text`, at most `CHUNK` bytes, padded with `a`s to `CHUNK`. Built from two overlapping
/// copies of a fixed size (8 or 4 bytes), which compile to moves; a copy of `text.len()` bytes
/// would be a call to `memcpy`.
#[inline]
fn short_chunk(text: &[u8]) -> [u8; CHUNK] {
    let mut chunk = [b'a'; CHUNK];
    let len = text.len();
    if len >= 8 {
        chunk[..8].copy_from_slice(&text[..8]);
        chunk[len - 8..len].copy_from_slice(&text[len - 8..]);
    } else if len >= 4 {
        chunk[..4].copy_from_slice(&text[..4]);
        chunk[len - 4..len].copy_from_slice(&text[len - 4..]);
    } else {
        for (slot, &byte) in chunk.iter_mut().zip(text) {
            *slot = byte;
        }
    }
    chunk
}

/// Bit `i` is set when byte `i` of `chunk` needs a JSON escape (`"`, `\\` or a control
/// character): three SSE2 compares of all sixteen bytes at once (SSE2 is part of every x86-64).
#[cfg(target_arch = "x86_64")]
#[inline]
fn escape_bits(chunk: &[u8; CHUNK]) -> u32 {
    // SAFETY: SSE2 is part of the x86-64 baseline: every CPU this code compiles for has it.
    unsafe { escape_bits_sse2(chunk) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn escape_bits_sse2(chunk: &[u8; CHUNK]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        _mm_set_epi64x,
    };
    let half = |from: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&chunk[from..from + 8]);
        i64::from_le_bytes(bytes)
    };
    let bytes = _mm_set_epi64x(half(8), half(0));
    let quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
    let backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
    // Unsigned `byte < 0x20` is `max(byte, 0x1f) == 0x1f`.
    let control_limit = _mm_set1_epi8(0x1f);
    let control = _mm_cmpeq_epi8(_mm_max_epu8(bytes, control_limit), control_limit);
    _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
}

/// Bit `i` is set when byte `i` of `chunk` needs a JSON escape (`"`, `\\` or a control
/// character).
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn escape_bits(chunk: &[u8; CHUNK]) -> u32 {
    escape_bits_portable(chunk)
}

/// [`escape_bits`] one byte at a time: what targets without SSE2 use, and what the SSE2
/// version is tested against.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn escape_bits_portable(chunk: &[u8; CHUNK]) -> u32 {
    chunk.iter().enumerate().fold(0, |bits, (i, &byte)| {
        bits | (u32::from(byte < 0x20 || byte == b'"' || byte == b'\\') << i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Field names are copied without escaping; the debug assertion is what stands guard,
    /// so it must fire on a name that would need escaping.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "needs escaping")]
    fn a_field_name_that_needs_escaping_is_caught() {
        #[derive(serde::Serialize)]
        struct Odd {
            #[serde(rename = "say \"hi\"")]
            greeting: u8,
        }
        ours(&Odd { greeting: 1 });
    }

    #[test]
    fn field_names_are_written_as_serde_json_writes_them() {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Fields {
            container_port: u16,
            #[serde(rename = "//")]
            comment: &'static str,
        }
        let value = Fields {
            container_port: 8080,
            comment: "why",
        };
        assert_eq!(
            ours(&value),
            serde_json::to_string_pretty(&value).expect("serialises")
        );
    }

    /// Terraform reads JSON object keys as templates (`{"a${1+1}": 1}` is `{"a2": 1}`):
    /// a tag key or an escape-hatch key must reach it escaped, like a value.
    #[test]
    fn map_keys_are_escaped_as_templates_but_not_in_plain_json() {
        let map: indexmap::IndexMap<&str, u8> =
            [("a${x}", 1), ("%{if y}", 2), ("$${z}", 3), ("50% $5", 4)]
                .into_iter()
                .collect();
        assert_eq!(
            ours(&map),
            "{\n  \"a$${x}\": 1,\n  \"%%{if y}\": 2,\n  \"$$${z}\": 3,\n  \"50% $5\": 4\n}"
        );
        assert_eq!(
            crate::tf::to_pretty_json(&map).expect("serialises"),
            serde_json::to_string_pretty(&map).expect("serialises")
        );
    }

    #[test]
    fn a_number_that_is_not_finite_is_an_error_not_null() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut bytes = Vec::new();
            let mut writer = Writer::new(&mut bytes);
            assert!(value.serialize(&mut writer).is_err(), "{value}");
        }
    }

    fn ours<T: Serialize>(value: &T) -> String {
        let mut bytes = Vec::new();
        let writer = {
            let mut writer = Writer::new(&mut bytes);
            value.serialize(&mut writer).expect("serialises");
            writer.finish(b"")
        };
        writer.expect("writes");
        String::from_utf8(bytes).expect("UTF-8")
    }

    #[test]
    fn every_ascii_byte_at_every_offset_is_escaped_like_serde_json() {
        // Offsets around the sixteen-byte chunks, the short-string loads and the padded tail.
        for byte in 0u8..0x80 {
            for length in 1..=19 {
                for offset in 0..length {
                    let mut text = vec![b'x'; length];
                    text[offset] = byte;
                    let text = String::from_utf8(text).expect("ASCII");
                    let mut escaped = Vec::new();
                    escape_json(&mut escaped, text.as_bytes());
                    let expected = serde_json::to_string(&text).expect("a string serialises");
                    assert_eq!(
                        std::str::from_utf8(&escaped).expect("UTF-8"),
                        &expected[1..expected.len() - 1],
                        "byte {byte:#04x} at {offset} of {length}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_vector_escape_test_agrees_with_the_portable_one_for_every_byte_and_position() {
        for byte in 0..=255u8 {
            for at in 0..CHUNK {
                let mut chunk = [b'a'; CHUNK];
                chunk[at] = byte;
                assert_eq!(
                    escape_bits(&chunk),
                    escape_bits_portable(&chunk),
                    "byte {byte:#04x} at {at}"
                );
            }
        }
        let every_other: [u8; CHUNK] =
            std::array::from_fn(|i| if i % 2 == 0 { b'"' } else { 0x1f });
        assert_eq!(escape_bits(&every_other), 0xffff);
    }

    #[test]
    fn layout_and_escapes_match_serde_json_pretty() {
        let value = serde_json::json!({
            "empty_object": {},
            "empty_array": [],
            "nested": {"a": [1, -2, 3.5, 70.0, true, null, {"b": []}], "c": {"d": {}}},
            "text": "quote \" backslash \\ newline \n tab \t bell \u{7} del \u{7f} é 😀 ${x} %{y}",
            "long": "abcdefghijklmnopqrstuvwxyz\"0123456789abcdefghijklmnopqrstuvwxyz\u{1}",
            "numbers": [0, 18446744073709551615u64, -9223372036854775808i64, 1e300, 0.1],
        });
        assert_eq!(
            ours(&value),
            serde_json::to_string_pretty(&value).expect("JSON")
        );
    }

    #[test]
    fn deep_nesting_is_indented_like_serde_json_pretty() {
        // Past the 15 levels the fixed line start covers.
        let mut value = serde_json::json!(["leaf", {"k": 1}]);
        for depth in 0..24 {
            value = serde_json::json!({ format!("level{depth}"): value, "n": depth });
        }
        assert_eq!(
            ours(&value),
            serde_json::to_string_pretty(&value).expect("JSON")
        );
    }

    #[test]
    fn output_larger_than_the_buffer_matches_serde_json_pretty() {
        let value: serde_json::Map<String, serde_json::Value> = (0..40_000)
            .map(|n| {
                (
                    format!("key-{n}"),
                    serde_json::json!({ "v": format!("value \"{n}\"") }),
                )
            })
            .collect();
        assert_eq!(
            ours(&value),
            serde_json::to_string_pretty(&value).expect("JSON")
        );
    }

    #[test]
    fn enums_match_serde_json_pretty() {
        #[derive(serde::Serialize)]
        enum E {
            Unit,
            New(u8),
            Tuple(u8, u8),
            Struct { a: u8 },
        }
        let value = vec![E::Unit, E::New(1), E::Tuple(1, 2), E::Struct { a: 3 }];
        assert_eq!(
            ours(&value),
            serde_json::to_string_pretty(&value).expect("JSON")
        );
    }

    #[test]
    fn every_escape_at_every_offset_matches_serde_json() {
        for byte in 0u8..0x80 {
            for offset in 0..10 {
                let text = format!("{}{}tail", "x".repeat(offset), char::from(byte));
                let mut out = Vec::new();
                escape_json(&mut out, text.as_bytes());
                let expected = serde_json::to_string(&text).expect("JSON");
                assert_eq!(
                    String::from_utf8(out).expect("UTF-8"),
                    expected[1..expected.len() - 1]
                );
            }
        }
    }
}
