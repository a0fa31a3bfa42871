//! POP3 commands as typed values with their wire form (RFC 1939 §5–§7, RFC 2449 CAPA, RFC 2595 STLS).

use std::fmt;

use super::reply::Pop3Expect;

/// RFC 2449 §4: a command line is at most 255 octets, CRLF included.
pub const MAX_POP3_COMMAND: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pop3Kind {
    User,
    Pass,
    Apop,
    Stat,
    List,
    Uidl,
    Retr,
    Top,
    Dele,
    Noop,
    Rset,
    Quit,
    Capa,
    Stls,
}

impl Pop3Kind {
    pub const ALL: [Pop3Kind; 14] = [
        Self::User,
        Self::Pass,
        Self::Apop,
        Self::Stat,
        Self::List,
        Self::Uidl,
        Self::Retr,
        Self::Top,
        Self::Dele,
        Self::Noop,
        Self::Rset,
        Self::Quit,
        Self::Capa,
        Self::Stls,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::Pass => "PASS",
            Self::Apop => "APOP",
            Self::Stat => "STAT",
            Self::List => "LIST",
            Self::Uidl => "UIDL",
            Self::Retr => "RETR",
            Self::Top => "TOP",
            Self::Dele => "DELE",
            Self::Noop => "NOOP",
            Self::Rset => "RSET",
            Self::Quit => "QUIT",
            Self::Capa => "CAPA",
            Self::Stls => "STLS",
        }
    }
}

impl Pop3Kind {
    /// What a response to this command answers, in the knowledge's vocabulary.
    pub fn answers(self) -> crate::proto::vocab::Answers {
        use crate::proto::vocab::Answers as A;
        match self {
            Self::User => A::User,
            Self::Pass => A::Pass,
            Self::Apop => A::Apop,
            Self::Stat => A::Stat,
            Self::List => A::List,
            Self::Uidl => A::Uidl,
            Self::Retr => A::Retr,
            Self::Top => A::Top,
            Self::Dele => A::Dele,
            Self::Noop => A::Noop,
            Self::Rset => A::Rset,
            Self::Quit => A::Quit,
            Self::Capa => A::Capa,
            Self::Stls => A::Stls,
        }
    }

    /// The command a line starts with, from its first word alone: for a line whose arguments
    /// do not parse (`USER` with no name), so its response can still be explained.
    pub fn from_line(line: &str) -> Option<Self> {
        let verb = line.split_whitespace().next()?.to_ascii_uppercase();
        Self::ALL.into_iter().find(|k| k.label() == verb)
    }
}

impl fmt::Display for Pop3Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// `what` names the argument by its key in the translation tables (`what.user`).
pub enum Pop3CommandError {
    #[error("{}", self.words())]
    LineBreak { what: &'static str },
    #[error("{}", self.words())]
    Empty { what: &'static str },
    #[error("{}", self.words())]
    BadNumber { what: &'static str, value: String },
    #[error("{}", self.words())]
    TooLong { len: usize },
    #[error("{}", self.words())]
    Unknown(String),
}

impl Pop3CommandError {
    pub fn words(&self) -> crate::words::Words {
        use crate::words::Words;
        match self {
            Self::LineBreak { what } => Words::new("cmd.line_break").arg_key("what", what),
            Self::Empty { what } => Words::new("cmd.empty").arg_key("what", what),
            Self::BadNumber { what, value } => Words::new("cmd.bad_number")
                .arg_key("what", what)
                .arg("value", format!("{value:?}")),
            Self::TooLong { len } => Words::new("cmd.too_long_pop3").arg("len", len),
            Self::Unknown(line) => Words::new("cmd.unknown_pop3").arg(
                "line",
                super::line::escaped(super::secret::quoted(line).as_bytes()),
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3Command {
    User(String),
    Pass(String),
    /// `APOP name digest` (RFC 1939 §7): MD5 of the greeting's timestamp and the secret.
    Apop {
        name: String,
        digest: String,
    },
    Stat,
    List(Option<u32>),
    Uidl(Option<u32>),
    Retr(u32),
    Top {
        msg: u32,
        lines: u32,
    },
    Dele(u32),
    Noop,
    Rset,
    Quit,
    Capa,
    Stls,
}

fn text_arg(what: &'static str, s: &str) -> Result<String, Pop3CommandError> {
    if s.contains(['\r', '\n', '\0']) {
        return Err(Pop3CommandError::LineBreak { what });
    }
    let t = s.trim();
    if t.is_empty() {
        return Err(Pop3CommandError::Empty { what });
    }
    Ok(t.to_owned())
}

/// Parses a message number: 1 or more (RFC 1939 §5).
pub fn msg_number(what: &'static str, s: &str) -> Result<u32, Pop3CommandError> {
    match s.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(Pop3CommandError::BadNumber {
            what,
            value: s.trim().to_owned(),
        }),
    }
}

fn opt_number(what: &'static str, s: &str) -> Result<Option<u32>, Pop3CommandError> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        msg_number(what, s).map(Some)
    }
}

impl Pop3Command {
    pub fn user(name: &str) -> Result<Self, Pop3CommandError> {
        Ok(Self::User(text_arg("what.user", name)?))
    }

    /// PASS keeps inner and trailing spaces: RFC 1939 §7 lets a password contain them.
    pub fn pass(password: &str) -> Result<Self, Pop3CommandError> {
        if password.contains(['\r', '\n', '\0']) {
            return Err(Pop3CommandError::LineBreak {
                what: "what.password",
            });
        }
        if password.is_empty() {
            return Err(Pop3CommandError::Empty {
                what: "what.password",
            });
        }
        Ok(Self::Pass(password.to_owned()))
    }

    pub fn list(n: &str) -> Result<Self, Pop3CommandError> {
        Ok(Self::List(opt_number("what.list_number", n)?))
    }

    pub fn uidl(n: &str) -> Result<Self, Pop3CommandError> {
        Ok(Self::Uidl(opt_number("what.uidl_number", n)?))
    }

    pub fn retr(n: &str) -> Result<Self, Pop3CommandError> {
        Ok(Self::Retr(msg_number("what.retr_number", n)?))
    }

    pub fn dele(n: &str) -> Result<Self, Pop3CommandError> {
        Ok(Self::Dele(msg_number("what.dele_number", n)?))
    }

    pub fn top(n: &str, lines: &str) -> Result<Self, Pop3CommandError> {
        let lines = lines
            .trim()
            .parse::<u32>()
            .map_err(|_| Pop3CommandError::BadNumber {
                what: "what.top_lines",
                value: lines.trim().to_owned(),
            })?;
        Ok(Self::Top {
            msg: msg_number("what.top_number", n)?,
            lines,
        })
    }

    pub fn kind(&self) -> Pop3Kind {
        match self {
            Self::User(_) => Pop3Kind::User,
            Self::Pass(_) => Pop3Kind::Pass,
            Self::Apop { .. } => Pop3Kind::Apop,
            Self::Stat => Pop3Kind::Stat,
            Self::List(_) => Pop3Kind::List,
            Self::Uidl(_) => Pop3Kind::Uidl,
            Self::Retr(_) => Pop3Kind::Retr,
            Self::Top { .. } => Pop3Kind::Top,
            Self::Dele(_) => Pop3Kind::Dele,
            Self::Noop => Pop3Kind::Noop,
            Self::Rset => Pop3Kind::Rset,
            Self::Quit => Pop3Kind::Quit,
            Self::Capa => Pop3Kind::Capa,
            Self::Stls => Pop3Kind::Stls,
        }
    }

    /// Whether a `+OK` answer is followed by a dot-terminated body.
    pub fn expect(&self) -> Pop3Expect {
        match self {
            Self::List(None) | Self::Uidl(None) | Self::Retr(_) | Self::Top { .. } | Self::Capa => {
                Pop3Expect::MultiLine
            }
            _ => Pop3Expect::SingleLine,
        }
    }

    pub fn carries_secret(&self) -> bool {
        matches!(self, Self::Pass(_) | Self::Apop { .. })
    }

    pub fn line(&self) -> String {
        let opt = |verb: &str, n: &Option<u32>| match n {
            Some(n) => format!("{verb} {n}"),
            None => verb.to_owned(),
        };
        match self {
            Self::User(u) => format!("USER {u}"),
            Self::Pass(p) => format!("PASS {p}"),
            Self::Apop { name, digest } => format!("APOP {name} {digest}"),
            Self::Stat => "STAT".into(),
            Self::List(n) => opt("LIST", n),
            Self::Uidl(n) => opt("UIDL", n),
            Self::Retr(n) => format!("RETR {n}"),
            Self::Top { msg, lines } => format!("TOP {msg} {lines}"),
            Self::Dele(n) => format!("DELE {n}"),
            Self::Noop => "NOOP".into(),
            Self::Rset => "RSET".into(),
            Self::Quit => "QUIT".into(),
            Self::Capa => "CAPA".into(),
            Self::Stls => "STLS".into(),
        }
    }

    pub fn to_wire(&self) -> Result<Vec<u8>, Pop3CommandError> {
        let mut line = self.line().into_bytes();
        line.extend_from_slice(b"\r\n");
        if line.len() > MAX_POP3_COMMAND {
            return Err(Pop3CommandError::TooLong { len: line.len() });
        }
        Ok(line)
    }

    /// Parses a line a person typed; keywords are case-insensitive (RFC 1939 §3).
    pub fn parse(line: &str) -> Result<Self, Pop3CommandError> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.contains(['\r', '\n']) {
            return Err(Pop3CommandError::LineBreak {
                what: "what.command",
            });
        }
        let (verb, rest) = line
            .trim_start()
            .split_once(' ')
            .unwrap_or((line.trim(), ""));
        let mut args = rest.split_whitespace();
        let mut arg = || args.next().unwrap_or("");
        Ok(match verb.to_ascii_uppercase().as_str() {
            "USER" => Self::user(rest)?,
            "PASS" => Self::pass(rest)?,
            "APOP" => {
                let name = text_arg("what.apop_name", arg())?;
                let digest = text_arg("what.apop_digest", arg())?;
                Self::Apop { name, digest }
            }
            "STAT" => Self::Stat,
            "LIST" => Self::list(arg())?,
            "UIDL" => Self::uidl(arg())?,
            "RETR" => Self::retr(arg())?,
            "TOP" => {
                let n = arg();
                Self::top(n, arg())?
            }
            "DELE" => Self::dele(arg())?,
            "NOOP" => Self::Noop,
            "RSET" => Self::Rset,
            "QUIT" => Self::Quit,
            "CAPA" => Self::Capa,
            "STLS" => Self::Stls,
            _ => return Err(Pop3CommandError::Unknown(line.to_owned())),
        })
    }
}

impl fmt::Display for Pop3Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(c: Result<Pop3Command, Pop3CommandError>) -> String {
        c.and_then(|c| c.to_wire())
            .map(|w| String::from_utf8_lossy(&w).into_owned())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn wire_forms() {
        assert_eq!(
            wire(Pop3Command::user("student@mailtutor.test")),
            "USER student@mailtutor.test\r\n"
        );
        assert_eq!(wire(Pop3Command::pass("se cret ")), "PASS se cret \r\n");
        assert_eq!(wire(Pop3Command::list("")), "LIST\r\n");
        assert_eq!(wire(Pop3Command::list("2")), "LIST 2\r\n");
        assert_eq!(wire(Pop3Command::uidl(" ")), "UIDL\r\n");
        assert_eq!(wire(Pop3Command::retr("1")), "RETR 1\r\n");
        assert_eq!(wire(Pop3Command::top("1", "0")), "TOP 1 0\r\n");
        assert_eq!(wire(Pop3Command::dele("3")), "DELE 3\r\n");
        for (c, w) in [
            (Pop3Command::Stat, "STAT\r\n"),
            (Pop3Command::Noop, "NOOP\r\n"),
            (Pop3Command::Rset, "RSET\r\n"),
            (Pop3Command::Quit, "QUIT\r\n"),
            (Pop3Command::Capa, "CAPA\r\n"),
            (Pop3Command::Stls, "STLS\r\n"),
        ] {
            assert_eq!(wire(Ok(c)), w);
        }
        assert_eq!(
            wire(Ok(Pop3Command::Apop {
                name: "mrose".into(),
                digest: "c4c9334bac560ecc979e58001b3e22fb".into()
            })),
            "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"
        );
    }

    #[test]
    fn validation() {
        assert!(matches!(
            Pop3Command::retr("0"),
            Err(Pop3CommandError::BadNumber { .. })
        ));
        assert!(matches!(
            Pop3Command::retr("x"),
            Err(Pop3CommandError::BadNumber { .. })
        ));
        assert!(matches!(
            Pop3Command::top("1", "-1"),
            Err(Pop3CommandError::BadNumber { .. })
        ));
        assert!(matches!(
            Pop3Command::user("a\r\nDELE 1"),
            Err(Pop3CommandError::LineBreak { .. })
        ));
        assert!(matches!(
            Pop3Command::pass("x\nQUIT"),
            Err(Pop3CommandError::LineBreak { .. })
        ));
        assert!(matches!(
            Pop3Command::user(""),
            Err(Pop3CommandError::Empty { .. })
        ));
        assert!(matches!(
            Pop3Command::user(&"a".repeat(300)).and_then(|c| c.to_wire()),
            Err(Pop3CommandError::TooLong { .. })
        ));
    }

    #[test]
    fn parse_and_expect() {
        assert_eq!(
            Pop3Command::parse("retr 1").ok(),
            Some(Pop3Command::Retr(1))
        );
        assert_eq!(
            Pop3Command::parse("top 1 10\r\n").ok(),
            Some(Pop3Command::Top { msg: 1, lines: 10 })
        );
        assert_eq!(
            Pop3Command::parse("list").ok(),
            Some(Pop3Command::List(None))
        );
        assert_eq!(
            Pop3Command::parse("user ****").ok(),
            Some(Pop3Command::User("****".into()))
        );
        assert!(Pop3Command::parse("helo").is_err());
        assert_eq!(Pop3Command::List(None).expect(), Pop3Expect::MultiLine);
        assert_eq!(Pop3Command::List(Some(1)).expect(), Pop3Expect::SingleLine);
        assert_eq!(Pop3Command::Retr(1).expect(), Pop3Expect::MultiLine);
        assert_eq!(Pop3Command::Capa.expect(), Pop3Expect::MultiLine);
        assert_eq!(Pop3Command::Stat.expect(), Pop3Expect::SingleLine);
        assert!(Pop3Command::Pass("x".into()).carries_secret());
    }
}
