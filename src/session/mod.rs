//! The client side: one background network thread per connection. It owns the socket
//! (TCP, implicit TLS or STARTTLS/STLS), takes requests and reports events; nothing here
//! waits on the caller's thread, and nothing here knows egui.

pub mod event;
pub mod send;
pub mod transport;
mod worker;

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryIter};
use std::time::Duration;

use crate::words::Words;

use poll_promise::Promise;

pub use event::{
    Answers, ClosedBy, ConnectError, Event, EventKind, Finish, Parsed, RequestId, Response,
    SessionError, TlsFailure, TlsInfo,
};
pub use transport::Trust;

use crate::proto::client::Typed;
use crate::proto::imap::ImapCommand;
use crate::proto::pop3::Pop3Command;
use crate::proto::smtp::SmtpCommand;

pub use crate::proto::Protocol;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Security {
    /// Plain TCP (STARTTLS can still be sent by hand).
    None,
    /// Plain TCP, then STARTTLS (SMTP) or STLS (POP3) before anything else.
    StartTls,
    /// TLS from the first byte: SMTPS (465) or POP3S (995).
    Implicit,
}

/// Called after every event, so a GUI can repaint (`ctx.request_repaint()`).
pub type Repaint = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
pub struct ConnectOptions {
    pub protocol: Protocol,
    pub connect_timeout: Duration,
    pub reply_timeout: Duration,
    pub trust: Trust,
    /// The name sent with EHLO during `Security::StartTls`.
    pub ehlo_name: String,
    pub repaint: Option<Repaint>,
}

impl ConnectOptions {
    pub fn new(protocol: Protocol) -> Self {
        Self {
            protocol,
            connect_timeout: Duration::from_secs(10),
            reply_timeout: Duration::from_secs(30),
            trust: Trust::default(),
            ehlo_name: "mailtutor".into(),
            repaint: None,
        }
    }
}

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
}

impl Target {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// A failed connection attempt and what happened before it failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct ConnectFailure {
    pub error: ConnectError,
    pub events: Vec<Event>,
}

/// What every request resolves to: the responses it waited for.
pub type Answer = Result<Vec<Response>, SessionError>;

pub(crate) enum Request {
    Write {
        id: RequestId,
        bytes: Vec<u8>,
        secret: bool,
        /// The commands a button made, one per line (empty for typed text).
        typed: Vec<Typed>,
        /// How many responses to wait for (0 for lines inside DATA).
        replies: usize,
        answer: Reply<Vec<Response>>,
    },
    StartTls {
        id: RequestId,
        answer: Reply<TlsInfo>,
    },
    /// A request refused before anything was written (a line break in a line, say): the
    /// network thread reports it as finished, so the window learns of it from events alone.
    Reject {
        id: RequestId,
        why: Words,
    },
    Close,
}

/// The answering end of a request's promise. If it is dropped unanswered — the connection
/// ended while the request was queued or waiting — it answers "connection closed", so a
/// promise never loses its sender (`poll_promise` would panic in the window).
pub(crate) struct Reply<T: Send + 'static>(Option<poll_promise::Sender<Result<T, SessionError>>>);

impl<T: Send + 'static> Reply<T> {
    pub(crate) fn new() -> (Self, Promise<Result<T, SessionError>>) {
        let (sender, promise) = Promise::new();
        (Self(Some(sender)), promise)
    }

    pub(crate) fn send(mut self, value: Result<T, SessionError>) {
        if let Some(s) = self.0.take() {
            s.send(value);
        }
    }
}

impl<T: Send + 'static> Drop for Reply<T> {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            s.send(Err(SessionError::Closed));
        }
    }
}

/// A live connection. Dropping it closes the connection.
pub struct Session {
    requests: Sender<Request>,
    events: Receiver<Event>,
    protocol: Protocol,
    target: Target,
    /// The connection's socket, so that closing never waits for the network thread: a write
    /// stuck on a server that stopped reading ends the moment the socket is shut down.
    socket: Option<std::net::TcpStream>,
    closing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Request ids, shared with the network thread (which numbers its own connect-time writes).
    ids: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The id of the last request made through this handle.
    last: std::cell::Cell<Option<RequestId>>,
    /// The network thread's poller: a request wakes it at once.
    wake: Arc<polling::Poller>,
    /// How many times the network thread has woken since it connected.
    wakes: Arc<std::sync::atomic::AtomicU64>,
}

fn failed(e: SessionError) -> Promise<Answer> {
    Promise::from_ready(Err(e))
}

/// The tag of an IMAP command sent as request `id`: unique on the connection, and in the order
/// the commands went out (`a002`, `a003` …).
pub fn imap_tag(id: RequestId) -> String {
    format!("a{:03}", id.0)
}

/// Takes the next request id from the counter the session and its network thread share.
pub(crate) fn next_id(ids: &std::sync::atomic::AtomicU64) -> RequestId {
    RequestId(ids.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1)
}

impl Session {
    /// Connects on a background thread. The promise resolves once the connection (and, for
    /// `Security::StartTls`, the upgrade) is ready; events start flowing at once.
    pub fn connect(
        target: Target,
        security: Security,
        options: ConnectOptions,
    ) -> Promise<Result<Session, ConnectFailure>> {
        let (sender, promise) = Promise::new();
        let name = format!("mailtutor-session-{target}");
        let spawned = std::thread::Builder::new()
            .name(name)
            .spawn(move || worker::run(target, security, options, sender));
        match spawned {
            Ok(_) => promise,
            Err(e) => Promise::from_ready(Err(ConnectFailure {
                error: ConnectError::Connect {
                    target: "?".into(),
                    detail: Words::new("detail.no_thread").arg("text", e),
                },
                events: Vec::new(),
            })),
        }
    }

    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Events since the last call, without waiting.
    pub fn events(&self) -> TryIter<'_, Event> {
        self.events.try_iter()
    }

    /// How many times the network thread has woken since the connection was ready: once per
    /// request, per burst of bytes from the server and per reply deadline; never while idle.
    pub fn wakeups(&self) -> u64 {
        self.wakes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The id of the last request made (its `Sent` and `Finished` events carry it).
    pub fn last_request(&self) -> Option<RequestId> {
        self.last.get()
    }

    fn new_id(&self) -> RequestId {
        let id = next_id(&self.ids);
        self.last.set(Some(id));
        id
    }

    /// A request refused before it was written: the promise says why at once, and the
    /// network thread ends it with a `Finished` event like any other.
    fn reject(&self, e: SessionError) -> Promise<Answer> {
        let id = self.new_id();
        let _ = self.send(Request::Reject { id, why: e.words() });
        failed(e)
    }

    /// Hands a request to the network thread and wakes it.
    fn send(&self, req: Request) -> Result<(), ()> {
        self.requests.send(req).map_err(|_| ())?;
        let _ = self.wake.notify();
        Ok(())
    }

    /// Waits up to `timeout` for the next event (for command-line tools and tests).
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    fn write(
        &self,
        bytes: Vec<u8>,
        secret: bool,
        typed: Vec<Typed>,
        replies: usize,
    ) -> Promise<Answer> {
        let id = self.new_id();
        self.write_as(id, bytes, secret, typed, replies)
    }

    fn write_as(
        &self,
        id: RequestId,
        bytes: Vec<u8>,
        secret: bool,
        typed: Vec<Typed>,
        replies: usize,
    ) -> Promise<Answer> {
        let (answer, promise) = Reply::new();
        let req = Request::Write {
            id,
            bytes,
            secret,
            typed,
            replies,
            answer,
        };
        match self.send(req) {
            Ok(()) => promise,
            Err(_) => failed(SessionError::Closed),
        }
    }

    /// Sends one SMTP command and waits for its reply.
    pub fn smtp(&self, cmd: &SmtpCommand) -> Promise<Answer> {
        match cmd.to_wire() {
            Ok(bytes) => self.write(
                bytes,
                cmd.carries_secret(),
                vec![Typed::Smtp(cmd.clone())],
                1,
            ),
            Err(e) => self.reject(SessionError::Invalid(e.words())),
        }
    }

    /// Sends several SMTP commands at once (RFC 2920 PIPELINING) and collects the replies in order.
    pub fn pipeline(&self, cmds: &[SmtpCommand]) -> Promise<Answer> {
        let mut bytes = Vec::new();
        for c in cmds {
            match c.to_wire() {
                Ok(w) => bytes.extend_from_slice(&w),
                Err(e) => return self.reject(SessionError::Invalid(e.words())),
            }
        }
        let typed = cmds.iter().cloned().map(Typed::Smtp).collect();
        self.write(bytes, false, typed, cmds.len())
    }

    /// Sends one POP3 command and waits for its response (with its body where it has one).
    pub fn pop3(&self, cmd: &Pop3Command) -> Promise<Answer> {
        match cmd.to_wire() {
            Ok(bytes) => self.write(
                bytes,
                cmd.carries_secret(),
                vec![Typed::Pop3(cmd.clone())],
                1,
            ),
            Err(e) => self.reject(SessionError::Invalid(e.words())),
        }
    }

    /// Sends one IMAP command, tagged with its request's tag, and waits for its completion
    /// (or the `+` that asks for more: AUTHENTICATE's answer, IDLE's news); the untagged data
    /// that came while it ran is answered with it, the completion last.
    pub fn imap(&self, cmd: &ImapCommand) -> Promise<Answer> {
        let id = self.new_id();
        let bytes = cmd.wire(&imap_tag(id));
        self.write_as(
            id,
            bytes,
            cmd.carries_secret(),
            vec![Typed::Imap(cmd.clone())],
            1,
        )
    }

    /// Sends a line exactly as typed (the telnet box). `expect_reply` is false for lines that
    /// get none, such as message text after 354. `secret` says the line carries a password
    /// (`Transcript::is_secret_line` decides it with the session's state); it is then masked
    /// in every event and message about it.
    pub fn raw_line(&self, line: &str, expect_reply: bool, secret: bool) -> Promise<Answer> {
        if line.contains(['\r', '\n']) {
            return self.reject(SessionError::Invalid(Words::new("session.line_break")));
        }
        self.write(
            format!("{line}\r\n").into_bytes(),
            secret,
            Vec::new(),
            usize::from(expect_reply),
        )
    }

    /// Answers a 334 (or POP3 `+`) challenge with a base64 line; `secret` masks it.
    pub fn auth_line(&self, base64: &str, secret: bool) -> Promise<Answer> {
        if base64.contains(['\r', '\n']) {
            return self.reject(SessionError::Invalid(Words::new("session.line_break")));
        }
        self.write(format!("{base64}\r\n").into_bytes(), secret, Vec::new(), 1)
    }

    /// Sends the DATA payload (already dot-stuffed and ending in `.` CRLF) and waits for the 250.
    pub fn data(&self, payload: Vec<u8>) -> Promise<Answer> {
        if !payload.ends_with(b"\r\n.\r\n") && payload != b".\r\n" {
            return self.reject(SessionError::Invalid(Words::new("session.no_final_dot")));
        }
        self.write(payload, false, Vec::new(), 1)
    }

    /// Sends STARTTLS (SMTP) or STLS (POP3) and, on a positive answer, runs the handshake.
    pub fn starttls(&self) -> Promise<Result<TlsInfo, SessionError>> {
        let (answer, promise) = Reply::new();
        let id = self.new_id();
        match self.send(Request::StartTls { id, answer }) {
            Ok(()) => promise,
            Err(_) => Promise::from_ready(Err(SessionError::Closed)),
        }
    }

    /// Closes the connection (without QUIT) at once, even while a write is stuck.
    pub fn close(&self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self.send(Request::Close);
        if let Some(s) = &self.socket {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

/// Blocks until the promise resolves (command-line tools and tests only, never the GUI).
pub fn wait<T: Send + 'static>(p: Promise<T>) -> T {
    p.block_and_take()
}
