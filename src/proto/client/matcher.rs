//! Which request each response answers, decided without I/O: requests go in as they are
//! written, responses as they are read, time as instants; these tests need no socket and no
//! sleep.
//!
//! A server answers in order (pipelined commands too): the oldest request still waiting owns
//! the next response, a request that timed out still owns the replies it was due (shown as
//! late), and the first response of a connection is the greeting, whatever was sent before
//! it came.

use std::collections::VecDeque;
use std::time::Instant;

use super::event::{Answers, RequestId};

/// Responses in a row that answer no request before the session is ended as a flood (a
/// server may send one or two unasked, a 421 or a late greeting; not hundreds).
pub const MAX_UNASKED: usize = 100;

/// A request waiting for its replies, with what its sender keeps beside it (`T`) and the
/// responses (`R`) that came so far.
#[derive(Debug)]
pub struct Pending<T, R> {
    pub id: RequestId,
    /// Replies it still waits for.
    pub remaining: usize,
    pub deadline: Instant,
    pub data: T,
    pub got: Vec<R>,
}

/// What one response was found to be.
#[derive(Debug)]
pub struct Matched<T, R> {
    pub answers: Answers,
    /// The request this response ended: its last reply came, or the response was no reply
    /// at all (then `remaining` says how many it never got).
    pub ended: Option<Pending<T, R>>,
    /// Too many responses in a row answered nothing: the session is to end.
    pub flood: bool,
}

#[derive(Debug)]
pub struct Matcher<T, R> {
    greeting_due: bool,
    waiting: VecDeque<Pending<T, R>>,
    /// Requests that timed out and the replies they still own.
    late: VecDeque<(RequestId, usize)>,
    unasked: usize,
}

impl<T, R> Default for Matcher<T, R> {
    fn default() -> Self {
        Self {
            greeting_due: true,
            waiting: VecDeque::new(),
            late: VecDeque::new(),
            unasked: 0,
        }
    }
}

impl<T, R> Matcher<T, R> {
    /// A new connection: its first response is the greeting.
    pub fn new() -> Self {
        Self::default()
    }

    /// The greeting was read outside the matcher (while connecting, before STARTTLS).
    pub fn greeted(&mut self) {
        self.greeting_due = false;
    }

    /// A request was written that waits for `replies` responses (more than none) until
    /// `deadline`.
    pub fn sent(&mut self, id: RequestId, replies: usize, deadline: Instant, data: T) {
        self.waiting.push_back(Pending {
            id,
            remaining: replies.max(1),
            deadline,
            data,
            got: Vec::new(),
        });
    }

    /// A response that belongs to the oldest request waiting without ending it (IMAP's
    /// untagged data while a command runs): kept with its replies. Given back when it is the
    /// greeting, owed to a request that timed out, or nothing waits: then it is read with
    /// [`Self::response`].
    pub fn attach(&mut self, reply: R) -> Result<Answers, R> {
        if self.greeting_due || !self.late.is_empty() {
            return Err(reply);
        }
        let Some(front) = self.waiting.front_mut() else {
            return Err(reply);
        };
        front.got.push(reply);
        self.unasked = 0;
        Ok(Answers::Request(front.id))
    }

    /// A response was read: `Some` a reply, `None` bytes that are no reply (malformed), which
    /// end the request they would have answered.
    pub fn response(&mut self, reply: Option<R>) -> Matched<T, R> {
        let answers = self.attribute();
        self.unasked = match answers {
            Answers::Unasked => self.unasked + 1,
            _ => 0,
        };
        let flood = self.unasked > MAX_UNASKED;
        let ended = match (answers, reply) {
            (Answers::Request(_), Some(r)) => {
                let last = self.waiting.front_mut().map(|front| {
                    front.got.push(r);
                    front.remaining -= 1;
                    front.remaining == 0
                });
                if last == Some(true) {
                    self.waiting.pop_front()
                } else {
                    None
                }
            }
            (Answers::Request(_), None) => self.waiting.pop_front(),
            _ => None,
        };
        Matched {
            answers,
            ended,
            flood,
        }
    }

    /// What the next response answers, counted off: a late request first, then the oldest
    /// waiting one.
    fn attribute(&mut self) -> Answers {
        if std::mem::replace(&mut self.greeting_due, false) {
            return Answers::Unasked;
        }
        if let Some((id, left)) = self.late.front_mut() {
            let id = *id;
            *left -= 1;
            if *left == 0 {
                self.late.pop_front();
            }
            return Answers::Late(id);
        }
        match self.waiting.front() {
            Some(w) => Answers::Request(w.id),
            None => Answers::Unasked,
        }
    }

    /// The requests whose replies are overdue at `now`, oldest first; the replies they were
    /// due will still come, and are then shown as late.
    pub fn expire(&mut self, now: Instant) -> Vec<Pending<T, R>> {
        let mut out = Vec::new();
        while self.waiting.front().is_some_and(|w| w.deadline <= now) {
            if let Some(w) = self.waiting.pop_front() {
                self.late.push_back((w.id, w.remaining));
                out.push(w);
            }
        }
        out
    }

    /// When the oldest request's reply is due.
    pub fn deadline(&self) -> Option<Instant> {
        self.waiting.front().map(|w| w.deadline)
    }

    /// The connection ended: every request still waiting, oldest first.
    pub fn end(&mut self) -> Vec<Pending<T, R>> {
        self.late.clear();
        self.waiting.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A step of a scenario, and what the matcher answers to it.
    enum Step {
        Sent(u64, usize, u64),
        Reply(&'static str),
        Malformed,
        /// Time passes to this many seconds after the start.
        At(u64),
    }

    /// Plays `steps` and returns one line per response and per timeout, in order.
    fn play(greeted: bool, steps: &[Step]) -> Vec<String> {
        let t0 = Instant::now();
        let mut m: Matcher<(), &str> = Matcher::new();
        if greeted {
            m.greeted();
        }
        let mut out = Vec::new();
        for s in steps {
            match s {
                Step::Sent(id, n, due) => {
                    m.sent(RequestId(*id), *n, t0 + Duration::from_secs(*due), ())
                }
                Step::Reply(r) => {
                    let x = m.response(Some(*r));
                    let ended = x
                        .ended
                        .map(|p| format!(" ends #{} with {:?}", p.id.0, p.got))
                        .unwrap_or_default();
                    out.push(format!("{r} → {:?}{ended}", x.answers));
                }
                Step::Malformed => {
                    let x = m.response(None);
                    let ended = x
                        .ended
                        .map(|p| format!(" ends #{} missing {}", p.id.0, p.remaining))
                        .unwrap_or_default();
                    out.push(format!("junk → {:?}{ended}", x.answers));
                }
                Step::At(secs) => {
                    for p in m.expire(t0 + Duration::from_secs(*secs)) {
                        out.push(format!("#{} timed out missing {}", p.id.0, p.remaining));
                    }
                }
            }
        }
        out
    }

    use Step::*;

    #[test]
    fn the_greeting_answers_nothing_even_after_an_early_command() {
        assert_eq!(
            play(false, &[Sent(1, 1, 30), Reply("220"), Reply("250")]),
            [
                "220 → Unasked",
                "250 → Request(RequestId(1)) ends #1 with [\"250\"]"
            ]
        );
    }

    #[test]
    fn pipelined_commands_are_answered_in_order() {
        assert_eq!(
            play(
                true,
                &[
                    Sent(1, 1, 30),
                    Sent(2, 2, 30),
                    Reply("250 a"),
                    Reply("250 b"),
                    Reply("354")
                ]
            ),
            [
                "250 a → Request(RequestId(1)) ends #1 with [\"250 a\"]",
                "250 b → Request(RequestId(2))",
                "354 → Request(RequestId(2)) ends #2 with [\"250 b\", \"354\"]"
            ]
        );
    }

    #[test]
    fn a_timed_out_request_still_owns_its_late_replies() {
        assert_eq!(
            play(
                true,
                &[
                    Sent(1, 1, 10),
                    Sent(2, 1, 40),
                    At(11),
                    Reply("250 late"),
                    Reply("250 mine")
                ]
            ),
            [
                "#1 timed out missing 1",
                "250 late → Late(RequestId(1))",
                "250 mine → Request(RequestId(2)) ends #2 with [\"250 mine\"]"
            ]
        );
        // Nothing is due before its deadline.
        assert_eq!(play(true, &[Sent(1, 1, 10), At(9)]), Vec::<String>::new());
    }

    #[test]
    fn bytes_that_are_no_reply_end_the_request_they_would_answer() {
        assert_eq!(
            play(
                true,
                &[Sent(1, 2, 30), Reply("250"), Malformed, Reply("221")]
            ),
            [
                "250 → Request(RequestId(1))",
                "junk → Request(RequestId(1)) ends #1 missing 1",
                "221 → Unasked"
            ]
        );
    }

    #[test]
    fn a_flood_of_unasked_responses_is_named() {
        let mut m: Matcher<(), u32> = Matcher::new();
        let floods: Vec<bool> = (0..=MAX_UNASKED as u32)
            .map(|i| m.response(Some(i)).flood)
            .collect();
        assert!(!floods[..MAX_UNASKED].iter().any(|f| *f));
        assert!(floods[MAX_UNASKED]);
        // An answer in between starts the count again.
        let mut m: Matcher<(), u32> = Matcher::new();
        m.greeted();
        for i in 0..MAX_UNASKED as u32 {
            assert!(!m.response(Some(i)).flood);
        }
        m.sent(RequestId(1), 1, Instant::now(), ());
        assert!(!m.response(Some(0)).flood);
        assert!(!m.response(Some(1)).flood);
    }

    #[test]
    fn the_end_hands_back_every_waiting_request() {
        let mut m: Matcher<&str, u32> = Matcher::new();
        m.greeted();
        let due = Instant::now();
        m.sent(RequestId(1), 1, due, "EHLO");
        m.sent(RequestId(2), 3, due, "DATA");
        assert_eq!(m.deadline(), Some(due));
        let ended: Vec<_> = m.end().into_iter().map(|p| (p.data, p.remaining)).collect();
        assert_eq!(ended, [("EHLO", 1), ("DATA", 3)]);
        assert_eq!(m.deadline(), None);
        assert_eq!(m.response(Some(7)).answers, Answers::Unasked);
    }
}
