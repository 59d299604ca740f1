//! The simulated Microsoft Graph: an HTTP/1 server on 127.0.0.1 that serves one [`SimTenant`] through
//! exactly the endpoints of the wire contract (sign-in, managed devices and one device, the device
//! overview, detected apps and their devices, the apps of one device, `$batch`, group transitive
//! members, the Apple MDM push certificate and managed Google Play in the states the options give
//! them, and the two custom notification sends, recorded for `GET /sim/sends`), with the faults a
//! real tenant shows (latency, throttling with or without `Retry-After`, transient 503s, token expiry,
//! expiring skip tokens, a repeating next link, devices missing from the listings; sends have a
//! throttle, 503s and an answer that never comes of their own, [`SendFaults`]). The demo, the tests
//! and the benchmarks read it through the real Graph client.
//!
//! Layout: this file holds the public API, the routing and the request pipeline; [`wire`] the bytes
//! (queries, JSON, error bodies); [`auth`] sign-in (every flow the client speaks) and tokens; [`graph`] the endpoints (one file per
//! endpoint family) and `$batch`; [`faults`] the stateful faults.
//!
//! The pipeline of a Graph request: count it, wait `latency_ms`, check the bearer token (401) and
//! that it carries the permission the request needs (403), take a throttle slot of the token's client app (429), draw the error dice (503), answer. Token requests are
//! delayed too but neither throttled nor failed by the dice. Every response carries `request-id` and
//! `client-request-id`. Dropping the [`RunningServer`] stops the server, like [`RunningServer::shutdown`].

mod auth;
mod faults;
mod graph;
#[cfg(test)]
mod tests;
mod wire;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::tenant::SimTenant;
use crate::error::Error;
pub use graph::export_jobs::ExportJobOptions;
use graph::sends::SendTarget;
pub use graph::sends::SimSend;
pub use graph::tenant_settings::{tenant_section, ApplePush, ManagedGooglePlay};
use graph::tenant_settings::{Setting, TenantSettings};
use wire::{bad_request, graph_error, segments, Ctx, Out, Query};

pub use auth::SignInOptions;

/// How long a stopping server waits for requests in flight before it closes anyway.
const GRACE: Duration = Duration::from_secs(5);
/// The largest request body read (token forms and `$batch` envelopes are far smaller).
const BODY_LIMIT: usize = 1 << 20;

/// The server's settings: the app credentials it accepts and the faults it injects.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The only client id the sign-in endpoint accepts.
    pub client_id: String,
    /// The client secret it accepts (a simulator secret, not a real one).
    pub client_secret: String,
    /// Every response is delayed this long.
    pub latency_ms: u64,
    /// At most this many Graph requests per window per client app (sliding window); over -> 429.
    pub throttle: Option<Throttle>,
    /// 429 and 503 answers carry no `Retry-After`.
    pub no_retry_after: bool,
    /// Each Graph request fails with 503 with this probability (0..=1), drawn from `fault_seed`.
    pub error_rate: f64,
    /// Access tokens expire this many seconds after issue.
    pub token_lifetime_secs: u64,
    /// In each device/app listing, the N-th next link followed is answered once with the 400
    /// expired-skiptoken error.
    pub expire_skiptokens_after: Option<u32>,
    /// In the first `managedDevices` listing with at least 2 pages, page 2 repeats page 1's next link.
    pub repeat_next_link: bool,
    /// Listings, app device lists and per-device reads omit the last K devices by id; the overview
    /// still counts them.
    pub hide_devices: usize,
    /// The server stops by itself after this many seconds.
    pub max_seconds: Option<u64>,
    /// Seed of the error dice.
    pub fault_seed: u64,
    /// The Apple MDM push certificate (default: valid).
    pub apple_push: ApplePush,
    /// The managed Google Play binding (default: bound and validated).
    pub managed_google_play: ManagedGooglePlay,
    /// The clock the tenant objects' dates are relative to (default: when the server starts).
    pub tenant_clock: Option<DateTime<Utc>>,
    /// How the sign-in flows answer (delegated, federated, managed identity) and what tokens carry.
    pub sign_in: SignInOptions,
    /// How report export jobs run and fail, and their throttle.
    pub export_jobs: ExportJobOptions,
    /// The faults of the notification sends.
    pub sends: SendFaults,
}

/// Faults of the notification sends, apart from the reads' (Intune throttles writes on their own).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SendFaults {
    /// At most this many sends per window per client app; over -> 429 (with `Retry-After` unless
    /// `no_retry_after`). Intune's budget is 200 per 20 s.
    pub throttle: Option<Throttle>,
    /// Each send fails with 503 with this probability (0..=1), drawn from `fault_seed`.
    pub error_rate: f64,
    /// The N-th accepted send (1-based) is recorded, but its answer never comes: the request is held
    /// until the server stops.
    pub hang_nth: Option<u64>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            client_id: "intune-reach-sim".to_owned(),
            client_secret: "sim-secret".to_owned(),
            latency_ms: 0,
            throttle: None,
            no_retry_after: false,
            error_rate: 0.0,
            token_lifetime_secs: 3600,
            expire_skiptokens_after: None,
            repeat_next_link: false,
            hide_devices: 0,
            max_seconds: None,
            fault_seed: 0,
            apple_push: ApplePush::default(),
            managed_google_play: ManagedGooglePlay::default(),
            tenant_clock: None,
            sign_in: SignInOptions::default(),
            sends: SendFaults::default(),
            export_jobs: ExportJobOptions::default(),
        }
    }
}

impl ServerOptions {
    /// The application permissions (`roles`) the access tokens carry: what an audit app is granted,
    /// less the permission of a tenant object answered with 403.
    pub fn app_roles(&self) -> Vec<String> {
        self.granted(&self.sign_in.app_roles)
    }

    fn granted(&self, permissions: &[String]) -> Vec<String> {
        let refused = |permission: &str| {
            (self.apple_push == ApplePush::Forbidden && permission == crate::source::wire::APPLE_PUSH_PERMISSION)
                || (self.managed_google_play == ManagedGooglePlay::Forbidden
                    && permission == crate::source::wire::MANAGED_GOOGLE_PLAY_PERMISSION)
        };
        permissions.iter().filter(|permission| !refused(permission)).cloned().collect()
    }
}

/// A throttle: at most `requests` requests per `per_seconds` seconds. Parses from `R/S` ("2000/20",
/// "5/0.5").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Throttle {
    pub requests: u32,
    pub per_seconds: f64,
}

impl std::str::FromStr for Throttle {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || {
            Error::Usage(format!(
                "invalid throttle '{text}': expected REQUESTS/SECONDS, such as 2000/20 or 5/0.5 \
                 (a positive whole number of requests per a positive number of seconds)"
            ))
        };
        let (requests, seconds) = text.trim().split_once('/').ok_or_else(bad)?;
        let requests: u32 = requests.trim().parse().map_err(|_| bad())?;
        let per_seconds: f64 = seconds.trim().parse().map_err(|_| bad())?;
        let throttle = Throttle { requests, per_seconds };
        throttle.check().map_err(|_| bad())?;
        Ok(throttle)
    }
}

impl std::fmt::Display for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.requests, self.per_seconds)
    }
}

impl Throttle {
    fn check(&self) -> Result<(), Error> {
        let window_ok = self.per_seconds.is_finite()
            && self.per_seconds > 0.0
            && self.per_seconds <= 86_400.0 * 365.0
            && Duration::try_from_secs_f64(self.per_seconds).is_ok_and(|d| !d.is_zero());
        if self.requests == 0 || !window_ok {
            return Err(Error::Usage(format!(
                "invalid throttle {self}: the number of requests and the window must be positive"
            )));
        }
        Ok(())
    }
}

/// What the server has served, for the benchmark.
///
/// `requests` counts HTTP requests (token requests, Graph requests, `$batch` envelopes, unknown paths).
/// The per-endpoint counters count every Graph request routed to that endpoint whatever its outcome
/// (401s excepted), the inner requests of a `$batch` included; `batch_items` counts those inner
/// requests. `throttled` and `unavailable` count 429 and 503 answers, inner ones included. The export
/// counters count job creations, status reads, downloads, 429s of the export throttle (also in
/// `throttled`), and downloads refused because they carried an `Authorization` header.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ServerStats {
    pub requests: u64,
    pub token_requests: u64,
    pub tokens_issued: u64,
    pub device_pages: u64,
    pub device_reads: u64,
    pub overview: u64,
    pub tenant_settings: u64,
    pub app_pages: u64,
    pub app_device_pages: u64,
    pub device_app_reads: u64,
    pub batches: u64,
    pub batch_items: u64,
    pub group_pages: u64,
    pub throttled: u64,
    pub unavailable: u64,
    pub unauthorized: u64,
    pub skiptokens_expired: u64,
    pub repeated_next_links: u64,
    /// Notification send requests (both kinds), whatever their answer.
    pub send_requests: u64,
    /// Notification sends accepted (and recorded for `GET /sim/sends`).
    pub sends: u64,
    pub export_jobs_created: u64,
    pub export_job_polls: u64,
    pub export_downloads: u64,
    pub export_throttled: u64,
    pub export_downloads_refused: u64,
}

#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    token_requests: AtomicU64,
    tokens_issued: AtomicU64,
    device_pages: AtomicU64,
    device_reads: AtomicU64,
    overview: AtomicU64,
    tenant_settings: AtomicU64,
    app_pages: AtomicU64,
    app_device_pages: AtomicU64,
    device_app_reads: AtomicU64,
    batches: AtomicU64,
    batch_items: AtomicU64,
    group_pages: AtomicU64,
    throttled: AtomicU64,
    unavailable: AtomicU64,
    unauthorized: AtomicU64,
    skiptokens_expired: AtomicU64,
    repeated_next_links: AtomicU64,
    send_requests: AtomicU64,
    sends: AtomicU64,
    export_jobs_created: AtomicU64,
    export_job_polls: AtomicU64,
    export_downloads: AtomicU64,
    export_throttled: AtomicU64,
    export_downloads_refused: AtomicU64,
}

impl Stats {
    fn snapshot(&self) -> ServerStats {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ServerStats {
            requests: get(&self.requests),
            token_requests: get(&self.token_requests),
            tokens_issued: get(&self.tokens_issued),
            device_pages: get(&self.device_pages),
            device_reads: get(&self.device_reads),
            overview: get(&self.overview),
            tenant_settings: get(&self.tenant_settings),
            app_pages: get(&self.app_pages),
            app_device_pages: get(&self.app_device_pages),
            device_app_reads: get(&self.device_app_reads),
            batches: get(&self.batches),
            batch_items: get(&self.batch_items),
            group_pages: get(&self.group_pages),
            throttled: get(&self.throttled),
            unavailable: get(&self.unavailable),
            unauthorized: get(&self.unauthorized),
            skiptokens_expired: get(&self.skiptokens_expired),
            repeated_next_links: get(&self.repeated_next_links),
            send_requests: get(&self.send_requests),
            sends: get(&self.sends),
            export_jobs_created: get(&self.export_jobs_created),
            export_job_polls: get(&self.export_job_polls),
            export_downloads: get(&self.export_downloads),
            export_throttled: get(&self.export_throttled),
            export_downloads_refused: get(&self.export_downloads_refused),
        }
    }
}

/// The state every request shares.
struct Shared {
    options: ServerOptions,
    index: graph::Index,
    tokens: auth::Tokens,
    throttle: faults::Throttler,
    dice: faults::Dice,
    listings: faults::Listings,
    tenant_settings: TenantSettings,
    export_jobs: graph::export_jobs::ExportJobs,
    stats: Stats,
    send_throttle: faults::Throttler,
    send_dice: faults::Dice,
    /// Every send accepted, in order.
    sends: std::sync::Mutex<Vec<SimSend>>,
    /// Turns `true` when the server stops (what a held send waits for).
    stop: watch::Receiver<bool>,
}

/// A server running in a tokio task.
pub struct RunningServer {
    /// `http://127.0.0.1:PORT`: both the login and the Graph base URL.
    pub url: String,
    /// The tenant id the sign-in endpoint accepts.
    pub tenant_id: String,
    /// The bound address.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer").field("url", &self.url).field("tenant_id", &self.tenant_id).finish()
    }
}

impl RunningServer {
    /// What the server has served so far.
    pub fn stats(&self) -> ServerStats {
        self.shared.stats.snapshot()
    }

    /// Every notification send accepted so far, in order (what `GET /sim/sends` lists).
    pub fn sends(&self) -> Vec<SimSend> {
        faults::lock(&self.shared.sends).clone()
    }

    /// Every secret the server has issued or received so far (access and refresh tokens, codes, device
    /// codes, PKCE verifiers, client secrets and assertions, federated tokens, identity headers): tests
    /// search every output for them.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = self.shared.tokens.secrets();
        secrets.extend(self.shared.export_jobs.signatures());
        secrets
    }

    /// Stops accepting connections, lets requests in flight finish (at most a few seconds) and returns
    /// when the server has stopped.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    /// Returns when the server stops by itself (`max_seconds`); without `max_seconds`, never. Dropping
    /// this future drops the server, which stops it.
    pub async fn wait(self) {
        let RunningServer { stop, task, .. } = self;
        let _ = task.await;
        drop(stop);
    }
}

/// Binds 127.0.0.1:`port` (0 = an ephemeral port) and serves `tenant` in a tokio task.
pub async fn start(tenant: Arc<SimTenant>, options: ServerOptions, port: u16) -> Result<RunningServer, Error> {
    if !(0.0..=1.0).contains(&options.error_rate) {
        return Err(Error::Usage(format!("invalid error rate {}: expected 0..1", options.error_rate)));
    }
    for throttle in options.throttle.iter().chain(&options.export_jobs.throttle) {
        throttle.check()?;
    }
    options.sends.check()?;
    if !(0.0..=86_400.0).contains(&options.export_jobs.job_seconds) {
        return Err(Error::Usage(format!(
            "invalid export job time {} s: expected 0 to 86400",
            options.export_jobs.job_seconds
        )));
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| Error::Usage(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let addr = listener.local_addr().map_err(|e| Error::Usage(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let url = format!("http://{addr}");
    let tenant_id = tenant.tenant_id.clone();
    let index = graph::Index::build(tenant, url.clone(), options.hide_devices)
        .map_err(|e| Error::Usage(format!("the simulated tenant cannot be served: {e}")))?;
    let (stop, stop_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        index,
        tokens: auth::Tokens::default(),
        throttle: faults::Throttler::new(options.throttle),
        dice: faults::Dice::new(options.error_rate, options.fault_seed),
        listings: faults::Listings::new(options.expire_skiptokens_after, options.repeat_next_link),
        tenant_settings: TenantSettings::build(
            options.apple_push,
            options.managed_google_play,
            options.tenant_clock.unwrap_or_else(Utc::now),
            &tenant_id,
        ),
        export_jobs: graph::export_jobs::ExportJobs::new(options.export_jobs.clone()),
        stats: Stats::default(),
        send_throttle: faults::Throttler::new(options.sends.throttle),
        send_dice: faults::Dice::new(options.sends.error_rate, options.fault_seed.wrapping_add(1)),
        sends: std::sync::Mutex::new(Vec::new()),
        stop: stop_rx.clone(),
        options,
    });

    let max = shared.options.max_seconds.map(Duration::from_secs);
    let app = Router::new().fallback(handle).with_state(shared.clone());
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(stopped(stop_rx.clone(), max));
        let forced = async {
            stopped(stop_rx, max).await;
            tokio::time::sleep(GRACE).await;
        };
        tokio::select! {
            result = serve.into_future() => {
                if let Err(error) = result {
                    tracing::warn!("simulated Graph stopped: {error}");
                }
            }
            () = forced => tracing::debug!("simulated Graph closed with requests in flight"),
        }
    });
    tracing::debug!("simulated Graph listening on {url}");
    Ok(RunningServer { url, tenant_id, addr, shared, stop, task })
}

/// Resolves when the server must stop: asked to (or its handle dropped), or `max` elapsed.
async fn stopped(mut stop: watch::Receiver<bool>, max: Option<Duration>) {
    let deadline = async {
        match max {
            Some(max) => tokio::time::sleep(max).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = stop.wait_for(|stop| *stop) => {}
        () = deadline => {}
    }
}

/// An endpoint of the wire spec, by path.
enum Route {
    /// A sign-in endpoint: the token endpoint, and the authorize, device-code, OIDC and
    /// managed-identity endpoints.
    Token(auth::Endpoint),
    /// `/{version}/$batch`.
    Batch(String),
    Graph(Op),
    /// A notification send (POST).
    Send(SendTarget),
    /// `GET /sim/sends`: the simulator's own record, without a token.
    SimSends,
    /// `/beta/deviceManagement/reports/exportJobs` (create), or one job by id (status).
    ExportJobs(Option<String>),
    /// `/sim/exports/{file}`: an export job's download, the storage link.
    ExportDownload(String),
    NotFound,
}

/// A Graph GET endpoint.
enum Op {
    Devices,
    Device(String),
    TenantSetting(Setting),
    Overview,
    Apps,
    AppDevices(String),
    DeviceApps(String),
    Members(String),
}

/// Routes decoded path segments (segment names match in any case, as Graph does).
fn route(segments: &[String]) -> Route {
    let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    if let Some(endpoint) = auth::route(segments) {
        return Route::Token(endpoint);
    }
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let send = "sendCustomNotificationToCompanyPortal";
    match s.as_slice() {
        [sim, sends] if is(sim, "sim") && is(sends, "sends") => Route::SimSends,
        [version, batch] if is(batch, "$batch") && (is(version, "beta") || is(version, "v1.0")) => {
            Route::Batch(version.to_ascii_lowercase())
        }
        [version, management, apple]
            if (is(version, "beta") || is(version, "v1.0"))
                && is(management, "deviceManagement")
                && is(apple, "applePushNotificationCertificate") =>
        {
            Route::Graph(Op::TenantSetting(Setting::ApplePush))
        }
        [version, management, rest @ ..] if is(version, "beta") && is(management, "deviceManagement") => match rest {
            [action] if is(action, send) => Route::Send(SendTarget::Groups),
            [devices, id, action] if is(devices, "managedDevices") && is(action, send) => {
                Route::Send(SendTarget::Device((*id).to_owned()))
            }
            [devices] if is(devices, "managedDevices") => Route::Graph(Op::Devices),
            [devices, id] if is(devices, "managedDevices") => Route::Graph(Op::Device((*id).to_owned())),
            [play] if is(play, "androidManagedStoreAccountEnterpriseSettings") => {
                Route::Graph(Op::TenantSetting(Setting::ManagedGooglePlay))
            }
            [overview] if is(overview, "managedDeviceOverview") => Route::Graph(Op::Overview),
            [reports, jobs] if is(reports, "reports") && is(jobs, "exportJobs") => Route::ExportJobs(None),
            [reports, jobs, id] if is(reports, "reports") && is(jobs, "exportJobs") => {
                Route::ExportJobs(Some((*id).to_owned()))
            }
            [reports, job] if is(reports, "reports") => match export_job_key(job) {
                Some(id) => Route::ExportJobs(Some(id)),
                None => Route::NotFound,
            },
            [apps] if is(apps, "detectedApps") => Route::Graph(Op::Apps),
            [apps, id, devices] if is(apps, "detectedApps") && is(devices, "managedDevices") => {
                Route::Graph(Op::AppDevices((*id).to_owned()))
            }
            [devices, id, apps] if is(devices, "managedDevices") && is(apps, "detectedApps") => {
                Route::Graph(Op::DeviceApps((*id).to_owned()))
            }
            _ => Route::NotFound,
        },
        [version, groups, id, members]
            if is(version, "v1.0") && is(groups, "groups") && is(members, "transitiveMembers") =>
        {
            Route::Graph(Op::Members((*id).to_owned()))
        }
        ["sim", "exports", file] => Route::ExportDownload((*file).to_owned()),
        _ => Route::NotFound,
    }
}

/// The id of `exportJobs('{id}')` (any case), quotes removed.
fn export_job_key(segment: &str) -> Option<String> {
    let open = "exportjobs(";
    let head = segment.get(..open.len())?;
    if !head.eq_ignore_ascii_case(open) {
        return None;
    }
    let inner = segment[open.len()..].strip_suffix(')')?;
    Some(inner.trim_matches('\'').to_owned())
}

/// The one handler: every request goes through here.
async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    shared.stats.requests.fetch_add(1, Ordering::Relaxed);
    let ctx = Ctx::new(request.headers().get("client-request-id").and_then(|v| v.to_str().ok()));
    if shared.options.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(shared.options.latency_ms)).await;
    }
    let out = dispatch(&shared, &ctx, request).await;
    out.into_response(&ctx)
}

fn method_not_allowed(ctx: &Ctx, allow: &'static str) -> Out {
    graph_error(
        ctx,
        StatusCode::METHOD_NOT_ALLOWED,
        "BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    )
    .with_header("Allow", allow.to_owned())
}

fn unauthorized(shared: &Shared, ctx: &Ctx) -> Out {
    shared.stats.unauthorized.fetch_add(1, Ordering::Relaxed);
    graph_error(
        ctx,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Access token has expired or is not yet valid.",
    )
}

async fn dispatch(shared: &Shared, ctx: &Ctx, request: Request) -> Out {
    let route = route(&segments(request.uri().path()));
    let is_post = request.method() == Method::POST;
    let is_get = request.method() == Method::GET;
    match route {
        Route::NotFound => graph_error(
            ctx,
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            &format!("Resource not found for the segment '{}'.", request.uri().path()),
        ),
        Route::Batch(_) | Route::Send(_) if !is_post => method_not_allowed(ctx, "POST"),
        Route::Graph(_) | Route::SimSends | Route::ExportDownload(_) if !is_get => method_not_allowed(ctx, "GET"),
        Route::SimSends => shared.sim_sends(),
        Route::ExportJobs(None) if !is_post => method_not_allowed(ctx, "POST"),
        Route::ExportJobs(Some(_)) if !is_get => method_not_allowed(ctx, "GET"),
        Route::ExportDownload(file) => {
            let authorized = request.headers().contains_key(axum::http::header::AUTHORIZATION);
            shared.export_download(&file, request.uri().query(), authorized)
        }
        Route::ExportJobs(job) => {
            let Some(client) = shared.tokens.client_of(request.headers()) else {
                return unauthorized(shared, ctx);
            };
            let path = request.uri().path();
            if let Some(refused) = shared.tokens.forbidden(&shared.options.sign_in, ctx, path, request.headers()) {
                return refused;
            }
            if let Err(wait) = shared.export_jobs.throttle.acquire(&client) {
                shared.stats.export_throttled.fetch_add(1, Ordering::Relaxed);
                return shared.throttled(ctx, wait);
            }
            match job {
                Some(id) => shared.export_status(ctx, &id),
                None => match axum::body::to_bytes(request.into_body(), BODY_LIMIT).await {
                    Ok(body) => shared.export_create(ctx, &body),
                    Err(_) => bad_request(ctx, "The request body could not be read."),
                },
            }
        }
        Route::Token(endpoint) => {
            let (parts, body) = request.into_parts();
            let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
                return wire::entra_error(
                    ctx,
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    900144,
                    "The request body could not be read.",
                );
            };
            let request = auth::SignInRequest {
                method: &parts.method,
                query: parts.uri.query(),
                headers: &parts.headers,
                body: &body,
            };
            auth::serve(shared, ctx, endpoint, &request)
        }
        Route::Graph(op) => {
            let Some(client) = shared.tokens.client_of(request.headers()) else {
                return unauthorized(shared, ctx);
            };
            let path = request.uri().path();
            if let Some(refused) = shared.tokens.forbidden(&shared.options.sign_in, ctx, path, request.headers()) {
                return refused;
            }
            shared.graph(ctx, &client, &op, &Query::parse(request.uri().query()))
        }
        Route::Send(target) => {
            let Some(client) = shared.tokens.client_of(request.headers()) else {
                return unauthorized(shared, ctx);
            };
            let path = request.uri().path().to_owned();
            if let Some(refused) = shared.tokens.forbidden(&shared.options.sign_in, ctx, &path, request.headers()) {
                shared.stats.send_requests.fetch_add(1, Ordering::Relaxed);
                return refused;
            }
            match axum::body::to_bytes(request.into_body(), BODY_LIMIT).await {
                Ok(body) => shared.send(ctx, &client, &target, &path, &body).await,
                Err(_) => bad_request(ctx, "The request body could not be read."),
            }
        }
        Route::Batch(version) => {
            let Some(client) = shared.tokens.client_of(request.headers()) else {
                return unauthorized(shared, ctx);
            };
            let path = request.uri().path();
            if let Some(refused) = shared.tokens.forbidden(&shared.options.sign_in, ctx, path, request.headers()) {
                return refused;
            }
            shared.stats.batches.fetch_add(1, Ordering::Relaxed);
            if let Err(wait) = shared.throttle.full(&client) {
                return shared.throttled(ctx, wait);
            }
            match axum::body::to_bytes(request.into_body(), BODY_LIMIT).await {
                Ok(body) => shared.batch(ctx, &client, &version, &body),
                Err(_) => bad_request(ctx, "The request body could not be read."),
            }
        }
    }
}
