//! The command-line tools beside the window.

pub mod send;
pub mod serve;

use mailtutor::proto::Lang;

/// `en` or `zh` (also `zh-CN`, `en_US`, …).
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::from_tag(s).ok_or_else(|| format!("unknown language {s:?}: use en or zh"))
}
