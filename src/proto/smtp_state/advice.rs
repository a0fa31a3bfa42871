//! What the session suggests next, and what the server would probably answer to a command
//! sent out of sequence (the buttons' tooltips and the transcript's predictions).

use super::*;

/// The server's most likely answer to a command sent out of sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    pub code: u16,
    pub enhanced: Option<&'static str>,
    pub reason: Words,
    /// What should come first.
    pub needed: Option<Step>,
}

impl SmtpSession {
    /// The steps that make sense now, most expected first.
    pub fn expected_next(&self) -> Vec<Step> {
        use CommandKind as K;
        let cmd = Step::Command;
        if !self.connected {
            return vec![Step::Connect];
        }
        if self.quit_sent || self.greeting == Greeting::Refused {
            return vec![Step::Connect];
        }
        if self.greeting == Greeting::Waiting {
            return vec![Step::WaitForGreeting];
        }
        if self.tls_pending {
            return vec![Step::TlsHandshake];
        }
        if let Some(a) = self.auth {
            return match a.asked {
                None => vec![Step::WaitForReply],
                Some(PromptKind::Password) => vec![Step::SendPassword],
                Some(PromptKind::Empty) if a.plain => vec![Step::SendPlainResponse],
                // AUTH LOGIN takes the username first and the password second, whatever the
                // second prompt says ("passwd:", or "Username:" again).
                Some(_) if a.answers > 0 && !a.plain => vec![Step::SendPassword],
                Some(PromptKind::Username) => vec![Step::SendUsername],
                Some(_) => vec![Step::SendUsername, Step::SendPassword],
            };
        }
        if self.data == DataPhase::Open {
            return vec![Step::SendMessage];
        }
        if !self.pending.is_empty() && !self.caps.as_ref().is_some_and(|c| c.pipelining) {
            return vec![Step::WaitForReply];
        }
        let Some(hello) = self.hello else {
            return vec![cmd(K::Ehlo), cmd(K::Helo)];
        };
        if self.mail && self.rcpts > 0 {
            return vec![cmd(K::Data), cmd(K::RcptTo), cmd(K::Rset)];
        }
        if self.mail {
            return vec![cmd(K::RcptTo), cmd(K::Rset)];
        }
        let mut out = Vec::new();
        if !self.authenticated {
            let caps = self.caps.as_ref();
            let auth_offered = caps.is_some_and(|c| !c.auth.is_empty());
            let tls_offered = caps.is_some_and(|c| c.starttls) && !self.tls;
            if tls_offered && !auth_offered {
                out.push(cmd(K::StartTls));
            }
            // After HELO nothing is advertised, yet the tutorials' servers still take AUTH LOGIN.
            if auth_offered || hello == K::Helo {
                out.push(cmd(K::AuthLogin));
                out.push(cmd(K::AuthPlain));
            }
            if tls_offered && auth_offered {
                out.push(cmd(K::StartTls));
            }
        }
        // After a delivered message the lesson ends with QUIT; another mail is the choice.
        if self.delivered {
            out.extend([cmd(K::Quit), cmd(K::MailFrom)]);
        } else {
            out.extend([cmd(K::MailFrom), cmd(K::Quit)]);
        }
        out
    }

    /// Whether `kind` is out of sequence now; if so, what the server will likely answer.
    pub fn check(&self, kind: CommandKind) -> Option<Prediction> {
        use CommandKind as K;
        let p = |code, enhanced, key: &'static str, needed| {
            Some(Prediction {
                code,
                enhanced,
                reason: Words::new(key),
                needed,
            })
        };
        if !self.connected {
            return p(0, None, "smtp.predict.not_connected", Some(Step::Connect));
        }
        if self.greeting == Greeting::Waiting {
            return p(
                554,
                Some("5.5.1"),
                "smtp.predict.before_greeting",
                Some(Step::WaitForGreeting),
            );
        }
        if self.auth.is_some_and(|a| a.asked.is_some()) {
            return p(
                501,
                Some("5.5.2"),
                "smtp.predict.auth_open",
                self.expected_next().first().copied(),
            );
        }
        if self.data == DataPhase::Open {
            return p(0, None, "smtp.predict.in_data", Some(Step::SendMessage));
        }
        let hello_first = |cmd: &str| {
            Some(Prediction {
                code: 503,
                enhanced: Some("5.5.1"),
                reason: Words::new("smtp.predict.hello_first").arg("command", cmd),
                needed: Some(Step::Command(K::Ehlo)),
            })
        };
        let in_tx = self.mail;
        match kind {
            K::Helo | K::Ehlo | K::Rset | K::Noop | K::Help | K::Quit | K::Vrfy | K::Expn => None,
            K::StartTls if self.tls => p(554, Some("5.5.1"), "smtp.predict.tls_active", None),
            K::StartTls if self.hello.is_none() => hello_first("STARTTLS"),
            K::StartTls if self.caps.as_ref().is_some_and(|c| !c.starttls) => {
                p(502, Some("5.5.1"), "smtp.predict.no_starttls", None)
            }
            K::StartTls if in_tx => p(
                503,
                Some("5.5.1"),
                "smtp.predict.starttls_in_tx",
                Some(Step::Command(K::Rset)),
            ),
            K::StartTls => None,
            K::AuthLogin | K::AuthPlain if self.authenticated => p(
                503,
                Some("5.5.1"),
                "smtp.predict.already_auth",
                Some(Step::Command(K::MailFrom)),
            ),
            K::AuthLogin | K::AuthPlain if self.hello.is_none() => hello_first("AUTH"),
            K::AuthLogin | K::AuthPlain if in_tx => p(
                503,
                Some("5.5.1"),
                "smtp.predict.auth_in_tx",
                Some(Step::Command(K::Rset)),
            ),
            K::AuthLogin | K::AuthPlain => {
                let caps = self.caps.as_ref()?;
                let mech = if kind == K::AuthLogin {
                    "LOGIN"
                } else {
                    "PLAIN"
                };
                if caps.auth.is_empty() && caps.starttls && !self.tls {
                    p(
                        530,
                        Some("5.7.0"),
                        "smtp.predict.auth_needs_tls",
                        Some(Step::Command(K::StartTls)),
                    )
                } else if !caps.offers_auth(mech) {
                    Some(Prediction {
                        code: 504,
                        enhanced: Some("5.5.4"),
                        reason: Words::new("smtp.predict.no_mechanism").arg("mechanism", mech),
                        needed: None,
                    })
                } else {
                    None
                }
            }
            K::MailFrom if self.hello.is_none() => hello_first("MAIL FROM"),
            K::MailFrom if in_tx => p(
                503,
                Some("5.5.1"),
                "smtp.predict.nested_mail",
                Some(Step::Command(K::Rset)),
            ),
            K::MailFrom
                if !self.authenticated
                    && self.caps.as_ref().is_some_and(|c| !c.auth.is_empty()) =>
            {
                p(
                    530,
                    Some("5.7.0"),
                    "smtp.predict.auth_required",
                    Some(Step::Command(K::AuthLogin)),
                )
            }
            K::MailFrom => None,
            K::RcptTo if self.hello.is_none() => hello_first("RCPT TO"),
            K::RcptTo if !in_tx => p(
                503,
                Some("5.5.1"),
                "smtp.predict.rcpt_no_mail",
                Some(Step::Command(K::MailFrom)),
            ),
            K::RcptTo => None,
            K::Data | K::Bdat if self.hello.is_none() => hello_first(kind.label()),
            K::Data | K::Bdat if !in_tx => p(
                503,
                Some("5.5.1"),
                "smtp.predict.data_no_mail",
                Some(Step::Command(K::MailFrom)),
            ),
            K::Data | K::Bdat if self.rcpts == 0 => p(
                503,
                Some("5.5.1"),
                "smtp.predict.data_no_rcpt",
                Some(Step::Command(K::RcptTo)),
            ),
            K::Bdat if self.caps.as_ref().is_some_and(|c| !c.chunking) => p(
                502,
                Some("5.5.1"),
                "smtp.predict.no_chunking",
                Some(Step::Command(K::Data)),
            ),
            K::Data | K::Bdat => None,
        }
    }
}
