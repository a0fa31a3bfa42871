//! What is secret on the wire, decided in one place. The window's transcript and exports, the
//! network thread's messages and the practice server's log all ask here, so a password can
//! not be masked in one of them and shown in another.

use super::auth::{MASK, PromptKind};

/// Whether a client line carries a password or something made from one: `PASS …`, `APOP …`,
/// `AUTH <mechanism> <initial response>`, or any answer to a password prompt (`334
/// UGFzc3dvcmQ6`, or the empty prompt of AUTH PLAIN). `answering` is the AUTH prompt the line
/// answers, if the server just asked one.
pub fn is_secret(line: &str, answering: Option<PromptKind>) -> bool {
    if let Some(kind) = answering {
        return matches!(kind, PromptKind::Password | PromptKind::Empty);
    }
    let mut words = line.split_ascii_whitespace();
    let verb = words.next().unwrap_or("");
    if verb.eq_ignore_ascii_case("PASS") || verb.eq_ignore_ascii_case("APOP") {
        return true;
    }
    // AUTH with an initial response: the third word.
    (verb.eq_ignore_ascii_case("AUTH") && words.nth(1).is_some()) || stray_auth_answer(line)
}

/// A line that is one base64 token of a password's length, with the marks base64 gives it (a
/// digit, `+`, `/` or `=`): an AUTH answer sent where no prompt is open (after a refused AUTH
/// LOGIN a client still sends its two lines). No command looks like this; a mistyped verb is
/// too short or has no such marks.
fn stray_auth_answer(line: &str) -> bool {
    let t = line.trim_end_matches(['\r', '\n']);
    let marked = t.chars().any(|c| c.is_ascii_digit() || "+/=".contains(c));
    t.len() >= 8 && t.len().is_multiple_of(4) && marked && super::auth::decode(t).is_ok()
}

/// A line the tutor could not read, as an error message may quote it: masked when it is, or
/// may be, a secret.
pub fn quoted(line: &str) -> String {
    if is_secret(line, None) {
        mask(line)
    } else {
        line.to_owned()
    }
}

/// A secret line as it may be shown: the verb stays so the reader sees what was done.
/// `PASS secret` → `PASS ********`, `AUTH PLAIN AHN0…` → `AUTH PLAIN ********`,
/// `APOP user digest` → `APOP user ********`, a bare base64 answer → `********`.
pub fn mask(line: &str) -> String {
    let line = line.trim_end_matches(['\r', '\n']);
    let words: Vec<&str> = line.split_ascii_whitespace().collect();
    let verb = words.first().copied().unwrap_or("");
    let keep = if verb.eq_ignore_ascii_case("PASS") {
        1
    } else if verb.eq_ignore_ascii_case("AUTH") || verb.eq_ignore_ascii_case("APOP") {
        2
    } else {
        0
    };
    if keep == 0 || words.len() <= keep {
        return MASK.to_owned();
    }
    format!("{} {MASK}", words[..keep].join(" "))
}

/// The line as shown: masked when secret.
pub fn shown(line: &str, answering: Option<PromptKind>) -> String {
    if is_secret(line, answering) {
        mask(line)
    } else {
        line.trim_end_matches(['\r', '\n']).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_their_masks() {
        for (line, answering, want) in [
            ("PASS hunter2", None, "PASS ********"),
            ("pass hunter2", None, "pass ********"),
            (
                "APOP mrose c4c9334bac560ecc979e58001b3e22fb",
                None,
                "APOP mrose ********",
            ),
            (
                "AUTH PLAIN AHN0dWRlbnQAc2VjcmV0",
                None,
                "AUTH PLAIN ********",
            ),
            ("auth login dXNlcg==", None, "auth login ********"),
            ("c2VjcmV0", Some(PromptKind::Password), "********"),
            ("AHN0dWRlbnQAc2VjcmV0", Some(PromptKind::Empty), "********"),
            // An AUTH answer sent where no prompt is open (after a refused AUTH LOGIN).
            ("VHE3LXplYnJhLUxhbnRlcm4=", None, "********"),
            ("c2VjcmV0", None, "********"),
        ] {
            assert!(is_secret(line, answering), "{line}");
            assert_eq!(shown(line, answering), want);
        }
        for (line, answering) in [
            ("AUTH LOGIN", None),
            ("AUTH PLAIN", None),
            ("EHLO pass", None),
            ("USER student", None),
            ("c3R1ZGVudA==", Some(PromptKind::Username)),
            ("MAIL FROM:<pass@x.test>", None),
            // Mistyped verbs are not taken for base64.
            ("HLEO", None),
            ("MAILFROM", None),
            ("STARTTLs", None),
            ("QUIT1", None),
        ] {
            assert!(!is_secret(line, answering), "{line}");
            assert_eq!(shown(line, answering), line);
        }
    }
}
