//! The battery's results as text for the terminal and as one self-contained HTML page, in the
//! look of the transcript page (its styles and escaping), with each failed check's exchange.

use super::{Check, Outcome, Side, score};
use crate::html_export::{STYLE, esc};
use crate::proto::Lang;
use crate::words::{Words, tr};

/// Extra styles for the score table and the exchanges.
const MORE_STYLE: &str = "
th{text-align:left;border-bottom:2px solid #ccc;padding:.2em .4em}
td.m{font-weight:bold;text-align:center}
tr.pass td.m{color:#1b7f3a}tr.fail td.m{color:#b3261e}tr.na td{color:#888}
pre{background:#f6f6f6;border:1px solid #ddd;border-radius:4px;padding:.5em;white-space:pre-wrap;word-break:break-all;font-size:.9em}
.cl{color:#14509a}.sv{color:#146c2e}
.total{font-size:1.2em;font-weight:bold;margin:1em 0}
";

/// Where and when the battery ran.
#[derive(Debug, Clone)]
pub struct Header {
    /// `SMTP 127.0.0.1:2525`, `POP3 127.0.0.1:1110`, or both.
    pub servers: String,
    pub date: String,
}

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✓",
        Outcome::Fail => "✗",
        Outcome::NotApplicable => "–",
    }
}

fn points(c: &Check) -> String {
    match c.outcome {
        Outcome::Pass => c.points.to_string(),
        Outcome::Fail => format!("0/{}", c.points),
        Outcome::NotApplicable => "-".into(),
    }
}

fn total(checks: &[Check]) -> Words {
    let (got, of) = score(checks);
    let na = checks
        .iter()
        .filter(|c| c.outcome == Outcome::NotApplicable)
        .count();
    Words::new("checkserver.total")
        .arg("got", got)
        .arg("of", of)
        .arg("na", na)
}

/// One line per check, and the total.
pub fn text(checks: &[Check], header: &Header, lang: Lang) -> String {
    let mut out = Words::new("checkserver.header")
        .arg("servers", &header.servers)
        .arg("date", &header.date)
        .get(lang);
    out.push('\n');
    for c in checks {
        let line = Words::new("checkserver.line")
            .arg("mark", mark(c.outcome))
            .arg("points", format!("{:>4}", points(c)))
            .arg_key("title", c.title)
            .arg_words("expected", c.expected.clone())
            .arg_words("got", c.got.clone());
        out.push_str(&line.get(lang));
        out.push('\n');
    }
    out.push_str(&total(checks).get(lang));
    out.push('\n');
    out
}

/// The whole page.
pub fn html(checks: &[Check], header: &Header, lang: Lang) -> String {
    let title = tr(lang, "checkserver.html.title");
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>{}</title>\
<style>{STYLE}{MORE_STYLE}</style></head><body>\n<h1>{}</h1>\n",
        crate::words::tag(lang),
        esc(&title),
        esc(&title)
    );
    out.push_str(&format!(
        "<div class=\"meta\">{}</div>\n",
        esc(&Words::new("checkserver.html.meta")
            .arg("servers", &header.servers)
            .arg("date", &header.date)
            .get(lang))
    ));
    out.push_str(&format!(
        "<div class=\"total\">{}</div>\n<table>\n<tr>",
        esc(&total(checks).get(lang))
    ));
    for key in [
        "checkserver.html.result",
        "checkserver.html.points",
        "checkserver.html.check",
        "checkserver.html.expected",
        "checkserver.html.got",
    ] {
        out.push_str(&format!("<th>{}</th>", esc(&tr(lang, key))));
    }
    out.push_str("</tr>\n");
    for c in checks {
        let class = match c.outcome {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::NotApplicable => "na",
        };
        out.push_str(&format!(
            "<tr class=\"{class}\"><td class=\"m\">{}</td><td class=\"t\">{}</td><td>{}</td>\
<td>{}</td><td class=\"line\">{}</td></tr>\n",
            mark(c.outcome),
            esc(&points(c)),
            esc(&tr(lang, c.title)),
            esc(&c.expected.get(lang)),
            esc(&c.got.get(lang)),
        ));
    }
    out.push_str("</table>\n");
    for c in checks.iter().filter(|c| c.outcome == Outcome::Fail) {
        out.push_str(&format!(
            "<h2>{}</h2>\n<pre>",
            esc(&Words::new("checkserver.html.exchange")
                .arg_key("title", c.title)
                .get(lang))
        ));
        for (side, line) in &c.exchange {
            let (class, who) = match side {
                Side::Client => ("cl", "C:"),
                Side::Server => ("sv", "S:"),
            };
            out.push_str(&format!(
                "<span class=\"{class}\">{who} {}</span>\n",
                esc(line)
            ));
        }
        out.push_str("</pre>\n");
    }
    out.push_str("</body></html>\n");
    crate::proto::line::printable(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(id: &'static str, outcome: Outcome, got: &str) -> Check {
        Check {
            id,
            title: "checkserver.title.greeting",
            points: 2,
            outcome,
            expected: Words::new("checkserver.expect.greeting"),
            got: Words::text(got),
            exchange: vec![
                (Side::Server, "<script>220 hi\\r\\n".into()),
                (Side::Client, "QUIT\\r\\n".into()),
            ],
        }
    }

    #[test]
    fn text_and_page_show_marks_totals_and_escaped_exchanges() {
        let checks = vec![
            check("a", Outcome::Pass, "220 ok"),
            check("b", Outcome::Fail, "<b>554</b>"),
            check("c", Outcome::NotApplicable, "none"),
        ];
        let header = Header {
            servers: "SMTP 127.0.0.1:2525".into(),
            date: "2026-12-05".into(),
        };
        let t = text(&checks, &header, Lang::En);
        assert!(t.contains("✓"), "{t}");
        assert!(t.contains("✗"), "{t}");
        assert!(t.contains("–"), "{t}");
        assert!(t.contains("2 / 4"), "{t}");
        let page = html(&checks, &header, Lang::Zh);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("&lt;b&gt;554&lt;/b&gt;"));
        assert!(
            page.contains("&lt;script&gt;220 hi"),
            "the failed exchange, escaped"
        );
        assert_eq!(page.matches("<pre>").count(), 1, "only the failed check's");
        for outside in ["http://", "https://", "<link", "<script", "<img", "url("] {
            assert!(!page.contains(outside), "{outside}");
        }
        assert!(!text(&checks, &header, Lang::Zh).contains("checkserver."));
    }
}
