//! `intune-reach doctor`: what a tenant really returns for the assumptions the rules rest on, so that an
//! admin (and this project) can see where a tenant differs from the documents. Read-only, and counts
//! only: no device name, user, UPN, device id or Apple ID is kept, so the output is safe to paste in an
//! issue (docs/doctor.md).
//!
//! It reads, through the same Graph client as an audit: whether Graph accepts every `$select` field
//! (one `$top=1` request, then one per field when Graph refuses the list); one unfiltered device
//! listing beside `managedDeviceOverview`'s counter, per platform; the distinct values of the enum-like
//! device fields, with counts; how many devices have no user, an `enrolledDateTime`, a filled
//! `hardwareInformation`; the detected-app names that match each receiving app, and the near misses
//! (names with "Portal", "Intune" or "Google Play" that match no configured name); each tenant check's
//! answer; and the permissions the token names beside those the features need. A part that cannot be
//! read says why and the others still run; only a failed sign-in stops the doctor.

pub mod render;

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::inventory::build::parse_graph_time;
use crate::inventory::classify::NIL_USER_ID;
use crate::inventory::tenant::TenantCheck;
use crate::inventory::{AppCatalog, AppEvidence, CountCheck};
use crate::source::graph::{GraphOptions, GraphSession, Overview, TokenPermissions};
use crate::source::wire::{lenient, overview_platform, GraphDetectedApp, DEVICE_SELECT};

/// The enum-like device fields whose distinct values are counted.
pub const VALUE_FIELDS: &[&str] = &[
    "operatingSystem",
    "deviceEnrollmentType",
    "deviceType",
    "managementAgent",
    "managementState",
    "managedDeviceOwnerType",
    "ownerType",
];
/// At most this many distinct values per field are listed; the rest are counted together.
const MAX_VALUES: usize = 40;
/// Words of an app name that make it a near miss when it matches no configured name.
const NEAR_MISS_WORDS: &[&str] = &["portal", "intune", "google play"];

/// The permissions the features need: (permission, what needs it, permissions that include it).
pub const NEEDED_PERMISSIONS: &[(&str, &str, &[&str])] = &[
    (
        "DeviceManagementManagedDevices.Read.All",
        "devices and detected apps (audit, fetch, doctor)",
        &["DeviceManagementManagedDevices.ReadWrite.All"],
    ),
    (
        "GroupMember.Read.All",
        "--group (target groups' members)",
        &["Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
    ),
    (
        crate::source::wire::APPLE_PUSH_PERMISSION,
        "tenant check: Apple MDM push certificate",
        &["DeviceManagementServiceConfig.ReadWrite.All"],
    ),
    (
        crate::source::wire::MANAGED_GOOGLE_PLAY_PERMISSION,
        "tenant check: managed Google Play",
        &["DeviceManagementConfiguration.ReadWrite.All"],
    ),
    ("DeviceManagementServiceConfig.ReadWrite.All", "send (not needed to audit)", &[]),
];

/// What a part of the diagnosis found, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part<T> {
    Read(T),
    Failed(String),
}

/// The whole diagnosis (`--format json` prints it as is).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    pub tool: &'static str,
    pub version: &'static str,
    /// Whether Graph accepts the device `$select` of an audit.
    pub select: Part<SelectCheck>,
    pub devices: Part<DeviceStats>,
    /// The device listing beside `managedDeviceOverview`'s counter (a failure says why there is none).
    pub count_check: Part<CountCheck>,
    pub apps: Part<AppMatches>,
    pub tenant_checks: Vec<TenantAnswer>,
    pub permissions: Part<Permissions>,
    /// HTTP requests the doctor sent, sign-in and retries included.
    pub requests: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelectCheck {
    /// The fields an audit selects.
    pub fields: Vec<&'static str>,
    /// Those Graph refused, each with Graph's message.
    pub rejected: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeviceStats {
    /// Distinct devices in one unfiltered listing.
    pub listed: u64,
    /// Per field of [`VALUE_FIELDS`]: each distinct value (`(null)`, `(empty)`, as Graph sent it, or
    /// quoted when it has spaces around it) and its number of devices.
    pub values: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// Devices with neither a user principal name nor a user id.
    pub without_user: u64,
    /// Devices with a readable `enrolledDateTime` (not Graph's `0001-01-01` placeholder).
    pub with_enrolled_date_time: u64,
    /// Devices whose `hardwareInformation` holds any value (listings are known to leave it blank).
    pub with_hardware_information: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AppMatches {
    /// Detected apps (name + version + platform entries) in the tenant.
    pub detected_apps: u64,
    /// Per receiving app (`Company Portal`, ...): each detected name that matched, with its devices
    /// (Graph's `deviceCount`, summed over versions and platforms).
    pub matched: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// Names with "Portal", "Intune" or "Google Play" that match no configured name, with their devices.
    pub near_misses: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantAnswer {
    /// `applePushNotificationCertificate` or `androidManagedStoreAccountEnterpriseSettings`.
    pub check: &'static str,
    /// `read`, `not-configured` (404), `forbidden` (403) or `not-read`.
    pub answer: &'static str,
    /// The certificate's expiry, the binding's status, or why it was not read.
    pub detail: String,
    /// The permission that reads it.
    pub permission: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Permissions {
    /// Whether the token's payload could be read (an opaque token names nothing).
    pub readable: bool,
    /// The token's `roles` and `scp`, as it names them.
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
    pub needed: Vec<NeededPermission>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeededPermission {
    pub permission: &'static str,
    pub needed_for: &'static str,
    /// `None` when the token could not be read.
    pub in_token: Option<bool>,
}

/// Signs in and reads everything the diagnosis needs, the parts at the same time.
pub async fn diagnose(options: &GraphOptions) -> Result<Diagnosis, Error> {
    let session = GraphSession::connect(options).await?;
    let select = check_select(&session).await;
    let accepted: Vec<&str> = match &select {
        Part::Read(check) => DEVICE_SELECT.iter().copied().filter(|f| !check.rejected.contains_key(*f)).collect(),
        Part::Failed(_) => DEVICE_SELECT.to_vec(),
    };
    let (overview, devices, apps, tenant, permissions) = tokio::join!(
        session.overview(),
        read_devices(&session, &accepted),
        read_apps(&session, &options.catalog),
        session.tenant_checks(),
        session.token_permissions(),
    );
    let count_check = match (&overview, &devices) {
        (Ok(Overview::Count { expected, per_platform, .. }), Ok((_, read))) => {
            Part::Read(CountCheck::compare(read, *expected, per_platform))
        }
        (Ok(Overview::Unavailable(why)), _) => Part::Failed(why.clone()),
        (Err(error), _) => Part::Failed(error.to_string()),
        (_, Err(error)) => Part::Failed(format!("no device listing to compare: {error}")),
    };
    let tenant_checks = vec![
        tenant_answer(
            "applePushNotificationCertificate",
            crate::source::wire::APPLE_PUSH_PERMISSION,
            &tenant.apple_push,
            |c| match c.expires {
                Some(expires) => format!("expires {}", expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                None => "no readable expirationDateTime".to_owned(),
            },
        ),
        tenant_answer(
            "androidManagedStoreAccountEnterpriseSettings",
            crate::source::wire::MANAGED_GOOGLE_PLAY_PERMISSION,
            &tenant.managed_google_play,
            |p| {
                format!(
                    "bindStatus {}, lastAppSyncStatus {}",
                    p.bind_status.as_deref().unwrap_or("(none)"),
                    p.last_app_sync_status.as_deref().unwrap_or("(none)")
                )
            },
        ),
    ];
    Ok(Diagnosis {
        tool: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        select,
        devices: part(devices.map(|(stats, _)| stats)),
        count_check,
        apps: part(apps),
        tenant_checks,
        permissions: part(permissions.map(|token| permissions_of(token.as_ref()))),
        requests: session.requests(),
    })
}

fn part<T>(result: Result<T, Error>) -> Part<T> {
    match result {
        Ok(value) => Part::Read(value),
        Err(error) => Part::Failed(error.to_string()),
    }
}

/// Asks for one device with the audit's `$select`; when Graph refuses it, asks field by field which.
async fn check_select(session: &GraphSession) -> Part<SelectCheck> {
    let url = |fields: &[&str]| {
        format!("{}/beta/deviceManagement/managedDevices?$top=1&$select={}", session.graph_url(), fields.join(","))
    };
    let mut check = SelectCheck { fields: DEVICE_SELECT.to_vec(), rejected: BTreeMap::new() };
    match session.probe(&url(DEVICE_SELECT)).await {
        Ok(()) => return Part::Read(check),
        Err(refused) if refused.graph_status() == Some(400) => {}
        Err(failure) => return Part::Failed(failure.within("checking the device $select").to_string()),
    }
    for field in DEVICE_SELECT.iter().filter(|f| **f != "id") {
        match session.probe(&url(&["id", field])).await {
            Ok(()) => {}
            Err(refused) if refused.graph_status() == Some(400) => {
                let message = refused.message.clone().unwrap_or_else(|| refused.to_string());
                check.rejected.insert((*field).to_owned(), message);
            }
            Err(failure) => return Part::Failed(failure.within(format!("checking $select={field}")).to_string()),
        }
    }
    Part::Read(check)
}

/// A text field of a listed device, borrowed from the page when it can be.
type Field<'a> = Option<std::borrow::Cow<'a, str>>;

/// The fields of a listed device the doctor counts (its own form: it needs none of the others).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed<'a> {
    #[serde(borrow, default, deserialize_with = "lenient")]
    id: Field<'a>,
    #[serde(borrow, default, deserialize_with = "lenient")]
    user_id: Field<'a>,
    #[serde(borrow, default, deserialize_with = "lenient")]
    user_principal_name: Field<'a>,
    #[serde(borrow, default, deserialize_with = "lenient")]
    enrolled_date_time: Field<'a>,
    #[serde(default)]
    hardware_information: Option<serde_json::Value>,
    #[serde(borrow, default, deserialize_with = "lenient")]
    operating_system: Field<'a>,
    #[serde(borrow, default, deserialize_with = "lenient")]
    device_enrollment_type: Field<'a>,
    #[serde(borrow, default, deserialize_with = "lenient")]
    device_type: Field<'a>,
    #[serde(borrow, default, deserialize_with = "lenient")]
    management_agent: Field<'a>,
    #[serde(borrow, default, deserialize_with = "lenient")]
    management_state: Field<'a>,
    #[serde(borrow, default, deserialize_with = "lenient")]
    managed_device_owner_type: Field<'a>,
    #[serde(borrow, default, deserialize_with = "lenient")]
    owner_type: Field<'a>,
}

impl Listed<'_> {
    /// The values of [`VALUE_FIELDS`], in its order.
    fn values(&self) -> [&Field<'_>; 7] {
        [
            &self.operating_system,
            &self.device_enrollment_type,
            &self.device_type,
            &self.management_agent,
            &self.management_state,
            &self.managed_device_owner_type,
            &self.owner_type,
        ]
    }
}

/// One unfiltered listing: the counts, and the devices per overview platform.
async fn read_devices(
    session: &GraphSession,
    fields: &[&str],
) -> Result<(DeviceStats, BTreeMap<&'static str, u64>), Error> {
    let url = format!("{}/beta/deviceManagement/managedDevices?$select={}", session.graph_url(), fields.join(","));
    let mut seen = HashSet::new();
    let mut stats = DeviceStats::default();
    let mut per_platform: BTreeMap<&'static str, u64> = BTreeMap::new();
    session
        .read_collection("managedDevices (unfiltered)", &url, |body| {
            #[derive(Deserialize)]
            struct Page<'a> {
                #[serde(borrow)]
                value: Vec<Listed<'a>>,
                #[serde(rename = "@odata.nextLink", default)]
                next_link: Option<String>,
            }
            let page: Page = serde_json::from_slice(body)?;
            for device in page.value {
                // A restarted listing repeats devices; one without an id cannot be told apart.
                if device.id.as_deref().is_none_or(|id| !seen.insert(id.to_owned())) {
                    continue;
                }
                count_device(&device, &mut stats, &mut per_platform);
            }
            Ok(page.next_link)
        })
        .await?;
    for values in stats.values.values_mut() {
        cap(values);
    }
    Ok((stats, per_platform))
}

fn count_device(device: &Listed<'_>, stats: &mut DeviceStats, per_platform: &mut BTreeMap<&'static str, u64>) {
    stats.listed += 1;
    *per_platform.entry(overview_platform(device.operating_system.as_deref())).or_default() += 1;
    for (field, value) in VALUE_FIELDS.iter().zip(device.values()) {
        let value = match value.as_deref() {
            None => "(null)".to_owned(),
            Some("") => "(empty)".to_owned(),
            // Spaces around a value make it another value for Graph's filters: show them.
            Some(value) if value.trim() != value => format!("{value:?}"),
            Some(value) => value.to_owned(),
        };
        *stats.values.entry(field).or_default().entry(value).or_default() += 1;
    }
    let blank = |v: &Field<'_>| v.as_deref().map(str::trim).is_none_or(str::is_empty);
    let no_user_id = blank(&device.user_id) || device.user_id.as_deref().map(str::trim) == Some(NIL_USER_ID);
    if blank(&device.user_principal_name) && no_user_id {
        stats.without_user += 1;
    }
    if parse_graph_time(device.enrolled_date_time.as_deref()).is_some() {
        stats.with_enrolled_date_time += 1;
    }
    if device.hardware_information.as_ref().is_some_and(is_filled) {
        stats.with_hardware_information += 1;
    }
}

/// Whether a JSON value holds anything: a non-empty string, a number other than 0, `true`, or a
/// container holding such a value. (A blank `hardwareInformation` is all `null`, `false` and `0`.)
fn is_filled(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => false,
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        serde_json::Value::String(s) => !s.trim().is_empty(),
        serde_json::Value::Array(items) => items.iter().any(is_filled),
        serde_json::Value::Object(map) => map.values().any(is_filled),
    }
}

/// Keeps the [`MAX_VALUES`] most frequent values; the others are counted as one entry.
fn cap(values: &mut BTreeMap<String, u64>) {
    if values.len() <= MAX_VALUES {
        return;
    }
    let mut ranked: Vec<(String, u64)> = std::mem::take(values).into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let others = ranked.split_off(MAX_VALUES);
    let other_devices: u64 = others.iter().map(|(_, n)| n).sum();
    values.extend(ranked);
    values.insert(format!("({} other values)", others.len()), other_devices);
}

/// The tenant's detected apps, matched against the app names of the configuration.
async fn read_apps(session: &GraphSession, catalog: &AppCatalog) -> Result<AppMatches, Error> {
    let url = format!("{}/beta/deviceManagement/detectedApps", session.graph_url());
    let mut seen = HashSet::new();
    let mut matches = AppMatches::default();
    session
        .read_collection("detectedApps", &url, |body| {
            #[derive(Deserialize)]
            struct Page {
                value: Vec<GraphDetectedApp>,
                #[serde(rename = "@odata.nextLink", default)]
                next_link: Option<String>,
            }
            let page: Page = serde_json::from_slice(body)?;
            for app in page.value {
                if seen.insert(app.id.clone()) {
                    match_app(&app, catalog, &mut matches);
                }
            }
            Ok(page.next_link)
        })
        .await?;
    Ok(matches)
}

fn match_app(app: &GraphDetectedApp, catalog: &AppCatalog, matches: &mut AppMatches) {
    matches.detected_apps += 1;
    let name = app.display_name.as_deref().unwrap_or("").trim();
    let devices = u64::try_from(app.device_count.unwrap_or(0)).unwrap_or(0);
    let evidence = AppEvidence { name: name.into(), id: None, version: None };
    match catalog.kind_of(&evidence) {
        Some(kind) => *matches.matched.entry(kind.label()).or_default().entry(name.to_owned()).or_default() += devices,
        None => {
            let lower = name.to_lowercase();
            if NEAR_MISS_WORDS.iter().any(|word| lower.contains(word)) {
                *matches.near_misses.entry(name.to_owned()).or_default() += devices;
            }
        }
    }
}

fn tenant_answer<T>(
    check: &'static str,
    permission: &'static str,
    answer: &TenantCheck<T>,
    detail: impl Fn(&T) -> String,
) -> TenantAnswer {
    let (answer, detail) = match answer {
        TenantCheck::Read(facts) => ("read", detail(facts)),
        TenantCheck::NotConfigured => ("not-configured", "Graph answered 404: none is configured".to_owned()),
        TenantCheck::NotRead { why, permission } => {
            // The check is named in its own column.
            let why = why.strip_prefix(&format!("reading {check}: ")).unwrap_or(why).to_owned();
            (if permission.is_some() { "forbidden" } else { "not-read" }, why)
        }
    };
    TenantAnswer { check, answer, detail, permission }
}

/// The token's permissions beside those the features need.
fn permissions_of(token: Option<&TokenPermissions>) -> Permissions {
    let needed = NEEDED_PERMISSIONS
        .iter()
        .map(|(permission, needed_for, included_in)| NeededPermission {
            permission,
            needed_for,
            in_token: token.map(|t| t.has(permission) || included_in.iter().any(|p| t.has(p))),
        })
        .collect();
    Permissions {
        readable: token.is_some(),
        roles: token.map(|t| t.roles.clone()).unwrap_or_default(),
        scopes: token.map(|t| t.scopes.clone()).unwrap_or_default(),
        needed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::testkit;
    use base64::Engine as _;
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    /// A tenant whose Graph refuses `$select=hardwareInformation`, with odd values and a near miss.
    async fn tenant(server: &MockServer) {
        let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let jwt = format!("{}.{}.sig", b64(json!({"alg": "RS256"})), b64(json!({"roles": ["GroupMember.Read.All"]})));
        Mock::given(method("POST"))
            .and(path("/tenant-1/oauth2/v2.0/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "token_type": "Bearer", "expires_in": 3600, "access_token": jwt
            })))
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/managedDevices"))
            .respond_with(|request: &Request| {
                let select = request.url.query_pairs().find(|(k, _)| k == "$select").map(|(_, v)| v.into_owned());
                if select.unwrap_or_default().contains("hardwareInformation") {
                    let message = "Could not find a property named 'hardwareInformation' on type 'microsoft.graph.managedDevice'.";
                    return testkit::graph_error(400, "BadRequest", message);
                }
                ResponseTemplate::new(200).set_body_json(json!({"value": [
                    {"id": "d1", "deviceName": "Alice's iPhone", "operatingSystem": "iOS", "userPrincipalName": "alice@x.test",
                     "managementAgent": "mdm", "enrolledDateTime": "2026-01-02T03:04:05Z"},
                    {"id": "d2", "operatingSystem": " iOS ", "userId": "00000000-0000-0000-0000-000000000000",
                     "userPrincipalName": "", "enrolledDateTime": "0001-01-01T00:00:00Z"},
                    {"id": "d1", "operatingSystem": "iOS"},
                    {"operatingSystem": "Android"}
                ]}))
            })
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/managedDeviceOverview"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "enrolledDeviceCount": 3, "deviceOperatingSystemSummary": {"iosCount": 2, "androidCount": 1}
            })))
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/detectedApps"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
                {"id": "a1", "displayName": "Company Portal", "deviceCount": 7},
                {"id": "a2", "displayName": "company portal ", "deviceCount": 2},
                {"id": "a3", "displayName": "Intune Company Portal (old)", "deviceCount": 3},
                {"id": "a4", "displayName": "Teams", "deviceCount": 9}
            ]})))
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1.0/deviceManagement/applePushNotificationCertificate"))
            .respond_with(testkit::graph_error(403, "Forbidden", "Application is not authorized."))
            .mount(server)
            .await;
    }

    #[tokio::test]
    async fn a_tenant_that_differs_from_the_documents_shows_it_in_counts() {
        let server = MockServer::start().await;
        tenant(&server).await;
        let diagnosis = diagnose(&testkit::options(&server)).await.unwrap();

        let Part::Read(select) = &diagnosis.select else { panic!("{:?}", diagnosis.select) };
        assert_eq!(select.rejected.keys().collect::<Vec<_>>(), ["hardwareInformation"]);
        assert!(select.rejected["hardwareInformation"].starts_with("Could not find a property named"));

        let Part::Read(devices) = &diagnosis.devices else { panic!("{:?}", diagnosis.devices) };
        assert_eq!(devices.listed, 2, "a repeated id and a device without one are not counted");
        let os = &devices.values["operatingSystem"];
        assert_eq!(os.get("iOS"), Some(&1));
        assert_eq!(os.get("\" iOS \""), Some(&1), "spaces are shown: {os:?}");
        assert_eq!(devices.values["managementAgent"].get("(null)"), Some(&1));
        assert_eq!(
            (devices.without_user, devices.with_enrolled_date_time, devices.with_hardware_information),
            (1, 1, 0)
        );

        let Part::Read(check) = &diagnosis.count_check else { panic!("{:?}", diagnosis.count_check) };
        assert_eq!((check.devices_read, check.graph_count), (2, 3));
        assert_eq!(check.per_platform["android"].read, 0);

        let Part::Read(apps) = &diagnosis.apps else { panic!() };
        assert_eq!(apps.detected_apps, 4);
        assert_eq!(
            apps.matched["Company Portal"],
            BTreeMap::from([("Company Portal".to_owned(), 7), ("company portal".to_owned(), 2)])
        );
        assert_eq!(apps.near_misses, BTreeMap::from([("Intune Company Portal (old)".to_owned(), 3)]));

        let answers: Vec<(&str, &str)> = diagnosis.tenant_checks.iter().map(|a| (a.check, a.answer)).collect();
        assert_eq!(
            answers,
            [
                ("applePushNotificationCertificate", "forbidden"),
                ("androidManagedStoreAccountEnterpriseSettings", "not-configured")
            ]
        );

        let Part::Read(permissions) = &diagnosis.permissions else { panic!() };
        assert!(permissions.readable);
        let in_token: Vec<(&str, Option<bool>)> =
            permissions.needed.iter().map(|n| (n.permission, n.in_token)).collect();
        assert_eq!(in_token[0], ("DeviceManagementManagedDevices.Read.All", Some(false)));
        assert_eq!(in_token[1], ("GroupMember.Read.All", Some(true)));

        // Counts only: no device name, UPN or device id reaches the output.
        let text = render::text(&diagnosis);
        let json = serde_json::to_string(&diagnosis).unwrap();
        for secret in ["Alice", "alice@x.test", "\"d1\"", "| d1", "\"d2\""] {
            assert!(!text.contains(secret) && !json.contains(secret), "{secret} leaked:\n{text}\n{json}");
        }
        assert!(text.contains("| hardwareInformation | Could not find a property named"), "{text}");
        assert!(text.contains("| total    |      2 |       3 |"), "{text}");
    }

    #[test]
    fn blank_hardware_information_is_not_filled() {
        assert!(!is_filled(
            &json!({"serialNumber": null, "isSharedDevice": false, "totalStorageSpace": 0, "users": []})
        ));
        assert!(is_filled(&json!({"serialNumber": null, "isSharedDevice": true})));
        assert!(is_filled(&json!({"model": "iPad13,1"})));
        assert!(!is_filled(&json!({"model": "  "})));
    }

    #[test]
    fn many_values_are_capped() {
        let mut values: BTreeMap<String, u64> = (0..50).map(|i| (format!("v{i:02}"), 100 - i)).collect();
        cap(&mut values);
        assert_eq!(values.len(), MAX_VALUES + 1);
        assert_eq!(values.get("(10 other values)"), Some(&(51..=60).sum::<u64>()));
        assert!(values.contains_key("v00") && !values.contains_key("v45"));
    }
}
