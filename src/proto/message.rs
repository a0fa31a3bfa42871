//! The DATA payload: an RFC 5322 message composed with mail-builder, CRLF line endings,
//! dot-stuffing (RFC 5321 §4.5.2) and the final `.` line; and the reverse with mail-parser.

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_parser::{Addr, HeaderValue, MessageParser};

/// A mailbox as written in a header: `张三 <zhang@example.com>` or `zhang@example.com`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

impl Mailbox {
    pub fn parse(s: &str) -> Result<Self, ComposeError> {
        if s.contains(['\r', '\n', '\0']) {
            return Err(ComposeError::LineBreak {
                field: "field.address",
            });
        }
        let s = s.trim();
        let (name, address) = match (s.rfind('<'), s.ends_with('>')) {
            (Some(i), true) => {
                let name = s[..i].trim().trim_matches('"').trim();
                (
                    (!name.is_empty()).then(|| name.to_owned()),
                    &s[i + 1..s.len() - 1],
                )
            }
            _ => (None, s),
        };
        let address = address.trim();
        if address.is_empty() || address.contains(char::is_whitespace) || !address.contains('@') {
            return Err(ComposeError::BadAddress(s.to_owned()));
        }
        Ok(Self {
            name,
            address: address.to_owned(),
        })
    }

    pub(crate) fn to_builder(&self) -> Address<'static> {
        match &self.name {
            Some(n) => Address::from((n.clone(), self.address.clone())),
            None => Address::from(self.address.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// `field` names the header by its key in the translation tables (`field.subject`).
pub enum ComposeError {
    #[error("{}", self.words())]
    LineBreak { field: &'static str },
    #[error("{}", self.words())]
    BadAddress(String),
    #[error("{}", self.words())]
    NoRecipient,
    #[error("{}", self.words())]
    BadDate(String),
    /// The composing library's own message, quoted.
    #[error("{}", self.words())]
    Write(String),
}

impl ComposeError {
    pub fn words(&self) -> crate::words::Words {
        use crate::words::Words;
        match self {
            Self::LineBreak { field } => Words::new("compose.line_break").arg_key("field", field),
            Self::BadAddress(a) => {
                Words::new("compose.bad_address").arg("address", format!("{a:?}"))
            }
            Self::NoRecipient => Words::new("compose.no_recipient"),
            Self::BadDate(d) => Words::new("compose.bad_date").arg("date", format!("{d:?}")),
            Self::Write(e) => Words::new("compose.write").arg("text", e),
        }
    }
}

/// What the student fills in the composer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    /// Seconds since the Unix epoch; `None` means now.
    pub date: Option<i64>,
    pub body: String,
    /// A fixed Message-ID (tests, reproducible handouts); `None` lets mail-builder make one.
    pub message_id: Option<String>,
}

/// Turns any mix of CRLF, bare LF and bare CR into CRLF (RFC 5322 §2.3).
pub fn to_crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            c => out.push(c),
        }
    }
    out
}

impl Draft {
    /// The body as it travels: CRLF line endings, and a final CRLF (RFC 5321 §4.1.1.4 ends
    /// the data with CRLF . CRLF, so the text itself ends in a line break).
    pub fn wire_body(&self) -> String {
        let mut b = to_crlf(&self.body);
        if !b.is_empty() && !b.ends_with("\r\n") {
            b.push_str("\r\n");
        }
        b
    }

    /// What every message needs: a one-line subject and a recipient.
    pub(crate) fn check(&self) -> Result<(), ComposeError> {
        if self.subject.contains(['\r', '\n']) {
            return Err(ComposeError::LineBreak {
                field: "field.subject",
            });
        }
        if self.to.is_empty() && self.cc.is_empty() {
            return Err(ComposeError::NoRecipient);
        }
        Ok(())
    }

    /// The RFC 5322 message: headers (non-ASCII as RFC 2047 words), blank line, body.
    pub fn to_message(&self) -> Result<Vec<u8>, ComposeError> {
        self.check()?;
        let list = |v: &[Mailbox]| {
            Address::new_list(v.iter().map(Mailbox::to_builder).collect::<Vec<_>>())
        };
        let mut b = MessageBuilder::new()
            .from(self.from.to_builder())
            .subject(self.subject.clone())
            .text_body(self.wire_body());
        if !self.to.is_empty() {
            b = b.to(list(&self.to));
        }
        if !self.cc.is_empty() {
            b = b.cc(list(&self.cc));
        }
        if let Some(d) = self.date {
            b = b.date(d);
        }
        if let Some(id) = &self.message_id {
            b = b.message_id(id.clone());
        }
        b.write_to_vec()
            .map_err(|e| ComposeError::Write(e.to_string()))
    }

    /// Exactly what goes on the wire after `354`: the dot-stuffed message and `.` CRLF.
    pub fn to_data_payload(&self) -> Result<Vec<u8>, ComposeError> {
        Ok(data_payload(&self.to_message()?))
    }
}

/// Dot-stuffs a message and appends the end-of-data line (RFC 5321 §4.5.2): every line that
/// starts with `.` gets one more, and the text ends in CRLF before the final `.` CRLF.
pub fn data_payload(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 64 + 8);
    let mut at_line_start = true;
    for &b in message {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    if !message.is_empty() && !message.ends_with(b"\r\n") {
        if message.ends_with(b"\r") {
            out.push(b'\n');
        } else {
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Why a payload does not end as DATA requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnstuffError {
    #[error("{}", crate::words::Words::new("session.no_final_dot"))]
    NoTerminator,
}

/// Reverses [`data_payload`]: strips the final `.` line and one leading dot per line.
pub fn unstuff(payload: &[u8]) -> Result<Vec<u8>, UnstuffError> {
    let body = if payload == b".\r\n" {
        &payload[..0]
    } else {
        payload
            .strip_suffix(b"\r\n.\r\n")
            .map(|b| &payload[..b.len() + 2])
            .ok_or(UnstuffError::NoTerminator)?
    };
    let mut out = Vec::with_capacity(body.len());
    let mut at_line_start = true;
    for &b in body {
        if at_line_start && b == b'.' {
            at_line_start = false;
            continue;
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    Ok(out)
}

/// Whether an empty line ends the header section (RFC 5322 §2.1); without one, a message's
/// text is read as more header lines and its body is empty.
pub fn has_header_end(message: &[u8]) -> bool {
    message.starts_with(b"\r\n")
        || message.starts_with(b"\n")
        || message.windows(2).any(|w| w == b"\n\n")
        || message.windows(3).any(|w| w == b"\n\r\n")
}

/// A received message, decoded for display.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedMail {
    pub from: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: Option<String>,
    /// Seconds since the Unix epoch.
    pub date: Option<i64>,
    pub body: Option<String>,
    /// Every header field in order, unfolded, with RFC 2047 words decoded.
    pub headers: Vec<(String, String)>,
    /// The MIME parts in the order they appear, containers included.
    pub parts: Vec<MailPart>,
}

/// One MIME part as a teacher inspects it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailPart {
    /// `text/plain; charset=gbk`, or `text/plain` when the part names none (RFC 2045 §5.2).
    pub content_type: String,
    /// `base64`, `quoted-printable`, `8bit`…; empty when the part names none.
    pub transfer_encoding: String,
    pub content: PartContent,
}

/// What a part holds, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PartContent {
    /// A text part decoded from its transfer encoding and its charset (GBK and GB18030 too).
    Text(String),
    /// An attachment or other binary part: its file name, when given, and decoded size.
    Binary { name: Option<String>, size: usize },
    /// A multipart container or an attached message: its parts follow.
    #[default]
    Container,
}

fn mailboxes(v: Option<&mail_parser::Address<'_>>) -> Vec<Mailbox> {
    let conv = |a: &Addr<'_>| Mailbox {
        name: a.name.as_ref().map(|n| n.to_string()),
        address: a
            .address
            .as_ref()
            .map(|n| n.to_string())
            .unwrap_or_default(),
    };
    match v {
        Some(mail_parser::Address::List(list)) => list.iter().map(conv).collect(),
        Some(mail_parser::Address::Group(groups)) => groups
            .iter()
            .flat_map(|g| g.addresses.iter().map(conv))
            .collect(),
        None => Vec::new(),
    }
}

/// Parses a message (charsets such as GBK and GB18030 included) with mail-parser.
pub fn parse_message(bytes: &[u8]) -> Option<ParsedMail> {
    use mail_parser::{MimeHeaders, PartType};
    let m = MessageParser::default().parse(bytes)?;
    let headers = m
        .headers()
        .iter()
        .map(|h| {
            let raw = bytes
                .get(h.offset_start as usize..h.offset_end as usize)
                .unwrap_or_default();
            let value = String::from_utf8_lossy(raw)
                .split(['\r', '\n'])
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let value = if value.contains("=?") {
                decode_encoded_words(&value)
            } else {
                value
            };
            (h.name.as_str().to_owned(), value)
        })
        .collect();
    let parts = m
        .parts
        .iter()
        .map(|p| {
            let content_type = match p.content_type() {
                Some(ct) => {
                    let mut s = ct.ctype().to_owned();
                    if let Some(sub) = ct.subtype() {
                        s = format!("{s}/{sub}");
                    }
                    if let Some(cs) = ct.attribute("charset") {
                        s = format!("{s}; charset={cs}");
                    }
                    s
                }
                None => "text/plain".to_owned(),
            };
            let content = match &p.body {
                PartType::Text(t) | PartType::Html(t) => PartContent::Text(t.to_string()),
                PartType::Binary(b) | PartType::InlineBinary(b) => PartContent::Binary {
                    name: p.attachment_name().map(str::to_owned),
                    size: b.len(),
                },
                PartType::Message(_) | PartType::Multipart(_) => PartContent::Container,
            };
            MailPart {
                content_type,
                transfer_encoding: p
                    .content_transfer_encoding()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                content,
            }
        })
        .collect();
    Some(ParsedMail {
        from: mailboxes(m.from()),
        to: mailboxes(m.to()),
        cc: mailboxes(m.cc()),
        subject: m.subject().map(str::to_owned),
        date: m.date().map(|d| d.to_timestamp()),
        body: m.body_text(0).map(|b| b.into_owned()),
        headers,
        parts,
    })
}

/// Decodes RFC 2047 encoded words, `=?UTF-8?B?5rWL6K+V?=` → `测试`, in any charset mail-parser knows.
pub fn decode_encoded_words(text: &str) -> String {
    let raw = format!("Subject: {}\r\n\r\n", text.trim());
    MessageParser::default()
        .parse_headers(raw.as_bytes())
        .and_then(|m| match m.header("Subject") {
            Some(HeaderValue::Text(t)) => Some(t.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| text.to_owned())
}

/// Encodes a header text as RFC 2047 words when it is not plain ASCII (as mail-builder does).
pub fn encode_header_text(text: &str) -> String {
    let msg = MessageBuilder::new()
        .subject(text.to_owned())
        .write_to_vec();
    let Ok(bytes) = msg else {
        return text.to_owned();
    };
    let s = String::from_utf8_lossy(&bytes);
    s.split("\r\n")
        .skip_while(|l| !l.starts_with("Subject:"))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.starts_with([' ', '\t']))
        .map(|(_, l)| l.trim_start_matches("Subject:").trim())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_the_headers_is_an_empty_line() {
        assert!(has_header_end(b"Subject: hi\r\n\r\nbody\r\n"));
        assert!(has_header_end(b"Subject: hi\n\nbody\n"));
        assert!(has_header_end(b"\r\nbody only\r\n"));
        assert!(!has_header_end(b"From: a@b.c\r\nSubject: hi\r\nHello.\r\n"));
        assert!(!has_header_end(b""));
    }

    fn draft() -> Draft {
        Draft {
            from: Mailbox::parse("student@mailtutor.test").unwrap_or_default(),
            to: vec![Mailbox::parse("老师 <teacher@mailtutor.test>").unwrap_or_default()],
            cc: vec![],
            subject: "hello smtp".into(),
            date: Some(1_618_364_054),
            body: "This is a test from telnet\n.leading dot\n.\nend".into(),
            message_id: Some("test@mailtutor.test".into()),
        }
    }

    #[test]
    fn payload_is_crlf_stuffed_and_terminated() {
        let p = draft().to_data_payload().unwrap_or_default();
        let text = String::from_utf8_lossy(&p);
        assert!(text.ends_with("\r\nend\r\n.\r\n"), "{text}");
        assert!(text.contains("\r\n..leading dot\r\n..\r\n"), "{text}");
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "bare LF in {text}"
        );
        assert!(text.contains("Subject: hello smtp\r\n"));
        assert!(
            text.contains("\r\n\r\n"),
            "blank line between headers and body"
        );
        assert!(text.contains("Date: "));
    }

    #[test]
    fn chinese_subject_and_name_become_encoded_words() {
        let mut d = draft();
        d.subject = "测试邮件".into();
        let msg = d.to_message().unwrap_or_default();
        let text = String::from_utf8_lossy(&msg);
        assert!(text.contains("=?utf-8?"), "{text}");
        assert!(!text.contains("测试"));
        let parsed = parse_message(&msg).unwrap_or_default();
        assert_eq!(parsed.subject.as_deref(), Some("测试邮件"));
        assert_eq!(parsed.to[0].name.as_deref(), Some("老师"));
    }

    #[test]
    fn gbk_body_and_encoded_subject_are_decoded_part_by_part() {
        // As a Chinese mail client of the tutorials' time sends it: GB2312 words in the
        // subject, a GBK body in base64.
        let mut raw = b"From: =?gb2312?B?suLK1A==?= <a@mailtutor.test>\r\n\
Subject: =?gb2312?B?suLK1A==?=\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            .to_vec();
        raw.extend_from_slice(b"xOO6wyxTTVRQ\r\n");
        raw.extend_from_slice(
            b"--b\r\nContent-Type: application/octet-stream; name=a.bin\r\n\
Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n",
        );
        let m = parse_message(&raw).unwrap_or_default();
        assert_eq!(m.subject.as_deref(), Some("测试"));
        assert!(
            m.headers.contains(&("Subject".into(), "测试".into())),
            "{:?}",
            m.headers
        );
        assert_eq!(m.parts.len(), 3, "{:?}", m.parts);
        assert_eq!(m.parts[0].content, PartContent::Container);
        assert_eq!(m.parts[1].content_type, "text/plain; charset=gbk");
        assert_eq!(m.parts[1].transfer_encoding, "base64");
        assert_eq!(m.parts[1].content, PartContent::Text("你好,SMTP".into()));
        assert_eq!(
            m.parts[2].content,
            PartContent::Binary {
                name: Some("a.bin".into()),
                size: 3
            }
        );
    }

    #[test]
    fn encoded_words_both_ways() {
        assert_eq!(decode_encoded_words("=?UTF-8?B?5rWL6K+V?="), "测试");
        assert_eq!(decode_encoded_words("=?gb2312?B?suLK1A==?="), "测试");
        assert_eq!(decode_encoded_words("plain"), "plain");
        let enc = encode_header_text("你好 world");
        assert!(enc.starts_with("=?utf-8?"), "{enc}");
        assert_eq!(decode_encoded_words(&enc), "你好 world");
    }

    #[test]
    fn unstuff_reverses_and_checks_terminator() {
        assert_eq!(unstuff(b"a\r\n..b\r\n.\r\n"), Ok(b"a\r\n.b\r\n".to_vec()));
        assert_eq!(unstuff(b".\r\n"), Ok(Vec::new()));
        assert_eq!(unstuff(b"a\r\n"), Err(UnstuffError::NoTerminator));
        assert_eq!(data_payload(b"x"), b"x\r\n.\r\n".to_vec());
        assert_eq!(data_payload(b".\r\n"), b"..\r\n.\r\n".to_vec());
    }

    #[test]
    fn smuggling_attempt_is_neutralised() {
        // A body trying to end DATA early and start a new transaction (SMTP smuggling).
        let d = Draft {
            body: "hi\n.\r\nMAIL FROM:<evil@x>\r\n".into(),
            ..draft()
        };
        let p = d.to_data_payload().unwrap_or_default();
        let text = String::from_utf8_lossy(&p);
        assert_eq!(text.matches("\r\n.\r\n").count(), 1, "{text}");
    }

    #[test]
    fn header_injection_rejected() {
        let d = Draft {
            subject: "hi\r\nBcc: x@y".into(),
            ..draft()
        };
        assert_eq!(
            d.to_message(),
            Err(ComposeError::LineBreak {
                field: "field.subject",
            })
        );
        assert!(Mailbox::parse("a@b\r\nBcc: c@d").is_err());
        assert!(Mailbox::parse("not an address").is_err());
        let d = Draft {
            to: vec![],
            ..draft()
        };
        assert_eq!(d.to_message(), Err(ComposeError::NoRecipient));
    }

    #[test]
    fn crlf_normalisation() {
        assert_eq!(to_crlf("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
    }
}
