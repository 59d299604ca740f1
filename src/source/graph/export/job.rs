//! One report export job, from its submission to its CSV on disk.
//!
//! A job is submitted with the report's name, `format: csv`, the columns it needs (`select`: Microsoft
//! asks automation never to rely on a report's default columns) and an optional `filter`. Then its
//! status is read until it is `completed` (its `url` is then downloaded, see `download`), `failed`,
//! or the job has run longer than the timeout: a job that stalls or fails is submitted afresh, which
//! almost always works, at most `attempts` times in all. The first poll comes `first_poll` after the
//! submission, each later one half as long again after the previous, up to `max_poll`, so a short job
//! is seen soon and a long one costs few requests. Creating and polling go through the export jobs'
//! own budget ([`GraphClient::export_job`]); each poll tells the phase the job's state and age.

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use tokio::time::Instant;

use super::download::{self, Csv};
use crate::error::Error;
use crate::source::graph::error::GraphError;
use crate::source::graph::http::{Body, GraphClient};
use crate::source::graph::options::ExportJobSettings;
use crate::source::progress::Phase;

/// What a job exports.
#[derive(Debug, Clone)]
pub(super) struct Report {
    /// The `reportName`: `Devices`, `AppInvRawData`.
    pub name: &'static str,
    pub select: &'static [&'static str],
    pub filter: Option<String>,
    /// How messages name it: `Devices`, `AppInvRawData (Company Portal)`.
    pub label: String,
}

/// A completed job and its CSV.
#[derive(Debug)]
pub(super) struct Finished {
    pub job_id: String,
    pub csv: Csv,
}

/// A job as Graph describes it (the fields read here).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobState {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

/// How one submission ended.
enum Ended {
    Completed {
        url: String,
    },
    /// Why the job was given up (failed, or still running at the timeout).
    GaveUp(String),
}

/// The URL of the export jobs.
fn jobs_url(client: &GraphClient) -> String {
    format!("{}/beta/deviceManagement/reports/exportJobs", client.graph())
}

/// The URL of one job.
pub(super) fn job_url(client: &GraphClient, id: &str) -> String {
    format!("{}('{id}')", jobs_url(client))
}

/// Runs the job of `report` until its CSV is on disk, submitting it again when it fails or stalls.
pub(super) async fn run(
    client: &GraphClient,
    report: &Report,
    settings: &ExportJobSettings,
    phase: &Phase,
) -> Result<Finished, Error> {
    let attempts = settings.attempts.max(1);
    let mut given_up: Vec<String> = Vec::new();
    let mut last_id = String::new();
    for attempt in 1..=attempts {
        let id = submit(client, report).await?;
        match watch(client, report, &id, settings, phase, attempt).await? {
            Ended::Completed { url } => {
                phase.status(&format!("{} export job completed, downloading", report.label));
                let csv = download::fetch_csv(client, &report.label, &id, &url).await?;
                return Ok(Finished { job_id: id, csv });
            }
            Ended::GaveUp(why) => {
                tracing::info!(
                    "{} export: {why}; {}",
                    report.label,
                    if attempt < attempts { "submitting it again" } else { "giving up" }
                );
                given_up.push(why);
                last_id = id;
            }
        }
    }
    let message = format!(
        "{} submission(s), none completed: {}; Intune's report export is not finishing now: try again later, \
         or read the devices with --devices-via list",
        given_up.len(),
        given_up.join("; ")
    );
    let context = format!("running the {} export job {last_id}", report.label);
    Err(Error::Graph(GraphError::unusable(context, "GET", &job_url(client, &last_id), message)))
}

/// Creates the job; its id.
async fn submit(client: &GraphClient, report: &Report) -> Result<String, Error> {
    let context = format!("creating the {} export job", report.label);
    let mut body = serde_json::json!({
        "reportName": report.name,
        "format": "csv",
        "localizationType": "LocalizedValuesAsAdditionalColumn",
        "select": report.select,
    });
    if let Some(filter) = &report.filter {
        body["filter"] = serde_json::Value::String(filter.clone());
    }
    let body = body.to_string().into_bytes();
    let url = jobs_url(client);
    let reply = client
        .export_job(&Method::POST, &url, Body::Json(&body))
        .await
        .map_err(|failure| failure.into_error(&context))?;
    let state: JobState = serde_json::from_slice(&reply.body).map_err(|e| {
        Error::Graph(reply.unusable(&context, "POST", &url, format!("the answer is not an export job ({e})")))
    })?;
    match state.id.filter(|id| is_job_id(id)) {
        Some(id) => {
            tracing::debug!("{} export job {id} submitted", report.label);
            Ok(id)
        }
        None => Err(Error::Graph(reply.unusable(&context, "POST", &url, "the answer has no usable job id"))),
    }
}

/// Whether a job id can be put into the job's URL as it is (Graph's are `Devices_<guid>`).
fn is_job_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Polls the job until it completes, fails or runs out of time.
async fn watch(
    client: &GraphClient,
    report: &Report,
    id: &str,
    settings: &ExportJobSettings,
    phase: &Phase,
    attempt: u32,
) -> Result<Ended, Error> {
    let context = format!("reading the {} export job {id}", report.label);
    let url = job_url(client, id);
    let started = Instant::now();
    let mut wait = settings.first_poll;
    loop {
        tokio::time::sleep(wait).await;
        wait = wait.mul_f64(1.5).min(settings.max_poll);
        let reply = client.export_job(&Method::GET, &url, Body::Empty).await.map_err(|f| f.into_error(&context))?;
        let state: JobState = serde_json::from_slice(&reply.body).map_err(|e| {
            Error::Graph(reply.unusable(&context, "GET", &url, format!("the answer is not an export job ({e})")))
        })?;
        let status = state.status.as_deref().unwrap_or("unknown");
        let elapsed = started.elapsed();
        let again = if attempt > 1 { format!(" (submission {attempt})") } else { String::new() };
        phase.status(&format!("{} export job {status}{again}, {} s", report.label, elapsed.as_secs()));
        if status.eq_ignore_ascii_case("completed") {
            return Ok(match state.url.filter(|u| !u.trim().is_empty()) {
                Some(url) => Ended::Completed { url },
                None => Ended::GaveUp(format!("job {id} completed without a download url")),
            });
        }
        if status.eq_ignore_ascii_case("failed") {
            return Ok(Ended::GaveUp(format!("job {id} failed")));
        }
        if elapsed >= settings.timeout {
            return Ok(Ended::GaveUp(format!(
                "job {id} was still {status} after {} s (--export-job-timeout)",
                elapsed.as_secs()
            )));
        }
        // Never sleep past the timeout by more than a poll.
        wait = wait.min(settings.timeout.saturating_sub(elapsed).max(Duration::from_millis(100)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_job_examples_parse() {
        let created: JobState = serde_json::from_str(include_str!(
            "../../../../tests/fixtures/graph-docs/exportJobs-response-notStarted.example.json"
        ))
        .unwrap();
        assert_eq!(created.id.as_deref(), Some("Devices_05e62361-783b-4cec-b635-0aed0ecf14a3"));
        assert_eq!((created.status.as_deref(), created.url.as_deref()), (Some("notStarted"), None));
        let done: JobState = serde_json::from_str(include_str!(
            "../../../../tests/fixtures/graph-docs/exportJobs-response-completed.example.json"
        ))
        .unwrap();
        assert_eq!(done.status.as_deref(), Some("completed"));
        assert!(done.url.as_deref().is_some_and(|u| u.starts_with("https://") && u.contains(".zip?")));
        let v1: JobState = serde_json::from_str(include_str!(
            "../../../../tests/fixtures/graph-docs/exportJobs-create-v1.0-response.example.json"
        ))
        .unwrap();
        assert!(v1.id.as_deref().is_some_and(is_job_id));
    }

    #[test]
    fn job_ids_that_cannot_go_into_a_url_are_refused() {
        assert!(is_job_id("Devices_05e62361-783b-4cec-b635-0aed0ecf14a3"));
        assert!(!is_job_id(""));
        assert!(!is_job_id("x') or ('1"));
        assert!(!is_job_id("a/b"));
    }
}
