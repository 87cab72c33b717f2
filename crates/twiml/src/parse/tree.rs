//! First pass: a streaming quick-xml read into a flat arena of elements.
//!
//! The arena borrows names, attribute values and text from the input whenever no unescaping is
//! needed. Nesting is kept on an explicit stack (no recursion) and bounded by [`MAX_DEPTH`];
//! DTDs are refused, so no entity is ever expanded beyond the five predefined ones.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::events::attributes::{AttrError, Attributes};
use quick_xml::reader::Reader;

use super::text::{self, is_xml_space};

/// Deepest element nesting accepted; TwiML never needs more than 4 levels.
pub(crate) const MAX_DEPTH: usize = 32;

const NONE: u32 = u32::MAX;

/// Index of an element in the arena.
pub(crate) type NodeId = u32;

/// An attribute as written, its value normalized.
#[derive(Debug)]
pub(crate) struct RawAttr<'a> {
    pub name: &'a str,
    pub value: Cow<'a, str>,
    /// Byte offset of the attribute name.
    pub pos: usize,
}

/// One element of the document.
#[derive(Debug)]
pub(crate) struct Node<'a> {
    pub name: &'a str,
    /// Byte offset of the `<`.
    pub pos: usize,
    attrs: (u32, u32),
    /// Concatenated character data of the element's own text nodes, trimmed of literal
    /// whitespace at both ends (whitespace written as references is kept).
    pub text: Cow<'a, str>,
    /// Byte offset of the first text character (meaningful when `text` is not empty).
    pub text_pos: usize,
    first_child: u32,
    next_sibling: u32,
}

/// The whole document; node 0 is the root element.
#[derive(Debug)]
pub(crate) struct Tree<'a> {
    nodes: Vec<Node<'a>>,
    attrs: Vec<RawAttr<'a>>,
}

/// A well-formedness failure (always 12100).
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub pos: usize,
    pub message: String,
}

impl SyntaxError {
    fn new(pos: usize, message: impl Into<String>) -> Self {
        Self {
            pos,
            message: message.into(),
        }
    }
}

impl<'a> Tree<'a> {
    /// The root element.
    pub const ROOT: NodeId = 0;

    /// Number of elements; ids run from 0 to `len() - 1`.
    pub fn len(&self) -> NodeId {
        NodeId::try_from(self.nodes.len()).unwrap_or(NodeId::MAX)
    }

    pub fn node(&self, id: NodeId) -> &Node<'a> {
        &self.nodes[id as usize]
    }

    pub fn attrs(&self, id: NodeId) -> &[RawAttr<'a>] {
        let (start, end) = self.node(id).attrs;
        &self.attrs[start as usize..end as usize]
    }

    /// Number of child elements, to size vectors exactly (model items can be large).
    pub fn child_count(&self, id: NodeId) -> usize {
        self.children(id).count()
    }

    pub fn children(&self, id: NodeId) -> Children<'_, 'a> {
        Children {
            tree: self,
            next: self.node(id).first_child,
        }
    }
}

/// Iterator over the child elements of one element.
#[derive(Debug)]
pub(crate) struct Children<'t, 'a> {
    tree: &'t Tree<'a>,
    next: u32,
}

impl Iterator for Children<'_, '_> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.tree.node(id).next_sibling;
        Some(id)
    }
}

/// An element still open while reading.
#[derive(Clone, Copy, Default)]
struct Open {
    node: u32,
    last_child: u32,
    /// Bytes of literal whitespace at the end of the node's text so far.
    trailing_ws: usize,
}

struct Builder<'a> {
    src: &'a str,
    nodes: Vec<Node<'a>>,
    attrs: Vec<RawAttr<'a>>,
    /// Open elements; a fixed array since depth is bounded (no allocation).
    stack: [Open; MAX_DEPTH],
    depth: usize,
    root_done: bool,
}

/// Reads `src` (valid UTF-8, BOM removed) into a tree.
pub(crate) fn build(src: &str) -> Result<Tree<'_>, SyntaxError> {
    let mut reader = Reader::from_str(src);
    // End tags are matched against our own stack, which saves quick-xml's name buffers.
    reader.config_mut().check_end_names = false;
    let mut b = Builder {
        src,
        // Small enough for the allocator's fast path; documents are usually a handful of elements.
        nodes: Vec::with_capacity(8),
        attrs: Vec::new(),
        stack: [Open::default(); MAX_DEPTH],
        depth: 0,
        root_done: false,
    };
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(pos);
                return Err(SyntaxError::new(at, xml_error_message(&e)));
            }
        };
        match event {
            Event::Decl(_) if pos != 0 => {
                return Err(SyntaxError::new(
                    pos,
                    "the XML declaration must be at the very start of the document",
                ));
            }
            Event::Decl(decl) => {
                let version_ok = decl.version().is_ok_and(|v| {
                    v.len() == 3 && v.starts_with("1.") && v.as_bytes()[2].is_ascii_digit()
                });
                if !version_ok {
                    return Err(SyntaxError::new(
                        pos,
                        "the XML declaration must start with version=\"1.0\"",
                    ));
                }
            }
            Event::PI(_) | Event::Comment(_) => {}
            Event::DocType(_) => {
                return Err(SyntaxError::new(
                    pos,
                    "DOCTYPE declarations are not allowed in TwiML",
                ));
            }
            Event::Start(e) => b.open(pos, e.len(), e.name().0.len(), true)?,
            Event::Empty(e) => b.open(pos, e.len(), e.name().0.len(), false)?,
            Event::End(e) => b.close(pos, e.name().0)?,
            Event::Text(t) => b.literal(pos, t.into_inner())?,
            Event::CData(c) => b.verbatim(pos, &c.into_inner(), true)?,
            Event::GeneralRef(r) => {
                let resolved =
                    text::resolve_reference(&r).map_err(|e| SyntaxError::new(pos, e.message()))?;
                b.verbatim(pos, &resolved, false)?;
            }
            Event::Eof => {
                if let Some(open) = b.top() {
                    let name = b.nodes[open.node as usize].name;
                    let at = b.nodes[open.node as usize].pos;
                    return Err(SyntaxError::new(
                        at,
                        format!("element <{name}> is never closed"),
                    ));
                }
                if !b.root_done {
                    return Err(SyntaxError::new(pos, "the document has no root element"));
                }
                return Ok(Tree {
                    nodes: b.nodes,
                    attrs: b.attrs,
                });
            }
        }
    }
}

fn xml_error_message(e: &quick_xml::Error) -> String {
    use quick_xml::errors::{Error, IllFormedError};
    match e {
        Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            format!("closing tag </{found}> does not match the open element <{expected}>")
        }
        Error::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
            format!("closing tag </{name}> has no matching open element")
        }
        Error::IllFormed(IllFormedError::MissingEndTag(name)) => {
            format!("element <{name}> is never closed")
        }
        Error::IllFormed(IllFormedError::UnclosedReference) => {
            "'&' must be escaped as '&amp;'".to_owned()
        }
        other => format!("not well-formed XML: {other}"),
    }
}

fn attr_error_offset(e: &AttrError) -> usize {
    match *e {
        AttrError::ExpectedEq(p)
        | AttrError::ExpectedValue(p)
        | AttrError::UnquotedValue(p)
        | AttrError::ExpectedQuote(p, _)
        | AttrError::Duplicated(p, _) => p,
    }
}

/// Rejects a repeated attribute name: pairwise for the usual handful, sorted beyond that so a
/// tag with thousands of attributes stays O(n log n).
fn check_duplicates(attrs: &[RawAttr<'_>]) -> Result<(), SyntaxError> {
    let duplicate =
        |a: &RawAttr<'_>| SyntaxError::new(a.pos, format!("attribute '{}' is repeated", a.name));
    if attrs.len() <= 16 {
        for (i, a) in attrs.iter().enumerate() {
            if attrs[..i].iter().any(|b| b.name == a.name) {
                return Err(duplicate(a));
            }
        }
        return Ok(());
    }
    let mut sorted: Vec<&RawAttr<'_>> = attrs.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(b.name).then(a.pos.cmp(&b.pos)));
    match sorted.windows(2).find(|w| w[0].name == w[1].name) {
        Some(w) => Err(duplicate(w[1])),
        None => Ok(()),
    }
}

fn offset_in(outer: &str, inner: &str) -> usize {
    inner.as_ptr().addr().wrapping_sub(outer.as_ptr().addr())
}

fn trailing_ws(s: &str) -> usize {
    s.bytes().rev().take_while(|b| is_xml_space(*b)).count()
}

impl<'a> Builder<'a> {
    fn top(&self) -> Option<&Open> {
        self.depth.checked_sub(1).map(|i| &self.stack[i])
    }

    fn open(
        &mut self,
        pos: usize,
        len: usize,
        name_len: usize,
        has_content: bool,
    ) -> Result<(), SyntaxError> {
        if self.depth == 0 && self.root_done {
            return Err(SyntaxError::new(
                pos,
                "only one root element is allowed (found a second top-level element)",
            ));
        }
        if self.depth >= MAX_DEPTH {
            return Err(SyntaxError::new(
                pos,
                format!("elements are nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        // The event starts at `pos` with `<`; its content is the tag between `<` and `>`/`/>`.
        let raw: &'a str = self
            .src
            .get(pos + 1..pos + 1 + len)
            .ok_or_else(|| SyntaxError::new(pos, "internal error: tag outside the input"))?;
        let name = raw.get(..name_len).unwrap_or(raw);
        if !text::is_xml_name(name) {
            return Err(SyntaxError::new(
                pos + 1,
                format!("'{name}' is not a valid element name"),
            ));
        }
        let attrs_start = self.attrs.len();
        if self.attrs.capacity() == 0 && raw.len() > name_len {
            self.attrs.reserve(12);
        }
        let mut iter = Attributes::new(raw, name_len);
        // quick-xml's duplicate check allocates per tag; `check_duplicates` below does not.
        iter.with_checks(false);
        for attr in iter {
            let attr = attr.map_err(|e| {
                SyntaxError::new(
                    pos + 1 + attr_error_offset(&e),
                    format!("malformed attribute: {e}"),
                )
            })?;
            let key = attr.key.0;
            let key_pos = pos + 1 + offset_in(raw, key);
            if !text::is_xml_name(key) {
                return Err(SyntaxError::new(
                    key_pos,
                    format!("'{key}' is not a valid attribute name"),
                ));
            }
            let value = match attr.value {
                Cow::Borrowed(v) => text::attribute_value(v).map_err(|(i, e)| {
                    SyntaxError::new(pos + 1 + offset_in(raw, v) + i, e.message())
                })?,
                Cow::Owned(v) => Cow::Owned(
                    text::attribute_value(&v)
                        .map_err(|(_, e)| SyntaxError::new(key_pos, e.message()))?
                        .into_owned(),
                ),
            };
            self.attrs.push(RawAttr {
                name: key,
                value,
                pos: key_pos,
            });
        }
        check_duplicates(&self.attrs[attrs_start..])?;
        let id = u32::try_from(self.nodes.len()).unwrap_or(NONE - 1);
        self.nodes.push(Node {
            name,
            pos,
            attrs: (
                u32::try_from(attrs_start).unwrap_or(0),
                u32::try_from(self.attrs.len()).unwrap_or(0),
            ),
            text: Cow::Borrowed(""),
            text_pos: pos,
            first_child: NONE,
            next_sibling: NONE,
        });
        let nodes = &mut self.nodes;
        if let Some(top) = self.depth.checked_sub(1).map(|i| &mut self.stack[i]) {
            if top.last_child == NONE {
                nodes[top.node as usize].first_child = id;
            } else {
                nodes[top.last_child as usize].next_sibling = id;
            }
            top.last_child = id;
        }
        if has_content {
            self.stack[self.depth] = Open {
                node: id,
                last_child: NONE,
                trailing_ws: 0,
            };
            self.depth += 1;
        } else if self.depth == 0 {
            self.root_done = true;
        }
        Ok(())
    }

    fn close(&mut self, pos: usize, name: &str) -> Result<(), SyntaxError> {
        let open = *self.top().ok_or_else(|| {
            SyntaxError::new(
                pos,
                format!("closing tag </{name}> has no matching open element"),
            )
        })?;
        let expected = self.nodes[open.node as usize].name;
        if expected != name {
            return Err(SyntaxError::new(
                pos,
                format!("closing tag </{name}> does not match the open element <{expected}>"),
            ));
        }
        self.depth -= 1;
        let node = &mut self.nodes[open.node as usize];
        if open.trailing_ws > 0 {
            let keep = node.text.len().saturating_sub(open.trailing_ws);
            node.text = match std::mem::take(&mut node.text) {
                Cow::Borrowed(s) => Cow::Borrowed(s.get(..keep).unwrap_or(s)),
                Cow::Owned(mut s) => {
                    s.truncate(keep);
                    Cow::Owned(s)
                }
            };
        }
        if self.depth == 0 {
            self.root_done = true;
        }
        Ok(())
    }

    /// Character data as written: leading and trailing whitespace is not content.
    fn literal(&mut self, pos: usize, raw: Cow<'a, str>) -> Result<(), SyntaxError> {
        let nodes = &mut self.nodes;
        let Some(top) = self.depth.checked_sub(1).map(|i| &mut self.stack[i]) else {
            return match raw.bytes().position(|b| !is_xml_space(b)) {
                None => Ok(()),
                Some(i) => Err(SyntaxError::new(
                    pos + i,
                    "text is not allowed outside the root element",
                )),
            };
        };
        let node = &mut nodes[top.node as usize];
        if node.text.is_empty() {
            let lead = raw.bytes().take_while(|b| is_xml_space(*b)).count();
            if lead == raw.len() {
                return Ok(());
            }
            node.text_pos = pos + lead;
            let rest = match raw {
                Cow::Borrowed(s) => text::normalize_eol(&s[lead..]),
                Cow::Owned(s) => Cow::Owned(text::normalize_eol(&s[lead..]).into_owned()),
            };
            top.trailing_ws = trailing_ws(&rest);
            node.text = rest;
        } else {
            let piece = text::normalize_eol(&raw);
            let tw = trailing_ws(&piece);
            if tw == piece.len() {
                top.trailing_ws += tw;
            } else {
                top.trailing_ws = tw;
            }
            node.text.to_mut().push_str(&piece);
        }
        Ok(())
    }

    /// Character data that is content even when it is whitespace (CDATA, references); line
    /// ends are normalized in CDATA but not in a character reference such as `&#13;`.
    fn verbatim(&mut self, pos: usize, content: &str, normalize: bool) -> Result<(), SyntaxError> {
        let nodes = &mut self.nodes;
        let Some(top) = self.depth.checked_sub(1).map(|i| &mut self.stack[i]) else {
            return Err(SyntaxError::new(
                pos,
                "text is not allowed outside the root element",
            ));
        };
        if content.is_empty() {
            return Ok(());
        }
        let node = &mut nodes[top.node as usize];
        if node.text.is_empty() {
            node.text_pos = pos;
        }
        if normalize {
            node.text.to_mut().push_str(&text::normalize_eol(content));
        } else {
            node.text.to_mut().push_str(content);
        }
        top.trailing_ws = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::build;

    #[test]
    fn duplicate_attributes_among_many_are_found() {
        let attrs = (0..40).fold(String::new(), |mut acc, i| {
            let _ = write!(acc, " a{i}=\"\"");
            acc
        });
        let doc = format!("<Response{attrs} a7=\"x\"/>");
        let err = build(&doc).unwrap_err();
        assert_eq!(err.pos, doc.rfind("a7").unwrap());
        assert_eq!(err.message, "attribute 'a7' is repeated");
        let ok = format!("<Response{attrs}/>");
        assert!(build(&ok).is_ok());
    }

    #[test]
    fn text_is_trimmed_but_references_are_kept() {
        let tree = build("<R>\n  a &#32;b&#10; \r\n <x/> c \n</R>").unwrap();
        assert_eq!(tree.node(0).text, "a  b\n \n  c");
    }
}
