//! The POP3 client session: AUTHORIZATION → TRANSACTION → UPDATE (RFC 1939 §3), fed with
//! commands sent and responses received. Its words are keys of `assets/i18n/tutor.toml`.

use std::collections::{BTreeSet, VecDeque};

use super::Lang;
use super::codes;
use super::pop3::{Pop3Command, Pop3Kind};
use super::reply::{Pop3Indicator, Pop3Response};
use super::situations::{Answers, Flag, Protocol, ReplyContext};
use crate::words::{Words, tr, trf};

/// The RFC 1939 session states, plus the two ends around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop3State {
    Disconnected,
    Greeting,
    Authorization,
    Transaction,
    /// QUIT was sent in TRANSACTION: the server deletes the marked messages now.
    Update,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pop3Step {
    Connect,
    WaitForGreeting,
    WaitForReply,
    TlsHandshake,
    Command(Pop3Kind),
}

impl Pop3Step {
    pub fn describe(self, lang: Lang) -> String {
        match self {
            Pop3Step::Connect => tr(lang, "pop3.step.connect"),
            Pop3Step::WaitForGreeting => tr(lang, "pop3.step.wait_greeting"),
            Pop3Step::WaitForReply => tr(lang, "pop3.step.wait_reply"),
            Pop3Step::TlsHandshake => tr(lang, "pop3.step.tls"),
            Pop3Step::Command(k) => trf(lang, "pop3.step.command", &[("command", k.label())]),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pop3Prediction {
    pub reason: Words,
    pub needed: Option<Pop3Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3Outcome {
    Greeting {
        ok: bool,
    },
    UserAccepted,
    LoggedIn,
    LoginFailed {
        resp_code: Option<String>,
    },
    Stat {
        count: u64,
        octets: u64,
    },
    Listing {
        lines: usize,
    },
    Message {
        octets: usize,
    },
    Deleted {
        msg: u32,
    },
    Reset,
    Bye {
        deleted: usize,
    },
    TlsReady,
    Capabilities {
        count: usize,
    },
    Refused {
        command: Option<Pop3Kind>,
        resp_code: Option<String>,
    },
    Done {
        command: Option<Pop3Kind>,
    },
}

impl Pop3Outcome {
    pub fn describe(&self, lang: Lang) -> String {
        let code_text = |rc: &Option<String>| {
            rc.as_deref()
                .and_then(codes::pop3_resp_code)
                .map(|e| format!(" [{}] {}", e.code, e.meaning.get(lang)))
                .unwrap_or_default()
        };
        let label = |c: &Option<Pop3Kind>| c.map(|c| c.label()).unwrap_or("?");
        match self {
            Pop3Outcome::Greeting { ok: true } => tr(lang, "pop3.outcome.greeting"),
            Pop3Outcome::Greeting { ok: false } => tr(lang, "pop3.outcome.greeting_refused"),
            Pop3Outcome::UserAccepted => tr(lang, "pop3.outcome.user_ok"),
            Pop3Outcome::LoggedIn => tr(lang, "pop3.outcome.logged_in"),
            Pop3Outcome::LoginFailed { resp_code } => trf(
                lang,
                "pop3.outcome.login_failed",
                &[("code", &code_text(resp_code))],
            ),
            Pop3Outcome::Stat { count, octets } => trf(
                lang,
                "pop3.outcome.stat",
                &[
                    ("count", &count.to_string()),
                    ("octets", &octets.to_string()),
                ],
            ),
            Pop3Outcome::Listing { lines } => trf(
                lang,
                "pop3.outcome.listing",
                &[("lines", &lines.to_string())],
            ),
            Pop3Outcome::Message { octets } => trf(
                lang,
                "pop3.outcome.message",
                &[("octets", &octets.to_string())],
            ),
            Pop3Outcome::Deleted { msg } => {
                trf(lang, "pop3.outcome.deleted", &[("msg", &msg.to_string())])
            }
            Pop3Outcome::Reset => tr(lang, "pop3.outcome.reset"),
            Pop3Outcome::Bye { deleted: 0 } => tr(lang, "pop3.outcome.bye_none"),
            Pop3Outcome::Bye { deleted: 1 } => tr(lang, "pop3.outcome.bye_one"),
            Pop3Outcome::Bye { deleted } => trf(
                lang,
                "pop3.outcome.bye",
                &[("deleted", &deleted.to_string())],
            ),
            Pop3Outcome::TlsReady => tr(lang, "pop3.outcome.tls_ready"),
            Pop3Outcome::Capabilities { count } => trf(
                lang,
                "pop3.outcome.capabilities",
                &[("count", &count.to_string())],
            ),
            Pop3Outcome::Refused { command, resp_code } => trf(
                lang,
                "pop3.outcome.refused",
                &[("command", label(command)), ("code", &code_text(resp_code))],
            ),
            Pop3Outcome::Done { command } => {
                trf(lang, "pop3.outcome.done", &[("command", label(command))])
            }
        }
    }
}

/// The client's view of one POP3 session.
/// Commands waiting for responses, put aside by [`Pop3Session::set_aside`].
#[derive(Debug)]
pub struct Pop3SetAside(VecDeque<Result<Pop3Command, Unread>>);

/// A line the tutor does not read as one of its POP3 commands: what its first word names, or
/// AUTH (RFC 5034), whose `+OK` logs in as PASS's does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unread {
    Verb(Option<Pop3Kind>),
    Auth,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pop3Session {
    state: Pop3State,
    user_accepted: bool,
    tls: bool,
    tls_pending: bool,
    deleted: BTreeSet<u32>,
    /// Commands awaiting their response; `Err` for a line the tutor could not read as one,
    /// with the command its first word names.
    pending: VecDeque<Result<Pop3Command, Unread>>,
    /// A `+` challenge came during AUTH (RFC 5034): the client's next line is its answer, and
    /// the final `+OK`/`-ERR` still answers the AUTH line.
    sasl: bool,
    /// The newest transaction command the server accepted, so that the next step moves on
    /// (STAT, then LIST, then RETR, then DELE, then QUIT).
    done: Option<Pop3Kind>,
    /// The last STAT said the maildrop is empty.
    empty: bool,
    /// The highest message number the last STAT showed (its count, plus the messages marked
    /// with DELE before it, which STAT leaves out but which keep their numbers).
    highest: Option<u64>,
    /// Commands waiting that a [`Self::snapshot`] leaves out (none in the session itself).
    cut: usize,
}

impl Default for Pop3Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Pop3Session {
    pub fn new() -> Self {
        Self {
            state: Pop3State::Disconnected,
            user_accepted: false,
            tls: false,
            tls_pending: false,
            deleted: BTreeSet::new(),
            pending: VecDeque::new(),
            sasl: false,
            done: None,
            empty: false,
            highest: None,
            cut: 0,
        }
    }

    /// A copy for a view, cheap however many commands wait: of those only the oldest (what
    /// the next response answers) is kept, and how many there are.
    pub fn snapshot(&self) -> Self {
        Self {
            state: self.state,
            user_accepted: self.user_accepted,
            tls: self.tls,
            tls_pending: self.tls_pending,
            deleted: self.deleted.clone(),
            pending: self.pending.front().cloned().into_iter().collect(),
            sasl: self.sasl,
            done: self.done,
            empty: self.empty,
            highest: self.highest,
            cut: (self.pending.len() + self.cut).saturating_sub(1),
        }
    }

    pub fn on_connected(&mut self, tls: bool) {
        *self = Self::new();
        self.state = Pop3State::Greeting;
        self.tls = tls;
    }

    pub fn on_closed(&mut self) {
        self.state = Pop3State::Disconnected;
        self.pending.clear();
    }

    pub fn on_tls_established(&mut self) {
        self.tls = true;
        self.tls_pending = false;
    }

    pub fn state(&self) -> Pop3State {
        self.state
    }
    pub fn is_tls(&self) -> bool {
        self.tls
    }
    pub fn tls_pending(&self) -> bool {
        self.tls_pending
    }
    pub fn is_deleted(&self, msg: u32) -> bool {
        self.deleted.contains(&msg)
    }

    /// Puts the commands waiting for responses aside while a response that answers none of
    /// them (the greeting) is folded; see [`crate::proto::smtp_state::SmtpSession::set_aside`].
    pub(in crate::proto) fn set_aside(&mut self) -> Pop3SetAside {
        Pop3SetAside(std::mem::take(&mut self.pending))
    }

    /// Ends [`Self::set_aside`]: the commands wait again, ahead of any sent since.
    pub(in crate::proto) fn take_back(&mut self, aside: Pop3SetAside) {
        let mut pending = aside.0;
        pending.append(&mut self.pending);
        self.pending = pending;
    }

    /// Stops waiting for the responses to the `n` oldest commands sent (see
    /// [`crate::proto::smtp_state::SmtpSession::abandon`]).
    pub(in crate::proto) fn abandon(&mut self, n: usize) {
        for _ in 0..n {
            self.pending.pop_front();
        }
    }

    pub fn on_sent(&mut self, cmd: &Pop3Command) {
        if cmd.kind() == Pop3Kind::Quit && self.state == Pop3State::Transaction {
            self.state = Pop3State::Update;
        }
        self.pending.push_back(Ok(cmd.clone()));
    }

    /// Whether the server's last line was an AUTH challenge (`+ …`), which the client's next
    /// line answers.
    pub fn awaiting_sasl(&self) -> bool {
        self.sasl
    }

    /// The client answered an AUTH challenge.
    pub fn on_sasl_answer(&mut self) {
        self.sasl = false;
    }

    /// Records a line that is not a POP3 command the tutor can read (`kind` is what its first
    /// word names): the server still answers it.
    pub fn on_sent_unknown(&mut self, kind: Option<Pop3Kind>) {
        self.pending.push_back(Err(Unread::Verb(kind)));
    }

    /// Records an AUTH line (RFC 5034): its final `+OK` logs in.
    pub fn on_sent_auth(&mut self) {
        self.pending.push_back(Err(Unread::Auth));
    }

    /// What the next response will answer and the state it will find.
    pub fn reply_context(&self) -> ReplyContext {
        let answers = match self.pending.front() {
            None if self.state == Pop3State::Greeting => Answers::Greeting,
            None => Answers::None,
            Some(Ok(cmd)) => cmd.kind().answers(),
            Some(Err(Unread::Verb(Some(kind)))) => kind.answers(),
            Some(Err(Unread::Verb(None))) => Answers::Unknown,
            Some(Err(Unread::Auth)) => Answers::Auth,
        };
        ReplyContext::new(Protocol::Pop3, answers)
            .flag(
                Flag::Malformed,
                matches!(self.pending.front(), Some(Err(Unread::Verb(_)))),
            )
            .flag(Flag::Authorization, self.state == Pop3State::Authorization)
            .flag(Flag::Transaction, self.state == Pop3State::Transaction)
            .flag(Flag::Update, self.state == Pop3State::Update)
            .flag(Flag::Tls, self.tls)
            .flag(Flag::UserAccepted, self.user_accepted)
            .flag(Flag::NoSuchNumber, self.names_no_message())
            .flag(
                Flag::Unnumbered,
                matches!(
                    self.pending.front(),
                    Some(Ok(Pop3Command::List(None) | Pop3Command::Uidl(None)))
                ),
            )
    }

    /// Whether the command the next response answers names a message this session does not
    /// have: number 0, one above the highest STAT showed, or one marked with DELE.
    fn names_no_message(&self) -> bool {
        let n = match self.pending.front() {
            Some(Ok(
                Pop3Command::Retr(n)
                | Pop3Command::Dele(n)
                | Pop3Command::Top { msg: n, .. }
                | Pop3Command::List(Some(n))
                | Pop3Command::Uidl(Some(n)),
            )) => *n,
            _ => return false,
        };
        n == 0 || self.highest.is_some_and(|h| u64::from(n) > h) || self.deleted.contains(&n)
    }

    pub fn on_response(&mut self, resp: &Pop3Response) -> Pop3Outcome {
        // A challenge answers nothing yet: the command it belongs to stays pending.
        if resp.status.indicator == Pop3Indicator::Continue {
            self.sasl = true;
            return Pop3Outcome::Done { command: None };
        }
        self.sasl = false;
        let ok = resp.status.indicator != Pop3Indicator::Err;
        // A reply to a line the tutor could not read, or one nobody asked for.
        let unread = |command: Option<Pop3Kind>| {
            if ok {
                Pop3Outcome::Done { command }
            } else {
                Pop3Outcome::Refused {
                    command,
                    resp_code: resp.status.resp_code.clone(),
                }
            }
        };
        let cmd = match self.pending.pop_front() {
            Some(Ok(cmd)) => cmd,
            Some(Err(Unread::Verb(kind))) => return unread(kind),
            Some(Err(Unread::Auth)) if ok => {
                self.state = Pop3State::Transaction;
                self.user_accepted = false;
                return Pop3Outcome::LoggedIn;
            }
            // A refused AUTH may be a mechanism or a command the server does not offer, not
            // only wrong credentials: its words say which.
            Some(Err(Unread::Auth)) => return unread(None),
            None if self.state == Pop3State::Greeting => {
                self.state = if ok {
                    Pop3State::Authorization
                } else {
                    Pop3State::Disconnected
                };
                return Pop3Outcome::Greeting { ok };
            }
            None => return unread(None),
        };
        let kind = cmd.kind();
        if !ok {
            if matches!(kind, Pop3Kind::Pass | Pop3Kind::Apop) {
                self.user_accepted = false;
                return Pop3Outcome::LoginFailed {
                    resp_code: resp.status.resp_code.clone(),
                };
            }
            if kind == Pop3Kind::Quit {
                self.state = Pop3State::Disconnected;
            }
            return Pop3Outcome::Refused {
                command: Some(kind),
                resp_code: resp.status.resp_code.clone(),
            };
        }
        let body_lines = resp.body_line_count();
        // A mailbox command the server carried out shows that it has let the session in,
        // whatever login the tutor saw (a server that takes USER alone, or no login at all).
        // NOOP and RSET are left out: a lenient server answers them anywhere.
        if self.state == Pop3State::Authorization
            && matches!(
                kind,
                Pop3Kind::Stat
                    | Pop3Kind::List
                    | Pop3Kind::Uidl
                    | Pop3Kind::Retr
                    | Pop3Kind::Top
                    | Pop3Kind::Dele
            )
        {
            self.state = Pop3State::Transaction;
            self.user_accepted = false;
        }
        if self.state == Pop3State::Transaction {
            self.done = Some(kind);
        }
        match cmd {
            Pop3Command::User(_) => {
                self.user_accepted = true;
                Pop3Outcome::UserAccepted
            }
            Pop3Command::Pass(_) | Pop3Command::Apop { .. } => {
                self.state = Pop3State::Transaction;
                Pop3Outcome::LoggedIn
            }
            Pop3Command::Stat => {
                let mut nums = resp.status.text.split_whitespace().map(str::parse::<u64>);
                match (nums.next(), nums.next()) {
                    (Some(Ok(count)), Some(Ok(octets))) => {
                        self.empty = count == 0;
                        self.highest = Some(count.saturating_add(self.deleted.len() as u64));
                        Pop3Outcome::Stat { count, octets }
                    }
                    _ => Pop3Outcome::Done {
                        command: Some(kind),
                    },
                }
            }
            Pop3Command::List(None) | Pop3Command::Uidl(None) => {
                if let Some(listed) = resp.body().and_then(highest_listed) {
                    let marked = self.deleted.iter().max().map_or(0, |&n| u64::from(n));
                    self.highest = Some(listed.max(marked));
                }
                Pop3Outcome::Listing { lines: body_lines }
            }
            Pop3Command::Retr(_) | Pop3Command::Top { .. } => Pop3Outcome::Message {
                octets: resp.body().map_or(0, <[u8]>::len),
            },
            Pop3Command::Dele(n) => {
                self.deleted.insert(n);
                Pop3Outcome::Deleted { msg: n }
            }
            Pop3Command::Rset => {
                self.deleted.clear();
                Pop3Outcome::Reset
            }
            Pop3Command::Quit => {
                let deleted = if self.state == Pop3State::Update {
                    self.deleted.len()
                } else {
                    0
                };
                self.state = Pop3State::Disconnected;
                Pop3Outcome::Bye { deleted }
            }
            Pop3Command::Stls => {
                self.tls_pending = true;
                Pop3Outcome::TlsReady
            }
            Pop3Command::Capa => Pop3Outcome::Capabilities { count: body_lines },
            _ => Pop3Outcome::Done {
                command: Some(kind),
            },
        }
    }

    pub fn expected_next(&self) -> Vec<Pop3Step> {
        use Pop3Kind as K;
        let c = Pop3Step::Command;
        match self.state {
            Pop3State::Disconnected => vec![Pop3Step::Connect],
            Pop3State::Greeting => vec![Pop3Step::WaitForGreeting],
            Pop3State::Update => vec![Pop3Step::WaitForReply],
            _ if self.tls_pending => vec![Pop3Step::TlsHandshake],
            _ if !self.pending.is_empty() => vec![Pop3Step::WaitForReply],
            Pop3State::Authorization if self.user_accepted => vec![c(K::Pass)],
            Pop3State::Authorization => {
                let mut v = vec![c(K::User), c(K::Capa)];
                if !self.tls {
                    v.push(c(K::Stls));
                }
                v
            }
            // An empty maildrop has nothing to list or read.
            Pop3State::Transaction if self.empty => vec![c(K::Quit), c(K::Stat), c(K::Noop)],
            // The lesson's order: count, list, read, delete, leave; what was done moves on.
            Pop3State::Transaction => {
                let order = match self.done {
                    None | Some(K::Noop | K::Capa | K::Pass | K::Apop | K::User) => {
                        [K::Stat, K::List, K::Uidl, K::Retr, K::Top, K::Dele, K::Quit]
                    }
                    Some(K::Stat) => [K::List, K::Uidl, K::Retr, K::Top, K::Dele, K::Quit, K::Stat],
                    Some(K::List | K::Uidl) => {
                        [K::Retr, K::Top, K::Dele, K::Quit, K::List, K::Uidl, K::Stat]
                    }
                    Some(K::Retr | K::Top) => {
                        [K::Dele, K::Quit, K::Retr, K::Top, K::List, K::Uidl, K::Stat]
                    }
                    _ => [K::Quit, K::Retr, K::List, K::Dele, K::Stat, K::Uidl, K::Top],
                };
                let mut v: Vec<_> = order.into_iter().map(c).collect();
                v.extend([c(K::Rset), c(K::Noop)]);
                v
            }
        }
    }

    /// Whether `kind` is out of sequence now, and why the server will answer `-ERR`.
    pub fn check(&self, kind: Pop3Kind) -> Option<Pop3Prediction> {
        use Pop3Kind as K;
        let p = |key: &'static str, needed| {
            Some(Pop3Prediction {
                reason: Words::new(key),
                needed,
            })
        };
        match self.state {
            Pop3State::Disconnected => p("pop3.predict.not_connected", Some(Pop3Step::Connect)),
            Pop3State::Greeting => p(
                "pop3.predict.before_greeting",
                Some(Pop3Step::WaitForGreeting),
            ),
            Pop3State::Update => p("pop3.predict.quit_sent", Some(Pop3Step::Connect)),
            Pop3State::Authorization => match kind {
                K::User | K::Apop | K::Capa | K::Quit | K::Noop => None,
                K::Stls if self.tls => p("pop3.predict.tls_active", None),
                K::Stls => None,
                K::Pass if self.user_accepted => None,
                K::Pass => p("pop3.predict.pass_first", Some(Pop3Step::Command(K::User))),
                _ => p(
                    "pop3.predict.login_first",
                    Some(Pop3Step::Command(if self.user_accepted {
                        K::Pass
                    } else {
                        K::User
                    })),
                ),
            },
            Pop3State::Transaction => match kind {
                K::User | K::Pass | K::Apop | K::Stls => p("pop3.predict.logged_in", None),
                _ => None,
            },
        }
    }

    /// True when the next response answers a command whose `+OK` has a body (LIST, RETR …).
    pub fn next_expects_body(&self) -> bool {
        matches!(
            self.pending.front(),
            Some(Ok(cmd)) if cmd.expect() == super::reply::Pop3Expect::MultiLine
        )
    }
}

/// The highest message number a LIST or UIDL listing names (0 for an empty one), or `None`
/// where a line does not start with a number: the listing then shows nothing the tutor can
/// rely on. A listing leaves out the messages marked with DELE.
fn highest_listed(body: &[u8]) -> Option<u64> {
    let mut highest = 0;
    for line in body.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let number = line.split(|&c| c == b' ').next()?;
        highest = highest.max(std::str::from_utf8(number).ok()?.parse::<u64>().ok()?);
    }
    Some(highest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::reply::{Pop3Expect, Pop3Reader};

    struct Rig {
        s: Pop3Session,
        r: Pop3Reader,
    }

    impl Rig {
        fn new() -> Self {
            let mut s = Pop3Session::new();
            s.on_connected(false);
            Self {
                s,
                r: Pop3Reader::new(),
            }
        }
        fn send(&mut self, line: &str) {
            let c = Pop3Command::parse(line).unwrap();
            self.r.expect(c.expect());
            self.s.on_sent(&c);
        }
        fn recv(&mut self, bytes: &str) -> Pop3Outcome {
            self.r.push(bytes.as_bytes());
            match self.r.next_response() {
                Some(Ok(resp)) => self.s.on_response(&resp),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn tutorial_pop3_session() {
        use Pop3Kind as K;
        let mut t = Rig::new();
        assert_eq!(t.s.expected_next(), vec![Pop3Step::WaitForGreeting]);
        assert_eq!(
            t.recv("+OK Welcome to coremail Mail Pop3 Server\r\n"),
            Pop3Outcome::Greeting { ok: true }
        );
        assert_eq!(t.s.state(), Pop3State::Authorization);
        assert!(t.s.check(K::Stat).is_some());
        assert!(t.s.check(K::Pass).is_some());
        t.send("user student@mailtutor.test");
        assert_eq!(t.recv("+OK\r\n"), Pop3Outcome::UserAccepted);
        assert_eq!(t.s.expected_next(), vec![Pop3Step::Command(K::Pass)]);
        t.send("pass secret");
        assert_eq!(
            t.recv("+OK 24 message(s) [643260 byte(s)]\r\n"),
            Pop3Outcome::LoggedIn
        );
        assert_eq!(t.s.state(), Pop3State::Transaction);
        assert!(t.s.check(K::User).is_some());
        t.send("stat");
        assert_eq!(
            t.recv("+OK 2 320\r\n"),
            Pop3Outcome::Stat {
                count: 2,
                octets: 320
            }
        );
        t.send("list");
        assert_eq!(
            t.recv("+OK\r\n1 120\r\n2 200\r\n.\r\n"),
            Pop3Outcome::Listing { lines: 2 }
        );
        t.send("retr 1");
        assert!(matches!(
            t.recv("+OK 120 octets\r\nSubject: hi\r\n\r\nbody\r\n.\r\n"),
            Pop3Outcome::Message { .. }
        ));
        t.send("dele 1");
        assert_eq!(
            t.recv("+OK message 1 deleted\r\n"),
            Pop3Outcome::Deleted { msg: 1 }
        );
        assert!(t.s.is_deleted(1));
        t.send("rset");
        assert_eq!(t.recv("+OK\r\n"), Pop3Outcome::Reset);
        assert!(!t.s.is_deleted(1));
        t.send("dele 2");
        t.recv("+OK\r\n");
        t.send("quit");
        assert_eq!(t.s.state(), Pop3State::Update);
        let o = t.recv("+OK bye\r\n");
        assert_eq!(o, Pop3Outcome::Bye { deleted: 1 });
        assert!(o.describe(Lang::En).contains("UPDATE"));
        assert_eq!(
            o.describe(Lang::En),
            "Session over (UPDATE state): the marked message is deleted now."
        );
        assert_eq!(t.s.expected_next(), vec![Pop3Step::Connect]);
    }

    /// Next moves on through the lesson's order as each command is answered, and an empty
    /// maildrop leads to QUIT.
    #[test]
    fn the_next_step_moves_on_after_each_command() {
        use Pop3Kind as K;
        let first = |t: &Rig| t.s.expected_next().first().copied();
        let logged_in = || {
            let mut t = Rig::new();
            t.recv("+OK ready\r\n");
            t.send("USER a");
            t.recv("+OK\r\n");
            t.send("PASS b");
            t.recv("+OK\r\n");
            t
        };
        let mut t = logged_in();
        assert_eq!(first(&t), Some(Pop3Step::Command(K::Stat)));
        for (line, reply, next) in [
            ("STAT", "+OK 2 320\r\n", K::List),
            ("LIST", "+OK\r\n1 120\r\n2 200\r\n.\r\n", K::Retr),
            ("RETR 1", "+OK\r\nSubject: hi\r\n\r\nbody\r\n.\r\n", K::Dele),
            ("DELE 1", "+OK\r\n", K::Quit),
        ] {
            t.send(line);
            t.recv(reply);
            assert_eq!(first(&t), Some(Pop3Step::Command(next)), "after {line}");
        }
        // A refused command does not move it on.
        t.send("RETR 9");
        t.recv("-ERR no such message\r\n");
        assert_eq!(first(&t), Some(Pop3Step::Command(K::Quit)));

        let mut t = logged_in();
        t.send("STAT");
        t.recv("+OK 0 0\r\n");
        assert_eq!(first(&t), Some(Pop3Step::Command(K::Quit)));
    }

    #[test]
    fn failed_login_with_resp_code() {
        let mut t = Rig::new();
        t.recv("+OK ready\r\n");
        t.send("USER student@mailtutor.test");
        t.recv("+OK\r\n");
        t.send("PASS wrong");
        let o = t.recv("-ERR [AUTH] Authentication failed.\r\n");
        assert_eq!(
            o,
            Pop3Outcome::LoginFailed {
                resp_code: Some("AUTH".into())
            }
        );
        assert!(o.describe(Lang::En).contains("[AUTH]"));
        assert_eq!(t.s.state(), Pop3State::Authorization);
        assert_eq!(t.s.expected_next()[0], Pop3Step::Command(Pop3Kind::User));
        t.send("USER a");
        t.recv("+OK\r\n");
        t.send("PASS b");
        let o = t.recv("-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n");
        assert!(o.describe(Lang::Zh).contains("IN-USE"));
    }

    #[test]
    fn a_sasl_login_logs_in_as_pass_does() {
        let mut t = Rig::new();
        t.recv("+OK ready\r\n");
        t.s.on_sent_auth();
        assert_eq!(t.s.reply_context().answers, Answers::Auth);
        assert_eq!(t.recv("+ \r\n"), Pop3Outcome::Done { command: None });
        t.s.on_sasl_answer();
        assert_eq!(
            t.recv("+OK Plain authentication succeeded\r\n"),
            Pop3Outcome::LoggedIn
        );
        assert_eq!(t.s.state(), Pop3State::Transaction);
        assert!(!t.s.reply_context().has(Flag::Authorization));
        // A refused one leaves the session where it was, and is not called a failed login
        // (the server may not offer AUTH at all).
        let mut t = Rig::new();
        t.recv("+OK ready\r\n");
        t.s.on_sent_auth();
        assert!(matches!(
            t.recv("-ERR Unknown command\r\n"),
            Pop3Outcome::Refused { command: None, .. }
        ));
        assert_eq!(t.s.state(), Pop3State::Authorization);
    }

    #[test]
    fn a_mailbox_command_served_shows_the_session_logged_in() {
        let mut t = Rig::new();
        t.recv("+OK ready\r\n");
        t.send("USER bob");
        t.recv("+OK\r\n");
        // A lenient server's +OK to RSET or NOOP shows no login.
        t.send("RSET");
        t.recv("+OK\r\n");
        assert_eq!(t.s.state(), Pop3State::Authorization);
        t.send("STAT");
        t.recv("+OK 2 1246\r\n");
        assert_eq!(t.s.state(), Pop3State::Transaction);
        assert!(t.s.check(Pop3Kind::Retr).is_none());
        // The listing shows which numbers the session has (here without a STAT before it).
        let mut t = Rig::new();
        t.recv("+OK ready\r\n");
        t.send("USER bob");
        t.recv("+OK\r\n");
        t.send("LIST");
        t.recv("+OK\r\n1 512\r\n2 734\r\n.\r\n");
        t.send("RETR 3");
        assert!(t.s.reply_context().has(Flag::NoSuchNumber));
        t.recv("-ERR file\r\n");
        t.send("RETR 2");
        assert!(!t.s.reply_context().has(Flag::NoSuchNumber));
        t.recv("+OK\r\nbody\r\n.\r\n");
        // A listing the tutor cannot read changes nothing.
        t.send("UIDL");
        t.recv("+OK\r\nsome words\r\n.\r\n");
        t.send("RETR 3");
        assert!(t.s.reply_context().has(Flag::NoSuchNumber));
        // A refused one shows nothing of the kind.
        let mut t = Rig::new();
        t.recv("+OK ready\r\n");
        t.send("STAT");
        t.recv("-ERR log in first\r\n");
        assert_eq!(t.s.state(), Pop3State::Authorization);
    }

    #[test]
    fn stls_and_capa() {
        let mut t = Rig::new();
        t.recv("+OK ready\r\n");
        t.send("CAPA");
        assert_eq!(
            t.recv("+OK\r\nTOP\r\nUSER\r\nSTLS\r\nUIDL\r\n.\r\n"),
            Pop3Outcome::Capabilities { count: 4 }
        );
        t.send("STLS");
        assert_eq!(t.recv("+OK Begin TLS\r\n"), Pop3Outcome::TlsReady);
        assert_eq!(t.s.expected_next(), vec![Pop3Step::TlsHandshake]);
        t.s.on_tls_established();
        assert!(t.s.check(Pop3Kind::Stls).is_some());
        let _ = Pop3Expect::SingleLine;
    }
}
