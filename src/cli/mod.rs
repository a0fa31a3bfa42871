//! The command-line tools beside the window.

pub mod read;
pub mod send;
pub mod serve;

use mailtutor::proto::Lang;

/// `en` or `zh` (also `zh-CN`, `en_US`, …).
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::from_tag(s).ok_or_else(|| {
        mailtutor::words::Words::new("cli.bad_lang")
            .arg("text", format!("{s:?}"))
            .get(Lang::En)
    })
}
