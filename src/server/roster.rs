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
/// is the name (a header row such as `name,…` or `姓名,…` is skipped), read as CSV is (a
/// quoted `"Smith, John"` is one name). The separator is `,`, a tab or `;`, whichever every
/// line has; a list with none of them in every line is one name per line. Blank lines, `#`
/// comments and repeated names are dropped.
pub fn parse_names(text: &str) -> Vec<String> {
    let text = text.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let separator = [b',', b'\t', b';']
        .into_iter()
        .find(|&d| lines.iter().all(|l| l.as_bytes().contains(&d)));
    let header = |lang| crate::words::tr(lang, "class.header_words");
    let headers = format!("{},{}", header(Lang::En), header(Lang::Zh));
    let mut names: Vec<String> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let first = match separator {
            Some(d) => csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(d)
                .from_reader(line.as_bytes())
                .records()
                .next()
                .and_then(Result::ok)
                .and_then(|r| r.get(0).map(str::to_owned))
                .unwrap_or_default(),
            None => (*line).to_owned(),
        };
        let name = first.trim().to_owned();
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

/// A cell as a spreadsheet may open it safely: one that would start a formula (`=`, `+`, `-`,
/// `@`, a tab or a CR first) gets a leading `'`, as OWASP recommends for CSV export.
pub fn inert_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Writes a file only its owner can read (mode 0600 on Unix; directories it makes, 0700), for
/// lists that hold passwords. On Windows the data directory is the user's own (under their
/// AppData).
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let mut f = options.open(path)?;
        // A file that existed keeps its mode when opened: set it.
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()
    }
    #[cfg(not(unix))]
    {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let mut f = options.open(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    }
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

/// Closes the server's data directory (mail, the class's passwords) to other users: mode 0700 on
/// Unix, whatever it was made with.
pub fn close_data_dir(data_dir: &Path) -> io::Result<()> {
    fs::create_dir_all(data_dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(data_dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
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
            close_data_dir(data_dir)?;
            write_private(&tmp, text.as_bytes())?;
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

    /// The list to hand out, as CSV (opens in a spreadsheet, prints as a table): written by a
    /// CSV writer (quotes where a name needs them), no cell able to start a formula.
    pub fn to_csv(&self) -> String {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        let _ = w.write_record(["name", "address", "password"]);
        for s in &self.students {
            let _ = w.write_record(
                [
                    inert_cell(&s.name),
                    inert_cell(&s.address),
                    inert_cell(&s.password),
                ]
                .iter()
                .map(|c| c.as_bytes()),
            );
        }
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
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
        // A quoted name keeps its comma; a semicolon in a name does not cut it.
        assert_eq!(
            parse_names("name,id\n\"Smith, John\",1\n\"O\"\"Neil\",2\n"),
            vec!["Smith, John", "O\"Neil"]
        );
        assert_eq!(parse_names("Ann;B\nBob\n"), vec!["Ann;B", "Bob"]);
        assert_eq!(parse_names("Ann;1\nBob;2\n"), vec!["Ann", "Bob"]);
    }

    #[test]
    fn the_list_opens_safely_in_a_spreadsheet() {
        let mut r = Roster::default();
        let names = [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "Smith, John",
            "a\rb",
            "Q\"uote",
        ];
        r.add(&names.map(String::from), &[]).unwrap_or_default();
        let csv = r.to_csv();
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes())
            .records()
            .map(|r| r.unwrap_or_default())
            .collect();
        assert_eq!(rows.len(), names.len(), "{csv}");
        for (row, name) in rows.iter().zip(names) {
            let cell = row.get(0).unwrap_or_default();
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
            assert_eq!(cell.trim_start_matches('\''), name);
            assert_eq!(row.len(), 3, "{csv}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_list_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("mailtutor-private-{}", std::process::id()));
        let path = dir.join("inner").join("roster.csv");
        // Even a file that was there with a wider mode.
        let _ = fs::create_dir_all(dir.join("inner"));
        let _ = fs::write(&path, "old");
        let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o666));
        let _ = fs::set_permissions(dir.join("inner"), fs::Permissions::from_mode(0o755));
        assert!(write_private(&path, b"x").is_ok());
        let mode = |p: &Path| {
            fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        assert_eq!(mode(&path), 0o600);
        // A folder the teacher chose keeps its mode; the data directory is closed.
        assert_eq!(mode(&dir.join("inner")), 0o755);
        assert!(close_data_dir(&dir.join("inner")).is_ok());
        assert_eq!(mode(&dir.join("inner")), 0o700);
        let fresh = dir.join("fresh").join("roster.csv");
        assert!(write_private(&fresh, b"x").is_ok());
        assert_eq!(mode(&fresh), 0o600);
        assert_eq!(mode(&dir.join("fresh")), 0o700);
        let _ = fs::remove_dir_all(&dir);
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
