//! End-to-end tests of the simulated Graph: a hand-built tenant served on an ephemeral loopback port,
//! read with reqwest as a plain HTTP client. Every server here stops by itself (`max_seconds`) even if
//! a test fails before its `shutdown`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;
use crate::sim::tenant::{SimApp, SimGroup, SimMember, SimTenant, SimUser};
use crate::source::wire::{GraphDetectedApp, GraphDevice};

const TENANT: &str = "11111111-2222-3333-4444-555555555555";
const OSES: [&str; 5] = ["iOS", "Android", "Windows", "macOS", "iPadOS"];

/// `n` devices (n must not be a multiple of 7) whose ids are not in index order; three apps; five users;
/// groups with nesting and a cycle (g0 -> g1 -> g2 -> g1, g2 -> g0).
fn tenant(n: usize) -> SimTenant {
    let devices = (0..n)
        .map(|i| GraphDevice {
            id: Some(format!("dev-{:05}", (i * 7) % n).into()),
            device_name: Some(format!("Device {i}").into()),
            user_principal_name: Some(format!("user{}@contoso.com", i % 5).into()),
            operating_system: Some(OSES[i % 5].into()),
            os_version: Some("17.1".into()),
            management_agent: Some(if i % 10 == 0 { "eas" } else { "mdm" }.into()),
            ..Default::default()
        })
        .collect();
    let app = |id: &str, name: &str, devices: Vec<u32>| SimApp {
        app: GraphDetectedApp {
            id: Some(id.to_owned().into()),
            display_name: Some(name.to_owned().into()),
            version: Some("1.0".into()),
            platform: Some("ios".into()),
            device_count: Some(devices.len() as i64),
            ..Default::default()
        },
        devices,
    };
    let apps = vec![
        app("app-cp", "Company Portal", (0..n as u32).filter(|d| d % 2 == 0).collect()),
        app("app-small", "Intune \"Agent\"", vec![0, 1, 2]),
        app("app-none", "Nobody's app", vec![]),
    ];
    let users = (0..5)
        .map(|u| SimUser {
            id: format!("user-{u}"),
            user_principal_name: format!("user{u}@contoso.com"),
            display_name: format!("User {u}"),
        })
        .collect();
    let group = |id: &str, members: Vec<SimMember>| SimGroup {
        id: id.to_owned(),
        display_name: format!("Group {id}"),
        members,
    };
    let groups = vec![
        group("g0", vec![SimMember::User(0), SimMember::Group(1), SimMember::Device(0)]),
        group("g1", vec![SimMember::User(1), SimMember::User(2), SimMember::Group(2)]),
        group("g2", vec![SimMember::User(3), SimMember::Group(1), SimMember::Group(0)]),
        group("g3", vec![]),
    ];
    SimTenant { tenant_id: TENANT.to_owned(), devices, apps, users, groups }
}

fn options() -> ServerOptions {
    ServerOptions { max_seconds: Some(60), ..ServerOptions::default() }
}

async fn serve(n: usize, options: ServerOptions) -> RunningServer {
    start(Arc::new(tenant(n)), options, 0).await.expect("server starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap()
}

async fn sign_in(server: &RunningServer, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let url = format!("{}/{}/oauth2/v2.0/token", server.url, server.tenant_id);
    let response = http().post(url).form(form).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn secret_form<'a>(server: &'a RunningServer, secret: &'a str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", "intune-reach-sim".to_owned()),
        ("scope", format!("{}/.default", server.url)),
        ("grant_type", "client_credentials".to_owned()),
        ("client_secret", secret.to_owned()),
    ]
}

async fn token(server: &RunningServer) -> String {
    let form = secret_form(server, "sim-secret");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = sign_in(server, &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn get(url: &str, token: &str) -> Answer {
    let response = http().get(url).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap();
    Answer { status, headers, body }
}

async fn post_json(url: &str, token: &str, body: &Value) -> Answer {
    let response = http().post(url).bearer_auth(token).json(body).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap();
    Answer { status, headers, body }
}

/// Follows next links from `url`; returns the pages.
async fn pages(url: &str, token: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut next = Some(url.to_owned());
    while let Some(url) = next {
        let answer = get(&url, token).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        next = answer.body["@odata.nextLink"].as_str().map(str::to_owned);
        pages.push(answer.body);
        assert!(pages.len() < 100, "runaway listing");
    }
    pages
}

fn ids(pages: &[Value]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_owned()))
        .collect()
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn assert_graph_error(answer: &Answer, status: StatusCode, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(error_code(&answer.body), code, "{}", answer.body);
    let request_id = answer.headers["request-id"].to_str().unwrap();
    assert_eq!(answer.body["error"]["innerError"]["request-id"], request_id);
    assert!(uuid::Uuid::parse_str(request_id).is_ok());
    assert!(answer.body["error"]["innerError"]["date"].is_string());
    assert!(answer.body["error"]["innerError"]["client-request-id"].is_string());
}

#[tokio::test]
async fn sign_in_and_token_checks() {
    let server = serve(10, ServerOptions { token_lifetime_secs: 0, ..options() }).await;
    let devices = format!("{}/beta/deviceManagement/managedDevices", server.url);

    // Issued, but with a lifetime of 0 it has already expired.
    let form = secret_form(&server, "sim-secret");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = sign_in(&server, &form).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 0);
    let expired = body["access_token"].as_str().unwrap();
    assert_graph_error(&get(&devices, expired).await, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
    assert_graph_error(&get(&devices, "made-up").await, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
    let bare = http().get(&devices).header("client-request-id", "mine-123").send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(bare.headers()["client-request-id"], "mine-123");
    let body: Value = bare.json().await.unwrap();
    assert_eq!(body["error"]["innerError"]["client-request-id"], "mine-123");

    // Wrong secret: 401 invalid_client AADSTS7000215 with a trace id.
    let form = secret_form(&server, "wrong");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = sign_in(&server, &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], json!([7000215]));
    assert!(uuid::Uuid::parse_str(body["trace_id"].as_str().unwrap()).is_ok());
    assert!(body["error_description"].as_str().unwrap().starts_with("AADSTS7000215: "));
    assert!(body["error_description"].as_str().unwrap().contains("\r\nTrace ID: "));

    // Unknown tenant, unknown client, bad scope, no credential.
    let url = format!("{}/other-tenant/oauth2/v2.0/token", server.url);
    let response = http().post(url).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_codes"], json!([90002]));
    let scope = format!("{}/.default", server.url);
    type Case<'a> = (&'a [(&'a str, &'a str)], StatusCode, u64);
    let cases: [Case; 3] = [
        (
            &[("client_id", "nobody"), ("scope", &scope), ("grant_type", "client_credentials"), ("client_secret", "x")],
            StatusCode::BAD_REQUEST,
            700016,
        ),
        (
            &[
                ("client_id", "intune-reach-sim"),
                ("scope", "https://graph.microsoft.com/User.Read"),
                ("grant_type", "client_credentials"),
                ("client_secret", "sim-secret"),
            ],
            StatusCode::BAD_REQUEST,
            1002012,
        ),
        (
            &[("client_id", "intune-reach-sim"), ("scope", &scope), ("grant_type", "client_credentials")],
            StatusCode::UNAUTHORIZED,
            7000218,
        ),
    ];
    for (form, status, code) in cases {
        let (got, body) = sign_in(&server, form).await;
        assert_eq!((got, body["error_codes"][0].as_u64()), (status, Some(code)), "{body}");
    }

    // A certificate assertion: right shape accepted, wrong shape 401 AADSTS700027.
    let now = chrono::Utc::now().timestamp();
    let token_url = format!("{}/{}/oauth2/v2.0/token", server.url, TENANT);
    let good = auth::tests::assertion(
        json!({"alg": "RS256", "typ": "JWT", "x5t": "3q2-7w"}),
        json!({"aud": token_url, "iss": "intune-reach-sim", "sub": "intune-reach-sim", "jti": "1", "nbf": now, "iat": now, "exp": now + 600}),
    );
    let stale = auth::tests::assertion(
        json!({"alg": "RS256", "typ": "JWT", "x5t": "3q2-7w"}),
        json!({"aud": token_url, "iss": "intune-reach-sim", "sub": "intune-reach-sim", "exp": now - 10}),
    );
    for (assertion, status) in
        [(good.as_str(), StatusCode::OK), (stale.as_str(), StatusCode::UNAUTHORIZED), ("x.y", StatusCode::UNAUTHORIZED)]
    {
        let form = [
            ("client_id", "intune-reach-sim"),
            ("scope", scope.as_str()),
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
        ];
        let (got, body) = sign_in(&server, &form).await;
        assert_eq!(got, status, "{body}");
        if status != StatusCode::OK {
            assert_eq!(body["error_codes"], json!([700027]));
        }
    }

    let stats = server.stats();
    assert_eq!(stats.tokens_issued, 2);
    assert_eq!(stats.unauthorized, 3);
    assert_eq!(stats.device_pages, 0, "401s are not counted as device pages");
    server.shutdown().await;
}

#[tokio::test]
async fn pages_every_device_once_in_id_order() {
    let server = serve(2500, options()).await;
    let token = token(&server).await;
    let url = format!("{}/beta/deviceManagement/managedDevices?$select=id,deviceName", server.url);
    let pages = pages(&url, &token).await;
    assert_eq!(pages.iter().map(|p| p["value"].as_array().unwrap().len()).collect::<Vec<_>>(), [1000, 1000, 500]);
    let ids = ids(&pages);
    let expected: Vec<String> = (0..2500).map(|i| format!("dev-{i:05}")).collect();
    assert_eq!(ids, expected, "every device once, by id");
    let link = pages[0]["@odata.nextLink"].as_str().unwrap();
    assert!(link.starts_with(&format!("{}/beta/deviceManagement/managedDevices?$select=id,deviceName&", server.url)));
    assert!(link.contains("$skiptoken="));
    assert!(pages[2].get("@odata.nextLink").is_none());
    assert!(pages[0]["@odata.context"].as_str().unwrap().contains("$metadata#deviceManagement/managedDevices"));

    // $top pages smaller; a garbled or foreign skiptoken is a 400.
    let small = self::pages(&format!("{url}&$top=700"), &token).await;
    assert_eq!(small.len(), 4);
    assert_eq!(self::ids(&small), expected);
    let garbled = get(&format!("{url}&$skiptoken=bm90LWEtdG9rZW4"), &token).await;
    assert_graph_error(&garbled, StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(garbled.body["error"]["message"], wire::SKIPTOKEN_MESSAGE);
    let foreign = link.replace("$select=id,deviceName", "$filter=operatingSystem%20eq%20'iOS'");
    assert_graph_error(&get(&foreign, &token).await, StatusCode::BAD_REQUEST, "BadRequest");
    assert_graph_error(&get(&format!("{url}&$top=abc"), &token).await, StatusCode::BAD_REQUEST, "BadRequest");
    assert_graph_error(&get(&format!("{url}&$top=0"), &token).await, StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(server.stats().device_pages, 3 + 4 + 4);
    server.shutdown().await;
}

#[tokio::test]
async fn select_returns_only_the_named_fields_plus_id() {
    let server = serve(20, options()).await;
    let token = token(&server).await;
    let base = format!("{}/beta/deviceManagement/managedDevices", server.url);
    let page = get(&format!("{base}?$select=deviceName,OPERATINGSYSTEM,userId,noSuchField"), &token).await;
    let first = page.body["value"][0].as_object().unwrap();
    let keys: BTreeSet<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["id", "deviceName", "operatingSystem", "userId"]));
    assert_eq!(first["userId"], Value::Null, "a selected field without a value is null");
    let all = get(&base, &token).await;
    let first = all.body["value"][0].as_object().unwrap();
    assert!(first.contains_key("osVersion") && first.contains_key("managementAgent"));
    assert!(!first.contains_key("userId"), "without $select, absent fields are left out");
    let text = all.body["value"][0].to_string();
    let parsed: GraphDevice = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.id.as_deref(), Some("dev-00000"));
    server.shutdown().await;
}

#[tokio::test]
async fn os_filter_eq_ne_and_ignored_filters() {
    let server = serve(2500, options()).await;
    let token = token(&server).await;
    let base = format!("{}/beta/deviceManagement/managedDevices?$select=id,operatingSystem", server.url);
    let os_of = |pages: &[Value]| -> BTreeSet<String> {
        pages
            .iter()
            .flat_map(|p| {
                p["value"].as_array().unwrap().iter().map(|v| v["operatingSystem"].as_str().unwrap().to_owned())
            })
            .collect()
    };

    let ios = pages(&format!("{base}&$filter=operatingSystem%20eq%20%27iOS%27"), &token).await;
    assert_eq!(ids(&ios).len(), 500);
    assert_eq!(os_of(&ios), BTreeSet::from(["iOS".to_owned()]));
    let next = ios[0]["@odata.nextLink"].as_str().map(str::to_owned);
    assert!(next.is_none(), "500 devices fit one page");

    // Case-insensitive value, `+` for spaces, `ne` behaves as `eq`.
    let android = pages(&format!("{base}&$filter=operatingSystem+eq+'ANDROID'&$top=300"), &token).await;
    assert_eq!(android.len(), 2);
    assert!(android[0]["@odata.nextLink"].as_str().unwrap().contains("$filter=operatingSystem%20eq%20'ANDROID'"));
    assert_eq!(os_of(&android), BTreeSet::from(["Android".to_owned()]));
    let ne = pages(&format!("{base}&$filter=operatingSystem%20ne%20'Android'"), &token).await;
    assert_eq!(ids(&ne), ids(&android));

    // Anything else is ignored: every device.
    for filter in [
        "userId%20eq%20'x'",
        "startswith(operatingSystem,'i')",
        "operatingSystem%20eq%20'iOS'%20or%20operatingSystem%20eq%20'Android'",
    ] {
        let all = pages(&format!("{base}&$filter={filter}"), &token).await;
        assert_eq!(ids(&all).len(), 2500, "{filter}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn overview_counts_every_device() {
    let server = serve(2500, ServerOptions { hide_devices: 10, ..options() }).await;
    let token = token(&server).await;
    let answer = get(&format!("{}/beta/deviceManagement/managedDeviceOverview", server.url), &token).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.body;
    assert_eq!(body["enrolledDeviceCount"], 2500);
    assert_eq!(body["mdmEnrolledCount"], 2250);
    assert_eq!(body["dualEnrolledDeviceCount"], 0);
    let summary = &body["deviceOperatingSystemSummary"];
    assert_eq!(summary["iosCount"], 1000, "iOS and iPadOS");
    assert_eq!(summary["androidCount"], 500);
    assert_eq!(summary["windowsCount"], 500);
    assert_eq!(summary["macOSCount"], 500);
    assert_eq!(summary["unknownCount"], 0);
    assert_eq!(summary["linuxCount"], 0);
    assert_eq!(summary["chromeOSCount"], 0);
    assert_eq!(summary["windowsMobileCount"], 0);
    server.shutdown().await;
}

#[tokio::test]
async fn detected_apps_and_their_devices() {
    let server = serve(2500, options()).await;
    let token = token(&server).await;
    let apps =
        pages(&format!("{}/beta/deviceManagement/detectedApps?$filter=displayName%20eq%20'x'", server.url), &token)
            .await;
    assert_eq!(apps.len(), 1);
    let values = apps[0]["value"].as_array().unwrap();
    assert_eq!(ids(&apps), ["app-cp", "app-none", "app-small"], "by id; $filter ignored");
    let small = &values[2];
    assert_eq!(small["displayName"], "Intune \"Agent\"");
    assert_eq!(small["deviceCount"], 3);
    for field in ["version", "sizeInByte", "publisher", "platform"] {
        assert!(small.as_object().unwrap().contains_key(field), "{field}");
    }

    let cp =
        pages(&format!("{}/beta/deviceManagement/detectedApps/app-cp/managedDevices?$select=id", server.url), &token)
            .await;
    assert_eq!(cp.len(), 2);
    let cp_ids = ids(&cp);
    assert_eq!(cp_ids.len(), 1250);
    let expected: BTreeSet<String> =
        (0..2500).filter(|i| i % 2 == 0).map(|i| format!("dev-{:05}", (i * 7) % 2500)).collect();
    assert_eq!(cp_ids.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(cp_ids.windows(2).all(|w| w[0] < w[1]), "by id");
    assert_eq!(cp[0]["value"][0].as_object().unwrap().len(), 1, "$select=id");
    assert!(cp[0]["@odata.nextLink"].as_str().unwrap().contains("/detectedApps/app-cp/managedDevices?$select=id&"));

    let none = get(&format!("{}/beta/deviceManagement/detectedApps/app-none/managedDevices", server.url), &token).await;
    assert_eq!(none.body["value"], json!([]));
    let unknown = get(&format!("{}/beta/deviceManagement/detectedApps/nope/managedDevices", server.url), &token).await;
    assert_graph_error(&unknown, StatusCode::NOT_FOUND, "ResourceNotFound");
    let stats = server.stats();
    assert_eq!((stats.app_pages, stats.app_device_pages), (1, 4));
    server.shutdown().await;
}

#[tokio::test]
async fn apps_of_one_device() {
    let server = serve(2500, options()).await;
    let token = token(&server).await;
    let url = |id: &str| format!("{}/beta/deviceManagement/managedDevices/{id}/detectedApps", server.url);
    // Device index 0 has id dev-00000 and both app-cp and app-small; index 1 (dev-00007) only app-small.
    let zero = get(&url("dev-00000"), &token).await;
    assert_eq!(zero.status, StatusCode::OK);
    let names: Vec<&str> = zero.body["value"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(names, ["app-cp", "app-small"]);
    assert!(zero.body.get("@odata.nextLink").is_none());
    let one = get(&url("dev-00007"), &token).await;
    assert_eq!(one.body["value"].as_array().unwrap().len(), 1);
    let three = get(&url("dev-00021"), &token).await;
    assert_eq!(three.body["value"], json!([]));
    assert_graph_error(&get(&url("nope"), &token).await, StatusCode::NOT_FOUND, "ResourceNotFound");
    assert_eq!(server.stats().device_app_reads, 4);
    server.shutdown().await;
}

#[tokio::test]
async fn batch_runs_each_request_and_rejects_more_than_20() {
    let server = serve(50, options()).await;
    let token = token(&server).await;
    let url = format!("{}/beta/$batch", server.url);
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/deviceManagement/managedDevices/dev-00000/detectedApps"},
        {"id": "2", "method": "GET", "url": "deviceManagement/managedDevices/nope/detectedApps"},
        {"id": "3", "method": "GET", "url": "/deviceManagement/managedDevices?$select=id&$top=10"},
        {"id": "4", "method": "POST", "url": "/deviceManagement/managedDevices"},
        {"id": "5", "method": "GET", "url": "/no/such/thing"},
    ]});
    let answer = post_json(&url, &token, &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let responses = answer.body["responses"].as_array().unwrap();
    let status: Vec<(&str, u64)> =
        responses.iter().map(|r| (r["id"].as_str().unwrap(), r["status"].as_u64().unwrap())).collect();
    assert_eq!(status, [("1", 200), ("2", 404), ("3", 200), ("4", 405), ("5", 404)]);
    assert_eq!(responses[0]["headers"]["Content-Type"], "application/json");
    assert_eq!(responses[0]["body"]["value"].as_array().unwrap().len(), 2);
    assert_eq!(responses[1]["body"]["error"]["code"], "ResourceNotFound");
    assert_eq!(responses[2]["body"]["value"].as_array().unwrap().len(), 10);
    assert!(responses[2]["body"]["@odata.nextLink"].as_str().unwrap().starts_with(&server.url));

    let many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/deviceManagement/managedDeviceOverview"}))
        .collect();
    assert_graph_error(
        &post_json(&url, &token, &json!({"requests": many})).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    );
    let twenty = &many[..20];
    assert_eq!(post_json(&url, &token, &json!({"requests": twenty})).await.status, StatusCode::OK);
    for bad in [
        json!({"nope": []}),
        json!({"requests": []}),
        json!({"requests": [{"id": "1"}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "/x"}, {"id": "1", "method": "GET", "url": "/y"}]}),
    ] {
        assert_graph_error(&post_json(&url, &token, &bad).await, StatusCode::BAD_REQUEST, "BadRequest");
    }
    let garbage = http().post(&url).bearer_auth(&token).body("{not json").send().await.unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
    let anonymous = http().post(&url).json(&body).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let stats = server.stats();
    assert_eq!(stats.batch_items, 5 + 20);
    assert_eq!(stats.device_app_reads, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn groups_transitive_members_with_nesting_and_cycles() {
    let server = serve(20, options()).await;
    let token = token(&server).await;
    let url = |g: &str, query: &str| format!("{}/v1.0/groups/{g}/transitiveMembers{query}", server.url);
    let all = pages(&url("g0", "?$select=id,userPrincipalName,displayName"), &token).await;
    assert_eq!(all.len(), 1);
    let members = all[0]["value"].as_array().unwrap();
    let summary: Vec<(&str, &str)> =
        members.iter().map(|m| (m["@odata.type"].as_str().unwrap(), m["id"].as_str().unwrap())).collect();
    assert_eq!(
        summary,
        [
            ("#microsoft.graph.user", "user-0"),
            ("#microsoft.graph.user", "user-1"),
            ("#microsoft.graph.user", "user-2"),
            ("#microsoft.graph.user", "user-3"),
            ("#microsoft.graph.device", "dev-00000"),
            ("#microsoft.graph.group", "g1"),
            ("#microsoft.graph.group", "g2"),
        ]
    );
    assert_eq!(members[0]["userPrincipalName"], "user0@contoso.com");
    assert_eq!(members[0]["displayName"], "User 0");
    assert_eq!(members[4]["displayName"], "Device 0");
    assert!(members[4].get("userPrincipalName").is_none());
    assert_eq!(members[5]["displayName"], "Group g1");

    // g1 -> g2 -> g1 (cycle) and g2 -> g0: g1 reaches everything but itself.
    let paged = pages(&url("g1", "?$select=id&$top=2"), &token).await;
    assert_eq!(paged.len(), 4);
    assert_eq!(ids(&paged), ["user-0", "user-1", "user-2", "user-3", "dev-00000", "g0", "g2"]);
    assert!(paged[0]["value"][0].get("displayName").is_none(), "$select=id");
    assert!(paged[0]["@odata.nextLink"].as_str().unwrap().contains("$top=2"));

    assert_eq!(get(&url("g3", ""), &token).await.body["value"], json!([]));
    assert_graph_error(&get(&url("nope", ""), &token).await, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert_graph_error(&get(&url("g0", "?$top=1000"), &token).await, StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(server.stats().group_pages, 1 + 4 + 3);
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let server = serve(5, options()).await;
    let token = token(&server).await;
    let answer = get(&format!("{}/beta/deviceManagement/somethingElse", server.url), &token).await;
    assert_graph_error(&answer, StatusCode::NOT_FOUND, "ResourceNotFound");
    assert_graph_error(
        &get(&format!("{}/v1.0/deviceManagement/managedDevices", server.url), &token).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    );
    let post = http()
        .post(format!("{}/beta/deviceManagement/managedDevices", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(post.headers().contains_key("request-id"));
    let get_token = http().get(format!("{}/{TENANT}/oauth2/v2.0/token", server.url)).send().await.unwrap();
    assert_eq!(get_token.status(), StatusCode::METHOD_NOT_ALLOWED);
    // Percent-encoded path segments and any case of the segment names are understood.
    let encoded =
        get(&format!("{}/beta/DEVICEMANAGEMENT/managedDevices/dev%2D00000/detectedApps", server.url), &token).await;
    assert_eq!(encoded.status, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test]
async fn throttle_answers_429_with_fractional_retry_after() {
    let throttle: Throttle = "3/2".parse().unwrap();
    let server = serve(30, ServerOptions { throttle: Some(throttle), ..options() }).await;
    let token = token(&server).await;
    let url = format!("{}/beta/deviceManagement/managedDeviceOverview", server.url);
    for _ in 0..3 {
        assert_eq!(get(&url, &token).await.status, StatusCode::OK);
    }
    let throttled = get(&url, &token).await;
    assert_graph_error(&throttled, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    let retry = throttled.headers["retry-after"].to_str().unwrap();
    assert!(retry.contains('.'), "fractional: {retry}");
    let seconds: f64 = retry.parse().unwrap();
    assert!(seconds > 0.0 && seconds <= 2.0, "{seconds}");

    // The whole $batch envelope is refused while the window is full.
    let batch_url = format!("{}/beta/$batch", server.url);
    let one = json!({"requests": [{"id": "1", "method": "GET", "url": "/deviceManagement/managedDeviceOverview"}]});
    let refused = post_json(&batch_url, &token, &one).await;
    assert_graph_error(&refused, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    assert!(refused.headers.contains_key("retry-after"));

    // After the window slides, a batch of 5 gets 3 answers and 2 inner 429s with Retry-After.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let five: Vec<Value> = (1..=5)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/deviceManagement/managedDeviceOverview"}))
        .collect();
    let answer = post_json(&batch_url, &token, &json!({"requests": five})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let statuses: Vec<u64> =
        answer.body["responses"].as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let inner = &answer.body["responses"][3];
    assert!(inner["headers"]["Retry-After"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
    assert_eq!(inner["body"]["error"]["code"], "TooManyRequests");
    // Token requests are not throttled.
    let _ = self::token(&server).await;
    assert_eq!(server.stats().throttled, 1 + 1 + 2);
    server.shutdown().await;

    let server =
        serve(30, ServerOptions { throttle: Some("1/5".parse().unwrap()), no_retry_after: true, ..options() }).await;
    let token = self::token(&server).await;
    let url = format!("{}/beta/deviceManagement/managedDeviceOverview", server.url);
    assert_eq!(get(&url, &token).await.status, StatusCode::OK);
    let throttled = get(&url, &token).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!throttled.headers.contains_key("retry-after"));
    server.shutdown().await;
}

#[test]
fn throttle_parses() {
    assert_eq!("2000/20".parse::<Throttle>().unwrap(), Throttle { requests: 2000, per_seconds: 20.0 });
    assert_eq!(" 5 / 0.5 ".parse::<Throttle>().unwrap(), Throttle { requests: 5, per_seconds: 0.5 });
    for bad in ["", "5", "0/1", "5/0", "5/-1", "x/1", "5/nan", "5/inf", "-1/2", "5/1e300"] {
        assert!(bad.parse::<Throttle>().is_err(), "{bad}");
    }
}

#[tokio::test]
async fn error_rate_one_answers_503() {
    let server = serve(30, ServerOptions { error_rate: 1.0, ..options() }).await;
    let token = token(&server).await;
    let answer = get(&format!("{}/beta/deviceManagement/managedDevices", server.url), &token).await;
    assert_graph_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable");
    assert!(answer.headers.contains_key("retry-after"));
    assert_eq!(server.stats().unavailable, 1);
    server.shutdown().await;
    let bad = start(Arc::new(tenant(3)), ServerOptions { error_rate: 1.5, ..options() }, 0).await;
    assert!(matches!(bad, Err(Error::Usage(_))));
}

#[tokio::test]
async fn error_rate_is_deterministic_per_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = serve(30, ServerOptions { error_rate: 0.5, fault_seed: 42, ..options() }).await;
        let token = token(&server).await;
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses
                .push(get(&format!("{}/beta/deviceManagement/managedDeviceOverview", server.url), &token).await.status);
        }
        runs.push(statuses);
        server.shutdown().await;
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&StatusCode::OK) && runs[0].contains(&StatusCode::SERVICE_UNAVAILABLE));
}

#[tokio::test]
async fn expired_skiptoken_once_then_a_restart_works() {
    let server = serve(2500, ServerOptions { expire_skiptokens_after: Some(2), ..options() }).await;
    let token = token(&server).await;
    let url = format!("{}/beta/deviceManagement/managedDevices?$select=id", server.url);
    let first = get(&url, &token).await;
    let second = get(first.body["@odata.nextLink"].as_str().unwrap(), &token).await;
    assert_eq!(second.status, StatusCode::OK);
    let third = get(second.body["@odata.nextLink"].as_str().unwrap(), &token).await;
    assert_graph_error(&third, StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(third.body["error"]["message"], "The skip token is either invalid or expired.");
    // Restarting the listing reads it whole; another listing (a filter) has its own count.
    assert_eq!(ids(&pages(&url, &token).await).len(), 2500);
    let ios = format!("{url}&$filter=operatingSystem%20eq%20'iOS'&$top=100");
    let first = get(&ios, &token).await;
    let second = get(first.body["@odata.nextLink"].as_str().unwrap(), &token).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(get(second.body["@odata.nextLink"].as_str().unwrap(), &token).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(ids(&pages(&ios, &token).await).len(), 500);
    assert_eq!(server.stats().skiptokens_expired, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn repeat_next_link_repeats_page_one_link() {
    let server = serve(2500, ServerOptions { repeat_next_link: true, ..options() }).await;
    let token = token(&server).await;
    let url = format!("{}/beta/deviceManagement/managedDevices?$select=id", server.url);
    let first = get(&url, &token).await;
    let link = first.body["@odata.nextLink"].as_str().unwrap().to_owned();
    let second = get(&link, &token).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body["@odata.nextLink"], link.as_str(), "page 2 repeats page 1's next link");
    assert_eq!(second.body["value"][0]["id"], "dev-01000");
    let again = get(&link, &token).await;
    assert_eq!(again.body["@odata.nextLink"], link.as_str(), "an endless loop");
    // Only the first listing repeats: a restart reads through.
    assert_eq!(ids(&pages(&url, &token).await).len(), 2500);
    assert_eq!(server.stats().repeated_next_links, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn hidden_devices_are_missing_but_counted() {
    let server = serve(2500, ServerOptions { hide_devices: 10, ..options() }).await;
    let token = token(&server).await;
    let listed = ids(&pages(&format!("{}/beta/deviceManagement/managedDevices?$select=id", server.url), &token).await);
    assert_eq!(listed.len(), 2490);
    assert_eq!(listed.last().unwrap(), "dev-02489", "the last 10 by id are hidden");
    let overview = get(&format!("{}/beta/deviceManagement/managedDeviceOverview", server.url), &token).await;
    assert_eq!(overview.body["enrolledDeviceCount"], 2500);
    let hidden =
        get(&format!("{}/beta/deviceManagement/managedDevices/dev-02499/detectedApps", server.url), &token).await;
    assert_graph_error(&hidden, StatusCode::NOT_FOUND, "ResourceNotFound");
    let cp =
        ids(&pages(&format!("{}/beta/deviceManagement/detectedApps/app-cp/managedDevices", server.url), &token).await);
    // app-cp has the even device indices; dev-0249x hidden ones among them are left out.
    let hidden_with_cp = (0..2500).filter(|i| i % 2 == 0 && (i * 7) % 2500 >= 2490).count();
    assert_eq!(cp.len(), 1250 - hidden_with_cp);
    assert!(cp.iter().all(|id| id.as_str() < "dev-02490"));
    server.shutdown().await;
}

#[tokio::test]
async fn latency_delays_answers() {
    let server = serve(5, ServerOptions { latency_ms: 150, ..options() }).await;
    let started = Instant::now();
    let token = token(&server).await;
    let _ = get(&format!("{}/beta/deviceManagement/managedDeviceOverview", server.url), &token).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    server.shutdown().await;
}

#[tokio::test]
async fn max_seconds_stops_the_server() {
    let server = serve(5, ServerOptions { max_seconds: Some(1), ..options() }).await;
    let url = server.url.clone();
    let _ = token(&server).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), server.wait()).await.expect("stops by itself");
    assert!(started.elapsed() >= Duration::from_millis(500));
    let after = reqwest::Client::new().get(format!("{url}/beta/deviceManagement/managedDeviceOverview")).send().await;
    assert!(after.is_err(), "nothing listens any more");
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let server = serve(5, ServerOptions { max_seconds: None, ..options() }).await;
    let url = server.url.clone();
    tokio::time::timeout(Duration::from_secs(10), server.shutdown()).await.expect("stops");
    assert!(reqwest::Client::new().get(&url).send().await.is_err());

    let server = serve(5, ServerOptions { max_seconds: None, ..options() }).await;
    let url = server.url.clone();
    drop(server);
    let deadline = Instant::now() + Duration::from_secs(10);
    while reqwest::Client::new().get(&url).send().await.is_ok() {
        assert!(Instant::now() < deadline, "a dropped server stops");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn inconsistent_tenants_are_refused() {
    let mut broken = tenant(5);
    broken.apps[0].devices.push(99);
    assert!(matches!(start(Arc::new(broken), options(), 0).await, Err(Error::Usage(_))));
    let mut broken = tenant(5);
    broken.groups[0].members.push(SimMember::Group(9));
    assert!(matches!(start(Arc::new(broken), options(), 0).await, Err(Error::Usage(_))));
}
