//! The server presets of the connection bar, from `assets/presets.toml`.

use serde::Deserialize;

use crate::proto::{Bilingual, Lang};
use crate::session::{Protocol, Security};
use crate::words::tr;

const PRESETS_TOML: &str = include_str!("../../assets/presets.toml");

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub struct Ports {
    pub none: Option<u16>,
    pub starttls: Option<u16>,
    pub tls: Option<u16>,
}

impl Ports {
    pub fn get(&self, security: Security) -> Option<u16> {
        match security {
            Security::None => self.none,
            Security::StartTls => self.starttls,
            Security::Implicit => self.tls,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Preset {
    pub id: String,
    pub name: Bilingual,
    /// The built-in practice server: host and ports come from the running server.
    #[serde(default)]
    pub builtin: bool,
    /// Host and port are typed by the user.
    #[serde(default)]
    pub custom: bool,
    #[serde(default)]
    pub smtp_host: String,
    #[serde(default)]
    pub pop3_host: String,
    #[serde(default)]
    pub imap_host: String,
    #[serde(default)]
    pub smtp: Ports,
    #[serde(default)]
    pub pop3: Ports,
    #[serde(default)]
    pub imap: Ports,
    /// The provider wants an app password (授权码), not the login password.
    #[serde(default)]
    pub app_password: bool,
}

impl Preset {
    pub fn host(&self, protocol: Protocol) -> &str {
        match protocol {
            Protocol::Smtp => &self.smtp_host,
            Protocol::Pop3 => &self.pop3_host,
            Protocol::Imap => &self.imap_host,
        }
    }

    pub fn port(&self, protocol: Protocol, security: Security) -> Option<u16> {
        match protocol {
            Protocol::Smtp => self.smtp.get(security),
            Protocol::Pop3 => self.pop3.get(security),
            Protocol::Imap => self.imap.get(security),
        }
    }
}

#[derive(Deserialize)]
struct PresetFile {
    preset: Vec<Preset>,
}

/// The presets; a broken file (it is compiled in, so only a bad build) yields just "Custom".
pub fn load() -> Vec<Preset> {
    match toml::from_str::<PresetFile>(PRESETS_TOML) {
        Ok(f) if !f.preset.is_empty() => f.preset,
        _ => vec![Preset {
            id: "custom".into(),
            name: Bilingual {
                en: tr(Lang::En, "preset.custom"),
                zh: tr(Lang::Zh, "preset.custom"),
            },
            builtin: false,
            custom: true,
            smtp_host: String::new(),
            pop3_host: String::new(),
            imap_host: String::new(),
            smtp: Ports::default(),
            pop3: Ports::default(),
            imap: Ports::default(),
            app_password: false,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_presets_the_tutorials_use_are_there() {
        let p = load();
        assert!(p.len() >= 7, "{} presets", p.len());
        assert!(p[0].builtin, "the practice server comes first");
        let qq = p.iter().find(|p| p.id == "qq").expect("qq");
        assert_eq!(qq.host(Protocol::Smtp), "smtp.qq.com");
        assert_eq!(qq.port(Protocol::Smtp, Security::None), Some(25));
        assert_eq!(qq.port(Protocol::Smtp, Security::Implicit), Some(465));
        assert_eq!(qq.port(Protocol::Smtp, Security::StartTls), Some(587));
        assert_eq!(qq.port(Protocol::Pop3, Security::Implicit), Some(995));
        assert!(qq.app_password);
        let n163 = p.iter().find(|p| p.id == "163").expect("163");
        assert_eq!(n163.host(Protocol::Pop3), "pop.163.com");
        assert_eq!(n163.host(Protocol::Imap), "imap.163.com");
        assert_eq!(n163.port(Protocol::Imap, Security::None), Some(143));
        assert_eq!(qq.port(Protocol::Imap, Security::Implicit), Some(993));
        for id in ["gmail", "outlook", "localhost", "custom"] {
            assert!(p.iter().any(|p| p.id == id), "{id}");
        }
    }
}
