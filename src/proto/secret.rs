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
    if imap_secret_words(line).is_some() {
        return true;
    }
    // AUTH with an initial response: the third word.
    (verb.eq_ignore_ascii_case("AUTH") && words.nth(1).is_some()) || stray_auth_answer(line)
}

/// IMAP's `tag LOGIN user password` and `tag AUTHENTICATE mechanism initial-response`: the
/// words shown before the secret (the tag, the verb and the user name or mechanism).
/// The same typed without the tag (`LOGIN user password`) is as secret: the words before it
/// are one fewer.
fn imap_secret_words(line: &str) -> Option<usize> {
    let words: Vec<&str> = line.split_ascii_whitespace().collect();
    let login =
        |w: &&str| w.eq_ignore_ascii_case("LOGIN") || w.eq_ignore_ascii_case("AUTHENTICATE");
    match (words.first(), words.get(1)) {
        (_, Some(verb)) if login(verb) && words.len() >= 4 => Some(3),
        (Some(verb), _) if login(verb) && words.len() >= 3 => Some(2),
        _ => None,
    }
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
    if let Some(keep) = imap_secret_words(line) {
        return format!("{} {MASK}", words[..keep].join(" "));
    }
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

/// A line that is not part of the session (a tool's chatter, a pasted setting, a command line)
/// with the values of its password settings masked: `password=hunter2`, `'mail_password':
/// 'x'`, `{pass=x, user=y}`, `--pass x`, `$mail->Password = 'x';`, `smtp://user:x@host`,
/// `.login("user", "x")`, 密码：x. A value that hides itself already (`<non-null>`, `***`)
/// is kept, so is a key with no value after it (prose that speaks of a password).
pub fn mask_settings(line: &str) -> std::borrow::Cow<'_, str> {
    let mut spans = secret_spans(line);
    if spans.is_empty() {
        return std::borrow::Cow::Borrowed(line);
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    for (start, end) in spans {
        if start < at {
            continue;
        }
        out.push_str(&line[at..start]);
        out.push_str(MASK);
        at = end;
    }
    out.push_str(&line[at..]);
    std::borrow::Cow::Owned(out)
}

/// The values `line` gives to password settings ([`mask_settings`] masks them): a log that
/// names a password once may print the same string again under a name that says nothing
/// (`s = [hunter2]`), and it is masked there too.
pub fn setting_values_in(line: &str) -> Vec<&str> {
    secret_spans(line)
        .into_iter()
        .map(|(a, b)| &line[a..b])
        .filter(|v| v.chars().count() >= 4)
        .collect()
}

/// A line with its password settings masked, and every string in `known` (passwords the
/// same log gave elsewhere) masked wherever it stands.
pub fn mask_known<'a>(line: &'a str, known: &[String]) -> std::borrow::Cow<'a, str> {
    let masked = mask_settings(line);
    if !known.iter().any(|k| masked.contains(k.as_str())) {
        return masked;
    }
    let mut out = masked.into_owned();
    for k in known {
        out = out.replace(k.as_str(), MASK);
    }
    std::borrow::Cow::Owned(out)
}

/// The byte spans of the passwords in `line`: settings' values, a URL's password, a login
/// call's second argument.
fn secret_spans(line: &str) -> Vec<(usize, usize)> {
    let mut spans = setting_values(line);
    spans.extend(url_password(line));
    spans.extend(login_call(line));
    spans
}

/// Whether a word is a password's name: one of [`super::logs::password_names`] alone or as
/// its last part (`mail_password`, `mail.pass`, `auth-password`, `smtpPassword`), not a word
/// that merely ends so (`bypass`, `compass`).
fn names_secret(word: &str) -> bool {
    let lower = word.to_lowercase();
    super::logs::password_names().iter().any(|k| {
        let Some(head) = lower.strip_suffix(k) else {
            return false;
        };
        if head.is_empty() || head.ends_with(['_', '.', '-', '$', '>']) {
            return true;
        }
        // camelCase: the key's first letter is a capital in the word (`smtpPassword`).
        word.len()
            .checked_sub(k.len())
            .and_then(|at| word.get(at..))
            .is_some_and(|tail| tail.starts_with(|c: char| c.is_ascii_uppercase()))
    })
}

/// The byte spans of values given to password settings in `line`.
fn setting_values(line: &str) -> Vec<(usize, usize)> {
    let is_word = |c: char| c.is_alphanumeric() || "_.-$>".contains(c);
    let mut spans = Vec::new();
    let mut i = 0;
    while i < line.len() {
        let Some(c) = line[i..].chars().next() else {
            break;
        };
        if !is_word(c) || c == '-' && line[..i].ends_with(is_word) {
            i += c.len_utf8();
            continue;
        }
        // A word: its end, and whether it names a secret (CJK keys stand in running text).
        let end = line[i..]
            .find(|c: char| !is_word(c) || is_cjk_key_end(c))
            .map_or(line.len(), |n| i + n);
        let end = if end == i { i + c.len_utf8() } else { end };
        let word = line[i..end].trim_start_matches('-');
        // A name in Chinese stands in running text, without spaces around it.
        let cjk = super::logs::password_names()
            .iter()
            .find(|k| !k.is_ascii() && line[i..].starts_with(k.as_str()));
        let key_end = cjk.map_or(end, |k| i + k.len());
        let cjk = cjk.is_some();
        if (cjk || names_secret(word))
            && let Some(span) = value_after(line, key_end, line[i..end].starts_with("--"))
        {
            spans.push(span);
            i = span.1.max(key_end);
            continue;
        }
        i = key_end.max(i + c.len_utf8());
    }
    spans
}

fn is_cjk_key_end(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The value after a key ending at `at`: after `=`, `:`, `=>`, `：`, or (for a `--option`) a
/// space; quoted, or up to a space, comma, brace or semicolon.
fn value_after(line: &str, at: usize, option: bool) -> Option<(usize, usize)> {
    let rest = &line[at..];
    // A quoted key's closing quote.
    let rest_q = rest.strip_prefix(['\'', '"']).unwrap_or(rest);
    let mut pos = line.len() - rest_q.len();
    let after = rest_q.trim_start();
    pos += rest_q.len() - after.len();
    let sep = ["=>", "=", ":", "："]
        .into_iter()
        .find(|s| after.starts_with(s));
    let after = match sep {
        Some(s) => {
            pos += s.len();
            let t = &line[pos..];
            pos += t.len() - t.trim_start().len();
            &line[pos..]
        }
        // `--pass x`: an option and its value, only for a double-dash option.
        None if option && rest.starts_with(' ') => after,
        None => return None,
    };
    let (start, end) = if let Some(q) = after.chars().next().filter(|c| "'\"`".contains(*c)) {
        let body = &after[1..];
        let close = body.find(q)?;
        (pos + 1, pos + 1 + close)
    } else {
        let len = after
            .find(|c: char| c.is_whitespace() || ",;}&)]".contains(c))
            .unwrap_or(after.len());
        (pos, pos + len)
    };
    let value = &line[start..end];
    let hidden = value.is_empty()
        || value.chars().all(|c| c == '*' || c == 'x' || c == 'X')
        || value.starts_with('<') && value.ends_with('>');
    (!hidden).then_some((start, end))
}

/// The password in a URL's user part: `smtp://user:secret@host`.
fn url_password(line: &str) -> Option<(usize, usize)> {
    let scheme = line.find("://")? + 3;
    let rest = &line[scheme..];
    let auth_end = rest
        .find(|c: char| c == '/' || c.is_whitespace())
        .unwrap_or(rest.len());
    let at = rest[..auth_end].rfind('@')?;
    let colon = rest[..at].find(':')?;
    (colon + 1 < at).then_some((scheme + colon + 1, scheme + at))
}

/// The second argument of a `login(user, password)` call (smtplib, poplib, JavaMail's
/// `connect(host, user, password)` is left alone: its arguments are not named).
fn login_call(line: &str) -> Option<(usize, usize)> {
    let open = line.find(".login(")? + ".login(".len();
    let args = &line[open..];
    let comma = args.find(',')?;
    let second = &args[comma + 1..];
    let lead = second.len() - second.trim_start().len();
    let q = second
        .trim_start()
        .chars()
        .next()
        .filter(|c| "'\"".contains(*c))?;
    let body = &second[lead + 1..];
    let close = body.find(q)?;
    let start = open + comma + 1 + lead + 1;
    (close > 0).then_some((start, start + close))
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
            // IMAP: LOGIN's password and AUTHENTICATE's initial response, tag or none.
            ("a1 LOGIN alice hunter2", None, "a1 LOGIN alice ********"),
            ("LOGIN alice hunter2", None, "LOGIN alice ********"),
            (
                "a2 authenticate PLAIN AGFsaWNlAGh1bnRlcjI=",
                None,
                "a2 authenticate PLAIN ********",
            ),
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
            ("a1 LOGIN", None),
            ("a3 SELECT INBOX", None),
        ] {
            assert!(!is_secret(line, answering), "{line}");
            assert_eq!(shown(line, answering), line);
        }
    }

    #[test]
    fn password_settings_in_asides_are_masked() {
        for (line, want) in [
            (
                "WARNING: {pass=S15cQFO8kk50FKj, userName=bot@chess.example}",
                "WARNING: {pass=********, userName=bot@chess.example}",
            ),
            ("#mail.password=jfkj", "#mail.password=********"),
            (
                "smtp-cli --user=a@b.test --pass=PASSWORD --port=465",
                "smtp-cli --user=a@b.test --pass=******** --port=465",
            ),
            (
                "swaks --auth-password hunter2 --to x@y.test",
                "swaks --auth-password ******** --to x@y.test",
            ),
            (
                "{'mail_login': 'admin', 'mail_password': 'abc def', 'x': 1}",
                "{'mail_login': 'admin', 'mail_password': '********', 'x': 1}",
            ),
            (
                "$mail->Password = 'secret';",
                "$mail->Password = '********';",
            ),
            (
                "\"smtpPassword\": \"p@ss\",",
                "\"smtpPassword\": \"********\",",
            ),
            (
                "url=smtp://bob:s3cret@mail.test:587",
                "url=smtp://bob:********@mail.test:587",
            ),
            (
                "server.login('me@qq.com', 'abcdefgh')",
                "server.login('me@qq.com', '********')",
            ),
            ("授权码：abcdefghijkl", "授权码：********"),
            ("我的密码是 x，密码: abc123", "我的密码是 x，密码: ********"),
            ("SMTP_PASS=abc", "SMTP_PASS=********"),
        ] {
            assert_eq!(mask_settings(line), want, "{line}");
        }
        // A password the log gave under a telling name is masked where it stands again.
        let known: Vec<String> = setting_values_in("{pass=S15cQFO8kk50, user=x}")
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(
            mask_known("title = [bot], s = [S15cQFO8kk50]", &known),
            "title = [bot], s = [********]"
        );
        // Prose about a password, a value that hides itself, words that only end so.
        for line in [
            "Username and Password not accepted.",
            "DEBUG SMTP: protocolConnect login, host=h, user=u, password=<non-null>",
            "'mail_password': '******'",
            "bypass=1 compass=north",
            "Password:",
            "the password: ",
            "--pass=xxxx",
        ] {
            assert_eq!(mask_settings(line), line, "{line}");
        }
    }
}
