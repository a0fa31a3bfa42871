//! Every label, tooltip and message of the window, looked up in one translation table
//! (`assets/i18n/app.toml`, English and 简体中文 side by side).

use crate::proto::Lang;

pub use crate::words::{tag, tr, trf};

/// The language of the operating system, for the first start.
pub fn system_lang() -> Lang {
    sys_locale::get_locale()
        .and_then(|l| Lang::from_tag(&l))
        .unwrap_or(Lang::En)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = include_str!("../../assets/i18n/app.toml");

    fn table() -> toml::Table {
        toml::from_str(TABLE).unwrap_or_else(|e| panic!("app.toml: {e}"))
    }

    #[test]
    fn every_entry_has_both_languages() {
        for (key, value) in table() {
            if key == "_version" {
                continue;
            }
            let t = value
                .as_table()
                .unwrap_or_else(|| panic!("{key} is not a table"));
            for lang in ["en", "zh-CN"] {
                let text = t.get(lang).and_then(|v| v.as_str()).unwrap_or("");
                assert!(!text.trim().is_empty(), "{key} has no {lang} text");
            }
            assert_eq!(t.len(), 2, "{key} has an unknown language");
        }
    }

    /// Every `tr(…, "key")` / `trf(…, "key", …)` in the window's sources names a key of the table.
    #[test]
    fn every_key_used_is_in_the_table() {
        let table = table();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ui");
        let mut used = 0;
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{e}")) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            if path.ends_with("i18n.rs") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            let calls = src
                .match_indices("tr(")
                .chain(src.match_indices("trf("))
                .filter(|(i, _)| {
                    let before = src[..*i].chars().next_back().unwrap_or(' ');
                    !before.is_alphanumeric() && before != '_'
                });
            for (i, m) in calls {
                let rest = &src[i + m.len()..];
                let call = &rest[..rest.find(')').unwrap_or(rest.len())];
                let Some(q) = call.find('"') else { continue };
                let key = &call[q + 1..];
                let Some(end) = key.find('"') else { continue };
                let key = &key[..end];
                used += 1;
                assert!(
                    table.contains_key(key),
                    "{} uses \"{key}\", which app.toml lacks",
                    path.display()
                );
            }
        }
        assert!(used > 50, "only {used} keys found: the scan is broken");
    }

    #[test]
    fn lookup_and_placeholders() {
        assert_eq!(tr(Lang::En, "connect"), "Connect");
        assert_eq!(tr(Lang::Zh, "connect"), "连接");
        assert_eq!(tr(Lang::En, "no.such.key"), "no.such.key");
        assert!(
            trf(Lang::En, "status.connected", &[("peer", "1.2.3.4:25")]).contains("1.2.3.4:25")
        );
    }
}
