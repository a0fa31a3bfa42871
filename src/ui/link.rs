//! One connection as the window sees it: the session (if any), the transcript folded from its
//! events, and the request still waiting for an answer. Nothing here waits: every call
//! returns at once and `poll` picks up what the network thread has done since.

use std::net::SocketAddr;

use poll_promise::Promise;

use crate::proto::pop3::Pop3Command;
use crate::proto::smtp::SmtpCommand;
use crate::session::{
    ConnectError, ConnectFailure, ConnectOptions, Event, EventKind, Finish, Protocol, RequestId,
    Security, Session, Target, TlsInfo,
};
use crate::transcript::Transcript;

enum State {
    Idle,
    Connecting(Promise<Result<Session, ConnectFailure>>),
    Open(Session),
}

/// A request in flight, and the button that asked for it (shown with a spinner). It ends
/// with its `Finished` event: the window learns everything from events.
struct Busy {
    what: String,
    id: Option<RequestId>,
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
    /// Requests typed in the raw box, until their lines are seen going out.
    typed_pending: std::collections::BTreeSet<RequestId>,
    /// Transcript rows that were typed in the raw box (lessons' "type it yourself" steps).
    pub typed_rows: std::collections::BTreeSet<usize>,
    /// How many rows at the top of the transcript came from an opened log, not from a
    /// connection: a lesson's steps are not ticked by them.
    pub opened_rows: usize,
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
            opened_rows: 0,
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

    /// Hands a request to the session. Its promise is not kept: the request's `Sent`,
    /// `Received` and `Finished` events tell the window all it needs.
    fn start<T: Send + 'static>(
        &mut self,
        what: &str,
        make: impl FnOnce(&Session) -> Promise<T>,
    ) -> Option<RequestId> {
        let s = self.session()?;
        drop(make(s));
        let id = s.last_request();
        self.busy = Some(Busy {
            what: what.to_owned(),
            id,
        });
        id
    }

    pub fn smtp(&mut self, what: &str, cmd: &SmtpCommand) {
        self.start(what, |s| s.smtp(cmd));
    }

    pub fn pop3(&mut self, what: &str, cmd: &Pop3Command) {
        self.start(what, |s| s.pop3(cmd));
    }

    pub fn imap(&mut self, what: &str, cmd: &crate::proto::imap::ImapCommand) {
        self.start(what, |s| s.imap(cmd));
    }

    pub fn auth_line(&mut self, what: &str, base64: &str, secret: bool) {
        self.start(what, |s| s.auth_line(base64, secret));
    }

    pub fn data(&mut self, what: &str, payload: Vec<u8>) {
        self.start(what, |s| s.data(payload));
    }

    /// Whether the session waits for a line that may be empty: message text after 354 (the
    /// blank line between headers and body) or an answer to an AUTH challenge.
    pub fn takes_empty_line(&self) -> bool {
        match self.protocol() {
            Some(Protocol::Smtp) => {
                let s = self.transcript.smtp();
                s.in_data() || s.auth_prompt().is_some()
            }
            Some(Protocol::Pop3) => self.transcript.pop3().awaiting_sasl(),
            Some(Protocol::Imap) => self.transcript.imap().auth_answer_due,
            None => false,
        }
    }

    /// A line typed in the raw box. Inside DATA no reply comes until the final `.`.
    pub fn raw_line(&mut self, line: &str) {
        let in_data = self.transcript.smtp().in_data() && self.protocol() == Some(Protocol::Smtp);
        let expect_reply = !in_data || line == ".";
        let secret = self.transcript.is_secret_line(line);
        if let Some(id) = self.start("raw", |s| s.raw_line(line, expect_reply, secret)) {
            self.typed_pending.insert(id);
        }
    }

    pub fn starttls(&mut self, what: &str) {
        self.start(what, |s| s.starttls());
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
            EventKind::Finished { id, finish, .. } => {
                if self.busy.as_ref().is_some_and(|b| b.id == Some(*id)) {
                    self.busy = None;
                }
                self.request_finished(finish);
            }
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
        if let EventKind::Sent { id: Some(id), .. } = &e.kind
            && self.typed_pending.remove(id)
        {
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

    /// A request ended: a failure goes to the status line. The network thread has already
    /// put its own failures in the transcript; a request refused before it was written has
    /// its reason shown there now.
    fn request_finished(&mut self, finish: &Finish) {
        let text = match finish {
            Finish::Answered => return,
            Finish::TimedOut { secs } => {
                crate::words::Words::new("session.timeout").arg("secs", secs)
            }
            Finish::Invalid { what } => {
                crate::words::Words::new("session.invalid_reply").arg("what", what)
            }
            Finish::Closed => crate::words::Words::new("session.closed"),
            Finish::Rejected(why) => {
                self.transcript
                    .apply(&Event::now(EventKind::Error(why.clone())));
                why.clone()
            }
        };
        self.last_error = Some(text);
    }

    /// Shows a transcript that was opened instead of the current one (while not connected).
    pub fn show_transcript(&mut self, t: Transcript) {
        self.opened_rows = t.len();
        self.transcript = t;
        self.typed_rows.clear();
    }

    /// Starts a new, empty transcript (the connection, if any, stays).
    pub fn clear(&mut self) {
        self.transcript.clear_entries();
        self.typed_rows.clear();
        self.opened_rows = 0;
    }
}
