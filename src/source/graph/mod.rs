//! The live Microsoft Graph client: reads a tenant's managed devices, the app evidence the rules need,
//! the tenant checks, and the transitive user members of the target groups, into a [`Snapshot`].
//!
//! The read runs in phases, each reading in parallel: devices (module `devices`: platform shards, set
//! beside `managedDeviceOverview`'s counter), apps (module `apps` through the tenant's detected apps,
//! or `batch` per device), tenant (module `tenant`: the Apple MDM push certificate and managed Google
//! Play, two requests), and groups (module `groups`, only when groups are asked for). The phases that
//! do not depend on each other (devices, detected apps, tenant, groups) run at the same time; per-device
//! app reads wait for the device list. Each phase counts its own requests (`GraphClient::for_phase`)
//! and reports its progress to the caller's [`ProgressObserver`]. Every request goes through one
//! transport (`http`) with one retry decision (`retry`), one client-side rate limit (`ratelimit`) and
//! one bound on requests in flight (`max_concurrency`); the token (`auth`) is shared and renewed by one
//! task at a time. Collections are read whole by `paging`; `options` holds the public options;
//! `session` lends the signed-in client to other readers (the doctor); `claims` reads the token's
//! permissions for messages.
//!
//! [`fetch`] returns `Ok` with `snapshot.complete = true` when every page of every listing was read. A
//! device count that differs from Graph's counter is a warning (`Fetched::count_check`,
//! `Telemetry::notes`), except that with `require_count_match` a shortfall makes the snapshot
//! incomplete (`complete = false`, a sentence in `snapshot.gaps`). A tenant check that cannot be read
//! is never an error: it is "not read" in `Fetched::tenant`, with a note. [`fetch`] returns
//! [`Error::Graph`] when a request finally fails: a [`GraphError`] with what was being read, the
//! request's method and path, the HTTP status, Graph's error code, message and request-id. No secret or
//! token ever appears in an error or a log.
//!
//! `Telemetry::requests` counts HTTP requests sent, retries included (a `$batch` envelope counts once;
//! the rate limiter counts it as one per inner request, as Graph does); `retries` counts re-sent
//! requests and re-queued `$batch` inner requests; `throttled` counts 429 answers (envelopes and inner
//! requests). Sign-in requests are counted too. `notes` holds remarks that do not make the snapshot
//! incomplete (the device count differs from the counter or could not be cross-checked, a tenant check
//! was not read).

mod apps;
mod auth;
mod batch;
mod claims;
mod devices;
mod error;
mod export;
mod groups;
mod http;
mod notifications;
mod options;
mod paging;
pub mod permissions;
mod ratelimit;
mod retry;
mod session;
mod tenant;
#[cfg(test)]
pub(crate) mod testkit;

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

pub use claims::{permissions_of, TokenPermissions};
pub use devices::Overview;
pub use error::{FailureKind, GraphError, Service};
pub use export::DEVICES_SELECT as EXPORT_DEVICES_SELECT;
pub use notifications::{
    Notification, Recipients, SendAnswer, SendOutcome, SendPermission, Sender, DEFAULT_SEND_TIMEOUT, WRITE_LIMIT,
    WRITE_WINDOW,
};
pub use options::{
    credential_from_env, credential_from_flags, AppsVia, Browser, Cloud, Credential, DevicesVia, ExportJobSettings,
    FederatedToken, GraphOptions, IdentityEndpoint, ManagedIdentity, Prompt, Secret, SignInFlags,
    DEFAULT_EXPORT_JOB_TIMEOUT, DEFAULT_MAX_CONCURRENCY, MAX_GROUPS,
};
pub use permissions::{token_grants, Need, NEEDS};

use crate::error::Error;
use crate::inventory::count_check::ReadBy;
use crate::inventory::{CountCheck, Inventory, NearMiss, SourceInfo, TenantFacts};
use crate::source::progress::{Phase, ProgressObserver};
use crate::source::snapshot::{Snapshot, SnapshotSource};
use http::{GraphClient, Transport};
use retry::RetryPolicy;
pub use session::GraphSession;

/// What [`fetch`] read.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub snapshot: Snapshot,
    pub telemetry: Telemetry,
    /// The devices read beside `managedDeviceOverview`'s counter (`None`: the counter was not read).
    pub count_check: Option<CountCheck>,
    /// The tenant checks, with why a check was not read (a snapshot keeps only whether it was).
    pub tenant: TenantFacts,
    /// Detected-app names that look like a receiving app or Google Play services but match no
    /// configured name (a snapshot keeps only the apps the rules look at, so not these).
    pub near_misses: Vec<NearMiss>,
}

/// How the read went: per phase, and in total.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Telemetry {
    pub phases: Vec<PhaseTelemetry>,
    /// HTTP requests sent, retries and sign-in included.
    pub requests: u64,
    /// Requests sent again after a retryable failure (429, 503, 504, no answer).
    pub retries: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Remarks that do not make the snapshot incomplete.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseTelemetry {
    /// `devices`, `apps`, `tenant` or `groups`.
    pub name: String,
    pub seconds: f64,
    pub requests: u64,
}

impl Fetched {
    /// The inventory of what was read. A device that the inventory cannot hold (Graph sent it without
    /// an id) makes the device listing an unusable answer.
    pub fn to_inventory(&self, source: SourceInfo) -> Result<Inventory, Error> {
        let mut inventory = self.snapshot.to_inventory(source).map_err(|message| {
            let listing = "/beta/deviceManagement/managedDevices";
            Error::Graph(GraphError::unusable("building the inventory", "GET", listing, message))
        })?;
        inventory.tenant = self.tenant.clone();
        inventory.source.count_check = self.count_check.clone();
        inventory.source.near_misses = self.near_misses.clone();
        Ok(inventory)
    }
}

/// Reads the tenant, telling `progress` about the phases (`devices`, `apps`, `tenant`, `groups`) and
/// their counts.
/// URLs must be https, except plain http on loopback ([`Error::Usage`] otherwise); at most
/// [`MAX_GROUPS`] groups; `max_concurrency` at least 1.
pub async fn fetch(options: &GraphOptions, progress: Arc<dyn ProgressObserver>) -> Result<Fetched, Error> {
    fetch_with(options, RetryPolicy::default(), progress).await
}

async fn fetch_with(
    options: &GraphOptions,
    policy: RetryPolicy,
    progress: Arc<dyn ProgressObserver>,
) -> Result<Fetched, Error> {
    let client = client_for(options, policy)?;
    client.sign_in().await?;
    read_with(&client, options, progress).await
}

/// Reads the tenant through a signed-in client (see [`fetch`]).
async fn read_with(
    client: &GraphClient,
    options: &GraphOptions,
    progress: Arc<dyn ProgressObserver>,
) -> Result<Fetched, Error> {
    let captured_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let progress = &progress;
    let mut telemetry = Telemetry::default();

    // Devices, the tenant's detected apps, the tenant checks and the groups do not depend on each other:
    // they are read at the same time. Per-device app reads need the device list, so they come after it.
    let read_devices = timed(client, "devices", |client| async move {
        let phase = Phase::start(progress, "devices", None);
        let devices = match options.devices_via {
            DevicesVia::List => devices::read_devices(&client, &phase).await,
            DevicesVia::Export => export::read_devices(&client, &options.export_jobs, &phase).await,
        };
        phase.finish();
        devices
    });
    let read_tenant_apps = async {
        if options.apps_via == AppsVia::PerDevice {
            return None;
        }
        Some(
            timed(client, "apps", |client| async move {
                let phase = Phase::start(progress, "apps", None);
                let apps = match options.apps_via {
                    // The export job is asked for the configured names only: it shows no near miss.
                    AppsVia::Export => export::read_apps(&client, &options.catalog, &options.export_jobs, &phase)
                        .await
                        .map(|apps| (apps, Vec::new())),
                    _ => apps::read_detected_apps(&client, &options.catalog, &phase).await,
                };
                phase.finish();
                apps
            })
            .await,
        )
    };
    let read_tenant = timed(client, "tenant", |client| async move {
        let phase = Phase::start(progress, "tenant", Some(2));
        let tenant = tenant::read_tenant(&client, &phase).await;
        phase.finish();
        tenant
    });
    let read_groups = async {
        if options.groups.is_empty() {
            return None;
        }
        Some(
            timed(client, "groups", |client| async move {
                let phase = Phase::start(progress, "groups", Some(options.groups.len() as u64));
                let groups = groups::read_groups(&client, &options.groups, &phase).await;
                phase.finish();
                groups
            })
            .await,
        )
    };
    let ((devices, devices_phase), tenant_apps, (tenant, tenant_phase), groups) =
        tokio::join!(read_devices, read_tenant_apps, read_tenant, read_groups);
    let devices = devices?;
    telemetry.phases.push(devices_phase);
    telemetry.phases.push(tenant_phase);
    let (detected_apps, near_misses) = match tenant_apps {
        Some((apps, phase)) => {
            telemetry.phases.push(phase);
            apps?
        }
        None => {
            let ids: Vec<String> = devices.devices.iter().filter_map(|d| d.id.as_deref().map(str::to_owned)).collect();
            let (apps, phase) = timed(client, "apps", |client| async move {
                let phase = Phase::start(progress, "apps", Some(ids.len() as u64));
                let apps =
                    batch::read_per_device(&client, &ids, &options.catalog, options.max_concurrency, &phase).await;
                phase.finish();
                apps
            })
            .await;
            telemetry.phases.push(phase);
            // Each device's own list holds only the apps the rules look at: no near miss is seen.
            (apps?, Vec::new())
        }
    };
    let groups = match groups {
        Some((groups, phase)) => {
            telemetry.phases.push(phase);
            groups?
        }
        None => Vec::new(),
    };

    let mut snapshot = Snapshot::new(
        captured_at,
        SnapshotSource {
            cloud: Some(options.cloud.name().to_owned()),
            tenant_id: options.tenant_id.as_deref().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
            graph: Some(format!("{}/beta", client.graph())),
        },
    );
    let read_by = match options.devices_via {
        DevicesVia::List => ReadBy::Listing,
        DevicesVia::Export => ReadBy::Export,
    };
    snapshot.gaps.extend(devices.count_check.as_ref().and_then(|c| count_gap(c, options.require_count_match, read_by)));
    snapshot.complete = snapshot.gaps.is_empty();
    snapshot.tenant = tenant.section;
    snapshot.managed_devices = devices.devices;
    snapshot.detected_apps = detected_apps;
    snapshot.groups = groups;

    telemetry.count(client.stats());
    telemetry.notes = devices.notes;
    telemetry.notes.extend(tenant.notes);
    Ok(Fetched { snapshot, telemetry, count_check: devices.count_check, tenant: tenant.facts, near_misses })
}

/// The gap of a device count below Graph's counter, when the user trusts the counter.
fn count_gap(check: &CountCheck, require_count_match: bool, read_by: ReadBy) -> Option<String> {
    (require_count_match && check.shortfall() > 0).then(|| {
        format!(
            "Graph's managedDeviceOverview counts {} devices but only {} {} ({} missing), and \
             --require-count-match trusts the counter",
            check.graph_count,
            check.devices_read,
            read_by.were_read(),
            check.shortfall()
        )
    })
}

impl Telemetry {
    /// Takes the run's totals from the client's counters.
    fn count(&mut self, stats: &http::Stats) {
        let load = |counter: &std::sync::atomic::AtomicU64| counter.load(std::sync::atomic::Ordering::Relaxed);
        self.requests = load(&stats.requests);
        self.retries = load(&stats.retries);
        self.throttled = load(&stats.throttled);
    }
}

/// Checks the options and builds the client; nothing is sent yet.
fn client_for(options: &GraphOptions, policy: RetryPolicy) -> Result<GraphClient, Error> {
    if options.groups.len() > MAX_GROUPS {
        return Err(Error::Usage(format!(
            "{} groups given: at most {MAX_GROUPS} --group ids, like the targets of one notification",
            options.groups.len()
        )));
    }
    if options.max_concurrency == 0 {
        return Err(Error::Usage("--max-concurrency must be at least 1".to_owned()));
    }
    let endpoints = options::endpoints(options)?;
    let auth = auth::Auth::new(options, &endpoints)?;
    let mut transport = Transport::new(policy, options.max_concurrency)?;
    if export_jobs_per_user(&options.credential) {
        // A person's export jobs are limited per user, more tightly than an app's.
        transport = transport.with_export_budget(ratelimit::EXPORT_LIMIT_DELEGATED, ratelimit::EXPORT_WINDOW);
    }
    Ok(GraphClient::new(endpoints.graph.clone(), auth, transport))
}

/// Whether the export jobs' budget is a user's (8 a minute) rather than an app's (48): an admin signs
/// in, or a ready token is a person's (it carries delegated scopes).
fn export_jobs_per_user(credential: &Credential) -> bool {
    match credential {
        Credential::Token(token) => permissions_of(token.expose()).is_some_and(|granted| !granted.scopes.is_empty()),
        other => other.is_delegated(),
    }
}

/// Runs one phase on its own handle of the client, and times it and counts its requests.
async fn timed<T, F, Fut>(client: &GraphClient, name: &str, phase: F) -> (T, PhaseTelemetry)
where
    F: FnOnce(GraphClient) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let (client, requests) = client.for_phase();
    let started = Instant::now();
    let value = phase(client).await;
    let telemetry = PhaseTelemetry {
        name: name.to_owned(),
        seconds: started.elapsed().as_secs_f64(),
        requests: requests.load(std::sync::atomic::Ordering::Relaxed),
    };
    (value, telemetry)
}

#[cfg(test)]
mod tests {
    use super::testkit::{self, Event, FakeDevices, Recorder};
    use super::*;
    use crate::source::progress::NoProgress;
    use serde_json::json;
    use wiremock::matchers::{method, path, path_regex};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[test]
    fn a_person_s_export_jobs_have_a_user_s_budget() {
        use super::permissions::tests::token_with;
        assert!(export_jobs_per_user(&Credential::DeviceCode));
        assert!(export_jobs_per_user(&Credential::Interactive { redirect_port: None }));
        assert!(!export_jobs_per_user(&Credential::Secret(Secret::new("s"))));
        let admin = token_with(json!({"scp": "DeviceManagementManagedDevices.Read.All"}));
        assert!(export_jobs_per_user(&Credential::Token(Secret::new(admin))));
        let app = token_with(json!({"roles": ["DeviceManagementManagedDevices.Read.All"]}));
        assert!(!export_jobs_per_user(&Credential::Token(Secret::new(app))));
        assert!(!export_jobs_per_user(&Credential::Token(Secret::new("opaque"))));
    }

    async fn tenant(server: &MockServer, overview: u64) -> Vec<(String, String)> {
        testkit::mount_token(server, 3600).await;
        let devices: Vec<(String, String)> = (0..40)
            .map(|i| (format!("dev-{i:02}"), ["iOS", "Android", "Windows", "weird-os"][i % 4].to_owned()))
            .collect();
        FakeDevices::new(server, devices.clone(), 7).mount(server).await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/managedDeviceOverview"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"enrolledDeviceCount": overview})))
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/detectedApps"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
                {"id": "cp", "displayName": "Company Portal", "version": "5.0.6", "platform": "ios"},
                {"id": "teams", "displayName": "Teams", "version": "1", "platform": "ios"}
            ]})))
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/detectedApps/cp/managedDevices"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"value": [{"id": "dev-00"}, {"id": "dev-04"}]})),
            )
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path_regex("^/v1.0/groups/g1/transitiveMembers$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
                {"@odata.type": "#microsoft.graph.user", "id": "u1", "userPrincipalName": "a@x.test"}
            ]})))
            .mount(server)
            .await;
        devices
    }

    #[tokio::test]
    async fn fetch_reads_devices_apps_and_groups() {
        let server = MockServer::start().await;
        let devices = tenant(&server, 40).await;
        let mut options = testkit::options(&server);
        options.groups = vec!["g1".into()];
        let fetched = fetch_with(&options, testkit::fast_policy(), Arc::new(NoProgress)).await.unwrap();
        let snapshot = &fetched.snapshot;
        assert!(snapshot.complete && snapshot.gaps.is_empty());
        assert_eq!(snapshot.kind, "intune-reach.snapshot");
        assert_eq!(snapshot.source.graph.as_deref(), Some(format!("{}/beta", server.uri()).as_str()));
        assert_eq!(snapshot.source.tenant_id.as_deref(), Some("tenant-1"));
        assert_eq!(snapshot.source.cloud.as_deref(), Some("global"));
        assert_eq!(snapshot.managed_devices.len(), devices.len());
        assert_eq!(snapshot.detected_apps.len(), 1);
        assert_eq!(snapshot.detected_apps[0].managed_devices.len(), 2);
        assert_eq!(snapshot.groups.len(), 1);
        assert_eq!(snapshot.groups[0].members.len(), 1);
        let names: Vec<&str> = fetched.telemetry.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["devices", "tenant", "apps", "groups"]);
        assert!(fetched.telemetry.requests >= 10);
        assert_eq!(fetched.telemetry.requests, server.received_requests().await.unwrap().len() as u64);
        let json = serde_json::to_value(&fetched.telemetry).unwrap();
        assert!(json.get("notes").is_none() && json["phases"][0]["requests"].as_u64().is_some());
    }

    #[tokio::test]
    async fn a_count_mismatch_is_a_warning_unless_the_counter_is_trusted() {
        let server = MockServer::start().await;
        tenant(&server, 45).await;
        let fetched =
            fetch_with(&testkit::options(&server), testkit::fast_policy(), Arc::new(NoProgress)).await.unwrap();
        assert!(fetched.snapshot.complete && fetched.snapshot.gaps.is_empty(), "every page was read");
        let check = fetched.count_check.as_ref().expect("counted");
        assert_eq!((check.devices_read, check.graph_count), (40, 45));
        assert!(fetched.telemetry.notes.iter().any(|n| n.contains("counts 45 devices; 40 were listed")));
        let inventory = fetched.to_inventory(SourceInfo { complete: true, ..Default::default() }).unwrap();
        assert_eq!(inventory.source.count_check.as_ref(), Some(check));
        assert!(inventory.source.complete);

        let mut options = testkit::options(&server);
        options.require_count_match = true;
        let fetched = fetch_with(&options, testkit::fast_policy(), Arc::new(NoProgress)).await.unwrap();
        assert!(!fetched.snapshot.complete);
        assert_eq!(fetched.snapshot.gaps.len(), 1);
        assert!(fetched.snapshot.gaps[0].contains("counts 45 devices but only 40 were listed (5 missing)"));
        let json = serde_json::to_value(&fetched.snapshot).unwrap();
        assert_eq!(json["complete"], false);

        // More devices than counted is no shortfall, even for those who trust the counter.
        let server = MockServer::start().await;
        tenant(&server, 38).await;
        let mut options = testkit::options(&server);
        options.require_count_match = true;
        let fetched = fetch_with(&options, testkit::fast_policy(), Arc::new(NoProgress)).await.unwrap();
        assert!(fetched.snapshot.complete);
        assert!(fetched.count_check.is_some_and(|c| !c.matches));
    }

    #[tokio::test]
    async fn tenant_checks_are_read_beside_the_devices_and_kept_in_the_snapshot() {
        let server = MockServer::start().await;
        tenant(&server, 40).await;
        Mock::given(method("GET"))
            .and(path("/v1.0/deviceManagement/applePushNotificationCertificate"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "expirationDateTime": "2027-05-01T00:00:00Z", "appleIdentifier": "mdm@contoso.example"
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings"))
            .respond_with(testkit::graph_error(403, "Forbidden", "Application is not authorized."))
            .mount(&server)
            .await;
        let fetched =
            fetch_with(&testkit::options(&server), testkit::fast_policy(), Arc::new(NoProgress)).await.unwrap();
        assert!(fetched.snapshot.complete, "a tenant check never makes the read partial");
        let json = serde_json::to_value(&fetched.snapshot).unwrap();
        assert_eq!(
            json["tenant"],
            json!({"applePushNotificationCertificate": {
                "expirationDateTime": "2027-05-01T00:00:00Z", "appleIdentifier": "mdm@contoso.example"
            }})
        );
        use crate::inventory::tenant::TenantCheck;
        assert!(matches!(&fetched.tenant.apple_push, TenantCheck::Read(c) if c.expires.is_some()));
        let TenantCheck::NotRead { why, permission } = &fetched.tenant.managed_google_play else {
            panic!("{:?}", fetched.tenant.managed_google_play)
        };
        assert_eq!(*permission, Some(crate::source::wire::MANAGED_GOOGLE_PLAY_PERMISSION));
        assert!(why.contains("HTTP 403 Forbidden") && why.contains("request-id"), "{why}");
        let inventory = fetched.to_inventory(SourceInfo::default()).unwrap();
        assert_eq!(inventory.tenant, fetched.tenant, "the inventory keeps why a check was not read");
        assert!(fetched
            .telemetry
            .notes
            .iter()
            .any(|n| n.starts_with("the managed Google Play connection was not read")));
    }

    #[tokio::test]
    async fn option_errors_are_usage_errors() {
        let server = MockServer::start().await;
        let mut options = testkit::options(&server);
        options.groups = (0..26).map(|i| format!("g{i}")).collect();
        let no_progress = || Arc::new(NoProgress);
        assert!(matches!(fetch(&options, no_progress()).await, Err(Error::Usage(m)) if m.contains("25")));
        let mut options = testkit::options(&server);
        options.max_concurrency = 0;
        assert!(matches!(fetch(&options, no_progress()).await, Err(Error::Usage(_))));
        let mut options = testkit::options(&server);
        options.graph_url = Some("http://graph.example.com".into());
        assert!(matches!(fetch(&options, no_progress()).await, Err(Error::Usage(_))));
        assert!(server.received_requests().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_sign_in_failure_is_a_source_error() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "error": "invalid_request", "error_description": "AADSTS90002: Tenant 'tenant-1' not found.\r\nTrace ID: t",
                "trace_id": "t-1", "correlation_id": "c-1"
            })))
            .mount(&server)
            .await;
        let result = fetch_with(&testkit::options(&server), testkit::fast_policy(), Arc::new(NoProgress)).await;
        assert_eq!(result.as_ref().map(|_| ()).unwrap_err().exit_code(), crate::error::exit::SOURCE);
        let err = testkit::expect_graph_error(result);
        assert_eq!(
            (err.service, err.status, err.code.as_deref()),
            (Service::SignIn, Some(400), Some("invalid_request"))
        );
        assert_eq!(err.message.as_deref(), Some("AADSTS90002: Tenant 'tenant-1' not found."));
        assert_eq!((err.request_id.as_deref(), err.correlation_id.as_deref()), (Some("t-1"), Some("c-1")));
        assert_eq!(err.path, "/tenant-1/oauth2/v2.0/token");
        assert!(!err.to_string().contains("test-secret-value"), "{err}");
    }

    #[tokio::test]
    async fn the_observer_sees_every_phase_and_its_counts() {
        let server = MockServer::start().await;
        let devices = tenant(&server, 40).await;
        let mut options = testkit::options(&server);
        options.groups = vec!["g1".into(), "G1".into()];
        let recorder = Arc::new(Recorder::default());
        fetch_with(&options, testkit::fast_policy(), recorder.clone()).await.unwrap();
        let mut phases = recorder.phases();
        phases.sort();
        assert_eq!(phases, ["apps", "devices", "groups", "tenant"]);
        assert_eq!(
            recorder.of("tenant"),
            [Event::Started(Some(2)), Event::Advanced(1), Event::Advanced(1), Event::Finished]
        );
        // Devices: no total up front, one count per distinct device, then the end.
        let events = recorder.of("devices");
        assert_eq!(events.first(), Some(&Event::Started(None)));
        assert_eq!(events.last(), Some(&Event::Finished));
        assert_eq!(recorder.advanced("devices"), devices.len() as u64);
        // Apps: the total is known once the tenant's detected apps are read (one is wanted).
        assert_eq!(recorder.of("apps"), [Event::Started(None), Event::Total(1), Event::Advanced(1), Event::Finished]);
        // Groups: two ids given, one group once they are told apart.
        assert_eq!(
            recorder.of("groups"),
            [Event::Started(Some(2)), Event::Total(1), Event::Advanced(1), Event::Finished]
        );
    }

    #[tokio::test]
    async fn per_device_apps_count_every_device() {
        let server = MockServer::start().await;
        let devices = tenant(&server, 40).await;
        Mock::given(method("POST"))
            .and(path("/beta/$batch"))
            .respond_with(|request: &wiremock::Request| {
                let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
                let responses: Vec<serde_json::Value> = body["requests"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|r| json!({"id": r["id"], "status": 200, "body": {"value": []}}))
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
            })
            .mount(&server)
            .await;
        let mut options = testkit::options(&server);
        options.apps_via = AppsVia::PerDevice;
        let recorder = Arc::new(Recorder::default());
        fetch_with(&options, testkit::fast_policy(), recorder.clone()).await.unwrap();
        let total = devices.len() as u64;
        let apps = recorder.of("apps");
        assert_eq!((apps.first(), apps.last()), (Some(&Event::Started(Some(total))), Some(&Event::Finished)));
        assert_eq!(recorder.advanced("apps"), total);
    }
}
