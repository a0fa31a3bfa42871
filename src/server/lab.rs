//! The practice server as a lab: every session of the rubric's protocol is recorded byte for
//! byte, matched to a student (by the account it logs in with or the address it sends from;
//! before that, by the machine it comes from), given the fault of that student's next stage,
//! and scored when it ends.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use super::Faults;
use super::events::Service;
use super::faults::{Fault, FaultKind};
use crate::proto::lab::record::{Ending, Protocol, Record};
use crate::proto::lab::score::Scorecard;
use crate::proto::lab::{Rubric, StageFault, grade};

/// A lab running on the server: its rubric and every student's scorecard.
#[derive(Debug)]
pub struct Lab {
    rubric: Rubric,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    cards: BTreeMap<String, Scorecard>,
    /// The student last seen on each machine, to know who a session is before it says.
    by_ip: HashMap<IpAddr, String>,
}

/// A student's scorecard after an attempt, for the server's watchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabResult {
    pub card: Scorecard,
    /// The attempt just scored (its number on the card).
    pub attempt: usize,
    /// The student's points over their latest attempt on each stage, and the rubric's total.
    pub total: u32,
    pub of: u32,
}

/// What the client had done when a reply was about to go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peek {
    /// More bytes were waiting: it did not wait for the reply.
    Sent,
    /// It had closed its side: it will not read the reply.
    Closed,
    Nothing,
}

/// One session being recorded for the lab.
pub struct LabSession {
    pub record: Record,
    start: Instant,
    ip: Option<IpAddr>,
    pub student: Option<String>,
    stage: Option<String>,
    /// Faults for this session alone, staged when the student is known.
    pub faults: Faults,
    /// Replies written when client bytes were first found waiting, until they are read.
    waiting_since: Option<usize>,
}

impl LabSession {
    fn ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Bytes the client sent, just read.
    pub fn client(&mut self, bytes: &[u8]) {
        let seen = self.waiting_since.take().unwrap_or(self.record.replies());
        let at = self.ms();
        self.record.client(at, seen, bytes);
    }

    /// A reply about to be written, and what the client had done by then.
    pub fn server(&mut self, bytes: &[u8], peek: Peek) {
        match peek {
            Peek::Sent if self.waiting_since.is_none() => {
                self.waiting_since = Some(self.record.replies());
            }
            Peek::Closed => self.record.client_gone(),
            _ => {}
        }
        let at = self.ms();
        self.record.server(at, bytes);
    }

    pub fn tls_up(&mut self) {
        let at = self.ms();
        self.record.tls_up(at);
    }

    pub fn end(&mut self, how: Ending) {
        let at = self.ms();
        self.record.end(at, how);
    }

    /// The first address in a chunk of client bytes that names the sender (`MAIL FROM:<a>`)
    /// or the POP3 user (`USER a`), for knowing the student before the server acts on it.
    pub fn named_in(bytes: &[u8]) -> Option<String> {
        let text = String::from_utf8_lossy(bytes);
        text.lines().find_map(|line| {
            let upper = line.trim_start().to_ascii_uppercase();
            let rest = if upper.starts_with("MAIL FROM:") {
                &line.trim_start()[10..]
            } else if upper.starts_with("USER ") {
                &line.trim_start()[5..]
            } else {
                return None;
            };
            let addr = rest
                .trim()
                .trim_start_matches('<')
                .split(['>', ' '])
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            (!addr.is_empty() && addr.len() <= 254).then_some(addr)
        })
    }
}

fn protocol_of(service: Service) -> Option<Protocol> {
    match service {
        Service::Smtp | Service::Smtps => Some(Protocol::Smtp),
        Service::Pop3 | Service::Pop3s => Some(Protocol::Pop3),
        Service::Imap | Service::Imaps => None,
    }
}

fn fault_of(f: StageFault) -> Fault {
    let kind = match f {
        StageFault::Greeting(c) => FaultKind::Greeting(c),
        StageFault::Rcpt(c) => FaultKind::Rcpt(c),
        StageFault::Data(c) => FaultKind::Data(c),
    };
    Fault {
        kind,
        sticky: false,
    }
}

/// The most students one lab keeps (a class, with room for strays).
const MAX_STUDENTS: usize = 1000;

impl Lab {
    pub fn new(rubric: Rubric) -> Self {
        Self {
            rubric,
            state: Mutex::new(State::default()),
        }
    }

    pub fn rubric(&self) -> &Rubric {
        &self.rubric
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every student's scorecard.
    pub fn cards(&self) -> Vec<Scorecard> {
        self.lock().cards.values().cloned().collect()
    }

    /// A session starts: recorded when it speaks the rubric's protocol. When the machine's
    /// student is known and their next stage changes the greeting, it is staged now.
    pub fn open(&self, service: Service, peer: &str) -> Option<LabSession> {
        if protocol_of(service)? != self.rubric.protocol {
            return None;
        }
        let ip = peer.parse::<std::net::SocketAddr>().ok().map(|a| a.ip());
        let mut session = LabSession {
            record: Record::new(self.rubric.protocol, service.implicit_tls()),
            start: Instant::now(),
            ip,
            student: None,
            stage: None,
            faults: Faults::default(),
            waiting_since: None,
        };
        let state = self.lock();
        if let Some(student) = ip.and_then(|ip| state.by_ip.get(&ip)).cloned()
            && let Some(card) = state.cards.get(&student)
            && let Some(fault) = card.next_greeting(&self.rubric)
        {
            session.faults.stage(fault_of(fault));
            session.stage = Some(card.next_stage(&self.rubric, false).id.clone());
            session.student = Some(student);
        }
        Some(session)
    }

    /// The session named its student (`who`, an account or address): the stage of their
    /// next attempt is chosen and its fault staged for this session.
    pub fn identify(&self, session: &mut LabSession, who: &str) {
        if session.stage.is_some() {
            return;
        }
        let who = who.trim().to_ascii_lowercase();
        let mut state = self.lock();
        if !state.cards.contains_key(&who) && state.cards.len() >= MAX_STUDENTS {
            return;
        }
        let card = state
            .cards
            .entry(who.clone())
            .or_insert_with(|| Scorecard::new(who.clone()));
        // The greeting has gone out as it was (a stage that changes it was chosen at `open`).
        let stage = card.next_stage(&self.rubric, true);
        if let Some(f) = stage.fault {
            session.faults.stage(fault_of(f));
        }
        session.stage = Some(stage.id.clone());
        session.student = Some(who.clone());
        if let Some(ip) = session.ip {
            state.by_ip.insert(ip, who);
        }
    }

    /// The session ended: scored on its stage and added to its student's card. A session that
    /// never named its student (a program that said nothing, or stopped before logging in)
    /// is the student last seen on that machine's, when one was; else it is not scored.
    pub fn close(&self, mut session: LabSession, id: u64) -> Option<LabResult> {
        if session.student.is_none() {
            let known = {
                let state = self.lock();
                session.ip.and_then(|ip| state.by_ip.get(&ip).cloned())
            };
            if let Some(who) = known {
                self.identify(&mut session, &who);
            }
        }
        let student = session.student.take()?;
        let stage = session.stage.take()?;
        // Saying nothing is the right answer to a staged 421 greeting; elsewhere the program
        // did not run as it should, and its stage waits for the next run.
        let refused_greeting = matches!(
            self.rubric.stage(&stage).and_then(|s| s.fault),
            Some(StageFault::Greeting(_))
        );
        let silent = !refused_greeting
            && !session
                .record
                .items
                .iter()
                .any(|i| matches!(i, crate::proto::lab::record::Item::Client { .. }));
        if silent {
            let mut state = self.lock();
            let card = state.cards.get_mut(&student)?;
            let attempt = card.add_silent();
            return Some(LabResult {
                card: card.clone(),
                attempt,
                total: card.earned(&self.rubric),
                of: self.rubric.total(),
            });
        }
        let graded = grade(&self.rubric, &stage, &session.record);
        let at = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut state = self.lock();
        let card = state.cards.get_mut(&student)?;
        let attempt = card.add(&self.rubric, id, at, graded).number;
        Some(LabResult {
            card: card.clone(),
            attempt,
            total: card.earned(&self.rubric),
            of: self.rubric.total(),
        })
    }
}

/// The log's line for a scored attempt: who, which attempt and stage, its points and the
/// student's total so far.
pub fn graded_words(result: &LabResult) -> crate::words::Words {
    let attempt = result
        .card
        .attempts()
        .into_iter()
        .find(|a| a.number == result.attempt);
    if attempt.is_none() {
        return crate::words::Words::new("srvlog.graded_silent")
            .arg("student", &result.card.student)
            .arg("attempt", result.attempt)
            .arg("total", result.total)
            .arg("of", result.of);
    }
    let (stage, earned, possible) = attempt
        .map(|a| {
            (
                a.graded.stage.clone(),
                a.graded.earned(),
                a.graded.possible(),
            )
        })
        .unwrap_or_default();
    crate::words::Words::new("srvlog.graded")
        .arg("student", &result.card.student)
        .arg("attempt", result.attempt)
        .arg("stage", stage)
        .arg("earned", earned)
        .arg("possible", possible)
        .arg("total", result.total)
        .arg("of", result.of)
}
