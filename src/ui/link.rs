//! One connection as the window sees it: the session (if any), the transcript folded from its
//! events, and the request still waiting for an answer. Nothing here waits: every call
//! returns at once and `poll` picks up what the network thread has done since.

use std::net::SocketAddr;

use poll_promise::Promise;

use crate::proto::pop3::Pop3Command;
use crate::proto::smtp::SmtpCommand;
use crate::session::{
    Answer, ConnectError, ConnectFailure, ConnectOptions, Event, EventKind, Protocol, Security,
    Session, SessionError, Target, TlsInfo,
};
use crate::transcript::Transcript;

enum State {
    Idle,
    Connecting(Promise<Result<Session, ConnectFailure>>),
    Open(Session),
}

enum Wait {
    Answer(Promise<Answer>),
    Tls(Promise<Result<TlsInfo, SessionError>>),
}

/// A request in flight, and the button that asked for it (shown with a spinner).
struct Busy {
    what: String,
    wait: Wait,
}

pub struct Link {
    state: State,
    pub transcript: Transcript,
    busy: Option<Busy>,
    /// The connected peer, and the TLS state of the connection.
    pub peer: Option<SocketAddr>,
    pub tls: Option<TlsInfo>,
    /// The last error a request or connect ended in, for the status line.
    pub last_error: Option<crate::words::Words>,
    /// The fingerprint of a certificate the last connect refused, so the user can trust it.
    pub untrusted: Option<String>,
    /// Lines typed in the raw box and not yet seen going out, oldest first.
    typed_pending: std::collections::VecDeque<Vec<u8>>,
    /// Transcript rows that were typed in the raw box (lessons' "type it yourself" steps).
    pub typed_rows: std::collections::BTreeSet<usize>,
}

impl Default for Link {
    fn default() -> Self {
        Self {
            state: State::Idle,
            transcript: Transcript::new(Protocol::Smtp),
            busy: None,
            peer: None,
            tls: None,
            last_error: None,
            untrusted: None,
            typed_pending: Default::default(),
            typed_rows: Default::default(),
        }
    }
}

impl Link {
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_))
    }

    pub fn is_connecting(&self) -> bool {
        matches!(self.state, State::Connecting(_))
    }

    pub fn protocol(&self) -> Option<Protocol> {
        match &self.state {
            State::Open(s) => Some(s.protocol()),
            _ => None,
        }
    }

    /// What is waiting for an answer: a button label, or `None` when idle.
    pub fn busy(&self) -> Option<&str> {
        if self.is_connecting() {
            return Some("connect");
        }
        self.busy.as_ref().map(|b| b.what.as_str())
    }

    pub fn connect(&mut self, target: Target, security: Security, options: ConnectOptions) {
        if !matches!(self.state, State::Idle) {
            return;
        }
        self.transcript.set_protocol(options.protocol);
        self.last_error = None;
        self.untrusted = None;
        self.tls = None;
        self.peer = None;
        self.state = State::Connecting(Session::connect(target, security, options));
    }

    /// Asks the network thread to close; the state turns idle when its `Closed` event arrives.
    pub fn disconnect(&mut self) {
        if let State::Open(s) = &self.state {
            s.close();
        }
    }

    fn session(&self) -> Option<&Session> {
        match &self.state {
            State::Open(s) if self.busy.is_none() => Some(s),
            _ => None,
        }
    }

    fn start(&mut self, what: &str, make: impl FnOnce(&Session) -> Promise<Answer>) {
        if let Some(s) = self.session() {
            let wait = Wait::Answer(make(s));
            self.busy = Some(Busy {
                what: what.to_owned(),
                wait,
            });
        }
    }

    pub fn smtp(&mut self, what: &str, cmd: &SmtpCommand) {
        self.start(what, |s| s.smtp(cmd));
    }

    pub fn pop3(&mut self, what: &str, cmd: &Pop3Command) {
        self.start(what, |s| s.pop3(cmd));
    }

    pub fn auth_line(&mut self, what: &str, base64: &str, secret: bool) {
        self.start(what, |s| s.auth_line(base64, secret));
    }

    pub fn data(&mut self, what: &str, payload: Vec<u8>) {
        self.start(what, |s| s.data(payload));
    }

    /// A line typed in the raw box. Inside DATA no reply comes until the final `.`.
    pub fn raw_line(&mut self, line: &str) {
        let in_data = self.transcript.smtp().in_data() && self.protocol() == Some(Protocol::Smtp);
        let expect_reply = !in_data || line == ".";
        if self.session().is_some() && !line.contains(['\r', '\n']) {
            self.typed_pending
                .push_back(format!("{line}\r\n").into_bytes());
        }
        let secret = self.transcript.is_secret_line(line);
        self.start("raw", |s| s.raw_line(line, expect_reply, secret));
    }

    pub fn starttls(&mut self, what: &str) {
        if let Some(s) = self.session() {
            let wait = Wait::Tls(s.starttls());
            self.busy = Some(Busy {
                what: what.to_owned(),
                wait,
            });
        }
    }

    /// Folds whatever happened since the last call. Returns true when something changed.
    pub fn poll(&mut self) -> bool {
        let mut changed = false;
        if let State::Connecting(p) = &mut self.state
            && p.ready().is_some()
        {
            changed = true;
            let State::Connecting(p) = std::mem::replace(&mut self.state, State::Idle) else {
                return changed;
            };
            match p.block_and_take() {
                Ok(session) => self.state = State::Open(session),
                Err(failure) => self.connect_failed(failure),
            }
        }
        let mut events = Vec::new();
        if let State::Open(s) = &self.state {
            events.extend(s.events());
        }
        for e in &events {
            changed = true;
            self.fold(e);
        }
        if let Some(b) = &mut self.busy {
            let done = match &mut b.wait {
                Wait::Answer(p) => p.ready().map(|r| r.as_ref().err().cloned()),
                Wait::Tls(p) => p.ready().map(|r| r.as_ref().err().cloned()),
            };
            if let Some(error) = done {
                changed = true;
                self.busy = None;
                if let Some(e) = error {
                    self.request_failed(e);
                }
            }
        }
        if events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Closed { .. }))
        {
            self.state = State::Idle;
            self.busy = None;
        }
        changed
    }

    fn fold(&mut self, e: &Event) {
        match &e.kind {
            EventKind::Connected { peer, .. } => self.peer = Some(*peer),
            EventKind::TlsEstablished(info) => self.tls = Some(info.clone()),
            EventKind::Closed { .. } => {
                self.peer = None;
                self.tls = None;
                self.typed_pending.clear();
            }
            _ => {}
        }
        let before = self.transcript.len();
        self.transcript.apply(e);
        if let EventKind::Sent { bytes, .. } = &e.kind
            && self.typed_pending.front() == Some(bytes)
        {
            self.typed_pending.pop_front();
            self.typed_rows.extend(before..self.transcript.len());
        }
    }

    fn connect_failed(&mut self, failure: ConnectFailure) {
        for e in &failure.events {
            self.fold(e);
        }
        let text = failure.error.words();
        let already = failure.events.iter().any(|e| match &e.kind {
            EventKind::Error(t) => *t == text,
            _ => false,
        });
        if !already {
            self.transcript
                .apply(&Event::now(EventKind::Error(text.clone())));
        }
        if let ConnectError::Tls {
            fingerprint: Some(fp),
            ..
        } = &failure.error
        {
            self.untrusted = Some(fp.clone());
        }
        self.peer = None;
        self.tls = None;
        self.last_error = Some(text);
    }

    fn request_failed(&mut self, e: SessionError) {
        let text = e.words();
        // The network thread reports its own failures as events; a request it never saw
        // (an address that does not parse, say) is reported here.
        if matches!(e, SessionError::Invalid(_)) {
            self.transcript
                .apply(&Event::now(EventKind::Error(text.clone())));
        }
        self.last_error = Some(text);
    }

    /// Starts a new, empty transcript (the connection, if any, stays).
    pub fn clear(&mut self) {
        self.transcript.clear_entries();
        self.typed_rows.clear();
    }
}
