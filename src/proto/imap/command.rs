//! IMAP commands: the ones the window's buttons send, as typed values with their wire form and
//! automatic tags, and any line a student types, read leniently so that a missing tag or an
//! unknown command is shown and explained rather than refused.

use base64::Engine;
use base64::alphabet::Alphabet;
use base64::engine::general_purpose::{GeneralPurpose, NO_PAD};
use imap_codec::CommandCodec;
use imap_codec::decode::{CommandDecodeError, Decoder};

use super::response::split_word;

/// Hands out the tags a client puts before its commands: `a1`, `a2`, … (the form the lab
/// guides use). A tag only has to be unique among the commands in flight (RFC 3501 §2.2.1).
#[derive(Debug, Clone)]
pub struct Tagger {
    prefix: String,
    next: u32,
}

impl Default for Tagger {
    fn default() -> Self {
        Self::new("a")
    }
}

impl Tagger {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            next: 1,
        }
    }

    /// The next tag.
    pub fn next_tag(&mut self) -> String {
        let tag = format!("{}{}", self.prefix, self.next);
        self.next = self.next.wrapping_add(1).max(1);
        tag
    }
}

/// How STORE changes a message's flags (RFC 3501 §6.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// `+FLAGS`: add these flags.
    Add,
    /// `-FLAGS`: remove these flags.
    Remove,
    /// `FLAGS`: set exactly these flags.
    Replace,
}

/// A command the window sends, one per button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapCommand {
    Capability,
    /// RFC 2971: the client says who it is (163 Mail wants this before SELECT).
    Id(Vec<(String, String)>),
    StartTls,
    Login {
        user: String,
        password: String,
    },
    /// RFC 4616 PLAIN with the initial response (SASL-IR, RFC 4959) when given.
    AuthenticatePlain {
        initial: Option<String>,
    },
    List {
        reference: String,
        pattern: String,
    },
    Status {
        mailbox: String,
        items: Vec<String>,
    },
    Select(String),
    Examine(String),
    Fetch {
        set: String,
        items: String,
        uid: bool,
    },
    Search {
        criteria: String,
        uid: bool,
    },
    Store {
        set: String,
        mode: StoreMode,
        flags: Vec<String>,
        silent: bool,
        uid: bool,
    },
    Copy {
        set: String,
        mailbox: String,
        uid: bool,
    },
    /// RFC 6851.
    Move {
        set: String,
        mailbox: String,
        uid: bool,
    },
    Expunge,
    Close,
    Noop,
    /// RFC 2177: wait for the server's news until DONE.
    Idle,
    /// Ends IDLE; the one line sent without a tag.
    Done,
    Logout,
}

impl ImapCommand {
    /// The command's name as the protocol writes it (`UID FETCH` for the UID form).
    pub fn verb(&self) -> &'static str {
        use ImapCommand as C;
        match self {
            C::Capability => "CAPABILITY",
            C::Id(_) => "ID",
            C::StartTls => "STARTTLS",
            C::Login { .. } => "LOGIN",
            C::AuthenticatePlain { .. } => "AUTHENTICATE",
            C::List { .. } => "LIST",
            C::Status { .. } => "STATUS",
            C::Select(_) => "SELECT",
            C::Examine(_) => "EXAMINE",
            C::Fetch { uid: false, .. } => "FETCH",
            C::Fetch { uid: true, .. } => "UID FETCH",
            C::Search { uid: false, .. } => "SEARCH",
            C::Search { uid: true, .. } => "UID SEARCH",
            C::Store { uid: false, .. } => "STORE",
            C::Store { uid: true, .. } => "UID STORE",
            C::Copy { uid: false, .. } => "COPY",
            C::Copy { uid: true, .. } => "UID COPY",
            C::Move { uid: false, .. } => "MOVE",
            C::Move { uid: true, .. } => "UID MOVE",
            C::Expunge => "EXPUNGE",
            C::Close => "CLOSE",
            C::Noop => "NOOP",
            C::Idle => "IDLE",
            C::Done => "DONE",
            C::Logout => "LOGOUT",
        }
    }

    /// Whether the line carries a password: LOGIN's, or AUTHENTICATE's initial response.
    pub fn carries_secret(&self) -> bool {
        matches!(
            self,
            ImapCommand::Login { .. } | ImapCommand::AuthenticatePlain { initial: Some(_) }
        )
    }

    /// Whether the command carries a tag (all but IDLE's DONE).
    pub fn tagged(&self) -> bool {
        !matches!(self, ImapCommand::Done)
    }

    /// The arguments as they go on the wire, after the verb.
    pub fn args(&self) -> String {
        use ImapCommand as C;
        match self {
            C::Capability
            | C::StartTls
            | C::Expunge
            | C::Close
            | C::Noop
            | C::Idle
            | C::Done
            | C::Logout => String::new(),
            C::Id(fields) if fields.is_empty() => "NIL".to_owned(),
            C::Id(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .flat_map(|(k, v)| [quoted(k), quoted(v)])
                    .collect();
                format!("({})", inner.join(" "))
            }
            C::Login { user, password } => format!("{} {}", astring(user), astring(password)),
            C::AuthenticatePlain { initial: None } => "PLAIN".to_owned(),
            C::AuthenticatePlain { initial: Some(ir) } => format!("PLAIN {ir}"),
            C::List { reference, pattern } => {
                format!("{} {}", mailbox(reference), list_pattern(pattern))
            }
            C::Status { mailbox: m, items } => format!("{} ({})", mailbox(m), items.join(" ")),
            C::Select(m) | C::Examine(m) => mailbox(m),
            C::Fetch { set, items, .. } => format!("{set} {items}"),
            C::Search { criteria, .. } => criteria.clone(),
            C::Store {
                set,
                mode,
                flags,
                silent,
                ..
            } => {
                let sign = match mode {
                    StoreMode::Add => "+",
                    StoreMode::Remove => "-",
                    StoreMode::Replace => "",
                };
                let silent = if *silent { ".SILENT" } else { "" };
                format!("{set} {sign}FLAGS{silent} ({})", flags.join(" "))
            }
            C::Copy {
                set, mailbox: m, ..
            }
            | C::Move {
                set, mailbox: m, ..
            } => {
                format!("{set} {}", mailbox(m))
            }
        }
    }

    /// The whole line to send, CRLF included, with `tag` before it (DONE goes without).
    pub fn wire(&self, tag: &str) -> Vec<u8> {
        let args = self.args();
        let mut line = if self.tagged() {
            format!("{tag} {}", self.verb())
        } else {
            self.verb().to_owned()
        };
        if !args.is_empty() {
            line.push(' ');
            line.push_str(&args);
        }
        line.push_str("\r\n");
        line.into_bytes()
    }
}

/// The commands the window has a button for, as lessons and demos name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImapKind {
    Capability,
    Id,
    StartTls,
    Login,
    AuthPlain,
    List,
    Status,
    Select,
    Examine,
    Fetch,
    Search,
    Store,
    Copy,
    Move,
    Expunge,
    Close,
    Noop,
    Idle,
    Logout,
}

impl ImapKind {
    /// The buttons, in the order a session uses them.
    pub const ALL: [ImapKind; 19] = [
        ImapKind::Capability,
        ImapKind::Id,
        ImapKind::StartTls,
        ImapKind::Login,
        ImapKind::AuthPlain,
        ImapKind::List,
        ImapKind::Status,
        ImapKind::Select,
        ImapKind::Examine,
        ImapKind::Fetch,
        ImapKind::Search,
        ImapKind::Store,
        ImapKind::Copy,
        ImapKind::Move,
        ImapKind::Expunge,
        ImapKind::Close,
        ImapKind::Noop,
        ImapKind::Idle,
        ImapKind::Logout,
    ];

    /// The button's text, and the name a test clicks it by.
    pub fn label(self) -> &'static str {
        match self {
            ImapKind::AuthPlain => "AUTHENTICATE",
            other => other.verb(),
        }
    }

    /// The command's name, as the knowledge and the state rules know it.
    pub fn verb(self) -> &'static str {
        use ImapKind as B;
        match self {
            B::Capability => "CAPABILITY",
            B::Id => "ID",
            B::StartTls => "STARTTLS",
            B::Login => "LOGIN",
            B::AuthPlain => "AUTHENTICATE",
            B::List => "LIST",
            B::Status => "STATUS",
            B::Select => "SELECT",
            B::Examine => "EXAMINE",
            B::Fetch => "FETCH",
            B::Search => "SEARCH",
            B::Store => "STORE",
            B::Copy => "COPY",
            B::Move => "MOVE",
            B::Expunge => "EXPUNGE",
            B::Close => "CLOSE",
            B::Noop => "NOOP",
            B::Idle => "IDLE",
            B::Logout => "LOGOUT",
        }
    }

    /// Whether the command has a UID form (RFC 3501 §6.4.8).
    pub fn has_uid_form(self) -> bool {
        uid_verb(self.verb()).is_some()
    }
}

/// The UID form of a command's name (RFC 3501 §6.4.8), for the commands that have one.
pub fn uid_verb(verb: &str) -> Option<&'static str> {
    Some(match verb {
        "FETCH" => "UID FETCH",
        "SEARCH" => "UID SEARCH",
        "STORE" => "UID STORE",
        "COPY" => "UID COPY",
        "MOVE" => "UID MOVE",
        _ => return None,
    })
}

/// Characters an atom may not hold (RFC 3501 §9, atom-specials), and `]` of resp-specials.
fn atom_char(c: char) -> bool {
    c.is_ascii()
        && !c.is_ascii_control()
        && !matches!(c, '(' | ')' | '{' | ' ' | '%' | '*' | '"' | '\\' | ']')
}

/// A string as an atom when it can be one, else quoted (RFC 3501 §4.1, §4.3).
pub fn astring(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| atom_char(c) || c == ']') {
        s.to_owned()
    } else {
        quoted(s)
    }
}

/// A quoted string: `"` and `\` escaped. (A string with CR, LF or bytes beyond ASCII needs a
/// literal instead; the window does not send one.)
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A mailbox name: modified UTF-7 for names beyond ASCII (`已发送` is `&XfJT0ZAB-`, RFC 3501
/// §5.1.3), then an atom or a quoted string.
pub fn mailbox(name: &str) -> String {
    astring(&mutf7_encode(name))
}

/// A LIST pattern may keep its wildcards `*` and `%` unquoted.
fn list_pattern(p: &str) -> String {
    let encoded = mutf7_encode(p);
    if !encoded.is_empty()
        && encoded
            .chars()
            .all(|c| atom_char(c) || matches!(c, '*' | '%' | ']'))
    {
        encoded
    } else {
        quoted(&encoded)
    }
}

/// Modified base64 of RFC 3501 §5.1.3: `,` instead of `/`, no padding.
const MUTF7: GeneralPurpose =
    match Alphabet::new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,") {
        Ok(a) => GeneralPurpose::new(&a, NO_PAD),
        Err(_) => panic!("the modified base64 alphabet is valid"),
    };

/// A mailbox name in modified UTF-7: printable ASCII as it is (`&` as `&-`), every run of
/// other characters as `&` + modified base64 of its UTF-16 + `-`.
pub fn mutf7_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut run: Vec<u16> = Vec::new();
    let flush = |run: &mut Vec<u16>, out: &mut String| {
        if !run.is_empty() {
            let bytes: Vec<u8> = run.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&MUTF7.encode(bytes));
            out.push('-');
            run.clear();
        }
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut run, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            run.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A mailbox name read back from modified UTF-7; `None` when it is not valid modified UTF-7
/// (a server that sends UTF-8 names, as IMAP4rev2 does, is shown as it sent them).
pub fn mutf7_decode(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find('-')?;
        let encoded = &after[..end];
        if encoded.is_empty() {
            out.push('&');
        } else {
            let bytes = MUTF7.decode(encoded).ok()?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            out.push_str(&String::from_utf16(&units).ok()?);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Every command of IMAP4rev1, IMAP4rev2 and the extensions the window meets.
pub const VERBS: &[&str] = &[
    "CAPABILITY",
    "NOOP",
    "LOGOUT",
    "STARTTLS",
    "AUTHENTICATE",
    "LOGIN",
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "RENAME",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST",
    "LSUB",
    "NAMESPACE",
    "STATUS",
    "APPEND",
    "IDLE",
    "CHECK",
    "CLOSE",
    "UNSELECT",
    "EXPUNGE",
    "SEARCH",
    "FETCH",
    "STORE",
    "COPY",
    "MOVE",
    "UID",
    "ENABLE",
    "ID",
    "GETQUOTA",
    "GETQUOTAROOT",
    "SETQUOTA",
    "GETACL",
    "SETACL",
    "MYRIGHTS",
    "COMPRESS",
];

/// What a typed line does that a server refuses (it answers BAD, or `* BAD` when it cannot
/// find a tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandMistake {
    /// The line starts with a command's name: the tag was left out (`LOGIN user pass`).
    NoTag,
    /// The tag holds a character a tag may not (`*`, `+`, `(`, a quote …).
    BadTag,
    /// A tag and nothing after it.
    NoCommand,
    /// The word after the tag is no IMAP command.
    UnknownCommand(String),
    /// The line does not follow the command's grammar (imap-codec refuses it): a wrong number
    /// of arguments, an unquoted space, a missing parenthesis.
    Ungrammatical,
}

/// A line a student typed (or a log showed the client sending), read leniently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedCommand {
    pub tag: Option<String>,
    /// The command's name in upper case; `UID FETCH` for the UID form.
    pub verb: String,
    pub args: String,
    pub mistakes: Vec<CommandMistake>,
    /// The line ends with a literal's `{n}`: its bytes follow once the server answers `+`.
    pub literal: Option<usize>,
}

impl TypedCommand {
    /// Reads a line without its line end.
    pub fn parse(line: &str) -> Self {
        let line = line.trim_end_matches(['\r', '\n']);
        let literal = super::response::literal_at_end(line.as_bytes()).map(|(_, n)| n);
        let (first, rest) = split_word(line.trim_start());
        let mut mistakes = Vec::new();
        // IDLE's DONE is the one line without a tag.
        if first.eq_ignore_ascii_case("DONE") && rest.is_empty() {
            return Self {
                tag: None,
                verb: "DONE".to_owned(),
                args: String::new(),
                mistakes,
                literal,
            };
        }
        let is_verb = |w: &str| VERBS.iter().any(|v| v.eq_ignore_ascii_case(w));
        let (tag, verb, args) = if is_verb(first) && !rest.split(' ').next().is_some_and(is_verb) {
            mistakes.push(CommandMistake::NoTag);
            (None, first, rest)
        } else {
            let (verb, args) = split_word(rest);
            (Some(first.to_owned()), verb, args)
        };
        if tag
            .as_deref()
            .is_some_and(|t| t.is_empty() || !t.chars().all(|c| atom_char(c) && c != '+'))
        {
            mistakes.push(CommandMistake::BadTag);
        }
        let mut verb = verb.to_ascii_uppercase();
        let mut args = args.to_owned();
        if verb == "UID" {
            let (sub, after) = split_word(&args);
            verb = format!("UID {}", sub.to_ascii_uppercase());
            args = after.to_owned();
        }
        if verb.is_empty() {
            mistakes.push(CommandMistake::NoCommand);
        } else if !is_verb(verb.split(' ').next().unwrap_or_default()) {
            mistakes.push(CommandMistake::UnknownCommand(verb.clone()));
        }
        if mistakes.is_empty() && !grammatical(line) {
            mistakes.push(CommandMistake::Ungrammatical);
        }
        Self {
            tag,
            verb,
            args,
            mistakes,
            literal,
        }
    }
}

/// Whether imap-codec reads the line as a command (a literal announced at its end counts: its
/// bytes come later).
fn grammatical(line: &str) -> bool {
    let mut bytes = line.as_bytes().to_vec();
    bytes.extend_from_slice(b"\r\n");
    match CommandCodec::default().decode(&bytes) {
        Ok((rest, _)) => rest.is_empty(),
        Err(CommandDecodeError::LiteralFound { .. }) => true,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_write_the_lines_the_rfc_shows() {
        let mut tags = Tagger::default();
        let line = |c: ImapCommand, tags: &mut Tagger| {
            String::from_utf8(c.wire(&tags.next_tag())).unwrap()
        };
        let t = &mut tags;
        assert_eq!(line(ImapCommand::Capability, t), "a1 CAPABILITY\r\n");
        assert_eq!(
            line(
                ImapCommand::Login {
                    user: "alice@example.com".into(),
                    password: "pa ss\"w".into()
                },
                t
            ),
            "a2 LOGIN alice@example.com \"pa ss\\\"w\"\r\n"
        );
        assert_eq!(
            line(
                ImapCommand::List {
                    reference: String::new(),
                    pattern: "*".into()
                },
                t
            ),
            "a3 LIST \"\" *\r\n"
        );
        assert_eq!(
            line(ImapCommand::Select("INBOX".into()), t),
            "a4 SELECT INBOX\r\n"
        );
        assert_eq!(
            line(ImapCommand::Select("已发送".into()), t),
            "a5 SELECT &XfJT0ZAB-\r\n"
        );
        assert_eq!(
            line(
                ImapCommand::Fetch {
                    set: "1".into(),
                    items: "BODY[HEADER]".into(),
                    uid: false
                },
                t
            ),
            "a6 FETCH 1 BODY[HEADER]\r\n"
        );
        assert_eq!(
            line(
                ImapCommand::Store {
                    set: "1".into(),
                    mode: StoreMode::Add,
                    flags: vec!["\\Seen".into()],
                    silent: false,
                    uid: true
                },
                t
            ),
            "a7 UID STORE 1 +FLAGS (\\Seen)\r\n"
        );
        assert_eq!(
            line(
                ImapCommand::Id(vec![("name".into(), "mailtutor".into())]),
                t
            ),
            "a8 ID (\"name\" \"mailtutor\")\r\n"
        );
        assert_eq!(ImapCommand::Done.wire("a9"), b"DONE\r\n");
        // Every line a button writes is IMAP's grammar.
        for c in [
            ImapCommand::Status {
                mailbox: "Sent Items".into(),
                items: vec!["MESSAGES".into(), "UNSEEN".into()],
            },
            ImapCommand::Search {
                criteria: "UNSEEN".into(),
                uid: false,
            },
            ImapCommand::Move {
                set: "1:3".into(),
                mailbox: "Trash".into(),
                uid: false,
            },
            ImapCommand::AuthenticatePlain {
                initial: Some("AGFsaWNlAHNlY3JldA==".into()),
            },
            ImapCommand::Idle,
            ImapCommand::Logout,
        ] {
            let wire = String::from_utf8(c.wire("x1")).unwrap();
            let typed = TypedCommand::parse(&wire);
            assert!(typed.mistakes.is_empty(), "{wire}: {:?}", typed.mistakes);
            assert_eq!(typed.verb, c.verb());
        }
    }

    #[test]
    fn modified_utf7_goes_both_ways() {
        for (name, wire) in [
            ("已发送", "&XfJT0ZAB-"),
            ("INBOX", "INBOX"),
            ("A&B", "A&-B"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("草稿箱/旧", "&g0l6P3ux-/&Zec-"),
        ] {
            assert_eq!(mutf7_encode(name), wire);
            assert_eq!(mutf7_decode(wire).as_deref(), Some(name));
        }
        assert_eq!(mutf7_decode("&Jjo!"), None);
        assert_eq!(mutf7_decode("&Jjo"), None);
    }

    #[test]
    fn a_typed_line_is_read_and_its_mistakes_named() {
        let t = TypedCommand::parse("a1 login alice secret");
        assert_eq!((t.tag.as_deref(), t.verb.as_str()), (Some("a1"), "LOGIN"));
        assert!(t.mistakes.is_empty());
        let t = TypedCommand::parse("LOGIN alice secret");
        assert_eq!(t.mistakes, vec![CommandMistake::NoTag]);
        assert_eq!(t.verb, "LOGIN");
        let t = TypedCommand::parse("select INBOX");
        assert_eq!(t.mistakes, vec![CommandMistake::NoTag]);
        let t = TypedCommand::parse("a3 uid fetch 1:* FLAGS");
        assert_eq!(t.verb, "UID FETCH");
        assert!(t.mistakes.is_empty());
        let t = TypedCommand::parse("* LOGIN a b");
        assert!(t.mistakes.contains(&CommandMistake::BadTag));
        let t = TypedCommand::parse("a4 HELO me");
        assert_eq!(
            t.mistakes,
            vec![CommandMistake::UnknownCommand("HELO".into())]
        );
        let t = TypedCommand::parse("a5 SELECT");
        assert_eq!(t.mistakes, vec![CommandMistake::Ungrammatical]);
        let t = TypedCommand::parse("a6 LOGIN alice my password");
        assert_eq!(t.mistakes, vec![CommandMistake::Ungrammatical]);
        let t = TypedCommand::parse("a7");
        assert_eq!(t.mistakes, vec![CommandMistake::NoCommand]);
        let t = TypedCommand::parse("a8 LOGIN {5}");
        assert_eq!(t.literal, Some(5));
        assert!(t.mistakes.is_empty());
        let t = TypedCommand::parse("done");
        assert_eq!((t.tag, t.verb.as_str()), (None, "DONE"));
        // A tag that happens to be a command's name is still a tag.
        let t = TypedCommand::parse("list LIST \"\" *");
        assert_eq!((t.tag.as_deref(), t.verb.as_str()), (Some("list"), "LIST"));
    }
}
