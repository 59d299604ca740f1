//! Reading every managed device, in parallel shards, and setting the count beside Graph's counter.
//!
//! `beta/deviceManagement/managedDevices` is read with `$select` = [`DEVICE_SELECT`], in one listing per
//! platform (`$filter=operatingSystem eq '<v>'` for iOS, iPadOS, Android, Windows, macOS, Linux and
//! ChromeOS), run in parallel. Graph silently ignores some filters (and treats `ne` as `eq`), so the
//! filter is checked again here: a shard keeps only the devices whose `operatingSystem` equals its value
//! (case-insensitively); anything else Graph sent is dropped from that shard, so no device is counted
//! twice or leaks into the wrong shard. Devices are deduplicated by id (a restarted listing repeats
//! pages); a device without an id cannot be told apart and is dropped (the count check below sees it).
//!
//! The shards cannot reach devices whose `operatingSystem` is none of those values (unusual or empty
//! strings). So `managedDeviceOverview` is read first: when its OS summary already counts such devices
//! (`unknownCount`, `windowsMobileCount`), the shards are skipped and one unfiltered listing reads every
//! device (the shards would only add requests, not speed). Otherwise, after the shards,
//! `enrolledDeviceCount` is compared with the number of distinct devices read; if they differ, one
//! unfiltered listing is read and united by id.
//!
//! The read is complete once every page of every listing was read: the counter is not the listing's
//! truth (it has been seen counting replaced devices, and devices enroll and leave during a read). The
//! comparison, in total and per platform of the OS summary, is kept as a [`CountCheck`], and a
//! difference is a warning (the caller makes a shortfall a gap when the user trusts the counter).
//!
//! When the overview cannot be read (403 or 404), the count is not cross-checked: no count check, and a
//! note in the run's telemetry (`Telemetry::notes`) and the log. Any other failure of the overview is a
//! source error, like every other request.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use tokio::task::JoinSet;

use super::http::{encode, GraphClient};
use super::paging::{read_all, Listing, Page};
use crate::error::Error;
use crate::inventory::count_check::{CountCheck, ReadBy};
use crate::source::progress::Phase;
use crate::source::wire::{overview_platform, GraphDevice, DEVICE_SELECT, OVERVIEW_PLATFORMS};

/// The `operatingSystem` values read as shards.
pub(crate) const SHARDS: [&str; 7] = ["iOS", "iPadOS", "Android", "Windows", "macOS", "Linux", "ChromeOS"];

/// The devices read, sorted by id, and how their number compares with Graph's counter.
#[derive(Debug, Default)]
pub(crate) struct DevicesRead {
    pub devices: Vec<GraphDevice<'static>>,
    /// `None` when the overview could not be read.
    pub count_check: Option<CountCheck>,
    /// Remarks that do not make the read partial (for telemetry and the report's warnings).
    pub notes: Vec<String>,
}

impl DevicesRead {
    /// Keeps the counter's check, and its warning, if the numbers differ, as a note (the callers show
    /// notes: the audit's warnings, fetch's standard error).
    pub(super) fn keep_count_check(&mut self, check: CountCheck, read_by: ReadBy) {
        if let Some(warning) = check.warning(read_by) {
            tracing::info!("{warning}");
            self.notes.push(warning);
        }
        self.count_check = Some(check);
    }
}

/// Reads every device; `phase` counts the distinct devices read.
pub(crate) async fn read_devices(client: &GraphClient, phase: &Phase) -> Result<DevicesRead, Error> {
    let overview = read_overview(client).await?;
    let mut devices = BTreeMap::new();
    let mut unfiltered_read = false;
    if matches!(overview, Overview::Count { outside_shards, .. } if outside_shards > 0) {
        // Graph itself counts devices that no `eq` shard reaches (unknown or unusual platforms): the
        // unfiltered listing is needed anyway, and alone it reads every device once.
        tracing::info!(
            "managedDeviceOverview counts devices outside the platform shards; reading the unfiltered listing"
        );
        devices = read_listing(client, None, phase).await?;
        unfiltered_read = true;
    } else {
        let mut tasks = JoinSet::new();
        for shard in SHARDS {
            let (client, phase) = (client.clone(), phase.clone());
            tasks.spawn(async move { read_listing(&client, Some(shard), &phase).await });
        }
        while let Some(joined) = tasks.join_next().await {
            for (id, device) in joined.map_err(task_failed)?? {
                devices.entry(id).or_insert(device);
            }
        }
    }

    let mut read = DevicesRead::default();
    match overview {
        Overview::Count { expected, per_platform, .. } => {
            if expected != devices.len() as u64 && !unfiltered_read {
                tracing::info!(
                    expected,
                    read = devices.len(),
                    "the platform shards missed devices; reading the unfiltered listing too"
                );
                // Its devices are counted once they are known to be new.
                let before = devices.len();
                for (id, device) in read_listing(client, None, &Phase::unobserved()).await? {
                    devices.entry(id).or_insert(device);
                }
                phase.advance((devices.len() - before) as u64);
            }
            read.keep_count_check(count_check(devices.values(), expected, &per_platform), ReadBy::Listing);
        }
        Overview::Unavailable(note) => {
            tracing::info!("{note}");
            read.notes.push(note);
        }
    }
    read.devices = devices.into_values().collect();
    Ok(read)
}

/// The devices read beside the counter `graph_count` and its per-platform numbers.
pub(super) fn count_check<'a>(
    devices: impl Iterator<Item = &'a GraphDevice<'a>>,
    graph_count: u64,
    graph_per_platform: &BTreeMap<&'static str, u64>,
) -> CountCheck {
    let mut read: BTreeMap<&str, u64> = BTreeMap::new();
    for device in devices {
        *read.entry(overview_platform(device.operating_system.as_deref())).or_default() += 1;
    }
    CountCheck::compare(&read, graph_count, graph_per_platform)
}

/// The URL of the device listing, for one `operatingSystem` or all devices.
pub(crate) fn listing_url(graph: &str, shard: Option<&str>) -> String {
    let mut url = format!("{graph}/beta/deviceManagement/managedDevices?$select={}", DEVICE_SELECT.join(","));
    if let Some(os) = shard {
        url.push_str("&$filter=");
        url.push_str(&encode(&format!("operatingSystem eq '{os}'")));
    }
    url
}

/// Reads one listing to its end: the devices of `shard` (re-checked here), or all devices. `phase`
/// counts the devices, deduplicated within the listing.
async fn read_listing(
    client: &GraphClient,
    shard: Option<&'static str>,
    phase: &Phase,
) -> Result<BTreeMap<String, GraphDevice<'static>>, Error> {
    let listing =
        Listing::new("managedDevices", Some(shard.map_or("unfiltered".to_owned(), |os| format!("shard {os}"))));
    let mut kept = BTreeMap::new();
    let (mut foreign, mut without_id) = (0u64, 0u64);
    read_all(client, &listing, &listing_url(client.graph(), shard), |body| {
        let page: Page<GraphDevice<'_>> = serde_json::from_slice(body)?;
        for device in page.value {
            if let Some(os) = shard {
                if !device.operating_system.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(os)) {
                    foreign += 1;
                    continue;
                }
            }
            let Some(id) = device.id.as_deref().map(str::to_owned) else {
                without_id += 1;
                continue;
            };
            if let Entry::Vacant(slot) = kept.entry(id) {
                phase.advance(1);
                slot.insert(device.into_owned());
            }
        }
        Ok(page.next_link)
    })
    .await?;
    if foreign > 0 {
        tracing::debug!("{listing}: dropped {foreign} devices of other platforms (Graph ignored the filter)");
    }
    if without_id > 0 {
        tracing::warn!("{listing}: dropped {without_id} devices without an id");
    }
    Ok(kept)
}

/// What `managedDeviceOverview` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overview {
    /// `enrolledDeviceCount`, its per-platform numbers (the OS summary's, by [`OVERVIEW_PLATFORMS`]
    /// name), and how many of them the summary puts outside the shards' platforms (`unknownCount` and
    /// `windowsMobileCount`; 0 when the summary is absent).
    Count { expected: u64, per_platform: BTreeMap<&'static str, u64>, outside_shards: u64 },
    /// Why the count cannot be cross-checked.
    Unavailable(String),
}

pub(super) async fn read_overview(client: &GraphClient) -> Result<Overview, Error> {
    let what = "reading managedDeviceOverview";
    let url = format!("{}/beta/deviceManagement/managedDeviceOverview", client.graph());
    let reply = match client.get(&url).await {
        Ok(reply) => reply,
        Err(failure) if matches!(failure.graph_status(), Some(403 | 404)) => {
            return Ok(Overview::Unavailable(format!(
                "{what}: {failure}; the number of devices read was not cross-checked"
            )))
        }
        Err(failure) => return Err(failure.into_error(what)),
    };
    let overview: serde_json::Value = serde_json::from_slice(&reply.body)
        .map_err(|e| Error::Graph(reply.unusable(what, "GET", &url, format!("the answer is not JSON ({e})"))))?;
    // The documentation's example wraps the object in `value`; live answers are the bare object.
    let overview = match overview.get("value") {
        Some(inner @ serde_json::Value::Object(_)) => inner,
        _ => &overview,
    };
    let number = |value: Option<&serde_json::Value>| match value {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let summary = overview.get("deviceOperatingSystemSummary");
    let per_platform: BTreeMap<&'static str, u64> = OVERVIEW_PLATFORMS
        .iter()
        .filter_map(|(platform, key)| number(summary.and_then(|s| s.get(key))).map(|n| (*platform, n)))
        .collect();
    let outside_shards = ["unknown", "windowsMobile"].iter().filter_map(|p| per_platform.get(p)).sum();
    Ok(match number(overview.get("enrolledDeviceCount")) {
        Some(expected) => Overview::Count { expected, per_platform, outside_shards },
        None => Overview::Unavailable(format!(
            "{what}: the answer has no enrolledDeviceCount; the number of devices read was not cross-checked"
        )),
    })
}

/// A reading task that panicked or was cancelled.
pub(crate) fn task_failed(error: tokio::task::JoinError) -> Error {
    Error::Runtime { what: "a Graph reading task failed", source: error.into() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::count_check::PlatformCount;
    use crate::source::graph::testkit::{self, FakeDevices};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn tenant() -> Vec<(String, String)> {
        let oses =
            ["iOS", "ipados", "Android", "Windows", "macOS", "Linux", "ChromeOS", "", "Windows Mobile", "android"];
        (0..57).map(|i| (format!("dev-{i:03}"), oses[i % oses.len()].to_owned())).collect()
    }

    async fn overview(server: &MockServer, count: u64) {
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/managedDeviceOverview"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "id": "overview", "enrolledDeviceCount": count, "mdmEnrolledCount": count
            })))
            .mount(server)
            .await;
    }

    fn ids(read: &DevicesRead) -> Vec<String> {
        read.devices.iter().filter_map(|d| d.id.as_deref().map(str::to_owned)).collect()
    }

    #[tokio::test]
    async fn shards_then_the_rest_give_every_device_once() {
        let server = MockServer::start().await;
        let devices = tenant();
        FakeDevices::new(&server, devices.clone(), 4).mount(&server).await;
        overview(&server, devices.len() as u64).await;
        let client = testkit::client(&server).await;
        let read = read_devices(&client, &Phase::unobserved()).await.unwrap();
        let expected: Vec<String> = devices.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(ids(&read), expected);
        assert!(read.count_check.as_ref().is_some_and(|c| c.matches) && read.notes.is_empty());
        // The selected fields were asked for, and the rest listing was needed ("" and "Windows Mobile").
        let requests = server.received_requests().await.unwrap();
        assert!(requests.iter().any(|r| r.url.query().is_some_and(|q| !q.contains("filter") && q.contains("select"))));
        assert!(requests.iter().all(|r| !r.url.path().ends_with("managedDevices")
            || r.url.query_pairs().any(|(k, v)| k == "$select" && v == DEVICE_SELECT.join(","))));
    }

    #[tokio::test]
    async fn devices_the_overview_puts_outside_the_shards_are_read_by_one_unfiltered_listing() {
        let server = MockServer::start().await;
        let devices = tenant();
        FakeDevices::new(&server, devices.clone(), 4).mount(&server).await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/managedDeviceOverview"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "enrolledDeviceCount": devices.len(),
                "deviceOperatingSystemSummary": {"iosCount": 12, "unknownCount": 5, "windowsMobileCount": 6}
            })))
            .mount(&server)
            .await;
        let client = testkit::client(&server).await;
        let read = read_devices(&client, &Phase::unobserved()).await.unwrap();
        let expected: Vec<String> = devices.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(ids(&read), expected);
        assert!(read.count_check.as_ref().is_some_and(|c| c.matches), "{:?}", read.count_check);
        let requests = server.received_requests().await.unwrap();
        assert!(
            requests.iter().all(|r| !r.url.query().unwrap_or("").contains("filter")),
            "no shard was read: the unfiltered listing alone reads every device"
        );
    }

    #[tokio::test]
    async fn an_ignored_filter_does_not_leak_or_double_devices() {
        let server = MockServer::start().await;
        let devices = tenant();
        let mut fake = FakeDevices::new(&server, devices.clone(), 10);
        fake.ignore_filter = true;
        fake.mount(&server).await;
        overview(&server, devices.len() as u64).await;
        let client = testkit::client(&server).await;
        let read = read_devices(&client, &Phase::unobserved()).await.unwrap();
        let expected: Vec<String> = devices.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(ids(&read), expected, "every device once, none doubled");
        assert!(read.count_check.as_ref().is_some_and(|c| c.matches), "{:?}", read.count_check);
    }

    #[tokio::test]
    async fn a_shard_keeps_only_its_platform() {
        let server = MockServer::start().await;
        let mut fake = FakeDevices::new(&server, tenant(), 10);
        fake.ignore_filter = true;
        fake.mount(&server).await;
        let client = testkit::client(&server).await;
        let ios = read_listing(&client, Some("iOS"), &Phase::unobserved()).await.unwrap();
        assert!(!ios.is_empty());
        assert!(ios.values().all(|d| d.operating_system.as_deref() == Some("iOS")));
        let ipad = read_listing(&client, Some("iPadOS"), &Phase::unobserved()).await.unwrap();
        assert!(ipad.values().all(|d| d.operating_system.as_deref() == Some("ipados")) && !ipad.is_empty());
    }

    #[tokio::test]
    async fn an_expired_skip_token_restarts_the_shard_and_ends_exact() {
        let server = MockServer::start().await;
        let devices: Vec<(String, String)> = (0..30).map(|i| (format!("d{i:02}"), "Android".to_owned())).collect();
        let mut fake = FakeDevices::new(&server, devices.clone(), 4);
        fake.expire_after = Some(2);
        fake.mount(&server).await;
        overview(&server, 30).await;
        let client = testkit::client(&server).await;
        let read = read_devices(&client, &Phase::unobserved()).await.unwrap();
        assert_eq!(ids(&read), devices.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>());
        assert!(read.count_check.as_ref().is_some_and(|c| c.matches), "{:?}", read.count_check);
    }

    #[tokio::test]
    async fn an_overview_mismatch_is_a_warning_with_both_numbers() {
        let server = MockServer::start().await;
        let devices = tenant();
        FakeDevices::new(&server, devices.clone(), 25).mount(&server).await;
        // Microsoft's example overview (wrapped in `value`), with this tenant's numbers but 3 iOS too many.
        let mut example: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/graph-docs/managedDeviceOverview-get-beta.example.json"
        ))
        .unwrap();
        let count = |os: &str| devices.iter().filter(|(_, o)| overview_platform(Some(o)) == os).count() as u64;
        example["value"]["enrolledDeviceCount"] = (devices.len() as u64 + 3).into();
        let summary = &mut example["value"]["deviceOperatingSystemSummary"];
        for (platform, key) in OVERVIEW_PLATFORMS {
            summary[*key] = (count(platform) + if *platform == "ios" { 3 } else { 0 }).into();
        }
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/managedDeviceOverview"))
            .respond_with(ResponseTemplate::new(200).set_body_json(example))
            .mount(&server)
            .await;
        let client = testkit::client(&server).await;
        let read = read_devices(&client, &Phase::unobserved()).await.unwrap();
        assert_eq!(read.devices.len(), devices.len());
        let check = read.count_check.expect("the overview was read");
        assert_eq!((check.devices_read, check.graph_count, check.shortfall()), (57, 60, 3));
        assert_eq!(check.per_platform["ios"], PlatformCount { read: count("ios"), graph: Some(count("ios") + 3) });
        assert_eq!(check.per_platform["windows"].read, check.per_platform["windows"].graph.unwrap());
        assert_eq!(read.notes.len(), 1);
        let warning = &read.notes[0];
        assert!(warning.contains("counts 60 devices; 57 were listed (3 fewer; ios 12 read / 15 counted)"), "{warning}");
        // The summary counts devices outside the shards: one unfiltered listing read them all, once.
        let requests = server.received_requests().await.unwrap();
        let unfiltered = requests
            .iter()
            .filter(|r| r.url.path().ends_with("managedDevices") && !r.url.query().unwrap_or("").contains("filter"))
            .filter(|r| !r.url.query().unwrap_or("").contains("skiptoken"))
            .count();
        assert_eq!(unfiltered, 1);
    }

    #[tokio::test]
    async fn an_unreadable_overview_is_a_note_without_a_count_check() {
        let server = MockServer::start().await;
        FakeDevices::new(&server, tenant(), 25).mount(&server).await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/managedDeviceOverview"))
            .respond_with(testkit::graph_error(403, "Forbidden", "Forbidden"))
            .mount(&server)
            .await;
        let client = testkit::client(&server).await;
        let read = read_devices(&client, &Phase::unobserved()).await.unwrap();
        assert_eq!(read.count_check, None);
        assert_eq!(read.notes.len(), 1);
        assert!(read.notes[0].contains("not cross-checked"), "{}", read.notes[0]);
    }

    #[tokio::test]
    async fn a_403_names_the_permission() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/managedDevices"))
            .respond_with(testkit::graph_error(
                403,
                "Forbidden",
                "Application is not authorized to perform this operation.",
            ))
            .mount(&server)
            .await;
        let client = testkit::client(&server).await;
        let err = testkit::expect_graph_error(read_devices(&client, &Phase::unobserved()).await);
        assert_eq!((err.status, err.code.as_deref()), (Some(403), Some("Forbidden")));
        assert_eq!((err.method.as_str(), err.path.as_str()), ("GET", "/beta/deviceManagement/managedDevices"));
        assert!(err.context.starts_with("reading managedDevices (shard "), "{}", err.context);
        assert!(err.request_id.is_some());
        assert!(err.hint.as_deref().is_some_and(|h| h.contains("DeviceManagementManagedDevices.Read.All")), "{err}");
    }
}
