//! A lab's rubric as data (`assets/rubrics/*.toml`): the attempts a student's program makes
//! (each may stage a fault), and the checks scored on each, with their points and what each
//! looks for, in both languages.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use super::record::Protocol;
use crate::proto::{Bilingual, Lang};
use crate::words::Words;

/// A fault staged for one attempt: what the program is scored on doing next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageFault {
    /// The greeting is this code (421: the server is closing; 554: no service).
    Greeting(u16),
    /// The first RCPT TO gets this code.
    Rcpt(u16),
    /// The final dot gets this code.
    Data(u16),
}

impl FromStr for StageFault {
    type Err = String;

    /// `greet=421`, `rcpt=450`, `data=554`, as `serve --fault` writes them.
    fn from_str(s: &str) -> Result<Self, String> {
        let (key, value) = s.split_once('=').ok_or_else(|| s.to_owned())?;
        let code = |allowed: &[u16]| {
            value
                .parse::<u16>()
                .ok()
                .filter(|c| allowed.contains(c))
                .ok_or_else(|| s.to_owned())
        };
        match key {
            "greet" => Ok(Self::Greeting(code(&[421, 554])?)),
            "rcpt" => Ok(Self::Rcpt(code(&[450, 451, 452, 550, 553])?)),
            "data" => Ok(Self::Data(code(&[451, 552, 554])?)),
            _ => Err(s.to_owned()),
        }
    }
}

impl fmt::Display for StageFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Greeting(c) => write!(f, "greet={c}"),
            Self::Rcpt(c) => write!(f, "rcpt={c}"),
            Self::Data(c) => write!(f, "data={c}"),
        }
    }
}

impl<'de> Deserialize<'de> for StageFault {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(|s| {
            serde::de::Error::custom(format!(
                "{s:?} is not a staged fault: greet=421|554, rcpt=450|451|452|550|553, data=451|552|554"
            ))
        })
    }
}

/// What a check reads in the session: one general mechanism each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// SMTP: the first command is EHLO or HELO with a name.
    Greeted,
    /// Every line ends in CRLF; no bare LF, no bare CR.
    LineEndings,
    /// No command before the reply to the one before, beyond what PIPELINING allows.
    WaitsForReplies,
    /// SMTP AUTH LOGIN/PLAIN answered in clean base64, and the login accepted.
    Auth,
    /// `MAIL FROM:<…>` and `RCPT TO:<…>` as RFC 5321 §4.1.2 writes them.
    MailSyntax,
    /// The message has the header fields the rubric lists.
    Headers,
    /// An empty line between the header and the body.
    BlankLine,
    /// Every body line starting with `.` is sent with another `.` before it.
    DotStuffing,
    /// The message ends with a line holding only `.`, and is accepted.
    FinalDot,
    /// The session ends with QUIT and its reply.
    Quit,
    /// TLS (STARTTLS, STLS or implicit) before any password.
    Tls,
    /// After a 4xx/5xx to RCPT TO, no DATA as if the recipient had been accepted.
    AfterRcptRefused,
    /// After a 421/554 greeting, no mail command.
    AfterGreetingRefused,
    /// After a refusal of the final dot, the same message is not sent again.
    AfterDotRefused,
    /// POP3: USER then PASS (or APOP, AUTH), accepted.
    Pop3Login,
    /// POP3: no transaction command before the login is accepted (RFC 1939 §3).
    Pop3Order,
    /// POP3: STAT or LIST before RETR.
    Pop3Stat,
    /// POP3: RETR of a message that exists.
    Pop3Retr,
    /// POP3: DELE accepted.
    Pop3Dele,
}

impl CheckKind {
    /// Whether the check reads sessions of this protocol.
    pub fn fits(self, protocol: Protocol) -> bool {
        use CheckKind::*;
        match self {
            LineEndings | WaitsForReplies | Quit | Tls => true,
            Pop3Login | Pop3Order | Pop3Stat | Pop3Retr | Pop3Dele => protocol == Protocol::Pop3,
            _ => protocol == Protocol::Smtp,
        }
    }

    /// The fault the check needs staged, if it scores what follows one.
    fn needs(self) -> Option<fn(&StageFault) -> bool> {
        match self {
            CheckKind::AfterRcptRefused => Some(|f| matches!(f, StageFault::Rcpt(_))),
            CheckKind::AfterGreetingRefused => Some(|f| matches!(f, StageFault::Greeting(_))),
            CheckKind::AfterDotRefused => Some(|f| matches!(f, StageFault::Data(_))),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ProtocolName {
    Smtp,
    Pop3,
}

/// One attempt of a student's program, in the order they come.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: String,
    pub title: Bilingual,
    #[serde(default)]
    pub fault: Option<StageFault>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub id: String,
    pub kind: CheckKind,
    /// The attempt it is scored on (the first when not given).
    #[serde(default)]
    pub stage: Option<String>,
    pub points: u32,
    /// What the check looks for, in a sentence.
    pub looks_for: Bilingual,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RubricFile {
    id: String,
    title: Bilingual,
    protocol: ProtocolName,
    #[serde(default)]
    delay_ms: u64,
    #[serde(default)]
    headers: Vec<String>,
    #[serde(rename = "stage")]
    stages: Vec<Stage>,
    #[serde(rename = "check")]
    checks: Vec<Check>,
}

/// A rubric, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rubric {
    pub id: String,
    pub title: Bilingual,
    pub protocol: Protocol,
    /// A pause before every reply, so that a client that does not wait for one shows it.
    pub delay_ms: u64,
    /// The header fields a message must have (for [`CheckKind::Headers`]).
    pub headers: Vec<String>,
    pub stages: Vec<Stage>,
    pub checks: Vec<Check>,
}

/// The rubrics built in, by name.
pub const BUILT_IN: [(&str, &str); 2] = [
    (
        "smtp-client",
        include_str!("../../../assets/rubrics/smtp-client.toml"),
    ),
    (
        "pop3-client",
        include_str!("../../../assets/rubrics/pop3-client.toml"),
    ),
];

impl Rubric {
    /// A built-in rubric by name.
    pub fn built_in(name: &str) -> Option<Result<Self, Words>> {
        // Read once: the window lists them every frame its chooser is drawn.
        static READ: std::sync::LazyLock<Vec<Result<Rubric, Words>>> =
            std::sync::LazyLock::new(|| {
                BUILT_IN
                    .iter()
                    .map(|(n, text)| Rubric::parse(text, &format!("{n}.toml")))
                    .collect()
            });
        let i = BUILT_IN.iter().position(|(n, _)| *n == name)?;
        READ.get(i).cloned()
    }

    /// Reads a rubric; an error names the file, the line and what is wrong.
    pub fn parse(text: &str, file: &str) -> Result<Self, Words> {
        let bad = |what: String| {
            Words::new("lab.bad_rubric")
                .arg("file", file)
                .arg("error", what)
        };
        let f: RubricFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let protocol = match f.protocol {
            ProtocolName::Smtp => Protocol::Smtp,
            ProtocolName::Pop3 => Protocol::Pop3,
        };
        if f.stages.is_empty() || f.checks.is_empty() {
            return Err(bad("no [[stage]] or no [[check]]".into()));
        }
        if f.delay_ms > 5_000 {
            return Err(bad(format!("delay_ms {} is over 5000", f.delay_ms)));
        }
        let mut ids = HashSet::new();
        for s in &f.stages {
            if !ids.insert(s.id.as_str()) {
                return Err(bad(format!("stage {:?} is written twice", s.id)));
            }
        }
        let mut checks = HashSet::new();
        for c in &f.checks {
            if !checks.insert(c.id.as_str()) {
                return Err(bad(format!("check {:?} is written twice", c.id)));
            }
            if !c.kind.fits(protocol) {
                return Err(bad(format!(
                    "check {:?}: {:?} does not read a {:?} session",
                    c.id, c.kind, protocol
                )));
            }
            let stage = match &c.stage {
                Some(id) => f
                    .stages
                    .iter()
                    .find(|s| &s.id == id)
                    .ok_or_else(|| bad(format!("check {:?}: no stage {:?}", c.id, id)))?,
                None => &f.stages[0],
            };
            if let Some(needs) = c.kind.needs()
                && !stage.fault.as_ref().is_some_and(needs)
            {
                return Err(bad(format!(
                    "check {:?}: its stage {:?} stages no fault it can score",
                    c.id, stage.id
                )));
            }
        }
        let first = f.stages[0].id.clone();
        Ok(Rubric {
            id: f.id,
            title: f.title,
            protocol,
            delay_ms: f.delay_ms,
            headers: f.headers,
            checks: f
                .checks
                .into_iter()
                .map(|mut c| {
                    c.stage.get_or_insert_with(|| first.clone());
                    c
                })
                .collect(),
            stages: f.stages,
        })
    }

    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// The checks scored on a stage.
    pub fn checks_of<'a>(&'a self, stage: &'a str) -> impl Iterator<Item = &'a Check> + 'a {
        self.checks
            .iter()
            .filter(move |c| c.stage.as_deref() == Some(stage))
    }

    pub fn total(&self) -> u32 {
        self.checks.iter().map(|c| c.points).sum()
    }

    pub fn title(&self, lang: Lang) -> &str {
        self.title.get(lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_rubric_reads() {
        for (name, _) in BUILT_IN {
            let r = Rubric::built_in(name).unwrap().unwrap();
            assert!(r.total() > 0, "{name}");
            for c in &r.checks {
                assert!(!c.looks_for.en.is_empty() && !c.looks_for.zh.is_empty());
            }
        }
    }

    #[test]
    fn a_typo_or_a_misplaced_check_is_refused_with_its_line() {
        let good = Rubric::built_in("smtp-client").unwrap().unwrap();
        assert_eq!(good.protocol, Protocol::Smtp);
        let typo = include_str!("../../../assets/rubrics/smtp-client.toml").replacen(
            "kind = \"quit\"",
            "kind = \"quitt\"",
            1,
        );
        let e = Rubric::parse(&typo, "x.toml").unwrap_err().get(Lang::En);
        assert!(e.contains("x.toml") && e.contains("line"), "{e}");
        let misplaced = include_str!("../../../assets/rubrics/pop3-client.toml").replacen(
            "kind = \"pop3_dele\"",
            "kind = \"headers\"",
            1,
        );
        assert!(Rubric::parse(&misplaced, "p.toml").is_err());
        assert_eq!("rcpt=450".parse(), Ok(StageFault::Rcpt(450)));
        assert!("rcpt=200".parse::<StageFault>().is_err());
    }
}
