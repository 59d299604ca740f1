//! Report export jobs: the job's life (notStarted, inProgress, completed with a url), the download that
//! refuses a Graph token, the CSV inside (BOM, numeric codes, label twins, the filter), and the faults
//! (stranded, failed, throttle, bad zip, bad CSV).

use std::io::Read as _;

use super::*;

const JOBS: &str = "beta/deviceManagement/reports/exportJobs";

fn export(options: ExportJobOptions) -> ServerOptions {
    ServerOptions { export_jobs: options, ..super::options() }
}

fn quick() -> ExportJobOptions {
    ExportJobOptions { job_seconds: 0.2, ..ExportJobOptions::default() }
}

async fn create(server: &RunningServer, token: &str, body: Value) -> Answer {
    post_json(&format!("{}/{JOBS}", server.url), token, &body).await
}

async fn status_of(server: &RunningServer, token: &str, id: &str) -> Value {
    let answer = get(&format!("{}/{JOBS}('{id}')", server.url), token).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body
}

/// Polls until the job leaves notStarted and inProgress (at most ~5 s).
async fn settled(server: &RunningServer, token: &str, id: &str) -> Value {
    for _ in 0..100 {
        let job = status_of(server, token, id).await;
        if !matches!(job["status"].as_str(), Some("notStarted" | "inProgress")) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} never settled");
}

/// The one CSV of a zip.
fn csv_of(zip: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    assert_eq!(archive.len(), 1);
    let mut text = String::new();
    archive.by_index(0).unwrap().read_to_string(&mut text).unwrap();
    text
}

#[tokio::test]
async fn a_job_completes_and_its_zip_is_downloaded_without_a_token() {
    let server = serve(12, export(quick())).await;
    let token = token(&server).await;
    let created = create(
        &server,
        &token,
        json!({"reportName": "Devices", "format": "csv", "select": ["DeviceId", "OS", "OwnerType", "ManagementAgents", "EnrolledByUser"]}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["status"], "notStarted");
    assert!(created.body["url"].is_null());
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("Devices_"));
    let done = settled(&server, &token, &id).await;
    assert_eq!(done["status"], "completed");
    let url = done["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/sim/exports/{id}.zip?", server.url)) && url.contains("&sig="));

    let refused = http().get(url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("<Code>AuthenticationFailed</Code>"));
    let forged = http().get(url.replace("&sig=", "&sig=x")).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let csv = csv_of(&response.bytes().await.unwrap());
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("\u{feff}DeviceId,OS,OwnerType,OwnerType_loc,ManagementAgents,ManagementAgents_loc,EnrolledByUser")
    );
    // Device 0 (`dev-00000`): iOS, `eas`; no owner type and no user id in this tenant.
    assert_eq!(lines.next(), Some("dev-00000,iOS,,,1,Exchange ActiveSync,"));
    assert_eq!(csv.matches("\r\n").count(), 13, "a header and 12 devices");
    let stats = server.stats();
    assert_eq!((stats.export_jobs_created, stats.export_downloads, stats.export_downloads_refused), (1, 3, 1));
    assert!(server.secrets().iter().any(|s| url.contains(s.as_str())), "the signature is a secret");
    server.shutdown().await;
}

#[tokio::test]
async fn app_inventory_is_filtered_by_application_name() {
    let server = serve(12, export(quick())).await;
    let token = token(&server).await;
    let body = json!({
        "reportName": "AppInvRawData",
        "filter": "(ApplicationName eq 'company portal')",
        "select": ["ApplicationName", "ApplicationVersion", "DeviceId"]
    });
    let id = create(&server, &token, body).await.body["id"].as_str().unwrap().to_owned();
    let url = settled(&server, &token, &id).await["url"].as_str().unwrap().to_owned();
    let csv = csv_of(&http().get(&url).send().await.unwrap().bytes().await.unwrap());
    let rows: Vec<&str> = csv.trim_end().split("\r\n").skip(1).collect();
    assert_eq!(rows.len(), 6, "the even devices have Company Portal: {csv}");
    assert!(rows.iter().all(|r| r.starts_with("Company Portal,1.0,dev-")));

    for (body, what) in [
        (json!({"reportName": "Devices", "select": ["DeviceId", "Nope"]}), "a column the report lacks"),
        (json!({"reportName": "DeviceCompliance"}), "a report not simulated"),
        (json!({"reportName": "Devices", "format": "json"}), "json"),
        (json!({"reportName": "AppInvRawData", "filter": "(ApplicationName eq 'a') or (x eq 'b')"}), "an or"),
    ] {
        assert_graph_error(&create(&server, &token, body).await, StatusCode::BAD_REQUEST, "BadRequest");
        eprintln!("refused: {what}");
    }
    let unknown = get(&format!("{}/{JOBS}('Devices_nope')", server.url), &token).await;
    assert_graph_error(&unknown, StatusCode::NOT_FOUND, "ResourceNotFound");
    server.shutdown().await;
}

#[tokio::test]
async fn stranded_failed_and_bad_zip_jobs() {
    let options = ExportJobOptions { stranded: 1, failed: 1, bad_zip: true, ..quick() };
    let server = serve(12, export(options)).await;
    let token = token(&server).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let id = create(&server, &token, json!({"reportName": "Devices", "select": ["DeviceId"]})).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        tokio::time::sleep(Duration::from_millis(300)).await;
        statuses.push(status_of(&server, &token, &id).await);
    }
    assert_eq!(statuses[0]["status"], "inProgress", "the first is stranded");
    assert_eq!(statuses[1]["status"], "failed");
    assert_eq!(statuses[2]["status"], "completed");
    let zip = http().get(statuses[2]["url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    assert!(zip::ZipArchive::new(std::io::Cursor::new(&zip[..])).is_err(), "the bad zip is cut in half");
    server.shutdown().await;
}

#[tokio::test]
async fn a_bad_csv_has_a_broken_row() {
    let server = serve(12, export(ExportJobOptions { bad_csv: true, ..quick() })).await;
    let token = token(&server).await;
    let id = create(&server, &token, json!({"reportName": "Devices", "select": ["DeviceId", "OS"]})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = settled(&server, &token, &id).await["url"].as_str().unwrap().to_owned();
    let csv = csv_of(&http().get(&url).send().await.unwrap().bytes().await.unwrap());
    assert_eq!(csv.split("\r\n").nth(3), Some("a broken row"), "{csv}");
    server.shutdown().await;
}

#[tokio::test]
async fn export_requests_have_a_throttle_of_their_own() {
    let options = ExportJobOptions { throttle: Some(Throttle { requests: 3, per_seconds: 30.0 }), ..quick() };
    let server = serve(12, export(options)).await;
    let token = token(&server).await;
    let id = create(&server, &token, json!({"reportName": "Devices", "select": ["DeviceId"]})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    status_of(&server, &token, &id).await;
    status_of(&server, &token, &id).await;
    let throttled = get(&format!("{}/{JOBS}('{id}')", server.url), &token).await;
    assert_graph_error(&throttled, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    assert!(throttled.headers.contains_key("retry-after"));
    // Other Graph requests do not count against it.
    let devices = get(&format!("{}/beta/deviceManagement/managedDevices", server.url), &token).await;
    assert_eq!(devices.status, StatusCode::OK);
    let stats = server.stats();
    assert_eq!((stats.export_throttled, stats.export_job_polls, stats.export_jobs_created), (1, 2, 1));
    server.shutdown().await;
}
