//! App evidence per device (`--apps-via per-device`): `managedDevices/{id}/detectedApps` for every
//! device, 20 to a `$batch` envelope, envelopes in parallel (`max_concurrency` of them).
//!
//! Graph throttles each inner request on its own: a 200 envelope can hold 429s (or 503s). Those inner
//! requests go back in the queue and are sent again, together, in a later envelope, not before the
//! longest of their `Retry-After`s (or the policy's backoff), under the same retry policy as every
//! request (attempt cap, time budget); queued retries go before devices not read yet. When the whole
//! envelope is throttled, its requests are queued again the same way. A throttled envelope (whole or
//! in part) halves the envelope size (down to 1); each envelope without a throttled request adds one
//! back (up to 20). Throttling reaches every sender, as Graph's budget is per app: a `Retry-After`
//! pauses them all, a 429 without one slows the client's pace ([`super::ratelimit`]).
//! A device whose apps still cannot be read is a source error: evidence is never silently missing.
//! Only the apps the rules look at are kept, grouped by (displayName, version, platform) with the ids
//! of the devices that have them, like the detected-apps path gives them.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::task::JoinSet;

use super::apps::is_wanted;
use super::devices::task_failed;
use super::error::{permission_hint, FailureKind, GraphError, Service};
use super::http::{encode, Failure, GraphClient, Stats};
use super::paging::{read_all, Listing, Page};
use super::retry::{counts_against_cap, parse_retry_after};
use crate::error::Error;
use crate::inventory::AppCatalog;
use crate::source::progress::Phase;
use crate::source::wire::{DeviceRef, GraphDetectedApp};

/// Graph's limit of requests per `$batch`.
pub(crate) const MAX_BATCH: usize = 20;

/// One device whose apps are still to read.
#[derive(Debug)]
struct Item {
    device: String,
    attempts: u32,
    /// Failed attempts that count against the cap (see [`counts_against_cap`]).
    strikes: u32,
    /// The client's progress when this request last failed (or was first sent).
    progress: u64,
    first_sent: Option<Instant>,
    not_before: Instant,
}

#[derive(Debug, Default)]
struct Queue {
    /// Never sent yet.
    fresh: VecDeque<Item>,
    /// To send again, each not before its time.
    again: Vec<Item>,
    /// Envelopes being sent.
    in_flight: usize,
}

struct Shared {
    queue: Mutex<Queue>,
    /// The current envelope size.
    size: AtomicUsize,
    catalog: AppCatalog,
}

enum Next {
    Send(Vec<Item>),
    Wait(Duration),
    Done,
}

/// Reads the apps of `devices` and returns the wanted ones with their devices; `phase` counts the
/// devices whose apps were read.
pub(crate) async fn read_per_device(
    client: &GraphClient,
    devices: &[String],
    catalog: &AppCatalog,
    workers: usize,
    phase: &Phase,
) -> Result<Vec<GraphDetectedApp>, Error> {
    let now = Instant::now();
    let fresh = devices
        .iter()
        .map(|device| Item {
            device: device.clone(),
            attempts: 0,
            strikes: 0,
            progress: 0,
            first_sent: None,
            not_before: now,
        })
        .collect();
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue { fresh, ..Queue::default() }),
        size: AtomicUsize::new(MAX_BATCH),
        catalog: catalog.clone(),
    });
    let mut tasks = JoinSet::new();
    for _ in 0..workers.max(1) {
        let (client, shared, phase) = (client.clone(), shared.clone(), phase.clone());
        tasks.spawn(async move { worker(&client, &shared, &phase).await });
    }
    let mut found: Vec<(String, Vec<GraphDetectedApp>)> = Vec::with_capacity(devices.len());
    while let Some(joined) = tasks.join_next().await {
        found.extend(joined.map_err(task_failed)??);
    }
    Ok(group_apps(found))
}

/// Groups the wanted apps of each device by (displayName, version, platform), devices by id.
fn group_apps(mut found: Vec<(String, Vec<GraphDetectedApp>)>) -> Vec<GraphDetectedApp> {
    found.sort_by(|a, b| a.0.cmp(&b.0));
    type Key = (Option<String>, Option<String>, Option<String>);
    let mut grouped: BTreeMap<Key, GraphDetectedApp> = BTreeMap::new();
    for (device, apps) in found {
        for app in apps {
            let key: Key = (
                app.display_name.as_deref().map(|n| n.trim().to_owned()),
                app.version.as_deref().map(str::to_owned),
                app.platform.as_deref().map(str::to_owned),
            );
            let entry = grouped.entry(key).or_insert_with(|| GraphDetectedApp { managed_devices: Vec::new(), ..app });
            if entry.managed_devices.last().and_then(|d| d.id.as_deref()) != Some(device.as_str()) {
                entry.managed_devices.push(DeviceRef { id: Some(device.clone().into()) });
            }
        }
    }
    grouped.into_values().collect()
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Queue> {
    shared.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Takes the next envelope's items: due retries first, then fresh ones.
fn next(shared: &Shared) -> Next {
    let mut queue = lock(shared);
    let now = Instant::now();
    let size = shared.size.load(Ordering::Relaxed).clamp(1, MAX_BATCH);
    let mut items = Vec::new();
    let mut index = 0;
    while index < queue.again.len() && items.len() < size {
        if queue.again[index].not_before <= now {
            items.push(queue.again.swap_remove(index));
        } else {
            index += 1;
        }
    }
    while items.len() < size {
        match queue.fresh.pop_front() {
            Some(item) => items.push(item),
            None => break,
        }
    }
    if !items.is_empty() {
        queue.in_flight += 1;
        return Next::Send(items);
    }
    match queue.again.iter().map(|item| item.not_before).min() {
        Some(due) => {
            Next::Wait(due.saturating_duration_since(now).clamp(Duration::from_millis(1), Duration::from_millis(200)))
        }
        // Envelopes in flight may still send requests back.
        None if queue.in_flight > 0 => Next::Wait(Duration::from_millis(20)),
        None => Next::Done,
    }
}

async fn worker(
    client: &GraphClient,
    shared: &Shared,
    phase: &Phase,
) -> Result<Vec<(String, Vec<GraphDetectedApp>)>, Error> {
    let mut found = Vec::new();
    loop {
        match next(shared) {
            Next::Done => return Ok(found),
            Next::Wait(wait) => tokio::time::sleep(wait).await,
            Next::Send(items) => {
                let outcome = send_envelope(client, shared, items, &mut found, phase).await;
                lock(shared).in_flight -= 1;
                outcome?;
            }
        }
    }
}

/// One inner answer of a `$batch`.
#[derive(Debug, Deserialize)]
struct BatchAnswer {
    responses: Vec<InnerAnswer>,
}

#[derive(Debug, Deserialize)]
struct InnerAnswer {
    id: String,
    status: u16,
    #[serde(default)]
    headers: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    body: serde_json::Value,
}

/// The URL of a device's apps inside a `$batch` (relative to its version).
fn inner_url(device: &str) -> String {
    format!("/deviceManagement/managedDevices/{}/detectedApps", encode(device))
}

/// The same request, as its whole URL (for errors).
fn full_url(client: &GraphClient, device: &str) -> String {
    format!("{}/beta{}", client.graph(), inner_url(device))
}

fn what_of_device(device: &str) -> String {
    format!("reading detectedApps of device {device} (via $batch)")
}

/// The failure of an inner request that answered an error status.
fn inner_failure(client: &GraphClient, device: &str, inner: &InnerAnswer) -> Failure {
    let mut failure = GraphError::new(Service::Graph, "GET", &full_url(client, device), FailureKind::Status);
    failure.status = Some(inner.status);
    let header =
        |name: &str| inner.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_str());
    failure.retry_after = header("retry-after").and_then(parse_retry_after);
    failure.request_id = header("request-id").map(str::to_owned);
    failure.read_body(&serde_json::to_vec(&inner.body).unwrap_or_default());
    if inner.status == 403 {
        failure.hint = permission_hint(&failure.path);
    }
    Box::new(failure)
}

async fn send_envelope(
    client: &GraphClient,
    shared: &Shared,
    items: Vec<Item>,
    found: &mut Vec<(String, Vec<GraphDetectedApp>)>,
    phase: &Phase,
) -> Result<(), Error> {
    let now = Instant::now();
    let mut items = items;
    for item in &mut items {
        if item.first_sent.is_none() {
            item.first_sent = Some(now);
            item.progress = client.stats().successes();
        }
    }
    let requests: Vec<serde_json::Value> = items
        .iter()
        .enumerate()
        .map(
            |(i, item)| serde_json::json!({"id": (i + 1).to_string(), "method": "GET", "url": inner_url(&item.device)}),
        )
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({ "requests": requests }))
        .map_err(|e| Error::Runtime { what: "cannot write a $batch request", source: e.into() })?;
    let first = items.first().map(|item| item.device.clone()).unwrap_or_default();
    let what = || format!("reading detectedApps of {} devices (via $batch, first {first})", items.len());

    let reply = match client.post_batch(&body, items.len()).await {
        Ok(reply) => reply,
        Err(failure) if failure.graph_status() == Some(429) => {
            // The whole envelope was throttled: smaller envelopes from now on.
            let _ = shared.size.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| Some((s / 2).max(1)));
            return requeue(client, shared, items.into_iter().map(|item| (item, failure.clone())).collect());
        }
        Err(failure) => return Err(failure.into_error(what())),
    };
    let answer: BatchAnswer = serde_json::from_slice(&reply.body).map_err(|e| {
        let url = format!("{}/beta/$batch", client.graph());
        Error::Graph(reply.unusable(what(), "POST", &url, format!("the answer is not a $batch response ({e})")))
    })?;
    let mut answers: BTreeMap<String, InnerAnswer> = answer.responses.into_iter().map(|a| (a.id.clone(), a)).collect();
    // Throttled inner requests, and whether one came without a Retry-After.
    let (mut throttled, mut unannounced) = (false, false);
    let mut again = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let Some(inner) = answers.remove(&(i + 1).to_string()) else {
            let message = "the $batch answer has no response for this request";
            let failure = reply.unusable("", "GET", &full_url(client, &item.device), message);
            again.push((item, failure));
            continue;
        };
        if (200..300).contains(&inner.status) {
            let apps = inner_apps(client, shared, &item.device, inner.body).await?;
            found.push((item.device, apps));
            client.note_successes(1);
            phase.advance(1);
            continue;
        }
        let failure = inner_failure(client, &item.device, &inner);
        if !client.policy().retry_statuses.contains(&inner.status) {
            return Err(failure.into_error(what_of_device(&item.device)));
        }
        if inner.status == 429 {
            throttled = true;
            unannounced |= failure.retry_after.is_none();
            client.note_throttled();
        }
        again.push((item, failure));
    }
    if !throttled {
        let _ = shared.size.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| Some((s + 1).min(MAX_BATCH)));
    } else {
        let _ = shared.size.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| Some((s / 2).max(1)));
    }
    if unannounced {
        client.slow_down(reply.sent_at);
    }
    requeue(client, shared, again)
}

/// Puts requests back in the queue for a later envelope, or fails if the policy gives up on one. They
/// wait together (for the longest `Retry-After` among them, else the backoff), so that they fill the
/// next envelope together.
fn requeue(client: &GraphClient, shared: &Shared, failed: Vec<(Item, Failure)>) -> Result<(), Error> {
    if failed.is_empty() {
        return Ok(());
    }
    let policy = client.policy();
    let attempt = failed.iter().map(|(item, _)| item.attempts + 1).max().unwrap_or(1);
    let retry_after = failed.iter().filter_map(|(_, failure)| failure.retry_after).max();
    let delay = policy.wait(attempt, retry_after, rand::random());
    if retry_after.is_some() && failed.iter().any(|(_, failure)| failure.status == Some(429)) {
        // Graph's budget is per app: every envelope waits for the Retry-After, not only these requests.
        client.pause(delay);
    }
    let not_before = Instant::now() + delay;
    let mut again = Vec::with_capacity(failed.len());
    for (mut item, mut failure) in failed {
        item.attempts += 1;
        let progress = client.stats().successes();
        if counts_against_cap(failure.status, progress > item.progress) {
            item.strikes += 1;
        }
        item.progress = progress;
        let first_sent = item.first_sent.unwrap_or_else(Instant::now);
        if !policy.allows(item.strikes, first_sent.elapsed(), delay) {
            failure.attempts = item.attempts;
            failure.elapsed = first_sent.elapsed();
            return Err(failure.into_error(what_of_device(&item.device)));
        }
        item.not_before = not_before;
        again.push(item);
    }
    Stats::add(&client.stats().retries, again.len() as u64);
    lock(shared).again.extend(again);
    Ok(())
}

/// The wanted apps of one inner answer (following a next link, should a device have more than a page).
async fn inner_apps(
    client: &GraphClient,
    shared: &Shared,
    device: &str,
    body: serde_json::Value,
) -> Result<Vec<GraphDetectedApp>, Error> {
    let unusable = |message: String| {
        Error::Graph(GraphError::unusable(what_of_device(device), "GET", &full_url(client, device), message))
    };
    let page: Page<GraphDetectedApp> =
        serde_json::from_value(body).map_err(|e| unusable(format!("the answer is not a Graph collection ({e})")))?;
    let mut apps: Vec<GraphDetectedApp> =
        page.value.into_iter().filter(|app| is_wanted(&shared.catalog, app)).collect();
    if let Some(next) = page.next_link {
        if !client.is_graph_url(&next) {
            return Err(unusable("Graph returned an @odata.nextLink to another host".to_owned()));
        }
        let listing = Listing::new(format!("managedDevices/{device}/detectedApps"), None);
        read_all(client, &listing, &next, |body| {
            let page: Page<GraphDetectedApp> = serde_json::from_slice(body)?;
            apps.extend(page.value.into_iter().filter(|app| is_wanted(&shared.catalog, app)));
            Ok(page.next_link)
        })
        .await?;
    }
    Ok(apps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::testkit;
    use serde_json::json;
    use std::sync::atomic::AtomicU32;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

    /// A `$batch` endpoint: device `dN` has Company Portal (and Outlook); the first time a device is
    /// asked for, if `throttle_first` is set, its inner request is throttled; `envelope_429s` whole
    /// envelopes are throttled first.
    struct FakeBatch {
        throttle_first: bool,
        envelope_429s: AtomicU32,
        asked: Mutex<std::collections::HashSet<String>>,
        sizes: Arc<Mutex<Vec<usize>>>,
    }

    impl Respond for FakeBatch {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            let requests = body["requests"].as_array().unwrap().clone();
            self.sizes.lock().unwrap().push(requests.len());
            if requests.len() > MAX_BATCH {
                return testkit::graph_error(400, "BadRequest", "too many requests in the batch");
            }
            if self.envelope_429s.load(Ordering::SeqCst) > 0 {
                self.envelope_429s.fetch_sub(1, Ordering::SeqCst);
                return testkit::graph_error(429, "TooManyRequests", "Too many requests")
                    .insert_header("Retry-After", "0.05");
            }
            let responses: Vec<serde_json::Value> = requests
                .iter()
                .map(|r| {
                    let url = r["url"].as_str().unwrap();
                    let device = url.split('/').nth(3).unwrap().to_owned();
                    let first = self.asked.lock().unwrap().insert(device.clone());
                    if self.throttle_first && first {
                        return json!({"id": r["id"], "status": 429, "headers": {"Retry-After": "0.05"},
                            "body": {"error": {"code": "TooManyRequests", "message": "slow down"}}});
                    }
                    json!({"id": r["id"], "status": 200, "headers": {"Content-Type": "application/json"}, "body": {"value": [
                        {"id": "cp-ios", "displayName": "Company Portal", "version": "5.0.6", "platform": "ios"},
                        {"id": "outlook", "displayName": "Outlook", "version": "1.0", "platform": "ios"}
                    ]}})
                })
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
        }
    }

    async fn server_with(fake: FakeBatch) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST")).and(path("/beta/$batch")).respond_with(fake).mount(&server).await;
        server
    }

    fn devices(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("d{i:03}")).collect()
    }

    fn device_ids(app: &GraphDetectedApp) -> Vec<String> {
        app.managed_devices.iter().filter_map(|d| d.id.as_deref().map(str::to_owned)).collect()
    }

    #[tokio::test]
    async fn throttled_inner_requests_are_retried_in_a_later_envelope() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let server = server_with(FakeBatch {
            throttle_first: true,
            envelope_429s: AtomicU32::new(0),
            asked: Mutex::default(),
            sizes: sizes.clone(),
        })
        .await;
        let client = testkit::client(&server).await;
        let apps =
            read_per_device(&client, &devices(45), &AppCatalog::default(), 3, &Phase::unobserved()).await.unwrap();
        assert_eq!(apps.len(), 1, "Outlook is not kept");
        assert_eq!(apps[0].display_name.as_deref(), Some("Company Portal"));
        assert_eq!(device_ids(&apps[0]), devices(45));
        assert!(client.stats().throttled.load(Ordering::Relaxed) >= 45);
        assert!(client.stats().retries.load(Ordering::Relaxed) >= 45);
        assert!(sizes.lock().unwrap().iter().all(|&s| s <= MAX_BATCH));
    }

    #[tokio::test]
    async fn a_throttled_envelope_is_retried_smaller() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let server = server_with(FakeBatch {
            throttle_first: false,
            envelope_429s: AtomicU32::new(2),
            asked: Mutex::default(),
            sizes: sizes.clone(),
        })
        .await;
        let client = testkit::client(&server).await;
        let apps =
            read_per_device(&client, &devices(20), &AppCatalog::default(), 1, &Phase::unobserved()).await.unwrap();
        assert_eq!(device_ids(&apps[0]), devices(20));
        let sizes = sizes.lock().unwrap().clone();
        assert_eq!(&sizes[..3], &[20, 10, 5], "{sizes:?}");
    }

    #[tokio::test]
    async fn a_device_that_stays_throttled_is_an_error() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/beta/$batch"))
            .respond_with(|request: &Request| {
                let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
                let responses: Vec<serde_json::Value> = body["requests"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        json!({"id": r["id"], "status": 503, "headers": {},
                        "body": {"error": {"code": "ServiceUnavailable", "message": "try later",
                                            "innerError": {"request-id": "rid-7"}}}})
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
            })
            .mount(&server)
            .await;
        let client = testkit::client(&server).await;
        let err = testkit::expect_graph_error(
            read_per_device(&client, &devices(2), &AppCatalog::default(), 1, &Phase::unobserved()).await,
        );
        assert_eq!(err.context, "reading detectedApps of device d000 (via $batch)");
        assert_eq!(
            (err.method.as_str(), err.path.as_str()),
            ("GET", "/beta/deviceManagement/managedDevices/d000/detectedApps")
        );
        assert_eq!(
            (err.status, err.code.as_deref(), err.request_id.as_deref()),
            (Some(503), Some("ServiceUnavailable"), Some("rid-7"))
        );
        assert_eq!(err.attempts, 5);
        let message = err.to_string();
        assert!(
            message.contains("HTTP 503 ServiceUnavailable: try later (request-id rid-7) after 5 attempts"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn an_inner_403_names_the_permission() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/beta/$batch"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"responses": [
                {"id": "1", "status": 403, "body": {"error": {"code": "Forbidden", "message": ""}}}
            ]})))
            .mount(&server)
            .await;
        let client = testkit::client(&server).await;
        let err = testkit::expect_graph_error(
            read_per_device(&client, &devices(1), &AppCatalog::default(), 1, &Phase::unobserved()).await,
        );
        assert_eq!((err.status, err.attempts), (Some(403), 1));
        assert!(err.hint.as_deref().is_some_and(|h| h.contains("DeviceManagementManagedDevices.Read.All")), "{err}");
    }
}
