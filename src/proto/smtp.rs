//! SMTP commands as typed values with their wire form (RFC 5321 §4.1, RFC 3207, RFC 4954, RFC 1870, RFC 3030).

use std::fmt;

use smtp_proto::Request;

use crate::words::Words;

/// The longest command line, CRLF included (RFC 5321 §4.5.3.1.4).
pub const MAX_COMMAND_LINE: usize = 512;

/// Which command, without its arguments: for buttons, help and sequencing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CommandKind {
    Helo,
    Ehlo,
    StartTls,
    AuthLogin,
    AuthPlain,
    MailFrom,
    RcptTo,
    Data,
    Bdat,
    Rset,
    Noop,
    Vrfy,
    Expn,
    Help,
    Quit,
}

impl CommandKind {
    /// Every command, in the order a session uses them.
    pub const ALL: [CommandKind; 15] = [
        Self::Helo,
        Self::Ehlo,
        Self::StartTls,
        Self::AuthLogin,
        Self::AuthPlain,
        Self::MailFrom,
        Self::RcptTo,
        Self::Data,
        Self::Bdat,
        Self::Rset,
        Self::Noop,
        Self::Vrfy,
        Self::Expn,
        Self::Help,
        Self::Quit,
    ];

    /// The label students see, and the key of the command's help entry.
    pub fn label(self) -> &'static str {
        match self {
            Self::Helo => "HELO",
            Self::Ehlo => "EHLO",
            Self::StartTls => "STARTTLS",
            Self::AuthLogin => "AUTH LOGIN",
            Self::AuthPlain => "AUTH PLAIN",
            Self::MailFrom => "MAIL FROM",
            Self::RcptTo => "RCPT TO",
            Self::Data => "DATA",
            Self::Bdat => "BDAT",
            Self::Rset => "RSET",
            Self::Noop => "NOOP",
            Self::Vrfy => "VRFY",
            Self::Expn => "EXPN",
            Self::Help => "HELP",
            Self::Quit => "QUIT",
        }
    }
}

impl CommandKind {
    /// What a reply to this command answers, in the knowledge's vocabulary.
    pub fn answers(self) -> crate::proto::vocab::Answers {
        use crate::proto::vocab::Answers as A;
        match self {
            Self::Helo => A::Helo,
            Self::Ehlo => A::Ehlo,
            Self::StartTls => A::StartTls,
            Self::AuthLogin | Self::AuthPlain => A::Auth,
            Self::MailFrom => A::Mail,
            Self::RcptTo => A::Rcpt,
            Self::Data => A::Data,
            Self::Bdat => A::Bdat,
            Self::Rset => A::Rset,
            Self::Noop => A::Noop,
            Self::Vrfy => A::Vrfy,
            Self::Expn => A::Expn,
            Self::Help => A::Help,
            Self::Quit => A::Quit,
        }
    }

    /// The command word as servers log it and the situation data names it (`AUTH`, `MAIL`).
    pub fn verb(self) -> &'static str {
        match self {
            Self::AuthLogin | Self::AuthPlain => "AUTH",
            Self::MailFrom => "MAIL",
            Self::RcptTo => "RCPT",
            other => other.label(),
        }
    }

    /// The command a line starts with, read from its first words alone: for a line whose
    /// arguments do not parse (`MAIL FROM:<bad-syntax`), so its reply can still be explained.
    pub fn from_line(line: &str) -> Option<Self> {
        let mut words = line.split_whitespace();
        let first = words.next()?.to_ascii_uppercase();
        let verb = first.split(':').next().unwrap_or("");
        Some(match verb {
            "HELO" => Self::Helo,
            "EHLO" => Self::Ehlo,
            "STARTTLS" => Self::StartTls,
            "AUTH" => match words.next().map(str::to_ascii_uppercase).as_deref() {
                Some("PLAIN") => Self::AuthPlain,
                _ => Self::AuthLogin,
            },
            "MAIL" => Self::MailFrom,
            "RCPT" => Self::RcptTo,
            "DATA" => Self::Data,
            "BDAT" => Self::Bdat,
            "RSET" => Self::Rset,
            "NOOP" => Self::Noop,
            "VRFY" => Self::Vrfy,
            "EXPN" => Self::Expn,
            "HELP" => Self::Help,
            "QUIT" => Self::Quit,
            _ => return None,
        })
    }

    /// A stand-in command of this kind, for a line whose arguments did not parse.
    pub fn placeholder(self) -> SmtpCommand {
        match self {
            Self::Helo => SmtpCommand::Helo(String::new()),
            Self::Ehlo => SmtpCommand::Ehlo(String::new()),
            Self::StartTls => SmtpCommand::StartTls,
            Self::AuthLogin => SmtpCommand::AuthLogin { initial: None },
            Self::AuthPlain => SmtpCommand::AuthPlain { initial: None },
            Self::MailFrom => SmtpCommand::MailFrom {
                path: String::new(),
                size: None,
                body: None,
            },
            Self::RcptTo => SmtpCommand::RcptTo(String::new()),
            Self::Data => SmtpCommand::Data,
            Self::Bdat => SmtpCommand::Bdat {
                size: 0,
                last: false,
            },
            Self::Rset => SmtpCommand::Rset,
            Self::Noop => SmtpCommand::Noop,
            Self::Vrfy => SmtpCommand::Vrfy(String::new()),
            Self::Expn => SmtpCommand::Expn(String::new()),
            Self::Help => SmtpCommand::Help(None),
            Self::Quit => SmtpCommand::Quit,
        }
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The body type declared with `BODY=` (RFC 6152).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyType {
    SevenBit,
    EightBitMime,
}

/// A command argument that cannot go on the wire, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// `what` names the argument by its key in the translation tables (`what.sender`).
pub enum CommandError {
    #[error("{}", self.words())]
    LineBreak { what: &'static str },
    #[error("{}", self.words())]
    Nul { what: &'static str },
    #[error("{}", self.words())]
    Empty { what: &'static str },
    #[error("{}", self.words())]
    Whitespace { what: &'static str },
    #[error("{}", self.words())]
    Brackets { what: &'static str },
    #[error("{}", self.words())]
    TooLong { len: usize },
    #[error("{}", self.words())]
    Unknown(String),
}

impl CommandError {
    pub fn words(&self) -> Words {
        match self {
            Self::LineBreak { what } => Words::new("cmd.line_break").arg_key("what", what),
            Self::Nul { what } => Words::new("cmd.nul").arg_key("what", what),
            Self::Empty { what } => Words::new("cmd.empty").arg_key("what", what),
            Self::Whitespace { what } => Words::new("cmd.space").arg_key("what", what),
            Self::Brackets { what } => Words::new("cmd.brackets").arg_key("what", what),
            Self::TooLong { len } => Words::new("cmd.too_long_smtp").arg("len", len),
            Self::Unknown(line) => Words::new("cmd.unknown_smtp").arg("line", line),
        }
    }
}

fn check_text(what: &'static str, s: &str) -> Result<(), CommandError> {
    if s.contains(['\r', '\n']) {
        return Err(CommandError::LineBreak { what });
    }
    if s.contains('\0') {
        return Err(CommandError::Nul { what });
    }
    Ok(())
}

/// Normalises a mailbox to its path form `<user@example.com>`: brackets are added when
/// missing, surrounding space is trimmed. `<>` (the null reverse-path) is allowed only when
/// `allow_null`.
pub fn normalize_path(
    what: &'static str,
    input: &str,
    allow_null: bool,
) -> Result<String, CommandError> {
    check_text(what, input)?;
    let s = input.trim();
    let inner = match (s.strip_prefix('<'), s.ends_with('>')) {
        (Some(rest), true) => &rest[..rest.len() - 1],
        (None, false) => s,
        _ => return Err(CommandError::Brackets { what }),
    };
    let inner = inner.trim();
    if inner.contains(['<', '>']) {
        return Err(CommandError::Brackets { what });
    }
    if inner.chars().any(char::is_whitespace) {
        return Err(CommandError::Whitespace { what });
    }
    if inner.is_empty() && !allow_null {
        return Err(CommandError::Empty { what });
    }
    Ok(format!("<{inner}>"))
}

/// One SMTP command with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpCommand {
    Helo(String),
    Ehlo(String),
    StartTls,
    /// `AUTH LOGIN`, optionally with the username already in base64 (RFC 4954 §4).
    AuthLogin {
        initial: Option<String>,
    },
    /// `AUTH PLAIN`, optionally with the base64 `\0user\0pass` (RFC 4616).
    AuthPlain {
        initial: Option<String>,
    },
    /// Another SASL mechanism typed by hand.
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
    MailFrom {
        path: String,
        size: Option<u64>,
        body: Option<BodyType>,
    },
    RcptTo(String),
    Data,
    Bdat {
        size: u64,
        last: bool,
    },
    Rset,
    Noop,
    Vrfy(String),
    Expn(String),
    Help(Option<String>),
    Quit,
}

impl SmtpCommand {
    pub fn helo(domain: &str) -> Result<Self, CommandError> {
        Ok(Self::Helo(hello_arg(domain)?))
    }

    pub fn ehlo(domain: &str) -> Result<Self, CommandError> {
        Ok(Self::Ehlo(hello_arg(domain)?))
    }

    pub fn mail_from(address: &str) -> Result<Self, CommandError> {
        Ok(Self::MailFrom {
            path: normalize_path("what.sender", address, true)?,
            size: None,
            body: None,
        })
    }

    pub fn rcpt_to(address: &str) -> Result<Self, CommandError> {
        Ok(Self::RcptTo(normalize_path(
            "what.recipient",
            address,
            false,
        )?))
    }

    pub fn vrfy(arg: &str) -> Result<Self, CommandError> {
        Ok(Self::Vrfy(plain_arg("what.vrfy", arg)?))
    }

    pub fn expn(arg: &str) -> Result<Self, CommandError> {
        Ok(Self::Expn(plain_arg("what.expn", arg)?))
    }

    pub fn help(topic: &str) -> Result<Self, CommandError> {
        check_text("what.help_topic", topic)?;
        let t = topic.trim();
        Ok(Self::Help((!t.is_empty()).then(|| t.to_owned())))
    }

    pub fn kind(&self) -> CommandKind {
        match self {
            Self::Helo(_) => CommandKind::Helo,
            Self::Ehlo(_) => CommandKind::Ehlo,
            Self::StartTls => CommandKind::StartTls,
            Self::AuthLogin { .. } | Self::Auth { .. } => CommandKind::AuthLogin,
            Self::AuthPlain { .. } => CommandKind::AuthPlain,
            Self::MailFrom { .. } => CommandKind::MailFrom,
            Self::RcptTo(_) => CommandKind::RcptTo,
            Self::Data => CommandKind::Data,
            Self::Bdat { .. } => CommandKind::Bdat,
            Self::Rset => CommandKind::Rset,
            Self::Noop => CommandKind::Noop,
            Self::Vrfy(_) => CommandKind::Vrfy,
            Self::Expn(_) => CommandKind::Expn,
            Self::Help(_) => CommandKind::Help,
            Self::Quit => CommandKind::Quit,
        }
    }

    /// The command line without CRLF.
    pub fn line(&self) -> String {
        let with = |verb: &str, arg: &Option<String>| match arg {
            Some(a) => format!("{verb} {a}"),
            None => verb.to_owned(),
        };
        match self {
            Self::Helo(d) => format!("HELO {d}"),
            Self::Ehlo(d) => format!("EHLO {d}"),
            Self::StartTls => "STARTTLS".into(),
            Self::AuthLogin { initial } => with("AUTH LOGIN", initial),
            Self::AuthPlain { initial } => with("AUTH PLAIN", initial),
            Self::Auth { mechanism, initial } => with(&format!("AUTH {mechanism}"), initial),
            Self::MailFrom { path, size, body } => {
                let mut s = format!("MAIL FROM:{path}");
                if let Some(n) = size {
                    s.push_str(&format!(" SIZE={n}"));
                }
                match body {
                    Some(BodyType::SevenBit) => s.push_str(" BODY=7BIT"),
                    Some(BodyType::EightBitMime) => s.push_str(" BODY=8BITMIME"),
                    None => {}
                }
                s
            }
            Self::RcptTo(p) => format!("RCPT TO:{p}"),
            Self::Data => "DATA".into(),
            Self::Bdat { size, last } => {
                format!("BDAT {size}{}", if *last { " LAST" } else { "" })
            }
            Self::Rset => "RSET".into(),
            Self::Noop => "NOOP".into(),
            Self::Vrfy(a) => format!("VRFY {a}"),
            Self::Expn(a) => format!("EXPN {a}"),
            Self::Help(t) => with("HELP", t),
            Self::Quit => "QUIT".into(),
        }
    }

    /// The bytes that go on the wire, CRLF included. Fails when the line is over 512 octets.
    pub fn to_wire(&self) -> Result<Vec<u8>, CommandError> {
        let mut line = self.line().into_bytes();
        line.extend_from_slice(b"\r\n");
        if line.len() > MAX_COMMAND_LINE {
            return Err(CommandError::TooLong { len: line.len() });
        }
        Ok(line)
    }

    /// True when the command's own line carries a secret (an AUTH initial response).
    pub fn carries_secret(&self) -> bool {
        matches!(
            self,
            Self::AuthLogin { initial: Some(_) }
                | Self::AuthPlain { initial: Some(_) }
                | Self::Auth {
                    initial: Some(_),
                    ..
                }
        )
    }

    /// Parses a line a person typed (the raw line box, a pasted transcript) with
    /// smtp-proto's request parser. Case and spacing are forgiven as servers forgive them.
    pub fn parse(line: &str) -> Result<Self, CommandError> {
        let trimmed = line.trim_end_matches(['\r', '\n']);
        check_text("what.command", trimmed)?;
        // VRFY, EXPN and HELP take free text, kept as typed (smtp-proto reads quotes in it, so
        // the command would not print back to itself).
        let (verb, rest) = trimmed
            .trim_start()
            .split_once(char::is_whitespace)
            .unwrap_or((trimmed.trim_start(), ""));
        match verb.to_ascii_uppercase().as_str() {
            "VRFY" => return Self::vrfy(rest),
            "EXPN" => return Self::expn(rest),
            "HELP" => return Self::help(rest),
            _ => {}
        }
        let wire = format!("{trimmed}\r\n");
        let request = Request::parse(&mut wire.as_bytes().iter()).map_err(|e| {
            CommandError::Unknown(format!("{:?} ({e})", super::secret::quoted(trimmed)))
        })?;
        Ok(match request {
            Request::Ehlo { host } => Self::Ehlo(host.into_owned()),
            Request::Helo { host } | Request::Lhlo { host } => Self::Helo(host.into_owned()),
            Request::Mail { from } => Self::MailFrom {
                path: printable_path("MAIL FROM:", trimmed, &from.address)?,
                size: (from.size > 0).then_some(from.size as u64),
                body: if from.flags & smtp_proto::MAIL_BODY_8BITMIME != 0 {
                    Some(BodyType::EightBitMime)
                } else if from.flags & smtp_proto::MAIL_BODY_7BIT != 0 {
                    Some(BodyType::SevenBit)
                } else {
                    None
                },
            },
            Request::Rcpt { to } => Self::RcptTo(printable_path("RCPT TO:", trimmed, &to.address)?),
            Request::Bdat {
                chunk_size,
                is_last,
            } => Self::Bdat {
                size: chunk_size as u64,
                last: is_last,
            },
            Request::Auth {
                mechanism,
                initial_response,
            } => {
                let initial = (!initial_response.is_empty()).then(|| initial_response.into_owned());
                // The name as written decides too: smtp-proto does not know a mechanism it
                // finds behind odd whitespace, which would not print back to itself.
                let name = trimmed
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("?")
                    .to_ascii_uppercase();
                match mechanism {
                    smtp_proto::AUTH_LOGIN => Self::AuthLogin { initial },
                    smtp_proto::AUTH_PLAIN => Self::AuthPlain { initial },
                    _ if name == "LOGIN" => Self::AuthLogin { initial },
                    _ if name == "PLAIN" => Self::AuthPlain { initial },
                    _ => Self::Auth {
                        mechanism: name,
                        initial,
                    },
                }
            }
            Request::Noop { .. } => Self::Noop,
            // Trimmed as the constructors trim, so that a command prints back to a line that
            // parses to the same command (smtp-proto keeps the spaces after an unclosed quote).
            Request::Vrfy { value } => Self::Vrfy(value.trim().to_owned()),
            Request::Expn { value } => Self::Expn(value.trim().to_owned()),
            Request::Help { value } => {
                let v = value.trim().to_owned();
                Self::Help((!v.is_empty()).then_some(v))
            }
            Request::StartTls => Self::StartTls,
            Request::Data => Self::Data,
            Request::Rset => Self::Rset,
            Request::Quit => Self::Quit,
            Request::Etrn { .. } | Request::Atrn { .. } | Request::Burl { .. } => {
                return Err(CommandError::Unknown(super::secret::quoted(trimmed)));
            }
        })
    }
}

impl fmt::Display for SmtpCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

fn hello_arg(domain: &str) -> Result<String, CommandError> {
    plain_arg("what.domain", domain)
}

/// The `<…>` path of a MAIL or RCPT line exactly as written: smtp-proto hands back the address
/// with quotes taken out, which would not print back to the same command.
fn path_as_written(line: &str) -> Option<String> {
    let start = line.find('<')?;
    // The path ends at the first `>` outside a quoted string (`"a>b"@c` is one local part).
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in line[start..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '>' if !quoted => return Some(line[start..start + i + 1].to_owned()),
            _ => {}
        }
    }
    None
}

/// The path to keep for a MAIL or RCPT line: as written when that prints back to the same
/// address, else `<address>` when that does; a line neither form reproduces (smtp-proto is
/// lenient about quotes and separators) is refused rather than shown as another command.
fn printable_path(verb: &str, line: &str, address: &str) -> Result<String, CommandError> {
    let same = |path: &str| {
        let wire = format!("{verb}{path}\r\n");
        match Request::parse(&mut wire.as_bytes().iter()) {
            Ok(Request::Mail { from }) => from.address == address,
            Ok(Request::Rcpt { to }) => to.address == address,
            _ => false,
        }
    };
    [path_as_written(line), Some(format!("<{address}>"))]
        .into_iter()
        .flatten()
        .find(|p| same(p))
        .ok_or_else(|| CommandError::Unknown(format!("{:?}", super::secret::quoted(line))))
}

fn plain_arg(what: &'static str, arg: &str) -> Result<String, CommandError> {
    check_text(what, arg)?;
    let a = arg.trim();
    if a.is_empty() {
        return Err(CommandError::Empty { what });
    }
    Ok(a.to_owned())
}

/// What the server said it supports in its EHLO reply (RFC 5321 §4.1.1.1), parsed by smtp-proto.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub hostname: String,
    pub size: Option<u64>,
    pub auth: Vec<String>,
    pub starttls: bool,
    pub pipelining: bool,
    pub eight_bit_mime: bool,
    pub smtputf8: bool,
    pub chunking: bool,
    pub dsn: bool,
    pub enhanced_status_codes: bool,
    /// Every keyword line as the server wrote it.
    pub keywords: Vec<String>,
}

impl Capabilities {
    /// Reads the capabilities from the raw bytes of a 250 reply to EHLO.
    pub fn from_ehlo(raw: &[u8]) -> Option<Self> {
        use smtp_proto::*;
        let ehlo = EhloResponse::<String>::parse(&mut raw.iter()).ok()?;
        let has = |c| ehlo.has_capability(c);
        let mechanisms = [
            (AUTH_PLAIN, "PLAIN"),
            (AUTH_LOGIN, "LOGIN"),
            (AUTH_CRAM_MD5, "CRAM-MD5"),
            (AUTH_DIGEST_MD5, "DIGEST-MD5"),
            (AUTH_XOAUTH2, "XOAUTH2"),
            (AUTH_OAUTHBEARER, "OAUTHBEARER"),
            (AUTH_SCRAM_SHA_1, "SCRAM-SHA-1"),
            (AUTH_SCRAM_SHA_256, "SCRAM-SHA-256"),
            (AUTH_NTLM, "NTLM"),
            (AUTH_GSSAPI, "GSSAPI"),
            (AUTH_EXTERNAL, "EXTERNAL"),
            (AUTH_ANONYMOUS, "ANONYMOUS"),
        ];
        let text = String::from_utf8_lossy(raw);
        // One keyword per line; a stray CR or other control character inside a line is not
        // part of any keyword (it would break the line where the tutor shows it).
        let keywords = text
            .lines()
            .skip(1)
            .map(|l| {
                l.get(4..)
                    .unwrap_or("")
                    .replace(|c: char| c.is_control(), " ")
                    .trim()
                    .to_owned()
            })
            .filter(|l| !l.is_empty())
            .collect();
        Some(Self {
            hostname: ehlo
                .hostname
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_owned(),
            size: (has(EXT_SIZE) && ehlo.size > 0).then_some(ehlo.size as u64),
            auth: mechanisms
                .iter()
                .filter(|(bit, _)| ehlo.auth_mechanisms & bit != 0)
                .map(|(_, name)| (*name).to_owned())
                .collect(),
            starttls: has(EXT_START_TLS),
            pipelining: has(EXT_PIPELINING),
            eight_bit_mime: has(EXT_8BIT_MIME),
            smtputf8: has(EXT_SMTP_UTF8),
            chunking: has(EXT_CHUNKING),
            dsn: has(EXT_DSN),
            enhanced_status_codes: has(EXT_ENHANCED_STATUS_CODES),
            keywords,
        })
    }

    pub fn offers_auth(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|m| m.eq_ignore_ascii_case(mechanism))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(c: &SmtpCommand) -> String {
        String::from_utf8(c.to_wire().unwrap_or_default()).unwrap_or_default()
    }

    #[test]
    fn wire_forms() {
        let ok = |r: Result<SmtpCommand, CommandError>| r.unwrap_or(SmtpCommand::Noop);
        assert_eq!(wire(&ok(SmtpCommand::helo("qq.com"))), "HELO qq.com\r\n");
        assert_eq!(wire(&ok(SmtpCommand::ehlo(" fan2 "))), "EHLO fan2\r\n");
        assert_eq!(wire(&SmtpCommand::StartTls), "STARTTLS\r\n");
        assert_eq!(
            wire(&SmtpCommand::AuthLogin { initial: None }),
            "AUTH LOGIN\r\n"
        );
        assert_eq!(
            wire(&SmtpCommand::AuthPlain {
                initial: Some("AGEAYg==".into())
            }),
            "AUTH PLAIN AGEAYg==\r\n"
        );
        assert_eq!(
            wire(&ok(SmtpCommand::mail_from("yours@qq.com"))),
            "MAIL FROM:<yours@qq.com>\r\n"
        );
        assert_eq!(
            wire(&SmtpCommand::MailFrom {
                path: "<a@b>".into(),
                size: Some(1234),
                body: Some(BodyType::EightBitMime)
            }),
            "MAIL FROM:<a@b> SIZE=1234 BODY=8BITMIME\r\n"
        );
        assert_eq!(wire(&ok(SmtpCommand::mail_from("<>"))), "MAIL FROM:<>\r\n");
        assert_eq!(
            wire(&ok(SmtpCommand::rcpt_to(" <2306328146@qq.com> "))),
            "RCPT TO:<2306328146@qq.com>\r\n"
        );
        assert_eq!(wire(&SmtpCommand::Data), "DATA\r\n");
        assert_eq!(
            wire(&SmtpCommand::Bdat {
                size: 100,
                last: true
            }),
            "BDAT 100 LAST\r\n"
        );
        assert_eq!(wire(&ok(SmtpCommand::vrfy("ted"))), "VRFY ted\r\n");
        assert_eq!(wire(&ok(SmtpCommand::expn("staff"))), "EXPN staff\r\n");
        assert_eq!(wire(&ok(SmtpCommand::help(""))), "HELP\r\n");
        assert_eq!(wire(&ok(SmtpCommand::help("DATA"))), "HELP DATA\r\n");
        assert_eq!(wire(&SmtpCommand::Rset), "RSET\r\n");
        assert_eq!(wire(&SmtpCommand::Noop), "NOOP\r\n");
        assert_eq!(wire(&SmtpCommand::Quit), "QUIT\r\n");
    }

    #[test]
    fn injection_rejected() {
        assert_eq!(
            SmtpCommand::rcpt_to("a@b>\r\nRCPT TO:<c@d"),
            Err(CommandError::LineBreak {
                what: "what.recipient"
            })
        );
        assert!(matches!(
            SmtpCommand::ehlo("x\nDATA"),
            Err(CommandError::LineBreak { .. })
        ));
        assert!(matches!(
            SmtpCommand::mail_from("a@b\0"),
            Err(CommandError::Nul { .. })
        ));
        assert!(matches!(
            SmtpCommand::parse("MAIL FROM:<a@b>\rRCPT TO:<c@d>"),
            Err(CommandError::LineBreak { .. })
        ));
    }

    #[test]
    fn address_validation() {
        assert!(matches!(
            SmtpCommand::rcpt_to("<>"),
            Err(CommandError::Empty { .. })
        ));
        assert!(matches!(
            SmtpCommand::rcpt_to("<a@b"),
            Err(CommandError::Brackets { .. })
        ));
        assert!(matches!(
            SmtpCommand::rcpt_to("a b@c"),
            Err(CommandError::Whitespace { .. })
        ));
        assert!(matches!(
            SmtpCommand::ehlo("  "),
            Err(CommandError::Empty { .. })
        ));
        let long = "a".repeat(600);
        assert!(matches!(
            SmtpCommand::rcpt_to(&long).map(|c| c.to_wire()),
            Ok(Err(CommandError::TooLong { .. }))
        ));
    }

    #[test]
    fn parse_typed_lines() {
        let p = |s: &str| SmtpCommand::parse(s).ok();
        assert_eq!(p("helo fan2"), Some(SmtpCommand::Helo("fan2".into())));
        assert_eq!(
            p("auth login"),
            Some(SmtpCommand::AuthLogin { initial: None })
        );
        assert_eq!(
            p("AUTH PLAIN AGEAYg=="),
            Some(SmtpCommand::AuthPlain {
                initial: Some("AGEAYg==".into())
            })
        );
        assert_eq!(
            p("mail from:<phunxm@163.com>"),
            Some(SmtpCommand::MailFrom {
                path: "<phunxm@163.com>".into(),
                size: None,
                body: None
            })
        );
        assert_eq!(
            p("rcpt to:<2306328146@qq.com>\r\n"),
            Some(SmtpCommand::RcptTo("<2306328146@qq.com>".into()))
        );
        assert_eq!(p("data"), Some(SmtpCommand::Data));
        assert_eq!(p("quit"), Some(SmtpCommand::Quit));
        assert_eq!(p("STARTTLS"), Some(SmtpCommand::StartTls));
        assert!(p("hello world").is_none());
    }

    #[test]
    fn capabilities_from_ehlo() {
        let raw = b"250-smtp.qq.com\r\n250-PIPELINING\r\n250-SIZE 73400320\r\n250-STARTTLS\r\n250-AUTH LOGIN PLAIN XOAUTH2\r\n250-AUTH=LOGIN\r\n250-MAILCOMPRESS\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250 DSN\r\n";
        let c = Capabilities::from_ehlo(raw).unwrap_or_default();
        assert_eq!(c.hostname, "smtp.qq.com");
        assert_eq!(c.size, Some(73_400_320));
        assert!(c.starttls && c.pipelining && c.eight_bit_mime && c.smtputf8);
        assert!(c.chunking && c.dsn && c.enhanced_status_codes);
        assert!(c.offers_auth("login") && c.offers_auth("PLAIN") && c.offers_auth("XOAUTH2"));
        assert_eq!(c.keywords.len(), 11);
        let bare = Capabilities::from_ehlo(b"250 mail.example.com\r\n").unwrap_or_default();
        assert_eq!(bare.hostname, "mail.example.com");
        assert!(!bare.starttls && bare.auth.is_empty());
    }
}
