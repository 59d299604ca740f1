//! The ledger: this tool's own sends, so that Intune's hourly limits (25 group sends per tenant, 10
//! sends to one device) are kept before a request is made. Intune itself keeps no record of sends, so
//! sends made elsewhere (the admin center, scripts, another machine's ledger) are invisible here.
//!
//! A JSON-lines file, one line per send request, by default `intune-reach/ledger.jsonl` in the user's
//! data folder (`--ledger FILE` elsewhere, e.g. one shared by a pipeline's runs):
//!
//! ```json
//! {"id":"5b0e…","time":"2026-11-26T10:00:03Z","tenant":"7f3a…","kind":"device","targets":["d1"],"status":"sent","notification":"sha256:3c9f0b1e2a4d5f60"}
//! ```
//!
//! `kind` is `group` (`targets`: the group ids of one group send) or `device` (the one device id);
//! `status` is `reserved` (about to be sent, or the run stopped before it could say), `sent` or
//! `unknown` (it may have arrived); `notification` is a hash of the title and body, never the text. A
//! line holds no secret, no message and no user name.
//!
//! Concurrent runs share the file safely: every read and write happens under a lock on
//! `ledger.jsonl.lock` beside it (shared to read, exclusive to change). A run checks the limits and
//! writes its requests as `reserved` in one exclusive section, so two runs can never both take the
//! last slot; after sending it writes what became of them: `sent` and `unknown` requests stay (with the
//! time of their answer), failed and skipped ones are removed, as Intune did not act on them. A run
//! that dies in between leaves `reserved` lines, which count until they leave the hour: when unsure,
//! the ledger counts. The file is rewritten whole (a temporary file renamed into place), never left
//! half-written, and lines older than a day are dropped then.

use std::fs::{File, OpenOptions};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::limits::{Request, Usage};
use crate::error::Error;
use crate::source::graph::Notification;

/// Lines older than this are dropped when the ledger is rewritten (the limits look back one hour).
fn kept_for() -> Duration {
    Duration::hours(24)
}

/// What a send request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Group,
    Device,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Group => "group",
            Kind::Device => "device",
        }
    }
}

/// Where a send request stands in the ledger (every status counts against the limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryStatus {
    Reserved,
    Sent,
    Unknown,
}

/// One line: one send request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub time: DateTime<Utc>,
    /// The tenant id, trimmed and in lower case.
    pub tenant: String,
    pub kind: Kind,
    pub targets: Vec<String>,
    pub status: EntryStatus,
    /// `sha256:` and 16 hex digits of the title and body.
    #[serde(default)]
    pub notification: String,
}

/// What became of a reserved request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Graph accepted it; the time of its answer.
    Sent(DateTime<Utc>),
    /// It may have arrived; when the client gave up on it.
    Unknown(DateTime<Utc>),
    /// It was refused or never sent: Intune did not act on it.
    NotSent,
}

/// The ledger file.
#[derive(Debug, Clone)]
pub struct Ledger {
    path: PathBuf,
}

impl Ledger {
    pub fn new(path: impl Into<PathBuf>) -> Ledger {
        Ledger { path: path.into() }
    }

    /// `intune-reach/ledger.jsonl` in the user's data folder: `%APPDATA%` on Windows
    /// (`C:\Users\NAME\AppData\Roaming`), `~/Library/Application Support` on macOS, `$XDG_DATA_HOME`
    /// or `~/.local/share` on Linux.
    pub fn default_path() -> Result<PathBuf, Error> {
        let data = dirs::data_dir().ok_or_else(|| {
            Error::Usage("this system names no data folder for the send ledger: pass --ledger FILE".to_owned())
        })?;
        Ok(data.join("intune-reach").join("ledger.jsonl"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the ledger counts for `tenant` in the hour before `now`. Nothing is created: no ledger
    /// yet means no sends.
    pub fn usage(&self, tenant: &str, now: DateTime<Utc>) -> Result<Usage, Error> {
        if !self.path.exists() {
            return Ok(Usage::default());
        }
        let _lock = self.lock(Lock::Shared)?;
        Ok(Usage::of(&self.read()?, &normalise(tenant), now))
    }

    /// Checks `requests` against the hourly limits and writes them as `reserved`, in one exclusive
    /// section. Returns their ids, in order; a limit that would be exceeded is a usage error (exit 2)
    /// and nothing is written.
    pub fn reserve(
        &self,
        tenant: &str,
        requests: &[Request],
        notification: &Notification,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, Error> {
        let tenant = normalise(tenant);
        let _lock = self.lock(Lock::Exclusive)?;
        let mut entries = self.read()?;
        Usage::of(&entries, &tenant, now)
            .check(requests)
            .map_err(|why| Error::Usage(format!("nothing was sent: {why}")))?;
        let fingerprint = fingerprint(notification);
        let ids: Vec<String> = requests.iter().map(|_| uuid::Uuid::new_v4().to_string()).collect();
        entries.extend(requests.iter().zip(&ids).map(|(request, id)| Entry {
            id: id.clone(),
            time: now,
            tenant: tenant.clone(),
            kind: request.kind,
            targets: request.targets.clone(),
            status: EntryStatus::Reserved,
            notification: fingerprint.clone(),
        }));
        self.write(entries, now)?;
        Ok(ids)
    }

    /// Writes what became of reserved requests (by id): sent and unknown ones stay with the time of their
    /// answer, the others are removed.
    pub fn settle(&self, outcomes: &[(String, Settled)], now: DateTime<Utc>) -> Result<(), Error> {
        let by_id: std::collections::HashMap<&str, Settled> =
            outcomes.iter().map(|(id, settled)| (id.as_str(), *settled)).collect();
        let _lock = self.lock(Lock::Exclusive)?;
        let mut entries = self.read()?;
        entries.retain_mut(|entry| match by_id.get(entry.id.as_str()) {
            None => true,
            Some(Settled::NotSent) => false,
            Some(Settled::Sent(time)) => {
                (entry.status, entry.time) = (EntryStatus::Sent, *time);
                true
            }
            Some(Settled::Unknown(time)) => {
                (entry.status, entry.time) = (EntryStatus::Unknown, *time);
                true
            }
        });
        self.write(entries, now)
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    /// Locks the ledger (creating its folder and lock file); the lock ends when the file is dropped.
    fn lock(&self, kind: Lock) -> Result<File, Error> {
        let path = self.lock_path();
        let error = |source| Error::Output { path: path.clone(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Output { path: dir.to_owned(), source })?;
        }
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(error)?;
        match kind {
            Lock::Shared => file.lock_shared(),
            Lock::Exclusive => file.lock(),
        }
        .map_err(error)?;
        Ok(file)
    }

    fn read(&self) -> Result<Vec<Entry>, Error> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::input(&self.path, format!("cannot read the send ledger: {e}"))),
        };
        let mut entries = Vec::new();
        for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| Error::input(&self.path, format!("cannot read the send ledger: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            let entry = serde_json::from_str(&line).map_err(|e| {
                Error::input(
                    &self.path,
                    format!("line {}: not a ledger line ({e}); fix or remove that line", number + 1),
                )
            })?;
            entries.push(entry);
        }
        Ok(entries)
    }

    fn write(&self, mut entries: Vec<Entry>, now: DateTime<Utc>) -> Result<(), Error> {
        entries.retain(|entry| entry.time > now - kept_for());
        crate::output::write_file(&self.path, |out| {
            for entry in &entries {
                serde_json::to_writer(&mut *out, entry)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        })
    }
}

enum Lock {
    Shared,
    Exclusive,
}

fn normalise(tenant: &str) -> String {
    tenant.trim().to_ascii_lowercase()
}

/// A hash of the title and body: tells sends of one notification apart from another's, without the text.
fn fingerprint(notification: &Notification) -> String {
    let mut hash = sha2::Sha256::new();
    hash.update(notification.title.as_bytes());
    hash.update([0]);
    hash.update(notification.body.as_bytes());
    let digest = hash.finalize();
    let hex: String = digest.iter().take(8).map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::super::limits::GROUP_SENDS_PER_HOUR;
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    fn notification() -> Notification {
        Notification { title: "Office closed".into(), body: "The office is closed today: jane@contoso.example".into() }
    }

    fn group() -> Request {
        Request { kind: Kind::Group, targets: vec!["g1".into(), "g2".into()] }
    }

    fn device(id: &str) -> Request {
        Request { kind: Kind::Device, targets: vec![id.to_owned()] }
    }

    #[test]
    fn reserved_then_settled_sends_stay_and_failed_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(dir.path().join("sub").join("ledger.jsonl"));
        assert_eq!(ledger.usage("T1", now()).unwrap(), Usage::default());
        assert!(!ledger.path().exists(), "looking creates nothing");

        let ids = ledger.reserve(" T1 ", &[device("d1"), device("d2"), device("d3")], &notification(), now()).unwrap();
        let reserved = ledger.read().unwrap();
        assert_eq!(reserved.len(), 3);
        assert!(reserved.iter().all(|e| e.status == EntryStatus::Reserved && e.tenant == "t1"));
        assert_eq!(ledger.usage("t1", now()).unwrap().device_send_count(), 3, "a reservation counts");

        let answered = now();
        ledger
            .settle(
                &[
                    (ids[0].clone(), Settled::Sent(answered)),
                    (ids[1].clone(), Settled::Unknown(answered)),
                    (ids[2].clone(), Settled::NotSent),
                ],
                now(),
            )
            .unwrap();
        let entries = ledger.read().unwrap();
        let kept: Vec<(&str, EntryStatus)> = entries.iter().map(|e| (e.targets[0].as_str(), e.status)).collect();
        assert_eq!(kept, [("d1", EntryStatus::Sent), ("d2", EntryStatus::Unknown)]);
        assert!(entries.iter().all(|e| e.time == answered));

        let text = std::fs::read_to_string(ledger.path()).unwrap();
        assert!(!text.contains("Office") && !text.contains("jane@contoso.example"), "no message text: {text}");
        assert!(text.lines().all(|l| l.contains("\"notification\":\"sha256:")), "{text}");
        assert_eq!(text.lines().count(), 2);
    }

    #[test]
    fn a_refused_reservation_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(dir.path().join("ledger.jsonl"));
        for _ in 0..GROUP_SENDS_PER_HOUR {
            ledger.reserve("t1", &[group()], &notification(), now()).unwrap();
        }
        let before = std::fs::read_to_string(ledger.path()).unwrap();
        let refused = ledger.reserve("t1", &[group()], &notification(), now()).unwrap_err();
        assert_eq!(refused.exit_code(), 2);
        assert!(refused.to_string().contains("25 group sends"), "{refused}");
        assert_eq!(std::fs::read_to_string(ledger.path()).unwrap(), before);
        assert!(ledger.reserve("another-tenant", &[group()], &notification(), now()).is_ok());
    }

    #[test]
    fn concurrent_reservations_never_exceed_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let reserved: usize = std::thread::scope(|scope| {
            let runs: Vec<_> = (0..40)
                .map(|_| {
                    let ledger = Ledger::new(&path);
                    scope.spawn(move || ledger.reserve("t1", &[group()], &notification(), now()).is_ok())
                })
                .collect();
            runs.into_iter().map(|run| usize::from(run.join().unwrap())).sum()
        });
        assert_eq!(reserved, GROUP_SENDS_PER_HOUR);
        assert_eq!(Ledger::new(&path).read().unwrap().len(), GROUP_SENDS_PER_HOUR);
    }

    #[test]
    fn old_lines_are_dropped_and_a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(dir.path().join("ledger.jsonl"));
        let old = now() - Duration::hours(30);
        ledger.reserve("t1", &[device("old")], &notification(), old).unwrap();
        ledger.reserve("t1", &[device("new")], &notification(), now()).unwrap();
        let targets: Vec<String> = ledger.read().unwrap().into_iter().map(|e| e.targets[0].clone()).collect();
        assert_eq!(targets, ["new"]);

        let mut text = std::fs::read_to_string(ledger.path()).unwrap();
        text.push_str("{not json\n");
        std::fs::write(ledger.path(), text).unwrap();
        let error = ledger.usage("t1", now()).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("line 2: not a ledger line"), "{error}");
    }

    #[test]
    fn the_fingerprint_tells_notifications_apart() {
        let a = fingerprint(&notification());
        assert_eq!(a, fingerprint(&notification()));
        assert_ne!(a, fingerprint(&Notification { title: "Office closed!".into(), ..notification() }));
        assert_ne!(
            fingerprint(&Notification { title: "ab".into(), body: "c".into() }),
            fingerprint(&Notification { title: "a".into(), body: "bc".into() })
        );
        assert_eq!(a.len(), "sha256:".len() + 16);
    }
}
