//! The POP3 client checks (RFC 1939): logging in, the order of the states, STAT before RETR,
//! RETR and DELE accepted.

use super::grade::{Verdict, code, commands, fail, fail_on, quoted};
use super::turns::{Session, TurnKind};
use crate::words::Words;

/// The turn that logged in (PASS, APOP or AUTH with +OK), if any.
fn logged_in(s: &Session) -> Option<usize> {
    s.turns.iter().position(|t| {
        let last_of_auth = s.verb(t) == Some("AUTH") || t.kind == TurnKind::AuthAnswer;
        (matches!(s.verb(t), Some("PASS" | "APOP")) || last_of_auth) && code(s, t) == Some(200)
    })
}

pub(super) fn login(s: &Session) -> Verdict {
    if logged_in(s).is_some() {
        return Verdict::Pass;
    }
    let mut user = false;
    for (t, verb) in commands(s) {
        match verb {
            "USER" => user = code(s, t) == Some(200),
            "PASS" if !user => return fail(Some(t.lines.start), "lab.why.pass_before_user"),
            "PASS" | "APOP" | "AUTH" => {
                return fail_on(
                    t.lines.start,
                    Words::new("lab.why.login_refused").arg("reply", quoted(s, t)),
                );
            }
            _ => {}
        }
    }
    Verdict::NotShown(Words::new("lab.why.no_auth"))
}

/// RFC 1939 §3: STAT, LIST, RETR, DELE, NOOP, RSET, TOP, UIDL only in the TRANSACTION state.
pub(super) fn order(s: &Session) -> Verdict {
    let login = logged_in(s).unwrap_or(usize::MAX);
    for (i, t) in s.turns.iter().enumerate() {
        if i < login
            && matches!(
                s.verb(t),
                Some("STAT" | "LIST" | "RETR" | "DELE" | "NOOP" | "RSET" | "TOP" | "UIDL")
            )
        {
            return fail(Some(t.lines.start), "lab.why.before_login");
        }
    }
    if s.turns.is_empty() {
        Verdict::NotShown(Words::new("lab.why.said_nothing"))
    } else {
        Verdict::Pass
    }
}

pub(super) fn stat(s: &Session) -> Verdict {
    let Some(retr) = s.turns.iter().position(|t| s.verb(t) == Some("RETR")) else {
        return Verdict::NotShown(Words::new("lab.why.no_retr"));
    };
    if s.turns[..retr]
        .iter()
        .any(|t| matches!(s.verb(t), Some("STAT" | "LIST")) && code(s, t) == Some(200))
    {
        Verdict::Pass
    } else {
        fail(Some(s.turns[retr].lines.start), "lab.why.retr_blind")
    }
}

pub(super) fn simple(
    s: &Session,
    verb: &str,
    missing: &'static str,
    refused: &'static str,
) -> Verdict {
    let mut tried = None;
    for (t, v) in commands(s) {
        if v == verb {
            if code(s, t) == Some(200) {
                return Verdict::Pass;
            }
            tried.get_or_insert(t);
        }
    }
    match tried {
        Some(t) => fail_on(
            t.lines.start,
            Words::new(refused).arg("reply", quoted(s, t)),
        ),
        None => Verdict::NotShown(Words::new(missing)),
    }
}
