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

    #[test]
    fn lookup_and_placeholders() {
        assert_eq!(tr(Lang::En, "connect"), "Connect");
        assert_eq!(tr(Lang::Zh, "connect"), "连接");
        assert!(
            trf(Lang::En, "status.connected", &[("peer", "1.2.3.4:25")]).contains("1.2.3.4:25")
        );
    }
}
