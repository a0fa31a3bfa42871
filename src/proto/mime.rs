//! A MIME message (RFC 2045–2049): a text body with an optional HTML alternative, an inline
//! image the HTML shows by `cid:`, and attachments whose non-ASCII names are written either as
//! RFC 2231 parameters or as the RFC 2047 words QQ Mail and 163 write.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use mail_builder::MessageBuilder;
use mail_builder::headers::HeaderType;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;

use super::message::{ComposeError, Draft, data_payload, to_crlf};

/// How a non-ASCII file name is written in the part's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameForm {
    /// `filename*=utf-8''%E4%BD%9C…` (RFC 2231 §4), the standard form.
    #[default]
    Rfc2231,
    /// `filename="=?UTF-8?B?…?="` in quotes: against RFC 2047 §5 (encoded words are not allowed
    /// in a quoted string), yet what QQ Mail and 163 write and every common reader decodes.
    Rfc2047,
}

/// A file carried in the message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attachment {
    /// The file name as the student sees it (any characters).
    pub name: String,
    /// `image/png`…, guessed from the name's extension by [`guess_type`].
    pub content_type: String,
    /// The file's bytes (shared: the composer keeps them and composes many times).
    pub bytes: Arc<[u8]>,
}

impl Attachment {
    /// A file with its content type guessed from its name.
    pub fn new(name: impl Into<String>, bytes: impl Into<Arc<[u8]>>) -> Self {
        let name = name.into();
        Self {
            content_type: guess_type(&name).to_owned(),
            name,
            bytes: bytes.into(),
        }
    }
}

/// The content type of a file by its extension; `application/octet-stream` when unknown
/// (RFC 2046 §4.5.1).
pub fn guess_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "text" | "log" => "text/plain",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "json" => "application/json",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "eml" => "message/rfc822",
        _ => "application/octet-stream",
    }
}

/// A draft with its MIME extras; with none, the message is the plain [`Draft`]'s.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MimeDraft {
    pub draft: Draft,
    /// The HTML alternative of the text body (multipart/alternative, RFC 2046 §5.1.4).
    pub html: Option<String>,
    /// An image shown inside the HTML (multipart/related, RFC 2387), referenced as
    /// `cid:` [`INLINE_CID`]; without HTML it travels as an attachment.
    pub inline_image: Option<Attachment>,
    pub attachments: Vec<Attachment>,
    pub name_form: NameForm,
}

/// The largest file attached, in the window and on the command line (10 MB); a larger one is
/// refused in words.
pub const MAX_ATTACHMENT: u64 = 10 * 1024 * 1024;

/// The Content-ID of the inline image (RFC 2392): the HTML shows it as `<img src="cid:…">`.
pub const INLINE_CID: &str = "image1@mailtutor.test";

/// Base64 in lines of 76 characters, each ended by CRLF (RFC 2045 §6.8).
pub fn base64_lines(bytes: &[u8]) -> String {
    let flat = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(flat.len() + flat.len() / 38 + 2);
    for chunk in flat.as_bytes().chunks(76) {
        // Base64's alphabet is ASCII, so every chunk is text.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// Quoted-printable (RFC 2045 §6.7) of a text with CRLF line breaks: rule 1 escapes `=` and
/// bytes outside 33–126, rule 3 escapes a space or tab ending a line, rule 4 keeps CRLF as a
/// line break, rule 5 breaks longer lines with a soft `=` so no line exceeds 76 characters.
pub fn quoted_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    let lines: Vec<&str> = text.split("\r\n").collect();
    let last = lines.len().saturating_sub(1);
    for (n, line) in lines.iter().enumerate() {
        let bytes = line.as_bytes();
        let mut col = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let at_end = i + 1 == bytes.len();
            // A `.` opening a line is encoded too (RFC 2049 §3 (8)): SMTP would stuff it, and
            // the message's bytes then stay the same on the wire.
            let literal = (matches!(b, 33..=60 | 62..=126) && !(b == b'.' && col == 0))
                || (matches!(b, b' ' | b'\t') && !at_end);
            let piece = if literal {
                char::from(b).to_string()
            } else {
                format!("={b:02X}")
            };
            // A soft break leaves room for its `=` on the line (75 + 1); the last piece of a
            // line may take the 76th column, as it needs no `=` after it.
            let room = if at_end { 76 } else { 75 };
            if col + piece.len() > room {
                out.push_str("=\r\n");
                col = 0;
            }
            col += piece.len();
            out.push_str(&piece);
        }
        if n < last {
            out.push_str("\r\n");
        }
    }
    out
}

/// RFC 2047 B-words of UTF-8 text, each at most 75 characters (§2), split between characters
/// and joined by spaces (the header folds there).
pub fn encoded_words(text: &str) -> String {
    // 36 bytes of UTF-8 are 48 base64 characters, 60 with `=?UTF-8?B?` and `?=`: a word
    // fits on a folded line after ` filename="` within 78 characters (RFC 5322 §2.1.1).
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 36 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(chunk);
    }
    words
        .iter()
        .map(|w| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w.as_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a text may travel as it is (7bit, RFC 2045 §2.7): ASCII, lines of at most 998
/// octets, no NUL, no bare CR or LF (the text is CRLF already). A line opening with `.` is sent quoted-printable too (see [`quoted_printable`]).
fn is_7bit(text: &str) -> bool {
    text.is_ascii()
        && !text.contains('\0')
        && text
            .split("\r\n")
            .all(|l| l.len() <= 998 && !l.starts_with('.'))
}

/// A text part: as it is when 7bit, else quoted-printable.
fn text_part(subtype: &str, text: &str) -> MimePart<'static> {
    let ct = ContentType::new(format!("text/{subtype}")).attribute("charset", "utf-8");
    let text = to_crlf(text);
    if is_7bit(&text) {
        MimePart::new(ct, text).transfer_encoding("7bit")
    } else {
        MimePart::new(ct, quoted_printable(&text)).transfer_encoding("quoted-printable")
    }
}

/// Whether a name must be encoded: anything outside printable ASCII, or quotes and
/// backslashes a quoted string would have to escape.
fn needs_encoding(name: &str) -> bool {
    name.bytes()
        .any(|b| !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\')
}

/// A file's part: base64 always, so its bytes come back exactly, with the name in the chosen
/// form on both Content-Type `name` and Content-Disposition `filename` (RFC 2183 §2.3).
fn file_part(a: &Attachment, form: NameForm, disposition: &str) -> MimePart<'static> {
    let ct_type = if a.content_type.trim().is_empty() {
        guess_type(&a.name).to_owned()
    } else {
        a.content_type.clone()
    };
    let mut part = MimePart::new(ContentType::new(ct_type.clone()), base64_lines(&a.bytes));
    // MimePart::new gave it a charset (the body is a String); a file has none.
    part.headers.clear();
    let (ct, cd): (HeaderType<'static>, HeaderType<'static>) = if a.name.trim().is_empty() {
        // A file without a name: its type and disposition alone.
        (
            ContentType::new(ct_type).into(),
            ContentType::new(disposition.to_owned()).into(),
        )
    } else if form == NameForm::Rfc2047 && needs_encoding(&a.name) {
        let words = encoded_words(&a.name);
        (
            Raw::new(format!("{ct_type}; name=\"{words}\"")).into(),
            Raw::new(format!("{disposition}; filename=\"{words}\"")).into(),
        )
    } else {
        (
            ContentType::new(ct_type)
                .attribute("name", a.name.clone())
                .into(),
            ContentType::new(disposition.to_owned())
                .attribute("filename", a.name.clone())
                .into(),
        )
    };
    part.headers.push((Cow::from("Content-Type"), ct));
    part.headers.push((Cow::from("Content-Disposition"), cd));
    part.transfer_encoding("base64")
}

impl MimeDraft {
    /// A text-only draft.
    pub fn plain(draft: Draft) -> Self {
        Self {
            draft,
            ..Self::default()
        }
    }

    /// The body's tree: text, or alternative(text, html or related(html, image)), inside
    /// mixed when files are attached.
    fn body(&self) -> MimePart<'static> {
        let text = text_part("plain", &self.draft.body);
        let mut files: Vec<MimePart<'static>> = Vec::new();
        let body = match &self.html {
            Some(html) => {
                let html_part = text_part("html", html);
                let html_part = match &self.inline_image {
                    Some(img) => {
                        let img = file_part(img, self.name_form, "inline").cid(INLINE_CID);
                        MimePart::new("multipart/related", vec![html_part, img])
                    }
                    None => html_part,
                };
                MimePart::new("multipart/alternative", vec![text, html_part])
            }
            None => {
                if let Some(img) = &self.inline_image {
                    files.push(file_part(img, self.name_form, "inline").cid(INLINE_CID));
                }
                text
            }
        };
        files.extend(
            self.attachments
                .iter()
                .map(|a| file_part(a, self.name_form, "attachment")),
        );
        if files.is_empty() {
            body
        } else {
            let mut parts = vec![body];
            parts.extend(files);
            MimePart::new("multipart/mixed", parts)
        }
    }

    /// Whether anything beyond the text body is asked for.
    pub fn is_plain(&self) -> bool {
        self.html.is_none() && self.inline_image.is_none() && self.attachments.is_empty()
    }

    /// The RFC 5322 message with its MIME structure.
    pub fn to_message(&self) -> Result<Vec<u8>, ComposeError> {
        if self.is_plain() {
            return self.draft.to_message();
        }
        let d = &self.draft;
        d.check()?;
        for a in self.attachments.iter().chain(&self.inline_image) {
            if a.name.contains(['\r', '\n']) || a.content_type.contains(['\r', '\n', ';']) {
                return Err(ComposeError::LineBreak {
                    field: "mime.field.attachment",
                });
            }
        }
        let list = |v: &[super::message::Mailbox]| {
            Address::new_list(v.iter().map(|m| m.to_builder()).collect::<Vec<_>>())
        };
        let mut b = MessageBuilder::new()
            .from(d.from.to_builder())
            .subject(d.subject.clone())
            .body(self.body());
        if !d.to.is_empty() {
            b = b.to(list(&d.to));
        }
        if !d.cc.is_empty() {
            b = b.cc(list(&d.cc));
        }
        if let Some(t) = d.date {
            b = b.date(t);
        }
        if let Some(id) = &d.message_id {
            b = b.message_id(id.clone());
        }
        b.write_to_vec()
            .map_err(|e| ComposeError::Write(e.to_string()))
    }

    /// Exactly what goes on the wire after `354`.
    pub fn to_data_payload(&self) -> Result<Vec<u8>, ComposeError> {
        Ok(data_payload(&self.to_message()?))
    }
}

/// A plain text as HTML: each paragraph (lines up to a blank one) in a `<p>`, its lines
/// joined by `<br>`, and `&`, `<`, `>` escaped.
pub fn html_of_text(text: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let text = text.replace("\r\n", "\n");
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            format!(
                "<p>{}</p>",
                p.lines().map(escape).collect::<Vec<_>>().join("<br>")
            )
        })
        .collect();
    format!("<html><body>\n{}\n</body></html>\n", paragraphs.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_becomes_escaped_html_paragraphs() {
        assert_eq!(
            html_of_text("Hi,\r\n\r\nline <1> & 2\r\nline 3\r\n"),
            "<html><body>\n<p>Hi,</p>\n<p>line &lt;1&gt; &amp; 2<br>line 3</p>\n</body></html>\n"
        );
    }
    use crate::proto::message::Mailbox;
    use mail_parser::{MessageParser, MimeHeaders};

    fn draft() -> Draft {
        Draft {
            from: Mailbox::parse("student@mailtutor.test").unwrap(),
            to: vec![Mailbox::parse("teacher@mailtutor.test").unwrap()],
            cc: vec![],
            subject: "作业".into(),
            date: Some(1_618_364_054),
            body: "你好,老师。\nThe report is attached; a long line follows: ".to_owned()
                + &"=x ".repeat(60),
            message_id: Some("t@mailtutor.test".into()),
        }
    }

    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

    fn full(form: NameForm) -> MimeDraft {
        let report: Vec<u8> = "第一章\r\n".repeat(40).into_bytes();
        MimeDraft {
            draft: draft(),
            html: Some("<p>你好 <img src=\"cid:image1@mailtutor.test\"></p>".into()),
            inline_image: Some(Attachment::new("logo.png", PNG)),
            attachments: vec![
                Attachment::new("作业报告.txt", report),
                Attachment::new(
                    "pixel.png",
                    (0..=255u8).cycle().take(3000).collect::<Vec<_>>(),
                ),
            ],
            name_form: form,
        }
    }

    fn round_trip(form: NameForm) {
        let d = full(form);
        let msg = d.to_message().unwrap();
        let text = String::from_utf8(msg.clone()).unwrap();
        for line in text.split("\r\n") {
            assert!(line.len() <= 78, "line of {}: {line}", line.len());
        }
        let m = MessageParser::default().parse(&msg).unwrap();
        assert_eq!(m.body_text(0).unwrap(), to_crlf(&d.draft.body));
        assert_eq!(m.body_html(0).unwrap(), d.html.clone().unwrap());
        let by_name = |n: &str| {
            m.parts
                .iter()
                .find(|p| p.attachment_name() == Some(n))
                .unwrap_or_else(|| panic!("no part named {n} in {text}"))
        };
        for a in d.attachments.iter().chain(&d.inline_image) {
            let p = by_name(&a.name);
            assert_eq!(p.contents(), &a.bytes[..], "{}", a.name);
            assert_eq!(
                p.content_type().unwrap().ctype(),
                a.content_type.split('/').next().unwrap()
            );
        }
        let logo = by_name("logo.png");
        assert_eq!(logo.content_id(), Some(INLINE_CID));
        // Base64 bodies in lines of 76 (RFC 2045 §6.8).
        assert!(text.lines().any(|l| l.len() == 76), "{text}");
        match form {
            NameForm::Rfc2231 => assert!(
                text.contains("filename*=utf-8''%E4%BD%9C")
                    || text.contains("filename*=UTF-8''%E4%BD%9C"),
                "{text}"
            ),
            NameForm::Rfc2047 => {
                assert!(
                    text.contains("filename=\"=?UTF-8?B?5L2c5Lia5oql5ZGKLnR4dA==?=\""),
                    "{text}"
                );
                assert!(text.contains("name=\"=?UTF-8?B?"), "{text}");
            }
        }
    }

    #[test]
    fn every_part_comes_back_in_the_rfc2231_form() {
        round_trip(NameForm::Rfc2231);
    }

    #[test]
    fn every_part_comes_back_in_the_rfc2047_form() {
        round_trip(NameForm::Rfc2047);
    }

    #[test]
    fn a_long_chinese_name_takes_several_words_and_still_decodes() {
        let name = "很长的文件名".repeat(6) + ".txt";
        for form in [NameForm::Rfc2231, NameForm::Rfc2047] {
            let d = MimeDraft {
                draft: draft(),
                attachments: vec![Attachment::new(name.clone(), b"x".to_vec())],
                name_form: form,
                ..MimeDraft::default()
            };
            let msg = d.to_message().unwrap();
            let text = String::from_utf8_lossy(&msg);
            assert!(text.split("\r\n").all(|l| l.len() <= 78), "{text}");
            let m = MessageParser::default().parse(&msg).unwrap();
            assert_eq!(
                m.attachment(0).and_then(|a| a.attachment_name()),
                Some(name.as_str()),
                "{:?}",
                m.attachment(0).map(|a| a.headers.clone())
            );
        }
    }

    #[test]
    fn quoted_printable_follows_rfc2045() {
        assert_eq!(quoted_printable("a=b"), "a=3Db");
        assert_eq!(quoted_printable("end \r\nx"), "end=20\r\nx");
        assert_eq!(quoted_printable("é"), "=C3=A9");
        assert_eq!(quoted_printable(".\r\na.b"), "=2E\r\na.b");
        let long = quoted_printable(&"中".repeat(40));
        assert!(long.split("\r\n").all(|l| l.len() <= 76), "{long}");
        assert!(long.contains("=\r\n"));
        let plain = "a".repeat(76);
        assert_eq!(quoted_printable(&plain), plain);
    }

    #[test]
    fn text_only_is_the_plain_message_and_bad_names_are_refused() {
        let d = MimeDraft::plain(draft());
        assert_eq!(d.to_message(), draft().to_message());
        let d = MimeDraft {
            attachments: vec![Attachment::new("a\r\nBcc: x@y", b"x".to_vec())],
            ..MimeDraft::plain(draft())
        };
        assert!(d.to_message().is_err());
        assert_eq!(guess_type("A.PNG"), "image/png");
        assert_eq!(guess_type("noext"), "application/octet-stream");
    }

    /// Nothing in a MIME message opens a line with `.`, so the wire's bytes are the message's and
    /// the tree's byte ranges point into the DATA payload as they are.
    #[test]
    fn the_payload_is_the_message_and_the_final_dot() {
        let mut d = full(NameForm::Rfc2047);
        d.draft.body = ".hidden\n..two\nplain ascii\n".into();
        d.html = Some(".<p>x</p>\n".into());
        let msg = d.to_message().unwrap();
        let payload = data_payload(&msg);
        assert!(
            payload == [&msg[..], b".\r\n"].concat(),
            "a line was dot-stuffed"
        );
        let m = MessageParser::default().parse(&msg).unwrap();
        assert_eq!(m.body_text(0).unwrap(), to_crlf(&d.draft.body));
    }
}
