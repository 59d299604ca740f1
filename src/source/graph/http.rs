//! Sending requests: the one retry loop, the shared rate limit and concurrency bound, the bearer token
//! (taken right before each attempt, renewed once after a 401), and the failures turned into messages
//! a user can act on.
//!
//! Every request of the client goes through [`Transport::send`]: Graph pages, `$batch` envelopes and
//! sign-in alike, so the retry policy ([`super::retry`]) is written once. A failed request comes back
//! as a [`Failure`] holding the HTTP status, Graph's error code and message, the request-id (or Entra's
//! trace id), the attempts and the time spent; callers add what was being read
//! ([`Failure::into_error`]). Secrets never reach a message or a log: logs (debug level) show the
//! method, the URL path (no query), the status, the request-id and the attempt.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use tokio::sync::Semaphore;

use super::auth::Auth;
use super::options::Secret;
use super::ratelimit::{RateLimiter, DEFAULT_LIMIT, DEFAULT_WINDOW};
use super::retry::{counts_against_cap, is_retryable_status, parse_retry_after, RetryPolicy};
use crate::error::Error;

/// Counters of the whole run.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// HTTP requests sent, retries included (a `$batch` envelope is one).
    pub requests: AtomicU64,
    /// Requests (or `$batch` inner requests) sent again after a retryable failure.
    pub retries: AtomicU64,
    /// 429 answers (envelopes and inner requests).
    pub throttled: AtomicU64,
    /// Graph requests (and `$batch` inner requests) that went through: the client's progress.
    pub successes: AtomicU64,
}

impl Stats {
    pub fn successes(&self) -> u64 {
        self.successes.load(Ordering::Relaxed)
    }
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// What to do with a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnThrottle {
    /// Wait and retry, like any retryable failure.
    Retry,
    /// Hand it back to the caller (a `$batch` caller splits the envelope instead).
    Return,
}

/// The body of a request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Body<'a> {
    Empty,
    Json(&'a [u8]),
    Form(&'a [(&'a str, &'a str)]),
}

/// One request, as [`Transport::send`] sends it (again on each attempt).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    pub method: &'a Method,
    pub url: &'a str,
    /// Graph requests carry the run's token; sign-in requests none.
    pub auth: Option<&'a Auth>,
    pub body: Body<'a>,
    /// Requests it counts for against the rate limit; 0 for requests outside Graph (sign-in).
    pub weight: usize,
    pub on_throttle: OnThrottle,
    /// The counter of the phase the request belongs to (phases can run at the same time).
    pub phase: Option<&'a AtomicU64>,
}

/// A successful (2xx) answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    /// When the request (this attempt) left, after the rate limit.
    pub sent_at: Instant,
    pub status: u16,
    pub request_id: Option<String>,
    pub body: Vec<u8>,
}

/// A request that finally failed.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    /// The server answered with an error status.
    Http(HttpFailure),
    /// No answer: connection refused, reset, timed out.
    Transport { message: String, attempts: u32, elapsed: Duration },
    /// Signing in (or renewing the token) failed; the message is complete.
    SignIn(String),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct HttpFailure {
    pub status: u16,
    /// Graph's `error.code`, or Entra's `error`.
    pub code: Option<String>,
    pub message: Option<String>,
    /// `request-id`, or Entra's trace and correlation ids, as (label, value).
    pub ids: Vec<(&'static str, String)>,
    pub retry_after: Option<Duration>,
    pub attempts: u32,
    pub elapsed: Duration,
    /// What the user can do about it (a missing permission, a refused token).
    pub hint: Option<String>,
}

impl Failure {
    pub fn status(&self) -> Option<u16> {
        match self {
            Failure::Http(http) => Some(http.status),
            _ => None,
        }
    }

    /// The error of the run: `what` was being read (e.g. "reading managedDevices (shard iOS, page 3)").
    pub fn into_error(self, what: impl fmt::Display) -> Error {
        Error::Source(format!("{what}: {self}"))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Http(http) => http.fmt(f),
            Failure::Transport { message, attempts, elapsed } => {
                write!(f, "{message}")?;
                write_attempts(f, *attempts, *elapsed)
            }
            Failure::SignIn(message) => f.write_str(message),
        }
    }
}

impl fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        match &self.code {
            Some(code) => write!(f, " {code}")?,
            None => {
                let reason = reqwest::StatusCode::from_u16(self.status).ok().and_then(|s| s.canonical_reason());
                if let Some(reason) = reason {
                    write!(f, " {reason}")?;
                }
            }
        }
        if let Some(message) = self.message.as_deref().filter(|m| !m.is_empty()) {
            write!(f, ": {message}")?;
        }
        if !self.ids.is_empty() {
            let ids: Vec<String> = self.ids.iter().map(|(label, value)| format!("{label} {value}")).collect();
            write!(f, " ({})", ids.join(", "))?;
        }
        write_attempts(f, self.attempts, self.elapsed)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

fn write_attempts(f: &mut fmt::Formatter<'_>, attempts: u32, elapsed: Duration) -> fmt::Result {
    if attempts > 1 {
        write!(f, " after {attempts} attempts over {:.1} s", elapsed.as_secs_f64())?;
    }
    Ok(())
}

/// The permission a 403 on this Graph path points to.
pub(crate) fn permission_hint(path: &str) -> Option<String> {
    let permission = if path.contains("/deviceManagement/") || path.ends_with("/$batch") {
        "DeviceManagementManagedDevices.Read.All"
    } else if path.contains("/groups/") {
        "GroupMember.Read.All"
    } else {
        return None;
    };
    Some(format!(
        "missing permission {permission}: grant it to the app as an application permission, with admin consent"
    ))
}

/// Reads an error body: Graph's `{"error":{"code","message","innerError":{"request-id"}}}` or Entra's
/// `{"error","error_description","trace_id","correlation_id"}`. Anything else gives a short excerpt.
pub(crate) fn parse_error_body(body: &[u8], failure: &mut HttpFailure) {
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => match json.get("error") {
            Some(serde_json::Value::Object(error)) => {
                failure.code = error.get("code").and_then(text);
                failure.message = error.get("message").and_then(text);
                let inner = error.get("innerError").or_else(|| error.get("innererror"));
                if let Some(id) = inner.and_then(|i| i.get("request-id")).and_then(text) {
                    failure.ids.retain(|(label, _)| *label != "request-id");
                    failure.ids.push(("request-id", id));
                }
            }
            Some(serde_json::Value::String(code)) => {
                failure.code = Some(code.clone());
                // The description repeats the ids and a timestamp on further lines: keep the first.
                failure.message = json
                    .get("error_description")
                    .and_then(text)
                    .map(|d| d.lines().next().unwrap_or("").trim().to_owned());
                failure.ids.clear();
                if let Some(id) = json.get("trace_id").and_then(text) {
                    failure.ids.push(("trace_id", id));
                }
                if let Some(id) = json.get("correlation_id").and_then(text) {
                    failure.ids.push(("correlation_id", id));
                }
            }
            _ => {}
        },
        Err(_) => {
            let excerpt: String = String::from_utf8_lossy(body).split_whitespace().collect::<Vec<_>>().join(" ");
            let excerpt: String = excerpt.chars().take(200).collect();
            if !excerpt.is_empty() {
                failure.message = Some(excerpt);
            }
        }
    }
}

/// Percent-encodes one URL path segment or query value (everything but RFC 3986 unreserved bytes).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The path of a URL, for logs and permission hints (never the query: it can hold skip tokens).
pub(crate) fn url_path(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(url) => url.path().to_owned(),
        Err(_) => url.split('?').next().unwrap_or("").to_owned(),
    }
}

/// The HTTP layer shared by every task: connection pool, retry policy, rate limit, concurrency bound.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    pub policy: RetryPolicy,
    pub limiter: RateLimiter,
    permits: Semaphore,
    pub stats: Stats,
}

impl Transport {
    pub fn new(policy: RetryPolicy, max_concurrency: usize) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(Duration::from_secs(30).min(policy.timeout))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("intune-reach/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Source(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Transport {
            http,
            policy,
            limiter: RateLimiter::new(DEFAULT_LIMIT, DEFAULT_WINDOW),
            permits: Semaphore::new(max_concurrency.max(1)),
            stats: Stats::default(),
        })
    }

    /// Sends a request until it succeeds, fails for good, or the retry policy gives up. 429, 503, 504
    /// and transport errors are retried (honouring `Retry-After`); a 401 renews the token and retries
    /// at once, once; other statuses fail at once. The token is taken right before each attempt leaves
    /// (after the rate limit), so a wait never sends an expired token.
    pub async fn send(&self, call: Call<'_>) -> Result<Reply, Failure> {
        let started = Instant::now();
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let path = url_path(call.url);
        let (mut attempt, mut strikes): (u32, u32) = (0, 0);
        // The client's progress when this request last failed (or started).
        let mut progress = self.stats.successes();
        let mut renewed = false;
        let mut refused: Option<u64> = None;
        loop {
            attempt += 1;
            let (sent_at, generation, outcome) = self.attempt(&call, &client_request_id, refused.take()).await;
            let (failure, retryable) = match outcome {
                Ok(reply) => {
                    // A `$batch` caller counts its inner requests itself.
                    if call.weight > 0 && call.on_throttle == OnThrottle::Retry {
                        Stats::add(&self.stats.successes, 1);
                    }
                    tracing::debug!(method = %call.method, path = %path, status = reply.status,
                        request_id = reply.request_id.as_deref().unwrap_or("-"), attempt, "graph request");
                    return Ok(reply);
                }
                Err(Attempted::SignIn(failure)) => return Err(failure),
                Err(Attempted::Status(mut failure)) => {
                    tracing::debug!(method = %call.method, path = %path, status = failure.status,
                        request_id = failure.ids.first().map(|(_, id)| id.as_str()).unwrap_or("-"), attempt,
                        "graph request failed");
                    failure.attempts = attempt;
                    failure.elapsed = started.elapsed();
                    failure.hint = match failure.status {
                        403 => permission_hint(&path),
                        404 if path.contains("/groups/") => {
                            Some("no such group: a --group value is the group's object id".to_owned())
                        }
                        _ => None,
                    };
                    if let (401, Some(auth)) = (failure.status, call.auth) {
                        if auth.is_ready_token() {
                            failure.hint = Some(READY_TOKEN_REFUSED.to_owned());
                            return Err(Failure::Http(failure));
                        }
                        if renewed {
                            failure.hint = Some(FRESH_TOKEN_REFUSED.to_owned());
                            return Err(Failure::Http(failure));
                        }
                        tracing::debug!(path = %path, "401: renewing the token once");
                        renewed = true;
                        refused = Some(generation);
                        Stats::add(&self.stats.retries, 1);
                        continue;
                    }
                    if failure.status == 429 {
                        Stats::add(&self.stats.throttled, 1);
                        if call.weight > 0 && failure.retry_after.is_none() {
                            self.limiter.slow_down(sent_at, self.stats.successes());
                        }
                        if call.on_throttle == OnThrottle::Return {
                            return Err(Failure::Http(failure));
                        }
                    }
                    let retryable = is_retryable_status(failure.status);
                    (Failure::Http(failure), retryable)
                }
                Err(Attempted::Transport(message, retryable)) => {
                    tracing::debug!(method = %call.method, path = %path, attempt, error = %message,
                        "graph request got no answer");
                    (Failure::Transport { message, attempts: attempt, elapsed: started.elapsed() }, retryable)
                }
            };
            let (retry_after, throttled) = match &failure {
                Failure::Http(http) => (http.retry_after, http.status == 429),
                _ => (None, false),
            };
            let now_progress = self.stats.successes();
            if counts_against_cap(failure.status(), now_progress > progress) {
                strikes += 1;
            }
            progress = now_progress;
            let delay = if retryable { self.policy.next_delay(attempt, strikes, started, retry_after) } else { None };
            match delay {
                Some(delay) => {
                    if throttled && call.weight > 0 && retry_after.is_some() {
                        // Graph's budget is per app: every task waits for its Retry-After, not only this one.
                        self.limiter.pause_until(Instant::now() + delay);
                    }
                    Stats::add(&self.stats.retries, 1);
                    tracing::debug!(path = %path, attempt, wait_ms = delay.as_millis() as u64, "retrying");
                    tokio::time::sleep(delay).await;
                }
                None => return Err(failure),
            }
        }
    }

    /// [`Transport::send`], boxed: sign-in sends through the same loop from inside a Graph request's
    /// attempt, and a recursive `async fn` needs a box.
    pub fn send_boxed<'a>(
        &'a self,
        call: Call<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Reply, Failure>> + Send + 'a>> {
        Box::pin(self.send(call))
    }

    /// One attempt: waits for the rate limit and a concurrency permit (Graph requests), takes the token
    /// (renewing the `refused` one), sends, reads the whole body. Also says when the request left and
    /// which token it carried.
    async fn attempt(
        &self,
        call: &Call<'_>,
        client_request_id: &str,
        refused: Option<u64>,
    ) -> (Instant, u64, Result<Reply, Attempted>) {
        let mut _permit = None;
        if call.weight > 0 {
            self.limiter.acquire(call.weight).await;
            match self.permits.acquire().await {
                Ok(permit) => _permit = Some(permit),
                Err(_) => {
                    let closed = Attempted::Transport("the client is shutting down".to_owned(), false);
                    return (Instant::now(), 0, Err(closed));
                }
            }
        }
        let (token, generation) = match call.auth {
            None => (None, 0),
            Some(auth) => {
                let bearer = match refused {
                    Some(generation) => auth.renew(self, generation).await,
                    None => auth.bearer(self).await,
                };
                match bearer {
                    Ok(bearer) => (Some(bearer.token), bearer.generation),
                    Err(failure) => return (Instant::now(), 0, Err(Attempted::SignIn(failure))),
                }
            }
        };
        let sent_at = Instant::now();
        (sent_at, generation, self.exchange(call, client_request_id, token.as_ref(), sent_at).await)
    }

    async fn exchange(
        &self,
        call: &Call<'_>,
        client_request_id: &str,
        token: Option<&Secret>,
        sent_at: Instant,
    ) -> Result<Reply, Attempted> {
        Stats::add(&self.stats.requests, 1);
        if let Some(phase) = call.phase {
            Stats::add(phase, 1);
        }
        let mut request =
            self.http.request(call.method.clone(), call.url).header("client-request-id", client_request_id);
        if let Some(token) = token {
            request = request.bearer_auth(token.expose());
        }
        request = match call.body {
            Body::Empty => request,
            Body::Json(bytes) => request.header("Content-Type", "application/json").body(bytes.to_vec()),
            Body::Form(fields) => request.form(fields),
        };
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let request_id = header("request-id");
        let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v));
        let body = response.bytes().await.map_err(transport_error)?.to_vec();
        if (200..300).contains(&status) {
            return Ok(Reply { sent_at, status, request_id, body });
        }
        let mut failure = HttpFailure { status, retry_after, ..HttpFailure::default() };
        if let Some(id) = request_id {
            failure.ids.push(("request-id", id));
        }
        parse_error_body(&body, &mut failure);
        Err(Attempted::Status(failure))
    }
}

const READY_TOKEN_REFUSED: &str = "Graph refused the token from GRAPH_ACCESS_TOKEN (expired, or not for this tenant \
    or cloud); a ready token cannot be renewed: set a fresh one, or sign in with a client secret or certificate";
const FRESH_TOKEN_REFUSED: &str =
    "Graph refused a freshly issued token too: check that the app registration belongs to this tenant and cloud";

enum Attempted {
    Status(HttpFailure),
    /// No token: signing in failed (after its own retries).
    SignIn(Failure),
    /// The message, and whether it is worth retrying.
    Transport(String, bool),
}

/// A transport error as a message without the URL (it may hold skip tokens), with its causes.
fn transport_error(error: reqwest::Error) -> Attempted {
    let retryable = error.is_timeout() || error.is_connect() || error.is_request() || error.is_body();
    let kind = if error.is_timeout() { "timed out" } else { "no answer" };
    let error = error.without_url();
    let mut message = format!("{kind}: {error}");
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = inner.source();
    }
    Attempted::Transport(message, retryable)
}

/// The Graph API as the readers see it: GET a URL or POST a `$batch`, with a bearer token that is
/// renewed before it expires and once after a 401.
#[derive(Debug, Clone)]
pub(crate) struct GraphClient {
    inner: Arc<Inner>,
    /// Requests sent through this handle are also counted here (see [`GraphClient::for_phase`]).
    phase: Option<Arc<AtomicU64>>,
}

#[derive(Debug)]
struct Inner {
    transport: Transport,
    auth: Auth,
    graph: String,
    graph_origin: Option<url::Origin>,
}

impl GraphClient {
    pub fn new(graph: String, auth: Auth, transport: Transport) -> Self {
        let graph_origin = url::Url::parse(&graph).ok().map(|u| u.origin());
        GraphClient { inner: Arc::new(Inner { transport, auth, graph, graph_origin }), phase: None }
    }

    /// A handle on the same client whose requests (retries included) are also counted in the returned
    /// counter, so phases that run at the same time each know their own requests.
    pub fn for_phase(&self) -> (GraphClient, Arc<AtomicU64>) {
        let counter = Arc::new(AtomicU64::new(0));
        (GraphClient { inner: self.inner.clone(), phase: Some(counter.clone()) }, counter)
    }

    /// The Graph base URL (no `/beta`).
    pub fn graph(&self) -> &str {
        &self.inner.graph
    }

    pub fn stats(&self) -> &Stats {
        &self.inner.transport.stats
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.inner.transport.policy
    }

    /// Counts a throttled `$batch` inner request.
    pub fn note_throttled(&self) {
        Stats::add(&self.inner.transport.stats.throttled, 1);
    }

    /// Counts `$batch` inner requests that went through.
    pub fn note_successes(&self, items: u64) {
        Stats::add(&self.inner.transport.stats.successes, items);
    }

    /// Graph throttled the app: no Graph request before `wait` has passed.
    pub fn pause(&self, wait: Duration) {
        self.inner.transport.limiter.pause_until(Instant::now() + wait);
    }

    /// `$batch` inner requests were throttled without `Retry-After` (the envelope left at `sent_at`):
    /// pace more slowly.
    pub fn slow_down(&self, sent_at: Instant) {
        self.inner.transport.limiter.slow_down(sent_at, self.stats().successes());
    }

    /// Whether a next link stays on the Graph host (the token is never sent elsewhere).
    pub fn is_graph_url(&self, url: &str) -> bool {
        match (url::Url::parse(url), &self.inner.graph_origin) {
            (Ok(url), Some(origin)) => &url.origin() == origin,
            _ => false,
        }
    }

    /// Gets a token now, so that a sign-in problem is reported before anything is read.
    pub async fn sign_in(&self) -> Result<(), Error> {
        self.inner.auth.bearer(&self.inner.transport).await.map(|_| ()).map_err(|f| Error::Source(f.to_string()))
    }

    pub async fn get(&self, url: &str) -> Result<Reply, Failure> {
        self.send(&Method::GET, url, Body::Empty, 1, OnThrottle::Retry).await
    }

    /// POSTs a `$batch` envelope of `items` inner requests; a 429 envelope comes back to the caller.
    pub async fn post_batch(&self, body: &[u8], items: usize) -> Result<Reply, Failure> {
        let url = format!("{}/beta/$batch", self.inner.graph);
        self.send(&Method::POST, &url, Body::Json(body), items, OnThrottle::Return).await
    }

    async fn send(
        &self,
        method: &Method,
        url: &str,
        body: Body<'_>,
        weight: usize,
        on_throttle: OnThrottle,
    ) -> Result<Reply, Failure> {
        let Inner { transport, auth, .. } = &*self.inner;
        let phase = self.phase.as_deref();
        transport.send(Call { method, url, auth: Some(auth), body, weight, on_throttle, phase }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::options::Credential;
    use crate::source::graph::testkit;
    use serde_json::json;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn ok() -> ResponseTemplate {
        ResponseTemplate::new(200).insert_header("request-id", "rid-ok").set_body_json(json!({"value": []}))
    }

    async fn mount_once(server: &MockServer, response: ResponseTemplate, times: u64) {
        Mock::given(method("GET"))
            .and(path("/beta/x"))
            .respond_with(response)
            .up_to_n_times(times)
            .with_priority(1)
            .mount(server)
            .await;
    }

    async fn mount_ok(server: &MockServer) {
        Mock::given(method("GET")).and(path("/beta/x")).respond_with(ok()).with_priority(5).mount(server).await;
    }

    fn graph_requests(requests: &[wiremock::Request]) -> usize {
        requests.iter().filter(|r| r.url.path() == "/beta/x").count()
    }

    #[tokio::test]
    async fn a_fractional_retry_after_is_waited_for() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        mount_once(
            &server,
            testkit::graph_error(429, "TooManyRequests", "Please retry again later.")
                .insert_header("Retry-After", "0.3"),
            1,
        )
        .await;
        mount_ok(&server).await;
        client.sign_in().await.unwrap();
        let started = Instant::now();
        let reply = client.get(&format!("{}/beta/x", server.uri())).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
        assert_eq!(reply.request_id.as_deref(), Some("rid-ok"));
        assert_eq!(client.stats().throttled.load(Ordering::Relaxed), 1);
        assert_eq!(client.stats().retries.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn without_retry_after_it_backs_off_and_succeeds() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        mount_once(&server, testkit::graph_error(503, "ServiceUnavailable", "busy"), 2).await;
        mount_once(&server, testkit::graph_error(504, "GatewayTimeout", "slow"), 1).await;
        mount_ok(&server).await;
        client.get(&format!("{}/beta/x", server.uri())).await.unwrap();
        assert_eq!(graph_requests(&server.received_requests().await.unwrap()), 4);
        assert_eq!(client.stats().retries.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn retries_stop_at_the_cap_with_a_full_message() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/managedDevices"))
            .respond_with(testkit::graph_error(503, "ServiceUnavailable", "The service is busy."))
            .mount(&server)
            .await;
        let failure = client.get(&format!("{}/beta/deviceManagement/managedDevices", server.uri())).await.unwrap_err();
        let message = failure.into_error("reading managedDevices (shard iOS, page 3)").to_string();
        assert!(
            message.starts_with("reading managedDevices (shard iOS, page 3): HTTP 503 ServiceUnavailable: The service is busy. (request-id "),
            "{message}"
        );
        assert!(message.contains(") after 5 attempts over "), "{message}");
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        mount_once(&server, testkit::graph_error(400, "BadRequest", "no"), 10).await;
        let failure = client.get(&format!("{}/beta/x", server.uri())).await.unwrap_err();
        assert_eq!(failure.status(), Some(400));
        assert_eq!(graph_requests(&server.received_requests().await.unwrap()), 1);
    }

    #[tokio::test]
    async fn no_answer_is_retried_then_reported_without_the_url() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let server = MockServer::start().await;
        testkit::mount_token(&server, 3600).await;
        let mut options = testkit::options(&server);
        options.graph_url = Some(format!("http://127.0.0.1:{port}"));
        let client = testkit::client_with(&options);
        let failure = client.get(&format!("http://127.0.0.1:{port}/beta/x?$skiptoken=abc")).await.unwrap_err();
        let message = failure.to_string();
        assert!(matches!(failure, Failure::Transport { attempts: 5, .. }), "{message}");
        assert!(message.contains("after 5 attempts") && !message.contains("skiptoken"), "{message}");
    }

    #[tokio::test]
    async fn a_401_renews_the_token_once_then_succeeds() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        Mock::given(method("GET"))
            .and(path("/beta/x"))
            .and(header("authorization", "Bearer token-1"))
            .respond_with(testkit::graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/beta/x"))
            .and(header("authorization", "Bearer token-2"))
            .respond_with(ok())
            .mount(&server)
            .await;
        client.get(&format!("{}/beta/x", server.uri())).await.unwrap();
        assert_eq!(testkit::token_requests(&server).await, 2);
        // The renewed token is kept.
        client.get(&format!("{}/beta/x", server.uri())).await.unwrap();
        assert_eq!(testkit::token_requests(&server).await, 2);
    }

    #[tokio::test]
    async fn a_second_401_is_an_error() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        mount_once(&server, testkit::graph_error(401, "InvalidAuthenticationToken", "Access token is invalid."), 10)
            .await;
        let failure = client.get(&format!("{}/beta/x", server.uri())).await.unwrap_err();
        assert_eq!(failure.status(), Some(401));
        let message = failure.to_string();
        assert!(message.contains("InvalidAuthenticationToken") && message.contains("freshly issued"), "{message}");
        assert_eq!(testkit::token_requests(&server).await, 2);
        assert_eq!(graph_requests(&server.received_requests().await.unwrap()), 2);
        assert!(!message.contains("token-"), "{message}");
    }

    #[tokio::test]
    async fn a_refused_ready_token_says_it_cannot_be_renewed() {
        let server = MockServer::start().await;
        mount_once(&server, testkit::graph_error(401, "InvalidAuthenticationToken", "Access token has expired."), 10)
            .await;
        let mut options = testkit::options(&server);
        options.credential = Credential::Token(Secret::new("ready-token-xyz"));
        let client = testkit::client_with(&options);
        let message = client.get(&format!("{}/beta/x", server.uri())).await.unwrap_err().to_string();
        assert!(message.contains("GRAPH_ACCESS_TOKEN") && message.contains("cannot be renewed"), "{message}");
        assert!(!message.contains("ready-token-xyz"), "{message}");
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].headers.get("authorization").unwrap(), "Bearer ready-token-xyz");
    }

    #[test]
    fn microsoft_throttling_example_parses() {
        let mut failure = HttpFailure { status: 429, ..HttpFailure::default() };
        parse_error_body(
            include_bytes!("../../../tests/fixtures/graph-docs/throttling-429-response.example.json"),
            &mut failure,
        );
        assert_eq!(failure.code.as_deref(), Some("TooManyRequests"));
        assert_eq!(failure.message.as_deref(), Some("Please retry again later."));
        assert_eq!(failure.ids, vec![("request-id", "94fb3b52-452a-4535-a601-69e0a90e3aa2".to_owned())]);
        let mut odd = HttpFailure { status: 502, ..HttpFailure::default() };
        parse_error_body(b"<html>\n<body>Bad gateway</body></html>", &mut odd);
        assert_eq!(odd.to_string(), "HTTP 502 Bad Gateway: <html> <body>Bad gateway</body></html>");
    }

    #[test]
    fn permissions_and_encoding() {
        assert!(permission_hint("/beta/deviceManagement/managedDevices")
            .unwrap()
            .contains("DeviceManagementManagedDevices.Read.All"));
        assert!(permission_hint("/v1.0/groups/g/transitiveMembers").unwrap().contains("GroupMember.Read.All"));
        assert_eq!(permission_hint("/tenant/oauth2/v2.0/token"), None);
        assert_eq!(encode("operatingSystem eq 'iOS'"), "operatingSystem%20eq%20%27iOS%27");
        assert_eq!(encode("a/b?c"), "a%2Fb%3Fc");
        assert_eq!(url_path("https://g.test/beta/x?$skiptoken=secretish"), "/beta/x");
    }
}
