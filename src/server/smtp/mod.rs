//! The practice server's SMTP side as a value fed with bytes (RFC 5321, RFC 3207, RFC 4954,
//! RFC 1870, RFC 3030). Commands are parsed by smtp-proto; no sockets here.

use std::borrow::Cow;
use std::sync::Arc;

use smtp_proto::request::receiver::{BdatReceiver, DataReceiver};
use smtp_proto::{Error as ProtoError, Request};

use super::{Context, Output, ServerSession, Side, StoreRequest, StoreResult};
use crate::proto::auth;
use crate::proto::line::{LineBuffer, LineItem};
use crate::proto::secret;

/// RFC 5321 §4.5.3.1.6: a line is at most 1000 octets with its CRLF.
pub const MAX_SMTP_LINE: usize = 1000;

enum Mode {
    Command,
    /// Inside DATA, until CRLF . CRLF.
    Data {
        rx: DataReceiver,
        buf: Vec<u8>,
        too_big: bool,
    },
    /// Inside a BDAT chunk of a known size.
    Bdat {
        rx: BdatReceiver,
    },
    AuthLoginUser,
    AuthLoginPassword {
        user: String,
    },
    AuthPlain,
    /// After a 554 greeting: only QUIT is answered with anything but 503 (RFC 5321 §3.1).
    Refused,
    /// After a lab's 421 greeting: the next line is read (to see what the program does) and
    /// answered with 221 for QUIT, else 421 again, and the connection closes.
    Closing,
    Closed,
}

/// One SMTP conversation, server side.
pub struct SmtpServerSession {
    ctx: Arc<Context>,
    peer: String,
    lines: LineBuffer,
    mode: Mode,
    helo: Option<String>,
    tls: bool,
    user: Option<String>,
    from: Option<String>,
    rcpts: Vec<String>,
    bdat: Vec<u8>,
    bdat_too_big: bool,
    bdat_discard: bool,
    /// Failed logins on this connection; at [`MAX_AUTH_FAILURES`] the next command gets 421.
    auth_failures: u32,
    /// A message handed to the store whose result has not come back: input waits meanwhile.
    delivering: Option<Delivering>,
    /// Faults staged for this session alone (a lab's attempt), read before the server's.
    own_faults: super::Faults,
}

/// What the reply to a delivery needs to say.
struct Delivering {
    id: String,
    bare_lf: bool,
}

/// Failed AUTH attempts a connection may make before it is closed: guessing passwords costs
/// a new connection every three tries.
pub const MAX_AUTH_FAILURES: u32 = 3;

fn reply(out: &mut Vec<Output>, text: impl Into<String>) {
    let mut s = super::clip_reply_line(&text.into());
    s.push_str("\r\n");
    out.push(Output::Reply(s.into_bytes()));
}

/// `250-a`, `250-b`, `250 c`.
fn multiline(out: &mut Vec<Output>, code: u16, lines: &[String]) {
    let mut s = String::new();
    for (i, l) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
        s.push_str(&super::clip_reply_line(&format!("{code}{sep}{l}")));
        s.push_str("\r\n");
    }
    out.push(Output::Reply(s.into_bytes()));
}

impl SmtpServerSession {
    pub fn new(ctx: Arc<Context>, peer: String, tls: bool) -> Self {
        Self {
            ctx,
            peer,
            lines: LineBuffer::new(MAX_SMTP_LINE),
            mode: Mode::Command,
            helo: None,
            tls,
            user: None,
            from: None,
            rcpts: Vec::new(),
            bdat: Vec::new(),
            bdat_too_big: false,
            bdat_discard: false,
            auth_failures: 0,
            delivering: None,
            own_faults: super::Faults::default(),
        }
    }

    /// Reads this session's own staged faults (a lab's attempt) before the server's.
    pub fn with_faults(mut self, own: super::Faults) -> Self {
        self.own_faults = own;
        self
    }

    fn greeting_fault(&self) -> Option<(u16, bool)> {
        match self.own_faults.greeting() {
            Some(c) => Some((c, true)),
            None => self.ctx.faults.greeting().map(|c| (c, false)),
        }
    }

    pub(super) fn rcpt_fault(&self) -> Option<u16> {
        self.own_faults.rcpt().or_else(|| self.ctx.faults.rcpt())
    }

    pub(super) fn data_fault(&self) -> Option<u16> {
        self.own_faults.data().or_else(|| self.ctx.faults.data())
    }

    fn reset(&mut self) {
        self.from = None;
        self.rcpts.clear();
        self.bdat.clear();
        self.bdat_too_big = false;
    }

    fn feed(&mut self, bytes: &[u8]) -> Vec<Output> {
        let mut out = Vec::new();
        self.lines.push(bytes);
        loop {
            if self.delivering.is_some() {
                return out;
            }
            match &mut self.mode {
                Mode::Closed => return out,
                Mode::Data { .. } | Mode::Bdat { .. } => {
                    let rest = self.lines.take_pending();
                    if !self.body_bytes(&rest, &mut out) {
                        return out;
                    }
                }
                _ => {
                    let Some(item) = self.lines.next_line() else {
                        return out;
                    };
                    let line = match item {
                        LineItem::Line(l) => l,
                        LineItem::TooLong(_) => {
                            self.too_long(&mut out);
                            continue;
                        }
                    };
                    self.line(&line, &mut out);
                    if super::drop_before_handshake(&mut self.lines, &mut out) {
                        return out;
                    }
                }
            }
        }
    }

    fn too_long(&mut self, out: &mut Vec<Output>) {
        out.push(Output::Said(
            Side::Client,
            crate::words::Words::new("srvlog.line_over"),
        ));
        if matches!(
            self.mode,
            Mode::AuthLoginUser | Mode::AuthLoginPassword { .. } | Mode::AuthPlain
        ) {
            self.mode = Mode::Command;
            reply(out, "500 5.5.6 Authentication exchange line is too long");
        } else {
            reply(
                out,
                "500 5.5.6 Error: line too long (RFC 5321 allows 1000 octets)",
            );
        }
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<Output>) {
        match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::AuthLoginUser => return self.auth_login_user(line, out),
            Mode::AuthLoginPassword { user } => return self.auth_login_password(&user, line, out),
            Mode::AuthPlain => return self.auth_plain_response(line, out),
            Mode::Closing => {
                let text = String::from_utf8_lossy(line);
                out.push(Output::Log(
                    Side::Client,
                    secret::shown(text.trim_end(), None),
                ));
                if text.trim().eq_ignore_ascii_case("QUIT") {
                    reply(out, "221 2.0.0 Bye");
                } else {
                    reply(
                        out,
                        format!(
                            "421 4.3.2 {} Service not available, closing transmission channel",
                            self.ctx.hostname
                        ),
                    );
                }
                out.push(Output::Close);
                self.mode = Mode::Closed;
                return;
            }
            Mode::Refused => {
                self.mode = Mode::Refused;
                let text = String::from_utf8_lossy(line);
                out.push(Output::Log(
                    Side::Client,
                    secret::shown(text.trim_end(), None),
                ));
                if text.trim().eq_ignore_ascii_case("QUIT") {
                    reply(out, "221 2.0.0 Bye");
                    out.push(Output::Close);
                    self.mode = Mode::Closed;
                } else {
                    reply(out, "503 5.5.1 Error: no SMTP service here, send QUIT");
                }
                return;
            }
            other => self.mode = other,
        }
        let (_, verb) = super::log_command(line, out);
        // As Postfix does when a session reaches its error limit (smtpd.c,
        // smtpd_hard_error_limit): the next command is answered with 421 and the end.
        if self.auth_failures >= MAX_AUTH_FAILURES {
            reply(
                out,
                format!("421 4.7.0 {} Error: too many errors", self.ctx.hostname),
            );
            out.push(Output::Close);
            self.mode = Mode::Closed;
            return;
        }
        if self.ctx.faults.drop_after(&verb) {
            out.push(Output::Said(
                Side::Note,
                crate::words::Words::new("srvlog.drop_after").arg("verb", &verb),
            ));
            out.push(Output::Close);
            self.mode = Mode::Closed;
            return;
        }
        if let Some((names, rest)) = super::telnet_negotiation(line) {
            let text = super::refuse_telnet(&names, &rest, "SMTP", out);
            return reply(out, format!("500 5.5.2 Error: {text}"));
        }
        // As Postfix's smtpd answers a command that is not UTF-8: nothing in it is guessed at.
        if std::str::from_utf8(line).is_err() {
            return reply(out, "500 5.5.2 Error: bad UTF-8 syntax");
        }
        let mut wire = line.to_vec();
        if !wire.ends_with(b"\n") {
            wire.push(b'\n');
        }
        match Request::parse(&mut wire.iter()) {
            Ok(req) => self.request(req, out),
            Err(e) => reply(out, error_reply(&verb, &e)),
        }
    }
}

impl ServerSession for SmtpServerSession {
    /// The 220 banner, or a staged 421 / 554.
    fn greeting(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        let host = &self.ctx.hostname;
        match self.greeting_fault() {
            Some((421, lab)) => {
                reply(
                    &mut out,
                    format!("421 4.3.2 {host} Service not available, closing transmission channel"),
                );
                if lab {
                    self.mode = Mode::Closing;
                } else {
                    out.push(Output::Close);
                    self.mode = Mode::Closed;
                }
            }
            Some(_) => {
                reply(&mut out, format!("554 5.3.2 {host} No SMTP service here"));
                self.mode = Mode::Refused;
            }
            None => reply(
                &mut out,
                self.ctx
                    .persona_text(|r| r.greeting.as_ref())
                    .unwrap_or_else(|| format!("220 {host} ESMTP mailtutor practice server")),
            ),
        }
        out
    }

    /// The reply to an idle client (RFC 5321 §4.5.3.2).
    fn timeout(&self) -> Vec<u8> {
        format!(
            "421 4.4.2 {} Error: timeout exceeded\r\n",
            self.ctx.hostname
        )
        .into_bytes()
    }

    fn shutdown(&self) -> Vec<u8> {
        format!(
            "421 4.3.2 {} Service shutting down, closing transmission channel\r\n",
            self.ctx.hostname
        )
        .into_bytes()
    }

    /// TLS is up after STARTTLS: forget everything learnt before (RFC 3207 §4.2).
    fn tls_established(&mut self) {
        self.tls = true;
        self.helo = None;
        self.user = None;
        self.reset();
    }

    fn ingest(&mut self, bytes: &[u8]) -> Vec<Output> {
        self.feed(bytes)
    }

    fn store_done(&mut self, result: StoreResult) -> Vec<Output> {
        let mut out = Vec::new();
        self.delivered(result, &mut out);
        out.extend(self.feed(&[]));
        out
    }
}

mod commands;
pub(crate) mod login;
use commands::error_reply;
mod message;
