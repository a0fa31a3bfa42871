//! The practice server's SMTP side as a value fed with bytes (RFC 5321, RFC 3207, RFC 4954,
//! RFC 1870, RFC 3030). Commands are parsed by smtp-proto; no sockets here.

use std::borrow::Cow;
use std::sync::Arc;

use smtp_proto::request::receiver::{BdatReceiver, DataReceiver};
use smtp_proto::{Error as ProtoError, Request};

use super::{Context, Output, ServerSession, StoreRequest, StoreResult};
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
    let mut s = text.into();
    s.push_str("\r\n");
    out.push(Output::Reply(s.into_bytes()));
}

/// `250-a`, `250-b`, `250 c`.
fn multiline(out: &mut Vec<Output>, code: u16, lines: &[String]) {
    let mut s = String::new();
    for (i, l) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
        s.push_str(&format!("{code}{sep}{l}\r\n"));
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
        }
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
        out.push(Output::Log("C: [line over 1000 octets discarded]".into()));
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

    /// Consumes message bytes; returns true when the message (or chunk) ended and command
    /// mode continues with the bytes left over.
    fn body_bytes(&mut self, bytes: &[u8], out: &mut Vec<Output>) -> bool {
        let max = self.ctx.limits.max_message_size;
        let mut iter = bytes.iter();
        let done = match &mut self.mode {
            Mode::Data { rx, buf, too_big } => {
                let done = rx.ingest(&mut iter, buf);
                if buf.len() > max + 2 {
                    *too_big = true;
                    buf.clear();
                }
                done
            }
            Mode::Bdat { rx } => {
                let done = rx.ingest(&mut iter, &mut self.bdat);
                if self.bdat.len() > max {
                    self.bdat_too_big = true;
                    self.bdat.clear();
                }
                done
            }
            _ => return true,
        };
        let rest = iter.as_slice().to_vec();
        if !done {
            return false;
        }
        match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::Data { buf, too_big, .. } => {
                // The buffer starts with the CRLF used to prime the receiver.
                let message = buf.get(2..).unwrap_or_default().to_vec();
                let lines = message.iter().filter(|&&b| b == b'\n').count();
                out.push(Output::Log(format!(
                    "C: [message: {} octets, {lines} lines] .",
                    message.len()
                )));
                if too_big {
                    self.reset();
                    reply(out, "552 5.3.4 Error: message size exceeds fixed limit");
                } else {
                    self.finish_message(message, out);
                }
            }
            Mode::Bdat { rx } => {
                out.push(Output::Log(format!(
                    "C: [chunk: {} octets so far]",
                    self.bdat.len()
                )));
                if self.bdat_discard {
                    self.bdat_discard = false;
                    self.bdat.clear();
                } else if rx.is_last {
                    let message = std::mem::take(&mut self.bdat);
                    if self.bdat_too_big {
                        self.reset();
                        reply(out, "552 5.3.4 Error: message size exceeds fixed limit");
                    } else {
                        self.finish_message(message, out);
                    }
                } else {
                    reply(
                        out,
                        format!("250 2.0.0 {} octets received", self.bdat.len()),
                    );
                }
            }
            other => self.mode = other,
        }
        self.lines.push(&rest);
        true
    }

    fn finish_message(&mut self, message: Vec<u8>, out: &mut Vec<Output>) {
        let rcpts = std::mem::take(&mut self.rcpts);
        self.reset();
        if self.ctx.faults.reject_data() {
            reply(
                out,
                "554 5.7.1 Message rejected: it looks like spam (staged fault)",
            );
            return;
        }
        let (message, bare_lf) = normalise_crlf(message);
        let id = super::maildir::new_queue_id();
        let proto = match (self.tls, self.user.is_some()) {
            (false, false) => "ESMTP",
            (true, false) => "ESMTPS",
            (false, true) => "ESMTPA",
            (true, true) => "ESMTPSA",
        };
        let mut stored = format!(
            "Received: from {} ({})\r\n\tby {} (mailtutor) with {proto} id {id};\r\n\t{}\r\n",
            self.helo.as_deref().unwrap_or("unknown"),
            self.peer,
            self.ctx.hostname,
            mail_builder::headers::date::Date::now().to_rfc822(),
        )
        .into_bytes();
        stored.extend_from_slice(&message);
        self.delivering = Some(Delivering {
            id: id.clone(),
            bare_lf,
        });
        out.push(Output::Store(StoreRequest::Deliver {
            id,
            recipients: rcpts,
            message: stored,
        }));
    }

    /// The reply to a message once the store has it (or failed to).
    fn delivered(&mut self, result: StoreResult, out: &mut Vec<Output>) {
        let Some(Delivering { id, bare_lf }) = self.delivering.take() else {
            return;
        };
        match result {
            StoreResult::Delivered(Ok(())) if bare_lf => reply(
                out,
                format!(
                    "250 2.0.0 Ok: queued as {id} (bare LF line endings were turned into CRLF)"
                ),
            ),
            StoreResult::Delivered(Ok(())) => reply(out, format!("250 2.0.0 Ok: queued as {id}")),
            other => {
                let why = match other {
                    StoreResult::Delivered(Err(e)) => e,
                    _ => "the store answered something else".into(),
                };
                out.push(Output::Log(format!("delivery failed: {why}")));
                reply(out, "451 4.3.0 Error: queue file write error");
            }
        }
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<Output>) {
        match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::AuthLoginUser => return self.auth_login_user(line, out),
            Mode::AuthLoginPassword { user } => return self.auth_login_password(&user, line, out),
            Mode::AuthPlain => return self.auth_plain_response(line, out),
            Mode::Refused => {
                self.mode = Mode::Refused;
                let text = String::from_utf8_lossy(line);
                out.push(Output::Log(format!(
                    "C: {}",
                    secret::shown(text.trim_end(), None)
                )));
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
        let text = String::from_utf8_lossy(line);
        let shown = text.trim_end_matches(['\r', '\n']);
        let verb = shown
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        out.push(Output::Log(format!("C: {}", secret::shown(shown, None))));
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
            out.push(Output::Log(format!(
                "dropping the connection after {verb} (staged fault)"
            )));
            out.push(Output::Close);
            self.mode = Mode::Closed;
            return;
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

    fn request(&mut self, req: Request<Cow<'_, str>>, out: &mut Vec<Output>) {
        let host = self.ctx.hostname.clone();
        let need_tls = self.ctx.policy.require_tls && !self.tls;
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
                    reply(out, "530 5.7.0 Must issue a STARTTLS command first");
                } else if self.ctx.policy.require_auth && self.user.is_none() {
                    reply(out, "530 5.7.0 Authentication required");
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
    fn transaction_error(&self) -> Option<&'static str> {
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

    fn rcpt(&mut self, address: &str, out: &mut Vec<Output>) {
        if self.from.is_none() {
            return reply(out, "503 5.5.1 Error: need MAIL command");
        }
        if self.rcpts.len() >= self.ctx.limits.max_recipients {
            return reply(out, "452 4.5.3 Error: too many recipients");
        }
        match self.ctx.faults.rcpt() {
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
        if self.ctx.accounts.get(address).is_none() {
            return reply(
                out,
                format!(
                    "550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"
                ),
            );
        }
        self.rcpts.push(address.to_ascii_lowercase());
        reply(out, "250 2.1.5 Ok");
    }

    fn auth(&mut self, mechanism: u64, initial: &str, out: &mut Vec<Output>) {
        if self.helo.is_none() {
            return reply(out, "503 5.5.1 Error: send HELO/EHLO first");
        }
        if self.user.is_some() {
            return reply(out, "503 5.5.1 Error: already authenticated");
        }
        if self.from.is_some() {
            return reply(out, "503 5.5.1 Error: MAIL transaction in progress");
        }
        if self.ctx.policy.require_tls && !self.tls {
            return reply(out, "530 5.7.0 Must issue a STARTTLS command first");
        }
        match mechanism {
            smtp_proto::AUTH_LOGIN if initial.is_empty() => {
                if self.ctx.policy.lowercase_prompt {
                    reply(out, "334 dXNlcm5hbWU6");
                } else {
                    reply(out, "334 VXNlcm5hbWU6");
                }
                self.mode = Mode::AuthLoginUser;
            }
            smtp_proto::AUTH_LOGIN => self.auth_login_user(initial.as_bytes(), out),
            smtp_proto::AUTH_PLAIN if initial.is_empty() => {
                reply(out, "334 ");
                self.mode = Mode::AuthPlain;
            }
            smtp_proto::AUTH_PLAIN => self.auth_plain_response(initial.as_bytes(), out),
            _ => reply(out, "504 5.5.4 Unrecognized authentication type"),
        }
    }

    /// Decodes one AUTH answer; `None` means a reply was already sent.
    fn auth_answer(&mut self, line: &[u8], out: &mut Vec<Output>, secret: bool) -> Option<Vec<u8>> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        out.push(Output::Log(format!(
            "C: {}",
            if secret { auth::MASK } else { text }
        )));
        if text == "*" {
            reply(out, "501 5.0.0 Authentication cancelled");
            return None;
        }
        if text == "=" {
            return Some(Vec::new());
        }
        match auth::decode(text) {
            Ok(bytes) => Some(bytes),
            Err(_) => {
                reply(out, "501 5.5.2 Cannot decode response");
                None
            }
        }
    }

    fn auth_login_user(&mut self, line: &[u8], out: &mut Vec<Output>) {
        let Some(bytes) = self.auth_answer(line, out, false) else {
            return;
        };
        let user = String::from_utf8_lossy(&bytes).into_owned();
        reply(out, "334 UGFzc3dvcmQ6");
        self.mode = Mode::AuthLoginPassword { user };
    }

    fn auth_login_password(&mut self, user: &str, line: &[u8], out: &mut Vec<Output>) {
        let Some(bytes) = self.auth_answer(line, out, true) else {
            return;
        };
        let password = String::from_utf8_lossy(&bytes).into_owned();
        self.login(user, &password, out);
    }

    fn auth_plain_response(&mut self, line: &[u8], out: &mut Vec<Output>) {
        let Some(bytes) = self.auth_answer(line, out, true) else {
            return;
        };
        match auth::split_plain(&bytes) {
            Some((_, user, password)) => self.login(&user, &password, out),
            None => reply(
                out,
                "501 5.5.2 Cannot decode AUTH PLAIN: expected \\0user\\0password",
            ),
        }
    }

    fn login(&mut self, user: &str, password: &str, out: &mut Vec<Output>) {
        match self.ctx.accounts.check(user, password) {
            Some(account) => {
                self.user = Some(account.address.clone());
                reply(out, "235 2.7.0 Authentication successful");
            }
            None => {
                self.auth_failures += 1;
                reply(out, "535 5.7.8 Error: authentication failed");
            }
        }
    }
}

impl ServerSession for SmtpServerSession {
    /// The 220 banner, or a staged 421 / 554.
    fn greeting(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        let host = &self.ctx.hostname;
        match self.ctx.faults.greeting() {
            Some(421) => {
                reply(
                    &mut out,
                    format!("421 4.3.2 {host} Service not available, closing transmission channel"),
                );
                out.push(Output::Close);
                self.mode = Mode::Closed;
            }
            Some(_) => {
                reply(&mut out, format!("554 5.3.2 {host} No SMTP service here"));
                self.mode = Mode::Refused;
            }
            None => reply(
                &mut out,
                format!("220 {host} ESMTP mailtutor practice server"),
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

/// The reply to a line smtp-proto could not parse.
fn error_reply(verb: &str, e: &ProtoError) -> String {
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

/// Turns bare LF into CRLF; reports whether there was any.
fn normalise_crlf(message: Vec<u8>) -> (Vec<u8>, bool) {
    let bare = message
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || message[i - 1] != b'\r'));
    if !bare {
        return (message, false);
    }
    let mut out = Vec::with_capacity(message.len() + 64);
    for (i, &b) in message.iter().enumerate() {
        if b == b'\n' && (i == 0 || message[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    (out, true)
}
