//! An IMAP connection's states (RFC 3501 §3, RFC 9051 §3) and the pairing of responses with
//! the commands they answer: a tagged response completes the command with its tag, and the
//! untagged data that came while the command ran is grouped under it.

use super::command::{TypedCommand, mutf7_decode};
use super::response::{ImapResponse, ImapStatus, ResponseKind};

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ImapState {
    /// Before a login: only CAPABILITY, NOOP, LOGOUT, STARTTLS, AUTHENTICATE and LOGIN.
    #[default]
    NotAuthenticated,
    /// Logged in, no mailbox selected.
    Authenticated,
    /// A mailbox is selected (read-only after EXAMINE or a `[READ-ONLY]` SELECT).
    Selected { mailbox: String, read_only: bool },
    /// LOGOUT was answered, or the server said BYE.
    Logout,
}

/// The states a command may be given in (RFC 3501 §6, RFC 9051 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    Any,
    NotAuthenticated,
    /// Authenticated or selected.
    Authenticated,
    Selected,
}

/// The states `verb` may be sent in; `None` for a name IMAP does not know.
pub fn allowed(verb: &str) -> Option<Allowed> {
    let base = verb.strip_prefix("UID ").unwrap_or(verb);
    Some(match base {
        "CAPABILITY" | "NOOP" | "LOGOUT" | "ID" | "DONE" => Allowed::Any,
        "STARTTLS" | "AUTHENTICATE" | "LOGIN" => Allowed::NotAuthenticated,
        "SELECT" | "EXAMINE" | "CREATE" | "DELETE" | "RENAME" | "SUBSCRIBE" | "UNSUBSCRIBE"
        | "LIST" | "LSUB" | "NAMESPACE" | "STATUS" | "APPEND" | "IDLE" | "ENABLE" | "GETQUOTA"
        | "GETQUOTAROOT" | "SETQUOTA" | "GETACL" | "SETACL" | "MYRIGHTS" | "COMPRESS" => {
            Allowed::Authenticated
        }
        "CHECK" | "CLOSE" | "UNSELECT" | "EXPUNGE" | "SEARCH" | "FETCH" | "STORE" | "COPY"
        | "MOVE" => Allowed::Selected,
        _ => return None,
    })
}

impl ImapState {
    /// Whether a command of `verb` may be sent now: a server answers BAD (or NO) otherwise.
    pub fn permits(&self, verb: &str) -> bool {
        match (allowed(verb), self) {
            (None, _) | (_, ImapState::Logout) => false,
            (Some(Allowed::Any), _) => true,
            (Some(Allowed::NotAuthenticated), s) => *s == ImapState::NotAuthenticated,
            (Some(Allowed::Authenticated), s) => {
                matches!(s, ImapState::Authenticated | ImapState::Selected { .. })
            }
            (Some(Allowed::Selected), s) => matches!(s, ImapState::Selected { .. }),
        }
    }
}

/// What the pairing of responses with commands yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapEvent {
    /// The server's first words: OK (log in next), PREAUTH (already logged in) or BYE.
    Greeting(ImapResponse),
    /// `+`: the command in flight may go on (a literal, an AUTHENTICATE answer, IDLE).
    Continuation {
        tag: Option<String>,
        response: ImapResponse,
    },
    /// A command's tagged response, with the untagged data that came while it ran.
    Completed(Completion),
    /// Untagged data grouped under the command in flight with this tag; it comes back with
    /// that command's completion.
    Grouped { tag: String },
    /// Untagged data while no command was in flight (news the server sends on its own, or
    /// its goodbye).
    Unsolicited(ImapResponse),
    /// A tagged response whose tag no command in flight carries.
    Unmatched(ImapResponse),
}

/// A command and how the server answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub tag: String,
    pub verb: String,
    pub args: String,
    pub response: ImapResponse,
    pub untagged: Vec<ImapResponse>,
    /// The state before the command and after its answer.
    pub before: ImapState,
    pub after: ImapState,
}

impl Completion {
    pub fn status(&self) -> Option<ImapStatus> {
        self.response.status
    }
}

#[derive(Debug, Clone)]
struct InFlight {
    tag: String,
    verb: String,
    args: String,
    untagged: Vec<ImapResponse>,
}

/// Pairs a server's responses with the client's commands, sans-IO: the same for a live
/// connection and for a log read back.
#[derive(Debug, Clone, Default)]
pub struct ImapSession {
    state: ImapState,
    greeted: bool,
    in_flight: Vec<InFlight>,
    /// STARTTLS was answered OK: the bytes that follow are TLS.
    tls_next: bool,
}

impl ImapSession {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn state(&self) -> &ImapState {
        &self.state
    }

    /// Whether STARTTLS has just been accepted (the caller starts the handshake and clears it).
    pub fn take_tls_start(&mut self) -> bool {
        std::mem::take(&mut self.tls_next)
    }

    /// The commands sent and not yet answered, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = (&str, &str)> {
        self.in_flight
            .iter()
            .map(|f| (f.tag.as_str(), f.verb.as_str()))
    }

    /// A command went out. DONE ends IDLE, whose completion is still to come; a line without
    /// a tag draws the server's untagged BAD and is kept so that its answer has a home.
    pub fn sent(&mut self, c: &TypedCommand) {
        if c.verb == "DONE" {
            return;
        }
        self.in_flight.push(InFlight {
            tag: c.tag.clone().unwrap_or_default(),
            verb: c.verb.clone(),
            args: c.args.clone(),
            untagged: Vec::new(),
        });
    }

    /// The command in flight a response answers: for a tagged one, the latest command with its
    /// tag (a log that reuses a tag shows the answer to the command it just sent); for an
    /// untagged BAD, the command sent without a tag; for other untagged data, the latest one.
    fn answered_by(&self, r: &ImapResponse) -> Option<usize> {
        match &r.kind {
            // A line typed without its tag is answered with its first word as the tag
            // (`LOGIN BAD Missing tag`, Dovecot's `FETCH BAD Error in IMAP command`).
            ResponseKind::Tagged(tag) => self
                .in_flight
                .iter()
                .rposition(|f| f.tag.eq_ignore_ascii_case(tag))
                .or_else(|| {
                    self.in_flight.iter().position(|f| {
                        f.tag.is_empty()
                            && f.verb
                                .split(' ')
                                .next()
                                .is_some_and(|v| v.eq_ignore_ascii_case(tag))
                    })
                }),
            ResponseKind::Untagged if r.status == Some(ImapStatus::Bad) => self
                .in_flight
                .iter()
                .position(|f| f.tag.is_empty())
                .or(self.in_flight.len().checked_sub(1)),
            _ => self.in_flight.len().checked_sub(1),
        }
    }

    /// The command (its verb) a response answers, before it is received.
    pub fn command_for(&self, r: &ImapResponse) -> Option<&str> {
        self.answered_by(r).map(|i| self.in_flight[i].verb.as_str())
    }

    /// A response came; what it means for the commands in flight.
    pub fn received(&mut self, r: ImapResponse) -> ImapEvent {
        if !self.greeted {
            self.greeted = true;
            if r.kind == ResponseKind::Untagged && r.data.is_none() {
                match r.status {
                    Some(ImapStatus::Preauth) => self.state = ImapState::Authenticated,
                    Some(ImapStatus::Bye) => self.state = ImapState::Logout,
                    _ => {}
                }
                return ImapEvent::Greeting(r);
            }
        }
        match r.kind.clone() {
            ResponseKind::Continuation => ImapEvent::Continuation {
                tag: self.in_flight.last().map(|f| f.tag.clone()),
                response: r,
            },
            ResponseKind::Untagged => {
                if r.status == Some(ImapStatus::Bye) {
                    self.state = ImapState::Logout;
                }
                let answers = self.answered_by(&r);
                match answers {
                    // An untagged BAD for a line whose tag the server could not find answers
                    // the command that had none.
                    Some(i)
                        if self.in_flight[i].tag.is_empty()
                            && r.status == Some(ImapStatus::Bad) =>
                    {
                        let f = self.in_flight.remove(i);
                        ImapEvent::Completed(self.complete(f, r))
                    }
                    Some(i) => {
                        let f = &mut self.in_flight[i];
                        f.untagged.push(r);
                        ImapEvent::Grouped { tag: f.tag.clone() }
                    }
                    None => ImapEvent::Unsolicited(r),
                }
            }
            ResponseKind::Tagged(_) => match self.answered_by(&r) {
                Some(i) => {
                    let f = self.in_flight.remove(i);
                    ImapEvent::Completed(self.complete(f, r))
                }
                None => ImapEvent::Unmatched(r),
            },
        }
    }

    /// A command's answer and the state it leaves (RFC 3501 §6).
    fn complete(&mut self, f: InFlight, response: ImapResponse) -> Completion {
        let before = self.state.clone();
        // After the server's BYE nothing it sends changes the state: the connection is over.
        let ok = response.status == Some(ImapStatus::Ok) && before != ImapState::Logout;
        let base = f.verb.strip_prefix("UID ").unwrap_or(&f.verb);
        match (base, ok) {
            ("LOGIN" | "AUTHENTICATE", true) => self.state = ImapState::Authenticated,
            ("SELECT" | "EXAMINE", true) => {
                let code_ro = response
                    .code
                    .as_ref()
                    .is_some_and(|c| c.name == "READ-ONLY");
                self.state = ImapState::Selected {
                    mailbox: mailbox_name(&f.args),
                    read_only: base == "EXAMINE" || code_ro,
                };
            }
            // A SELECT that fails leaves no mailbox selected (RFC 3501 §6.3.1).
            ("SELECT" | "EXAMINE", false) if response.status == Some(ImapStatus::No) => {
                if matches!(self.state, ImapState::Selected { .. }) {
                    self.state = ImapState::Authenticated;
                }
            }
            ("CLOSE" | "UNSELECT", true) => self.state = ImapState::Authenticated,
            ("LOGOUT", true) => self.state = ImapState::Logout,
            ("STARTTLS", true) => self.tls_next = true,
            _ => {}
        }
        if f.untagged.iter().any(|u| u.status == Some(ImapStatus::Bye)) {
            self.state = ImapState::Logout;
        }
        Completion {
            tag: f.tag,
            verb: f.verb,
            args: f.args,
            response,
            untagged: f.untagged,
            before,
            after: self.state.clone(),
        }
    }
}

/// A mailbox's name as SELECT's argument gives it: unquoted, and decoded from modified UTF-7.
fn mailbox_name(args: &str) -> String {
    let a = args.trim();
    let unquoted = a
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .map(|s| s.replace("\\\"", "\"").replace("\\\\", "\\"))
        .unwrap_or_else(|| a.split(' ').next().unwrap_or_default().to_owned());
    mutf7_decode(&unquoted).unwrap_or(unquoted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::imap::response::{ImapItem, ImapReader};

    /// Plays a session: `C:` lines are sent, `S:` lines received (each with CRLF).
    fn play(lines: &[&str]) -> (ImapSession, Vec<ImapEvent>) {
        let mut s = ImapSession::new();
        let mut reader = ImapReader::default();
        let mut events = Vec::new();
        for l in lines {
            if let Some(c) = l.strip_prefix("C: ") {
                s.sent(&TypedCommand::parse(c));
            } else if let Some(r) = l.strip_prefix("S: ") {
                reader.push(format!("{r}\r\n").as_bytes());
                while let Some(ImapItem::Response(r)) = reader.next_item() {
                    events.push(s.received(r));
                }
            }
        }
        (s, events)
    }

    fn completions(events: &[ImapEvent]) -> Vec<&Completion> {
        events
            .iter()
            .filter_map(|e| match e {
                ImapEvent::Completed(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_rfc_sample_session_walks_the_states() {
        // RFC 3501 §8, without the FETCH data.
        let (s, events) = play(&[
            "S: * OK IMAP4rev1 Service Ready",
            "C: a001 login mrc secret",
            "S: a001 OK LOGIN completed",
            "C: a002 select inbox",
            "S: * 18 EXISTS",
            "S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "S: * 2 RECENT",
            "S: * OK [UNSEEN 17] Message 17 is the first unseen message",
            "S: * OK [UIDVALIDITY 3857529045] UIDs valid",
            "S: a002 OK [READ-WRITE] SELECT completed",
            "C: a005 store 12 +flags \\deleted",
            "S: * 12 FETCH (FLAGS (\\Seen \\Deleted))",
            "S: a005 OK +FLAGS completed",
            "C: a006 logout",
            "S: * BYE IMAP4rev1 server terminating connection",
            "S: a006 OK LOGOUT completed",
        ]);
        assert!(matches!(events[0], ImapEvent::Greeting(_)));
        let done = completions(&events);
        assert_eq!(done.len(), 4);
        assert_eq!(done[0].after, ImapState::Authenticated);
        assert_eq!(
            done[1].after,
            ImapState::Selected {
                mailbox: "inbox".into(),
                read_only: false
            }
        );
        assert_eq!(done[1].untagged.len(), 5);
        assert_eq!(done[2].untagged[0].data.as_deref(), Some("FETCH"));
        assert_eq!(done[3].after, ImapState::Logout);
        assert_eq!(*s.state(), ImapState::Logout);
        assert_eq!(s.pending().count(), 0);
    }

    #[test]
    fn what_a_student_gets_wrong_is_answered_where_it_belongs() {
        let (s, events) = play(&[
            "S: * OK ready",
            // No tag: the server's untagged BAD answers the line.
            "C: LOGIN alice secret",
            "S: * BAD Error in IMAP command received by server.",
            // FETCH before SELECT; the state does not change.
            "C: a2 FETCH 1 BODY[]",
            "S: a2 BAD Command received in Invalid state.",
            "C: a3 LOGIN alice secret",
            "S: a3 OK LOGIN completed",
            "C: a4 EXAMINE &XfJT0ZAB-",
            "S: a4 OK [READ-ONLY] EXAMINE completed",
            // A SELECT that fails leaves no mailbox selected.
            "C: a5 SELECT nosuch",
            "S: a5 NO Mailbox doesn't exist: nosuch",
            // A tag no command carries.
            "S: zz OK what",
            // Typed without a tag, answered with its first word as the tag.
            "C: NOOP",
            "S: NOOP BAD Error in IMAP command received by server.",
        ]);
        let done = completions(&events);
        assert_eq!(done[0].tag, "");
        assert_eq!(done[0].status(), Some(ImapStatus::Bad));
        assert_eq!(done[1].after, ImapState::NotAuthenticated);
        assert!(!done[1].before.permits("FETCH"));
        assert_eq!(
            done[3].after,
            ImapState::Selected {
                mailbox: "已发送".into(),
                read_only: true
            }
        );
        assert!(done[3].after.permits("FETCH") && !done[3].after.permits("LOGIN"));
        assert_eq!(done[4].after, ImapState::Authenticated);
        assert!(matches!(events[events.len() - 2], ImapEvent::Unmatched(_)));
        assert!(matches!(events.last(), Some(ImapEvent::Completed(c)) if c.tag.is_empty()));
        assert_eq!(s.pending().count(), 0, "nothing waits for an answer");
        assert_eq!(*s.state(), ImapState::Authenticated);
    }

    #[test]
    fn a_reused_tag_is_answered_for_the_command_just_sent() {
        // A tutorial's log: a tag used twice, the first command's answer left out.
        let (s, events) = play(&[
            "S: * PREAUTH ready",
            "C: Q4 RENAME old new",
            "C: Q4 LIST \"\" *",
            "S: * LIST () \"/\" INBOX",
            "S: Q4 OK List completed.",
        ]);
        let done = completions(&events);
        assert_eq!((done[0].verb.as_str(), done[0].untagged.len()), ("LIST", 1));
        assert_eq!(s.pending().map(|(_, v)| v).collect::<Vec<_>>(), ["RENAME"]);
    }

    #[test]
    fn idle_groups_the_news_until_done() {
        let (_, events) = play(&[
            "S: * PREAUTH IMAP4rev1 server logged in as alice",
            "C: a1 SELECT INBOX",
            "S: a1 OK [READ-WRITE] done",
            "C: a2 IDLE",
            "S: + idling",
            "S: * 4 EXISTS",
            "C: DONE",
            "S: a2 OK IDLE terminated",
            "S: * 5 EXISTS",
        ]);
        assert!(
            matches!(&events[1], ImapEvent::Completed(c) if c.before == ImapState::Authenticated)
        );
        assert!(matches!(&events[2], ImapEvent::Continuation { tag: Some(t), .. } if t == "a2"));
        assert!(matches!(&events[3], ImapEvent::Grouped { tag } if tag == "a2"));
        assert!(matches!(&events[4], ImapEvent::Completed(c) if c.untagged.len() == 1));
        assert!(matches!(&events[5], ImapEvent::Unsolicited(_)));
    }

    #[test]
    fn starttls_and_bye_end_what_they_end() {
        let (mut s, _) = play(&[
            "S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready",
            "C: a1 STARTTLS",
            "S: a1 OK Begin TLS negotiation now",
        ]);
        assert!(s.take_tls_start());
        assert!(!s.take_tls_start());
        let (s, _) = play(&["S: * BYE too many connections"]);
        assert_eq!(*s.state(), ImapState::Logout);
        assert!(!s.state().permits("NOOP"));
    }
}
