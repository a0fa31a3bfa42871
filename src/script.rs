//! The one script language of the window's scripted clicks: a lesson's "Show me" and the
//! demos (`assets/demos.toml`) are lists of steps written `verb` or `verb:argument` —
//! `connect`, `smtp:MAIL FROM`, `answer:password`, `wait:greeted`, `tab:base64`. A step is
//! parsed here into data; the window turns it into the same action a click makes.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::proto::Lang;
use crate::proto::auth::PromptKind;
use crate::proto::pop3::Pop3Kind;
use crate::proto::smtp::CommandKind;
use crate::server::Fault;
use crate::session::Protocol;
use crate::words::Words;

/// One scripted step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    // What a lesson's "Show me" may play: the client's own clicks and fields.
    Connect,
    SendMessage,
    Smtp(CommandKind),
    Pop3(Pop3Kind),
    Imap(crate::proto::imap::ImapKind),
    /// The step card's answer to a 334 that asked for this.
    Answer(PromptKind),
    Raw(String),
    Username(String),
    Password(String),
    Subject(String),
    // What a demo also plays: the rest of the window.
    /// The subject, by its key in the translation tables (so it follows the language).
    SubjectWords(String),
    Lang(Lang),
    /// Zoom and theme, as a teacher sets them for a projector.
    Look {
        zoom: f32,
        dark: bool,
    },
    Protocol(Protocol),
    Tab(Tab),
    /// The server's side at this tab, or (`None`) the client's side again.
    ServerSide(Option<ServerTab>),
    ClearTranscript,
    LoadLast334,
    PinTooltip(u16),
    Lesson(String),
    /// The current lesson step's "Show me"; a demo goes on once one more step is ticked.
    ShowMe,
    Hint,
    Exam,
    LeaveLesson,
    OpenNewestMail,
    Stage(Fault),
    RequireAuth,
    /// The class's accounts, from the names under this key of the translation tables.
    Roster(String),
    /// A file attached in the composer (a path from the working directory).
    Attach(String),
    /// The composer's HTML alternative turned on.
    Html,
    /// The message tree's part with this index chosen: its bytes highlighted on the wire.
    MimePart(usize),
    /// A transcript, log or capture opened from a file.
    Open(String),
    Wait(Wait),
}

/// What a script waits for before its next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The server's greeting arrived.
    Greeted,
    /// The server closed the connection (after QUIT).
    Closed,
    /// The mailbox lists the account's newest message.
    MailListed,
    /// The class's accounts are made and the server runs with them.
    ClassReady,
    /// The composer read every file given to it.
    Attached,
    /// A file given to "Open transcript…" was read and shown.
    Opened,
}

/// The right-hand panel's tabs, by the names a script gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Message,
    Base64,
    Codes,
    Server,
    Lessons,
}

/// The server's side's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerTab {
    Overview,
    Mailbox,
    Log,
    Faults,
    Class,
}

fn named<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

const TABS: [(&str, Tab); 5] = [
    ("message", Tab::Message),
    ("base64", Tab::Base64),
    ("codes", Tab::Codes),
    ("server", Tab::Server),
    ("lessons", Tab::Lessons),
];

const SERVER_TABS: [(&str, ServerTab); 5] = [
    ("overview", ServerTab::Overview),
    ("mailbox", ServerTab::Mailbox),
    ("log", ServerTab::Log),
    ("faults", ServerTab::Faults),
    ("class", ServerTab::Class),
];

const WAITS: [(&str, Wait); 6] = [
    ("greeted", Wait::Greeted),
    ("closed", Wait::Closed),
    ("mail-listed", Wait::MailListed),
    ("class-ready", Wait::ClassReady),
    ("attached", Wait::Attached),
    ("opened", Wait::Opened),
];

impl Step {
    /// Reads one step; `None` when the verb or its argument is not one the window knows.
    pub fn parse(spec: &str) -> Option<Self> {
        let (verb, arg) = match spec.split_once(':') {
            Some((v, a)) => (v, Some(a)),
            None => (spec, None),
        };
        Some(match (verb, arg) {
            ("connect", None) => Self::Connect,
            ("send-message", None) => Self::SendMessage,
            ("smtp", Some(b)) => Self::Smtp(*CommandKind::ALL.iter().find(|k| k.label() == b)?),
            ("pop3", Some(b)) => Self::Pop3(*Pop3Kind::ALL.iter().find(|k| k.label() == b)?),
            ("imap", Some(b)) => Self::Imap(
                *crate::proto::imap::ImapKind::ALL
                    .iter()
                    .find(|k| k.label() == b)?,
            ),
            ("answer", Some("username")) => Self::Answer(PromptKind::Username),
            ("answer", Some("password")) => Self::Answer(PromptKind::Password),
            ("raw", Some(line)) => Self::Raw(line.to_owned()),
            ("username", Some(u)) => Self::Username(u.to_owned()),
            ("password", Some(p)) => Self::Password(p.to_owned()),
            ("subject", Some(s)) => Self::Subject(s.to_owned()),
            ("subject-words", Some(k)) => Self::SubjectWords(k.to_owned()),
            ("lang", Some("en")) => Self::Lang(Lang::En),
            ("lang", Some("zh")) => Self::Lang(Lang::Zh),
            ("look", Some(a)) => {
                let (zoom, theme) = a.split_once(':')?;
                let zoom: f32 = zoom.parse().ok()?;
                if !(0.5..=3.0).contains(&zoom) {
                    return None;
                }
                let dark = match theme {
                    "dark" => true,
                    "light" => false,
                    _ => return None,
                };
                Self::Look { zoom, dark }
            }
            ("protocol", Some("smtp")) => Self::Protocol(Protocol::Smtp),
            ("protocol", Some("pop3")) => Self::Protocol(Protocol::Pop3),
            ("protocol", Some("imap")) => Self::Protocol(Protocol::Imap),
            ("tab", Some(t)) => Self::Tab(named(&TABS, t)?),
            ("server-side", Some(t)) => Self::ServerSide(Some(named(&SERVER_TABS, t)?)),
            ("client-side", None) => Self::ServerSide(None),
            ("clear-transcript", None) => Self::ClearTranscript,
            ("load-last-334", None) => Self::LoadLast334,
            ("pin-tooltip", Some(c)) => Self::PinTooltip(c.parse().ok()?),
            ("lesson", Some(id)) if !id.is_empty() => Self::Lesson(id.to_owned()),
            ("show-me", None) => Self::ShowMe,
            ("hint", None) => Self::Hint,
            ("exam", None) => Self::Exam,
            ("leave-lesson", None) => Self::LeaveLesson,
            ("open-newest-mail", None) => Self::OpenNewestMail,
            // The rest of the line is a fault as `serve --fault` takes it, colons and all.
            ("stage", Some(_)) => Self::Stage(spec["stage:".len()..].parse().ok()?),
            ("require-auth", None) => Self::RequireAuth,
            ("roster", Some(k)) => Self::Roster(k.to_owned()),
            ("attach", Some(p)) if !p.is_empty() => Self::Attach(p.to_owned()),
            ("html", None) => Self::Html,
            ("mime-part", Some(n)) => Self::MimePart(n.parse().ok()?),
            ("open", Some(p)) if !p.is_empty() => Self::Open(p.to_owned()),
            ("wait", Some(w)) => Self::Wait(named(&WAITS, w)?),
            _ => return None,
        })
    }

    /// Whether a lesson's "Show me" may play this step: the student's own clicks and fields
    /// (the protocol chooser of the connection bar among them), nothing that changes the rest
    /// of the window.
    pub fn is_show_me(&self) -> bool {
        matches!(
            self,
            Self::Connect
                | Self::SendMessage
                | Self::Smtp(_)
                | Self::Pop3(_)
                | Self::Imap(_)
                | Self::Protocol(_)
                | Self::Answer(_)
                | Self::Raw(_)
                | Self::Username(_)
                | Self::Password(_)
                | Self::Subject(_)
        )
    }
}

/// A demo as written in `assets/demos.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demo {
    pub name: String,
    /// What the demo shows, for the reader of the file.
    #[serde(default)]
    pub about: String,
    /// The practice server refuses a login on a plain connection.
    #[serde(default)]
    pub require_tls: bool,
    pub steps: Vec<String>,
    /// Lines the transcript, exported in English, contains when the demo has played (the
    /// tests check them; the packaged builds' smoke tests look for the same).
    #[serde(default)]
    pub expect: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoFile {
    /// Step lists shared by several demos, played with `part:NAME`.
    #[serde(default)]
    parts: BTreeMap<String, Vec<String>>,
    demo: Vec<Demo>,
}

/// The demos, read once from the compiled-in `assets/demos.toml`, each with its parts played
/// in place and its repeats (`show-me*9`) written out.
pub struct Demos {
    pub demos: Vec<Demo>,
}

impl Demos {
    pub fn built_in() -> &'static Demos {
        static DEMOS: std::sync::OnceLock<Demos> = std::sync::OnceLock::new();
        DEMOS.get_or_init(|| {
            // A broken file is caught by the tests; the window then has no demos.
            Demos::parse(include_str!("../assets/demos.toml"))
                .unwrap_or(Demos { demos: Vec::new() })
        })
    }

    /// Reads a demo file: every step must parse, every part must exist.
    pub fn parse(text: &str) -> Result<Demos, Words> {
        let bad = |what: String| Words::new("demo.bad_step").arg("step", what);
        let file: DemoFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut demos = Vec::new();
        for mut d in file.demo {
            let mut steps = Vec::new();
            expand(&d.steps, &file.parts, &mut steps, 0)
                .map_err(|s| bad(format!("{}: {s}", d.name)))?;
            d.steps = steps;
            demos.push(d);
        }
        Ok(Demos { demos })
    }

    pub fn get(&self, name: &str) -> Option<&Demo> {
        self.demos.iter().find(|d| d.name == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.demos.iter().map(|d| d.name.as_str()).collect()
    }
}

/// Writes out `part:NAME` and `step*N`, checking each step; the error is the step that failed.
fn expand(
    steps: &[String],
    parts: &BTreeMap<String, Vec<String>>,
    out: &mut Vec<String>,
    depth: usize,
) -> Result<(), String> {
    for s in steps {
        if let Some(name) = s.strip_prefix("part:") {
            let part = parts
                .get(name)
                .filter(|_| depth < 8)
                .ok_or_else(|| s.clone())?;
            expand(part, parts, out, depth + 1)?;
            continue;
        }
        let (step, times) = match s.rsplit_once('*') {
            Some((step, n)) if n.parse::<usize>().is_ok_and(|n| (1..=100).contains(&n)) => {
                (step, n.parse().unwrap_or(1))
            }
            _ => (s.as_str(), 1),
        };
        if Step::parse(step).is_none() {
            return Err(s.clone());
        }
        out.extend(std::iter::repeat_n(step.to_owned(), times));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_and_show_me_is_the_clients_own_clicks() {
        for (spec, show_me) in [
            ("connect", true),
            ("smtp:RCPT TO", true),
            ("pop3:TOP", true),
            ("answer:password", true),
            ("raw:", true),
            ("subject:Hi", true),
            ("lang:zh", false),
            ("look:1.3:dark", false),
            ("tab:base64", false),
            ("server-side:class", false),
            ("stage:rcpt=550:sticky", false),
            ("wait:greeted", false),
            ("pin-tooltip:535", false),
        ] {
            let step = Step::parse(spec).unwrap_or_else(|| panic!("{spec}"));
            assert_eq!(step.is_show_me(), show_me, "{spec}");
        }
        for bad in [
            "smtp:HELLO",
            "pop3:RCPT TO",
            "answer:name",
            "connect:now",
            "jump",
            "look:9:dark",
            "tab:inbox",
            "wait:forever",
            "stage:nonsense",
            "lesson:",
        ] {
            assert!(Step::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn parts_and_repeats_are_written_out_and_checked() {
        let text = r#"
            [parts]
            hello = ["connect", "wait:greeted"]
            [[demo]]
            name = "x"
            steps = ["part:hello", "show-me*3", "smtp:QUIT"]
        "#;
        let d = Demos::parse(text).unwrap_or_else(|e| panic!("{}", e.get(Lang::En)));
        assert_eq!(
            d.demos[0].steps,
            [
                "connect",
                "wait:greeted",
                "show-me",
                "show-me",
                "show-me",
                "smtp:QUIT"
            ]
        );
        for broken in [
            r#"[[demo]]
               name = "x"
               steps = ["part:missing"]"#,
            r#"[[demo]]
               name = "x"
               steps = ["smtp:HELLO"]"#,
            r#"[parts]
               a = ["part:a"]
               [[demo]]
               name = "x"
               steps = ["part:a"]"#,
        ] {
            assert!(Demos::parse(broken).is_err(), "{broken}");
        }
    }

    #[test]
    fn the_built_in_demos_all_read() {
        let text = include_str!("../assets/demos.toml");
        let demos = Demos::parse(text).unwrap_or_else(|e| panic!("{}", e.get(Lang::En)));
        assert!(demos.demos.len() >= 20);
        let names = demos.names();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[..i].contains(n), "{n} twice");
        }
        for d in &demos.demos {
            assert!(!d.steps.is_empty(), "{}", d.name);
        }
    }
}
