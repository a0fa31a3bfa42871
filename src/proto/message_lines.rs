//! The message typed by hand after `354`, line by line: which header each line is, where the
//! headers end (RFC 5322 §2.1: a blank line), what is missing (From, Subject), the final dot
//! and dot-stuffing (RFC 5321 §4.5.2). Sans-IO: lines in, typed notes out.

/// What one line of the message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageLine {
    /// A header field the tutor knows (`from`, `to`, `cc`, `subject`, `date`, `reply-to`,
    /// `message-id`, `mime-version`, `content-type`, `content-transfer-encoding`), lowercased.
    Header(&'static str),
    /// A header field of another name.
    OtherHeader(String),
    /// A header line that starts with white space: it continues the previous field.
    Folded,
    /// A Subject (or name) with characters beyond ASCII, sent raw instead of as an RFC 2047
    /// encoded word: some servers and readers garble or reject it.
    RawNonAscii,
    /// The blank line that ends the headers.
    HeadersEnd,
    /// A line that is not a header where headers were expected: the blank line is missing.
    MissingBlankLine,
    /// The headers ended without a From field (QQ and 163 reject such mail).
    MissingFrom,
    /// The headers ended without a Subject field.
    MissingSubject,
    /// A line of the body beginning with `..`: the server removes one dot.
    DotStuffed,
    /// A body line beginning with one `.` and more text: the server removes that dot.
    LeadingDot,
    /// The line holding only `.`: the message ends; `lines` lines were sent before it.
    End { lines: usize },
}

/// The header fields the tutor explains by name.
pub const KNOWN: [&str; 10] = [
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "reply-to",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// Follows one message from `354` to the final dot.
#[derive(Debug, Clone, Default)]
pub struct MessageLines {
    in_body: bool,
    lines: usize,
    from: bool,
    subject: bool,
}

impl MessageLines {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one line (without its line ending) and says what it is.
    pub fn line(&mut self, text: &str) -> Vec<MessageLine> {
        if text == "." {
            let mut out = Vec::new();
            if !self.in_body {
                out.extend(self.headers_end());
            }
            out.push(MessageLine::End { lines: self.lines });
            *self = Self::new();
            return out;
        }
        self.lines += 1;
        if self.in_body {
            return if text.starts_with("..") {
                vec![MessageLine::DotStuffed]
            } else if text.starts_with('.') {
                vec![MessageLine::LeadingDot]
            } else {
                Vec::new()
            };
        }
        if text.is_empty() {
            let mut out = vec![MessageLine::HeadersEnd];
            out.extend(self.headers_end());
            return out;
        }
        if text.starts_with([' ', '\t']) {
            return vec![MessageLine::Folded];
        }
        match header_name(text) {
            Some(name) => {
                let lower = name.to_ascii_lowercase();
                let value = text[name.len() + 1..].trim();
                let mut out = vec![match KNOWN.iter().find(|k| **k == lower) {
                    Some(k) => MessageLine::Header(k),
                    None => MessageLine::OtherHeader(name.to_owned()),
                }];
                match lower.as_str() {
                    "from" => self.from = true,
                    "subject" => self.subject = true,
                    _ => {}
                }
                if matches!(lower.as_str(), "subject" | "from" | "to")
                    && !value.is_ascii()
                    && !value.contains("=?")
                {
                    out.push(MessageLine::RawNonAscii);
                }
                out
            }
            None => {
                let mut out = vec![MessageLine::MissingBlankLine];
                out.extend(self.headers_end());
                out
            }
        }
    }

    fn headers_end(&mut self) -> Vec<MessageLine> {
        self.in_body = true;
        let mut out = Vec::new();
        if !self.from {
            out.push(MessageLine::MissingFrom);
        }
        if !self.subject {
            out.push(MessageLine::MissingSubject);
        }
        out
    }
}

/// The field name of a header line (`Subject: hi` → `Subject`): printable ASCII without
/// space or colon, then a colon (RFC 5322 §2.2).
fn header_name(line: &str) -> Option<&str> {
    let (name, _) = line.split_once(':')?;
    (!name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageLine as M;

    fn run(lines: &[&str]) -> Vec<Vec<MessageLine>> {
        let mut m = MessageLines::new();
        lines.iter().map(|l| m.line(l)).collect()
    }

    #[test]
    fn the_tutorials_message() {
        let out = run(&[
            "from:itxiaowei755@163.com",
            "to:79898326@qq.com",
            "date:10/10/2021",
            "subject:hello smtp",
            "",
            "body",
            "..hidden",
            ".",
        ]);
        assert_eq!(out[0], vec![M::Header("from")]);
        assert_eq!(out[3], vec![M::Header("subject")]);
        assert_eq!(out[4], vec![M::HeadersEnd]);
        assert_eq!(out[5], Vec::<MessageLine>::new());
        assert_eq!(out[6], vec![M::DotStuffed]);
        assert_eq!(out[7], vec![M::End { lines: 7 }]);
    }

    #[test]
    fn missing_blank_line_and_from() {
        let out = run(&["Subject: hi", "hello world", "."]);
        assert_eq!(out[1], vec![M::MissingBlankLine, M::MissingFrom]);
        assert_eq!(out[2], vec![M::End { lines: 2 }]);
        let out = run(&["hello", "."]);
        assert_eq!(
            out[0],
            vec![M::MissingBlankLine, M::MissingFrom, M::MissingSubject]
        );
        let out = run(&["Subject: 你好", "X-Mailer: telnet", "", "."]);
        assert_eq!(out[0], vec![M::Header("subject"), M::RawNonAscii]);
        assert_eq!(out[1], vec![M::OtherHeader("X-Mailer".into())]);
        assert_eq!(out[2], vec![M::HeadersEnd, M::MissingFrom]);
    }
}
