//! Sending requests: the one retry loop, the shared rate limit and concurrency bound, and the bearer
//! token (taken right before each attempt, renewed once after a 401).
//!
//! Every request of the client goes through [`Transport::send`]: Graph pages, `$batch` envelopes and
//! sign-in alike. After each attempt the loop asks the pure decision of [`super::retry`] what to do
//! (send again and when, renew the token, give up, hand the answer back) and does it, so the policy
//! is written once and tested without a network; each request names its policy and its client-side
//! budget ([`Budget`]), so that a stricter policy (sends) or a second budget (report export jobs)
//! needs no second loop. A failed request comes back as a [`GraphError`] holding the request's method
//! and path, the HTTP status, Graph's error code and message, the request-id (or Entra's trace id),
//! the attempts and the time spent; callers add what was being read ([`GraphError::into_error`]).
//! Secrets never reach an error or a log: logs (debug level) show the method, the URL path (no query),
//! the status, the request-id and the attempt.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use tokio::sync::Semaphore;

use super::auth::Auth;
use super::error::{permission_hint, url_path, FailureKind, GraphError, Service};
use super::options::Secret;
use super::permissions::forbidden_hint;
use super::ratelimit::{RateLimiter, DEFAULT_LIMIT, DEFAULT_WINDOW, EXPORT_LIMIT_APP, EXPORT_WINDOW};
use super::retry::{decide, parse_retry_after, Attempt, Decision, OnThrottle, Outcome, RetryPolicy, TokenState};
use crate::error::Error;

/// A request that failed for good (boxed: errors travel far, successes are the common case).
pub(crate) type Failure = Box<GraphError>;

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

/// The body of a request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Body<'a> {
    Empty,
    Json(&'a [u8]),
    Form(&'a [(&'a str, &'a str)]),
}

/// The client-side budget a request counts against, and for how many requests it counts (a `$batch`
/// envelope counts as its inner requests, as Graph counts it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget<'a> {
    pub limiter: &'a RateLimiter,
    pub weight: usize,
}

/// One request, as [`Transport::send`] sends it (again on each attempt).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    pub method: &'a Method,
    pub url: &'a str,
    /// Graph requests carry the run's token; sign-in requests none (their errors are Entra's).
    pub auth: Option<&'a Auth>,
    pub body: Body<'a>,
    pub policy: &'a RetryPolicy,
    /// Graph requests wait for their budget and a concurrency permit; sign-in requests for neither.
    pub budget: Option<Budget<'a>>,
    pub on_throttle: OnThrottle,
    /// The counter of the phase the request belongs to (phases can run at the same time).
    pub phase: Option<&'a AtomicU64>,
}

impl Call<'_> {
    fn service(&self) -> Service {
        match self.auth {
            Some(_) => Service::Graph,
            None => Service::SignIn,
        }
    }

    /// The token this request carries, `renewed` or not after a 401.
    fn token_state(&self, renewed: bool) -> TokenState {
        match self.auth {
            None => TokenState::None,
            Some(auth) if auth.is_ready_token() => TokenState::Ready,
            Some(_) if renewed => TokenState::Renewed,
            Some(_) => TokenState::Renewable,
        }
    }

    fn error(&self, kind: FailureKind) -> GraphError {
        GraphError::new(self.service(), self.method.as_str(), self.url, kind)
    }
}

/// A successful (2xx) answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    /// When the request (this attempt) left, after the rate limit.
    pub sent_at: tokio::time::Instant,
    pub status: u16,
    pub request_id: Option<String>,
    pub body: Vec<u8>,
}

impl Reply {
    /// This answer (to `method url`) cannot be used, and why.
    pub fn unusable(&self, context: impl fmt::Display, method: &str, url: &str, message: impl Into<String>) -> Failure {
        let mut error = GraphError::unusable(context, method, url, message);
        error.status = Some(self.status);
        error.request_id = self.request_id.clone();
        error
    }
}

/// What the user can do about an error status on this path.
fn hint_for(status: Option<u16>, path: &str) -> Option<String> {
    match status {
        Some(403) => permission_hint(path),
        Some(404) if path.contains("/groups/") => {
            Some("no such group: a --group value is the group's object id".to_owned())
        }
        _ => None,
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

/// The HTTP layer shared by every task: connection pool, read policy, Graph's budget, concurrency bound.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    /// The policy of reads.
    pub policy: RetryPolicy,
    /// Graph's budget of the Intune device APIs.
    pub limiter: RateLimiter,
    /// The budget of report export jobs, of their own (creating and polling jobs).
    pub export_limiter: RateLimiter,
    permits: Semaphore,
    pub stats: Stats,
}

impl Transport {
    pub fn new(policy: RetryPolicy, max_concurrency: usize) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30).min(policy.timeout))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("intune-reach/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Runtime { what: "cannot set up the HTTP client", source: e.into() })?;
        Ok(Transport {
            http,
            policy,
            limiter: RateLimiter::new(DEFAULT_LIMIT, DEFAULT_WINDOW),
            export_limiter: RateLimiter::new(EXPORT_LIMIT_APP, EXPORT_WINDOW),
            permits: Semaphore::new(max_concurrency.max(1)),
            stats: Stats::default(),
        })
    }

    /// The same transport with another export-jobs budget: `limit` requests per `window`.
    pub fn with_export_budget(mut self, limit: usize, window: Duration) -> Self {
        self.export_limiter = RateLimiter::new(limit, window);
        self
    }

    /// Sends a request until it succeeds, fails for good, or its policy gives up (see [`decide`]). The
    /// token is taken right before each attempt leaves (after the rate limit), so a wait never sends an
    /// expired token. Throttling reaches every task, as Graph's budget is per app: a 429 with
    /// `Retry-After` pauses the request's budget, one without slows its pace.
    pub async fn send(&self, call: Call<'_>) -> Result<Reply, Failure> {
        self.send_with_headers(call, &[]).await
    }

    /// [`Transport::send`] with extra request headers (a managed identity's `X-IDENTITY-HEADER`, the
    /// bearer of GitHub's OIDC request). Their values are never logged.
    pub async fn send_with_headers(&self, call: Call<'_>, headers: &[(&str, &str)]) -> Result<Reply, Failure> {
        let started = Instant::now();
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let path = url_path(call.url);
        let (mut attempt, mut strikes): (u32, u32) = (0, 0);
        // The client's progress when this request last failed (or started).
        let mut progress = self.stats.successes();
        let mut renewed = false;
        let mut refused: Option<u64> = None;
        // Whether some attempt may have reached the server without an answer coming back.
        let mut unanswered = false;
        loop {
            attempt += 1;
            let (sent_at, generation, result) = self.attempt(&call, headers, &client_request_id, refused.take()).await;
            let (outcome, mut failure) = match result {
                Ok(reply) => {
                    // A `$batch` caller counts its inner requests itself.
                    if call.budget.is_some() && call.on_throttle == OnThrottle::Retry {
                        Stats::add(&self.stats.successes, 1);
                    }
                    tracing::debug!(method = %call.method, path = %path, status = reply.status,
                        request_id = reply.request_id.as_deref().unwrap_or("-"), attempt, "graph request");
                    return Ok(reply);
                }
                Err(Attempted::SignIn(failure)) => return Err(failure),
                Err(Attempted::Failed(outcome, failure)) => (outcome, failure),
            };
            unanswered |= outcome == Outcome::NoAnswer { sent: true };
            failure.may_have_arrived = unanswered;
            tracing::debug!(method = %call.method, path = %path, status = failure.status,
                request_id = failure.request_id.as_deref().unwrap_or("-"), attempt, error = %failure,
                "graph request failed");
            failure.attempts = attempt;
            failure.elapsed = started.elapsed();
            if failure.hint.is_none() {
                failure.hint = hint_for(failure.status, &path);
            }
            let throttled = failure.status == Some(429);
            if throttled {
                Stats::add(&self.stats.throttled, 1);
                if let (Some(budget), None) = (call.budget, failure.retry_after) {
                    budget.limiter.slow_down(sent_at, self.stats.successes());
                }
            }
            let now_progress = self.stats.successes();
            let state = Attempt {
                number: attempt,
                strikes,
                others_progressed: now_progress > progress,
                elapsed: started.elapsed(),
                token: call.token_state(renewed),
                on_throttle: call.on_throttle,
            };
            match decide(call.policy, &state, outcome, rand::random()) {
                Decision::HandBack => return Err(failure),
                Decision::GiveUp(reason) => {
                    if let Some(hint) = reason.hint() {
                        failure.hint = Some(hint.to_owned());
                    }
                    return Err(failure);
                }
                Decision::RenewToken => {
                    tracing::debug!(path = %path, "401: renewing the token once");
                    renewed = true;
                    refused = Some(generation);
                    Stats::add(&self.stats.retries, 1);
                }
                Decision::Retry { wait, strike } => {
                    strikes += u32::from(strike);
                    progress = now_progress;
                    if let (true, Some(_), Some(budget)) = (throttled, failure.retry_after, call.budget) {
                        // Graph's budget is per app: every task waits for the Retry-After, not only this one.
                        budget.limiter.pause_until(tokio::time::Instant::now() + wait);
                    }
                    Stats::add(&self.stats.retries, 1);
                    tracing::debug!(path = %path, attempt, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// [`Transport::send`], boxed: sign-in sends through the same loop from inside a Graph request's
    /// attempt, and a recursive `async fn` needs a box.
    pub fn send_boxed<'a>(
        &'a self,
        call: Call<'a>,
        headers: &'a [(&'a str, &'a str)],
    ) -> Pin<Box<dyn Future<Output = Result<Reply, Failure>> + Send + 'a>> {
        Box::pin(self.send_with_headers(call, headers))
    }

    /// One attempt: waits for the budget and a concurrency permit (Graph requests), takes the token
    /// (renewing the `refused` one), sends, reads the whole body. Also says when the request left and
    /// which token it carried.
    async fn attempt(
        &self,
        call: &Call<'_>,
        headers: &[(&str, &str)],
        client_request_id: &str,
        refused: Option<u64>,
    ) -> (tokio::time::Instant, u64, Result<Reply, Attempted>) {
        let mut _permit = None;
        if let Some(budget) = call.budget {
            budget.limiter.acquire(budget.weight).await;
            match self.permits.acquire().await {
                Ok(permit) => _permit = Some(permit),
                Err(_) => {
                    let mut closed = call.error(FailureKind::NotSent);
                    closed.message = Some("the client is shutting down".to_owned());
                    return (
                        tokio::time::Instant::now(),
                        0,
                        Err(Attempted::Failed(Outcome::Unsendable, closed.into())),
                    );
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
                    Err(failure) => return (tokio::time::Instant::now(), 0, Err(Attempted::SignIn(failure))),
                }
            }
        };
        let sent_at = tokio::time::Instant::now();
        (sent_at, generation, self.exchange(call, headers, client_request_id, token.as_ref(), sent_at).await)
    }

    async fn exchange(
        &self,
        call: &Call<'_>,
        headers: &[(&str, &str)],
        client_request_id: &str,
        token: Option<&Secret>,
        sent_at: tokio::time::Instant,
    ) -> Result<Reply, Attempted> {
        Stats::add(&self.stats.requests, 1);
        if let Some(phase) = call.phase {
            Stats::add(phase, 1);
        }
        let mut request = self
            .http
            .request(call.method.clone(), call.url)
            .timeout(call.policy.timeout)
            .header("client-request-id", client_request_id);
        if let Some(token) = token {
            request = request.bearer_auth(token.expose());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request = match call.body {
            Body::Empty => request,
            Body::Json(bytes) => request.header("Content-Type", "application/json").body(bytes.to_vec()),
            Body::Form(fields) => request.form(fields),
        };
        let no_answer = |error| transport_error(call, error);
        let response = request.send().await.map_err(no_answer)?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let request_id = header("request-id");
        let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v));
        let body = response.bytes().await.map_err(no_answer)?.to_vec();
        if (200..300).contains(&status) {
            return Ok(Reply { sent_at, status, request_id, body });
        }
        let mut failure = call.error(FailureKind::Status);
        failure.status = Some(status);
        failure.retry_after = retry_after;
        failure.request_id = request_id;
        failure.read_body(&body);
        if status == 403 && call.auth.is_some() {
            // The token's own claims say whether it lacks the permission, or an Intune role limits it.
            failure.hint = forbidden_hint(&url_path(call.url), token.map(Secret::expose), failure.message.as_deref());
        }
        Err(Attempted::Failed(Outcome::Status { status, retry_after }, failure.into()))
    }
}

enum Attempted {
    /// The attempt failed: what the retry decision needs, and the error so far.
    Failed(Outcome, Failure),
    /// No token: signing in failed (after its own retries).
    SignIn(Failure),
}

/// A transport error, without the URL (it may hold skip tokens), with its causes. A connection that
/// was never made cannot have delivered the request; any other failure may have.
fn transport_error(call: &Call<'_>, error: reqwest::Error) -> Attempted {
    let passing = error.is_timeout() || error.is_connect() || error.is_request() || error.is_body();
    let outcome = if passing { Outcome::NoAnswer { sent: !error.is_connect() } } else { Outcome::Unsendable };
    let mut failure = call.error(if error.is_timeout() { FailureKind::TimedOut } else { FailureKind::NoAnswer });
    let error = error.without_url();
    let mut message = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = inner.source();
    }
    failure.message = Some(message);
    Attempted::Failed(outcome, failure.into())
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
    /// Export-job requests go one at a time (see [`GraphClient::export_job`]).
    export_turn: tokio::sync::Mutex<()>,
}

impl GraphClient {
    pub fn new(graph: String, auth: Auth, transport: Transport) -> Self {
        let graph_origin = url::Url::parse(&graph).ok().map(|u| u.origin());
        let export_turn = tokio::sync::Mutex::new(());
        GraphClient { inner: Arc::new(Inner { transport, auth, graph, graph_origin, export_turn }), phase: None }
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
        self.inner.transport.limiter.pause_until(tokio::time::Instant::now() + wait);
    }

    /// `$batch` inner requests were throttled without `Retry-After` (the envelope left at `sent_at`):
    /// pace more slowly.
    pub fn slow_down(&self, sent_at: tokio::time::Instant) {
        self.inner.transport.limiter.slow_down(sent_at, self.stats().successes());
    }

    /// Whether a next link stays on the Graph host (the token is never sent elsewhere).
    pub fn is_graph_url(&self, url: &str) -> bool {
        match (url::Url::parse(url), &self.inner.graph_origin) {
            (Ok(url), Some(origin)) => &url.origin() == origin,
            _ => false,
        }
    }

    /// The permissions the current token names (for messages; `None` when it is not a readable JWT).
    pub async fn token_permissions(&self) -> Result<Option<super::claims::TokenPermissions>, Failure> {
        self.with_token(super::claims::permissions_of).await
    }

    /// Looks at the current token (signing in first when there is none or it is about to expire); the
    /// token itself never leaves.
    pub async fn with_token<T>(&self, look: impl FnOnce(&str) -> T) -> Result<T, Failure> {
        let bearer = self.inner.auth.bearer(&self.inner.transport).await?;
        Ok(look(bearer.token.expose()))
    }

    /// Gets a token now, so that a sign-in problem is reported before anything is read.
    pub async fn sign_in(&self) -> Result<(), Error> {
        self.inner.auth.bearer(&self.inner.transport).await.map(|_| ()).map_err(Error::Graph)
    }

    pub async fn get(&self, url: &str) -> Result<Reply, Failure> {
        self.send(&Method::GET, url, Body::Empty, 1, OnThrottle::Retry).await
    }

    /// POSTs a `$batch` envelope of `items` inner requests; a 429 envelope comes back to the caller.
    pub async fn post_batch(&self, body: &[u8], items: usize) -> Result<Reply, Failure> {
        let url = format!("{}/beta/$batch", self.inner.graph);
        self.send(&Method::POST, &url, Body::Json(body), items, OnThrottle::HandBack).await
    }

    /// POSTs a JSON body under its own retry policy and client-side budget: a write, such as a
    /// notification send, that must not be sent twice and has a write budget of its own.
    pub async fn post_json(
        &self,
        url: &str,
        body: &[u8],
        policy: &RetryPolicy,
        limiter: &RateLimiter,
    ) -> Result<Reply, Failure> {
        let budget = Budget { limiter, weight: 1 };
        self.send_as(&Method::POST, url, Body::Json(body), policy, budget, OnThrottle::Retry).await
    }

    /// A request of the report export jobs (create, poll), within their own budget. They go one at a
    /// time: the budget counts a request when it lets it through, Graph when it arrives, and a request
    /// let through but kept waiting (for a connection slot, for the token) could otherwise arrive
    /// together with later ones and make Graph count more in a minute than the budget let through.
    pub async fn export_job(&self, method: &Method, url: &str, body: Body<'_>) -> Result<Reply, Failure> {
        let _turn = self.inner.export_turn.lock().await;
        let transport = &self.inner.transport;
        let budget = Budget { limiter: &transport.export_limiter, weight: 1 };
        self.send_as(method, url, body, &transport.policy, budget, OnThrottle::Retry).await
    }

    /// The HTTP client itself, for a request that must carry no Graph token (an export's download).
    pub fn plain_http(&self) -> &reqwest::Client {
        &self.inner.transport.http
    }

    /// Counts a request sent outside [`Transport::send`] (an export's download), in the run and the phase.
    pub fn count_request(&self) {
        Stats::add(&self.inner.transport.stats.requests, 1);
        if let Some(phase) = &self.phase {
            Stats::add(phase, 1);
        }
    }

    async fn send(
        &self,
        method: &Method,
        url: &str,
        body: Body<'_>,
        weight: usize,
        on_throttle: OnThrottle,
    ) -> Result<Reply, Failure> {
        let transport = &self.inner.transport;
        let budget = Budget { limiter: &transport.limiter, weight };
        self.send_as(method, url, body, &transport.policy, budget, on_throttle).await
    }

    async fn send_as(
        &self,
        method: &Method,
        url: &str,
        body: Body<'_>,
        policy: &RetryPolicy,
        budget: Budget<'_>,
        on_throttle: OnThrottle,
    ) -> Result<Reply, Failure> {
        let Inner { transport, auth, .. } = &*self.inner;
        transport
            .send(Call {
                method,
                url,
                auth: Some(auth),
                body,
                policy,
                budget: Some(budget),
                on_throttle,
                phase: self.phase.as_deref(),
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::options::Credential;
    use crate::source::graph::retry::GiveUp;
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
            .respond_with(ResponseTemplate::new(503).insert_header("request-id", "rid-503").set_body_json(json!({
                "error": {"code": "ServiceUnavailable", "message": "The service is busy.",
                          "innerError": {"request-id": "rid-503"}}
            })))
            .mount(&server)
            .await;
        let url = format!("{}/beta/deviceManagement/managedDevices?$skiptoken=abc", server.uri());
        let failure = client.get(&url).await.unwrap_err().within("reading managedDevices (shard iOS, page 3)");
        assert_eq!(failure.context, "reading managedDevices (shard iOS, page 3)");
        assert_eq!((failure.method.as_str(), failure.path.as_str()), ("GET", "/beta/deviceManagement/managedDevices"));
        assert_eq!((failure.kind, failure.status), (FailureKind::Status, Some(503)));
        assert_eq!(failure.code.as_deref(), Some("ServiceUnavailable"));
        assert_eq!(failure.message.as_deref(), Some("The service is busy."));
        assert_eq!(failure.request_id.as_deref(), Some("rid-503"));
        assert_eq!(failure.attempts, 5);
        let message = failure.to_string();
        assert!(
            message.starts_with("reading managedDevices (shard iOS, page 3): HTTP 503 ServiceUnavailable: The service is busy. (request-id "),
            "{message}"
        );
        assert!(message.contains(") after 5 attempts over ") && !message.contains("skiptoken"), "{message}");
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        mount_once(&server, testkit::graph_error(400, "BadRequest", "no"), 10).await;
        let failure = client.get(&format!("{}/beta/x", server.uri())).await.unwrap_err();
        assert_eq!((failure.status, failure.code.as_deref(), failure.attempts), (Some(400), Some("BadRequest"), 1));
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
        assert_eq!((failure.kind, failure.status, failure.attempts), (FailureKind::NoAnswer, None, 5));
        assert_eq!(failure.path, "/beta/x");
        let message = failure.to_string();
        assert!(message.starts_with("no answer: ") && message.contains("after 5 attempts"), "{message}");
        assert!(!message.contains("skiptoken") && !message.contains("abc"), "{message}");
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
        assert_eq!((failure.status, failure.code.as_deref()), (Some(401), Some("InvalidAuthenticationToken")));
        assert_eq!(failure.hint.as_deref(), GiveUp::FreshTokenRefused.hint());
        let message = failure.to_string();
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
        let failure = client.get(&format!("{}/beta/x", server.uri())).await.unwrap_err();
        assert_eq!(failure.status, Some(401));
        assert_eq!(failure.hint.as_deref(), GiveUp::ReadyTokenRefused.hint());
        let message = failure.to_string();
        assert!(message.contains("GRAPH_ACCESS_TOKEN") && message.contains("cannot be renewed"), "{message}");
        assert!(!message.contains("ready-token-xyz"), "{message}");
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].headers.get("authorization").unwrap(), "Bearer ready-token-xyz");
    }

    #[test]
    fn encoding() {
        assert_eq!(encode("operatingSystem eq 'iOS'"), "operatingSystem%20eq%20%27iOS%27");
        assert_eq!(encode("a/b?c"), "a%2Fb%3Fc");
    }
}
