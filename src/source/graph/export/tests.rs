//! The export jobs against the simulated Graph on loopback: the budget of their own is kept, stalled and
//! failed jobs are submitted again (and given up, naming the job, after the last attempt), and the
//! phase shows each job's state.

use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::inventory::apps::AppIdentity;
use crate::inventory::AppCatalog;
use crate::sim::server::{start, ExportJobOptions, RunningServer, ServerOptions, Throttle};
use crate::source::graph::auth::Auth;
use crate::source::graph::http::{GraphClient, Transport};
use crate::source::graph::options::{endpoints, Credential, ExportJobSettings, GraphOptions, Secret};
use crate::source::graph::testkit::{fast_policy, Event, Recorder};
use crate::source::progress::{Phase, ProgressObserver};

async fn sim(devices: usize, export_jobs: ExportJobOptions) -> RunningServer {
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z").unwrap().to_utc();
    let tenant = Arc::new(crate::sim::generator::generate(devices, 3, now));
    start(tenant, ServerOptions { export_jobs, max_seconds: Some(60), ..ServerOptions::default() }, 0).await.unwrap()
}

/// A client of `server` whose export budget is `limit` requests per `window`.
fn client(server: &RunningServer, limit: usize, window: Duration) -> GraphClient {
    let mut options = GraphOptions::new(Credential::Secret(Secret::new("sim-secret")));
    options.graph_url = Some(server.url.clone());
    options.login_url = Some(server.url.clone());
    options.tenant_id = Some(server.tenant_id.clone());
    options.client_id = Some("intune-reach-sim".to_owned());
    let endpoints = endpoints(&options).unwrap();
    let auth = Auth::new(&options, &endpoints).unwrap();
    let transport = Transport::new(fast_policy(), 8).unwrap().with_export_budget(limit, window);
    GraphClient::new(endpoints.graph, auth, transport)
}

fn settings(timeout_ms: u64) -> ExportJobSettings {
    ExportJobSettings {
        timeout: Duration::from_millis(timeout_ms),
        first_poll: Duration::from_millis(20),
        max_poll: Duration::from_millis(40),
        attempts: 3,
    }
}

#[tokio::test]
async fn the_client_stays_within_the_export_throttle_however_often_it_would_poll() {
    // Intune's shape (48 per minute, the client keeping to 44) made quick: 6 per 2 s, the client 5.
    let throttle = Some(Throttle { requests: 6, per_seconds: 2.0 });
    let server = sim(150, ExportJobOptions { job_seconds: 1.0, throttle, ..ExportJobOptions::default() }).await;
    let client = client(&server, 5, Duration::from_secs(2));
    let names = |names: &[&str]| AppIdentity { names: names.iter().map(|n| n.to_string()).collect(), ids: Vec::new() };
    let catalog = AppCatalog {
        company_portal: names(&["Company Portal"]),
        intune_app: names(&["Microsoft Intune"]),
        google_play_services: names(&["Google Play services"]),
        ..AppCatalog::default()
    };
    let apps = super::read_apps(&client, &catalog, &settings(20_000), &Phase::unobserved()).await.unwrap();
    assert!(apps.iter().any(|a| a.display_name.as_deref() == Some("Company Portal") && !a.managed_devices.is_empty()));
    let stats = server.stats();
    assert_eq!(stats.export_jobs_created, 3);
    assert!(stats.export_job_polls >= 5, "the polls outgrew one window's budget: {stats:?}");
    assert_eq!(stats.export_throttled, 0, "the simulated Graph never had to throttle: {stats:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn stranded_and_failed_jobs_are_submitted_again() {
    let options = ExportJobOptions { job_seconds: 0.2, stranded: 1, failed: 1, ..ExportJobOptions::default() };
    let server = sim(150, options).await;
    let client = client(&server, 40, Duration::from_secs(60));
    let recorder = Arc::new(Recorder::default());
    let observer: Arc<dyn ProgressObserver> = recorder.clone();
    let phase = Phase::start(&observer, "devices", None);
    let read = super::read_devices(&client, &settings(600), &phase).await.unwrap();
    assert_eq!(read.devices.len(), 150);
    assert!(read.count_check.as_ref().is_some_and(|c| c.matches), "{:?}", read.count_check);
    assert_eq!(server.stats().export_jobs_created, 3, "stranded, failed, then completed");
    let statuses: Vec<String> = recorder
        .of("devices")
        .into_iter()
        .filter_map(|e| if let Event::Status(s) = e { Some(s) } else { None })
        .collect();
    assert!(statuses.iter().any(|s| s.starts_with("Devices export job inProgress, ")), "{statuses:?}");
    assert!(statuses.iter().any(|s| s.starts_with("Devices export job failed (submission 2), ")), "{statuses:?}");
    assert!(statuses.iter().any(|s| s == "Devices export job completed, downloading"), "{statuses:?}");
    assert_eq!(recorder.advanced("devices"), 150, "one count per device read");
    server.shutdown().await;
}

#[tokio::test]
async fn a_job_that_never_completes_is_given_up_naming_it() {
    let options = ExportJobOptions { job_seconds: 0.1, failed: 3, ..ExportJobOptions::default() };
    let server = sim(120, options).await;
    let client = client(&server, 40, Duration::from_secs(60));
    let failed = super::read_devices(&client, &settings(5_000), &Phase::unobserved()).await;
    let Err(Error::Graph(error)) = failed else { panic!("expected a Graph error, got {failed:?}") };
    let message = error.to_string();
    assert!(message.starts_with("running the Devices export job Devices_"), "{message}");
    assert!(
        message.contains("3 submission(s), none completed: job Devices_") && message.contains(" failed; job "),
        "{message}"
    );
    assert!(error.path.starts_with("/beta/deviceManagement/reports/exportJobs('Devices_"), "{}", error.path);
    assert_eq!(server.stats().export_jobs_created, 3);
    server.shutdown().await;
}
