//! The practice server's IMAP4rev1 side (RFC 3501) over the same maildrops as SMTP and POP3:
//! INBOX is the maildrop POP3 reads; Drafts, Sent and Trash (and any folder a client creates)
//! are Maildir++ subfolders beside it. Flags are kept in the Maildir file names and UIDs in a
//! small file in each folder. Commands are read with imap-codec; what it cannot read is answered with a
//! BAD that says what was expected, as a server a student types to by hand should.

use std::sync::Arc;

use base64::Engine as _;
use imap_codec::CommandCodec;
use imap_codec::decode::{CommandDecodeError, Decoder};
use imap_codec::imap_types::command::{Command, CommandBody};
use imap_codec::imap_types::fetch::{
    MacroOrMessageDataItemNames, MessageDataItemName, Part, Section,
};
use imap_codec::imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox};
use imap_codec::imap_types::search::SearchKey;
use imap_codec::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};
use imap_codec::imap_types::status::StatusDataItemName;

use super::maildir::{DEFAULT_FOLDERS, FolderError, ImapMailbox, ImapStored, MAILDIR_FLAGS};
use super::{Context, FolderChange, Output, ServerSession, Side, StoreRequest, StoreResult};
use crate::words::Words;

/// The longest command, literals included; a client that sends more is refused.
const MAX_COMMAND: usize = 64 * 1024;

/// Failed logins before the server ends the session.
const MAX_AUTH_FAILURES: u32 = 3;

fn imap_flags(stored: &ImapStored) -> String {
    let mut names: Vec<&str> = MAILDIR_FLAGS
        .iter()
        .filter(|(c, _)| stored.flags.contains(*c))
        .map(|(_, n)| *n)
        .collect();
    if stored.recent {
        names.push("\\Recent");
    }
    format!("({})", names.join(" "))
}

fn letter_of(flag: &Flag<'_>) -> Option<char> {
    match flag {
        Flag::Draft => Some('D'),
        Flag::Flagged => Some('F'),
        Flag::Answered => Some('R'),
        Flag::Seen => Some('S'),
        Flag::Deleted => Some('T'),
        _ => None,
    }
}

/// Letters in Maildir order (ASCII), each once.
fn sorted_letters(letters: impl IntoIterator<Item = char>) -> String {
    let mut v: Vec<char> = letters.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v.into_iter().collect()
}

#[derive(Debug)]
enum State {
    NotAuthenticated,
    Authenticated {
        user: String,
    },
    Selected {
        user: String,
        folder: String,
        read_only: bool,
        mailbox: ImapMailbox,
    },
    Logout,
}

/// What a store read is for.
#[derive(Debug)]
enum ReadFor {
    Fetch { items: Vec<Item> },
    Search { criteria: Criterion, uid: bool },
}

/// Store work in flight, with what to say when it is done.
#[derive(Debug)]
enum Waiting {
    /// SELECT, EXAMINE or STATUS of a folder.
    Open {
        tag: String,
        user: String,
        folder: String,
        how: Open,
    },
    /// LIST or LSUB (`pattern` set), or CREATE or DELETE of `folder`.
    Folders {
        tag: String,
        verb: &'static str,
        folder: String,
        pattern: Option<String>,
    },
    /// COPY, MOVE (`moved`: the indexes to expunge once copied) or APPEND into `folder`.
    Put {
        tag: String,
        verb: &'static str,
        folder: String,
        moved: Vec<usize>,
    },
    /// FETCH or SEARCH that needs the messages' bytes (the indexes into the mailbox).
    Read {
        tag: String,
        picked: Vec<usize>,
        why: ReadFor,
    },
    /// New flags written into the files: the replies to send once they are.
    Flags {
        tag: String,
        changed: Vec<(usize, String)>,
        replies: String,
        done: String,
    },
    /// The mailbox read again for news (NOOP, CHECK, or IDLE's watch): `done` is the
    /// completion to send after it.
    News { done: Option<String> },
    /// EXPUNGE or CLOSE: the \Deleted messages removed.
    Expunge {
        tag: String,
        verb: &'static str,
        gone: Vec<usize>,
    },
}

#[derive(Debug, Clone)]
enum Open {
    Select { read_only: bool },
    Status { items: Vec<&'static str> },
}

/// A FETCH data item, owned.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Uid,
    Flags,
    Size,
    InternalDate,
    Envelope,
    BodyStructure {
        extended: bool,
    },
    /// `BODY[…]`, `RFC822…`: the name it is answered with, what it is, and whether it leaves
    /// \Seen unset.
    Section {
        name: String,
        what: SectionWhat,
        peek: bool,
        partial: Option<(u32, u32)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum SectionWhat {
    Whole,
    Header,
    Text,
    Fields {
        names: Vec<String>,
        not: bool,
    },
    /// A body part by number (`BODY[1]`, `BODY[2.1]`), or its header (`BODY[1.MIME]`).
    Part {
        path: Vec<u32>,
        mime: bool,
    },
}

impl Item {
    fn needs_bytes(&self) -> bool {
        matches!(
            self,
            Item::Envelope | Item::BodyStructure { .. } | Item::Section { .. }
        )
    }
    fn sets_seen(&self) -> bool {
        matches!(self, Item::Section { peek: false, .. })
    }
    /// Whether it reads the message's text, as RETR does (a header alone does not).
    fn reads_text(&self) -> bool {
        matches!(
            self,
            Item::Section {
                what: SectionWhat::Whole
                    | SectionWhat::Text
                    | SectionWhat::Part { mime: false, .. },
                ..
            }
        )
    }
}

/// A SEARCH key, owned.
#[derive(Debug, Clone)]
enum Criterion {
    All,
    Flag(char, bool),
    Recent(bool),
    New,
    Header(String, String),
    Body(String),
    Text(String),
    Larger(u64),
    Smaller(u64),
    Set(SequenceSet, bool),
    Not(Box<Criterion>),
    Or(Box<Criterion>, Box<Criterion>),
    And(Vec<Criterion>),
}

impl Criterion {
    fn from_key(key: &SearchKey<'_>) -> Result<Self, String> {
        let text = |a: &dyn AsRef<[u8]>| String::from_utf8_lossy(a.as_ref()).to_lowercase();
        Ok(match key {
            SearchKey::All => Self::All,
            SearchKey::Answered => Self::Flag('R', true),
            SearchKey::Unanswered => Self::Flag('R', false),
            SearchKey::Deleted => Self::Flag('T', true),
            SearchKey::Undeleted => Self::Flag('T', false),
            SearchKey::Draft => Self::Flag('D', true),
            SearchKey::Undraft => Self::Flag('D', false),
            SearchKey::Flagged => Self::Flag('F', true),
            SearchKey::Unflagged => Self::Flag('F', false),
            SearchKey::Seen => Self::Flag('S', true),
            SearchKey::Unseen => Self::Flag('S', false),
            SearchKey::Recent => Self::Recent(true),
            SearchKey::Old => Self::Recent(false),
            SearchKey::New => Self::New,
            SearchKey::From(a) => Self::Header("from".into(), text(a)),
            SearchKey::To(a) => Self::Header("to".into(), text(a)),
            SearchKey::Cc(a) => Self::Header("cc".into(), text(a)),
            SearchKey::Bcc(a) => Self::Header("bcc".into(), text(a)),
            SearchKey::Subject(a) => Self::Header("subject".into(), text(a)),
            SearchKey::Header(name, value) => Self::Header(text(name), text(value)),
            SearchKey::Body(a) => Self::Body(text(a)),
            SearchKey::Text(a) => Self::Text(text(a)),
            SearchKey::Larger(n) => Self::Larger(u64::from(*n)),
            SearchKey::Smaller(n) => Self::Smaller(u64::from(*n)),
            SearchKey::SequenceSet(set) => Self::Set(set.clone(), false),
            SearchKey::Uid(set) => Self::Set(set.clone(), true),
            SearchKey::Not(k) => Self::Not(Box::new(Self::from_key(k)?)),
            SearchKey::Or(a, b) => {
                Self::Or(Box::new(Self::from_key(a)?), Box::new(Self::from_key(b)?))
            }
            SearchKey::And(keys) => Self::And(
                keys.as_ref()
                    .iter()
                    .map(Self::from_key)
                    .collect::<Result<_, _>>()?,
            ),
            other => {
                let name = format!("{other:?}");
                let name = name.split(['(', ' ']).next().unwrap_or("").to_uppercase();
                return Err(name);
            }
        })
    }

    /// Whether the messages' bytes must be read to decide.
    fn needs_bytes(&self) -> bool {
        match self {
            Self::Header(..) | Self::Body(_) | Self::Text(_) => true,
            Self::Not(c) => c.needs_bytes(),
            Self::Or(a, b) => a.needs_bytes() || b.needs_bytes(),
            Self::And(v) => v.iter().any(Self::needs_bytes),
            _ => false,
        }
    }

    fn matches(
        &self,
        m: &ImapStored,
        seq: usize,
        mailbox: &ImapMailbox,
        bytes: Option<&[u8]>,
    ) -> bool {
        match self {
            Self::All => true,
            Self::Flag(c, on) => m.flags.contains(*c) == *on,
            Self::Recent(on) => m.recent == *on,
            Self::New => m.recent && !m.flags.contains('S'),
            Self::Larger(n) => m.stored.size > *n,
            Self::Smaller(n) => m.stored.size < *n,
            Self::Set(set, uid) => {
                if *uid {
                    resolve(set, mailbox, true).is_ok_and(|v| v.contains(&seq))
                } else {
                    resolve(set, mailbox, false).is_ok_and(|v| v.contains(&seq))
                }
            }
            Self::Header(name, value) => bytes.is_some_and(|b| {
                header_values(header_of(b), name)
                    .iter()
                    .any(|v| decoded_lower(v).contains(value.as_str()))
            }),
            Self::Body(word) => bytes.is_some_and(|b| {
                String::from_utf8_lossy(text_of(b))
                    .to_lowercase()
                    .contains(word.as_str())
            }),
            Self::Text(word) => bytes.is_some_and(|b| {
                String::from_utf8_lossy(b)
                    .to_lowercase()
                    .contains(word.as_str())
                    || decoded_lower(&String::from_utf8_lossy(header_of(b))).contains(word.as_str())
            }),
            Self::Not(c) => !c.matches(m, seq, mailbox, bytes),
            Self::Or(a, b) => {
                a.matches(m, seq, mailbox, bytes) || b.matches(m, seq, mailbox, bytes)
            }
            Self::And(v) => v.iter().all(|c| c.matches(m, seq, mailbox, bytes)),
        }
    }
}

/// How the command is being assembled: lines up to CRLF, and literals `{n}` whose bytes
/// follow them.
#[derive(Debug, Default)]
struct Framing {
    command: Vec<u8>,
    /// Bytes of a literal still to come.
    literal: usize,
    /// The command was refused as too long: its remaining bytes are skipped.
    skipping: bool,
}

/// An IMAP session as its connection drives it: bytes and store results in, outputs out.
pub struct ImapServerSession {
    ctx: Arc<Context>,
    tls: bool,
    input: Vec<u8>,
    framing: Framing,
    state: State,
    waiting: Option<Waiting>,
    /// AUTHENTICATE PLAIN waiting for its base64 line: the command's tag.
    authenticating: Option<String>,
    /// IDLE in progress: its tag, until DONE.
    idling: Option<String>,
    failures: u32,
    /// The client said who it is with ID (RFC 2971), as NetEase wants before a mailbox opens.
    said_id: bool,
    /// The client's address as a greeting names it (Gmail's does).
    client: String,
}

impl ImapServerSession {
    pub fn new(ctx: Arc<Context>, tls: bool) -> Self {
        Self {
            ctx,
            tls,
            input: Vec::new(),
            framing: Framing::default(),
            state: State::NotAuthenticated,
            waiting: None,
            authenticating: None,
            idling: None,
            failures: 0,
            said_id: false,
            client: "127.0.0.1".to_owned(),
        }
    }

    /// The session of a client at `peer` (`ip:port`).
    pub fn with_peer(mut self, peer: &str) -> Self {
        if let Ok(addr) = peer.parse::<std::net::SocketAddr>() {
            self.client = addr.ip().to_string();
        }
        self
    }

    fn login_refused(&self) -> bool {
        self.ctx.policy.get().require_tls && !self.tls
    }

    fn capabilities(&self) -> String {
        let mut caps = vec!["IMAP4rev1"];
        if self.ctx.tls_available && !self.tls {
            caps.push("STARTTLS");
        }
        if self.login_refused() {
            caps.push("LOGINDISABLED");
        } else {
            caps.push("AUTH=PLAIN");
        }
        caps.extend(["ID", "IDLE", "UNSELECT", "CHILDREN", "MOVE", "SPECIAL-USE"]);
        caps.join(" ")
    }

    /// Splits the input into whole commands (literals included) and answers each; stops while
    /// store work is in flight.
    fn feed(&mut self, out: &mut Vec<Output>) {
        while self.waiting.is_none() && !matches!(self.state, State::Logout) {
            if self.framing.literal > 0 {
                let take = self.framing.literal.min(self.input.len());
                if take == 0 {
                    return;
                }
                if !self.framing.skipping {
                    self.framing.command.extend_from_slice(&self.input[..take]);
                }
                self.input.drain(..take);
                self.framing.literal -= take;
                continue;
            }
            let Some(end) = self.input.iter().position(|&b| b == b'\n') else {
                if self.input.len() > MAX_COMMAND {
                    // A line with no end in sight: drop what came, and say so at its end.
                    self.input.clear();
                    if !self.framing.skipping {
                        self.framing.command.clear();
                        self.framing.skipping = true;
                    }
                }
                return;
            };
            let line: Vec<u8> = self.input.drain(..=end).collect();
            let literal = literal_at_end(&line);
            if self.framing.skipping {
                if let Some((n, _)) = literal {
                    self.framing.literal = n;
                } else {
                    self.framing = Framing::default();
                    untagged_bad(out, "Command too long: at most 64 KiB, literals included");
                }
                continue;
            }
            self.framing.command.extend_from_slice(&line);
            let too_long = match literal {
                Some((n, _)) => self.framing.command.len().saturating_add(n) > MAX_COMMAND,
                None => self.framing.command.len() > MAX_COMMAND,
            };
            if too_long {
                let tag = tag_of(&self.framing.command);
                self.framing.command.clear();
                match literal {
                    // The client waits for "+" before a synchronizing literal: refusing it
                    // ends the command here.
                    Some((_, true)) => reply(
                        out,
                        format!("{tag} NO Literal too big: a command may have at most 64 KiB"),
                    ),
                    Some((n, false)) => {
                        self.framing.skipping = true;
                        self.framing.literal = n;
                    }
                    None => reply(out, format!("{tag} BAD Command too long: at most 64 KiB")),
                }
                continue;
            }
            if let Some((n, sync)) = literal {
                self.framing.literal = n;
                if sync {
                    reply(out, "+ Ready for literal data");
                }
                continue;
            }
            let command = std::mem::take(&mut self.framing.command);
            self.command(&command, out);
        }
    }

    fn command(&mut self, bytes: &[u8], out: &mut Vec<Output>) {
        let lossy = String::from_utf8_lossy(bytes);
        let text = lossy.trim_end_matches(['\r', '\n']);
        if let Some(tag) = self.idling.take() {
            out.push(Output::Log(Side::Client, shown(text)));
            if text.trim().eq_ignore_ascii_case("DONE") {
                return reply(out, format!("{tag} OK IDLE terminated"));
            }
            return reply(out, format!("{tag} BAD Expected DONE to end IDLE"));
        }
        if let Some(tag) = self.authenticating.take() {
            out.push(Output::Log(Side::Client, "********".into()));
            return self.plain_response(&tag, text.trim(), out);
        }
        out.push(Output::Log(Side::Client, shown(text)));
        if let Some((names, rest)) = super::telnet_negotiation(bytes) {
            let why = super::refuse_telnet(&names, &rest, "IMAP", out);
            return untagged_bad(out, &why);
        }
        let (tag, verb) = split_command(text);
        if text.trim().is_empty() {
            return untagged_bad(
                out,
                "Empty line: a command is a tag, a space and a command, like a1 CAPABILITY",
            );
        }
        if verb.is_empty() {
            return untagged_bad(
                out,
                "A command is a tag, a space and a command, like a1 CAPABILITY",
            );
        }
        if let Some(why) = bad_tag(tag) {
            return untagged_bad(out, why);
        }
        let verb = verb.to_ascii_uppercase();
        // `LOGIN user pass` typed without a tag: LOGIN is read as the tag, as any server
        // reads it; the answer says what happened.
        let known = |w: &str| {
            crate::proto::imap::VERBS
                .iter()
                .any(|v| v.eq_ignore_ascii_case(w))
        };
        if known(tag) && !known(&verb) {
            return reply(
                out,
                super::clip_reply_line(&format!(
                    "{tag} BAD Missing tag: {} is a command, so it was read as the tag; type a tag first, like {}",
                    tag.to_ascii_uppercase(),
                    echo(&shown(&format!("a1 {}", text.trim())))
                )),
            );
        }
        if self.ctx.faults.drop_after(&verb) {
            out.push(Output::Said(
                Side::Note,
                Words::new("srvlog.drop_after").arg("verb", &verb),
            ));
            out.push(Output::Close);
            self.state = State::Logout;
            return;
        }
        // ID (RFC 2971) is outside imap-codec's grammar.
        if verb == "ID" {
            self.said_id = true;
            return reply(
                out,
                format!("* ID (\"name\" \"mailtutor practice server\")\r\n{tag} OK ID completed"),
            );
        }
        match CommandCodec::default().decode(bytes) {
            Ok((_, command)) => self.dispatch(tag.to_owned(), command, out),
            // A mailbox name in Chinese is written in modified UTF-7 (RFC 3501 §5.1.3).
            Err(CommandDecodeError::Failed)
                if matches!(
                    verb.as_str(),
                    "SELECT" | "EXAMINE" | "STATUS" | "CREATE" | "DELETE" | "RENAME" | "LIST"
                ) && !text.is_ascii() =>
            {
                let name = text
                    .split_ascii_whitespace()
                    .find(|w| !w.is_ascii())
                    .unwrap_or_default()
                    .trim_matches('"');
                reply(
                    out,
                    format!(
                        "{tag} BAD {verb}: a mailbox name is written in modified UTF-7 (RFC 3501 5.1.3): {} is {}",
                        echo(name),
                        crate::proto::imap::command::mutf7_encode(name)
                    ),
                );
            }
            // IMAP4rev1's atoms and quoted strings are 7-bit: a name in Chinese goes as a literal.
            Err(CommandDecodeError::Failed) if !text.is_ascii() && known(&verb) => reply(
                out,
                format!(
                    "{tag} BAD {}: outside a literal a command is ASCII only; send a value in other characters as a literal: {{n}} (its length in bytes) at the end of the line, then the value after the server's +",
                    echo(&verb)
                ),
            ),
            Err(CommandDecodeError::Failed) => {
                reply(out, format!("{tag} BAD {}", syntax_hint(&verb)))
            }
            Err(_) => reply(
                out,
                format!("{tag} BAD {}: the command ends too soon", echo(&verb)),
            ),
        }
    }

    fn dispatch(&mut self, tag: String, command: Command<'_>, out: &mut Vec<Output>) {
        let name = command.body.name().to_ascii_uppercase();
        match command.body {
            CommandBody::Capability => reply(
                out,
                format!(
                    "* CAPABILITY {}\r\n{tag} OK CAPABILITY completed",
                    self.capabilities()
                ),
            ),
            // A chance for the server to report news (RFC 3501 §6.1.2): new mail, messages
            // another session removed, flags another session changed.
            CommandBody::Noop | CommandBody::Check => {
                self.news(Some(format!("{tag} OK {name} completed")), out)
            }
            CommandBody::Logout => {
                reply(
                    out,
                    format!(
                        "* BYE {} logging out\r\n{tag} OK LOGOUT completed",
                        self.ctx.hostname
                    ),
                );
                out.push(Output::Close);
                self.state = State::Logout;
            }
            CommandBody::StartTLS => self.starttls(&tag, out),
            CommandBody::Login { username, password } => {
                let user = String::from_utf8_lossy(username.as_ref()).into_owned();
                let pass = String::from_utf8_lossy(password.declassify().as_ref()).into_owned();
                self.login(&tag, "LOGIN", &user, &pass, out);
            }
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } => {
                if !matches!(self.state, State::NotAuthenticated) {
                    return reply(out, format!("{tag} BAD Already logged in"));
                }
                if !mechanism.to_string().eq_ignore_ascii_case("PLAIN") {
                    return reply(
                        out,
                        format!(
                            "{tag} NO Unsupported authentication mechanism: this server offers AUTH=PLAIN"
                        ),
                    );
                }
                if self.login_refused() {
                    return reply(
                        out,
                        format!(
                            "{tag} NO [PRIVACYREQUIRED] Plain-text login is disabled without TLS: send STARTTLS first"
                        ),
                    );
                }
                match initial_response {
                    Some(r) => {
                        let b64 = base64::engine::general_purpose::STANDARD
                            .encode(r.declassify().as_ref());
                        self.plain_response(&tag, &b64, out);
                    }
                    None => {
                        self.authenticating = Some(tag);
                        reply(out, "+ ");
                    }
                }
            }
            _ if matches!(self.state, State::NotAuthenticated) => reply(
                out,
                format!("{tag} BAD {name}: log in first (LOGIN user password)"),
            ),
            CommandBody::Select { mailbox } => {
                self.open(tag, &mailbox, Open::Select { read_only: false }, out);
            }
            CommandBody::Examine { mailbox } => {
                self.open(tag, &mailbox, Open::Select { read_only: true }, out);
            }
            CommandBody::Status {
                mailbox,
                item_names,
            } => {
                let items = item_names
                    .iter()
                    .filter_map(|i| match i {
                        StatusDataItemName::Messages => Some("MESSAGES"),
                        StatusDataItemName::Recent => Some("RECENT"),
                        StatusDataItemName::UidNext => Some("UIDNEXT"),
                        StatusDataItemName::UidValidity => Some("UIDVALIDITY"),
                        StatusDataItemName::Unseen => Some("UNSEEN"),
                        _ => None,
                    })
                    .collect();
                self.open(tag, &mailbox, Open::Status { items }, out);
            }
            CommandBody::List {
                mailbox_wildcard, ..
            }
            | CommandBody::Lsub {
                mailbox_wildcard, ..
            } => {
                let pattern = String::from_utf8_lossy(match &mailbox_wildcard {
                    ListMailbox::Token(t) => t.as_ref(),
                    ListMailbox::String(s) => s.as_ref(),
                })
                .into_owned();
                if pattern.is_empty() {
                    // The hierarchy delimiter and the root (RFC 3501 §6.3.8).
                    return reply(
                        out,
                        format!("* {name} (\\Noselect) \"/\" \"\"\r\n{tag} OK {name} completed"),
                    );
                }
                let verb = if name == "LSUB" { "LSUB" } else { "LIST" };
                self.folders(tag, verb, String::new(), Some(pattern), None, out);
            }
            CommandBody::Create { mailbox } => {
                let folder = folder_of(&mailbox);
                let change = FolderChange::Create(folder.clone());
                self.folders(tag, "CREATE", folder, None, Some(change), out);
            }
            CommandBody::Delete { mailbox } => {
                let folder = folder_of(&mailbox);
                let selected = matches!(&self.state,
                    State::Selected { folder: f, .. } if f.eq_ignore_ascii_case(&folder));
                if selected {
                    return reply(
                        out,
                        format!(
                            "{tag} NO [INUSE] \"{}\" is the selected mailbox: CLOSE it first",
                            echo(&folder)
                        ),
                    );
                }
                let change = FolderChange::Delete(folder.clone());
                self.folders(tag, "DELETE", folder, None, Some(change), out);
            }
            CommandBody::Rename { .. } => reply(
                out,
                format!(
                    "{tag} NO [CANNOT] RENAME is not offered by this practice server: CREATE the new folder and MOVE the messages"
                ),
            ),
            CommandBody::Subscribe { .. } | CommandBody::Unsubscribe { .. } => {
                reply(out, format!("{tag} OK {name} completed"));
            }
            CommandBody::Append {
                mailbox,
                flags,
                message,
                ..
            } => {
                let Some(user) = self.user() else { return };
                let folder = folder_of(&mailbox);
                let letters = sorted_letters(flags.iter().filter_map(letter_of));
                self.waiting = Some(Waiting::Put {
                    tag,
                    verb: "APPEND",
                    folder: folder.clone(),
                    moved: Vec::new(),
                });
                out.push(Output::Store(StoreRequest::ImapAppend {
                    address: user,
                    folder,
                    message: message.data().to_vec(),
                    letters,
                }));
            }
            CommandBody::Idle => {
                self.idling = Some(tag);
                reply(out, "+ idling");
            }
            _ if !matches!(self.state, State::Selected { .. }) => reply(
                out,
                format!("{tag} BAD {name}: no mailbox selected (SELECT INBOX first)"),
            ),
            CommandBody::Close | CommandBody::Unselect => self.close(tag, name == "CLOSE", out),
            CommandBody::Expunge => self.expunge(tag, "EXPUNGE", out),
            CommandBody::Search { criteria, uid, .. } => self.search(tag, &criteria, uid, out),
            CommandBody::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
            } => self.fetch(tag, &sequence_set, &macro_or_item_names, uid, out),
            CommandBody::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
            } => self.store(tag, &sequence_set, &kind, &response, &flags, uid, out),
            CommandBody::Copy {
                sequence_set,
                mailbox,
                uid,
            } => self.copy(tag, "COPY", &sequence_set, &mailbox, uid, out),
            CommandBody::Move {
                sequence_set,
                mailbox,
                uid,
            } => self.copy(tag, "MOVE", &sequence_set, &mailbox, uid, out),
            _ => reply(
                out,
                format!("{tag} BAD {name} is not offered by this practice server"),
            ),
        }
    }

    fn starttls(&mut self, tag: &str, out: &mut Vec<Output>) {
        if !matches!(self.state, State::NotAuthenticated) {
            return reply(out, format!("{tag} BAD STARTTLS only before logging in"));
        }
        if !self.ctx.tls_available {
            return reply(out, format!("{tag} NO STARTTLS is not available here"));
        }
        if self.tls {
            return reply(out, format!("{tag} BAD TLS is already active"));
        }
        reply(out, format!("{tag} OK Begin TLS negotiation now"));
        // Whatever was pipelined behind STARTTLS was sent in the clear (RFC 3501 §6.2.1).
        if !self.input.is_empty() {
            self.input.clear();
            out.push(Output::Said(
                Side::Note,
                Words::new("srvlog.tls_dropped").arg("n", 1),
            ));
        }
        out.push(Output::StartTls);
    }

    fn login(&mut self, tag: &str, verb: &str, user: &str, password: &str, out: &mut Vec<Output>) {
        if !matches!(self.state, State::NotAuthenticated) {
            return reply(out, format!("{tag} BAD Already logged in"));
        }
        if self.login_refused() {
            return reply(
                out,
                format!(
                    "{tag} NO [PRIVACYREQUIRED] LOGIN is disabled without TLS: send STARTTLS first"
                ),
            );
        }
        let Some(account) = self.ctx.accounts.check(user, password) else {
            self.failures += 1;
            let shown = echo(&super::smtp::login::shown_name(user));
            // A persona's own words; else the practice server names the part that was wrong
            // (see the SMTP login).
            let why = if let Some(cited) = self.ctx.persona_text(|r| r.imap_auth_failed.as_ref()) {
                // A refusal that names the command names the one sent (Outlook's does).
                match cited.strip_prefix("LOGIN ") {
                    Some(rest) => format!("{tag} NO {verb} {rest}"),
                    None => format!("{tag} NO {cited}"),
                }
            } else if self.ctx.accounts.get(user).is_some() {
                format!(
                    "{tag} NO [AUTHENTICATIONFAILED] Authentication failed: wrong password for {shown}"
                )
            } else {
                format!(
                    "{tag} NO [AUTHENTICATIONFAILED] Authentication failed: no account {shown} on this server"
                )
            };
            reply(out, why);
            if self.failures >= MAX_AUTH_FAILURES {
                reply(out, "* BYE Too many failed logins");
                out.push(Output::Close);
                self.state = State::Logout;
            }
            return;
        };
        let address = account.address.clone();
        out.push(Output::LoggedIn(address.clone()));
        reply(
            out,
            format!(
                "{tag} OK [CAPABILITY {}] Logged in as {}",
                self.capabilities(),
                echo(&address)
            ),
        );
        self.state = State::Authenticated { user: address };
    }

    /// AUTHENTICATE PLAIN's answer: base64 of `authzid \0 user \0 password` (RFC 4616).
    fn plain_response(&mut self, tag: &str, b64: &str, out: &mut Vec<Output>) {
        if b64 == "*" {
            return reply(out, format!("{tag} BAD AUTHENTICATE cancelled"));
        }
        let decoded = base64::engine::general_purpose::STANDARD.decode(b64).ok();
        let fields: Option<Vec<String>> = decoded.map(|d| {
            d.split(|&b| b == 0)
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect()
        });
        match fields.as_deref() {
            Some([_, user, password]) => {
                let (user, password) = (user.clone(), password.clone());
                self.login(tag, "AUTHENTICATE", &user, &password, out);
            }
            _ => reply(
                out,
                format!(
                    "{tag} BAD Cannot decode AUTHENTICATE PLAIN: expected base64 of \\0user\\0password"
                ),
            ),
        }
    }

    fn user(&self) -> Option<String> {
        match &self.state {
            State::Authenticated { user } | State::Selected { user, .. } => Some(user.clone()),
            _ => None,
        }
    }

    fn open(&mut self, tag: String, mailbox: &Mailbox<'_>, how: Open, out: &mut Vec<Output>) {
        let Some(user) = self.user() else { return };
        let folder = folder_of(mailbox);
        // NetEase opens no mailbox for a client that has not said who it is (ID, RFC 2971).
        if !self.said_id
            && let Some(text) = self.ctx.persona_text(|r| r.imap_unsafe_login.as_ref())
        {
            let verb = match how {
                Open::Select { read_only: false } => "SELECT",
                Open::Select { read_only: true } => "EXAMINE",
                Open::Status { .. } => "STATUS",
            };
            return reply(out, format!("{tag} NO {verb} {text}"));
        }
        // SELECT leaves the mailbox it had, whatever becomes of this one (RFC 3501 §6.3.1).
        if matches!(how, Open::Select { .. }) {
            self.state = State::Authenticated { user: user.clone() };
        }
        let claim_recent = matches!(how, Open::Select { read_only: false });
        self.waiting = Some(Waiting::Open {
            tag,
            user: user.clone(),
            folder: folder.clone(),
            how,
        });
        out.push(Output::Store(StoreRequest::ImapOpen {
            address: user,
            folder,
            claim_recent,
        }));
    }

    /// LIST or LSUB, CREATE or DELETE: the store lists the folders after any change.
    fn folders(
        &mut self,
        tag: String,
        verb: &'static str,
        folder: String,
        pattern: Option<String>,
        change: Option<FolderChange>,
        out: &mut Vec<Output>,
    ) {
        let Some(address) = self.user() else { return };
        self.waiting = Some(Waiting::Folders {
            tag,
            verb,
            folder,
            pattern,
        });
        out.push(Output::Store(StoreRequest::ImapFolders { address, change }));
    }

    /// COPY or MOVE the messages a set names into another folder (RFC 3501 §6.4.7, RFC 6851).
    fn copy(
        &mut self,
        tag: String,
        verb: &'static str,
        set: &SequenceSet,
        target: &Mailbox<'_>,
        uid: bool,
        out: &mut Vec<Output>,
    ) {
        let State::Selected {
            user,
            folder,
            read_only,
            mailbox,
        } = &self.state
        else {
            return;
        };
        let to = folder_of(target);
        if verb == "MOVE" && to.eq_ignore_ascii_case(folder) {
            return reply(
                out,
                format!(
                    "{tag} NO [CANNOT] The messages are in \"{}\" already",
                    echo(folder)
                ),
            );
        }
        if verb == "MOVE" && *read_only {
            return reply(
                out,
                format!(
                    "{tag} NO [READ-ONLY] The mailbox was opened with EXAMINE: nothing can be moved out of it (COPY can copy)"
                ),
            );
        }
        let picked = match resolve(set, mailbox, uid) {
            Ok(p) => p,
            Err(why) => return reply(out, format!("{tag} BAD {why}")),
        };
        if picked.is_empty() {
            let verb = if uid {
                format!("UID {verb}")
            } else {
                verb.to_owned()
            };
            return reply(
                out,
                format!("{tag} OK {verb} completed: no messages matched"),
            );
        }
        let messages = picked
            .iter()
            .map(|&i| {
                let m = &mailbox.messages[i];
                (m.stored.clone(), m.flags.clone())
            })
            .collect();
        let address = user.clone();
        self.waiting = Some(Waiting::Put {
            tag,
            verb,
            folder: to.clone(),
            moved: if verb == "MOVE" { picked } else { Vec::new() },
        });
        out.push(Output::Store(StoreRequest::ImapCopy {
            address,
            folder: to,
            messages,
        }));
    }

    /// Reads the selected mailbox again to report what changed since; outside a mailbox, only
    /// `done` is sent.
    fn news(&mut self, done: Option<String>, out: &mut Vec<Output>) {
        match &self.state {
            State::Selected { user, folder, .. } => {
                let address = user.clone();
                let folder = folder.clone();
                self.waiting = Some(Waiting::News { done });
                out.push(Output::Store(StoreRequest::ImapOpen {
                    address,
                    folder,
                    claim_recent: false,
                }));
            }
            _ => {
                if let Some(done) = done {
                    reply(out, done);
                }
            }
        }
    }

    fn close(&mut self, tag: String, expunge: bool, out: &mut Vec<Output>) {
        let State::Selected {
            user,
            read_only,
            mailbox,
            ..
        } = &self.state
        else {
            return;
        };
        let gone: Vec<usize> = (0..mailbox.messages.len())
            .filter(|&i| mailbox.messages[i].flags.contains('T'))
            .collect();
        if expunge && !*read_only && !gone.is_empty() {
            let delete = gone
                .iter()
                .map(|&i| mailbox.messages[i].stored.clone())
                .collect();
            self.waiting = Some(Waiting::Expunge {
                tag,
                verb: "CLOSE",
                gone,
            });
            out.push(Output::Store(StoreRequest::Commit {
                delete,
                seen: Vec::new(),
            }));
            return;
        }
        let name = if expunge { "CLOSE" } else { "UNSELECT" };
        self.state = State::Authenticated { user: user.clone() };
        reply(out, format!("{tag} OK {name} completed"));
    }

    fn expunge(&mut self, tag: String, verb: &'static str, out: &mut Vec<Output>) {
        let State::Selected {
            read_only, mailbox, ..
        } = &self.state
        else {
            return;
        };
        if *read_only {
            return reply(
                out,
                format!(
                    "{tag} NO [READ-ONLY] The mailbox was opened with EXAMINE: nothing can be removed"
                ),
            );
        }
        let gone: Vec<usize> = (0..mailbox.messages.len())
            .filter(|&i| mailbox.messages[i].flags.contains('T'))
            .collect();
        if gone.is_empty() {
            return reply(out, format!("{tag} OK {verb} completed"));
        }
        let delete = gone
            .iter()
            .map(|&i| mailbox.messages[i].stored.clone())
            .collect();
        self.waiting = Some(Waiting::Expunge { tag, verb, gone });
        out.push(Output::Store(StoreRequest::Commit {
            delete,
            seen: Vec::new(),
        }));
    }

    fn search(&mut self, tag: String, key: &SearchKey<'_>, uid: bool, out: &mut Vec<Output>) {
        let State::Selected { mailbox, .. } = &self.state else {
            return;
        };
        let criteria = match Criterion::from_key(key) {
            Ok(c) => c,
            Err(name) => {
                return reply(
                    out,
                    format!(
                        "{tag} NO [CANNOT] Search key {name} is not offered by this practice server"
                    ),
                );
            }
        };
        if let Criterion::Set(set, by_uid) = &criteria
            && let Err(why) = resolve(set, mailbox, *by_uid)
        {
            return reply(out, format!("{tag} BAD {why}"));
        }
        if criteria.needs_bytes() && !mailbox.messages.is_empty() {
            let picked: Vec<usize> = (0..mailbox.messages.len()).collect();
            let reads = picked
                .iter()
                .map(|&i| mailbox.messages[i].stored.clone())
                .collect();
            self.waiting = Some(Waiting::Read {
                tag,
                picked,
                why: ReadFor::Search { criteria, uid },
            });
            out.push(Output::Store(StoreRequest::ReadMany(reads)));
            return;
        }
        let found = searched(mailbox, &criteria, &[], uid);
        reply(out, format!("* SEARCH{found}\r\n{tag} OK SEARCH completed"));
    }

    fn fetch(
        &mut self,
        tag: String,
        set: &SequenceSet,
        names: &MacroOrMessageDataItemNames<'_>,
        uid: bool,
        out: &mut Vec<Output>,
    ) {
        let State::Selected { mailbox, .. } = &self.state else {
            return;
        };
        let picked = match resolve(set, mailbox, uid) {
            Ok(p) => p,
            Err(why) => return reply(out, format!("{tag} BAD {why}")),
        };
        let mut items = items_of(names);
        if items.is_empty() {
            return reply(
                out,
                format!("{tag} BAD FETCH needs at least one item, like FETCH 1 (FLAGS)"),
            );
        }
        // UID FETCH always answers with the UID (RFC 3501 §6.4.8).
        if uid && !items.contains(&Item::Uid) {
            items.insert(0, Item::Uid);
        }
        if picked.is_empty() {
            return reply(out, format!("{tag} OK FETCH completed"));
        }
        if items.iter().any(Item::needs_bytes) {
            let reads = picked
                .iter()
                .map(|&i| mailbox.messages[i].stored.clone())
                .collect();
            self.waiting = Some(Waiting::Read {
                tag,
                picked,
                why: ReadFor::Fetch { items },
            });
            out.push(Output::Store(StoreRequest::ReadMany(reads)));
            return;
        }
        let bytes = vec![Vec::new(); picked.len()];
        self.fetched(tag, &picked, &items, &bytes, out);
    }

    /// The FETCH responses, once any bytes they need are read; marks \Seen where a section
    /// was fetched without PEEK.
    fn fetched(
        &mut self,
        tag: String,
        picked: &[usize],
        items: &[Item],
        bytes: &[Vec<u8>],
        out: &mut Vec<Output>,
    ) {
        let State::Selected {
            read_only, mailbox, ..
        } = &mut self.state
        else {
            return;
        };
        let sets_seen = !*read_only && items.iter().any(Item::sets_seen);
        if items.iter().any(Item::reads_text) && !picked.is_empty() {
            out.push(Output::Retrieved(picked.len()));
        }
        let mut s = String::new();
        let mut changed = Vec::new();
        for (&i, body) in picked.iter().zip(bytes) {
            let m = &mailbox.messages[i];
            let mut shown_items = items.to_vec();
            if sets_seen && !m.flags.contains('S') {
                let letters = sorted_letters(m.flags.chars().chain(['S']));
                changed.push((i, letters));
                if !shown_items.contains(&Item::Flags) {
                    shown_items.push(Item::Flags);
                }
            }
            let mut parts = Vec::new();
            for item in &shown_items {
                parts.push(render_item(
                    item,
                    m,
                    body,
                    changed
                        .last()
                        .filter(|(c, _)| *c == i)
                        .map(|(_, l)| l.as_str()),
                ));
            }
            s.push_str(&format!("* {} FETCH ({})\r\n", i + 1, parts.join(" ")));
        }
        let done = format!("{tag} OK FETCH completed");
        let renames = renames(mailbox, &changed);
        self.answer_after_flags(tag, changed, renames, s, done, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn store(
        &mut self,
        tag: String,
        set: &SequenceSet,
        kind: &StoreType,
        response: &StoreResponse,
        flags: &[Flag<'_>],
        uid: bool,
        out: &mut Vec<Output>,
    ) {
        let State::Selected {
            read_only, mailbox, ..
        } = &self.state
        else {
            return;
        };
        if *read_only {
            return reply(
                out,
                format!(
                    "{tag} NO [READ-ONLY] The mailbox was opened with EXAMINE: flags cannot change"
                ),
            );
        }
        let picked = match resolve(set, mailbox, uid) {
            Ok(p) => p,
            Err(why) => return reply(out, format!("{tag} BAD {why}")),
        };
        if let Some(other) = flags.iter().find(|f| letter_of(f).is_none()) {
            return reply(
                out,
                format!(
                    "{tag} NO [CANNOT] Flag {other} cannot be kept here: \\Seen \\Answered \\Flagged \\Deleted \\Draft can"
                ),
            );
        }
        let named: Vec<char> = flags.iter().filter_map(letter_of).collect();
        let mut changed = Vec::new();
        let mut s = String::new();
        for &i in &picked {
            let m = &mailbox.messages[i];
            let letters = match kind {
                StoreType::Replace => sorted_letters(named.iter().copied()),
                StoreType::Add => sorted_letters(m.flags.chars().chain(named.iter().copied())),
                StoreType::Remove => sorted_letters(m.flags.chars().filter(|c| !named.contains(c))),
            };
            if matches!(response, StoreResponse::Answer) {
                let mut shown = m.clone();
                shown.flags.clone_from(&letters);
                let uid_part = if uid {
                    format!("UID {} ", m.uid)
                } else {
                    String::new()
                };
                s.push_str(&format!(
                    "* {} FETCH ({uid_part}FLAGS {})\r\n",
                    i + 1,
                    imap_flags(&shown)
                ));
            }
            if letters != m.flags {
                changed.push((i, letters));
            }
        }
        let done = format!("{tag} OK STORE completed");
        let renames = renames(mailbox, &changed);
        self.answer_after_flags(tag, changed, renames, s, done, out);
    }

    /// Sends `replies` and the completion `done` now, or once the changed flags are written
    /// into the files.
    fn answer_after_flags(
        &mut self,
        tag: String,
        changed: Vec<(usize, String)>,
        renames: Vec<(super::maildir::StoredMessage, String)>,
        replies: String,
        done: String,
        out: &mut Vec<Output>,
    ) {
        if changed.is_empty() {
            return quiet(out, format!("{replies}{done}"));
        }
        self.waiting = Some(Waiting::Flags {
            tag,
            changed,
            replies,
            done,
        });
        out.push(Output::Store(StoreRequest::SetFlags(renames)));
    }

    fn store_result(&mut self, result: StoreResult, out: &mut Vec<Output>) {
        let Some(waiting) = self.waiting.take() else {
            return;
        };
        match (waiting, result) {
            (
                Waiting::Open {
                    tag,
                    user,
                    folder,
                    how,
                },
                StoreResult::ImapOpened(Ok(mailbox)),
            ) => match how {
                Open::Select { read_only } => {
                    let exists = mailbox.messages.len();
                    let recent = mailbox.messages.iter().filter(|m| m.recent).count();
                    let mut s = format!(
                        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
                         * OK [PERMANENTFLAGS ({})] Flags permitted\r\n\
                         * {exists} EXISTS\r\n* {recent} RECENT\r\n",
                        if read_only {
                            ""
                        } else {
                            "\\Answered \\Flagged \\Deleted \\Seen \\Draft"
                        }
                    );
                    if let Some(first) =
                        mailbox.messages.iter().position(|m| !m.flags.contains('S'))
                    {
                        s.push_str(&format!(
                            "* OK [UNSEEN {}] First unseen message\r\n",
                            first + 1
                        ));
                    }
                    s.push_str(&format!(
                        "* OK [UIDVALIDITY {}] UIDs valid\r\n* OK [UIDNEXT {}] Predicted next UID\r\n",
                        mailbox.uid_validity, mailbox.uid_next
                    ));
                    let (mode, verb) = if read_only {
                        ("READ-ONLY", "EXAMINE")
                    } else {
                        ("READ-WRITE", "SELECT")
                    };
                    s.push_str(&format!("{tag} OK [{mode}] {verb} completed"));
                    self.state = State::Selected {
                        user,
                        folder: canonical(&folder),
                        read_only,
                        mailbox,
                    };
                    reply(out, s);
                }
                Open::Status { items } => {
                    let values: Vec<String> = items
                        .iter()
                        .map(|i| {
                            let n = match *i {
                                "MESSAGES" => mailbox.messages.len() as u32,
                                "RECENT" => {
                                    mailbox.messages.iter().filter(|m| m.recent).count() as u32
                                }
                                "UIDNEXT" => mailbox.uid_next,
                                "UIDVALIDITY" => mailbox.uid_validity,
                                _ => mailbox
                                    .messages
                                    .iter()
                                    .filter(|m| !m.flags.contains('S'))
                                    .count() as u32,
                            };
                            format!("{i} {n}")
                        })
                        .collect();
                    reply(
                        out,
                        format!(
                            "* STATUS {} ({})\r\n{tag} OK STATUS completed",
                            mailbox_name(&canonical(&folder)),
                            values.join(" ")
                        ),
                    );
                }
            },
            (Waiting::News { done }, StoreResult::ImapOpened(opened)) => {
                let mut s = String::new();
                if let (State::Selected { mailbox, .. }, Ok(now)) = (&mut self.state, opened) {
                    s = news_between(mailbox, now);
                }
                if let Some(done) = done {
                    s.push_str(&done);
                    s.push_str("\r\n");
                }
                if !s.is_empty() {
                    out.push(Output::Reply(s.into_bytes()));
                }
            }
            (Waiting::Open { tag, folder, .. }, StoreResult::ImapOpened(Err(e))) => {
                let why = match e {
                    FolderError::Missing => format!(
                        "NO [NONEXISTENT] Mailbox \"{}\" does not exist (LIST \"\" * shows the folders here)",
                        echo(&folder)
                    ),
                    other => folder_trouble(&other),
                };
                reply(out, format!("{tag} {why}"));
            }
            (
                Waiting::Folders {
                    tag,
                    verb,
                    folder,
                    pattern,
                },
                StoreResult::Folders(result),
            ) => {
                let names = match result {
                    Ok(names) => names,
                    Err(e) => {
                        let why = match (e, verb) {
                            (FolderError::Missing, _) => format!(
                                "NO [NONEXISTENT] Mailbox \"{}\" does not exist",
                                echo(&folder)
                            ),
                            (FolderError::Exists, _) => format!(
                                "NO [ALREADYEXISTS] Mailbox \"{}\" exists already",
                                echo(&folder)
                            ),
                            (other, _) => folder_trouble(&other),
                        };
                        return reply(out, format!("{tag} {why}"));
                    }
                };
                let Some(pattern) = pattern else {
                    return reply(out, format!("{tag} OK {verb} completed"));
                };
                let mut s = String::new();
                for name in names.iter().filter(|n| wildcard_matches(&pattern, n)) {
                    let mut attrs = vec!["\\HasNoChildren"];
                    if verb == "LIST"
                        && let Some((_, special)) = DEFAULT_FOLDERS.iter().find(|(n, _)| n == name)
                    {
                        attrs.push(special);
                    }
                    s.push_str(&format!(
                        "* {verb} ({}) \"/\" {}\r\n",
                        attrs.join(" "),
                        mailbox_name(name)
                    ));
                }
                s.push_str(&format!("{tag} OK {verb} completed"));
                reply(out, s);
            }
            (
                Waiting::Put {
                    tag,
                    verb,
                    folder,
                    moved,
                },
                StoreResult::Put(result),
            ) => match result {
                Err(FolderError::Missing) => reply(
                    out,
                    format!(
                        "{tag} NO [TRYCREATE] Mailbox \"{}\" does not exist: CREATE it first",
                        echo(&folder)
                    ),
                ),
                Err(other) => reply(out, format!("{tag} {}", folder_trouble(&other))),
                // MOVE: the copies are safe; now the originals go, each reported as EXPUNGE.
                Ok(()) if !moved.is_empty() => {
                    let State::Selected { mailbox, .. } = &self.state else {
                        return;
                    };
                    let delete = moved
                        .iter()
                        .map(|&i| mailbox.messages[i].stored.clone())
                        .collect();
                    self.waiting = Some(Waiting::Expunge {
                        tag,
                        verb,
                        gone: moved,
                    });
                    out.push(Output::Store(StoreRequest::Commit {
                        delete,
                        seen: Vec::new(),
                    }));
                }
                Ok(()) => {
                    let done = format!("{tag} OK {verb} completed");
                    // A message added to the selected mailbox is announced at once (RFC 3501
                    // §6.3.11).
                    let here = matches!(&self.state,
                        State::Selected { folder: f, .. } if f.eq_ignore_ascii_case(&folder));
                    if here {
                        self.news(Some(done), out);
                    } else {
                        reply(out, done);
                    }
                }
            },
            (Waiting::Read { tag, picked, why }, StoreResult::ReadMany(Ok(bytes))) => match why {
                ReadFor::Fetch { items, .. } => self.fetched(tag, &picked, &items, &bytes, out),
                ReadFor::Search { criteria, uid } => {
                    if let State::Selected { mailbox, .. } = &self.state {
                        let found = searched(mailbox, &criteria, &bytes, uid);
                        reply(out, format!("* SEARCH{found}\r\n{tag} OK SEARCH completed"));
                    }
                }
            },
            (Waiting::Read { tag, .. }, StoreResult::ReadMany(Err(e))) => {
                reply(
                    out,
                    format!(
                        "{tag} NO [SERVERBUG] Cannot read the messages: {}",
                        echo(&e)
                    ),
                );
            }
            (
                Waiting::Flags {
                    tag,
                    changed,
                    replies,
                    done,
                },
                StoreResult::FlagsSet(result),
            ) => {
                if let State::Selected { mailbox, .. } = &mut self.state {
                    for ((i, letters), new) in changed.iter().zip(result.iter()) {
                        if let (Some(m), Some(stored)) = (mailbox.messages.get_mut(*i), new) {
                            m.flags.clone_from(letters);
                            m.stored = stored.clone();
                        }
                    }
                }
                let failed = result.iter().filter(|r| r.is_none()).count();
                if failed == 0 {
                    quiet(out, format!("{replies}{done}"));
                } else {
                    quiet(
                        out,
                        format!(
                            "{replies}{tag} NO [SERVERBUG] {failed} messages kept their old flags"
                        ),
                    );
                }
            }
            (Waiting::Expunge { tag, verb, gone }, StoreResult::Committed { failed, .. }) => {
                let mut s = String::new();
                if let State::Selected { user, mailbox, .. } = &mut self.state {
                    // Each EXPUNGE response renumbers what follows: highest first keeps the
                    // numbers right (RFC 3501 §7.4.1).
                    for &i in gone.iter().rev() {
                        if verb != "CLOSE" {
                            s.push_str(&format!("* {} EXPUNGE\r\n", i + 1));
                        }
                        mailbox.messages.remove(i);
                    }
                    if verb == "CLOSE" {
                        self.state = State::Authenticated { user: user.clone() };
                    }
                }
                if failed == 0 {
                    s.push_str(&format!("{tag} OK {verb} completed"));
                } else {
                    s.push_str(&format!(
                        "{tag} NO [SERVERBUG] {failed} messages could not be removed"
                    ));
                }
                reply(out, s);
            }
            (w, r) => {
                let tag = match &w {
                    Waiting::Open { tag, .. }
                    | Waiting::Folders { tag, .. }
                    | Waiting::Put { tag, .. }
                    | Waiting::Read { tag, .. }
                    | Waiting::Flags { tag, .. }
                    | Waiting::Expunge { tag, .. } => tag.clone(),
                    // News reads only the mailbox: any other answer is no news.
                    Waiting::News { done: Some(done) } => {
                        return reply(out, done);
                    }
                    Waiting::News { done: None } => return,
                };
                reply(
                    out,
                    format!(
                        "{tag} NO [SERVERBUG] Unexpected store answer: {}",
                        echo(&format!("{r:?}"))
                    )
                    .chars()
                    .take(200)
                    .collect::<String>(),
                );
            }
        }
    }
}

impl ServerSession for ImapServerSession {
    fn greeting(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        let host = &self.ctx.hostname;
        match self.ctx.faults.greeting() {
            Some(_) => {
                reply(&mut out, format!("* BYE {host} Service not available"));
                out.push(Output::Close);
                self.state = State::Logout;
            }
            None => {
                // A persona's own words after the practice server's own capabilities.
                let words = match self.ctx.persona_text(|r| r.imap_greeting.as_ref()) {
                    Some(text) => text.replace("{client}", &self.client),
                    None => format!("{host} mailtutor practice server ready"),
                };
                reply(
                    &mut out,
                    format!("* OK [CAPABILITY {}] {words}", self.capabilities()),
                );
                // Words for the person at the keyboard (RFC 3501 §7.1: a client shows an
                // ALERT as it is), beside the LOGINDISABLED a program reads.
                if self.login_refused() {
                    reply(
                        &mut out,
                        "* OK [ALERT] This server requires TLS: send STARTTLS before LOGIN or AUTHENTICATE",
                    );
                }
            }
        }
        out
    }

    fn ingest(&mut self, bytes: &[u8]) -> Vec<Output> {
        let mut out = Vec::new();
        if matches!(self.state, State::Logout) {
            return out;
        }
        // Bounded: a command over the limit is dropped as it comes (see `feed`).
        self.input.extend_from_slice(bytes);
        self.feed(&mut out);
        out
    }

    fn timeout(&self) -> Vec<u8> {
        b"* BYE Autologout; idle for too long\r\n".to_vec()
    }

    fn shutdown(&self) -> Vec<u8> {
        b"* BYE Server shutting down\r\n".to_vec()
    }

    fn tls_established(&mut self) {
        self.tls = true;
    }

    fn store_done(&mut self, result: StoreResult) -> Vec<Output> {
        let mut out = Vec::new();
        self.store_result(result, &mut out);
        self.feed(&mut out);
        out
    }

    /// While IDLE waits in a selected mailbox, the mailbox is watched for news.
    fn ticks(&self) -> Option<std::time::Duration> {
        (self.idling.is_some()
            && self.waiting.is_none()
            && matches!(self.state, State::Selected { .. }))
        .then_some(IDLE_WATCH)
    }

    fn tick(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        if self.ticks().is_some() {
            self.news(None, &mut out);
        }
        out
    }
}

/// How often a mailbox in IDLE is read again for news.
const IDLE_WATCH: std::time::Duration = std::time::Duration::from_millis(500);

/// The untagged responses that bring `mailbox` up to `now` (RFC 3501 §7.4.1, §7.3.1, §7.4.2):
/// EXPUNGE for each message gone (highest number first, so the numbers stay right), EXISTS
/// when the count changed, FETCH FLAGS for flags changed elsewhere. `mailbox` becomes `now`,
/// keeping which messages are recent to this session.
fn news_between(mailbox: &mut ImapMailbox, now: ImapMailbox) -> String {
    let mut s = String::new();
    for i in (0..mailbox.messages.len()).rev() {
        let uid = mailbox.messages[i].uid;
        if !now.messages.iter().any(|m| m.uid == uid) {
            s.push_str(&format!("* {} EXPUNGE\r\n", i + 1));
            mailbox.messages.remove(i);
        }
    }
    let count_before = mailbox.messages.len();
    let mut messages = now.messages;
    for (i, m) in messages.iter_mut().enumerate() {
        match mailbox.messages.iter().find(|old| old.uid == m.uid) {
            Some(old) => {
                m.recent = old.recent;
                if old.flags != m.flags {
                    s.push_str(&format!("* {} FETCH (FLAGS {})\r\n", i + 1, imap_flags(m)));
                }
            }
            None => m.recent = false,
        }
    }
    if messages.len() != count_before {
        s.push_str(&format!("* {} EXISTS\r\n", messages.len()));
    }
    mailbox.messages = messages;
    mailbox.uid_next = now.uid_next;
    s
}

fn reply(out: &mut Vec<Output>, text: impl Into<String>) {
    let mut s = text.into();
    s.push_str("\r\n");
    out.push(Output::Reply(s.into_bytes()));
}

/// A reply that carries message bytes: sent whole; the log shows each response's first line
/// (a literal's bytes are left out) and the completion.
fn quiet(out: &mut Vec<Output>, text: String) {
    let mut in_literal = 0usize;
    for line in text.split("\r\n") {
        if in_literal > 0 {
            in_literal = in_literal.saturating_sub(line.len() + 2);
            continue;
        }
        out.push(Output::Log(
            Side::Server,
            crate::proto::line::escaped(line.as_bytes()),
        ));
        if let Some((_, n)) = crate::proto::imap::response::literal_at_end(line.as_bytes()) {
            in_literal = n;
        }
    }
    let mut s = text;
    s.push_str("\r\n");
    out.push(Output::QuietReply(s.into_bytes()));
}

/// Text from the client or the system as a response's text may hold it (RFC 3501's TEXT-CHAR:
/// 7-bit, no controls): anything else written as an escape (`\u{5F20}`, `\x1B`).
fn echo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in crate::proto::line::escaped_line(text.as_bytes()).chars() {
        match c {
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&format!("\\u{{{:04X}}}", u32::from(c))),
        }
    }
    out
}

fn untagged_bad(out: &mut Vec<Output>, why: &str) {
    reply(out, super::clip_reply_line(&format!("* BAD {}", echo(why))));
}

/// The tag and the command name of a line (`a1 select inbox` → `a1`, `select`).
fn split_command(text: &str) -> (&str, &str) {
    let mut words = text.split_ascii_whitespace();
    let tag = words.next().unwrap_or("");
    let verb = words.next().unwrap_or("");
    (tag, verb)
}

/// Why a tag is not one (RFC 3501 §9: any atom characters but `+`).
fn bad_tag(tag: &str) -> Option<&'static str> {
    if tag.contains(['(', ')', '{', '%', '*', '"', '\\', ']', '+'])
        || tag.chars().any(|c| c.is_control() || !c.is_ascii())
    {
        return Some(
            "A tag is letters and digits (like a1) and must not contain ( ) { % * \" \\ ] +",
        );
    }
    None
}

/// What a command of this name looks like, for a BAD that says what was expected.
fn syntax_hint(verb: &str) -> String {
    let usage = match verb {
        "LOGIN" => "LOGIN user password (quote a value with spaces: LOGIN \"a b\" \"c d\")",
        "SELECT" | "EXAMINE" => "SELECT INBOX",
        "STATUS" => "STATUS INBOX (MESSAGES UNSEEN UIDNEXT)",
        "LIST" | "LSUB" => "LIST \"\" *",
        "FETCH" => "FETCH 1 (FLAGS BODY[HEADER]) or FETCH 1:* FLAGS",
        "STORE" => "STORE 1 +FLAGS (\\Seen)",
        "SEARCH" => "SEARCH UNSEEN or SEARCH FROM \"alice\"",
        "COPY" | "MOVE" => "COPY 1 Archive",
        "UID" => "UID FETCH 1:* FLAGS, UID SEARCH ALL, UID STORE 3 +FLAGS (\\Deleted)",
        "AUTHENTICATE" => "AUTHENTICATE PLAIN",
        "CAPABILITY" | "NOOP" | "LOGOUT" | "STARTTLS" | "CLOSE" | "EXPUNGE" | "IDLE"
        | "UNSELECT" | "CHECK" => {
            return format!("{verb} takes no arguments");
        }
        _ => {
            return format!(
                "Unknown command {}: try CAPABILITY",
                echo(&super::clip_reply_line(verb))
            );
        }
    };
    format!("Error in {verb}: the form is {usage}")
}

/// `{n}` or `{n+}` ending a line: the literal's length and whether the client waits for "+".
fn literal_at_end(line: &[u8]) -> Option<(usize, bool)> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let (_, n) = crate::proto::imap::response::literal_at_end(line)?;
    Some((n, !line.ends_with(b"+}")))
}

fn tag_of(command: &[u8]) -> String {
    let text = String::from_utf8_lossy(command);
    let tag = text.split_ascii_whitespace().next().unwrap_or("*");
    if bad_tag(tag).is_some() {
        "*".into()
    } else {
        tag.chars().take(32).collect()
    }
}

/// A mailbox argument as a folder name: INBOX (any case) or the name as sent.
fn folder_of(mailbox: &Mailbox<'_>) -> String {
    match mailbox {
        Mailbox::Inbox => "INBOX".to_owned(),
        Mailbox::Other(other) => String::from_utf8_lossy(other.as_ref()).into_owned(),
    }
}

/// INBOX in its one spelling; other names as they are.
fn canonical(folder: &str) -> String {
    if folder.eq_ignore_ascii_case("INBOX") {
        "INBOX".to_owned()
    } else {
        folder.to_owned()
    }
}

/// A folder name as a response carries it: an atom, or quoted when it has spaces or quotes.
fn mailbox_name(name: &str) -> String {
    let atom = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b));
    if atom {
        name.to_owned()
    } else {
        quoted(&echo(name))
    }
}

/// The completion for a folder the store could not use, in its words.
fn folder_trouble(e: &FolderError) -> String {
    match e {
        FolderError::Missing => "NO [NONEXISTENT] No such mailbox".to_owned(),
        FolderError::Exists => "NO [ALREADYEXISTS] The mailbox exists already".to_owned(),
        FolderError::Name(why) => format!("NO [CANNOT] {why}"),
        FolderError::Io(words) => format!("NO [SERVERBUG] The store failed: {}", echo(words)),
    }
}

/// LIST's `*` and `%` wildcards (RFC 3501 §6.3.8), case-blind for INBOX.
fn wildcard_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*' | b'%', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((c, rest)) => {
                n.first().is_some_and(|d| d.eq_ignore_ascii_case(c)) && go(rest, &n[1..])
            }
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// A client line as the log shows it: LOGIN's password and AUTHENTICATE's initial response
/// masked, with or without a tag before them, and on one line.
fn shown(text: &str) -> String {
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    let verb_at = |v: &str| words.iter().take(2).position(|w| w.eq_ignore_ascii_case(v));
    let keep = match (verb_at("LOGIN"), verb_at("AUTHENTICATE")) {
        // The verb and the user name (or mechanism) stay; what follows is the secret.
        (Some(i), _) | (None, Some(i)) if words.len() > i + 2 => Some(i + 2),
        _ => None,
    };
    match keep {
        Some(n) => format!("{} ********", words[..n].join(" ")),
        // A command with literals spans lines: the log shows it on one.
        None => crate::proto::line::escaped_line(text.as_bytes()),
    }
}

/// The mailbox indexes a sequence set names (by message number, or by UID).
fn resolve(set: &SequenceSet, mailbox: &ImapMailbox, uid: bool) -> Result<Vec<usize>, String> {
    let n = mailbox.messages.len() as u32;
    let largest = if uid {
        mailbox.messages.last().map_or(0, |m| m.uid)
    } else {
        n
    };
    let value = |s: &SeqOrUid| match s {
        SeqOrUid::Value(v) => v.get(),
        SeqOrUid::Asterisk => largest,
    };
    let mut picked = Vec::new();
    for seq in set.0.as_ref() {
        let (a, b) = match seq {
            Sequence::Single(s) => (value(s), value(s)),
            Sequence::Range(x, y) => (value(x).min(value(y)), value(x).max(value(y))),
        };
        if uid {
            picked.extend(
                mailbox
                    .messages
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| (a..=b).contains(&m.uid))
                    .map(|(i, _)| i),
            );
        } else {
            if n == 0 || b > n || a == 0 {
                return Err(format!(
                    "No such message: the mailbox has {n} message{} (numbers run from 1)",
                    if n == 1 { "" } else { "s" }
                ));
            }
            picked.extend((a - 1) as usize..b as usize);
        }
    }
    picked.sort_unstable();
    picked.dedup();
    Ok(picked)
}

/// The files whose flags change, with their new letters.
fn renames(
    mailbox: &ImapMailbox,
    changed: &[(usize, String)],
) -> Vec<(super::maildir::StoredMessage, String)> {
    changed
        .iter()
        .map(|(i, l)| (mailbox.messages[*i].stored.clone(), l.clone()))
        .collect()
}

fn searched(mailbox: &ImapMailbox, criteria: &Criterion, bytes: &[Vec<u8>], uid: bool) -> String {
    let mut s = String::new();
    for (i, m) in mailbox.messages.iter().enumerate() {
        if criteria.matches(m, i, mailbox, bytes.get(i).map(Vec::as_slice)) {
            s.push(' ');
            s.push_str(&if uid {
                m.uid.to_string()
            } else {
                (i + 1).to_string()
            });
        }
    }
    s
}

fn items_of(names: &MacroOrMessageDataItemNames<'_>) -> Vec<Item> {
    let names: Vec<MessageDataItemName<'_>> = match names {
        MacroOrMessageDataItemNames::Macro(m) => m.expand(),
        MacroOrMessageDataItemNames::MessageDataItemNames(v) => v.clone(),
    };
    names
        .iter()
        .map(|n| match n {
            MessageDataItemName::Uid => Item::Uid,
            MessageDataItemName::Flags => Item::Flags,
            MessageDataItemName::Rfc822Size => Item::Size,
            MessageDataItemName::InternalDate => Item::InternalDate,
            MessageDataItemName::Envelope => Item::Envelope,
            MessageDataItemName::Body => Item::BodyStructure { extended: false },
            MessageDataItemName::BodyStructure => Item::BodyStructure { extended: true },
            MessageDataItemName::Rfc822 => Item::Section {
                name: "RFC822".into(),
                what: SectionWhat::Whole,
                peek: false,
                partial: None,
            },
            MessageDataItemName::Rfc822Header => Item::Section {
                name: "RFC822.HEADER".into(),
                what: SectionWhat::Header,
                peek: true,
                partial: None,
            },
            MessageDataItemName::Rfc822Text => Item::Section {
                name: "RFC822.TEXT".into(),
                what: SectionWhat::Text,
                peek: false,
                partial: None,
            },
            MessageDataItemName::BodyExt {
                section,
                partial,
                peek,
            } => {
                let (what, spec) = section_of(section.as_ref());
                Item::Section {
                    name: format!(
                        "BODY[{spec}]{}",
                        partial.map_or(String::new(), |(a, _)| format!("<{a}>"))
                    ),
                    what,
                    peek: *peek,
                    partial: partial.map(|(a, b)| (a, b.get())),
                }
            }
        })
        .collect()
}

fn part_path(part: Option<&Part>) -> Vec<u32> {
    part.map(|p| p.0.as_ref().iter().map(|n| n.get()).collect())
        .unwrap_or_default()
}

fn section_of(section: Option<&Section<'_>>) -> (SectionWhat, String) {
    let dotted = |path: &[u32]| {
        path.iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".")
    };
    let prefix = |path: &[u32]| {
        if path.is_empty() {
            String::new()
        } else {
            format!("{}.", dotted(path))
        }
    };
    match section {
        None => (SectionWhat::Whole, String::new()),
        Some(Section::Part(p)) => {
            let path = part_path(Some(p));
            let spec = dotted(&path);
            (SectionWhat::Part { path, mime: false }, spec)
        }
        Some(Section::Mime(p)) => {
            let path = part_path(Some(p));
            let spec = format!("{}.MIME", dotted(&path));
            (SectionWhat::Part { path, mime: true }, spec)
        }
        Some(Section::Header(p)) => {
            let path = part_path(p.as_ref());
            let spec = format!("{}HEADER", prefix(&path));
            if path.is_empty() {
                (SectionWhat::Header, spec)
            } else {
                (SectionWhat::Part { path, mime: true }, spec)
            }
        }
        Some(Section::Text(p)) => {
            let path = part_path(p.as_ref());
            let spec = format!("{}TEXT", prefix(&path));
            if path.is_empty() {
                (SectionWhat::Text, spec)
            } else {
                (SectionWhat::Part { path, mime: false }, spec)
            }
        }
        Some(Section::HeaderFields(p, names) | Section::HeaderFieldsNot(p, names)) => {
            let not = matches!(section, Some(Section::HeaderFieldsNot(..)));
            let names: Vec<String> = names
                .as_ref()
                .iter()
                .map(|n| String::from_utf8_lossy(n.as_ref()).to_ascii_uppercase())
                .collect();
            let spec = format!(
                "{}HEADER.FIELDS{} ({})",
                prefix(&part_path(p.as_ref())),
                if not { ".NOT" } else { "" },
                names.join(" ")
            );
            (SectionWhat::Fields { names, not }, spec)
        }
    }
}

fn render_item(item: &Item, m: &ImapStored, bytes: &[u8], new_flags: Option<&str>) -> String {
    match item {
        Item::Uid => format!("UID {}", m.uid),
        Item::Flags => {
            let mut shown = m.clone();
            if let Some(l) = new_flags {
                shown.flags = l.to_owned();
            }
            format!("FLAGS {}", imap_flags(&shown))
        }
        Item::Size => format!("RFC822.SIZE {}", m.stored.size),
        Item::InternalDate => format!("INTERNALDATE \"{}\"", internal_date(m.received)),
        Item::Envelope => format!("ENVELOPE {}", envelope(bytes)),
        Item::BodyStructure { extended } => {
            let name = if *extended { "BODYSTRUCTURE" } else { "BODY" };
            format!("{name} {}", body_structure(bytes))
        }
        Item::Section {
            name,
            what,
            partial,
            ..
        } => {
            let data = section_bytes(bytes, what);
            let data = match partial {
                Some((start, len)) => {
                    let start = (*start as usize).min(data.len());
                    let end = start.saturating_add(*len as usize).min(data.len());
                    data[start..end].to_vec()
                }
                None => data,
            };
            format!("{name} {}", literal(&data))
        }
    }
}

/// A literal `{n}\r\n` and its bytes (as text: message bytes are shown lossily only where they
/// are not UTF-8, which a Maildir delivered by this server never holds unescaped).
fn literal(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    format!("{{{}}}\r\n{text}", text.len())
}

/// An IMAP quoted string, or a literal where quoting cannot hold the text.
fn quoted(text: &str) -> String {
    if text.contains(['\r', '\n']) || !text.is_ascii() || text.len() > 200 {
        return literal(text.as_bytes());
    }
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn nstring(text: Option<&str>) -> String {
    text.map_or_else(|| "NIL".into(), quoted)
}

/// The header block (with its blank line) and the body of a message.
fn split_message(bytes: &[u8]) -> (&[u8], &[u8]) {
    let at = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| bytes.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))
        .unwrap_or(bytes.len());
    bytes.split_at(at)
}

fn header_of(bytes: &[u8]) -> &[u8] {
    split_message(bytes).0
}

fn text_of(bytes: &[u8]) -> &[u8] {
    split_message(bytes).1
}

/// The unfolded values of a header field in a header block.
fn header_values(header: &[u8], name: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(header);
    let mut fields: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        } else if !line.is_empty() {
            fields.push(line.to_owned());
        }
    }
    fields
        .into_iter()
        .filter_map(|f| {
            let (n, v) = f.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
        .collect()
}

/// A header value as a reader sees it (encoded-words decoded), lowercased.
fn decoded_lower(value: &str) -> String {
    crate::proto::message::decode_encoded_words(value).to_lowercase()
}

/// The header lines a HEADER.FIELDS (or .NOT) names, as they stand, with the blank line.
fn header_fields(header: &[u8], names: &[String], not: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(header);
    let mut out = String::new();
    let mut keep = false;
    for line in text.split_inclusive('\n') {
        if line.trim_end().is_empty() {
            break;
        }
        if !line.starts_with([' ', '\t']) {
            let name = line
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_uppercase();
            keep = names.contains(&name) != not;
        }
        if keep {
            out.push_str(line);
        }
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn section_bytes(bytes: &[u8], what: &SectionWhat) -> Vec<u8> {
    match what {
        SectionWhat::Whole => bytes.to_vec(),
        SectionWhat::Header => header_of(bytes).to_vec(),
        SectionWhat::Text => text_of(bytes).to_vec(),
        SectionWhat::Fields { names, not } => header_fields(header_of(bytes), names, *not),
        SectionWhat::Part { path, mime } => part_bytes(bytes, path, *mime),
    }
}

/// A body part by its number (RFC 3501 §6.4.5): in a message that is not multipart, part 1
/// is its body.
fn part_bytes(bytes: &[u8], path: &[u32], mime: bool) -> Vec<u8> {
    let Some(message) = mail_parser::MessageParser::default().parse(bytes) else {
        return Vec::new();
    };
    let mut id = 0usize;
    for &n in path {
        let Some(part) = message.parts.get(id) else {
            return Vec::new();
        };
        match &part.body {
            mail_parser::PartType::Multipart(children) => {
                let Some(&child) = children.get((n as usize).wrapping_sub(1)) else {
                    return Vec::new();
                };
                id = child as usize;
            }
            _ if n == 1 && id == 0 => {}
            _ => return Vec::new(),
        }
    }
    let Some(part) = message.parts.get(id) else {
        return Vec::new();
    };
    let raw = message.raw_message.as_ref();
    let (a, b) = if mime {
        (part.offset_header as usize, part.offset_body as usize)
    } else {
        (part.offset_body as usize, part.offset_end as usize)
    };
    raw.get(a..b.min(raw.len())).unwrap_or_default().to_vec()
}

/// RFC 3501's date-time: `05-Dec-2026 10:58:06 +0000`.
fn internal_date(when: std::time::SystemTime) -> String {
    let secs = when
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{day:02}-{}-{year} {:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// ENVELOPE (RFC 3501 §7.4.2): date, subject, from, sender, reply-to, to, cc, bcc,
/// in-reply-to, message-id; sender and reply-to default to from.
fn envelope(bytes: &[u8]) -> String {
    let header = header_of(bytes);
    let first = |name: &str| header_values(header, name).into_iter().next();
    let parsed = mail_parser::MessageParser::default().parse_headers(header);
    let addresses = |a: Option<&mail_parser::Address<'_>>| -> Option<String> {
        let list: Vec<String> = a?
            .iter()
            .filter_map(|addr| {
                let address = addr.address.as_deref()?;
                let (mailbox, host) = address.rsplit_once('@').unwrap_or((address, ""));
                let name = addr.name.as_deref().map(|n| {
                    if n.is_ascii() {
                        n.to_owned()
                    } else {
                        format!(
                            "=?UTF-8?B?{}?=",
                            base64::engine::general_purpose::STANDARD.encode(n)
                        )
                    }
                });
                Some(format!(
                    "({} NIL {} {})",
                    nstring(name.as_deref()),
                    quoted(mailbox),
                    if host.is_empty() {
                        "NIL".into()
                    } else {
                        quoted(host)
                    }
                ))
            })
            .collect();
        (!list.is_empty()).then(|| format!("({})", list.join("")))
    };
    let (from, sender, reply_to, to, cc, bcc) = match &parsed {
        Some(m) => (
            addresses(m.from()),
            addresses(m.sender()),
            addresses(m.reply_to()),
            addresses(m.to()),
            addresses(m.cc()),
            addresses(m.bcc()),
        ),
        None => Default::default(),
    };
    let nil = || "NIL".to_owned();
    let sender = sender.or_else(|| from.clone());
    let reply_to = reply_to.or_else(|| from.clone());
    format!(
        "({} {} {} {} {} {} {} {} {} {})",
        nstring(first("date").as_deref()),
        nstring(first("subject").as_deref()),
        from.unwrap_or_else(nil),
        sender.unwrap_or_else(nil),
        reply_to.unwrap_or_else(nil),
        to.unwrap_or_else(nil),
        cc.unwrap_or_else(nil),
        bcc.unwrap_or_else(nil),
        nstring(first("in-reply-to").as_deref()),
        nstring(first("message-id").as_deref()),
    )
}

/// BODYSTRUCTURE (RFC 3501 §7.4.2), without the extension data.
fn body_structure(bytes: &[u8]) -> String {
    match mail_parser::MessageParser::default().parse(bytes) {
        Some(message) => part_structure(&message, 0, 0),
        None => "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)".into(),
    }
}

fn part_structure(message: &mail_parser::Message<'_>, id: usize, depth: usize) -> String {
    use mail_parser::MimeHeaders as _;
    let Some(part) = message.parts.get(id) else {
        return "NIL".into();
    };
    let upper = |s: &str| quoted(&s.to_ascii_uppercase());
    let (ctype, subtype) =
        part.content_type()
            .map_or(("text".to_owned(), "plain".to_owned()), |c| {
                (
                    c.ctype().to_owned(),
                    c.subtype().unwrap_or("plain").to_owned(),
                )
            });
    if let mail_parser::PartType::Multipart(children) = &part.body {
        if depth > 20 {
            return "NIL".into();
        }
        let inner: String = children
            .iter()
            .map(|&c| part_structure(message, c as usize, depth + 1))
            .collect();
        return format!("({inner} {})", upper(&subtype));
    }
    let params = part
        .content_type()
        .and_then(|c| c.attributes())
        .filter(|a| !a.is_empty())
        .map_or_else(
            || {
                if ctype.eq_ignore_ascii_case("text") {
                    "(\"CHARSET\" \"US-ASCII\")".to_owned()
                } else {
                    "NIL".to_owned()
                }
            },
            |attrs| {
                let list: Vec<String> = attrs
                    .iter()
                    .map(|a| format!("{} {}", upper(&a.name), quoted(&a.value)))
                    .collect();
                format!("({})", list.join(" "))
            },
        );
    let raw = message.raw_message.as_ref();
    let body = raw
        .get(part.offset_body as usize..(part.offset_end as usize).min(raw.len()))
        .unwrap_or_default();
    let encoding = part.content_transfer_encoding().unwrap_or("7bit");
    let mut s = format!(
        "({} {} {params} {} {} {} {}",
        upper(&ctype),
        upper(&subtype),
        nstring(part.content_id()),
        nstring(part.content_description()),
        upper(encoding),
        body.len()
    );
    if ctype.eq_ignore_ascii_case("text") {
        s.push_str(&format!(
            " {}",
            body.iter().filter(|&&b| b == b'\n').count()
        ));
    } else if ctype.eq_ignore_ascii_case("message") && subtype.eq_ignore_ascii_case("rfc822") {
        s.push_str(&format!(
            " {} {} {}",
            envelope(body),
            if depth > 20 {
                "NIL".into()
            } else {
                body_structure(body)
            },
            body.iter().filter(|&&b| b == b'\n').count()
        ));
    }
    s.push(')');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_wildcards_and_dates() {
        assert_eq!(literal_at_end(b"a LOGIN {5}\r\n"), Some((5, true)));
        assert_eq!(literal_at_end(b"a LOGIN {5+}\r\n"), Some((5, false)));
        assert_eq!(literal_at_end(b"a LOGIN x\r\n"), None);
        assert_eq!(literal_at_end(b"a {99999999999}\r\n"), None);
        assert!(wildcard_matches("*", "INBOX"));
        assert!(wildcard_matches("in%", "INBOX"));
        assert!(!wildcard_matches("Sent*", "INBOX"));
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_468_286);
        assert_eq!(internal_date(t), "05-Dec-2026 10:58:06 +0000");
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
        assert_eq!(quoted("张"), "{3}\r\n张");
    }
}
