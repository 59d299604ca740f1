//! End-to-end tests of the simulated Graph: a hand-built tenant served on an ephemeral loopback port,
//! read with reqwest as a plain HTTP client. Every server here stops by itself (`max_seconds`) even if
//! a test fails before its `shutdown`. This file holds the tenant and the HTTP helpers; the tests go
//! by endpoint family, as the endpoints do.

mod apps;
mod batch;
mod devices;
mod export_jobs;
mod faults;
mod groups;
mod lifecycle;
mod people_and_pipelines;
mod sends;
mod sign_in;
mod tenant_settings;

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
