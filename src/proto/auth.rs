//! Base64 and SASL helpers shared by the AUTH steps and the base64 panel (RFC 4648, RFC 4954, RFC 4616).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Encodes bytes as standard base64 with padding, as AUTH expects.
pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Why a string is not valid base64, in words a student can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Base64Error {
    #[error("{}", self.words())]
    InvalidChar { ch: char, pos: usize },
    #[error("{}", self.words())]
    InvalidLength { len: usize },
    #[error("{}", self.words())]
    InvalidLastSymbol { ch: char, pos: usize },
    #[error("{}", self.words())]
    InvalidPadding { pos: usize },
    #[error("{}", self.words())]
    Empty,
}

impl Base64Error {
    pub fn words(&self) -> crate::words::Words {
        use crate::words::Words;
        match self {
            Self::InvalidChar { ch, pos } => Words::new("base64.invalid_char")
                .arg("ch", format!("{ch:?}"))
                .arg("pos", pos),
            Self::InvalidLength { len } => Words::new("base64.invalid_length").arg("len", len),
            Self::InvalidLastSymbol { ch, pos } => Words::new("base64.invalid_last")
                .arg("ch", format!("{ch:?}"))
                .arg("pos", pos),
            Self::InvalidPadding { pos } => Words::new("base64.invalid_padding").arg("pos", pos),
            Self::Empty => Words::new("base64.empty"),
        }
    }
}

/// The length of a base64 line in a MIME body (RFC 2045 §6.8: at most 76 characters).
pub const MIME_LINE: usize = 76;

/// Base64 in lines of [`MIME_LINE`] characters, as a MIME body carries an attachment
/// (RFC 2045 §6.8); the last line may be shorter.
pub fn encode_lines(bytes: &[u8]) -> Vec<String> {
    let all = encode(bytes);
    all.as_bytes()
        .chunks(MIME_LINE)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// Decodes base64, ignoring surrounding whitespace. Missing padding is tolerated
/// (servers and students both omit it); anything else wrong is reported with its position.
pub fn decode(input: &str) -> Result<Vec<u8>, Base64Error> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(Base64Error::Empty);
    }
    let lead = input.len() - input.trim_start().len();
    let char_at = |pos: usize| trimmed[pos..].chars().next().unwrap_or('?');
    for (pos, ch) in trimmed.char_indices() {
        if !(ch.is_ascii_alphanumeric() || ch == '+' || ch == '/' || ch == '=') {
            return Err(Base64Error::InvalidChar {
                ch,
                pos: lead + trimmed[..pos].chars().count(),
            });
        }
    }
    let body = trimmed.trim_end_matches('=');
    if let Some(pos) = body.find('=') {
        return Err(Base64Error::InvalidPadding { pos: lead + pos });
    }
    let pad = trimmed.len() - body.len();
    if pad > 2 || (pad > 0 && !trimmed.len().is_multiple_of(4)) {
        return Err(Base64Error::InvalidPadding {
            pos: lead + body.len(),
        });
    }
    if body.len() % 4 == 1 {
        return Err(Base64Error::InvalidLength { len: trimmed.len() });
    }
    let mut padded = body.to_owned();
    while !padded.len().is_multiple_of(4) {
        padded.push('=');
    }
    STANDARD.decode(&padded).map_err(|e| match e {
        base64::DecodeError::InvalidLastSymbol { offset, .. } => Base64Error::InvalidLastSymbol {
            ch: char_at(offset),
            pos: lead + offset,
        },
        base64::DecodeError::InvalidByte(pos, _) => Base64Error::InvalidChar {
            ch: char_at(pos),
            pos: lead + pos,
        },
        base64::DecodeError::InvalidLength(len) => Base64Error::InvalidLength { len },
        base64::DecodeError::InvalidPadding => Base64Error::InvalidPadding {
            pos: lead + body.len(),
        },
    })
}

/// Decoded bytes as a person should see them: text when they are UTF-8, hex otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Text(String),
    Binary(Vec<u8>),
}

impl Decoded {
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        match String::from_utf8(bytes) {
            Ok(s)
                if !s
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n')) =>
            {
                Self::Text(s)
            }
            Ok(s) => Self::Binary(s.into_bytes()),
            Err(e) => Self::Binary(e.into_bytes()),
        }
    }

    /// Like [`fmt::Display`], but NUL bytes (the AUTH PLAIN separator) shown as `\0`.
    pub fn shown(&self) -> String {
        match self {
            // A line break in a decoded answer is a mistake worth seeing (echo without -n).
            Self::Text(s) => s.replace('\r', "\\r").replace('\n', "\\n"),
            Self::Binary(b) if b.contains(&0) && std::str::from_utf8(b).is_ok() => {
                String::from_utf8_lossy(b).replace('\0', "\\0")
            }
            Self::Binary(b) => hex(b),
        }
    }
}

impl fmt::Display for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(s) => f.write_str(s),
            Self::Binary(b) => f.write_str(&hex(b)),
        }
    }
}

/// `de ad be ef` style hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a server's `334` challenge asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Username,
    Password,
    /// Empty challenge: send the initial response (AUTH PLAIN without one, RFC 4954 §4).
    Empty,
    Other,
}

/// A decoded `334` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub decoded: Decoded,
}

/// Decodes the text of a `334` reply. Servers word the prompt differently
/// (`Username:`, `username:`, `User Name\0`, `Password\0`), so match loosely.
pub fn decode_prompt(challenge: &str) -> Result<Prompt, Base64Error> {
    let challenge = challenge.trim();
    if challenge.is_empty() {
        return Ok(Prompt {
            kind: PromptKind::Empty,
            decoded: Decoded::Text(String::new()),
        });
    }
    let bytes = decode(challenge)?;
    let folded: String = String::from_utf8_lossy(&bytes)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let kind = if folded.starts_with("username") || folded == "user" || folded.starts_with("login")
    {
        PromptKind::Username
    } else if folded.starts_with("password") || folded == "pass" {
        PromptKind::Password
    } else {
        PromptKind::Other
    };
    Ok(Prompt {
        kind,
        decoded: Decoded::from_bytes(bytes),
    })
}

/// The AUTH PLAIN message `authzid \0 authcid \0 passwd` (RFC 4616 §2), not yet encoded.
pub fn plain_message(authzid: &str, user: &str, password: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(authzid.len() + user.len() + password.len() + 2);
    out.extend_from_slice(authzid.as_bytes());
    out.push(0);
    out.extend_from_slice(user.as_bytes());
    out.push(0);
    out.extend_from_slice(password.as_bytes());
    out
}

/// The base64 AUTH PLAIN initial response for `\0user\0password`.
pub fn plain_response(user: &str, password: &str) -> String {
    encode(&plain_message("", user, password))
}

/// Splits a decoded AUTH PLAIN message back into (authzid, user, password).
pub fn split_plain(bytes: &[u8]) -> Option<(String, String, String)> {
    let mut parts = bytes.split(|&b| b == 0);
    let authz = parts.next()?;
    let user = parts.next()?;
    let pass = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let s = |b: &[u8]| String::from_utf8(b.to_vec()).ok();
    Some((s(authz)?, s(user)?, s(pass)?))
}

/// What a masked secret looks like in transcripts and exports.
pub const MASK: &str = "********";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_lines_are_76_characters_and_decode_back() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let lines = encode_lines(&bytes);
        assert_eq!(
            lines.len(),
            18,
            "1000 bytes are 1336 characters: 17 full lines and one"
        );
        assert!(lines[..17].iter().all(|l| l.len() == MIME_LINE));
        assert_eq!(decode(&lines.concat()), Ok(bytes));
        assert!(encode_lines(b"").is_empty());
    }

    #[test]
    fn tutorial_prompts() {
        let p = decode_prompt("VXNlcm5hbWU6").ok();
        assert_eq!(p.as_ref().map(|p| &p.kind), Some(&PromptKind::Username));
        assert_eq!(
            p.map(|p| p.decoded),
            Some(Decoded::Text("Username:".into()))
        );
        let p = decode_prompt("UGFzc3dvcmQ6").ok();
        assert_eq!(p.map(|p| p.kind), Some(PromptKind::Password));
        // 163.com's lower-case prompt, as in the 163 tutorial.
        let p = decode_prompt("dXNlcm5hbWU6").ok();
        assert_eq!(
            p.map(|p| (p.kind, p.decoded.to_string())),
            Some((PromptKind::Username, "username:".into()))
        );
    }

    #[test]
    fn nonstandard_prompts() {
        // aiosmtpd says "User Name\0" and "Password\0".
        let p = decode_prompt("VXNlciBOYW1lAA==").ok();
        assert_eq!(p.as_ref().map(|p| &p.kind), Some(&PromptKind::Username));
        assert_eq!(p.map(|p| p.decoded.shown()), Some("User Name\\0".into()));
        assert_eq!(
            decode_prompt("UGFzc3dvcmQA").ok().map(|p| p.kind),
            Some(PromptKind::Password)
        );
        assert_eq!(
            decode_prompt("").ok().map(|p| p.kind),
            Some(PromptKind::Empty)
        );
        assert_eq!(
            decode_prompt(&encode(b"Your token?")).ok().map(|p| p.kind),
            Some(PromptKind::Other)
        );
    }

    #[test]
    fn tutorial_usernames() {
        assert_eq!(encode(b"phunxm@163.com"), "cGh1bnhtQDE2My5jb20=");
        assert_eq!(decode("aXR4aWFvd2VpNzU1"), Ok(b"itxiaowei755".to_vec()));
        assert_eq!(
            decode("c2VydmljZUBoZWVwLmNx"),
            Ok(b"service@heep.cq".to_vec())
        );
    }

    #[test]
    fn missing_padding_tolerated() {
        assert_eq!(
            decode("cGh1bnhtQDE2My5jb20"),
            Ok(b"phunxm@163.com".to_vec())
        );
        assert_eq!(decode("  UGFzc3dvcmQ6 \r\n"), Ok(b"Password:".to_vec()));
    }

    #[test]
    fn errors_say_where_and_why() {
        assert_eq!(
            decode("VXNl!m5hbWU6"),
            Err(Base64Error::InvalidChar { ch: '!', pos: 4 })
        );
        assert_eq!(
            decode("用户"),
            Err(Base64Error::InvalidChar { ch: '用', pos: 0 })
        );
        assert_eq!(decode("VXNlc"), Err(Base64Error::InvalidLength { len: 5 }));
        assert_eq!(
            decode("VX=lcm5h"),
            Err(Base64Error::InvalidPadding { pos: 2 })
        );
        assert!(matches!(
            decode("VXNlcn"),
            Err(Base64Error::InvalidLastSymbol { ch: 'n', pos: 5 })
        ));
        assert_eq!(decode("   "), Err(Base64Error::Empty));
        let msg = decode("VXNl!m5hbWU6")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("position 4"), "{msg}");
    }

    #[test]
    fn non_utf8_shown_as_hex() {
        let d = Decoded::from_bytes(vec![0xff, 0x00, 0x41]);
        assert_eq!(d.to_string(), "ff 00 41");
        let d = Decoded::from_bytes(decode("//8=").unwrap_or_default());
        assert_eq!(d, Decoded::Binary(vec![0xff, 0xff]));
    }

    #[test]
    fn plain_builder_and_split() {
        let msg = plain_message("", "student@mailtutor.test", "secret");
        assert_eq!(msg, b"\0student@mailtutor.test\0secret".to_vec());
        let enc = plain_response("student@mailtutor.test", "secret");
        assert_eq!(enc, "AHN0dWRlbnRAbWFpbHR1dG9yLnRlc3QAc2VjcmV0");
        let back = decode(&enc).ok().and_then(|b| split_plain(&b));
        assert_eq!(
            back,
            Some((
                String::new(),
                "student@mailtutor.test".into(),
                "secret".into()
            ))
        );
        assert_eq!(
            Decoded::from_bytes(msg).shown(),
            "\\0student@mailtutor.test\\0secret"
        );
        assert_eq!(split_plain(b"a\0b"), None);
    }

    #[test]
    fn chinese_round_trip() {
        let e = encode("学生@例子.中国".as_bytes());
        assert_eq!(
            decode(&e).ok().map(Decoded::from_bytes),
            Some(Decoded::Text("学生@例子.中国".into()))
        );
    }
}
