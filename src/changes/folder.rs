//! Reads an earlier audit back from its `--out` folder, for `--previous` and `diff`: what its
//! `summary.json` says, and every user's verdict from `users.csv`.
//!
//! A folder is taken only when it is whole: a folder that is no audit, an audit written by an older
//! version, a missing file, a CSV cut short (a row with fewer fields, no final line end, fewer rows than
//! the summary counts) or a summary that is not complete JSON is an input error (exit 2) that names
//! the folder or the file.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::AuditInfo;
use crate::audit::Verdict;
use crate::error::Error;

pub const SUMMARY: &str = "summary.json";
pub const USERS: &str = "users.csv";
pub const DEVICES: &str = "devices.csv";

/// The oldest version whose reports can be compared (the first to write `blockers` and the trailing
/// columns).
const OLDEST_READABLE: (u64, u64, u64) = (0, 1, 0);

/// An earlier audit, as read from its folder.
#[derive(Debug, Clone)]
pub struct AuditFolder {
    pub info: AuditInfo,
    /// Every user in scope: recipient and verdict, in file order.
    pub users: Vec<(String, Verdict)>,
}

/// Reads and checks the audit in `dir`.
pub fn read(dir: &Path) -> Result<AuditFolder, Error> {
    if !dir.is_dir() {
        let what = if dir.exists() { "is not a folder" } else { "does not exist" };
        return Err(Error::input(dir, format!("{what}: give the --out folder of an audit")));
    }
    let summary_path = dir.join(SUMMARY);
    if !summary_path.exists() {
        if [USERS, DEVICES].iter().all(|name| !dir.join(name).exists()) {
            return Err(Error::input(
                dir,
                format!("is not an intune-reach audit folder: it holds none of {SUMMARY}, {USERS}, {DEVICES}"),
            ));
        }
        return Err(Error::input(&summary_path, "is missing: the audit folder is incomplete"));
    }
    let summary = read_summary(&summary_path)?;
    let info = AuditInfo::from_summary(dir, &summary);
    let (users, devices) = std::thread::scope(|scope| {
        let devices = scope.spawn(|| count_devices(&dir.join(DEVICES)));
        let users = read_users(&dir.join(USERS));
        (users, devices.join().unwrap_or_else(|_| Err(Error::input(dir.join(DEVICES), "could not be read"))))
    });
    let users = users?;
    let devices = devices?;
    check_count(&dir.join(USERS), users.len(), info.users, "users")?;
    check_count(&dir.join(DEVICES), devices, info.devices, "devices")?;
    Ok(AuditFolder { info, users })
}

fn read_summary(path: &Path) -> Result<serde_json::Value, Error> {
    let file = File::open(path).map_err(|e| Error::input(path, format!("cannot be read: {e}")))?;
    let summary: serde_json::Value = serde_json::from_reader(BufReader::new(file))
        .map_err(|e| Error::input(path, format!("is not a complete JSON document ({e}): the file may be truncated")))?;
    if summary["tool"]["name"] != env!("CARGO_PKG_NAME") {
        return Err(Error::input(path, "was not written by intune-reach: this folder is not an intune-reach audit"));
    }
    let version = summary["tool"]["version"].as_str().unwrap_or("unknown");
    if summary.get("blockers").is_none() || parse_version(version).is_none_or(|v| v < OLDEST_READABLE) {
        return Err(Error::input(
            path,
            format!(
                "was written by an older version of intune-reach ({version}), whose reports this version cannot \
                 compare: run that audit again with this version ({})",
                env!("CARGO_PKG_VERSION")
            ),
        ));
    }
    Ok(summary)
}

fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let core = text.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

fn check_count(path: &Path, found: usize, counted: usize, what: &str) -> Result<(), Error> {
    if found != counted {
        return Err(Error::input(
            path,
            format!("has {found} {what} but {SUMMARY} counts {counted}: the file is truncated or from another audit"),
        ));
    }
    Ok(())
}

/// Opens a report CSV: it must exist and end with a line end (the writer ends every row with one, so
/// a file without is cut short). Returns a reader with the file's delimiter.
fn open_csv(path: &Path) -> Result<csv::Reader<BufReader<File>>, Error> {
    let cannot = |e: std::io::Error| {
        let what = if e.kind() == std::io::ErrorKind::NotFound {
            "is missing: the audit folder is incomplete"
        } else {
            "cannot be read"
        };
        Error::input(path, format!("{what} ({e})"))
    };
    let mut file = File::open(path).map_err(cannot)?;
    let length = file.metadata().map_err(cannot)?.len();
    let mut last = [0u8; 1];
    if length == 0 || file.seek(SeekFrom::End(-1)).and_then(|_| file.read_exact(&mut last)).is_err() || last[0] != b'\n'
    {
        return Err(Error::input(path, "does not end with a line end: the file is truncated"));
    }
    // The header names hold neither delimiter, so the first line tells which one the file uses.
    file.seek(SeekFrom::Start(0)).map_err(cannot)?;
    let mut head = Vec::with_capacity(1024);
    file.by_ref().take(4096).read_to_end(&mut head).map_err(cannot)?;
    let header_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = if header_line.contains(&b';') && !header_line.contains(&b',') { b';' } else { b',' };
    file.seek(SeekFrom::Start(0)).map_err(cannot)?;
    Ok(csv::ReaderBuilder::new().delimiter(delimiter).from_reader(BufReader::with_capacity(1 << 20, file)))
}

/// A CSV error, naming the file and the line.
fn csv_error(path: &Path, error: csv::Error) -> Error {
    let line = error.position().map(|p| format!("line {}: ", p.line())).unwrap_or_default();
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{line}{len} fields where the header has {expected_len}: the file is truncated or damaged")
        }
        _ => format!("{line}{error}"),
    };
    Error::input(path, message)
}

/// The columns a file must have, by name; a missing one means another version or another file.
fn columns(path: &Path, headers: &csv::ByteRecord, names: &[&str]) -> Result<Vec<usize>, Error> {
    let header: Vec<&[u8]> = headers.iter().map(|h| h.strip_prefix("\u{feff}".as_bytes()).unwrap_or(h)).collect();
    names
        .iter()
        .map(|name| {
            header.iter().position(|h| *h == name.as_bytes()).ok_or_else(|| {
                Error::input(
                    path,
                    format!(
                        "has no `{name}` column: it is not an intune-reach report, or one written by an older \
                         version (run that audit again with this version)"
                    ),
                )
            })
        })
        .collect()
}

fn read_users(path: &Path) -> Result<Vec<(String, Verdict)>, Error> {
    let mut reader = open_csv(path)?;
    let headers = reader.byte_headers().map_err(|e| csv_error(path, e))?.clone();
    let at = columns(path, &headers, &["recipient", "verdict", "closest_device", "next_step"])?;
    let mut users = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(|e| csv_error(path, e))? {
        let line = record.position().map(|p| p.line()).unwrap_or_default();
        let field = |i: usize| {
            std::str::from_utf8(record.get(i).unwrap_or_default())
                .map_err(|_| Error::input(path, format!("line {line}: not UTF-8 text")))
        };
        let verdict = field(at[1])?.parse::<Verdict>().map_err(|e| Error::input(path, format!("line {line}: {e}")))?;
        users.push((unguard(field(at[0])?).to_owned(), verdict));
    }
    Ok(users)
}

fn count_devices(path: &Path) -> Result<usize, Error> {
    let mut reader = open_csv(path)?;
    let headers = reader.byte_headers().map_err(|e| csv_error(path, e))?.clone();
    columns(path, &headers, &["device_id", "verdict", "details"])?;
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    while reader.read_byte_record(&mut record).map_err(|e| csv_error(path, e))? {
        rows += 1;
    }
    Ok(rows)
}

/// A cell as it was before the report's formula guard (`'` before `=`, `+`, `-`, `@`, tab, CR).
fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number() {
        assert_eq!(parse_version("0.1.0"), Some((0, 1, 0)));
        assert_eq!(parse_version("1.12.3-beta.1"), Some((1, 12, 3)));
        assert!(parse_version("0.0.9").unwrap() < OLDEST_READABLE);
        assert_eq!(parse_version("x"), None);
    }

    #[test]
    fn the_guard_comes_off() {
        assert_eq!(unguard("'=cmd"), "=cmd");
        assert_eq!(unguard("'-2"), "-2");
        assert_eq!(unguard("'plain"), "'plain");
        assert_eq!(unguard("ann@x"), "ann@x");
    }
}
