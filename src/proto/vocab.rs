//! The typed words the knowledge shares with the session, the lessons and the data files: the
//! protocol, what a reply answers and the session-state flags. Each is read from the TOML by
//! serde, so a misspelt name in a data file fails when the file is read, with the file and line.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// The mail protocol a session, a reply or a knowledge entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Protocol {
    #[serde(alias = "smtp")]
    Smtp,
    #[serde(alias = "pop3")]
    Pop3,
    #[serde(alias = "imap")]
    Imap,
}

/// What a reply answers: the first reply of a connection, the request it answers by its verb,
/// a base64 line answering a challenge, the end of a message, a line the tutor could not read,
/// or nothing at all (a reply nobody asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Answers {
    Greeting,
    None,
    Unknown,
    /// A base64 line answering a 334 challenge.
    AuthData,
    /// The line with one dot that ends a message.
    Dot,
    Ehlo,
    Helo,
    #[serde(rename = "STARTTLS")]
    StartTls,
    Auth,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Vrfy,
    Expn,
    Help,
    Quit,
    User,
    Pass,
    Apop,
    Stat,
    List,
    Uidl,
    Retr,
    Top,
    Dele,
    Capa,
    Stls,
}

impl Answers {
    pub const ALL: [Answers; 30] = [
        Self::Greeting,
        Self::None,
        Self::Unknown,
        Self::AuthData,
        Self::Dot,
        Self::Ehlo,
        Self::Helo,
        Self::StartTls,
        Self::Auth,
        Self::Mail,
        Self::Rcpt,
        Self::Data,
        Self::Bdat,
        Self::Rset,
        Self::Noop,
        Self::Vrfy,
        Self::Expn,
        Self::Help,
        Self::Quit,
        Self::User,
        Self::Pass,
        Self::Apop,
        Self::Stat,
        Self::List,
        Self::Uidl,
        Self::Retr,
        Self::Top,
        Self::Dele,
        Self::Capa,
        Self::Stls,
    ];

    /// A POP3 command that reads or marks the mailbox: it works only after the login.
    pub fn is_mailbox_command(self) -> bool {
        matches!(
            self,
            Self::Stat | Self::List | Self::Uidl | Self::Retr | Self::Top | Self::Dele
        )
    }

    /// An SMTP command of the mail transaction (MAIL FROM, RCPT TO, DATA or BDAT, the message).
    pub fn is_mail_command(self) -> bool {
        matches!(
            self,
            Self::Mail | Self::Rcpt | Self::Data | Self::Dot | Self::Bdat
        )
    }

    /// A command that logs in (USER, PASS, APOP, AUTH).
    pub fn is_login(self) -> bool {
        matches!(self, Self::User | Self::Pass | Self::Apop | Self::Auth)
    }

    /// The name the data files use (`GREETING`, `AUTH-DATA`, `RCPT` …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Greeting => "GREETING",
            Self::None => "NONE",
            Self::Unknown => "UNKNOWN",
            Self::AuthData => "AUTH-DATA",
            Self::Dot => "DOT",
            Self::Ehlo => "EHLO",
            Self::Helo => "HELO",
            Self::StartTls => "STARTTLS",
            Self::Auth => "AUTH",
            Self::Mail => "MAIL",
            Self::Rcpt => "RCPT",
            Self::Data => "DATA",
            Self::Bdat => "BDAT",
            Self::Rset => "RSET",
            Self::Noop => "NOOP",
            Self::Vrfy => "VRFY",
            Self::Expn => "EXPN",
            Self::Help => "HELP",
            Self::Quit => "QUIT",
            Self::User => "USER",
            Self::Pass => "PASS",
            Self::Apop => "APOP",
            Self::Stat => "STAT",
            Self::List => "LIST",
            Self::Uidl => "UIDL",
            Self::Retr => "RETR",
            Self::Top => "TOP",
            Self::Dele => "DELE",
            Self::Capa => "CAPA",
            Self::Stls => "STLS",
        }
    }

    /// The value of a command word as servers log it (`MAIL`, `RETR`); `None` for a word that
    /// names no request.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Answers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fact about the session when a reply came, one bit each in a reply's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    Tls,
    StarttlsOffered,
    AuthOffered,
    Hello,
    Ehlo,
    Authenticated,
    Mail,
    Rcpt,
    /// The line the reply answers could not be read as a command.
    Malformed,
    /// POP3's AUTHORIZATION, TRANSACTION and UPDATE states.
    Authorization,
    Transaction,
    Update,
    /// POP3: a USER was accepted and PASS is expected.
    UserAccepted,
    /// POP3: the command names a message this session does not have (0, above the highest
    /// number STAT counted, or one marked with DELE).
    NoSuchNumber,
    /// POP3: the command is LIST or UIDL without a number, asking about the whole mailbox.
    Unnumbered,
    /// SMTP: the server's greeting was read, so the transcript shows the session from its
    /// start (a pasted middle leaves out the commands before it).
    Greeted,
    /// SMTP: the client sent AUTH (whatever its mechanism or outcome) in this session.
    AuthTried,
}

impl Flag {
    pub const ALL: [Flag; 17] = [
        Self::Tls,
        Self::StarttlsOffered,
        Self::AuthOffered,
        Self::Hello,
        Self::Ehlo,
        Self::Authenticated,
        Self::Mail,
        Self::Rcpt,
        Self::Malformed,
        Self::Authorization,
        Self::Transaction,
        Self::Update,
        Self::UserAccepted,
        Self::NoSuchNumber,
        Self::Unnumbered,
        Self::Greeted,
        Self::AuthTried,
    ];

    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The name the data files use (`starttls-offered`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Tls => "tls",
            Self::StarttlsOffered => "starttls-offered",
            Self::AuthOffered => "auth-offered",
            Self::Hello => "hello",
            Self::Ehlo => "ehlo",
            Self::Authenticated => "authenticated",
            Self::Mail => "mail",
            Self::Rcpt => "rcpt",
            Self::Malformed => "malformed",
            Self::Authorization => "authorization",
            Self::Transaction => "transaction",
            Self::Update => "update",
            Self::UserAccepted => "user-accepted",
            Self::NoSuchNumber => "no-such-number",
            Self::Unnumbered => "unnumbered",
            Self::Greeted => "greeted",
            Self::AuthTried => "auth-tried",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A condition on the session state: a flag that must hold, or with `!` before it, must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cond {
    pub flag: Flag,
    pub holds: bool,
}

impl<'de> Deserialize<'de> for Cond {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let (holds, name) = match s.strip_prefix('!') {
            Some(rest) => (false, rest),
            None => (true, s.as_str()),
        };
        let flag = Flag::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Flag::ALL.iter().map(|f| f.name()).collect();
            serde::de::Error::custom(format!(
                "unknown state flag {name:?} (known: {})",
                known.join(", ")
            ))
        })?;
        Ok(Self { flag, holds })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct T {
        after: Vec<Answers>,
        when: Vec<Cond>,
        protocol: Protocol,
    }

    #[test]
    fn names_read_from_toml_and_a_typo_names_its_line() {
        let t: T = toml::from_str(
            "protocol = \"smtp\"\nafter = [\"AUTH-DATA\", \"STARTTLS\", \"RCPT\"]\nwhen = [\"!tls\", \"starttls-offered\"]",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            t.after,
            [Answers::AuthData, Answers::StartTls, Answers::Rcpt]
        );
        assert_eq!(t.protocol, Protocol::Smtp);
        assert_eq!(
            t.when,
            [
                Cond {
                    flag: Flag::Tls,
                    holds: false
                },
                Cond {
                    flag: Flag::StarttlsOffered,
                    holds: true
                }
            ]
        );
        let err = toml::from_str::<T>("protocol = \"smtp\"\nafter = []\nwhen = [\"authenticatd\"]")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("authenticatd"), "{err}");
        let err = toml::from_str::<T>("protocol = \"smtp\"\nafter = [\"RCTP\"]\nwhen = []")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("line 2") && err.contains("RCTP"), "{err}");
        for a in Answers::ALL {
            assert_eq!(Answers::from_name(a.name()), Some(a));
        }
        for f in Flag::ALL {
            assert_eq!(Flag::from_name(f.name()), Some(f));
        }
    }
}
