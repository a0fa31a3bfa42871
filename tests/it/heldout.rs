//! The tutor against real replies from servers' source code, providers' documentation and
//! public logs, each with the topics a right note may name and the causes it must not state:
//! `tests/fixtures/tuning.toml` (8,863 replies the word families were improved on, in
//! fifty-three rounds) and `tests/fixtures/heldout.toml` (191 replies collected since and never
//! tuned on).
//! `tests/fixtures/second_reading.toml` holds other labellers' reading of some of them, scored
//! the same way: how often two careful readers agree.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mailtutor::explain;
use mailtutor::proto::Lang;
use mailtutor::proto::explanation::{Class, Explanation};
use mailtutor::proto::topics;
use mailtutor::transcript::{Direction, Entry};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    protocol: String,
    before: String,
    reply: String,
    source: String,
    gist: String,
    class: String,
    topics: Vec<String>,
    not: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The note names a cause the case accepts, or names none where the reply gives none.
    Right,
    /// The note names no cause although the words give one: not wrong, not helpful enough.
    Vague,
    /// The note states a cause the reply does not give, or the wrong class.
    Wrong,
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Topics that name no concrete cause: a note may fall back to them (or to the code) for a
/// reply whose words give none.
fn no_cause(t: &str) -> bool {
    matches!(t, "success" | "prompt" | "policy") || t.starts_with("other:")
}

fn judge(c: &Case, x: &Explanation) -> (Verdict, String) {
    // A 5xx whose note says both that its code is permanent and that the server's words say
    // it passes conveys what a case labelled temporary asks for.
    let class = match x.class {
        Class::Permanent if c.class == "temporary" && x.words_say_it_passes() => Class::Temporary,
        class => class,
    };
    judge_reading(c, x.topic(), class)
}

/// The verdict on a reading that names `stated` (or no cause) and reads the reply as `class`.
fn judge_reading(c: &Case, stated: Option<&str>, class: Class) -> (Verdict, String) {
    let generic = stated.is_none_or(|t| topics::by_id(t).is_some_and(|t| t.generic));
    // The class: a 4xx read as temporary, a 5xx as permanent; a POP3 -ERR is never called
    // the opposite of what the case says.
    let class_ok = match (c.class.as_str(), class) {
        ("temporary", Class::Permanent) | ("permanent", Class::Temporary) => false,
        ("success", c) => c == Class::Success,
        _ => true,
    };
    if !class_ok {
        return (Verdict::Wrong, format!("class {class:?}"));
    }
    if let Some(t) = stated {
        // A labeller's own name for a cause the topic list lacked ("other:update-failed")
        // counts when the tutor has that cause by the same name.
        if c.topics
            .iter()
            .any(|w| w == t || w.strip_prefix("other:") == Some(t))
        {
            return (Verdict::Right, String::new());
        }
        if c.not.iter().any(|w| w == t) {
            return (
                Verdict::Wrong,
                format!("states {t}, which the case rules out"),
            );
        }
        if !generic {
            return (Verdict::Wrong, format!("states {t}"));
        }
    }
    if c.topics.iter().all(|t| no_cause(t)) {
        return (Verdict::Right, String::new());
    }
    (Verdict::Vague, format!("states {stated:?}"))
}

/// [right, vague, wrong] over a fixture, and the wrong notes; writes a report of every case.
fn measure(name: &str, text: &str) -> ([usize; 3], Vec<String>) {
    let fx: Fixture = toml::from_str(text).unwrap();
    let mut tally = [0usize; 3];
    let mut report = String::new();
    let mut wrong = Vec::new();
    for (i, c) in fx.case.iter().enumerate() {
        assert!(!c.source.trim().is_empty() && !c.gist.trim().is_empty());
        assert!(matches!(c.protocol.as_str(), "smtp" | "pop3"));
        let text = if c.before.is_empty() {
            c.reply.clone()
        } else {
            format!("{}\n{}", c.before, c.reply)
        };
        let t = explain::fold(&text);
        // The reply is what the server sent after the session's last client line, in the
        // entries that hold the start of one of the reply's lines (not an earlier reply, where
        // this one was shown as text around the session). A POP3 server may send several status
        // lines at once ("-ERR Invalid password", then "-ERR POP3 server signing off"): each
        // gets its own note, the case is wrong if any note is, and right if one is.
        let starts: Vec<String> = c
            .reply
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.trim().chars().take(16).collect::<String>())
            // A multi-line reply cut short ("550-…" with no last line) is shown as its one line.
            .flat_map(|l| {
                let last = match l.as_bytes() {
                    [a, b, c, b'-', ..] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
                        Some(format!("{} {}", &l[..3], &l[4..]))
                    }
                    _ => None,
                };
                std::iter::once(l).chain(last)
            })
            .collect();
        let holds_reply = |e: &&Entry| {
            let raw = String::from_utf8_lossy(e.raw());
            starts.is_empty() || starts.iter().any(|l| raw.contains(l.as_str()))
        };
        let entries = t.entries();
        let after = entries
            .iter()
            .rposition(|e| e.dir == Direction::Client)
            .map_or(0, |i| i + 1);
        let mut replies: Vec<&Entry> = entries[after..]
            .iter()
            .filter(|e| e.dir == Direction::Server)
            .filter(holds_reply)
            .collect();
        if replies.is_empty() {
            replies.extend(
                entries
                    .iter()
                    .rev()
                    .find(|e| e.dir == Direction::Server)
                    .filter(holds_reply),
            );
        }
        // A line no reply grammar reads (one with no code or status at all) is shown as text
        // around the session, or with a warning that it is not a reply: no cause is taught.
        let notes: Vec<&Explanation> = replies.iter().filter_map(|e| e.explanation()).collect();
        if notes.is_empty() {
            tally[Verdict::Vague as usize] += 1;
            report.push_str(&format!("#{i} not read as a reply\n  {}\n\n", c.reply));
            continue;
        }
        let mut judged: Vec<(Verdict, String, &Explanation)> = Vec::new();
        for x in notes {
            // Both languages, every part.
            for lang in [Lang::En, Lang::Zh] {
                assert!(!x.meaning(lang).trim().is_empty(), "{name} case {i}");
            }
            let zh = x.lines(Lang::Zh).join("\n");
            assert!(has_cjk(&zh), "{name} case {i}: no Chinese in {zh}");
            let (v, why) = judge(c, x);
            judged.push((v, why, x));
        }
        let pick = [Verdict::Wrong, Verdict::Right]
            .iter()
            .find_map(|want| judged.iter().position(|(v, _, _)| v == want))
            .unwrap_or(0);
        let (v, why, x) = judged.swap_remove(pick);
        tally[v as usize] += 1;
        report.push_str(&format!(
            "#{i} {:?} {why} [{}] topic={}\n  {}\n  want {:?} not {:?}\n  {}\n\n",
            v,
            x.situation().map_or("-", |s| s.id.as_str()),
            x.topic().unwrap_or("-"),
            c.reply.replace('\n', "\\n"),
            c.topics,
            c.not,
            x.one_line(Lang::En)
        ));
        if v == Verdict::Wrong {
            wrong.push(format!("#{i} {} → {why}", c.reply.replace('\n', "\\n")));
        }
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::write(dir.join(format!("{name}-report.txt")), &report);
    (tally, wrong)
}

fn pct(t: [usize; 3]) -> f64 {
    100.0 * t[0] as f64 / t.iter().sum::<usize>().max(1) as f64
}

#[test]
fn real_replies_are_explained_right_and_never_wrongly() {
    let (tuned, tuned_wrong) = measure("tuning", include_str!("../fixtures/tuning.toml"));
    let (held, held_wrong) = measure("heldout", include_str!("../fixtures/heldout.toml"));
    assert!(tuned.iter().sum::<usize>() >= 200 && held.iter().sum::<usize>() >= 150);
    for (name, t) in [("tuned on", tuned), ("held out", held)] {
        eprintln!(
            "{name}: right {}/{} ({:.1}%), vague {}, wrong {}",
            t[0],
            t.iter().sum::<usize>(),
            pct(t),
            t[1],
            t[2]
        );
    }
    // A ratchet at the figures reached so far (the goal is 90% right and none wrong, on
    // replies never tuned on): a change that teaches more wrong things, or fewer right ones,
    // fails here.
    for (name, t, wrong, most, least) in [
        (
            "tuned on",
            tuned,
            &tuned_wrong,
            TUNED_MOST_WRONG,
            TUNED_LEAST_RIGHT_PCT,
        ),
        (
            "held out",
            held,
            &held_wrong,
            HELD_MOST_WRONG,
            HELD_LEAST_RIGHT_PCT,
        ),
    ] {
        assert!(
            wrong.len() <= most,
            "{name}: {} wrong notes (at most {most}):\n{}",
            wrong.len(),
            wrong.join("\n")
        );
        assert!(
            pct(t) >= least,
            "{name}: only {:.1}% right (at least {least}%)",
            pct(t)
        );
    }
}

#[derive(Deserialize)]
struct Readings {
    reading: Vec<Reading>,
}

/// A second labeller's reading of a reply of the fixtures.
#[derive(Deserialize)]
struct Reading {
    /// Which replies it belongs to ("tuning": drawn at random; "round 22": a whole round).
    fixture: String,
    before: String,
    reply: String,
    /// The topic a right note names, or "none".
    topic: String,
    class: String,
}

/// How often a second careful reader, judged as the tutor is, agrees with the first labels:
/// the ceiling of the measure above. Two readers disagree on about one reply in eight, so a
/// figure near it is as good as the labels can show.
#[test]
fn a_second_reading_shows_how_often_two_readers_agree() {
    let readings: Readings =
        toml::from_str(include_str!("../fixtures/second_reading.toml")).unwrap();
    let cases = |text: &str| toml::from_str::<Fixture>(text).unwrap().case;
    let tuning = cases(include_str!("../fixtures/tuning.toml"));
    let heldout = cases(include_str!("../fixtures/heldout.toml"));
    let mut tally = std::collections::BTreeMap::<&str, [usize; 3]>::new();
    for r in &readings.reading {
        // A round read while held out moves to the tuning replies later: look in both.
        let c = tuning
            .iter()
            .chain(&heldout)
            .find(|c| c.reply == r.reply && c.before == r.before)
            .unwrap_or_else(|| panic!("no case for {}", r.reply));
        let class = match r.class.as_str() {
            "success" => Class::Success,
            "intermediate" => Class::Intermediate,
            "temporary" => Class::Temporary,
            _ => Class::Permanent,
        };
        let stated =
            Some(r.topic.as_str()).filter(|t| !matches!(*t, "none" | "success" | "prompt"));
        let (v, _) = judge_reading(c, stated, class);
        tally.entry(r.fixture.as_str()).or_default()[v as usize] += 1;
    }
    for (name, t) in &tally {
        eprintln!(
            "second reading, {name}: right {}/{} ({:.1}%), vague {}, wrong {}",
            t[0],
            t.iter().sum::<usize>(),
            pct(*t),
            t[1],
            t[2]
        );
    }
    // Two careful readers agree on most replies, and disagree on some.
    assert_eq!(
        tally
            .values()
            .map(|t| t.iter().sum::<usize>())
            .sum::<usize>(),
        1334
    );
    // On every set of fifty or more and on all readings together; a small round moves with a
    // few replies (round 58's 22 were read 68.2% right, below the tutor), but not below 60%.
    let mut all = [0; 3];
    for t in tally.values() {
        let n = t.iter().sum::<usize>();
        let range = if n < 50 { 60.0..100.0 } else { 80.0..95.0 };
        assert!(t[2] > 0 && range.contains(&pct(*t)), "{t:?}");
        for (a, v) in all.iter_mut().zip(t) {
            *a += v;
        }
    }
    assert!((80.0..95.0).contains(&pct(all)), "{all:?}");
}

const TUNED_MOST_WRONG: usize = 266;
const TUNED_LEAST_RIGHT_PCT: f64 = 88.7;
const HELD_MOST_WRONG: usize = 13;
const HELD_LEAST_RIGHT_PCT: f64 = 69.6;

/// Figures for a further fixture named by `MAILTUTOR_HELDOUT` (a file of the same form), so a
/// new set of real replies can be measured against the tutor as it stands before any rule is
/// written for it. Without the variable the test does nothing.
#[test]
fn a_further_fixture_is_measured_when_named() {
    let Ok(path) = std::env::var("MAILTUTOR_HELDOUT") else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let (t, wrong) = measure("further", &text);
    eprintln!(
        "{path}: right {}/{} ({:.1}%), vague {}, wrong {}\n{}",
        t[0],
        t.iter().sum::<usize>(),
        pct(t),
        t[1],
        t[2],
        wrong.join("\n")
    );
}
