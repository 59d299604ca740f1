//! An export job's file: its `url` downloaded, then its CSV taken out of the zip.
//!
//! The `url` is a storage link whose query is its own credential (a shared access signature), so the
//! request carries no Graph token and no header of the client's own; the link is never logged, nor put
//! in an error (errors keep its path only). It must be https (plain http on a loopback address only,
//! for the simulated Graph). The body is streamed into a temporary file, so a large report costs disk,
//! not memory; a dropped connection, a timeout, 408, 429, 500, 502, 503 and 504 are tried again, from
//! the start (`Retry-After` honoured), up to 4 attempts.
//!
//! The zip must hold one CSV (a single file, or a single `.csv` among others); it is decompressed into
//! a second temporary file, its checksum checked on the way, and the first is removed. The reader may
//! read the CSV twice (the first pass finds the order of its dates), so [`Csv::open`] gives it from its
//! start each time. Both files live in the system's temporary folder and are removed when dropped,
//! on every platform (unnamed temporary files).

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use crate::error::Error;
use crate::source::graph::error::{FailureKind, GraphError, Service};
use crate::source::graph::http::GraphClient;
use crate::source::graph::options::is_loopback;
use crate::source::graph::retry::parse_retry_after;

/// Attempts of a download, the first included.
const ATTEMPTS: u32 = 4;
/// How long one attempt may take, body included.
const TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// A job's CSV, decompressed into a temporary file (removed when this is dropped).
#[derive(Debug)]
pub(in crate::source::graph) struct Csv {
    file: File,
    /// The CSV's name in the zip.
    pub name: String,
    /// Its size, decompressed.
    pub bytes: u64,
}

impl Csv {
    /// The CSV from its start (every handle shares one position: one reader at a time).
    pub fn open(&self) -> Result<File, Error> {
        let mut file = self.file.try_clone().map_err(|e| temp_error("cannot read the export's CSV", e))?;
        file.seek(SeekFrom::Start(0)).map_err(|e| temp_error("cannot read the export's CSV", e))?;
        Ok(file)
    }
}

fn temp_error(what: &'static str, error: std::io::Error) -> Error {
    Error::Runtime { what, source: error.into() }
}

/// Downloads the file of job `id` of the report `label` from `url`, and takes its CSV out.
pub(in crate::source::graph) async fn fetch_csv(
    client: &GraphClient,
    label: &str,
    id: &str,
    url: &str,
) -> Result<Csv, Error> {
    let context = format!("downloading the {label} export of job {id}");
    let unusable = |message: String| {
        let mut error = GraphError::new(Service::Storage, "GET", url, FailureKind::Unusable);
        error.message = Some(message);
        Error::Graph(Box::new(error).within(&context))
    };
    let parsed = url::Url::parse(url).map_err(|_| unusable("the job's url is not a URL".to_owned()))?;
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        _ => return Err(unusable("the job's url is neither https nor on a loopback address".to_owned())),
    }
    let mut zip = tempfile::tempfile().map_err(|e| temp_error("cannot create a temporary file", e))?;
    download(client, url, &mut zip).await.map_err(|failure| Error::Graph(failure.within(&context)))?;
    tokio::task::spawn_blocking(move || unzip(zip))
        .await
        .map_err(|e| Error::Runtime { what: "the export's unzipping task failed", source: e.into() })?
        .map_err(|message| unusable(format!("the file is not a usable zip: {message}")))
}

/// Streams the body of `url` into `file`, trying again on failures that can pass.
async fn download(client: &GraphClient, url: &str, file: &mut File) -> Result<(), Box<GraphError>> {
    let started = std::time::Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (failure, retry_after) = match download_once(client, url, file).await {
            Ok(()) => return Ok(()),
            Err(failed) => failed,
        };
        let mut failure = failure;
        failure.attempts = attempt;
        failure.elapsed = started.elapsed();
        let passing = match (failure.kind, failure.status) {
            (FailureKind::NoAnswer | FailureKind::TimedOut, _) => true,
            (FailureKind::Status, Some(status)) => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            _ => false,
        };
        if !passing || attempt >= ATTEMPTS {
            if failure.status == Some(403) {
                failure.hint = Some("the link may have expired: run again to get a fresh export".to_owned());
            }
            return Err(failure);
        }
        let wait = retry_after.unwrap_or(Duration::from_secs(1 << (attempt - 1)));
        tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "export download failed; retrying");
        tokio::time::sleep(wait).await;
    }
}

type Failed = (Box<GraphError>, Option<Duration>);

/// One attempt: a plain GET (no Graph token), the body written to `file` from its start.
async fn download_once(client: &GraphClient, url: &str, file: &mut File) -> Result<(), Failed> {
    let failed = |kind: FailureKind, message: String| {
        let mut error = GraphError::new(Service::Storage, "GET", url, kind);
        error.message = Some(message);
        (Box::new(error), None)
    };
    let io_failed = |e: std::io::Error| failed(FailureKind::Unusable, format!("cannot write the temporary file: {e}"));
    file.set_len(0).map_err(io_failed)?;
    file.seek(SeekFrom::Start(0)).map_err(io_failed)?;
    client.count_request();
    let no_answer = |error: reqwest::Error| {
        let kind = if error.is_timeout() { FailureKind::TimedOut } else { FailureKind::NoAnswer };
        failed(kind, error.without_url().to_string())
    };
    let mut response = client.plain_http().get(url).timeout(TIMEOUT).send().await.map_err(no_answer)?;
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if !(200..300).contains(&status) {
        let (request_id, retry_after) = (header("x-ms-request-id"), header("retry-after"));
        let body = response.bytes().await.unwrap_or_default();
        let mut error = GraphError::new(Service::Storage, "GET", url, FailureKind::Status);
        error.status = Some(status);
        error.request_id = request_id;
        (error.code, error.message) = storage_error(&body);
        return Err((Box::new(error), retry_after.as_deref().and_then(parse_retry_after)));
    }
    while let Some(chunk) = response.chunk().await.map_err(no_answer)? {
        file.write_all(&chunk).map_err(io_failed)?;
    }
    file.flush().map_err(io_failed)?;
    Ok(())
}

/// Azure Storage's error body, `<Error><Code>…</Code><Message>…</Message></Error>`: its code and the
/// first line of its message (anything else: a short excerpt).
fn storage_error(body: &[u8]) -> (Option<String>, Option<String>) {
    let text = String::from_utf8_lossy(body);
    let between = |open: &str, close: &str| {
        let start = text.find(open)? + open.len();
        let end = text[start..].find(close)? + start;
        Some(text[start..end].lines().next().unwrap_or("").trim().to_owned())
    };
    match between("<Code>", "</Code>") {
        Some(code) => (Some(code), between("<Message>", "</Message>")),
        None => {
            let excerpt: String = text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(200).collect();
            (None, (!excerpt.is_empty()).then_some(excerpt))
        }
    }
}

/// Takes the one CSV out of the zip in `file`, into a temporary file of its own.
fn unzip(file: File) -> Result<Csv, String> {
    let mut archive = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    let files: Vec<usize> =
        (0..archive.len()).filter(|&i| archive.by_index_raw(i).is_ok_and(|entry| entry.is_file())).collect();
    let csvs: Vec<usize> = files
        .iter()
        .copied()
        .filter(|&i| archive.name_for_index(i).is_some_and(|n| n.to_ascii_lowercase().ends_with(".csv")))
        .collect();
    let index = match (files.as_slice(), csvs.as_slice()) {
        (_, [one]) | ([one], []) => *one,
        ([], _) => return Err("it holds no file".to_owned()),
        _ => return Err(format!("it holds {} files and not one CSV among them ({})", files.len(), names.join(", "))),
    };
    let mut entry = archive.by_index(index).map_err(|e| e.to_string())?;
    let name = entry.name().to_owned();
    let mut csv = tempfile::tempfile().map_err(|e| format!("cannot create a temporary file: {e}"))?;
    // The entry's reader checks the CRC-32 at its end: a damaged file fails here.
    let bytes = std::io::copy(&mut entry, &mut csv).map_err(|e| format!("{name}: {e}"))?;
    Ok(Csv { file: csv, name, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn zip_of(entries: &[(&str, &[u8])]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        {
            let mut writer = zip::ZipWriter::new(&mut file);
            for (name, bytes) in entries {
                let options = zip::write::SimpleFileOptions::default();
                writer.start_file(*name, options).unwrap();
                writer.write_all(bytes).unwrap();
            }
            writer.finish().unwrap();
        }
        file.seek(SeekFrom::Start(0)).unwrap();
        file
    }

    fn text(csv: &Csv) -> String {
        let mut out = String::new();
        csv.open().unwrap().read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn the_one_csv_is_taken_out_and_read_from_its_start_each_time() {
        let csv = unzip(zip_of(&[("Devices_1.csv", b"\xEF\xBB\xBFDeviceId\nd1\n")])).unwrap();
        assert_eq!((csv.name.as_str(), csv.bytes), ("Devices_1.csv", 15));
        assert_eq!(text(&csv), "\u{feff}DeviceId\nd1\n");
        assert_eq!(text(&csv), "\u{feff}DeviceId\nd1\n", "a second open starts over");
        let among_others = unzip(zip_of(&[("readme.txt", b"x"), ("report.CSV", b"a\n")])).unwrap();
        assert_eq!(among_others.name, "report.CSV");
        let single = unzip(zip_of(&[("report", b"a\n")])).unwrap();
        assert_eq!(single.name, "report");
    }

    #[test]
    fn what_is_no_zip_or_holds_no_single_csv_is_refused() {
        let mut garbage = tempfile::tempfile().unwrap();
        garbage.write_all(b"<html>not a zip</html>").unwrap();
        assert!(unzip(garbage).is_err());
        assert_eq!(unzip(zip_of(&[])).unwrap_err(), "it holds no file");
        let two = unzip(zip_of(&[("a.csv", b"a"), ("b.csv", b"b")])).unwrap_err();
        assert!(two.contains("2 files and not one CSV"), "{two}");
        // A flipped byte in the compressed data: the checksum (or the inflater) says so.
        let mut file = zip_of(&[("d.csv", "DeviceId\n".repeat(500).as_bytes())]);
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        bytes[60] ^= 0xFF;
        let mut damaged = tempfile::tempfile().unwrap();
        damaged.write_all(&bytes).unwrap();
        damaged.seek(SeekFrom::Start(0)).unwrap();
        assert!(unzip(damaged).is_err());
    }

    #[test]
    fn storage_errors_give_their_code_and_message() {
        let body =
            b"\xEF\xBB\xBF<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed \
            to authenticate the request.\nRequestId:1\nTime:2</Message></Error>";
        assert_eq!(
            storage_error(body),
            (Some("AuthenticationFailed".into()), Some("Server failed to authenticate the request.".into()))
        );
        assert_eq!(storage_error(b"gone  away"), (None, Some("gone away".into())));
        assert_eq!(storage_error(b""), (None, None));
    }
}
