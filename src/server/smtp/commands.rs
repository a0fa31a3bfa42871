//! Commands in the transaction: what each one answers, and the recipients.

use super::*;

impl SmtpServerSession {
    pub(super) fn tls_required_text(&self) -> String {
        self.ctx
            .persona_text(|r| r.tls_required.as_ref())
            .unwrap_or_else(|| "530 5.7.0 Must issue a STARTTLS command first".into())
    }

    pub(super) fn request(&mut self, req: Request<Cow<'_, str>>, out: &mut Vec<Output>) {
        let host = self.ctx.hostname.clone();
        let need_tls = self.ctx.policy.get().require_tls && !self.tls;
        match req {
            Request::Ehlo { host: h } | Request::Helo { host: h } | Request::Lhlo { host: h }
                if h.trim().is_empty() =>
            {
                reply(out, "501 5.5.4 Syntax: EHLO hostname");
            }
            Request::Ehlo { host: h } => {
                self.helo = Some(h.into_owned());
                self.reset();
                let mut caps = vec![
                    host.clone(),
                    format!("SIZE {}", self.ctx.limits.max_message_size),
                    "8BITMIME".into(),
                    "PIPELINING".into(),
                    "ENHANCEDSTATUSCODES".into(),
                    "SMTPUTF8".into(),
                    "CHUNKING".into(),
                    "HELP".into(),
                ];
                if self.ctx.tls_available && !self.tls {
                    caps.push("STARTTLS".into());
                }
                // Like Postfix's smtpd_tls_auth_only: no AUTH on a plain link when TLS is required.
                if !need_tls {
                    caps.push("AUTH LOGIN PLAIN".into());
                }
                multiline(out, 250, &caps);
            }
            Request::Helo { host: h } | Request::Lhlo { host: h } => {
                self.helo = Some(h.into_owned());
                self.reset();
                reply(out, format!("250 {host}"));
            }
            Request::StartTls => {
                if !self.ctx.tls_available {
                    reply(out, "502 5.5.1 Error: STARTTLS is not available here");
                } else if self.tls {
                    reply(out, "554 5.5.1 Error: TLS already active");
                } else if self.helo.is_none() {
                    reply(out, "503 5.5.1 Error: send HELO/EHLO first");
                } else if self.from.is_some() {
                    reply(out, "503 5.5.1 Error: MAIL transaction in progress");
                } else {
                    reply(out, "220 2.0.0 Ready to start TLS");
                    out.push(Output::StartTls);
                }
            }
            Request::Auth {
                mechanism,
                initial_response,
            } => self.auth(mechanism, &initial_response, out),
            Request::Mail { from } => {
                if self.helo.is_none() {
                    reply(out, "503 5.5.1 Error: send HELO/EHLO first");
                } else if need_tls {
                    reply(out, self.tls_required_text());
                } else if self.ctx.policy.get().require_auth && self.user.is_none() {
                    reply(
                        out,
                        self.ctx
                            .persona_text(|r| r.auth_required.as_ref())
                            .unwrap_or_else(|| "530 5.7.0 Authentication required".into()),
                    );
                } else if self.from.is_some() {
                    reply(out, "503 5.5.1 Error: nested MAIL command");
                } else if from.size > self.ctx.limits.max_message_size {
                    reply(out, "552 5.3.4 Message size exceeds fixed limit");
                } else {
                    self.from = Some(from.address.into_owned());
                    reply(out, "250 2.1.0 Ok");
                }
            }
            Request::Rcpt { to } => self.rcpt(&to.address, out),
            Request::Data => {
                if let Some(err) = self.transaction_error() {
                    reply(out, err);
                } else {
                    reply(out, "354 End data with <CR><LF>.<CR><LF>");
                    let mut rx = DataReceiver::new();
                    let mut buf = Vec::new();
                    // Prime with CRLF so a first line of "." ends the data and a first line
                    // starting with "." is unstuffed (RFC 5321 §4.5.2).
                    rx.ingest(&mut b"\r\n".iter(), &mut buf);
                    self.mode = Mode::Data {
                        rx,
                        buf,
                        too_big: false,
                    };
                }
            }
            Request::Bdat {
                chunk_size,
                is_last,
            } => {
                let refused = self.transaction_error();
                if let Some(err) = refused {
                    reply(out, err);
                }
                // The chunk follows on the wire either way; a refused one is read and dropped.
                self.bdat_discard = refused.is_some();
                self.mode = Mode::Bdat {
                    rx: BdatReceiver::new(chunk_size, is_last),
                };
            }
            Request::Rset => {
                self.reset();
                reply(out, "250 2.0.0 Ok");
            }
            Request::Noop { .. } => reply(out, "250 2.0.0 Ok"),
            Request::Vrfy { .. } => reply(
                out,
                "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery",
            ),
            Request::Expn { .. } => reply(out, "502 5.5.1 EXPN is not available"),
            Request::Help { .. } => multiline(
                out,
                214,
                &[
                    "2.0.0 mailtutor practice server. Commands:".into(),
                    "2.0.0 HELO EHLO STARTTLS AUTH MAIL RCPT DATA BDAT".into(),
                    "2.0.0 RSET NOOP VRFY EXPN HELP QUIT".into(),
                    "2.0.0 End of HELP info".into(),
                ],
            ),
            Request::Quit => {
                reply(out, format!("221 2.0.0 {host} Bye"));
                out.push(Output::Close);
                self.mode = Mode::Closed;
            }
            Request::Etrn { .. } | Request::Atrn { .. } | Request::Burl { .. } => {
                reply(out, "502 5.5.1 Error: command not implemented");
            }
        }
    }

    /// Why DATA/BDAT cannot start now (RFC 5321 §4.1.4).
    pub(super) fn transaction_error(&self) -> Option<&'static str> {
        if self.helo.is_none() {
            Some("503 5.5.1 Error: send HELO/EHLO first")
        } else if self.from.is_none() {
            Some("503 5.5.1 Error: need MAIL command")
        } else if self.rcpts.is_empty() {
            Some("503 5.5.1 Error: need RCPT command")
        } else {
            None
        }
    }

    pub(super) fn rcpt(&mut self, address: &str, out: &mut Vec<Output>) {
        if self.from.is_none() {
            return reply(out, "503 5.5.1 Error: need MAIL command");
        }
        if self.rcpts.len() >= self.ctx.limits.max_recipients {
            return reply(out, "452 4.5.3 Error: too many recipients");
        }
        match self.rcpt_fault() {
            Some(450) => {
                return reply(
                    out,
                    format!(
                        "450 4.2.0 <{address}>: Recipient address rejected: Mailbox busy (staged fault)"
                    ),
                );
            }
            Some(550) => {
                return reply(
                    out,
                    format!(
                        "550 5.1.1 <{address}>: Recipient address rejected: User unknown (staged fault)"
                    ),
                );
            }
            Some(_) => {
                return reply(out, "452 4.3.1 Insufficient system storage (staged fault)");
            }
            None => {}
        }
        let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        if !self.ctx.accounts.serves_domain(domain) {
            return reply(out, format!("550 5.7.1 <{address}>: Relay access denied"));
        }
        let Some(account) = self.ctx.accounts.get(address) else {
            return reply(
                out,
                format!(
                    "550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"
                ),
            );
        };
        // Each RCPT counts toward the limit; a recipient named twice gets the message once
        // (see `finish_message`).
        self.rcpts.push(account.address.clone());
        reply(out, "250 2.1.5 Ok");
    }
}

/// The reply to a line smtp-proto could not parse.
pub(super) fn error_reply(verb: &str, e: &ProtoError) -> String {
    match e {
        ProtoError::SyntaxError { .. } if verb == "MAIL" => {
            "553 5.1.7 Error: bad sender address syntax: write MAIL FROM:<you@example.com>".into()
        }
        ProtoError::SyntaxError { .. } if verb == "RCPT" => {
            "553 5.1.3 Error: bad recipient address syntax: write RCPT TO:<them@example.com>".into()
        }
        ProtoError::UnknownCommand => "500 5.5.2 Error: command not recognized".into(),
        ProtoError::InvalidSenderAddress => "553 5.1.7 Error: bad sender address syntax".into(),
        ProtoError::InvalidRecipientAddress => {
            "553 5.1.3 Error: bad recipient address syntax".into()
        }
        ProtoError::SyntaxError { syntax } => format!("501 5.5.4 Syntax: {syntax}"),
        ProtoError::InvalidParameter { param } => format!("501 5.5.4 Invalid parameter {param}"),
        ProtoError::UnsupportedParameter { param } => {
            format!("555 5.5.4 Unsupported parameter {param}")
        }
        ProtoError::ResponseTooLong => "500 5.5.6 Error: line too long".into(),
        ProtoError::NeedsMoreData { .. } | ProtoError::InvalidResponse { .. } => {
            "501 5.5.2 Error: syntax error".into()
        }
    }
}
