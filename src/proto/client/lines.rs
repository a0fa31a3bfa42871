//! Reads each line the client sends, once, against the session's state at that moment: a
//! command (typed by a button, or parsed from what was typed), an AUTH answer after a
//! challenge, message text after 354. The state machine takes the line as sent.

use super::Typed;
use super::event::{LineRead, SentLine};
use crate::proto::Protocol;
use crate::proto::auth::{self, Decoded, PromptKind};
use crate::proto::message_lines::MessageLines;
use crate::proto::pop3::{Pop3Command, Pop3Kind};
use crate::proto::pop3_state::Pop3Session;
use crate::proto::reply::Pop3Expect;
use crate::proto::secret;
use crate::proto::smtp::{CommandKind, SmtpCommand};
use crate::proto::smtp_state::{ClientLine, SmtpSession};

/// What the reading keeps between lines.
#[derive(Debug, Default)]
pub(super) struct LineReader {
    pub(super) message: MessageLines,
    /// A password went out as base64 on a plain connection: said once.
    told_base64: bool,
    /// A line went out in clear while a TLS handshake was due: said once per STARTTLS.
    pub(super) told_tls: bool,
}

/// The base64 of an AUTH answer, decoded for showing; `Err(mistake)` when it is none
/// (`mistake`: the line was not empty and not `*`, the cancel).
fn decode_answer(text: &str) -> Result<Decoded, bool> {
    auth::decode(text)
        .map(Decoded::from_bytes)
        .map_err(|_| text != "*" && !text.is_empty())
}

impl LineReader {
    pub(super) fn reset(&mut self) {
        self.message = MessageLines::new();
        self.told_tls = false;
    }

    /// Reads one SMTP line (its ending trimmed to `text`) and records it in `smtp`;
    /// `unprompted` says it answers the AUTH exchange though no challenge was seen.
    pub(super) fn smtp(
        &mut self,
        smtp: &mut SmtpSession,
        raw: &[u8],
        text: &str,
        secret: bool,
        typed: Option<&SmtpCommand>,
        unprompted: bool,
    ) -> SentLine {
        let mut secret = secret;
        let mut before_handshake = false;
        let read = if smtp.in_data() {
            let lines = self.message.line(text);
            if text == "." {
                smtp.on_sent(&ClientLine::Message);
            }
            LineRead::Message(lines)
        } else if let Some(kind) = smtp.auth_prompt() {
            // A secret is what the client sends under AUTH, not what the prompt says.
            secret |= smtp.auth_answer_is_secret() || secret::is_secret(text, Some(kind));
            smtp.on_sent(&ClientLine::AuthResponse);
            self.answer(kind, text, secret, smtp.is_tls())
        } else if unprompted && smtp.awaiting_challenge() {
            secret |= smtp.on_unprompted_answer();
            self.answer(PromptKind::Other, text, secret, smtp.is_tls())
        } else {
            before_handshake = smtp.tls_pending() && !std::mem::replace(&mut self.told_tls, true);
            secret |= secret::is_secret(text, None);
            let parsed = match typed {
                Some(cmd) => Ok(cmd.clone()),
                None => SmtpCommand::parse(text),
            };
            match parsed {
                Ok(cmd) => {
                    let initial = match &cmd {
                        SmtpCommand::AuthPlain { initial: Some(b64) } => auth::decode(b64)
                            .ok()
                            .map(|b| Decoded::from_bytes(b).shown()),
                        _ => None,
                    };
                    if cmd.kind() == CommandKind::Data {
                        self.message = MessageLines::new();
                    }
                    smtp.on_sent(&ClientLine::Command(cmd));
                    LineRead::Command { initial }
                }
                Err(_) => {
                    let kind = CommandKind::from_line(text);
                    smtp.on_sent(&ClientLine::Unparsed(kind));
                    match extension_verb(smtp, text) {
                        Some(verb) if kind.is_none() => LineRead::Extension { verb },
                        _ => LineRead::NotACommand {
                            verb: kind.map(CommandKind::label),
                            protocol: Protocol::Smtp,
                        },
                    }
                }
            }
        };
        SentLine {
            raw: raw.to_vec(),
            secret,
            read,
            before_handshake,
        }
    }

    /// An answer to IMAP's AUTHENTICATE `+`: credentials in base64, never a command.
    pub(super) fn auth_answer(&mut self, text: &str, tls: bool) -> LineRead {
        self.answer(PromptKind::Other, text, true, tls)
    }

    /// An answer to an AUTH challenge of `kind`, decoded.
    fn answer(&mut self, kind: PromptKind, text: &str, secret: bool, tls: bool) -> LineRead {
        match decode_answer(text) {
            Ok(decoded) => {
                let base64_in_clear =
                    secret && !tls && !std::mem::replace(&mut self.told_base64, true);
                LineRead::AuthAnswer {
                    kind,
                    echo_newline: decoded.to_string().ends_with('\n'),
                    decoded: Some(decoded.shown()),
                    not_base64: false,
                    base64_in_clear,
                }
            }
            Err(mistake) => LineRead::AuthAnswer {
                kind,
                decoded: None,
                not_base64: mistake,
                echo_newline: false,
                base64_in_clear: false,
            },
        }
    }

    /// Reads one POP3 line and records it in `pop3`; with the shape of its response (a body
    /// or not).
    pub(super) fn pop3(
        &mut self,
        pop3: &mut Pop3Session,
        raw: &[u8],
        text: &str,
        secret: bool,
        typed: Option<&Pop3Command>,
    ) -> (SentLine, Pop3Expect) {
        let mut expect = Pop3Expect::SingleLine;
        let mut secret = secret;
        let before_handshake = pop3.tls_pending() && !std::mem::replace(&mut self.told_tls, true);
        let read = if pop3.awaiting_sasl() {
            // The answer to an AUTH challenge: credentials in base64, never a command.
            pop3.on_sasl_answer();
            secret = true;
            let decoded = decode_answer(text);
            LineRead::AuthAnswer {
                kind: PromptKind::Other,
                not_base64: decoded.as_ref().err().copied().unwrap_or(false),
                decoded: decoded.ok().map(|d| d.shown()),
                echo_newline: false,
                base64_in_clear: false,
            }
        } else {
            let parsed = match typed {
                Some(cmd) => Ok(cmd.clone()),
                None => Pop3Command::parse(text),
            };
            match parsed {
                Ok(cmd) => {
                    secret |= secret::is_secret(text, None);
                    expect = cmd.expect();
                    pop3.on_sent(&cmd);
                    LineRead::Command { initial: None }
                }
                Err(_) => {
                    let kind = Pop3Kind::from_line(text);
                    // AUTH (RFC 5034) is a POP3 command, though not one of the lesson's.
                    let sasl_auth = text
                        .split_whitespace()
                        .next()
                        .is_some_and(|v| v.eq_ignore_ascii_case("AUTH"));
                    // AUTH alone asks some servers for their mechanisms: no login follows.
                    if sasl_auth && text.split_whitespace().nth(1).is_some() {
                        pop3.on_sent_auth();
                    } else {
                        pop3.on_sent_unknown(kind);
                    }
                    if sasl_auth {
                        LineRead::SaslCommand
                    } else {
                        LineRead::NotACommand {
                            verb: kind.map(Pop3Kind::label),
                            protocol: Protocol::Pop3,
                        }
                    }
                }
            }
        };
        let line = SentLine {
            raw: raw.to_vec(),
            secret,
            read,
            before_handshake,
        };
        (line, expect)
    }
}

/// The verb of a line that names an SMTP extension command: one the server's EHLO reply
/// offered (`250-XCLIENT ADDR`, `250-ETRN`), or a private one (RFC 5321 §4.1.5: it begins
/// with X).
fn extension_verb(smtp: &SmtpSession, text: &str) -> Option<String> {
    let verb = text.split_whitespace().next()?;
    if verb.len() < 2 || !verb.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-') {
        return None;
    }
    let offered = smtp.capabilities().is_some_and(|c| {
        c.keywords.iter().any(|k| {
            k.split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(verb))
        })
    });
    let private = verb.len() > 2 && verb.as_bytes()[0].eq_ignore_ascii_case(&b'X');
    (offered || private).then(|| verb.to_ascii_uppercase())
}

/// The typed command for the `i`th line of a write, when the write's lines are exactly its
/// typed commands.
pub(super) fn typed_for(typed: &[Typed], lines: usize, i: usize) -> Option<&Typed> {
    (typed.len() == lines).then(|| typed.get(i)).flatten()
}
