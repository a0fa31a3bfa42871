//! The network thread: connects, then loops — take requests, write, read whatever arrives
//! (asked for or not) — around the sans-IO [`Connection`], which reads every line written
//! and every response, says what each response answers and meant, and when a request is due.
//!
//! Between those it sleeps in a [`Poller`] that wakes it when the socket is readable, when
//! the [`Session`] sends a request (`Poller::notify`), or when the oldest request's reply is
//! due; an idle connection does not wake at all.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use polling::{Events, Poller};

use super::event::{
    ClosedBy, ConnectError, Event, EventKind, Finish, RequestId, Response, SessionError, TlsInfo,
};
use super::transport::{self, Stream};
use super::{ConnectFailure, ConnectOptions, Protocol, Reply, Request, Security, Session, Target};
use crate::proto::client::{Connection, Typed};
use crate::proto::imap::ImapCommand;
use crate::proto::line::escaped;
use crate::proto::pop3::Pop3Command;
use crate::proto::smtp::SmtpCommand;
use crate::words::Words;

/// While connecting (greeting, STARTTLS, handshake) reads block, and each waits this long
/// before the reply deadline is looked at again.
const POLL: Duration = Duration::from_millis(20);

/// The socket's key in the poller.
const SOCKET: usize = 0;
/// Reads of the socket (64 KiB each) before requests and deadlines get their turn.
const READS_PER_TURN: usize = 16;

enum Waiter {
    Answer(Reply<Vec<Response>>),
    Tls(Reply<TlsInfo>),
}

/// What the thread keeps beside a request the matcher holds: who waits for the answer, and
/// the request in words (for a timeout's message).
struct Ask {
    waiter: Waiter,
    what: String,
}

struct Worker {
    stream: Stream,
    protocol: Protocol,
    target: Target,
    options: ConnectOptions,
    /// Reads every line and response, pairs responses with requests, keeps the session's
    /// state (requests written while connecting have no `Ask`).
    conn: Connection<Option<Ask>>,
    /// Request ids, shared with the [`Session`].
    ids: Arc<std::sync::atomic::AtomicU64>,
    events: Sender<Event>,
    /// Events kept while connecting, for the failure report.
    log: Option<Vec<Event>>,
    /// Set by `Session::close`, which also shuts the socket down: the error that follows is
    /// the user's close, not a network failure.
    closing: Arc<AtomicBool>,
    /// Shared with the [`Session`], whose requests wake it.
    poller: Arc<Poller>,
    /// Whether the socket is in the poller (it leaves it for a TLS handshake).
    registered: bool,
    /// How many times the thread has woken from its poller, shared with the [`Session`].
    wakes: Arc<AtomicU64>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.unregister();
    }
}

enum Flow {
    Continue,
    Stop,
}

pub(super) fn run(
    target: Target,
    security: Security,
    options: ConnectOptions,
    promise: poll_promise::Sender<Result<Session, ConnectFailure>>,
) {
    let (req_tx, req_rx) = mpsc::channel();
    let (ev_tx, ev_rx) = mpsc::channel();
    let closing = Arc::new(AtomicBool::new(false));
    let ids = Arc::new(AtomicU64::new(0));
    let wakes = Arc::new(AtomicU64::new(0));
    let protocol = options.protocol;
    let repaint = options.repaint.clone();
    let fail = |error: ConnectError, events: Vec<Event>| {
        if let Some(r) = &repaint {
            r();
        }
        ConnectFailure { error, events }
    };
    let poller = match Poller::new() {
        Ok(p) => Arc::new(p),
        Err(e) => {
            let error = ConnectError::Connect {
                target: target.to_string(),
                detail: Words::new("detail.os").arg("text", e),
            };
            return promise.send(Err(fail(error, Vec::new())));
        }
    };
    let tcp = match transport::connect_tcp(&target.host, target.port, options.connect_timeout) {
        Ok(t) => t,
        Err(e) => return promise.send(Err(fail(e, Vec::new()))),
    };
    // A server that stops reading fails the write after the reply timeout instead of
    // blocking the thread for ever.
    let _ = tcp.set_write_timeout(Some(options.reply_timeout));
    let session = Session {
        requests: req_tx,
        events: ev_rx,
        protocol,
        target: target.clone(),
        socket: tcp.try_clone().ok(),
        closing: Arc::clone(&closing),
        ids: Arc::clone(&ids),
        last: std::cell::Cell::new(None),
        wake: Arc::clone(&poller),
        wakes: Arc::clone(&wakes),
    };
    let mut worker = Worker {
        stream: Stream::Plain(tcp),
        protocol: options.protocol,
        target,
        options,
        conn: Connection::new(protocol),
        ids: Arc::clone(&ids),
        events: ev_tx,
        log: Some(Vec::new()),
        closing,
        poller,
        registered: false,
        wakes,
    };
    if let Some(tcp) = worker.stream.tcp()
        && let (Ok(peer), Ok(local)) = (tcp.peer_addr(), tcp.local_addr())
    {
        worker.conn.connected(peer, local);
        worker.flush();
    }
    let ready = match security {
        Security::None => Ok(()),
        Security::Implicit => worker.upgrade(None).map(|_| ()),
        Security::StartTls => worker.starttls_first(),
    };
    if let Err(e) = ready {
        let events = worker.log.take().unwrap_or_default();
        return promise.send(Err(fail(e, events)));
    }
    if let Err(e) = worker.register() {
        let error = ConnectError::Connect {
            target: worker.target_name(),
            detail: Words::new("detail.os").arg("text", e),
        };
        let events = worker.log.take().unwrap_or_default();
        return promise.send(Err(fail(error, events)));
    }
    worker.log = None;
    promise.send(Ok(session));
    worker.notify();
    worker.serve(req_rx);
}

impl Worker {
    /// Puts the socket in the poller, non-blocking: from here on the thread waits only there.
    #[allow(unsafe_code)]
    fn register(&mut self) -> io::Result<()> {
        let Some(tcp) = self.stream.tcp() else {
            return Ok(());
        };
        tcp.set_nonblocking(true)?;
        // SAFETY: the socket leaves the poller (`unregister`) before it is closed: before a
        // handshake takes it, and when the worker is dropped, which happens before its stream is.
        unsafe { self.poller.add(tcp, polling::Event::readable(SOCKET))? };
        self.registered = true;
        Ok(())
    }

    /// Takes the socket out of the poller and makes it blocking again (for a TLS handshake).
    fn unregister(&mut self) {
        if !std::mem::replace(&mut self.registered, false) {
            return;
        }
        if let Some(tcp) = self.stream.tcp() {
            let _ = self.poller.delete(tcp);
            let _ = tcp.set_nonblocking(false);
        }
    }

    fn notify(&self) {
        if let Some(r) = &self.options.repaint {
            r();
        }
    }

    /// Reports an event of the thread's own, after those the connection has queued.
    fn emit(&mut self, kind: EventKind) {
        self.conn.note(kind);
        self.flush();
    }

    /// Sends on the events the connection has queued.
    fn flush(&mut self) {
        while let Some(kind) = self.conn.poll_event() {
            self.send_event(kind);
        }
    }

    fn send_event(&mut self, kind: EventKind) {
        let event = Event::now(kind);
        if let Some(log) = self.log.as_mut() {
            log.push(event.clone());
        }
        let _ = self.events.send(event);
        self.notify();
    }

    fn target_name(&self) -> String {
        self.target.to_string()
    }

    /// The TLS handshake on the current socket. `after_starttls` is the verb that asked for it.
    fn upgrade(&mut self, after_starttls: Option<&str>) -> Result<TlsInfo, ConnectError> {
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            return Err(ConnectError::Refused(Words::new("session.tls_active")));
        };
        match transport::handshake(
            tcp,
            &self.target.host,
            &self.options.trust,
            self.options.connect_timeout,
        ) {
            Ok((tls, info)) => {
                self.stream = Stream::Tls(Box::new(tls));
                self.conn.tls_established(info.clone());
                self.flush();
                Ok(info)
            }
            Err((reason, detail)) => {
                let fingerprint = match reason {
                    super::TlsFailure::PinMismatch => {
                        detail.strip_prefix("presented ").map(str::to_owned)
                    }
                    // A server that did not finish one handshake in time is not asked for another.
                    super::TlsFailure::TimedOut => None,
                    _ => {
                        let dance: Option<Vec<Vec<u8>>> =
                            after_starttls.map(|verb| match self.protocol {
                                Protocol::Smtp => vec![
                                    format!("EHLO {}\r\n", self.options.ehlo_name).into_bytes(),
                                    format!("{verb}\r\n").into_bytes(),
                                ],
                                Protocol::Pop3 => vec![format!("{verb}\r\n").into_bytes()],
                                Protocol::Imap => vec![format!("a0 {verb}\r\n").into_bytes()],
                            });
                        transport::probe_certificate(
                            &self.target.host,
                            self.target.port,
                            self.options.connect_timeout,
                            self.protocol,
                            dance.as_deref(),
                        )
                    }
                };
                let error = ConnectError::Tls {
                    target: self.target_name(),
                    reason,
                    detail,
                    fingerprint,
                };
                self.emit(EventKind::Error(error.words()));
                self.end_waiting();
                self.conn
                    .closed(ClosedBy::Error, Words::new("closed.tls_failed"));
                self.flush();
                Err(error)
            }
        }
    }

    /// `Security::StartTls`: greeting, (EHLO,) STARTTLS/STLS, handshake — all in the transcript.
    fn starttls_first(&mut self) -> Result<(), ConnectError> {
        self.stream.set_read_timeout(POLL);
        let refused = |r: &Response| {
            ConnectError::Refused(
                Words::new("connect.server_said").arg("text", escaped(r.raw()).trim()),
            )
        };
        let greeting = self.blocking_response(None)?;
        if !greeting.is_positive() {
            return Err(refused(&greeting));
        }
        let verb = match self.protocol {
            Protocol::Smtp => {
                let ehlo = format!("EHLO {}\r\n", self.options.ehlo_name);
                let r = self.blocking_roundtrip(ehlo.as_bytes(), None)?;
                if !r.is_positive() {
                    return Err(refused(&r));
                }
                "STARTTLS"
            }
            Protocol::Pop3 => "STLS",
            Protocol::Imap => "STARTTLS",
        };
        let (line, typed) = match self.protocol {
            Protocol::Smtp => (format!("{verb}\r\n"), Typed::Smtp(SmtpCommand::StartTls)),
            Protocol::Pop3 => (format!("{verb}\r\n"), Typed::Pop3(Pop3Command::Stls)),
            // The one command before the window's, so the one tag of its own.
            Protocol::Imap => (format!("a0 {verb}\r\n"), Typed::Imap(ImapCommand::StartTls)),
        };
        let r = self.blocking_roundtrip(line.as_bytes(), Some(typed))?;
        if !r.is_positive() {
            return Err(ConnectError::Refused(
                Words::new("connect.refused_verb")
                    .arg("verb", verb)
                    .arg("text", escaped(r.raw()).trim()),
            ));
        }
        self.discard_before_handshake();
        self.upgrade(Some(verb)).map(|_| ())
    }

    /// RFC 3207 §5: bytes after "220 Ready to start TLS" and before the handshake were not
    /// protected by it; they are dropped and reported, never read as replies.
    fn discard_before_handshake(&mut self) {
        let pending = self.conn.take_pending_bytes();
        if !pending.is_empty() {
            self.emit(EventKind::Warning(
                Words::new("warn.tls_injection")
                    .arg("count", pending.len())
                    .arg("bytes", format!("\"{}\"", escaped(&pending))),
            ));
        }
    }

    /// Writes one request's bytes; the connection reads them, and the `Sent` event carries
    /// its id.
    fn write_bytes(
        &mut self,
        id: RequestId,
        bytes: &[u8],
        secret: bool,
        typed: &[Typed],
    ) -> io::Result<()> {
        // The write blocks (bounded by the socket's write timeout, and cut short by
        // `Session::close`); only reads go through the poller.
        if self.registered {
            self.stream.set_nonblocking(false);
        }
        let written = self
            .stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush());
        if self.registered {
            self.stream.set_nonblocking(true);
        }
        written?;
        self.conn.sent(Some(id), bytes, secret, typed);
        self.flush();
        Ok(())
    }

    fn finished(&mut self, id: RequestId, finish: Finish, unanswered: usize) {
        self.conn.finished(id, finish, unanswered);
        self.flush();
    }

    /// One command while connecting (EHLO, STARTTLS/STLS), and its single-line answer.
    fn blocking_roundtrip(
        &mut self,
        bytes: &[u8],
        typed: Option<Typed>,
    ) -> Result<Response, ConnectError> {
        let id = super::next_id(&self.ids);
        let typed: Vec<Typed> = typed.into_iter().collect();
        self.write_bytes(id, bytes, false, &typed)
            .map_err(|e| ConnectError::Connect {
                target: self.target_name(),
                detail: Words::new("detail.os").arg("text", e),
            })?;
        let deadline = Instant::now() + self.options.reply_timeout;
        self.conn.wait_for(id, 1, deadline, None);
        let r = self.blocking_response(Some(id));
        if r.is_err() {
            // Timed out or closed: the request is waited for no more.
            let _ = self.conn.end();
        }
        let finish = match &r {
            Ok(_) => Finish::Answered,
            Err(ConnectError::Timeout { secs, .. }) => Finish::TimedOut { secs: *secs },
            Err(_) => Finish::Closed,
        };
        let unanswered = usize::from(r.is_err());
        self.finished(id, finish, unanswered);
        r
    }

    /// Reads until one complete response arrives (used only while connecting), the answer to
    /// request `id` (`None`: the greeting).
    fn blocking_response(&mut self, id: Option<RequestId>) -> Result<Response, ConnectError> {
        let deadline = Instant::now() + self.options.reply_timeout;
        let mut buf = [0u8; 16 * 1024];
        loop {
            if let Some(h) = self.conn.next_response() {
                self.flush();
                match (id, h.ended, h.response) {
                    // The greeting: whatever comes first, unasked.
                    (None, _, Some(r)) => return Ok(r),
                    (Some(id), Some(done), _) if done.id == id => {
                        // The last response is the answer (IMAP's untagged data comes first).
                        if let Some(r) = done.got.into_iter().next_back() {
                            return Ok(r);
                        }
                        // A line that is no reply answered it.
                        let raw = h.malformed.unwrap_or_default();
                        return Err(ConnectError::Refused(
                            Words::new("connect.server_said").arg("text", escaped(&raw).trim()),
                        ));
                    }
                    _ => continue,
                }
            }
            if Instant::now() >= deadline {
                return Err(ConnectError::Timeout {
                    target: self.target_name(),
                    secs: self.options.reply_timeout.as_secs(),
                });
            }
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.end_waiting();
                    self.conn
                        .closed(ClosedBy::Server, Words::new("closed.by_server"));
                    self.flush();
                    return Err(ConnectError::Refused(Words::new("closed.by_server")));
                }
                Ok(n) => self.conn.receive(&buf[..n]),
                Err(e) if is_timeout(&e) => {}
                Err(e) => {
                    return Err(ConnectError::Connect {
                        target: self.target_name(),
                        detail: Words::new("detail.os").arg("text", e),
                    });
                }
            }
        }
    }

    /// The main loop, until the session is closed by either side.
    fn serve(mut self, requests: Receiver<Request>) {
        let mut buf = vec![0u8; 64 * 1024];
        let mut events = Events::new();
        loop {
            loop {
                match requests.try_recv() {
                    Ok(req) => {
                        if let Flow::Stop = self.request(req) {
                            return;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        return self.close(ClosedBy::Client, Words::new("closed.dropped"));
                    }
                }
            }
            if let Flow::Stop = self.read_all(&mut buf) {
                return;
            }
            self.expire();
            self.wait(&mut events);
        }
    }

    /// Sleeps until the socket is readable, a request arrives or the oldest reply is due.
    fn wait(&mut self, events: &mut Events) {
        if !self.registered {
            return;
        }
        if let Some(tcp) = self.stream.tcp() {
            // Interest is one-shot: armed again before every wait.
            let _ = self.poller.modify(tcp, polling::Event::readable(SOCKET));
        }
        let due = self
            .conn
            .deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        events.clear();
        if self.poller.wait(events, due).is_err() {
            // The poller failed (it should not): fall back to a short sleep, never a spin.
            std::thread::sleep(POLL);
        }
        self.wakes.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads until the socket has nothing more (`WouldBlock`), handing each complete response
    /// on as it arrives.
    fn read_all(&mut self, buf: &mut [u8]) -> Flow {
        // A server that never stops sending must not keep requests and deadlines waiting:
        // after this many reads the loop lets them run, and comes back.
        for _ in 0..READS_PER_TURN {
            match self.stream.read(buf) {
                Ok(0) => {
                    let pending = self.conn.pending_bytes();
                    if !pending.is_empty() {
                        self.emit(EventKind::Warning(
                            Words::new("warn.cut_reply")
                                .arg("bytes", format!("\"{}\"", escaped(&pending))),
                        ));
                    }
                    self.close(ClosedBy::Server, Words::new("closed.by_server"));
                    return Flow::Stop;
                }
                Ok(n) => {
                    self.conn.receive(&buf[..n]);
                    if let Flow::Stop = self.dispatch() {
                        return Flow::Stop;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => return Flow::Continue,
                Err(_) if self.closing.load(Ordering::SeqCst) => {
                    self.close(ClosedBy::Client, Words::new("closed.by_user"));
                    return Flow::Stop;
                }
                Err(e) => {
                    self.emit(EventKind::Error(Words::new("session.io").arg("text", &e)));
                    self.close(ClosedBy::Error, Words::new("closed.os").arg("text", e));
                    return Flow::Stop;
                }
            }
        }
        Flow::Continue
    }

    fn request(&mut self, req: Request) -> Flow {
        match req {
            Request::Close => {
                self.close(ClosedBy::Client, Words::new("closed.by_user"));
                Flow::Stop
            }
            Request::Reject { id, why } => {
                self.finished(id, Finish::Rejected(why), 0);
                Flow::Continue
            }
            Request::Write {
                id,
                bytes,
                secret,
                typed,
                replies,
                answer,
            } => {
                let what = describe_sent(&bytes, secret);
                if let Err(e) = self.write_bytes(id, &bytes, secret, &typed) {
                    answer.send(Err(self.write_failed(e)));
                    self.finished(id, Finish::Closed, replies);
                    return Flow::Stop;
                }
                if replies == 0 {
                    answer.send(Ok(Vec::new()));
                    self.finished(id, Finish::Answered, 0);
                } else {
                    let deadline = Instant::now() + self.options.reply_timeout;
                    let ask = Ask {
                        waiter: Waiter::Answer(answer),
                        what,
                    };
                    self.conn.wait_for(id, replies, deadline, Some(ask));
                }
                Flow::Continue
            }
            Request::StartTls { id, answer } => {
                if self.stream.is_tls() {
                    let why = Words::new("session.tls_active");
                    answer.send(Err(SessionError::Invalid(why.clone())));
                    self.finished(id, Finish::Rejected(why), 0);
                    return Flow::Continue;
                }
                let (verb, typed) = match self.protocol {
                    Protocol::Smtp => (
                        SmtpCommand::StartTls.line(),
                        Typed::Smtp(SmtpCommand::StartTls),
                    ),
                    Protocol::Pop3 => (Pop3Command::Stls.line(), Typed::Pop3(Pop3Command::Stls)),
                    Protocol::Imap => ("STARTTLS".to_owned(), Typed::Imap(ImapCommand::StartTls)),
                };
                let line = match self.protocol {
                    Protocol::Imap => format!("{} {verb}\r\n", super::imap_tag(id)),
                    _ => format!("{verb}\r\n"),
                };
                if let Err(e) = self.write_bytes(id, line.as_bytes(), false, &[typed]) {
                    answer.send(Err(self.write_failed(e)));
                    self.finished(id, Finish::Closed, 1);
                    return Flow::Stop;
                }
                let deadline = Instant::now() + self.options.reply_timeout;
                let ask = Ask {
                    waiter: Waiter::Tls(answer),
                    what: verb,
                };
                self.conn.wait_for(id, 1, deadline, Some(ask));
                Flow::Continue
            }
        }
    }

    /// Hands every complete response to what it answers (the connection decides; the
    /// `Received` event says which), and a request's end is a `Finished` event.
    fn dispatch(&mut self) -> Flow {
        while let Some(matched) = self.conn.next_response() {
            self.flush();
            // A reply that never ends, or replies nobody asked for without end, is a flood:
            // the session ends before it fills the memory.
            if let Some(why) = matched.flood {
                self.emit(EventKind::Error(why.clone()));
                self.close(ClosedBy::Error, why);
                return Flow::Stop;
            }
            let Some(done) = matched.ended else {
                continue;
            };
            let Some(ask) = done.data else {
                self.finished(done.id, Finish::Answered, done.remaining);
                continue;
            };
            if done.remaining > 0 {
                // Not a reply: the request ends here, and the replies it still waited for
                // will pair with nothing.
                self.finished(
                    done.id,
                    Finish::Invalid {
                        what: ask.what.clone(),
                    },
                    done.remaining,
                );
                let e = SessionError::Invalid(
                    Words::new("session.invalid_reply").arg("what", &ask.what),
                );
                match ask.waiter {
                    Waiter::Answer(a) => a.send(Err(e)),
                    Waiter::Tls(a) => a.send(Err(e)),
                }
                continue;
            }
            match ask.waiter {
                Waiter::Answer(a) => {
                    self.finished(done.id, Finish::Answered, 0);
                    a.send(Ok(done.got));
                }
                Waiter::Tls(a) => {
                    // The request ends when the handshake does, or at a refusal.
                    // The last response is the answer (IMAP's untagged data comes before it).
                    let positive = done.got.last().is_some_and(Response::is_positive);
                    if !positive {
                        let text = done
                            .got
                            .last()
                            .map(|r| escaped(r.raw()).trim().to_owned())
                            .unwrap_or_default();
                        self.finished(done.id, Finish::Answered, 0);
                        a.send(Err(SessionError::Refused(text)));
                        continue;
                    }
                    self.discard_before_handshake();
                    let verb = ask.what.clone();
                    // The handshake blocks on the socket, outside the poller.
                    self.unregister();
                    self.stream.set_read_timeout(POLL);
                    let upgraded = self.upgrade(Some(&verb));
                    self.finished(done.id, Finish::Answered, 0);
                    match upgraded {
                        Ok(info) => {
                            if let Err(e) = self.register() {
                                a.send(Err(SessionError::Io(e.to_string())));
                                self.emit(EventKind::Error(
                                    Words::new("session.io").arg("text", &e),
                                ));
                                self.close(ClosedBy::Error, Words::new("closed.os").arg("text", e));
                                return Flow::Stop;
                            }
                            a.send(Ok(info));
                        }
                        Err(e) => {
                            a.send(Err(SessionError::Tls(e.to_string())));
                            self.end_waiting();
                            return Flow::Stop;
                        }
                    }
                }
            }
        }
        self.notify();
        Flow::Continue
    }

    /// Every request still waiting ends as closed (its promise answers "closed" when dropped).
    fn end_waiting(&mut self) {
        for w in self.conn.end() {
            self.finished(w.id, Finish::Closed, w.remaining);
        }
    }

    /// A request whose reply is overdue gets a timeout; a late reply is then shown as unasked.
    fn expire(&mut self) {
        for w in self.conn.expire(Instant::now()) {
            let secs = self.options.reply_timeout.as_secs();
            let what = w.data.as_ref().map(|a| a.what.as_str()).unwrap_or_default();
            self.emit(EventKind::Error(
                Words::new("session.no_reply_to")
                    .arg("what", what)
                    .arg("secs", secs),
            ));
            self.finished(w.id, Finish::TimedOut { secs }, w.remaining);
            match w.data.map(|a| a.waiter) {
                Some(Waiter::Answer(a)) => a.send(Err(SessionError::Timeout(secs))),
                Some(Waiter::Tls(a)) => a.send(Err(SessionError::Timeout(secs))),
                None => {}
            }
        }
    }

    /// A write that failed ends the session; says why in words: the user closed it, the
    /// server stopped reading (no progress within the reply timeout), or the system's error.
    fn write_failed(&mut self, e: io::Error) -> SessionError {
        if self.closing.load(Ordering::SeqCst) {
            self.close(ClosedBy::Client, Words::new("closed.by_user"));
            return SessionError::Closed;
        }
        if is_timeout(&e) {
            let secs = self.options.reply_timeout.as_secs();
            let why = Words::new("session.write_stalled").arg("secs", secs);
            self.emit(EventKind::Error(why.clone()));
            self.close(ClosedBy::Error, why.clone());
            return SessionError::Invalid(why);
        }
        self.emit(EventKind::Error(Words::new("session.send").arg("text", &e)));
        self.close(ClosedBy::Error, Words::new("closed.os").arg("text", &e));
        SessionError::Io(e.to_string())
    }

    fn close(&mut self, by: ClosedBy, why: Words) {
        if let Stream::Tls(s) = &mut self.stream {
            let _ = s.shutdown();
        }
        if let Some(tcp) = self.stream.tcp() {
            let _ = tcp.shutdown(std::net::Shutdown::Both);
        }
        self.end_waiting();
        self.conn.closed(by, why);
        self.flush();
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// A short name for what was sent, for timeout messages.
fn describe_sent(bytes: &[u8], secret: bool) -> String {
    /// A name, not a copy: a message's first line can be megabytes long.
    const SHOWN: usize = 80;
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let cut = first.len() > SHOWN;
    let text = escaped(&first[..first.len().min(SHOWN)]).trim().to_owned();
    if secret {
        return crate::proto::secret::mask(&text);
    }
    let more_lines = bytes.iter().filter(|&&b| b == b'\n').take(2).count() > 1;
    if (cut || more_lines) && !text.is_empty() {
        format!("{text} …")
    } else {
        text
    }
}
