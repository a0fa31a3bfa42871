//! The client connection, sans-IO, in the shape of quinn-proto and rustls: lines go in as
//! they are written (typed where a button made them), bytes come in as they are read, time
//! comes in as instants; out come events, each response with the request it answers and
//! what it meant to the session. It is the one place where replies meet requests and where
//! the session's state is kept: the network thread is a loop of socket I/O around it, and a
//! pasted log drives the same connection as an observer, where replies pair with the lines
//! before them in order.
//!
//! The request a response answers is the [`Matcher`]'s decision; the state machines
//! ([`SmtpSession`], [`Pop3Session`]) fold each response as that decision says: a response
//! that answers nothing waiting (a late greeting, an unasked 421) is folded with the lines
//! still waiting set aside, a late one is not folded, and the replies a request will never
//! get (it timed out, was answered by a line that is no reply, or the connection ended) are
//! no longer waited for.

pub mod event;
mod lines;
pub mod matcher;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use self::event::{
    Answers, ClosedBy, EventKind, Finish, Folded, ImapRead, ImapView, Parsed, ReplyRead, RequestId,
    Response, SessionState, TlsInfo,
};
use self::lines::LineReader;
pub use self::matcher::{MAX_UNASKED, Matched, Matcher, Pending};
use super::Protocol;
use super::imap::{ImapCommand, ImapEvent, ImapItem, ImapReader, ImapSession, ImapStatus};
use super::pop3::Pop3Command;
use super::pop3_state::{Pop3Outcome, Pop3Session};
use super::reply::{MalformedReply, Pop3Expect, Pop3Reader, ReplyReader};
use super::smtp::SmtpCommand;
use super::smtp_state::{ClientLine, Outcome, SmtpSession};
use crate::words::Words;

/// A command as a button made it, so that it is not parsed back from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    Smtp(SmtpCommand),
    Pop3(Pop3Command),
    Imap(ImapCommand),
    /// An answer to the AUTH exchange under way, though no challenge was seen (a log of the
    /// client's side only).
    AuthAnswer,
}

/// One response read off the wire, and what it did to the requests waiting.
#[derive(Debug)]
pub struct Handled<T> {
    /// The response, when it was one.
    pub response: Option<Response>,
    /// The bytes, when they were no reply (a malformed line).
    pub malformed: Option<Vec<u8>>,
    pub answers: Answers,
    /// The request this response ended (see [`Matched::ended`]).
    pub ended: Option<Pending<T, Response>>,
    /// Too many responses in a row answered nothing, or one reply grew past its limit: the
    /// session is to end before it fills the memory.
    pub flood: Option<Words>,
}

/// One connection's client side. `T` is what the caller keeps beside a request (who waits
/// for its answer).
#[derive(Debug)]
pub struct Connection<T> {
    protocol: Protocol,
    smtp_reader: ReplyReader,
    pop3_reader: Pop3Reader,
    matcher: Matcher<T, Response>,
    smtp: SmtpSession,
    pop3: Pop3Session,
    imap_reader: ImapReader,
    imap: ImapSession,
    imap_view: ImapView,
    /// A command ending in a literal's `{n}` went out: the server's `+` asks for its bytes.
    imap_literal_asked: Option<usize>,
    /// Bytes of a literal the server asked for, still to be sent.
    imap_literal_left: usize,
    lines: LineReader,
    events: VecDeque<EventKind>,
}

impl<T> Connection<T> {
    /// A connection about to be made: its first response is the greeting.
    pub fn new(protocol: Protocol) -> Self {
        let mut pop3_reader = Pop3Reader::new();
        // The first POP3 response is the single-line greeting, even when a command (and its
        // expectation of a body) went out before it arrived.
        pop3_reader.expect(Pop3Expect::SingleLine);
        Self {
            protocol,
            smtp_reader: ReplyReader::new(),
            pop3_reader,
            matcher: Matcher::new(),
            smtp: SmtpSession::new(),
            pop3: Pop3Session::new(),
            imap_reader: ImapReader::default(),
            imap: ImapSession::new(),
            imap_view: ImapView::default(),
            imap_literal_asked: None,
            imap_literal_left: 0,
            lines: LineReader::default(),
            events: VecDeque::new(),
        }
    }

    /// A connection seen from outside (a pasted log): taken up as connected, its replies
    /// framed by the log's reader and handed in with [`Self::response`].
    pub fn observer(protocol: Protocol) -> Self {
        let mut c = Self::new(protocol);
        c.begin();
        c
    }

    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    pub fn smtp(&self) -> &SmtpSession {
        &self.smtp
    }

    pub fn pop3(&self) -> &Pop3Session {
        &self.pop3
    }

    /// The state as a view needs it (the lines waiting beyond the oldest are counted, not
    /// copied).
    pub fn state(&self) -> SessionState {
        SessionState {
            protocol: self.protocol,
            smtp: self.smtp.snapshot(),
            pop3: self.pop3.snapshot(),
            imap: self.imap_view(),
        }
    }

    /// The IMAP session as a view shows it.
    fn imap_view(&self) -> ImapView {
        ImapView {
            state: self.imap.state().clone(),
            pending: self
                .imap
                .pending()
                .map(|(t, v)| (t.to_owned(), v.to_owned()))
                .collect(),
            ..self.imap_view.clone()
        }
    }

    pub fn imap(&self) -> &ImapSession {
        &self.imap
    }

    /// The next event to report, oldest first.
    pub fn poll_event(&mut self) -> Option<EventKind> {
        self.events.pop_front()
    }

    fn report(&mut self, kind: EventKind) {
        self.events.push_back(kind);
    }

    /// Reports an event that changed the state, the new state just before it: whoever folds
    /// the event finds the state it left.
    fn report_changed(&mut self, kind: EventKind) {
        let state = std::sync::Arc::new(self.state());
        self.events.push_back(EventKind::State(state));
        self.events.push_back(kind);
    }

    fn begin(&mut self) {
        self.smtp.on_connected(false);
        self.pop3.on_connected(false);
        self.imap = ImapSession::new();
        self.imap_view = ImapView::default();
        self.imap_reader = ImapReader::default();
        self.lines.reset();
    }

    /// The TCP connection is up.
    pub fn connected(&mut self, peer: SocketAddr, local: SocketAddr) {
        self.begin();
        self.report_changed(EventKind::Connected { peer, local });
    }

    /// A new session begins whose connection a log leaves out: the next reply is its greeting.
    pub fn assume_connected(&mut self) {
        self.begin();
        self.report(EventKind::State(std::sync::Arc::new(self.state())));
    }

    /// The log showed which protocol this is.
    pub fn set_protocol(&mut self, protocol: Protocol) {
        self.protocol = protocol;
        self.report(EventKind::State(std::sync::Arc::new(self.state())));
    }

    pub fn tls_established(&mut self, info: TlsInfo) {
        self.lines.told_tls = false;
        // Capabilities listed before TLS are not to be trusted after it (RFC 3501 §6.2.1).
        self.imap_view.tls_pending = false;
        self.imap_view.tls = true;
        self.imap_view.login_disabled = false;
        self.imap_view.capabilities.clear();
        self.smtp.on_tls_established();
        self.pop3.on_tls_established();
        self.report_changed(EventKind::TlsEstablished(info));
    }

    /// The connection ended. Requests still waiting are ended first ([`Self::end`]).
    pub fn closed(&mut self, by: ClosedBy, why: Words) {
        self.smtp.on_closed();
        self.pop3.on_closed();
        self.report_changed(EventKind::Closed { by, why });
    }

    /// Something the caller reports in order with the connection's events.
    pub fn note(&mut self, kind: EventKind) {
        self.report(kind);
    }

    /// Bytes were written: each line is read against the state and taken as sent. `typed`
    /// holds the commands a button made, one per line, or nothing for typed text; `secret`
    /// marks lines that carry a password whatever they look like.
    pub fn sent(&mut self, id: Option<RequestId>, bytes: &[u8], secret: bool, typed: &[Typed]) {
        let count = bytes.split_inclusive(|&b| b == b'\n').count();
        let mut lines = Vec::with_capacity(count);
        for (i, raw) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
            let text = String::from_utf8_lossy(raw);
            let text = text.trim_end_matches(['\r', '\n']);
            let typed = lines::typed_for(typed, count, i);
            let line = match self.protocol {
                Protocol::Smtp => {
                    let cmd = match typed {
                        Some(Typed::Smtp(c)) => Some(c),
                        _ => None,
                    };
                    let answer = matches!(typed, Some(Typed::AuthAnswer));
                    self.lines
                        .smtp(&mut self.smtp, raw, text, secret, cmd, answer)
                }
                Protocol::Pop3 => {
                    let cmd = match typed {
                        Some(Typed::Pop3(c)) => Some(c),
                        _ => None,
                    };
                    let (line, expect) = self.lines.pop3(&mut self.pop3, raw, text, secret, cmd);
                    // Every POP3 line is answered; RETR, TOP, LIST, UIDL and CAPA with a body.
                    self.pop3_reader.expect(expect);
                    line
                }
                Protocol::Imap => self.imap_line(raw, text, secret),
            };
            lines.push(line);
        }
        self.report_changed(EventKind::Sent { id, lines });
    }

    /// Reads one IMAP line against the session: the answer AUTHENTICATE's `+` asked for, a
    /// literal's bytes, or a command (tagged, or a mistake a server refuses).
    fn imap_line(&mut self, raw: &[u8], text: &str, secret: bool) -> event::SentLine {
        use self::event::{LineRead, SentLine};
        let before_handshake =
            self.imap_view.tls_pending && !std::mem::replace(&mut self.lines.told_tls, true);
        let (read, secret) = if std::mem::take(&mut self.imap_view.auth_answer_due) {
            (self.lines.auth_answer(text, self.imap_view.tls), true)
        } else if self.imap_literal_left > 0 {
            self.imap_literal_left = self.imap_literal_left.saturating_sub(raw.len());
            (LineRead::ImapLiteral, secret)
        } else {
            let typed = super::imap::TypedCommand::parse(text);
            self.imap_literal_asked = typed.literal;
            if typed.verb == "DONE" {
                self.imap_view.idling = false;
            }
            let initial = (typed.verb == "AUTHENTICATE")
                .then(|| typed.args.split_whitespace().nth(1))
                .flatten()
                .and_then(|b64| super::auth::decode(b64).ok())
                .map(|b| super::auth::Decoded::from_bytes(b).shown());
            let secret = secret || super::secret::is_secret(text, None);
            let state = self.imap.state();
            let refused_in =
                (typed.mistakes.is_empty() && typed.verb != "DONE" && !state.permits(&typed.verb))
                    .then(|| state.clone());
            self.imap.sent(&typed);
            let read = match initial {
                Some(decoded) if typed.mistakes.is_empty() => LineRead::Command {
                    initial: Some(decoded),
                },
                _ => LineRead::Imap {
                    verb: typed.verb.clone(),
                    mistakes: typed.mistakes.clone(),
                    refused_in,
                },
            };
            (read, secret)
        };
        SentLine {
            raw: raw.to_vec(),
            secret,
            read,
            before_handshake,
        }
    }

    /// A log of the server's side leaves this client line out, and the next reply makes it
    /// certain: the state takes it as sent, and the event says it was inferred.
    pub fn infer(&mut self, line: ClientLine, command: &'static str, why: &'static str) {
        if let ClientLine::Command(cmd) = &line
            && cmd.kind() == super::smtp::CommandKind::Data
        {
            self.lines.message = super::message_lines::MessageLines::new();
        }
        self.smtp.on_sent(&line);
        self.report_changed(EventKind::Inferred { command, why });
    }

    /// A request that was written waits for `replies` responses (more than none) until
    /// `deadline`.
    pub fn wait_for(&mut self, id: RequestId, replies: usize, deadline: Instant, data: T) {
        self.matcher.sent(id, replies, deadline, data);
    }

    /// Bytes read from the socket, in any chunking.
    pub fn receive(&mut self, bytes: &[u8]) {
        match self.protocol {
            Protocol::Smtp => self.smtp_reader.push(bytes),
            Protocol::Pop3 => self.pop3_reader.push(bytes),
            Protocol::Imap => self.imap_reader.push(bytes),
        }
    }

    /// Bytes read but not yet a whole response (for a reply cut off by the close).
    pub fn pending_bytes(&self) -> Vec<u8> {
        match self.protocol {
            Protocol::Smtp => self.smtp_reader.pending(),
            Protocol::Pop3 => self.pop3_reader.pending(),
            Protocol::Imap => self.imap_reader.pending().to_vec(),
        }
    }

    /// Drops the bytes read but not yet a response (RFC 3207 §5: what came after "220 Ready
    /// to start TLS" and before the handshake was not protected by it).
    pub fn take_pending_bytes(&mut self) -> Vec<u8> {
        match self.protocol {
            Protocol::Smtp => self.smtp_reader.take_pending(),
            Protocol::Pop3 => self.pop3_reader.take_pending(),
            Protocol::Imap => {
                let pending = self.imap_reader.pending().to_vec();
                self.imap_reader = ImapReader::default();
                self.imap_reader.expect_greeting(false);
                pending
            }
        }
    }

    /// The next complete response, matched and folded; its `Received` event is queued.
    pub fn next_response(&mut self) -> Option<Handled<T>> {
        let parsed = self.next_parsed()?;
        let too_long = matches!(
            parsed,
            Parsed::MalformedSmtp(MalformedReply::ReplyTooLong { .. })
        );
        let response = match &parsed {
            Parsed::Response(r) => Some(r.clone()),
            Parsed::MalformedSmtp(_) | Parsed::MalformedPop3(_) | Parsed::ImapTooLarge { .. } => {
                None
            }
        };
        let malformed = response.is_none().then(|| parsed.raw().to_vec());
        let matched = match response.clone() {
            // Untagged data belongs to the command in flight without ending it, unless it is
            // the BAD that answers a line sent without a tag.
            Some(r) if !r.ends_request() && !self.answers_tagless(&r) => {
                match self.matcher.attach(r) {
                    Ok(answers) => Matched {
                        answers,
                        ended: None,
                        flood: false,
                    },
                    Err(r) => self.matcher.response(Some(r)),
                }
            }
            r => self.matcher.response(r),
        };
        self.fold(parsed, matched.answers);
        let flood = if too_long {
            Some(Words::new("session.flood_reply").arg("limit", super::reply::MAX_REPLY))
        } else if matched.flood {
            Some(Words::new("session.flood_unasked").arg("count", MAX_UNASKED))
        } else {
            None
        };
        Some(Handled {
            response,
            malformed,
            answers: matched.answers,
            ended: matched.ended,
            flood,
        })
    }

    /// An untagged BAD while a line without a tag waits: the server's answer to it.
    fn answers_tagless(&self, r: &Response) -> bool {
        r.imap().is_some_and(|r| r.status == Some(ImapStatus::Bad))
            && self.imap.pending().any(|(tag, _)| tag.is_empty())
    }

    /// Bytes of the server's side a log shows whole (observer): each response in them
    /// answers the lines before it, in order.
    pub fn observe_server(&mut self, bytes: &[u8]) {
        self.receive(bytes);
        while let Some(parsed) = self.next_parsed() {
            self.fold(parsed, Answers::InOrder);
        }
    }

    /// The next complete response the reader holds, or the line that is none.
    fn next_parsed(&mut self) -> Option<Parsed> {
        Some(match self.protocol {
            Protocol::Smtp => self
                .smtp_reader
                .next_reply()?
                .map_or_else(Parsed::MalformedSmtp, |r| {
                    Parsed::Response(Response::Smtp(r))
                }),
            Protocol::Pop3 => self
                .pop3_reader
                .next_response()?
                .map_or_else(Parsed::MalformedPop3, |r| {
                    Parsed::Response(Response::Pop3(r))
                }),
            Protocol::Imap => match self.imap_reader.next_item()? {
                ImapItem::Response(r) => Parsed::Response(Response::Imap(r)),
                ImapItem::TooLarge { head, size } => Parsed::ImapTooLarge { head, size },
            },
        })
    }

    /// A response a log's reader framed (observer): it answers the lines before it, in order.
    pub fn response(&mut self, parsed: Parsed) {
        self.fold(parsed, Answers::InOrder);
    }

    /// Folds a response into the state as `answers` says, and reports it.
    fn fold(&mut self, parsed: Parsed, answers: Answers) {
        let read = match (&parsed, answers) {
            // Its command was given up on when it timed out: shown, folded into nothing.
            (_, Answers::Late(_)) => None,
            (Parsed::Response(r), Answers::Unasked) => {
                // It answers none of the lines waiting (a greeting that came after the first
                // command went out, an unasked 421): they go on waiting, unless it closes
                // the session.
                let smtp = self.smtp.set_aside();
                let pop3 = self.pop3.set_aside();
                let read = self.read(r);
                if !matches!(read.outcome, Folded::Smtp(Outcome::Closing { .. })) {
                    self.smtp.take_back(smtp);
                    self.pop3.take_back(pop3);
                }
                Some(read)
            }
            (Parsed::Response(r), _) => Some(self.read(r)),
            (
                Parsed::MalformedSmtp(_) | Parsed::MalformedPop3(_) | Parsed::ImapTooLarge { .. },
                _,
            ) => None,
        };
        self.report_changed(EventKind::Received {
            parsed,
            answers,
            read: read.map(Box::new),
        });
    }

    fn read(&mut self, response: &Response) -> ReplyRead {
        match response {
            Response::Smtp(reply) => {
                let context = self.smtp.reply_context(reply.code);
                let prompt = (reply.code == 334)
                    .then(|| super::auth::decode_prompt(reply.last_text()).ok())
                    .flatten()
                    .filter(|p| p.kind != super::auth::PromptKind::Empty)
                    .map(|p| p.decoded.shown());
                let outcome = Folded::Smtp(self.smtp.on_reply(reply));
                ReplyRead {
                    context,
                    outcome,
                    prompt,
                }
            }
            Response::Pop3(resp) => {
                let context = self.pop3.reply_context();
                let outcome: Pop3Outcome = self.pop3.on_response(resp);
                ReplyRead {
                    context,
                    outcome: Folded::Pop3(outcome),
                    prompt: None,
                }
            }
            Response::Imap(r) => self.read_imap(r),
        }
    }

    /// Folds an IMAP response: pairs it with its command, and keeps what a view shows (the
    /// capabilities, the mailbox's size, an AUTHENTICATE or IDLE under way).
    fn read_imap(&mut self, r: &super::imap::ImapResponse) -> ReplyRead {
        use super::imap::ResponseKind;
        // Only an untagged response greets: a tagged one first is a log that starts
        // mid-session.
        let greeting = !self.imap_view.greeted && r.kind == ResponseKind::Untagged;
        let verb = self.imap.command_for(r).map(str::to_owned);
        let now = self.imap.state().clone();
        let caps = r
            .code
            .as_ref()
            .filter(|c| c.name == "CAPABILITY")
            .map(|c| c.args.clone())
            .or_else(|| (r.data.as_deref() == Some("CAPABILITY")).then(|| r.text.clone()));
        if let Some(caps) = caps {
            self.imap_view.capabilities = caps.split_whitespace().map(str::to_owned).collect();
            self.imap_view.login_disabled = self
                .imap_view
                .capabilities
                .iter()
                .any(|c| c.eq_ignore_ascii_case("LOGINDISABLED"));
        }
        if r.data.as_deref() == Some("EXISTS") {
            self.imap_view.exists = r.number;
        }
        let login_disabled = self.imap_view.login_disabled;
        let event = self.imap.received(r.clone());
        let (state, completed) = match &event {
            ImapEvent::Completed(c) => (c.before.clone(), !c.tag.is_empty()),
            _ => (now, false),
        };
        if r.kind == ResponseKind::Continuation {
            // The `+` asks for what the command in flight left to send: a literal's bytes,
            // AUTHENTICATE's answer, or (IDLE) nothing until DONE.
            let base = verb.as_deref().map(|v| v.strip_prefix("UID ").unwrap_or(v));
            if let Some(n) = self.imap_literal_asked.take() {
                self.imap_literal_left = n.max(1);
            } else if base == Some("AUTHENTICATE") {
                self.imap_view.auth_answer_due = true;
            } else if base == Some("IDLE") {
                self.imap_view.idling = true;
            }
        }
        if let ImapEvent::Completed(c) = &event {
            self.imap_literal_asked = None;
            self.imap_literal_left = 0;
            self.imap_view.auth_answer_due = false;
            if c.verb == "IDLE" {
                self.imap_view.idling = false;
            }
            if !matches!(c.after, super::imap::ImapState::Selected { .. }) {
                self.imap_view.exists = None;
            }
        }
        if self.imap.take_tls_start() {
            self.imap_view.tls_pending = true;
        }
        self.imap_view.greeted = true;
        let answers = if greeting {
            super::vocab::Answers::Greeting
        } else {
            super::vocab::Answers::None
        };
        ReplyRead {
            context: super::situations::ReplyContext::new(Protocol::Imap, answers),
            outcome: Folded::Imap(Box::new(ImapRead {
                verb,
                state,
                after: self.imap.state().clone(),
                login_disabled,
                greeting,
                completed,
            })),
            prompt: None,
        }
    }

    /// A request ended; the `unanswered` replies it still waited for are waited for no more,
    /// so that the next reply pairs with the next line.
    pub fn finished(&mut self, id: RequestId, finish: Finish, unanswered: usize) {
        match self.protocol {
            Protocol::Pop3 => self.pop3.abandon(unanswered),
            Protocol::Smtp => self.smtp.abandon(unanswered),
            // A command that went unanswered keeps its tag in flight: a late completion still
            // finds it.
            Protocol::Imap => {}
        }
        let finished = EventKind::Finished {
            id,
            finish,
            unanswered,
        };
        if unanswered > 0 {
            self.report_changed(finished);
        } else {
            self.report(finished);
        }
    }

    /// The requests whose replies are overdue at `now`, oldest first (end each with
    /// [`Self::finished`]); the replies they were due are shown as late when they come.
    pub fn expire(&mut self, now: Instant) -> Vec<Pending<T, Response>> {
        self.matcher.expire(now)
    }

    /// When the oldest request's reply is due.
    pub fn deadline(&self) -> Option<Instant> {
        self.matcher.deadline()
    }

    /// The connection is ending: every request still waiting, oldest first (end each with
    /// [`Self::finished`]).
    pub fn end(&mut self) -> Vec<Pending<T, Response>> {
        self.matcher.end()
    }
}
