//! Test helpers for the Graph client: options and a client pointed at a `wiremock` server, a token
//! endpoint, Graph error answers, a fake device listing that pages, filters (or ignores the filter
//! like Graph can) and expires a skip token once, and a progress observer that records what it sees.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::auth::Auth;
use super::error::GraphError;
use super::http::{GraphClient, Transport};
use super::options::{endpoints, Credential, GraphOptions, Secret};
use super::retry::RetryPolicy;
use crate::error::Error;
use crate::source::progress::ProgressObserver;

/// The retry policy of the tests: same rules, short waits, 5 attempts.
pub(crate) fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        max_total: Duration::from_secs(20),
        base: Duration::from_millis(5),
        cap: Duration::from_millis(50),
        timeout: Duration::from_secs(10),
        ..RetryPolicy::default()
    }
}

/// Options for a tenant served by `server` (sign-in and Graph), with a client secret.
pub(crate) fn options(server: &MockServer) -> GraphOptions {
    let mut options = GraphOptions::new(Credential::Secret(Secret::new("test-secret-value")));
    options.graph_url = Some(server.uri());
    options.login_url = Some(server.uri());
    options.tenant_id = Some("tenant-1".to_owned());
    options.client_id = Some("client-1".to_owned());
    options
}

/// Answers the token endpoint with `token-1`, `token-2`, ... lasting `expires_in` seconds.
struct TokenEndpoint {
    expires_in: u64,
    issued: AtomicU64,
}

impl Respond for TokenEndpoint {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": self.expires_in, "ext_expires_in": self.expires_in,
            "access_token": format!("token-{n}")
        }))
    }
}

pub(crate) async fn mount_token(server: &MockServer, expires_in: u64) {
    Mock::given(method("POST"))
        .and(path("/tenant-1/oauth2/v2.0/token"))
        .respond_with(TokenEndpoint { expires_in, issued: AtomicU64::new(0) })
        .mount(server)
        .await;
}

/// How many times the token endpoint was asked.
pub(crate) async fn token_requests(server: &MockServer) -> usize {
    let requests = server.received_requests().await.unwrap_or_default();
    requests.iter().filter(|r| r.url.path().ends_with("/oauth2/v2.0/token")).count()
}

/// A client for `options`, with the fast retry policy.
pub(crate) fn client_with(options: &GraphOptions) -> GraphClient {
    let endpoints = endpoints(options).expect("test endpoints");
    let auth = Auth::new(options, &endpoints).expect("test auth");
    let transport = Transport::new(fast_policy(), options.max_concurrency).expect("test transport");
    GraphClient::new(endpoints.graph, auth, transport)
}

/// A client for `server`, whose token endpoint is mounted (hour-long tokens).
pub(crate) async fn client(server: &MockServer) -> GraphClient {
    mount_token(server, 3600).await;
    client_with(&options(server))
}

/// The Graph error of a result that must be one.
pub(crate) fn expect_graph_error<T: std::fmt::Debug>(result: Result<T, Error>) -> Box<GraphError> {
    match result {
        Err(Error::Graph(error)) => error,
        other => panic!("expected a Graph error, got {other:?}"),
    }
}

/// A Graph error answer, as Graph shapes it.
pub(crate) fn graph_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    let request_id = uuid::Uuid::new_v4().to_string();
    ResponseTemplate::new(status).insert_header("request-id", request_id.as_str()).set_body_json(json!({
        "error": {"code": code, "message": message, "innerError": {
            "date": "2026-11-26T10:00:00", "request-id": request_id, "client-request-id": request_id
        }}
    }))
}

/// `beta/deviceManagement/managedDevices`: pages of `page_size` in id order; `$filter=operatingSystem eq
/// 'X'` honoured (case-insensitively) unless `ignore_filter`; with `expire_after = Some(n)`, the n-th
/// next link followed in each listing is answered once with the expired-skip-token 400.
pub(crate) struct FakeDevices {
    base: String,
    devices: Vec<(String, String)>,
    page_size: usize,
    pub ignore_filter: bool,
    pub expire_after: Option<usize>,
    followed: Mutex<HashMap<String, usize>>,
}

impl FakeDevices {
    pub fn new(server: &MockServer, mut devices: Vec<(String, String)>, page_size: usize) -> Self {
        devices.sort();
        FakeDevices {
            base: server.uri(),
            devices,
            page_size,
            ignore_filter: false,
            expire_after: None,
            followed: Mutex::default(),
        }
    }

    pub async fn mount(self, server: &MockServer) {
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/managedDevices"))
            .respond_with(self)
            .mount(server)
            .await;
    }
}

impl Respond for FakeDevices {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let filter = query.get("$filter").cloned().unwrap_or_default();
        let wanted = filter
            .strip_prefix("operatingSystem eq '")
            .and_then(|rest| rest.strip_suffix('\''))
            .filter(|_| !self.ignore_filter);
        let offset: usize = match query.get("$skiptoken") {
            Some(token) => {
                let mut followed = self.followed.lock().unwrap();
                let count = followed.entry(filter.clone()).or_default();
                *count += 1;
                if self.expire_after == Some(*count) {
                    return graph_error(400, "BadRequest", "The skip token is either invalid or expired.");
                }
                token.parse().unwrap_or(0)
            }
            None => 0,
        };
        let matching: Vec<&(String, String)> =
            self.devices.iter().filter(|(_, os)| wanted.is_none_or(|w| os.eq_ignore_ascii_case(w))).collect();
        let end = (offset + self.page_size).min(matching.len());
        let value: Vec<serde_json::Value> = matching[offset.min(end)..end]
            .iter()
            .map(|(id, os)| json!({"id": id, "deviceName": format!("name-{id}"), "operatingSystem": os}))
            .collect();
        let mut body = json!({"@odata.context": "https://graph.microsoft.com/beta/$metadata#deviceManagement/managedDevices", "value": value});
        if end < matching.len() {
            let mut pairs: Vec<(String, String)> = query.into_iter().filter(|(k, _)| k != "$skiptoken").collect();
            pairs.sort();
            let next = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .append_pair("$skiptoken", &end.to_string())
                .finish();
            body["@odata.nextLink"] = json!(format!("{}{}?{next}", self.base, request.url.path()));
        }
        ResponseTemplate::new(200).insert_header("request-id", "rid").set_body_json(body)
    }
}

/// One progress event, as [`Recorder`] keeps it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event {
    Started(Option<u64>),
    Total(u64),
    Advanced(u64),
    Status(String),
    Finished,
}

/// A progress observer that records every event, by phase.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    events: Mutex<Vec<(String, Event)>>,
}

impl Recorder {
    fn push(&self, phase: &str, event: Event) {
        self.events.lock().unwrap().push((phase.to_owned(), event));
    }

    /// The events of one phase, in order.
    pub fn of(&self, phase: &str) -> Vec<Event> {
        self.events.lock().unwrap().iter().filter(|(p, _)| p == phase).map(|(_, e)| e.clone()).collect()
    }

    /// The items the phase reported read.
    pub fn advanced(&self, phase: &str) -> u64 {
        self.of(phase).iter().map(|e| if let Event::Advanced(n) = e { *n } else { 0 }).sum()
    }

    /// The phases in the order they started.
    pub fn phases(&self) -> Vec<String> {
        let events = self.events.lock().unwrap();
        events.iter().filter(|(_, e)| matches!(e, Event::Started(_))).map(|(p, _)| p.clone()).collect()
    }
}

impl ProgressObserver for Recorder {
    fn phase_started(&self, phase: &str, total: Option<u64>) {
        self.push(phase, Event::Started(total));
    }
    fn total_known(&self, phase: &str, total: u64) {
        self.push(phase, Event::Total(total));
    }
    fn advanced(&self, phase: &str, count: u64) {
        self.push(phase, Event::Advanced(count));
    }
    fn status(&self, phase: &str, message: &str) {
        self.push(phase, Event::Status(message.to_owned()));
    }
    fn phase_finished(&self, phase: &str) {
        self.push(phase, Event::Finished);
    }
}
