//! The one explanation of a reply: what it means, the cause its evidence gives, and what to
//! do — from the most specific source that has evidence. A situation whose text the reply
//! carries (a real server's words in context), else a topic its words name (SPF, greylisting,
//! a lockout …), else a topic its enhanced code names, else a situation that fits its command
//! and the session's state, else the code with its class and the server's words quoted. A
//! cause is stated only when the words, the codes or the session give it.

use super::codes;
use super::reply::EnhancedStatus;
use super::situations::{self, ReplyContext, ReplyFacts, Situation};
use super::topics::{self, Topic};
use super::vocab::{Answers, Protocol};
use super::{Lang, codes::labelled};
use crate::words::{tr, trf};

/// What the first digit (or the POP3 status and response code) says of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Success,
    /// 3xx, or POP3's `+` continuation: the server waits for more.
    Intermediate,
    /// 4xx, or a POP3 `-ERR` whose code or words say it passes.
    Temporary,
    /// 5xx, or POP3 `[SYS/PERM]`.
    Permanent,
    /// A POP3 `-ERR` that says nothing of whether it lasts.
    Failure,
}

impl Class {
    pub fn is_failure(self) -> bool {
        matches!(self, Class::Temporary | Class::Permanent | Class::Failure)
    }
}

/// Where the explanation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A situation of `assets/situations/`.
    Situation(&'static Situation),
    /// A topic read from the reply's words (`said`: the words it was read from), or
    /// (`from_code`) named by its enhanced code.
    Topic {
        topic: &'static Topic,
        from_code: Option<EnhancedStatus>,
        said: Option<&'static str>,
    },
    /// A cause the session itself shows (the client's line could not be read; the message
    /// number is not one the session has), where the words name none.
    Session(&'static Topic),
    /// A reply with no words: its code's standard meaning is all the server said (`502`).
    ReplyCode(&'static Topic),
    /// Only the code, its class and the server's own words.
    Code,
}

/// One reply, explained once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub source: Source,
    pub class: Class,
    pub protocol: Protocol,
    pub answers: Answers,
    /// The SMTP code; `None` for POP3.
    pub code: Option<u16>,
    /// An SMTP code no RFC defines (`526`): said so, and read by its first digit.
    pub nonstandard: bool,
    /// The server's own words (control characters removed, cut at a sentence's length), to
    /// quote where nothing more precise explains the reply.
    pub words: Box<str>,
}

impl PartialEq for Topic {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Topic {}

/// The longest quote of a server's words.
const QUOTE_CHARS: usize = 160;
/// The longest words of another language a note quotes whole as the cause's words.
const OTHER_LANGUAGE_QUOTE_CHARS: usize = 60;

impl Explanation {
    /// Explains a reply in its context.
    pub fn of(facts: &ReplyFacts<'_>, cx: &ReplyContext) -> Self {
        let (class, nonstandard) = classify(facts, cx);
        let found = situations::lookup(facts, cx);
        let source = choose(facts, cx, class, found);
        // A POP3 -ERR whose words say it passes ("try again later", "temporarily").
        let class = match class {
            Class::Failure if topics::says_passing(facts.text) => Class::Temporary,
            _ => class,
        };
        Self {
            source,
            class,
            protocol: cx.protocol,
            answers: cx.answers,
            code: facts.code,
            nonstandard,
            words: quote(facts),
        }
    }

    /// The situation this explanation comes from, if any.
    pub fn situation(&self) -> Option<&'static Situation> {
        match self.source {
            Source::Situation(s) => Some(s),
            _ => None,
        }
    }

    /// The topic (the cause) this explanation states: a topic's own, or a situation's.
    pub fn topic(&self) -> Option<&str> {
        match self.source {
            Source::Situation(s) => s.topic.as_deref(),
            Source::Topic { topic, .. } | Source::Session(topic) | Source::ReplyCode(topic) => {
                Some(topic.id.as_str())
            }
            Source::Code => None,
        }
    }

    /// The class in words, for a failure: temporary, permanent, or a code outside the standard.
    fn class_tag(&self, lang: Lang) -> Option<String> {
        let digit = self.code.map(|c| (c / 100).to_string()).unwrap_or_default();
        if self.nonstandard
            && let Some(code) = self.code
        {
            let key = match self.class {
                Class::Temporary => "rclass.nonstandard_temporary",
                Class::Permanent => "rclass.nonstandard_permanent",
                _ => "rclass.nonstandard",
            };
            return Some(trf(lang, key, &[("code", &code.to_string())]));
        }
        // A 5xx read by words that say it passes, or a 4xx by words that name a cause that
        // lasts, says both, so that neither hides the other.
        let says_passing = self.words_say_it_passes();
        let says_lasting = match self.source {
            Source::Topic { topic, .. } => !topic.lasting.is_empty(),
            _ => false,
        };
        let key = match (self.class, self.protocol) {
            (Class::Temporary, Protocol::Smtp) if says_lasting => "rclass.temporary_says_lasting",
            (Class::Temporary, Protocol::Smtp) => "rclass.temporary",
            (Class::Permanent, Protocol::Smtp) if self.server_fault().is_some() => {
                "rclass.permanent_says_server_fault"
            }
            (Class::Permanent, Protocol::Smtp) if says_passing => "rclass.permanent_says_passing",
            (Class::Permanent, Protocol::Smtp) => "rclass.permanent",
            (Class::Temporary, Protocol::Pop3) => "rclass.pop3_temporary",
            (Class::Permanent, Protocol::Pop3) => "rclass.pop3_permanent",
            // A bare -ERR says nothing of whether it lasts; its badge shows it.
            _ => return None,
        };
        Some(trf(lang, key, &[("digit", &digit)]))
    }

    /// What the reply means: its class, then the situation's meaning or what a refusal of
    /// this command is.
    pub fn meaning(&self, lang: Lang) -> String {
        let body = match self.source {
            Source::Situation(s) => s.meaning.get(lang).to_owned(),
            _ if self.class.is_failure() => tr(lang, head_key(self.protocol, self.answers)),
            // A success whose words say the command failed: the code is the server's mistake.
            Source::Topic { topic, .. } if !topic.in_success => trf(
                lang,
                "success.words_say_failed",
                &[(
                    "meaning",
                    self.code_meaning(lang).trim_end_matches(['.', '。']),
                )],
            ),
            _ => self.code_meaning(lang),
        };
        match self.class_tag(lang) {
            Some(tag) => format!("{tag}{}{body}", tr(lang, "label.sep")),
            None => body,
        }
    }

    fn code_meaning(&self, lang: Lang) -> String {
        let entry = match self.code {
            Some(c) => codes::smtp(c),
            None => codes::pop3(match self.class {
                Class::Intermediate => "+",
                Class::Success => "+OK",
                _ => "-ERR",
            }),
        };
        entry
            .map(|e| e.meaning.get(lang).to_owned())
            .unwrap_or_else(|| tr(lang, "label.unknown"))
    }

    /// For a 5xx: whether its cause passes though its code says it lasts, by the topic that
    /// read it or by the server's own words ("554 Rate limit exceeded. Try again in 37
    /// seconds"). The class tag then says both.
    pub fn words_say_it_passes(&self) -> bool {
        let topic_passes =
            matches!(self.source, Source::Topic { topic, .. } if topic.temporary_only);
        self.class == Class::Permanent && (topic_passes || topics::says_only_passing(&self.words))
    }

    /// For a 5xx read by a passing topic whose words do not say it passes but name the
    /// server's own failure ("554 Internal server error"): that topic's wording for it.
    fn server_fault(&self) -> Option<&'static topics::InPermanent> {
        match self.source {
            Source::Topic { topic, .. }
                if self.class == Class::Permanent
                    && topic.temporary_only
                    && !topics::says_passing(&self.words) =>
            {
                topic.in_permanent.as_ref()
            }
            _ => None,
        }
    }

    /// The topic's cause, worded for the request and the class.
    fn reason_of(&self, topic: &'static Topic, lang: Lang) -> &'static str {
        match self.server_fault() {
            Some(p) => p.reason.get(lang),
            None => topic.reason_for(self.answers, lang),
        }
    }

    /// The cause, when the evidence gives one: the situation's, the one the words or the
    /// enhanced code name, or else the server's own words quoted as its reason.
    pub fn cause(&self, lang: Lang) -> Option<String> {
        match self.source {
            Source::Situation(s) => Some(s.cause.get(lang).to_owned()),
            Source::Topic {
                topic,
                from_code: Some(es),
                ..
            } => Some(trf(
                lang,
                "why.code_says",
                &[
                    ("code", &es.to_string()),
                    ("reason", self.reason_of(topic, lang)),
                ],
            )),
            Source::Topic {
                topic,
                said: Some(said),
                ..
            } if topics::written_in(said, &self.words) => Some(trf(
                lang,
                "why.words_say",
                &[
                    ("said", &topics::as_quoted(said)),
                    ("reason", self.reason_of(topic, lang)),
                ],
            )),
            // Words of another language, read through the glossary: short ones are quoted
            // whole, since no English pattern is written in them.
            Source::Topic {
                topic,
                said: Some(_),
                ..
            } if self.words.chars().count() <= OTHER_LANGUAGE_QUOTE_CHARS
                && topics::read_from_other_language(&self.words) =>
            {
                Some(trf(
                    lang,
                    "why.words_say",
                    &[
                        ("said", &self.words),
                        ("reason", self.reason_of(topic, lang)),
                    ],
                ))
            }
            Source::Topic { topic, .. } => Some(trf(
                lang,
                "why.words_say_plain",
                &[("reason", self.reason_of(topic, lang))],
            )),
            Source::ReplyCode(topic) => Some(trf(
                lang,
                "why.reply_code_says",
                &[
                    ("code", &self.code.unwrap_or_default().to_string()),
                    ("reason", topic.reason_for(self.answers, lang)),
                ],
            )),
            Source::Session(topic) => Some(trf(
                lang,
                if self.words.is_empty() {
                    "why.session_shows"
                } else {
                    "why.session_shows_words"
                },
                &[
                    ("reason", topic.reason_for(self.answers, lang)),
                    ("words", &self.words),
                ],
            )),
            Source::Code if self.class.is_failure() && !self.words.is_empty() => {
                Some(trf(lang, "why.own_words", &[("words", &self.words)]))
            }
            Source::Code if self.class.is_failure() => Some(tr(lang, "why.no_words")),
            Source::Code => None,
        }
    }

    /// What to do now.
    pub fn next(&self, lang: Lang) -> String {
        let temporary = self.class == Class::Temporary;
        match self.source {
            Source::Situation(s) => s.next.get(lang).to_owned(),
            Source::Topic { .. } if let Some(p) = self.server_fault() => {
                p.next.get(lang).to_owned()
            }
            // A command the session shows out of its place: the step it needed first.
            Source::Session(topic) if let Some(key) = self.step_before(topic) => tr(lang, key),
            Source::Topic { topic, .. } | Source::Session(topic) | Source::ReplyCode(topic) => {
                topic.next_for(temporary, self.answers, lang).to_owned()
            }
            Source::Code => {
                let key = match self.class {
                    Class::Temporary => "why.next_temporary",
                    Class::Permanent => "why.next_permanent",
                    Class::Failure => "why.next_failure",
                    Class::Success | Class::Intermediate => {
                        let entry = match self.code {
                            Some(c) => codes::smtp(c),
                            None => codes::pop3(if self.class == Class::Success {
                                "+OK"
                            } else {
                                "+"
                            }),
                        };
                        return entry
                            .map(|e| e.next.get(lang).to_owned())
                            .unwrap_or_default();
                    }
                };
                tr(lang, key)
            }
        }
    }

    /// For a command the session showed out of its place (read as a command out of order),
    /// the message key of the step it needed first.
    fn step_before(&self, topic: &Topic) -> Option<&'static str> {
        if topic.id != "command-order" {
            return None;
        }
        Some(match self.answers {
            Answers::Mail => "why.next_order_hello",
            Answers::Rcpt => "why.next_order_mail",
            Answers::Data => "why.next_order_rcpt",
            a if a.is_mailbox_command() => "why.next_order_login",
            a if a.is_login() => "why.next_order_logged_in",
            _ => return None,
        })
    }

    /// The explanation as printed lines: meaning, then cause and next step, labelled.
    pub fn lines(&self, lang: Lang) -> Vec<String> {
        let mut out = vec![format!("» {}", self.meaning(lang))];
        if let Some(c) = self.cause(lang) {
            out.push(format!("  {}", labelled(lang, "cause", &c)));
        }
        let next = self.next(lang);
        if !next.is_empty() {
            out.push(format!("  {}", labelled(lang, "next", &next)));
        }
        out
    }

    /// The explanation as one line (the transcript's row wraps it, never cuts it).
    pub fn one_line(&self, lang: Lang) -> String {
        let mut s = self.meaning(lang);
        if let Some(c) = self.cause(lang) {
            s.push(' ');
            s.push_str(&labelled(lang, "cause", &c));
        }
        let next = self.next(lang);
        if !next.is_empty() {
            s.push(' ');
            s.push_str(&labelled(lang, "next", &next));
        }
        s
    }
}

/// The class a reply's code or status gives, and whether its code is outside the standard.
fn classify(facts: &ReplyFacts<'_>, cx: &ReplyContext) -> (Class, bool) {
    if let Some(code) = facts.code {
        let nonstandard = codes::smtp(code).is_none();
        let class = match code / 100 {
            2 => Class::Success,
            3 => Class::Intermediate,
            4 => Class::Temporary,
            5 => Class::Permanent,
            _ => Class::Failure,
        };
        return (class, nonstandard);
    }
    let _ = cx;
    let class = match facts.pop3_status {
        Some(s) if s.eq_ignore_ascii_case("+OK") => Class::Success,
        Some("+") => Class::Intermediate,
        _ => match facts.resp_code.map(str::to_ascii_uppercase).as_deref() {
            // RFC 2449 §8.1 and RFC 3206 §4: LOGIN-DELAY and SYS/TEMP pass; IN-USE only says
            // another session holds the maildrop, for as long as it does.
            Some("SYS/TEMP" | "LOGIN-DELAY") => Class::Temporary,
            Some("SYS/PERM") => Class::Permanent,
            _ => Class::Failure,
        },
    };
    (class, false)
}

/// The most specific source that has evidence (see the module's header).
fn choose(
    facts: &ReplyFacts<'_>,
    cx: &ReplyContext,
    class: Class,
    found: Option<(situations::Score, &'static Situation)>,
) -> Source {
    if !class.is_failure() {
        // A success whose words report a failure of what was asked ("250 Virus detected;
        // discarded", "221 Idle timeout"), unless a real server's phrase says it. Greetings
        // and capability lists are banners, not reports.
        if class == Class::Success
            && !matches!(
                cx.answers,
                Answers::Greeting | Answers::Ehlo | Answers::Helo | Answers::Capa
            )
            && !found.is_some_and(|(score, _)| score.said)
            && let Some(r) = topics::read_success(facts.text, cx)
                .or_else(|| topics::read_misused(facts.text, cx))
        {
            return Source::Topic {
                topic: r.topic,
                from_code: None,
                said: Some(r.said),
            };
        }
        return found.map_or(Source::Code, |(_, s)| Source::Situation(s));
    }
    if let Some((score, s)) = found
        && score.said
        && s.decisive
    {
        return Source::Situation(s);
    }
    let lasting = match class {
        Class::Temporary => Some(true),
        Class::Permanent => Some(false),
        _ => None,
    };
    let coded = facts.enhanced.and_then(|es| {
        codes::enhanced(es)
            .detail
            .filter(|e| e.scope.is_empty() || e.scope.contains(&cx.answers))
            .and_then(|e| e.topic.as_deref())
            .and_then(topics::by_id)
            .filter(|t| t.in_scope(cx) && !t.ruled_out_by(facts.text))
            .map(|t| (es, t))
    });
    // The reply code's own standard meaning, where that is a cause (503: bad sequence of
    // commands), settles between two readings of the words. It does not speak alone: servers
    // answer 500 for a refused attachment and 503 for an unknown recipient.
    let reply_coded = facts
        .code
        .and_then(codes::smtp)
        .and_then(|e| e.topic.as_deref())
        .filter(|id| topics::by_id(id).is_some_and(|t| t.in_scope(cx)));
    // A code that names no concrete cause does not settle between readings of the words.
    let coded_id = coded
        .filter(|(_, t)| !t.generic)
        .map(|(_, t)| t.id.as_str())
        .or(reply_coded);
    // Postfix names the check that refused, then the reason: "Sender address rejected:
    // Domain not found" is about the sender's domain, but "Sender address rejected: Service
    // temporarily not available" only says the check could not be done now — a 4xx whose
    // reason says it passes is read from the reason alone.
    let rejected = rejected_reason(facts.text);
    let reason = rejected
        .filter(|(_, r)| lasting == Some(true) && topics::says_passing(r))
        .and_then(|(_, r)| topics::read(r, cx, lasting, coded_id));
    let reading = reason
        .or_else(|| {
            let whole = topics::read(facts.text, cx, lasting, coded_id)?;
            // "Sender address rejected: Improper use of SMTP command pipelining": the check's
            // name only says which check refused; a concrete reason after it says why, and
            // after "Sender address rejected:" it speaks of the sender's address whatever the
            // command.
            let sender = cx.answering(Answers::Mail);
            if whole.topic.names_the_check
                && let Some(r) = rejected
                    .and_then(|(check, r)| {
                        let about_sender = check.to_ascii_lowercase().contains("sender");
                        topics::read(
                            r,
                            if about_sender { &sender } else { cx },
                            lasting,
                            coded_id,
                        )
                    })
                    .filter(|r| !r.topic.generic && r.topic.id != whole.topic.id)
            {
                return Some(r);
            }
            Some(whole)
        })
        .map(|r| match r.topic.under_policy(facts.text, facts.enhanced) {
            Some(topic) => topics::Reading { topic, ..r },
            None => r,
        });
    let words = reading.map(|r| r.topic);
    // The enhanced code names a concrete cause (5.1.1: no such mailbox).
    let coded_cause = coded.is_some_and(|(_, t)| !t.generic);
    let names = |s: &Situation, t: &Topic| s.topic.as_deref() == Some(t.id.as_str());
    // A situation whose cause these words rule out (a "timeout" that is a name server's, a
    // "mailbox full" that throttles the sender), or that speaks of a recipient where the reply
    // answers MAIL FROM, or of a refused password where the session sent none, does not speak
    // for them.
    let found = found.filter(|(_, s)| {
        !s.topic.as_deref().and_then(topics::by_id).is_some_and(|t| {
            !t.generic && t.ruled_out_by(facts.text)
                || t.as_sender(cx, facts.text).is_some()
                || t.without_login(cx, &facts.text.to_lowercase()).is_some()
        })
    });
    // A server that adds its own reason after a known phrase ("authentication failed: this
    // user has no access to the service") gives the cause in those added words, when they
    // name one the entry's own examples never do.
    if let Some((score, s)) = found
        && score.said
        && let Some(r) = topics::read(&s.added_clause(facts.text), cx, lasting, None)
        && !r.topic.generic
        && !names(s, r.topic)
        && !s.examples.iter().any(|e| topics::names(e, &r.topic.id))
    {
        return Source::Topic {
            topic: r.topic,
            from_code: None,
            said: Some(r.said),
        };
    }
    // A real server's phrase, unless the words name another cause more fully, or name a
    // concrete cause where the phrase names only a generic one ("try again later"), or name
    // the cause the enhanced code names too; a generic phrase gives way to an enhanced code
    // that names a cause.
    if let Some((score, s)) = found
        && score.said
        && !(names_generic_cause(s) && words.is_none_or(|t| t.generic) && coded_cause)
        && !reading.is_some_and(|r| {
            !r.topic.generic
                && !names(s, r.topic)
                && (r.weight > score.phrase_chars
                    || names_generic_cause(s)
                    || coded.is_some_and(|(_, t)| t.id == r.topic.id))
        })
    {
        return Source::Situation(s);
    }
    // A situation naming the cause the words (or, when they name none, the enhanced code)
    // name says it for this command and state.
    if let Some((_, s)) = found
        && (words.is_some_and(|t| names(s, t) && !(t.generic && coded_cause))
            || coded.is_some_and(|(_, t)| !t.generic && names(s, t))
                && words.is_none_or(|t| t.generic))
    {
        return Source::Situation(s);
    }
    // The cause the session itself shows: the command as sent could not be read ("PASS" with
    // no password), or names a message the session does not have. A reply code whose own
    // meaning names another cause (502: not implemented) speaks against it; 500's "syntax
    // error, command unrecognized" does not, where the tutor knows the command word.
    let shown = topics::shown_by_session(cx).filter(|t| {
        reply_coded.is_none_or(|id| {
            id == t.id || id == "unknown-command" && cx.answers != Answers::Unknown
        })
    });
    // Words that only tell what became of the command (out of order, not recognised) say
    // less than the session, which shows why.
    if let Some(t) = shown
        && reading.is_some_and(|r| r.topic.rank < 2 && !r.topic.generic)
    {
        return Source::Session(t);
    }
    // Words that say the server's own machinery failed outweigh a code's cause as well.
    if let Some(r) = reading.filter(|r| !r.topic.generic || r.prevails) {
        let t = r.topic;
        // A situation the session's state singles out says more than a topic that only tells
        // what became of the command.
        if let Some((score, s)) = found
            && score.state > 0
            && t.rank < 2
            && s.topic.is_some()
        {
            return Source::Situation(s);
        }
        if r.by_session {
            return Source::Session(t);
        }
        return Source::Topic {
            topic: t,
            from_code: None,
            said: Some(r.said),
        };
    }
    // A code that names no concrete cause (X.7.1: refused by a rule) speaks only where the
    // words name none at all and no situation that fits the command and state names one.
    if let Some((es, t)) = coded
        && !(t.generic
            && (reading.is_some() || fitting(found, facts).is_some_and(|(_, s)| s.topic.is_some())))
    {
        return Source::Topic {
            topic: t,
            from_code: Some(es),
            said: None,
        };
    }
    // Where the words name no cause, the session's speaks, unless they say the fault passes
    // or lies on the server's side ("try again later").
    if let Some(t) = shown
        && reading.is_none_or(|r| !r.topic.temporary_only)
    {
        return Source::Session(t);
    }
    // A reply with no words at all says only what its code's standard meaning says.
    if quote(facts).is_empty()
        && let Some(t) = reply_coded.and_then(topics::by_id)
    {
        return Source::ReplyCode(t);
    }
    // A situation that fits the command and state and names a concrete cause; then the
    // words' generic reading; then a situation that names none.
    // A situation that fits only the code and the command (no words, no enhanced or response
    // code, no state of the session) and names a cause speaks for the reply only where its
    // words say nothing else: "501 Unauthorized domain" after MAIL FROM is not an address
    // written wrongly.
    let found = fitting(found, facts);
    if let Some((_, s)) = found
        && names_concrete_cause(s)
    {
        return Source::Situation(s);
    }
    match (reading, found) {
        (Some(r), _) if r.by_session => Source::Session(r.topic),
        (Some(r), _) => Source::Topic {
            topic: r.topic,
            from_code: None,
            said: Some(r.said),
        },
        (None, Some((_, s))) => Source::Situation(s),
        (None, None) => Source::Code,
    }
}

/// The situation found, unless it fits only the code and the command and names a cause the
/// reply's words add to.
fn fitting<'a>(
    found: Option<(situations::Score, &'a Situation)>,
    facts: &ReplyFacts<'_>,
) -> Option<(situations::Score, &'a Situation)> {
    found.filter(|(sc, s)| {
        sc.said
            || s.topic.is_none()
            || sc.words > 0
            || sc.state > 0
            || words_add_nothing(facts.text, s, facts.code.and_then(codes::smtp))
    })
}

/// Words that name no cause of their own: what any refusal says ("error", "denied", "sorry"),
/// the words of the commands and the sentence's small words.
const EMPTY_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "of",
    "for",
    "to",
    "in",
    "on",
    "at",
    "by",
    "with",
    "from",
    "and",
    "or",
    "is",
    "are",
    "was",
    "be",
    "been",
    "it",
    "this",
    "that",
    "you",
    "your",
    "i",
    "we",
    "me",
    "my",
    "our",
    "not",
    "no",
    "can",
    "cannot",
    "can't",
    "could",
    "couldn't",
    "can`t",
    "do",
    "don't",
    "does",
    "did",
    "has",
    "have",
    "had",
    "please",
    "sorry",
    "error",
    "errors",
    "failed",
    "failure",
    "fail",
    "fails",
    "denied",
    "rejected",
    "refused",
    "reject",
    "deny",
    "refuse",
    "ok",
    "bad",
    "invalid",
    "illegal",
    "wrong",
    "unknown",
    "command",
    "commands",
    "cmd",
    "request",
    "requested",
    "action",
    "taken",
    "here",
    "now",
    "server",
    "service",
    "mail",
    "from",
    "rcpt",
    "data",
    "helo",
    "ehlo",
    "auth",
    "user",
    "pass",
    "quit",
    "rset",
    "stat",
    "list",
    "retr",
    "dele",
    "top",
    "uidl",
    "apop",
    "noop",
    "capa",
    "stls",
    "starttls",
    "smtp",
    "esmtp",
    "pop",
    "pop3",
    "err",
    "message",
    "msg",
    "try",
    "again",
    "sent",
    // What a refusal is about, not why: the things a command names.
    "address",
    "addresses",
    "recipient",
    "recipients",
    "sender",
    "domain",
    "name",
    "mailbox",
    "host",
    "hostname",
    "login",
    "password",
    "username",
    "account",
    "email",
    "e",
    "messages",
    "path",
    "line",
    "argument",
    "arguments",
    "parameter",
    "parameters",
    "syntax",
    "must",
    "should",
    "contain",
    "contains",
    "required",
    "requires",
    "need",
    "needs",
    "first",
    "before",
    "after",
    "valid",
    "given",
    "specified",
    "use",
    "using",
    "only",
    "all",
    "any",
    "there",
    "what",
    "which",
    "will",
    "would",
    "as",
    "so",
    "but",
    "if",
    "then",
    "than",
    "too",
];

/// Whether the reply's words add nothing to what its code and command say: each word of it
/// is a word of the situation's own examples, of the code's standard text, or a word that
/// names no cause. A situation that
/// fits only the code, the command and the state speaks for a reply only then; words that
/// say something else ("501 Unauthorized domain") are the server's reason, and are quoted.
fn words_add_nothing(text: &str, s: &Situation, code: Option<&codes::CodeEntry>) -> bool {
    // The code's standard wording ("550 Requested action not taken: mailbox unavailable")
    // adds nothing either.
    let standard = code.map(|e| e.meaning.get(Lang::En)).unwrap_or_default();
    let known: String = format!("{} {standard}", s.examples.join(" ")).to_lowercase();
    let known_words: Vec<&str> = known
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let lower = text.to_lowercase();
    for token in lower.split_whitespace() {
        // A host name, an address, a code or a number says nothing of the cause.
        if token.contains('@')
            || token.chars().any(|c| c.is_ascii_digit())
            || token
                .trim_matches(|c: char| !c.is_alphanumeric())
                .contains('.')
        {
            continue;
        }
        for w in token.split(|c: char| !c.is_alphanumeric() && c != '\'') {
            let w = w.trim_matches('\'');
            if w.is_empty() || w.chars().count() < 2 && w.is_ascii() {
                continue;
            }
            if !w.is_ascii() {
                // Chinese words: the examples must hold them.
                if !known.contains(w) {
                    return false;
                }
                continue;
            }
            if !EMPTY_WORDS.contains(&w) && !known_words.contains(&w) {
                return false;
            }
        }
    }
    true
}

/// Whether a situation's topic is a generic one (a policy, "try again later").
fn names_generic_cause(s: &Situation) -> bool {
    s.topic
        .as_deref()
        .and_then(topics::by_id)
        .is_some_and(|t| t.generic)
}

/// Whether a situation states a concrete cause (its topic is not a generic one).
fn names_concrete_cause(s: &Situation) -> bool {
    s.topic
        .as_deref()
        .and_then(topics::by_id)
        .is_some_and(|t| !t.generic)
}

/// The server's words without the code, the enhanced code and control characters, cut to a
/// sentence's length.
fn quote(facts: &ReplyFacts<'_>) -> Box<str> {
    let mut words = String::new();
    for line in facts.text.lines() {
        let mut l = line.trim();
        if let Some(first) = l.split_whitespace().next()
            && EnhancedStatus::parse(first.trim_start_matches('#')).is_some()
        {
            l = l[first.len()..].trim_start();
        }
        if l.is_empty() {
            continue;
        }
        if !words.is_empty() {
            words.push(' ');
        }
        words.push_str(l);
        if words.chars().count() > QUOTE_CHARS {
            break;
        }
    }
    let clean: String = words
        .chars()
        .map(|c| {
            if c.is_control()
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
            {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut out: String = clean.chars().take(QUOTE_CHARS).collect();
    if clean.chars().count() > QUOTE_CHARS {
        out.push('…');
    }
    out.into_boxed_str()
}

/// The key of the sentence that says what a refusal of this request is.
fn head_key(protocol: Protocol, answers: Answers) -> &'static str {
    use Answers as A;
    match protocol {
        Protocol::Smtp => match answers {
            A::Greeting => "head.smtp.greeting",
            A::Ehlo | A::Helo => "head.smtp.hello",
            A::StartTls => "head.smtp.starttls",
            A::Auth | A::AuthData => "head.smtp.auth",
            A::Mail => "head.smtp.mail",
            A::Rcpt => "head.smtp.rcpt",
            A::Data => "head.smtp.data",
            A::Dot | A::Bdat => "head.smtp.dot",
            A::Quit => "head.smtp.quit",
            A::None => "head.smtp.unasked",
            _ => "head.smtp.other",
        },
        Protocol::Pop3 => match answers {
            A::Greeting => "head.pop3.greeting",
            A::User => "head.pop3.user",
            A::Pass | A::Apop | A::Auth | A::AuthData => "head.pop3.pass",
            A::Stat | A::List | A::Uidl => "head.pop3.list",
            A::Retr | A::Top | A::Dele => "head.pop3.message",
            A::Stls => "head.pop3.stls",
            A::Quit => "head.pop3.quit",
            A::None => "head.pop3.unasked",
            _ => "head.pop3.other",
        },
        // IMAP responses are explained by `proto::imap::knowledge`, never through this table.
        Protocol::Imap => "head.smtp.other",
    }
}

/// Every key [`head_key`] can name (the table test checks each has both languages).
pub const HEAD_KEYS: [&str; 20] = [
    "head.smtp.greeting",
    "head.smtp.hello",
    "head.smtp.starttls",
    "head.smtp.auth",
    "head.smtp.mail",
    "head.smtp.rcpt",
    "head.smtp.data",
    "head.smtp.dot",
    "head.smtp.quit",
    "head.smtp.unasked",
    "head.smtp.other",
    "head.pop3.greeting",
    "head.pop3.user",
    "head.pop3.pass",
    "head.pop3.list",
    "head.pop3.message",
    "head.pop3.stls",
    "head.pop3.quit",
    "head.pop3.unasked",
    "head.pop3.other",
];
/// The reason after a check's name in Postfix's form `<address>: Sender address rejected:
/// <reason>` (also `Client host rejected:`, `Helo command rejected:`, `End-of-data
/// rejected:`): the check's name is a few words before ` rejected: `. Gives the check's name
/// and the reason.
fn rejected_reason(text: &str) -> Option<(&str, &str)> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(" rejected: ")?;
    let label = text[..at].rsplit(':').next().unwrap_or("");
    let words = label.split_whitespace().count();
    let reason = text[at + " rejected: ".len()..].trim();
    ((1..=3).contains(&words) && !reason.is_empty()).then_some((label, reason))
}
