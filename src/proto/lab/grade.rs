//! Scores a recorded session against a rubric's checks: each check reads the session as the
//! server saw it and passes, fails on a line it names, or was not shown by the session.

use std::collections::HashSet;

use super::pop3;
use super::record::{Ending, Protocol, Record};
use super::rubric::{Check, CheckKind, Rubric, StageFault};
use super::turns::{self, LineEnd, Session, Turn, TurnKind};
use crate::proto::auth;
use crate::words::Words;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Failed, on this client line (an index into the session's lines) when one is to blame.
    Fail {
        line: Option<usize>,
        why: Words,
    },
    /// The session never did what the check reads (no login, no message): no points.
    NotShown(Words),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub id: String,
    pub points: u32,
    pub verdict: Verdict,
}

impl CheckResult {
    pub fn earned(&self) -> u32 {
        match self.verdict {
            Verdict::Pass => self.points,
            _ => 0,
        }
    }

    pub fn failed_line(&self) -> Option<usize> {
        match &self.verdict {
            Verdict::Fail { line, .. } => *line,
            _ => None,
        }
    }
}

/// One attempt, scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graded {
    pub stage: String,
    pub results: Vec<CheckResult>,
    pub session: Session,
    /// Client lines that carry a password, masked in every transcript unless shown.
    pub secret_lines: HashSet<usize>,
}

impl Graded {
    pub fn earned(&self) -> u32 {
        self.results.iter().map(CheckResult::earned).sum()
    }

    pub fn possible(&self) -> u32 {
        self.results.iter().map(|r| r.points).sum()
    }
}

pub(super) fn fail(line: Option<usize>, key: &'static str) -> Verdict {
    Verdict::Fail {
        line,
        why: Words::new(key),
    }
}

pub(super) fn fail_on(line: usize, why: Words) -> Verdict {
    Verdict::Fail {
        line: Some(line),
        why,
    }
}

/// Scores `record` on the checks of `stage`.
pub fn grade(rubric: &Rubric, stage: &str, record: &Record) -> Graded {
    let session = turns::read(record);
    let fault = rubric.stage(stage).and_then(|s| s.fault);
    let results = rubric
        .checks_of(stage)
        .map(|c| CheckResult {
            id: c.id.clone(),
            points: c.points,
            verdict: check(rubric, c, &session, fault),
        })
        .collect();
    let secret_lines = secrets(&session);
    Graded {
        stage: stage.to_owned(),
        results,
        session,
        secret_lines,
    }
}

/// The lines that carry a password: AUTH LOGIN's second answer, AUTH PLAIN's, POP3's PASS.
pub fn secrets(s: &Session) -> HashSet<usize> {
    let mut out = HashSet::new();
    let mut answers = 0;
    let mut mechanism = String::new();
    for t in &s.turns {
        match &t.kind {
            TurnKind::Command { verb, arg } => {
                answers = 0;
                mechanism = arg.split(' ').next().unwrap_or("").to_ascii_uppercase();
                let plain_initial = verb == "AUTH" && arg.split(' ').count() > 1;
                if verb == "PASS" || plain_initial && mechanism == "PLAIN" {
                    out.insert(t.lines.start);
                }
                if verb != "AUTH" {
                    mechanism.clear();
                }
            }
            TurnKind::AuthAnswer => {
                answers += 1;
                if mechanism == "PLAIN"
                    || mechanism == "LOGIN" && answers >= 2
                    || mechanism.is_empty()
                {
                    out.insert(t.lines.start);
                }
            }
            TurnKind::Message { .. } => {}
        }
    }
    out
}

fn check(rubric: &Rubric, c: &Check, s: &Session, fault: Option<StageFault>) -> Verdict {
    let staged = |pick: fn(StageFault) -> Option<u16>| fault.and_then(pick);
    match c.kind {
        CheckKind::Greeted => greeted(s),
        CheckKind::LineEndings => line_endings(s),
        CheckKind::WaitsForReplies => waits(s),
        CheckKind::Auth => auth_check(s),
        CheckKind::MailSyntax => mail_syntax(s),
        CheckKind::Headers => headers(s, &rubric.headers),
        CheckKind::BlankLine => blank_line(s),
        CheckKind::DotStuffing => dot_stuffing(s),
        CheckKind::FinalDot => final_dot(s),
        CheckKind::Quit => quit(s),
        CheckKind::Tls => tls(s),
        CheckKind::AfterRcptRefused => after_rcpt_refused(
            s,
            staged(|f| match f {
                StageFault::Rcpt(c) => Some(c),
                _ => None,
            }),
        ),
        CheckKind::AfterGreetingRefused => after_greeting_refused(
            s,
            staged(|f| match f {
                StageFault::Greeting(c) => Some(c),
                _ => None,
            }),
        ),
        CheckKind::AfterDotRefused => after_dot_refused(
            s,
            staged(|f| match f {
                StageFault::Data(c) => Some(c),
                _ => None,
            }),
        ),
        CheckKind::Pop3Login => pop3::login(s),
        CheckKind::Pop3Order => pop3::order(s),
        CheckKind::Pop3Stat => pop3::stat(s),
        CheckKind::Pop3Retr => pop3::simple(s, "RETR", "lab.why.no_retr", "lab.why.retr_refused"),
        CheckKind::Pop3Dele => pop3::simple(s, "DELE", "lab.why.no_dele", "lab.why.dele_refused"),
    }
}

pub(super) fn commands<'a>(s: &'a Session) -> impl Iterator<Item = (&'a Turn, &'a str)> + 'a {
    s.turns.iter().filter_map(|t| s.verb(t).map(|v| (t, v)))
}

pub(super) fn code(s: &Session, t: &Turn) -> Option<u16> {
    s.reply_of(t).map(|r| r.code)
}

pub(super) fn quoted(s: &Session, t: &Turn) -> String {
    s.reply_of(t)
        .map(|r| r.first().to_owned())
        .unwrap_or_default()
}

fn greeted(s: &Session) -> Verdict {
    match s.turns.first() {
        None => Verdict::NotShown(Words::new("lab.why.said_nothing")),
        Some(t) => match &t.kind {
            TurnKind::Command { verb, arg }
                if (verb == "EHLO" || verb == "HELO") && !arg.trim().is_empty() =>
            {
                Verdict::Pass
            }
            TurnKind::Command { verb, .. } if verb == "EHLO" || verb == "HELO" => {
                fail(Some(t.lines.start), "lab.why.helo_no_name")
            }
            _ => fail(Some(t.lines.start), "lab.why.not_greeted"),
        },
    }
}

fn line_endings(s: &Session) -> Verdict {
    if s.lines.is_empty() {
        return Verdict::NotShown(Words::new("lab.why.said_nothing"));
    }
    for (i, l) in s.lines.iter().enumerate() {
        if l.end == LineEnd::BareLf {
            return fail(Some(i), "lab.why.bare_lf");
        }
        if l.bare_cr {
            return fail(Some(i), "lab.why.bare_cr");
        }
        if l.end == LineEnd::Unended && !l.bytes.is_empty() {
            return fail(Some(i), "lab.why.unended");
        }
    }
    Verdict::Pass
}

/// PIPELINING offered in the reply to the last EHLO (RFC 2920 §3) or POP3's CAPA (RFC 2449).
fn pipelining_offered(s: &Session, before: usize) -> bool {
    let offered = |t: &Turn| {
        s.reply_of(t).is_some_and(|r| {
            r.class() == 2
                && r.lines.iter().any(|l| {
                    l.get(4..)
                        .unwrap_or(l)
                        .trim()
                        .eq_ignore_ascii_case("PIPELINING")
                })
        })
    };
    s.turns[..before]
        .iter()
        .rev()
        .find(|t| matches!(s.verb(t), Some("EHLO" | "HELO" | "CAPA")))
        .is_some_and(|t| s.verb(t) != Some("HELO") && offered(t))
}

fn waits(s: &Session) -> Verdict {
    for (i, t) in s.turns.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &s.turns[p]);
        // Message text read as commands is judged by the message's checks, not here. After
        // it, the program waited if a reply came between its final "." and this line.
        let early = match prev.filter(|p| p.spilled) {
            Some(p) => s
                .first_line(t)
                .zip(s.first_line(p))
                .is_some_and(|(l, dot)| l.seen <= dot.seen),
            None => s.early(t),
        };
        if !early || t.spilled {
            continue;
        }
        // RFC 2920 §3.1: only RSET, MAIL and RCPT (and a message's end) may be followed
        // without waiting; EHLO, DATA, AUTH, QUIT… end a group. A message waits for its 354.
        let groupable = match prev.map(|p| (&p.kind, s.verb(p))) {
            Some((_, Some("RSET" | "MAIL" | "RCPT"))) => s.protocol == Protocol::Smtp,
            Some((TurnKind::Message { .. }, _)) => true,
            Some((_, Some(_))) => s.protocol == Protocol::Pop3,
            _ => false,
        };
        let allowed = groupable
            && !matches!(t.kind, TurnKind::Message { .. } | TurnKind::AuthAnswer)
            && pipelining_offered(s, i);
        if allowed {
            continue;
        }
        let waited_for = match prev {
            None => Words::new("lab.what.greeting"),
            Some(p) if matches!(p.kind, TurnKind::Message { .. }) || p.spilled => {
                Words::new("lab.what.message")
            }
            Some(p) if secrets(s).contains(&p.lines.start) => Words::new("lab.what.secret"),
            Some(p) => match s.first_line(p) {
                Some(l) if l.bytes.iter().all(u8::is_ascii_whitespace) => {
                    Words::new("lab.what.empty_line")
                }
                Some(l) => Words::text(crate::proto::line::printable(&l.text())),
                None => Words::new("lab.what.greeting"),
            },
        };
        let key = if pipelining_offered(s, i) {
            "lab.why.early_group"
        } else {
            "lab.why.early"
        };
        return fail_on(
            t.lines.start,
            Words::new(key).arg_words("before", waited_for),
        );
    }
    if s.turns.is_empty() {
        Verdict::NotShown(Words::new("lab.why.said_nothing"))
    } else {
        Verdict::Pass
    }
}

fn auth_check(s: &Session) -> Verdict {
    let Some(start) = s.turns.iter().position(|t| s.verb(t) == Some("AUTH")) else {
        return Verdict::NotShown(Words::new("lab.why.no_auth"));
    };
    let t = &s.turns[start];
    let TurnKind::Command { arg, .. } = &t.kind else {
        return Verdict::NotShown(Words::new("lab.why.no_auth"));
    };
    let mut parts = arg.split_whitespace();
    let mechanism = parts.next().unwrap_or("").to_ascii_uppercase();
    let mut answers: Vec<(usize, String)> = parts
        .next()
        .map(|initial| (t.lines.start, initial.to_owned()))
        .into_iter()
        .collect();
    let mut last = t;
    for a in s.turns[start + 1..]
        .iter()
        .take_while(|a| a.kind == TurnKind::AuthAnswer)
    {
        if let Some(l) = s.first_line(a) {
            answers.push((a.lines.start, l.text()));
        }
        last = a;
    }
    if mechanism != "LOGIN" && mechanism != "PLAIN" {
        return Verdict::NotShown(
            Words::new("lab.why.other_mechanism").arg("mechanism", mechanism),
        );
    }
    for (line, text) in &answers {
        let text = text.trim_end_matches('\r');
        if text == "*" {
            return fail(Some(*line), "lab.why.auth_cancelled");
        }
        match auth::decode(text) {
            Err(_) => return fail(Some(*line), "lab.why.not_base64"),
            Ok(bytes) if bytes.ends_with(b"\n") || bytes.ends_with(b"\r") => {
                return fail(Some(*line), "lab.why.base64_newline");
            }
            Ok(_) => {}
        }
    }
    match code(s, last) {
        Some(235) => Verdict::Pass,
        Some(c) => fail_on(
            t.lines.start,
            Words::new("lab.why.auth_refused")
                .arg("code", c)
                .arg("reply", quoted(s, last)),
        ),
        None => fail(Some(last.lines.start), "lab.why.no_reply"),
    }
}

/// `MAIL FROM:<path>` / `RCPT TO:<path>` (RFC 5321 §4.1.2: no space after the colon, the
/// path in angle brackets), and no 500/501 for them.
fn mail_syntax(s: &Session) -> Verdict {
    let mut any = false;
    for (t, verb) in commands(s) {
        let (prefix, want) = match verb {
            "MAIL" => ("FROM:<", "MAIL FROM:<address>"),
            "RCPT" => ("TO:<", "RCPT TO:<address>"),
            _ => continue,
        };
        any = true;
        let TurnKind::Command { arg, .. } = &t.kind else {
            continue;
        };
        let arg = arg.trim_end();
        let well_formed = arg
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            && arg
                .get(prefix.len()..)
                .and_then(|rest| rest.split(' ').next())
                .is_some_and(|p| p.ends_with('>'));
        if !well_formed {
            return fail_on(
                t.lines.start,
                Words::new("lab.why.path_syntax").arg("want", want),
            );
        }
        if matches!(code(s, t), Some(500 | 501 | 555)) {
            return fail_on(
                t.lines.start,
                Words::new("lab.why.syntax_refused").arg("reply", quoted(s, t)),
            );
        }
    }
    if any {
        Verdict::Pass
    } else {
        Verdict::NotShown(Words::new("lab.why.no_mail"))
    }
}

/// The first message sent (after a 354), as its lines' indexes without the final dot; a 354
/// followed by nothing at all is no message.
fn message(s: &Session) -> Option<(&Turn, std::ops::Range<usize>)> {
    s.turns.iter().find_map(|t| match t.kind {
        TurnKind::Message { ended } if !t.lines.is_empty() => {
            let end = if ended {
                t.lines.end.saturating_sub(1)
            } else {
                t.lines.end
            };
            Some((t, t.lines.start..end))
        }
        _ => None,
    })
}

/// A header field line (`Name: value`, RFC 5322 §2.2) or a folded continuation.
fn header_line(bytes: &[u8]) -> Option<Option<&[u8]>> {
    if bytes.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
        return Some(None);
    }
    let colon = bytes.iter().position(|b| *b == b':')?;
    let name = &bytes[..colon];
    (!name.is_empty() && name.iter().all(|b| b.is_ascii_graphic())).then_some(Some(name))
}

fn headers(s: &Session, wanted: &[String]) -> Verdict {
    let Some((t, body)) = message(s) else {
        return Verdict::NotShown(Words::new("lab.why.no_message"));
    };
    let mut seen: Vec<String> = Vec::new();
    for i in body {
        match header_line(&s.lines[i].bytes) {
            Some(Some(name)) => seen.push(String::from_utf8_lossy(name).to_ascii_lowercase()),
            Some(None) => {}
            None => break,
        }
    }
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|w| !seen.contains(&w.to_ascii_lowercase()))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Verdict::Pass
    } else {
        fail_on(
            t.lines.start,
            Words::new("lab.why.missing_headers").arg("names", missing.join(", ")),
        )
    }
}

fn blank_line(s: &Session) -> Verdict {
    let Some((_, body)) = message(s) else {
        return Verdict::NotShown(Words::new("lab.why.no_message"));
    };
    for i in body {
        let l = &s.lines[i].bytes;
        if l.is_empty() {
            return Verdict::Pass;
        }
        if header_line(l).is_none() {
            return fail(Some(i), "lab.why.no_blank_line");
        }
    }
    Verdict::Pass
}

/// RFC 5321 §4.5.2: a line of the message that starts with `.` goes with one more `.`. A line
/// that starts with a single dot was not stuffed (the server takes that dot away).
fn dot_stuffing(s: &Session) -> Verdict {
    let Some((t, body)) = message(s) else {
        return Verdict::NotShown(Words::new("lab.why.no_message"));
    };
    // A lone "." in the body ended the message early: the rest was read as commands.
    if let Some(i) = s.turns.iter().position(|u| std::ptr::eq(u, t))
        && s.spill_after(i)
    {
        return fail(t.lines.end.checked_sub(1), "lab.why.lone_dot");
    }
    let mut stuffed = false;
    for i in body {
        let l = &s.lines[i].bytes;
        if l.starts_with(b"..") {
            stuffed = true;
        } else if l.starts_with(b".") {
            return fail(Some(i), "lab.why.unstuffed");
        }
    }
    if stuffed {
        Verdict::Pass
    } else {
        Verdict::NotShown(Words::new("lab.why.no_dot_line"))
    }
}

fn final_dot(s: &Session) -> Verdict {
    let Some(t) = s
        .turns
        .iter()
        .find(|t| matches!(t.kind, TurnKind::Message { .. }))
    else {
        // DATA refused, and the message sent anyway: the server read it as commands.
        if let Some((_, d)) = s
            .turns
            .iter()
            .enumerate()
            .find(|(i, t)| s.verb(t) == Some("DATA") && s.spill_after(*i))
        {
            return fail_on(
                d.lines.start,
                Words::new("lab.why.data_refused_sent_anyway").arg("reply", quoted(s, d)),
            );
        }
        return Verdict::NotShown(Words::new("lab.why.no_message"));
    };
    if t.kind == (TurnKind::Message { ended: false }) {
        return fail(t.lines.end.checked_sub(1), "lab.why.no_final_dot");
    }
    let dot = t.lines.end.saturating_sub(1);
    if s.lines.get(dot).is_some_and(|l| l.end != LineEnd::CrLf) {
        return fail(Some(dot), "lab.why.dot_ending");
    }
    match code(s, t) {
        Some(c) if c / 100 == 2 => Verdict::Pass,
        Some(_) => fail_on(
            dot,
            Words::new("lab.why.message_refused").arg("reply", quoted(s, t)),
        ),
        None => fail(Some(dot), "lab.why.no_reply"),
    }
}

fn quit(s: &Session) -> Verdict {
    let Some(last) = s.turns.last() else {
        return Verdict::NotShown(Words::new("lab.why.said_nothing"));
    };
    // Replies to message text read as commands put the program's reading out of step; that
    // fault is the message's, so a QUIT reply it missed after one is not counted again.
    let spilled = s.turns.iter().any(|t| t.spilled);
    let ok = match s.protocol {
        Protocol::Smtp => 221,
        Protocol::Pop3 => 200,
    };
    match s.verb(last) {
        Some("QUIT") if !spilled && s.closed_before_reply.is_some_and(|r| r <= last.reply) => {
            let key = match s.protocol {
                Protocol::Smtp => "lab.why.quit_not_read",
                Protocol::Pop3 => "lab.why.quit_not_read_pop3",
            };
            fail(Some(last.lines.start), key)
        }
        Some("QUIT") if code(s, last) == Some(ok) => Verdict::Pass,
        Some("QUIT") => fail(Some(last.lines.start), "lab.why.quit_unanswered"),
        _ => {
            let key = match (s.protocol, s.ending) {
                (Protocol::Pop3, _) => "lab.why.no_quit_pop3",
                (_, Some(Ending::TimedOut)) => "lab.why.no_quit_idle",
                _ => "lab.why.no_quit",
            };
            fail(Some(last.lines.end.saturating_sub(1)), key)
        }
    }
}

fn tls(s: &Session) -> Verdict {
    if s.implicit_tls {
        return Verdict::Pass;
    }
    let tls_line = s.tls_from_line.unwrap_or(usize::MAX);
    for (t, verb) in commands(s) {
        if t.lines.start >= tls_line {
            break;
        }
        if matches!(verb, "AUTH" | "PASS" | "APOP" | "USER") {
            return fail(Some(t.lines.start), "lab.why.login_in_clear");
        }
    }
    if s.tls_from_line.is_some() {
        Verdict::Pass
    } else if s.turns.is_empty() {
        Verdict::NotShown(Words::new("lab.why.said_nothing"))
    } else {
        fail(None, "lab.why.no_tls")
    }
}

/// The attempt never got the reply the stage staged (`code`, when known).
fn not_met(code: Option<u16>) -> Verdict {
    Verdict::NotShown(
        Words::new("lab.why.fault_not_met")
            .arg("code", code.map(|c| c.to_string()).unwrap_or_default()),
    )
}

fn after_rcpt_refused(s: &Session, staged: Option<u16>) -> Verdict {
    let Some(i) = s.turns.iter().position(|t| {
        s.verb(t) == Some("RCPT")
            && code(s, t).is_some_and(|c| staged.map_or(c >= 400, |want| c == want))
    }) else {
        return not_met(staged);
    };
    let refused = &s.turns[i];
    let mut accepted = s.turns[..i]
        .iter()
        .rev()
        .take_while(|t| !matches!(s.verb(t), Some("MAIL" | "RSET")))
        .any(|t| s.verb(t) == Some("RCPT") && code(s, t).is_some_and(|c| c / 100 == 2));
    for t in &s.turns[i + 1..] {
        match s.verb(t) {
            Some("RCPT") => accepted |= code(s, t).is_some_and(|c| c / 100 == 2),
            // DATA sent in the same PIPELINING group as the RCPT, before its refusal came,
            // could not know of it (RFC 2920 §3.1); the server's 503/554 ends it.
            Some("DATA") if !accepted && pipelined_past(s, t, refused) => {}
            Some("DATA") if !accepted => {
                return fail_on(
                    t.lines.start,
                    Words::new("lab.why.data_after_refusal").arg("reply", quoted(s, refused)),
                );
            }
            Some("RSET" | "QUIT" | "MAIL") | Some("DATA") => return Verdict::Pass,
            _ => {}
        }
    }
    Verdict::Pass
}

/// `t` was sent before the reply to `earlier` was written.
fn pipelined_past(s: &Session, t: &Turn, earlier: &Turn) -> bool {
    s.first_line(t).is_some_and(|l| l.seen <= earlier.reply)
}

fn after_greeting_refused(s: &Session, staged: Option<u16>) -> Verdict {
    let refused = s
        .replies
        .first()
        .is_some_and(|g| staged.map_or(g.code == 421 || g.code == 554, |want| g.code == want));
    if !refused {
        return not_met(staged);
    }
    let greeting = s
        .replies
        .first()
        .map(|g| g.first().to_owned())
        .unwrap_or_default();
    match commands(s).find(|(_, v)| *v != "QUIT") {
        Some((t, _)) => fail_on(
            t.lines.start,
            Words::new("lab.why.went_on_after_greeting").arg("reply", greeting),
        ),
        None => Verdict::Pass,
    }
}

fn after_dot_refused(s: &Session, staged: Option<u16>) -> Verdict {
    let Some(i) = s.turns.iter().position(|t| {
        matches!(t.kind, TurnKind::Message { ended: true })
            && code(s, t).is_some_and(|c| staged.map_or(c >= 500, |want| c == want))
    }) else {
        return not_met(staged);
    };
    let refused = &s.turns[i];
    match s.turns[i + 1..]
        .iter()
        .find(|t| matches!(s.verb(t), Some("DATA" | "BDAT")))
    {
        Some(t) => fail_on(
            t.lines.start,
            Words::new("lab.why.resent_after_refusal").arg("reply", quoted(s, refused)),
        ),
        None => Verdict::Pass,
    }
}
