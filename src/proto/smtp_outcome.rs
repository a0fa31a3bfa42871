//! What the SMTP state machine says: the steps a student can take next and what each reply
//! meant. The words are keys of `assets/i18n/tutor.toml`.

use super::Lang;
use super::auth::PromptKind;
use super::codes;
use super::smtp::CommandKind;
use crate::words::{tr, trf};

/// What the student can do next: a command, or a step inside one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Connect,
    WaitForGreeting,
    WaitForReply,
    TlsHandshake,
    Command(CommandKind),
    SendUsername,
    SendPassword,
    /// The `\0user\0pass` response to an empty `334` after `AUTH PLAIN`.
    SendPlainResponse,
    /// The message text after `354`, ending with a line holding only `.`.
    SendMessage,
}

impl Step {
    fn key(self) -> &'static str {
        match self {
            Step::Connect => "smtp.step.connect",
            Step::WaitForGreeting => "smtp.step.wait_greeting",
            Step::WaitForReply => "smtp.step.wait_reply",
            Step::TlsHandshake => "smtp.step.tls",
            Step::SendUsername => "smtp.step.username",
            Step::SendPassword => "smtp.step.password",
            Step::SendPlainResponse => "smtp.step.plain",
            Step::SendMessage => "smtp.step.message",
            Step::Command(_) => "smtp.step.command",
        }
    }

    /// The step as an instruction: "Send EHLO."
    pub fn describe(self, lang: Lang) -> String {
        match self {
            Step::Command(kind) => trf(lang, self.key(), &[("command", kind.label())]),
            _ => tr(lang, self.key()),
        }
    }

    /// The step as a noun, to name what must come first: "the 220 greeting", "MAIL FROM".
    pub fn noun(self, lang: Lang) -> String {
        match self {
            Step::Command(kind) => kind.label().to_owned(),
            _ => tr(lang, &format!("{}.noun", self.key())),
        }
    }
}

/// What a reply meant, in the terms of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Greeting {
        code: u16,
    },
    Hello {
        ehlo: bool,
        extensions: usize,
    },
    TlsReady,
    AuthPrompt {
        kind: PromptKind,
        decoded: String,
    },
    AuthSucceeded,
    AuthFailed {
        code: u16,
    },
    SenderAccepted,
    RecipientAccepted {
        count: u32,
    },
    DataGo,
    MessageQueued,
    Reset,
    Bye,
    Closing {
        code: u16,
    },
    BadSequence {
        command: CommandKind,
        needed: Option<Step>,
    },
    Refused {
        command: Option<CommandKind>,
        code: u16,
    },
    Done {
        command: Option<CommandKind>,
        code: u16,
    },
}

impl Outcome {
    /// The one line "what just happened".
    pub fn describe(&self, lang: Lang) -> String {
        let meaning = |code: u16| {
            codes::smtp(code)
                .map(|e| e.meaning.get(lang).to_owned())
                .unwrap_or_else(|| code.to_string())
        };
        let cmd = |c: &Option<CommandKind>| c.map(|c| c.label()).unwrap_or("?");
        let with_code = |key: &str, code: u16| {
            trf(
                lang,
                key,
                &[("code", &code.to_string()), ("meaning", &meaning(code))],
            )
        };
        match self {
            Outcome::Greeting { code: 220 } => tr(lang, "smtp.outcome.greeting"),
            Outcome::Greeting { code } => with_code("smtp.outcome.greeting_refused", *code),
            Outcome::Hello {
                ehlo: true,
                extensions,
            } => trf(
                lang,
                "smtp.outcome.ehlo",
                &[("count", &extensions.to_string())],
            ),
            Outcome::Hello { .. } => tr(lang, "smtp.outcome.helo"),
            Outcome::TlsReady => tr(lang, "smtp.outcome.tls_ready"),
            Outcome::AuthPrompt { kind, decoded } => {
                let what = match kind {
                    PromptKind::Username => "smtp.outcome.ask.username",
                    PromptKind::Password => "smtp.outcome.ask.password",
                    PromptKind::Empty => "smtp.outcome.ask.plain",
                    PromptKind::Other => "smtp.outcome.ask.other",
                };
                trf(
                    lang,
                    "smtp.outcome.auth_prompt",
                    &[("decoded", decoded), ("what", &tr(lang, what))],
                )
            }
            Outcome::AuthSucceeded => tr(lang, "smtp.outcome.auth_ok"),
            Outcome::AuthFailed { code } => {
                let key = match code {
                    535 => "smtp.outcome.auth_failed.credentials",
                    530 | 534 | 538 => "smtp.outcome.auth_failed.policy",
                    501 => "smtp.outcome.auth_failed.syntax",
                    454 | 435 => "smtp.outcome.auth_failed.temporary",
                    504 => "smtp.outcome.auth_failed.mechanism",
                    _ => "smtp.outcome.auth_failed.other",
                };
                with_code(key, *code)
            }
            Outcome::SenderAccepted => tr(lang, "smtp.outcome.sender_ok"),
            Outcome::RecipientAccepted { count } => trf(
                lang,
                "smtp.outcome.recipient_ok",
                &[("count", &count.to_string())],
            ),
            Outcome::DataGo => tr(lang, "smtp.outcome.data_go"),
            Outcome::MessageQueued => tr(lang, "smtp.outcome.queued"),
            Outcome::Reset => tr(lang, "smtp.outcome.reset"),
            Outcome::Bye => tr(lang, "smtp.outcome.bye"),
            Outcome::Closing { code } => with_code("smtp.outcome.closing", *code),
            Outcome::BadSequence { command, needed } => match needed {
                Some(step) => trf(
                    lang,
                    "smtp.outcome.bad_sequence",
                    &[("needed", &step.noun(lang)), ("command", command.label())],
                ),
                None => trf(
                    lang,
                    "smtp.outcome.bad_sequence_unknown",
                    &[("command", command.label())],
                ),
            },
            Outcome::Refused { command, code } => trf(
                lang,
                "smtp.outcome.refused",
                &[
                    ("command", cmd(command)),
                    ("code", &code.to_string()),
                    ("meaning", &meaning(*code)),
                ],
            ),
            Outcome::Done { command, code } => trf(
                lang,
                "smtp.outcome.done",
                &[
                    ("command", cmd(command)),
                    ("code", &code.to_string()),
                    ("meaning", &meaning(*code)),
                ],
            ),
        }
    }
}
