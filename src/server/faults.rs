//! Staged faults for teaching: make the practice server fail on purpose, once or every time.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Greet with 421 (service not available) or 554 (no SMTP service here).
    Greeting(u16),
    /// Answer the next RCPT TO with 450, 550 or 452.
    Rcpt(u16),
    /// Refuse the message at its final dot: 552 (too big) or 554 (spam, as a filter does).
    Data(u16),
    /// Wait this many milliseconds before every reply.
    DelayMs(u64),
    /// Close the connection, without a reply, when this command arrives (SMTP or POP3 verb).
    DropAfter(String),
}

/// A fault and whether it stays after firing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub sticky: bool,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FaultKind::Greeting(c) => write!(f, "greet={c}"),
            FaultKind::Rcpt(c) => write!(f, "rcpt={c}"),
            FaultKind::Data(c) => write!(f, "data={c}"),
            FaultKind::DelayMs(ms) => write!(f, "delay={ms}"),
            FaultKind::DropAfter(v) => write!(f, "drop-after={v}"),
        }?;
        if self.sticky {
            write!(f, ":sticky")?;
        }
        Ok(())
    }
}

impl FromStr for Fault {
    type Err = String;

    /// `greet=421`, `greet=554`, `rcpt=450|550|452`, `data=552|554`, `delay=MS`,
    /// `drop-after=VERB`; add `:sticky` to keep it after it fires.
    fn from_str(s: &str) -> Result<Self, String> {
        let (spec, sticky) = match s.strip_suffix(":sticky") {
            Some(rest) => (rest, true),
            None => (s.strip_suffix(":once").unwrap_or(s), false),
        };
        let (key, value) = spec
            .split_once('=')
            .ok_or_else(|| format!("{s:?}: write a fault as name=value, e.g. rcpt=550"))?;
        let num = |allowed: &[u16]| -> Result<u16, String> {
            value
                .parse::<u16>()
                .ok()
                .filter(|c| allowed.contains(c))
                .ok_or_else(|| format!("{key} takes one of {allowed:?}, not {value:?}"))
        };
        let kind = match key {
            "greet" => FaultKind::Greeting(num(&[421, 554])?),
            "rcpt" => FaultKind::Rcpt(num(&[450, 550, 452])?),
            "data" => FaultKind::Data(num(&[552, 554])?),
            "delay" => FaultKind::DelayMs(
                value
                    .parse()
                    .ok()
                    .filter(|&ms: &u64| ms <= 60_000)
                    .ok_or_else(|| {
                        format!("delay takes milliseconds up to 60000, not {value:?}")
                    })?,
            ),
            "drop-after" if !value.trim().is_empty() => {
                FaultKind::DropAfter(value.trim().to_ascii_uppercase())
            }
            _ => {
                return Err(format!(
                    "unknown fault {key:?}: use greet, rcpt, data, delay or drop-after"
                ));
            }
        };
        Ok(Fault { kind, sticky })
    }
}

/// The faults staged on a running server, shared by all its sessions.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    staged: Arc<Mutex<Vec<Fault>>>,
}

impl Faults {
    pub fn stage(&self, fault: Fault) {
        self.lock().push(fault);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Removes one staged fault (the first equal to `fault`); false when it already fired.
    pub fn remove(&self, fault: &Fault) -> bool {
        let mut staged = self.lock();
        match staged.iter().position(|f| f == fault) {
            Some(i) => {
                staged.remove(i);
                true
            }
            None => false,
        }
    }

    pub fn list(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.staged.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fires the first fault that `pick` accepts; a one-shot fault is used up.
    fn fire<T>(&self, pick: impl Fn(&FaultKind) -> Option<T>) -> Option<T> {
        let mut staged = self.lock();
        let i = staged.iter().position(|f| pick(&f.kind).is_some())?;
        let out = pick(&staged[i].kind);
        if !staged[i].sticky {
            staged.remove(i);
        }
        out
    }

    pub fn greeting(&self) -> Option<u16> {
        self.fire(|k| match k {
            FaultKind::Greeting(c) => Some(*c),
            _ => None,
        })
    }

    pub fn rcpt(&self) -> Option<u16> {
        self.fire(|k| match k {
            FaultKind::Rcpt(c) => Some(*c),
            _ => None,
        })
    }

    /// The refusal staged for the next message's final dot.
    pub fn data(&self) -> Option<u16> {
        self.fire(|k| match k {
            FaultKind::Data(c) => Some(*c),
            _ => None,
        })
    }

    /// The reply delay; a delay fault applies to a whole session once it is read.
    pub fn delay_ms(&self) -> Option<u64> {
        self.fire(|k| match k {
            FaultKind::DelayMs(ms) => Some(*ms),
            _ => None,
        })
    }

    pub fn drop_after(&self, verb: &str) -> bool {
        self.fire(|k| match k {
            FaultKind::DropAfter(v) if v.eq_ignore_ascii_case(verb) => Some(()),
            _ => None,
        })
        .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_show() {
        for s in [
            "greet=421",
            "rcpt=550:sticky",
            "data=554",
            "data=552:sticky",
            "delay=250",
            "drop-after=DATA",
        ] {
            let f: Fault = s.parse().unwrap();
            assert_eq!(f.to_string(), s);
        }
        assert!("rcpt=200".parse::<Fault>().is_err());
        assert!("greet".parse::<Fault>().is_err());
        assert!("explode=1".parse::<Fault>().is_err());
        assert!("delay=999999".parse::<Fault>().is_err());
    }

    #[test]
    fn one_shot_and_sticky() {
        let f = Faults::default();
        f.stage("rcpt=450".parse().unwrap());
        f.stage("drop-after=quit:sticky".parse().unwrap());
        assert_eq!(f.greeting(), None);
        assert_eq!(f.rcpt(), Some(450));
        assert_eq!(f.rcpt(), None);
        assert!(!f.drop_after("DATA"));
        assert!(f.drop_after("QUIT"));
        assert!(f.drop_after("quit"));
        assert_eq!(f.list().len(), 1);
    }
}
