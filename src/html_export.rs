//! A transcript as one self-contained HTML page a student can hand in: the annotated rows with
//! their code badges, the lesson's check marks when a lesson ran, the student's name and the
//! date. Styles are inline; nothing is loaded from anywhere, so it reads offline and in print.

use crate::proto::Lang;
use crate::proto::codes;
use crate::transcript::{Direction, Transcript};
use crate::words::{tr, trf};

/// A lesson's steps and which were done, for the check marks.
#[derive(Debug, Clone, Default)]
pub struct LessonMarks {
    pub title: String,
    /// Each step's task and whether it was done.
    pub steps: Vec<(String, bool)>,
}

/// What the page says above the transcript.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub student: String,
    /// The date, as the page shows it (`2026-11-24`).
    pub date: String,
    pub lesson: Option<LessonMarks>,
}

/// `2026-11-24` for a time in seconds since the Unix epoch (UTC).
pub fn date_of(unix_secs: i64) -> String {
    let d = mail_parser::DateTime::from_timestamp(unix_secs);
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's look, shared by the other self-contained reports.
pub const STYLE: &str = "
body{font-family:'Noto Sans SC','Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;margin:2em auto;max-width:60em;color:#1a1a1a;line-height:1.45}
h1{font-size:1.5em;margin:0 0 .2em}
.meta{color:#555;margin-bottom:1.2em}
.lesson{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;margin-bottom:1.2em}
.lesson li{list-style:none;margin:.15em 0}
.done{color:#1b7f3a;font-weight:bold}
.todo{color:#999}
table{border-collapse:collapse;width:100%}
td{vertical-align:top;padding:.15em .4em;border-bottom:1px solid #eee}
td.t{color:#888;font-family:monospace;white-space:nowrap;text-align:right}
td.d{font-family:monospace;font-weight:bold;white-space:nowrap}
tr.c td.d,tr.c .line{color:#14509a}
tr.s td.d,tr.s .line{color:#146c2e}
tr.e td{color:#666;font-style:italic}
.line{font-family:monospace;white-space:pre-wrap;word-break:break-all}
.badge{display:inline-block;min-width:2.6em;text-align:center;color:#fff;border-radius:4px;font-family:monospace;font-weight:bold;padding:0 .3em;margin-right:.5em}
.b2{background:#1b7f3a}.b3{background:#1f5fae}.b4{background:#b26a00}.b5{background:#b3261e}.b0{background:#777}
.note{color:#444;font-size:.92em;margin:.1em 0 .1em 1em}
@media print{body{margin:0;max-width:none}tr{page-break-inside:avoid}}
";

/// The whole page.
pub fn transcript_html(t: &Transcript, lang: Lang, show_secrets: bool, header: &Header) -> String {
    let mut out = String::new();
    let title = tr(lang, "html.title");
    out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{STYLE}</style>\
</head><body>\n",
        if lang == Lang::Zh { "zh-CN" } else { "en" },
        esc(&title)
    ));
    out.push_str(&format!("<h1>{}</h1>\n", esc(&title)));
    let student = if header.student.trim().is_empty() {
        tr(lang, "html.no_name")
    } else {
        header.student.trim().to_owned()
    };
    out.push_str(&format!(
        "<div class=\"meta\">{} · {}</div>\n",
        esc(&trf(lang, "html.student", &[("name", &student)])),
        esc(&trf(lang, "html.date", &[("date", &header.date)]))
    ));
    if let Some(l) = &header.lesson {
        let done = l.steps.iter().filter(|(_, d)| *d).count();
        out.push_str(&format!(
            "<div class=\"lesson\"><strong>{}</strong> — {}<ul>\n",
            esc(&l.title),
            esc(&trf(
                lang,
                "html.steps_done",
                &[
                    ("done", &done.to_string()),
                    ("steps", &l.steps.len().to_string())
                ]
            ))
        ));
        for (i, (task, ok)) in l.steps.iter().enumerate() {
            let (class, mark) = if *ok {
                ("done", "✓")
            } else {
                ("todo", "○")
            };
            out.push_str(&format!(
                "<li><span class=\"{class}\">{mark}</span> {}. {}</li>\n",
                i + 1,
                esc(task)
            ));
        }
        out.push_str("</ul></div>\n");
    }
    out.push_str("<table>\n");
    let start = t.entries().first().map(|e| e.at);
    for e in t.entries() {
        let secs = start
            .and_then(|s| e.at.duration_since(s).ok())
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        let (class, dir) = match e.dir {
            Direction::Client => ("c", "C:"),
            Direction::Server => ("s", "S:"),
            Direction::Event => ("e", "*"),
        };
        let text = match e.dir {
            Direction::Event => e.event_text(lang, show_secrets),
            _ => e.text(show_secrets),
        };
        let mut cell = String::new();
        if e.dir == Direction::Server
            && let Some((label, like)) = e.badge()
        {
            let b = match like / 100 {
                2 => "b2",
                3 => "b3",
                4 => "b4",
                5 => "b5",
                _ => "b0",
            };
            // The badge's title is the code's reference meaning (a detail on demand); the
            // reply's one explanation is the note under it.
            let meaning = e
                .code()
                .and_then(codes::smtp)
                .map(|entry| entry.meaning.get(lang).to_owned())
                .unwrap_or_default();
            cell.push_str(&format!(
                "<span class=\"badge {b}\" title=\"{}\">{}</span>",
                esc(&meaning),
                esc(&label)
            ));
        }
        cell.push_str(&format!("<span class=\"line\">{}</span>", esc(&text)));
        for n in &e.notes {
            for line in n.render_lines(lang, show_secrets) {
                cell.push_str(&format!("<div class=\"note\">{}</div>", esc(&line)));
            }
        }
        out.push_str(&format!(
            "<tr class=\"{class}\"><td class=\"t\">{secs:.3}</td><td class=\"d\">{dir}</td><td>{cell}</td></tr>\n"
        ));
    }
    out.push_str("</table>\n</body></html>\n");
    // Control bytes from a server or a paste are shown, not written into the page as they are.
    crate::proto::line::printable(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_session_becomes_a_page_with_badges_marks_and_no_outside_resource() {
        let t = crate::explain::fold(
            "S: 220 mail.lab ESMTP\nC: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: c3R1ZGVudA==\n\
S: 334 UGFzc3dvcmQ6\nC: c2VjcmV0\nS: 535 5.7.8 Error: authentication failed\n",
        );
        let page = transcript_html(
            &t,
            Lang::En,
            false,
            &Header {
                student: "<Li Lei>".into(),
                date: date_of(0),
                lesson: Some(LessonMarks {
                    title: "Send".into(),
                    steps: vec![("Connect".into(), true), ("Log in".into(), false)],
                }),
            },
        );
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("&lt;Li Lei&gt;"), "names are escaped");
        assert!(page.contains("1970-01-01"));
        assert!(page.contains("<span class=\"done\">✓</span> 1. Connect"));
        assert!(page.contains("<span class=\"todo\">○</span> 2. Log in"));
        assert!(page.contains("class=\"badge b5\""), "535 gets a red badge");
        assert!(page.contains("Password:"), "the 334 is decoded in a note");
        assert!(!page.contains("c2VjcmV0"), "the password is masked");
        for outside in ["http://", "https://", "<link", "<script", "<img", "url("] {
            assert!(!page.contains(outside), "{outside}");
        }
    }
}
