//! A class on one server: a list of student names becomes one practice account each, with a
//! generated password, kept in the server's data directory (`roster.toml`) so the accounts
//! outlive a restart, and exported as a list to hand out.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::accounts::Account;
use crate::proto::Lang;

/// The domain of the students' addresses.
pub const DOMAIN: &str = "mailtutor.test";

/// The file in the data directory that keeps the class.
pub const FILE: &str = "roster.toml";

/// One student and the practice account made for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Student {
    pub name: String,
    pub address: String,
    /// A practice password made by the server, not one the student chose: it is kept so the
    /// teacher can print the list again, as a lab's passwd file would.
    pub password: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    #[serde(default, rename = "student")]
    pub students: Vec<Student>,
}

/// Reads names from what a teacher pastes or imports: one per line, or CSV whose first column
/// is the name (a header row such as `name,…` or `姓名,…` is skipped). Blank lines, `#`
/// comments and repeated names are dropped.
pub fn parse_names(text: &str) -> Vec<String> {
    let text = text.trim_start_matches('\u{feff}');
    let mut names: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.split([',', ';', '\t']).next().unwrap_or("");
        let name = first.trim().trim_matches('"').trim().to_owned();
        let header = |lang| crate::words::tr(lang, "class.header_words");
        let headers = format!("{},{}", header(Lang::En), header(Lang::Zh));
        if i == 0
            && headers
                .split(',')
                .any(|h| name.eq_ignore_ascii_case(h.trim()))
        {
            continue;
        }
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The local part for a name: ASCII letters and digits of the name, lower-cased, words joined
/// by dots (`Li Lei` → `li.lei`); empty when the name has none (a Chinese name).
fn slug(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.join(".")
}

/// A password of eight letters and digits that cannot be misread on paper (no 0/O, 1/l/I).
pub fn generate_password() -> Result<String, String> {
    use ring::rand::{SecureRandom, SystemRandom};
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| String::from("the system's random numbers are unavailable"))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

impl Roster {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE)
    }

    /// The class kept in `data_dir`; none yet is an empty roster.
    pub fn load(data_dir: &Path) -> Result<Self, String> {
        let path = Self::path(data_dir);
        match fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Writes the roster whole (a temporary file renamed over the old one), readable by its
    /// owner only where the system has such permissions.
    pub fn save(&self, data_dir: &Path) -> Result<(), String> {
        let path = Self::path(data_dir);
        let tmp = data_dir.join(format!(".{FILE}.tmp"));
        let text = toml::to_string(self).map_err(|e| e.to_string())?;
        let write = || -> io::Result<()> {
            fs::create_dir_all(data_dir)?;
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut f = options.open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Adds an account for each name not on the roster yet; `taken` are addresses in use
    /// elsewhere (the built-in accounts). Returns the students added.
    pub fn add(&mut self, names: &[String], taken: &[String]) -> Result<Vec<Student>, String> {
        let mut added = Vec::new();
        for name in names {
            if self.students.iter().any(|s| &s.name == name) {
                continue;
            }
            let base = match slug(name) {
                s if s.is_empty() => format!("student{:02}", self.students.len() + 1),
                s => s,
            };
            let key = super::accounts::address_key;
            let in_use = |a: &str| {
                taken
                    .iter()
                    .chain(self.students.iter().map(|s| &s.address))
                    .any(|t| key(t) == key(a))
            };
            let mut address = format!("{base}@{DOMAIN}");
            let mut n = 2;
            while in_use(&address) {
                address = format!("{base}{n}@{DOMAIN}");
                n += 1;
            }
            let student = Student {
                name: name.clone(),
                address,
                password: generate_password()?,
            };
            self.students.push(student.clone());
            added.push(student);
        }
        Ok(added)
    }

    pub fn accounts(&self) -> Vec<Account> {
        self.students
            .iter()
            .map(|s| Account {
                address: s.address.clone(),
                password: s.password.clone(),
            })
            .collect()
    }

    /// The list to hand out, as CSV (opens in a spreadsheet, prints as a table).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("name,address,password\r\n");
        for s in &self.students {
            let quoted = if s.name.contains([',', '"']) {
                format!("\"{}\"", s.name.replace('"', "\"\""))
            } else {
                s.name.clone()
            };
            out.push_str(&format!("{quoted},{},{}\r\n", s.address, s.password));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_lines_or_csv() {
        assert_eq!(
            parse_names("\u{feff}姓名,学号\r\n张三,001\r\n\"Li Lei\",002\r\n\r\n张三,003\r\n"),
            vec!["张三", "Li Lei"]
        );
        assert_eq!(parse_names("Ann\n# absent\n  Bob  \n"), vec!["Ann", "Bob"]);
    }

    #[test]
    fn addresses_are_unique_and_passwords_readable() {
        let mut r = Roster::default();
        let names = parse_names("Li Lei\n张三\nli lei!\n王五");
        let added = r
            .add(&names, &["student@mailtutor.test".into()])
            .unwrap_or_default();
        let addresses: Vec<&str> = added.iter().map(|s| s.address.as_str()).collect();
        assert_eq!(
            addresses,
            [
                "li.lei@mailtutor.test",
                "student02@mailtutor.test",
                "li.lei2@mailtutor.test",
                "student04@mailtutor.test"
            ]
        );
        for s in &added {
            assert_eq!(s.password.len(), 8);
            assert!(
                !s.password.contains(['0', 'O', '1', 'l', 'I']),
                "{}",
                s.password
            );
        }
        assert_ne!(added[0].password, added[1].password);
        // Adding the same names again adds nobody.
        assert!(r.add(&names, &[]).unwrap_or_default().is_empty());
        assert!(
            r.to_csv()
                .starts_with("name,address,password\r\nLi Lei,li.lei@")
        );
    }

    #[test]
    fn saved_and_loaded_whole() {
        let dir = std::env::temp_dir().join(format!("mailtutor-roster-{}", std::process::id()));
        let mut r = Roster::default();
        r.add(&["Ann".into()], &[]).unwrap_or_default();
        assert_eq!(r.save(&dir), Ok(()));
        assert_eq!(Roster::load(&dir), Ok(r));
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(Roster::load(&dir), Ok(Roster::default()));
    }
}
