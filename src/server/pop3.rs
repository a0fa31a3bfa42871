//! The practice server's POP3 side as a value fed with bytes (RFC 1939, RFC 2449, RFC 2595,
//! RFC 3206). Commands are parsed by proto's POP3 parser; no sockets here.

use std::sync::Arc;

use super::maildir::StoredMessage;
use super::{Context, Output, ServerSession, Side, StoreRequest, StoreResult};
use crate::proto::line::{LineBuffer, LineItem};
use crate::proto::message::data_payload;
use crate::proto::pop3::Pop3Command;

/// Lenient: RFC 2449 §4 says 255 octets, but passwords can be long.
const MAX_POP3_LINE: usize = 1000;

enum State {
    Authorization {
        user: Option<String>,
    },
    /// Logged in; the connection holds the maildrop's lock.
    Transaction {
        user: String,
        messages: Vec<StoredMessage>,
        deleted: Vec<bool>,
        /// Messages sent whole with RETR: \Seen for IMAP after QUIT, as Dovecot does.
        read: Vec<bool>,
    },
    Closed,
}

/// Store work asked for and not yet answered; input waits meanwhile.
enum Waiting {
    Open { address: String },
    Read { n: u32, top: Option<u32> },
    Commit { user: String },
}

pub struct Pop3ServerSession {
    ctx: Arc<Context>,
    lines: LineBuffer,
    state: State,
    tls: bool,
    waiting: Option<Waiting>,
}

fn ok(out: &mut Vec<Output>, text: impl AsRef<str>) {
    let line = super::clip_reply_line(&format!("+OK {}", text.as_ref()));
    out.push(Output::Reply(format!("{line}\r\n").into_bytes()));
}

fn err(out: &mut Vec<Output>, text: impl AsRef<str>) {
    let line = super::clip_reply_line(&format!("-ERR {}", text.as_ref()));
    out.push(Output::Reply(format!("{line}\r\n").into_bytes()));
}

impl Pop3ServerSession {
    pub fn new(ctx: Arc<Context>, tls: bool) -> Self {
        Self {
            ctx,
            lines: LineBuffer::new(MAX_POP3_LINE),
            state: State::Authorization { user: None },
            tls,
            waiting: None,
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Vec<Output> {
        let mut out = Vec::new();
        self.lines.push(bytes);
        while !matches!(self.state, State::Closed) && self.waiting.is_none() {
            let Some(item) = self.lines.next_line() else {
                break;
            };
            match item {
                LineItem::Line(line) => self.line(&line, &mut out),
                LineItem::TooLong(_) => {
                    out.push(Output::Said(
                        Side::Client,
                        crate::words::Words::new("srvlog.pop3_line_long"),
                    ));
                    err(&mut out, "Line too long");
                }
            }
            if super::drop_before_handshake(&mut self.lines, &mut out) {
                break;
            }
        }
        out
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<Output>) {
        let (text, verb) = super::log_command(line, out);
        let text = text.as_str();
        if self.ctx.faults.drop_after(&verb) {
            out.push(Output::Said(
                Side::Note,
                crate::words::Words::new("srvlog.drop_after").arg("verb", &verb),
            ));
            out.push(Output::Close);
            self.state = State::Closed;
            return;
        }
        if let Some((names, rest)) = super::telnet_negotiation(line) {
            let text = super::refuse_telnet(&names, &rest, "POP3", out);
            return err(out, text);
        }
        if verb == "APOP" {
            return err(out, "APOP is not offered here; use USER and PASS");
        }
        let cmd = match Pop3Command::parse(text) {
            Ok(c) => c,
            Err(e) => return err(out, e.to_string()),
        };
        match cmd {
            Pop3Command::Capa => self.capa(out),
            Pop3Command::Noop => ok(out, ""),
            Pop3Command::Quit => self.quit(out),
            _ => match &self.state {
                State::Authorization { .. } => self.authorization(cmd, out),
                State::Transaction { .. } => self.transaction(cmd, out),
                State::Closed => {}
            },
        }
    }

    fn capa(&self, out: &mut Vec<Output>) {
        let mut s = String::from(
            "+OK Capability list follows\r\nUSER\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nEXPIRE NEVER\r\n",
        );
        if self.ctx.tls_available && !self.tls {
            s.push_str("STLS\r\n");
        }
        s.push_str("IMPLEMENTATION mailtutor practice server\r\n.\r\n");
        out.push(Output::Reply(s.into_bytes()));
    }

    fn authorization(&mut self, cmd: Pop3Command, out: &mut Vec<Output>) {
        let State::Authorization { user } = &mut self.state else {
            return;
        };
        match cmd {
            Pop3Command::Stls => {
                if !self.ctx.tls_available {
                    err(out, "STLS is not available here");
                } else if self.tls {
                    err(out, "TLS is already active");
                } else {
                    ok(out, "Begin TLS negotiation");
                    out.push(Output::StartTls);
                }
            }
            Pop3Command::User(name) => {
                if self.ctx.policy.get().require_tls && !self.tls {
                    return err(
                        out,
                        "[AUTH] Plain-text login is disabled without TLS: send STLS first",
                    );
                }
                *user = Some(name);
                ok(out, "Send PASS");
            }
            Pop3Command::Pass(password) => {
                let Some(name) = user.take() else {
                    return err(out, "Send USER first");
                };
                let Some(account) = self.ctx.accounts.check(&name, &password) else {
                    // The practice server names the part that was wrong (see the SMTP login).
                    let shown = super::smtp::login::shown_name(&name);
                    let why = if self.ctx.accounts.get(&name).is_some() {
                        format!("[AUTH] Authentication failed: wrong password for {shown}")
                    } else {
                        format!("[AUTH] Authentication failed: no account {shown} on this server")
                    };
                    return err(out, &why);
                };
                let address = account.address.clone();
                self.waiting = Some(Waiting::Open {
                    address: address.clone(),
                });
                out.push(Output::Store(StoreRequest::Open { address }));
            }
            _ => err(
                out,
                "Not logged in: this command works only in the TRANSACTION state",
            ),
        }
    }

    fn transaction(&mut self, cmd: Pop3Command, out: &mut Vec<Output>) {
        let State::Transaction {
            messages, deleted, ..
        } = &mut self.state
        else {
            return;
        };
        // Message numbers are 1-based and deleted ones may not be named (RFC 1939 §5).
        let find = |n: u32, out: &mut Vec<Output>| -> Option<usize> {
            let i = (n as usize).checked_sub(1)?;
            if i >= messages.len() {
                err(out, format!("There is no message {n}"));
                return None;
            }
            if deleted[i] {
                err(out, format!("Message {n} is already deleted"));
                return None;
            }
            Some(i)
        };
        match cmd {
            Pop3Command::Stat => {
                let (count, size) = messages
                    .iter()
                    .zip(deleted.iter())
                    .filter(|(_, d)| !**d)
                    .fold((0, 0), |(c, s), (m, _)| (c + 1, s + m.size));
                ok(out, format!("{count} {size}"));
            }
            Pop3Command::List(Some(n)) => {
                if let Some(i) = find(n, out) {
                    ok(out, format!("{n} {}", messages[i].size));
                }
            }
            Pop3Command::Uidl(Some(n)) => {
                if let Some(i) = find(n, out) {
                    ok(out, format!("{n} {}", messages[i].uid));
                }
            }
            Pop3Command::List(None) | Pop3Command::Uidl(None) => {
                let uidl = matches!(cmd, Pop3Command::Uidl(_));
                let mut s = String::from("+OK\r\n");
                for (i, m) in messages.iter().enumerate() {
                    if !deleted[i] {
                        if uidl {
                            s.push_str(&format!("{} {}\r\n", i + 1, m.uid));
                        } else {
                            s.push_str(&format!("{} {}\r\n", i + 1, m.size));
                        }
                    }
                }
                s.push_str(".\r\n");
                out.push(Output::Reply(s.into_bytes()));
            }
            Pop3Command::Retr(n) | Pop3Command::Top { msg: n, .. } => {
                let Some(i) = find(n, out) else {
                    return;
                };
                let top = match cmd {
                    Pop3Command::Top { lines, .. } => Some(lines),
                    _ => None,
                };
                self.waiting = Some(Waiting::Read { n, top });
                out.push(Output::Store(StoreRequest::Read(messages[i].clone())));
            }
            Pop3Command::Dele(n) => {
                if let Some(i) = find(n, out) {
                    deleted[i] = true;
                    ok(
                        out,
                        format!("Message {n} marked for deletion (removed at QUIT)"),
                    );
                }
            }
            Pop3Command::Rset => {
                deleted.iter_mut().for_each(|d| *d = false);
                ok(
                    out,
                    format!("{} messages, no deletion marks", messages.len()),
                );
            }
            _ => err(
                out,
                "Already logged in: this command works only in the AUTHORIZATION state",
            ),
        }
    }

    /// QUIT: in TRANSACTION this is the UPDATE state, where marked messages go (RFC 1939 §6).
    fn quit(&mut self, out: &mut Vec<Output>) {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Transaction {
                user,
                messages,
                deleted,
                read,
            } => {
                let pick = |marks: &[bool]| {
                    messages
                        .iter()
                        .zip(marks)
                        .filter(|(_, d)| **d)
                        .map(|(m, _)| m.clone())
                        .collect()
                };
                let delete = pick(&deleted);
                let seen = pick(&read);
                self.waiting = Some(Waiting::Commit { user });
                out.push(Output::Store(StoreRequest::Commit { delete, seen }));
            }
            _ => {
                ok(out, "Logging out");
                out.push(Output::Close);
            }
        }
    }

    /// Replies to store work once it is done.
    fn store_result(&mut self, result: StoreResult, out: &mut Vec<Output>) {
        let Some(waiting) = self.waiting.take() else {
            return;
        };
        match (waiting, result) {
            (Waiting::Open { address }, StoreResult::Opened(Ok(Some(messages)))) => {
                let total: u64 = messages.iter().map(|m| m.size).sum();
                out.push(Output::LoggedIn(address.clone()));
                ok(
                    out,
                    format!("Logged in, {} messages ({total} octets)", messages.len()),
                );
                self.state = State::Transaction {
                    user: address,
                    deleted: vec![false; messages.len()],
                    read: vec![false; messages.len()],
                    messages,
                };
            }
            (Waiting::Open { .. }, StoreResult::Opened(Ok(None))) => {
                err(out, "[IN-USE] Mailbox is locked by another POP3 session");
            }
            (Waiting::Open { .. }, StoreResult::Opened(Err(e))) => {
                err(out, format!("[SYS/TEMP] Cannot open the maildrop: {e}"));
            }
            (Waiting::Read { n, top }, StoreResult::Read(Ok(bytes))) => {
                if top.is_none()
                    && let State::Transaction { read, .. } = &mut self.state
                    && let Some(r) = read.get_mut((n as usize).wrapping_sub(1))
                {
                    *r = true;
                }
                let (head, body) = match top {
                    Some(lines) => (
                        format!("+OK Top of message {n} follows"),
                        top_lines(&bytes, lines),
                    ),
                    None => (format!("+OK {} octets", bytes.len()), bytes),
                };
                let mut reply = format!("{head}\r\n").into_bytes();
                reply.extend_from_slice(&data_payload(&body));
                out.push(Output::Said(
                    Side::Server,
                    crate::words::Words::new("srvlog.body")
                        .arg("head", &head)
                        .arg("octets", body.len()),
                ));
                out.push(Output::QuietReply(reply));
            }
            (Waiting::Read { n, .. }, StoreResult::Read(Err(e))) => {
                err(out, format!("[SYS/TEMP] Cannot read message {n}: {e}"));
            }
            (Waiting::Commit { user }, StoreResult::Committed { removed, failed }) => {
                if failed > 0 {
                    err(
                        out,
                        format!("[SYS/TEMP] {failed} messages of {user} could not be removed"),
                    );
                } else {
                    let noun = if removed == 1 { "message" } else { "messages" };
                    ok(out, format!("Logging out, {removed} {noun} deleted"));
                }
                out.push(Output::Close);
            }
            (_, other) => {
                out.push(Output::Said(
                    Side::Note,
                    crate::words::Words::new("srvlog.store_unexpected")
                        .arg("what", format!("{other:?}")),
                ));
                err(out, "[SYS/TEMP] Internal error");
                out.push(Output::Close);
                self.state = State::Closed;
            }
        }
    }
}

impl ServerSession for Pop3ServerSession {
    fn greeting(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        ok(
            &mut out,
            format!("{} POP3 mailtutor practice server ready", self.ctx.hostname),
        );
        out
    }

    fn ingest(&mut self, bytes: &[u8]) -> Vec<Output> {
        self.feed(bytes)
    }

    fn timeout(&self) -> Vec<u8> {
        b"-ERR [SYS/TEMP] Disconnected for inactivity\r\n".to_vec()
    }

    fn shutdown(&self) -> Vec<u8> {
        b"-ERR [SYS/TEMP] Server shutting down\r\n".to_vec()
    }

    fn tls_established(&mut self) {
        self.tls = true;
    }

    fn store_done(&mut self, result: StoreResult) -> Vec<Output> {
        let mut out = Vec::new();
        self.store_result(result, &mut out);
        out.extend(self.feed(&[]));
        out
    }
}

/// The headers, the blank line and the first `lines` body lines (RFC 1939 §7, TOP).
fn top_lines(message: &[u8], lines: u32) -> Vec<u8> {
    let split = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(message.len());
    let (head, body) = message.split_at(split);
    let mut out = head.to_vec();
    for (i, line) in body.split_inclusive(|&b| b == b'\n').enumerate() {
        if i as u32 >= lines {
            break;
        }
        out.extend_from_slice(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::top_lines as top;

    #[test]
    fn top_keeps_headers_and_n_lines() {
        let m = b"A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n";
        assert_eq!(top(m, 0), b"A: 1\r\nB: 2\r\n\r\n".to_vec());
        assert_eq!(top(m, 2), b"A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n".to_vec());
        assert_eq!(top(m, 9), m.to_vec());
    }
}
