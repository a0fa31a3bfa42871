//! A message as a tree of MIME parts (RFC 2045–2049): each part's type, boundary, encoding,
//! charset, disposition, decoded file name and size, and where its headers and body lie in
//! the message's bytes. Read with mail-parser; malformed input gives a tree, never a panic.

use std::ops::Range;

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::Lang;
use super::mime_decode::{decoded_size, rfc2231_param};
use crate::words::Words;

/// How deep parts may nest before the rest is left out (mail-parser nests attached
/// messages on its own; this bounds the tree and its recursion).
pub const MAX_DEPTH: usize = 16;
/// How many parts a tree holds at most.
pub const MAX_PARTS: usize = 1000;

/// One part of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MimeNode {
    /// `multipart/mixed`, `text/plain`…; `text/plain` when the part names none (RFC 2045 §5.2).
    pub content_type: String,
    /// A multipart's boundary parameter (RFC 2046 §5.1.1).
    pub boundary: Option<String>,
    /// `base64`, `quoted-printable`…, lower case; `None` when the part names none (7bit).
    pub transfer_encoding: Option<String>,
    pub charset: Option<String>,
    /// `attachment` or `inline` (RFC 2183).
    pub disposition: Option<String>,
    /// The file name, decoded from RFC 2231 or RFC 2047 form.
    pub file_name: Option<String>,
    pub content_id: Option<String>,
    /// The body's size in bytes once its transfer encoding is undone, in its own charset.
    pub size: usize,
    /// The part's header section in the message's bytes.
    pub headers: Range<usize>,
    /// The part's body (still encoded) in the message's bytes.
    pub body: Range<usize>,
    /// The header fields, names as written, values unfolded.
    pub fields: Vec<(String, String)>,
    /// 0 for the message itself.
    pub depth: usize,
    /// Indexes of the parts inside this one, in [`MimeTree::nodes`].
    pub children: Vec<usize>,
    /// mail-parser could not read the part as declared (an encoding problem, a multipart
    /// without boundary or without any part, a missing closing boundary); shown as text.
    pub broken: bool,
}

impl MimeNode {
    pub fn is_multipart(&self) -> bool {
        self.content_type.starts_with("multipart/")
    }

    /// The part's whole byte range, headers and body.
    pub fn range(&self) -> Range<usize> {
        self.headers.start..self.body.end.max(self.headers.end)
    }
}

/// The parts of a message in the order they appear, the message itself first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MimeTree {
    pub nodes: Vec<MimeNode>,
    /// Parts were left out ([`MAX_DEPTH`], [`MAX_PARTS`]).
    pub cut: bool,
}

/// Reads a message's MIME tree; `None` only when mail-parser finds no message at all.
/// The tree's byte ranges point into `bytes` even when lines before the header were
/// skipped (see [`leading_lines`]).
pub fn mime_tree(bytes: &[u8]) -> Option<MimeTree> {
    let skip = leading_lines(bytes);
    let m = MessageParser::default().parse(bytes.get(skip..)?)?;
    let mut tree = MimeTree::default();
    add_message(&m, bytes, skip, 0, &mut tree);
    Some(tree)
}

/// How many bytes come before a pasted message's header: lines of only white space and one
/// mbox separator line (`From sender@example.com Mon Feb  8 02:53:47 1993`, RFC 4155),
/// which are not header fields. Anything else ends the skip.
pub fn leading_lines(bytes: &[u8]) -> usize {
    let mut at = 0;
    let mut mbox_line = false;
    while at < bytes.len() {
        let rest = bytes.get(at..).unwrap_or_default();
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(p) => (rest.get(..p).unwrap_or_default(), at + p + 1),
            // A last line without its line break is the message itself (or nothing).
            None => return at,
        };
        let blank = line.iter().all(u8::is_ascii_whitespace);
        let separator = !mbox_line
            && line
                .strip_prefix(b"From ")
                .is_some_and(|r| r.iter().any(|b| !b.is_ascii_whitespace()));
        if !blank && !separator {
            return at;
        }
        mbox_line |= separator;
        at = next;
    }
    at
}

/// Adds a (possibly attached) message's parts; `base` is where its bytes start in `bytes`,
/// the whole input (ranges are clamped to it).
fn add_message(m: &Message<'_>, bytes: &[u8], base: usize, depth: usize, tree: &mut MimeTree) {
    if m.parts.is_empty() {
        return;
    }
    add_part(m, 0, bytes, base, depth, tree);
}

fn add_part(
    m: &Message<'_>,
    id: usize,
    bytes: &[u8],
    base: usize,
    depth: usize,
    tree: &mut MimeTree,
) -> Option<usize> {
    if depth > MAX_DEPTH || tree.nodes.len() >= MAX_PARTS {
        tree.cut = true;
        return None;
    }
    let p = m.parts.get(id)?;
    let at = |o: u32| (base.saturating_add(o as usize)).min(bytes.len());
    let mut node = describe(p, bytes, at);
    node.depth = depth;
    let index = tree.nodes.len();
    tree.nodes.push(node);
    let mut children = Vec::new();
    match &p.body {
        PartType::Multipart(ids) => {
            for &child in ids.iter() {
                let child = child as usize;
                // A part cannot contain itself or an earlier part: mail-parser numbers parts
                // in order, so this also stops any loop.
                if child <= id {
                    continue;
                }
                if let Some(i) = add_part(m, child, bytes, base, depth + 1, tree) {
                    children.push(i);
                }
            }
        }
        PartType::Message(inner) => {
            // An attached message (RFC 2046 §5.2.1). mail-parser reads one that is not
            // encoded in the same pass as its parent, so its offsets count from the same
            // start; one it read on its own counts from its own start, which is this part's
            // body when that is not encoded. An encoded one has no place in these bytes.
            let same_pass = std::ptr::eq(inner.raw_message.as_ptr(), m.raw_message.as_ptr())
                && inner.raw_message.len() == m.raw_message.len();
            let plain = tree.nodes.get(index).is_none_or(|n| {
                n.transfer_encoding
                    .as_deref()
                    .is_none_or(|e| matches!(e, "7bit" | "8bit" | "binary"))
            });
            let inner_base = if same_pass {
                Some(base)
            } else {
                plain.then(|| at(p.offset_body))
            };
            if let Some(inner_base) = inner_base {
                let before = tree.nodes.len();
                if depth < MAX_DEPTH {
                    add_message(inner, bytes, inner_base, depth + 1, tree);
                } else {
                    tree.cut = true;
                }
                if tree.nodes.len() > before {
                    children.push(before);
                }
            }
        }
        _ => {}
    }
    if let Some(n) = tree.nodes.get_mut(index) {
        n.children = children;
    }
    Some(index)
}

fn describe(p: &MessagePart<'_>, bytes: &[u8], at: impl Fn(u32) -> usize) -> MimeNode {
    let ct = p.content_type();
    let content_type = match ct {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_owned(),
        },
        None => "text/plain".to_owned(),
    }
    .to_ascii_lowercase();
    let attr = |name: &str| ct.and_then(|c| c.attribute(name)).map(str::to_owned);
    let boundary = attr("boundary");
    // A multipart needs a boundary and at least one body part (RFC 2046 §5.1.1): one whose
    // boundary never starts a line of its body has none, and is shown with its body's size.
    let empty = matches!(&p.body, PartType::Multipart(ids) if ids.is_empty());
    let broken = p.is_encoding_problem
        || empty
        || (content_type.starts_with("multipart/") && boundary.is_none())
        || (content_type.starts_with("multipart/") && !matches!(p.body, PartType::Multipart(_)));
    let fields: Vec<(String, String)> = p
        .headers
        .iter()
        .map(|h| {
            let raw = bytes
                .get(at(h.offset_start)..at(h.offset_end))
                .unwrap_or_default();
            (h.name.as_str().to_owned(), unfold(raw))
        })
        .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    // mail-parser decodes each RFC 2231 segment on its own, so a character split across
    // two segments is lost: names in that form are decoded here from the raw field.
    let name = |field: Option<&str>, param: &str, parsed: Option<&str>| {
        field
            .and_then(|f| rfc2231_param(f, param))
            .or_else(|| parsed.map(str::to_owned))
    };
    let file_name = name(
        field("Content-Disposition"),
        "filename",
        p.content_disposition()
            .and_then(|d| d.attribute("filename")),
    )
    .or_else(|| name(field("Content-Type"), "name", attr("name").as_deref()));
    let transfer_encoding = p
        .content_transfer_encoding()
        .map(|e| e.trim().to_ascii_lowercase());
    let body = at(p.offset_body)..at(p.offset_end).max(at(p.offset_body));
    // The size of what a saved file holds: the body with its transfer encoding undone, in
    // its own charset (mail-parser's text is already converted to UTF-8).
    let size = match &p.body {
        PartType::Multipart(_) if !empty => 0,
        _ => bytes
            .get(body.clone())
            .and_then(|raw| decoded_size(raw, transfer_encoding.as_deref()))
            .unwrap_or_else(|| p.len()),
    };
    MimeNode {
        content_type,
        boundary,
        transfer_encoding,
        charset: attr("charset"),
        disposition: p
            .content_disposition()
            .map(|d| d.ctype().to_ascii_lowercase()),
        file_name,
        content_id: p.content_id().map(str::to_owned),
        size,
        headers: at(p.offset_header)..at(p.offset_body).max(at(p.offset_header)),
        body,
        fields,
        depth: 0,
        children: Vec::new(),
        broken,
    }
}

impl MimeTree {
    /// The tree as indented lines, one per part, in the reader's language.
    pub fn to_text(&self, lang: Lang) -> String {
        let mut out = String::new();
        for n in &self.nodes {
            out.push_str(&"  ".repeat(n.depth));
            out.push_str(&node_line(n, lang));
            out.push('\n');
        }
        if self.cut {
            out.push_str(&Words::new("mime.tree.cut").get(lang));
            out.push('\n');
        }
        out
    }
}

/// One part summed up: `text/plain  charset=utf-8  quoted-printable  12 bytes`.
pub fn node_line(n: &MimeNode, lang: Lang) -> String {
    let mut s = n.content_type.clone();
    if let Some(b) = &n.boundary {
        s.push_str(&format!("  boundary=\"{b}\""));
    }
    if let Some(c) = &n.charset {
        s.push_str(&format!("  charset={c}"));
    }
    if let Some(e) = &n.transfer_encoding {
        s.push_str(&format!("  {e}"));
    }
    if let Some(d) = &n.disposition {
        s.push_str(&format!("  {d}"));
    }
    if let Some(f) = &n.file_name {
        s.push_str(&format!("  \"{f}\""));
    }
    if let Some(c) = &n.content_id {
        s.push_str(&format!("  <{c}>"));
    }
    if !n.is_multipart() || n.broken {
        s.push_str("  ");
        s.push_str(&Words::new("mime.tree.size").arg("size", n.size).get(lang));
    }
    if n.broken {
        s.push_str("  ");
        s.push_str(&Words::new("mime.tree.broken").get(lang));
    }
    s
}

/// A header value without its line breaks (folding whitespace becomes one space).
fn unfold(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether pasted bytes are a whole message (RFC 5322: header fields up to an empty line)
/// rather than a session's transcript: every line before the first empty one is a header
/// field or its continuation, and one of them is a message's (From, Subject, MIME-Version…).
/// Lines before the header that [`leading_lines`] skips do not count against it.
pub fn is_message(bytes: &[u8]) -> bool {
    let bytes = bytes.get(leading_lines(bytes)..).unwrap_or_default();
    let text = String::from_utf8_lossy(bytes.get(..64 * 1024).unwrap_or(bytes));
    let mut known = false;
    let mut lines = 0;
    for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
        if line.is_empty() {
            return lines > 0 && known;
        }
        lines += 1;
        if line.starts_with([' ', '\t']) {
            if lines == 1 {
                return false;
            }
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        // A field name is printable ASCII without spaces (RFC 5322 §3.6.8).
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return false;
        }
        known |= [
            "from",
            "to",
            "subject",
            "date",
            "mime-version",
            "content-type",
            "message-id",
            "received",
            "return-path",
        ]
        .contains(&name.to_ascii_lowercase().as_str());
    }
    false
}

/// `mailtutor explain` given a whole message: its MIME tree as indented text, or `None` when
/// the bytes are not a message (a session to annotate instead).
pub fn explain_message(bytes: &[u8], lang: Lang) -> Option<String> {
    if !is_message(bytes) {
        return None;
    }
    let tree = mime_tree(bytes)?;
    Some(format!(
        "{}\n{}",
        Words::new("mime.tree.heading").get(lang),
        tree.to_text(lang)
    ))
}

#[cfg(test)]
mod tests;
