//! A lab's results as files: one self-contained HTML report per student (the checks, then each
//! attempt's session with the lines that failed a check highlighted) and the class as CSV for
//! the grade book. Passwords are masked unless shown.

use crate::html_export::{STYLE, date_of, esc};
use crate::proto::Lang;
use crate::proto::lab::Rubric;
use crate::proto::lab::grade::{CheckResult, Graded, Verdict};
use crate::proto::lab::score::{Attempt, Scorecard};
use crate::proto::lab::turns::LineEnd;
use crate::words::{Words, tr, trf};

/// A student as the class list names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub address: String,
}

/// How a check stands on a card: passed, failed, not shown, or its stage not tried yet.
pub fn mark(result: Option<&CheckResult>) -> &'static str {
    match result.map(|r| &r.verdict) {
        Some(Verdict::Pass) => "✓",
        Some(Verdict::Fail { .. }) => "✗",
        Some(Verdict::NotShown(_)) => "–",
        None => "·",
    }
}

/// Why a check did not pass, in words; the failed line is named by its number in the attempt.
pub fn reason(result: &CheckResult, lang: Lang) -> String {
    match &result.verdict {
        Verdict::Pass => String::new(),
        Verdict::Fail { line: Some(l), why } => trf(
            lang,
            "lab.on_line",
            &[("why", &why.get(lang)), ("line", &(l + 1).to_string())],
        ),
        Verdict::Fail { line: None, why } | Verdict::NotShown(why) => why.get(lang),
    }
}

/// A client line as a report shows it: printable, a password masked.
pub fn shown_line(graded: &Graded, index: usize, show_secrets: bool) -> String {
    let Some(line) = graded.session.lines.get(index) else {
        return String::new();
    };
    let text = line.text();
    if !show_secrets && graded.secret_lines.contains(&index) {
        let keep: Vec<&str> = text.splitn(3, ' ').collect();
        return match keep.as_slice() {
            [verb, _] if verb.eq_ignore_ascii_case("PASS") => format!("{verb} ********"),
            [verb, mech, _] if verb.eq_ignore_ascii_case("AUTH") => {
                format!("{verb} {mech} ********")
            }
            _ => "********".to_owned(),
        };
    }
    crate::proto::line::printable(&text).into_owned()
}

/// The most lines of one message a report shows.
const MESSAGE_LINES: usize = 200;

fn attempt_html(out: &mut String, rubric: &Rubric, a: &Attempt, lang: Lang, show: bool) {
    let g = &a.graded;
    let stage = rubric.stage(&g.stage);
    let title = stage
        .map(|s| s.title.get(lang).to_owned())
        .unwrap_or_default();
    out.push_str(&format!(
        "<h2 id=\"attempt-{n}\">{}</h2>\n<p class=\"meta\">{}</p>\n",
        esc(&trf(
            lang,
            "lab.attempt_title",
            &[("n", &a.number.to_string()), ("stage", &title)]
        )),
        esc(&trf(
            lang,
            "lab.attempt_meta",
            &[
                ("earned", &g.earned().to_string()),
                ("possible", &g.possible().to_string()),
                ("session", &a.session.to_string()),
                ("date", &date_of(i64::try_from(a.at).unwrap_or(0))),
            ]
        )),
        n = a.number
    ));
    let failed: Vec<(usize, &CheckResult)> = g
        .results
        .iter()
        .filter_map(|r| r.failed_line().map(|l| (l, r)))
        .collect();
    out.push_str("<table>\n");
    let s = &g.session;
    let mut next_reply = 0;
    let reply_row = |out: &mut String, i: usize| {
        if let Some(r) = s.replies.get(i) {
            let class = (r.code / 100).min(5);
            for line in &r.lines {
                out.push_str(&format!(
                    "<tr class=\"s\"><td class=\"t\"></td><td class=\"d\">S:</td><td><span class=\"line b{class}x\">{}</span></td></tr>\n",
                    esc(&crate::proto::line::printable(line))
                ));
            }
        }
    };
    let mut in_message = 0usize;
    for (i, line) in s.lines.iter().enumerate() {
        while next_reply < s.replies.len() && next_reply < line.seen {
            reply_row(out, next_reply);
            next_reply += 1;
        }
        let message = s.turns.iter().any(|t| {
            matches!(t.kind, crate::proto::lab::turns::TurnKind::Message { .. })
                && t.lines.contains(&i)
                && i + 1 != t.lines.end
        });
        in_message = if message { in_message + 1 } else { 0 };
        if in_message > MESSAGE_LINES {
            if in_message == MESSAGE_LINES + 1 {
                out.push_str(&format!(
                    "<tr class=\"e\"><td></td><td></td><td>{}</td></tr>\n",
                    esc(&tr(lang, "lab.lines_left_out"))
                ));
            }
            continue;
        }
        let fails: Vec<&&CheckResult> = failed
            .iter()
            .filter(|(l, _)| *l == i)
            .map(|(_, r)| r)
            .collect();
        let mut tags = String::new();
        if line.end == LineEnd::BareLf {
            tags.push_str(&format!(
                " <span class=\"tag\">{}</span>",
                esc(&tr(lang, "lab.tag.bare_lf"))
            ));
        }
        if line.bare_cr {
            tags.push_str(&format!(
                " <span class=\"tag\">{}</span>",
                esc(&tr(lang, "lab.tag.bare_cr"))
            ));
        }
        if line.in_tls {
            tags.push_str(&format!(
                " <span class=\"tls\">{}</span>",
                esc(&tr(lang, "lab.tag.tls"))
            ));
        }
        let notes: String = fails
            .iter()
            .map(|r| {
                let why = match &r.verdict {
                    Verdict::Fail { why, .. } => why.get(lang),
                    _ => String::new(),
                };
                format!("<div class=\"why\">✗ {} — {}</div>", esc(&r.id), esc(&why))
            })
            .collect();
        out.push_str(&format!(
            "<tr class=\"c{}\" id=\"a{}-l{}\"><td class=\"t\">{}</td><td class=\"d\">C:</td><td><span class=\"line\">{}</span>{tags}{notes}</td></tr>\n",
            if fails.is_empty() { "" } else { " fail" },
            a.number,
            i + 1,
            i + 1,
            esc(&shown_line(g, i, show)),
        ));
    }
    while next_reply < s.replies.len() {
        reply_row(out, next_reply);
        next_reply += 1;
    }
    out.push_str("</table>\n");
}

const LAB_STYLE: &str = "
tr.fail td{background:#fde8e6}
.why{color:#b3261e;font-size:.92em;margin:.1em 0}
.tag{background:#b3261e;color:#fff;border-radius:3px;padding:0 .3em;font-size:.8em}
.tls{background:#1f5fae;color:#fff;border-radius:3px;padding:0 .3em;font-size:.8em}
.b2x{color:#146c2e}.b3x{color:#1f5fae}.b4x{color:#b26a00}.b5x{color:#b3261e}
table.checks td{border-bottom:1px solid #ddd}
td.m{font-weight:bold;text-align:center;width:1.5em}
td.m.pass{color:#1b7f3a}td.m.fail{color:#b3261e}td.m.none{color:#888}
td.p{text-align:right;white-space:nowrap}
h2{font-size:1.15em;margin-top:1.6em}
";

/// One student's lab report as a self-contained HTML page.
pub fn student_html(
    rubric: &Rubric,
    card: &Scorecard,
    name: &str,
    lang: Lang,
    show_secrets: bool,
    now_unix: i64,
) -> String {
    let mut out = String::new();
    let title = trf(
        lang,
        "lab.report_title",
        &[("lab", rubric.title(lang)), ("student", name)],
    );
    out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title><style>{STYLE}{LAB_STYLE}</style>\
</head><body>\n<h1>{t}</h1>\n",
        if lang == Lang::Zh { "zh-CN" } else { "en" },
        t = esc(&title)
    ));
    out.push_str(&format!(
        "<p class=\"meta\">{}</p>\n",
        esc(&trf(
            lang,
            "lab.report_meta",
            &[
                ("address", &card.student),
                ("attempts", &card.attempts.to_string()),
                ("earned", &card.earned(rubric).to_string()),
                ("of", &rubric.total().to_string()),
                ("date", &date_of(now_unix)),
            ]
        ))
    ));
    out.push_str("<table class=\"checks\">\n");
    for (check, found) in card.results(rubric) {
        let result = found.map(|(r, _)| r);
        let class = match result.map(|r| &r.verdict) {
            Some(Verdict::Pass) => "pass",
            Some(Verdict::Fail { .. }) => "fail",
            _ => "none",
        };
        let why = match found {
            Some((r, a)) if !matches!(r.verdict, Verdict::Pass) => {
                let link = r
                    .failed_line()
                    .map(|l| {
                        format!(
                            " <a href=\"#a{}-l{}\">{}</a>",
                            a.number,
                            l + 1,
                            esc(&trf(
                                lang,
                                "lab.see_line",
                                &[("n", &a.number.to_string()), ("line", &(l + 1).to_string())]
                            ))
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "<div class=\"why\">{}{link}</div>",
                    esc(&reason_words(r).get(lang))
                )
            }
            None => format!(
                "<div class=\"note\">{}</div>",
                esc(&tr(lang, "lab.not_tried"))
            ),
            _ => String::new(),
        };
        out.push_str(&format!(
            "<tr><td class=\"m {class}\">{}</td><td><b>{}</b> {}{why}</td><td class=\"p\">{}/{}</td></tr>\n",
            mark(result),
            esc(&check.id),
            esc(check.looks_for.get(lang)),
            result.map(CheckResult::earned).unwrap_or(0),
            check.points
        ));
    }
    out.push_str("</table>\n");
    for a in card.attempts() {
        attempt_html(&mut out, rubric, a, lang, show_secrets);
    }
    out.push_str("</body></html>\n");
    out
}

fn reason_words(r: &CheckResult) -> Words {
    match &r.verdict {
        Verdict::Fail { why, .. } | Verdict::NotShown(why) => why.clone(),
        Verdict::Pass => Words::text(""),
    }
}

/// The class as CSV for a grade book: every student of the class list (with no attempts
/// yet too) and any other program seen, their points per check and in all, and what failed.
pub fn class_csv(rubric: &Rubric, cards: &[Scorecard], class: &[Named], lang: Lang) -> String {
    use crate::server::roster::inert_cell;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut head: Vec<String> = vec![
        tr(lang, "lab.csv.name"),
        tr(lang, "lab.csv.address"),
        tr(lang, "lab.csv.attempts"),
        tr(lang, "lab.csv.points"),
        tr(lang, "lab.csv.of"),
    ];
    head.extend(rubric.checks.iter().map(|c| c.id.clone()));
    head.push(tr(lang, "lab.csv.failed"));
    let _ = w.write_record(&head);
    let mut rows: Vec<(String, String, Option<&Scorecard>)> = class
        .iter()
        .map(|n| {
            let card = cards
                .iter()
                .find(|c| c.student.eq_ignore_ascii_case(&n.address));
            (n.name.clone(), n.address.clone(), card)
        })
        .collect();
    for c in cards {
        if !class
            .iter()
            .any(|n| n.address.eq_ignore_ascii_case(&c.student))
        {
            rows.push((String::new(), c.student.clone(), Some(c)));
        }
    }
    for (name, address, card) in rows {
        let mut row = vec![
            name,
            address,
            card.map(|c| c.attempts.to_string())
                .unwrap_or_else(|| "0".into()),
            card.map(|c| c.earned(rubric).to_string())
                .unwrap_or_default(),
            rubric.total().to_string(),
        ];
        let results = card.map(|c| c.results(rubric)).unwrap_or_default();
        for check in &rubric.checks {
            let cell = results
                .iter()
                .find(|(c, _)| c.id == check.id)
                .and_then(|(_, f)| f.map(|(r, _)| r.earned().to_string()))
                .unwrap_or_default();
            row.push(cell);
        }
        let failed: Vec<String> = results
            .iter()
            .filter_map(|(c, f)| {
                f.filter(|(r, _)| !matches!(r.verdict, Verdict::Pass))
                    .map(|(r, _)| format!("{}: {}", c.id, reason(r, lang)))
            })
            .collect();
        row.push(failed.join("; "));
        let _ = w.write_record(row.iter().map(|c| inert_cell(c).into_owned()));
    }
    let bytes = w.into_inner().unwrap_or_default();
    format!("\u{feff}{}", String::from_utf8(bytes).unwrap_or_default())
}

/// A file name for a student's report: their address with anything unsafe replaced.
pub fn report_file_name(student: &str) -> String {
    let safe: String = student
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    format!("{safe}.html")
}

/// A rubric by a built-in name (`smtp-client`, `pop3-client`) or from a TOML file.
pub fn load_rubric(name_or_path: &str) -> Result<Rubric, Words> {
    if let Some(found) = Rubric::built_in(name_or_path) {
        return found;
    }
    let path = std::path::Path::new(name_or_path);
    let bytes = std::fs::read(path).map_err(|e| {
        Words::new("lab.rubric_unread")
            .arg("file", path.display())
            .arg("error", e)
            .arg(
                "names",
                crate::proto::lab::rubric::BUILT_IN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            )
    })?;
    let text = String::from_utf8_lossy(&bytes);
    Rubric::parse(&text, &path.display().to_string())
}

/// Writes every student's report and the class CSV into `dir` (made if missing).
pub fn write_all(
    dir: &std::path::Path,
    rubric: &Rubric,
    cards: &[Scorecard],
    class: &[Named],
    lang: Lang,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    for card in cards {
        let name = class
            .iter()
            .find(|n| n.address.eq_ignore_ascii_case(&card.student))
            .map(|n| n.name.as_str())
            .unwrap_or(&card.student);
        let html = student_html(rubric, card, name, lang, false, now);
        std::fs::write(dir.join(report_file_name(&card.student)), html)?;
    }
    std::fs::write(
        dir.join("grades.csv"),
        class_csv(rubric, cards, class, lang),
    )
}
