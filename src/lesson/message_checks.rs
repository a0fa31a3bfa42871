//! What a lesson checks in a message typed by hand: a line sent as MIME reads it, and an
//! attachment that arrived whole.

/// Whether a line sent is the line a step wants: a header field compared without white space
/// and with its name and parameters in any case; any other line (a boundary) exactly, but for
/// trailing white space.
pub(super) fn same_line(sent: &str, want: &str) -> bool {
    let (sent, want) = (sent.trim_end(), want.trim_end());
    let header = |s: &str| {
        s.split_once(':')
            .filter(|(name, _)| !name.is_empty() && !name.contains(char::is_whitespace))
            .is_some()
    };
    if header(want) && header(sent) {
        let squash = |s: &str| {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase()
        };
        squash(sent) == squash(want)
    } else {
        sent == want
    }
}

/// The decoded size of the message's attachment named `name` (`*`: any), when its body is
/// base64 (RFC 2045 §6.8) that decodes with nothing left over or out of place.
pub fn intact_attachment(message: &[u8], name: &str) -> Option<usize> {
    use mail_parser::MimeHeaders;
    let parsed = mail_parser::MessageParser::default().parse(message)?;
    parsed.parts.iter().find_map(|part| {
        let named = part.attachment_name()?;
        if name != "*" && named != name {
            return None;
        }
        if part.encoding != mail_parser::Encoding::Base64 || part.is_encoding_problem {
            return None;
        }
        let (from, to) = (part.offset_body as usize, part.offset_end as usize);
        let raw = message.get(from..to.min(message.len()))?;
        let text: String = String::from_utf8_lossy(raw)
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let bytes = crate::proto::auth::decode(&text).ok()?;
        (!bytes.is_empty()).then_some(bytes.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_line_is_compared_as_mime_reads_it() {
        let want = "Content-Type: multipart/mixed; boundary=\"frontier\"";
        assert!(same_line(want, want));
        assert!(same_line(
            "content-type:multipart/mixed;boundary=\"frontier\"  ",
            want
        ));
        assert!(!same_line("Content-Type: multipart/mixed", want));
        assert!(same_line("--frontier", "--frontier"));
        assert!(!same_line("--Frontier", "--frontier"));
        assert!(!same_line("-- frontier", "--frontier"));
        assert!(!same_line("--frontier--", "--frontier"));
    }
}
