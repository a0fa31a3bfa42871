//! The practice server's accounts: addresses and passwords, from a TOML file or the defaults.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// One mailbox owner.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    pub address: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
struct AccountsFile {
    #[serde(rename = "account")]
    accounts: Vec<Account>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("cannot read the accounts file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the accounts file {path} is not valid TOML: {message}")]
    Parse { path: String, message: String },
    #[error("{0:?} is not an address like user@example.com")]
    BadAddress(String),
    #[error("the accounts file lists no account")]
    Empty,
    #[error(
        "{0:?} and {1:?} are one address (upper and lower case, and the Kelvin sign, are one letter) with two passwords"
    )]
    Duplicate(String, String),
}

/// The one normalisation of an address, used by the account table, the maildrop names and
/// every lookup: trimmed, then lower-cased by Unicode's full mapping (`Kate`, `KATE` and `Kate`
/// written with the Kelvin sign U+212A are one address; so are `É` and `é`). Forms that differ
/// after it (a composed and a decomposed `é`) are different addresses with maildrops of their
/// own: no two accounts ever share one.
pub fn address_key(address: &str) -> String {
    address.trim().to_lowercase()
}

/// Accounts keyed by their address's [`address_key`].
#[derive(Debug, Clone)]
pub struct Accounts {
    by_address: BTreeMap<String, Account>,
}

impl Default for Accounts {
    /// `student@mailtutor.test` and `teacher@mailtutor.test`, both with password `secret`.
    fn default() -> Self {
        Self::new(vec![
            Account {
                address: "student@mailtutor.test".into(),
                password: "secret".into(),
            },
            Account {
                address: "teacher@mailtutor.test".into(),
                password: "secret".into(),
            },
        ])
        .unwrap_or_else(|_| Self {
            by_address: BTreeMap::new(),
        })
    }
}

impl Accounts {
    pub fn new(list: Vec<Account>) -> Result<Self, AccountsError> {
        if list.is_empty() {
            return Err(AccountsError::Empty);
        }
        let mut by_address: BTreeMap<String, Account> = BTreeMap::new();
        for a in list {
            let addr = address_key(&a.address);
            match addr.split_once('@') {
                Some((local, domain))
                    if !local.is_empty()
                        && !domain.is_empty()
                        && !addr.contains(|c: char| c.is_whitespace() || c == '<' || c == '>') => {}
                _ => return Err(AccountsError::BadAddress(a.address)),
            }
            if let Some(old) = by_address.get(&addr)
                && old.password != a.password
            {
                return Err(AccountsError::Duplicate(old.address.clone(), a.address));
            }
            by_address.insert(
                addr.clone(),
                Account {
                    address: addr,
                    password: a.password,
                },
            );
        }
        Ok(Self { by_address })
    }

    /// Reads `[[account]] address = "…" password = "…"` entries.
    pub fn from_file(path: &Path) -> Result<Self, AccountsError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| AccountsError::Read {
            path: shown.clone(),
            source,
        })?;
        let file: AccountsFile = toml::from_str(&text).map_err(|e| AccountsError::Parse {
            path: shown,
            message: e.to_string(),
        })?;
        Self::new(file.accounts)
    }

    /// The account for a login name: the full address, case-insensitive.
    pub fn get(&self, address: &str) -> Option<&Account> {
        self.by_address.get(&address_key(address))
    }

    pub fn check(&self, user: &str, password: &str) -> Option<&Account> {
        self.get(user).filter(|a| a.password == password)
    }

    /// True when the server is the final destination for this domain.
    pub fn serves_domain(&self, domain: &str) -> bool {
        let d = domain.to_ascii_lowercase();
        self.by_address
            .keys()
            .any(|a| a.rsplit_once('@').is_some_and(|(_, ad)| ad == d))
    }

    /// Adds accounts whose address is not taken yet (valid addresses only).
    pub fn add_missing(&mut self, list: Vec<Account>) {
        if let Ok(more) = Self::new(list) {
            for (addr, a) in more.by_address {
                self.by_address.entry(addr).or_insert(a);
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Account> {
        self.by_address.values()
    }
}

/// The accounts of a running server, shared by its sessions: a lesson's accounts and a
/// class's roster join them without a restart, so no connection is dropped.
#[derive(Debug, Clone, Default)]
pub struct LiveAccounts(std::sync::Arc<std::sync::RwLock<Accounts>>);

impl LiveAccounts {
    pub fn new(accounts: Accounts) -> Self {
        Self(std::sync::Arc::new(std::sync::RwLock::new(accounts)))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Accounts> {
        self.0.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, address: &str) -> Option<Account> {
        self.read().get(address).cloned()
    }

    pub fn check(&self, user: &str, password: &str) -> Option<Account> {
        self.read().check(user, password).cloned()
    }

    pub fn serves_domain(&self, domain: &str) -> bool {
        self.read().serves_domain(domain)
    }

    /// Adds accounts whose address is not taken yet; sessions see them at their next login.
    pub fn add_missing(&self, list: Vec<Account>) {
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .add_missing(list);
    }

    /// The accounts as they are now.
    pub fn snapshot(&self) -> Accounts {
        self.read().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_lookup() {
        let a = Accounts::default();
        assert!(a.check("Student@MailTutor.test", "secret").is_some());
        assert!(a.check("student@mailtutor.test", "wrong").is_none());
        assert!(a.serves_domain("MAILTUTOR.TEST"));
        assert!(!a.serves_domain("qq.com"));
        assert_eq!(a.iter().count(), 2);
    }

    #[test]
    fn file_errors_are_clear() {
        let dir = std::env::temp_dir().join(format!("mt-acc-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("a.toml");
        let _ = std::fs::write(
            &p,
            "[[account]]\naddress = \"x@lab.test\"\npassword = \"pw\"\n",
        );
        assert!(Accounts::from_file(&p).is_ok_and(|a| a.check("x@lab.test", "pw").is_some()));
        let _ = std::fs::write(&p, "[[account]]\naddress = \"nope\"\npassword = \"pw\"\n");
        assert!(matches!(
            Accounts::from_file(&p),
            Err(AccountsError::BadAddress(_))
        ));
        let _ = std::fs::write(&p, "not toml [");
        assert!(matches!(
            Accounts::from_file(&p),
            Err(AccountsError::Parse { .. })
        ));
        assert!(matches!(
            Accounts::from_file(&dir.join("missing.toml")),
            Err(AccountsError::Read { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
