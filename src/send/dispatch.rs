//! Careful writes: the planned requests sent with bounded concurrency (a few workers take the next
//! request in plan order, each send under the write budget of [`Sender`]), every outcome kept, and a
//! stop that never cuts a request in half.
//!
//! New sends stop when Ctrl-C is pressed (the requests in flight finish, with their retries), and when
//! Graph answers 401 or 403: the token or the permission is wrong, so every other request would be
//! refused too. Requests never started are `skipped`. A request is never sent twice: a 429 or 503 is
//! retried by the sender after `Retry-After` (Intune did not act on it), anything else is final.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::ledger::{Kind, Settled};
use super::limits::Request;
use crate::source::graph::{GraphError, Notification, Recipients, SendAnswer, SendOutcome, Sender};
use crate::source::progress::ProgressObserver;

/// What became of one request, as `send-report.csv` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Sent,
    Failed,
    Unknown,
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
        }
    }
}

/// One request's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub http_status: Option<u16>,
    pub request_id: Option<String>,
    /// When the answer came (or the client gave up); `None` for a request never sent.
    pub time: Option<DateTime<Utc>>,
    /// Graph's error, with Intune's detail and Activity ID, for a failed or unknown request.
    pub error: Option<Box<GraphError>>,
}

impl Outcome {
    pub fn skipped() -> Outcome {
        Outcome { status: Status::Skipped, http_status: None, request_id: None, time: None, error: None }
    }

    fn of(answer: SendAnswer, time: DateTime<Utc>) -> Outcome {
        let status = match answer.outcome {
            SendOutcome::Sent => Status::Sent,
            SendOutcome::Failed => Status::Failed,
            SendOutcome::Unknown => Status::Unknown,
        };
        Outcome {
            status,
            http_status: answer.http_status,
            request_id: answer.request_id,
            time: Some(time),
            error: answer.error,
        }
    }

    /// What the ledger keeps of it.
    pub fn settled(&self) -> Settled {
        match (self.status, self.time) {
            (Status::Sent, Some(time)) => Settled::Sent(time),
            (Status::Unknown, Some(time)) => Settled::Unknown(time),
            (Status::Unknown, None) => Settled::Unknown(Utc::now()),
            _ => Settled::NotSent,
        }
    }
}

/// The outcomes of a run, in the order of the requests.
#[derive(Debug, Clone)]
pub struct Dispatched {
    pub outcomes: Vec<Outcome>,
    /// Ctrl-C stopped new sends (some requests were skipped for it).
    pub interrupted: bool,
    /// A 401 or 403 stopped new sends: that answer's error.
    pub refused: Option<Box<GraphError>>,
}

/// Whether new sends must stop (Ctrl-C, for the command line; tests stop where they like).
pub type StopSignal = Arc<dyn Fn() -> bool + Send + Sync>;

struct Shared {
    sender: Arc<Sender>,
    notification: Notification,
    requests: Vec<Request>,
    next: AtomicUsize,
    refused: AtomicBool,
    outcomes: Mutex<Vec<Option<Outcome>>>,
    first_refusal: Mutex<Option<Box<GraphError>>>,
    stop: StopSignal,
    progress: Arc<dyn ProgressObserver>,
}

/// The progress phase of the sends.
const PHASE: &str = "sends";

/// Sends `requests` with at most `concurrency` in flight, until done or stopped.
pub async fn run(
    sender: Arc<Sender>,
    notification: &Notification,
    requests: &[Request],
    concurrency: usize,
    stop: StopSignal,
    progress: Arc<dyn ProgressObserver>,
) -> Dispatched {
    let shared = Arc::new(Shared {
        sender,
        notification: notification.clone(),
        requests: requests.to_vec(),
        next: AtomicUsize::new(0),
        refused: AtomicBool::new(false),
        outcomes: Mutex::new(vec![None; requests.len()]),
        first_refusal: Mutex::new(None),
        stop,
        progress,
    });
    shared.progress.phase_started(PHASE, Some(requests.len() as u64));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.clamp(1, requests.len().max(1)) {
        workers.spawn(work(shared.clone()));
    }
    while workers.join_next().await.is_some() {}
    shared.progress.phase_finished(PHASE);

    let taken = shared.next.load(Ordering::SeqCst).min(requests.len());
    let outcomes: Vec<Outcome> = lock(&shared.outcomes)
        .iter()
        .enumerate()
        .map(|(i, outcome)| match outcome {
            Some(outcome) => outcome.clone(),
            // Taken by a worker that ended without an answer (it panicked): it may have been sent.
            None if i < taken => Outcome { status: Status::Unknown, ..Outcome::skipped() },
            None => Outcome::skipped(),
        })
        .collect();
    let skipped = outcomes.iter().any(|o| o.status == Status::Skipped);
    let refused = lock(&shared.first_refusal).take();
    Dispatched { interrupted: skipped && refused.is_none() && (shared.stop)(), refused, outcomes }
}

async fn work(shared: Arc<Shared>) {
    loop {
        if shared.refused.load(Ordering::SeqCst) || (shared.stop)() {
            return;
        }
        let index = shared.next.fetch_add(1, Ordering::SeqCst);
        let Some(request) = shared.requests.get(index) else { return };
        let to = match request.kind {
            Kind::Group => Recipients::Groups(&request.targets),
            Kind::Device => Recipients::Device(request.targets.first().map(String::as_str).unwrap_or("")),
        };
        let answer = shared.sender.send(&shared.notification, to).await;
        if matches!(answer.http_status, Some(401 | 403)) && !shared.refused.swap(true, Ordering::SeqCst) {
            *lock(&shared.first_refusal) = answer.error.clone();
        }
        lock(&shared.outcomes)[index] = Some(Outcome::of(answer, Utc::now()));
        shared.progress.advanced(PHASE, 1);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
