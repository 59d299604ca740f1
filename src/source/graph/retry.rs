//! The retry policy of the Graph client and the one decision it makes after every attempt: send
//! again (after how long), renew the token, give up, or hand the answer back ([`decide`]). The
//! decision is a pure function of the attempt, its outcome and the policy, with no clock and no
//! network, so it is tested row by row; the transport ([`super::http::Transport::send`]) acts on it.
//!
//! The read policy ([`RetryPolicy::default`]): 429, 503 and 504 are retried, and so is a request that
//! got no answer (refused, reset, timed out), reads being safe to send twice. Graph's `Retry-After`
//! is honoured when present (seconds, possibly fractional like `2.128`, or an HTTP-date); otherwise
//! the wait is an exponential backoff with full jitter (base 0.5 s, cap 30 s). Failed attempts (8)
//! and the total time spent on one request (5 min) are capped: never retry forever. A 401 renews the
//! token and retries at once, once.
//!
//! A request that must not act twice (a notification send: Graph keeps no idempotency key) uses the
//! same transport with a stricter policy: `retry_statuses: &[429, 503]` (both mean the request was
//! not acted on) and `resend_unanswered: false` (a timeout or a dropped connection after the request
//! may have left is an unknown outcome, never sent again).
//!
//! One nuance: a 429 counts against the attempt cap only if nothing the client sent went through
//! since that request last failed ([`counts_against_cap`]). While other requests succeed, a throttled
//! request is waiting its turn in a budget shared by every task (Graph's budget is per app), not
//! failing; with 8 tasks and a budget that frees one slot at a time, it may lose that race many times
//! in a row. The time budget still bounds it, and a service that throttles everything still fails
//! after 8 attempts.

use std::time::Duration;

/// When to retry and how long to wait.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Time from the first attempt after which no retry is started.
    pub max_total: Duration,
    /// Backoff base: the n-th retry waits up to `base * 2^(n-1)`.
    pub base: Duration,
    /// Backoff cap.
    pub cap: Duration,
    /// Timeout of one HTTP exchange (connect, send, and the whole response body).
    pub timeout: Duration,
    /// The HTTP statuses that are sent again (after `Retry-After`, else the backoff).
    pub retry_statuses: &'static [u16],
    /// Whether a request that got no answer is sent again even though it may have reached the server
    /// (a timeout, a connection dropped after sending). A request that never left (the connection was
    /// refused) is always sent again.
    pub resend_unanswered: bool,
}

impl Default for RetryPolicy {
    /// The policy of reads.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            max_total: Duration::from_secs(300),
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            timeout: Duration::from_secs(100),
            retry_statuses: &[429, 503, 504],
            resend_unanswered: true,
        }
    }
}

/// Up to this much is added to a `Retry-After`, so that tasks throttled together do not all come back
/// at once.
const RETRY_AFTER_SPREAD: Duration = Duration::from_millis(50);

impl RetryPolicy {
    /// The wait after the `attempt`-th failed attempt (1-based): the `Retry-After` plus up to 50 ms, else
    /// an exponential backoff with full jitter, `jitter * min(cap, base * 2^(attempt-1))`. `jitter` is
    /// a uniform sample of `[0, 1]` (the caller draws it, so that this stays deterministic).
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
        match retry_after {
            Some(wait) => wait + RETRY_AFTER_SPREAD.mul_f64(jitter),
            None => {
                let exponent = attempt.saturating_sub(1).min(30);
                let ceiling = self.base.as_secs_f64() * f64::from(1u32 << exponent);
                Duration::from_secs_f64(ceiling.min(self.cap.as_secs_f64()).max(0.0) * jitter)
            }
        }
    }

    /// Whether another attempt is allowed after `strikes` failed ones (those that count against the
    /// cap), `elapsed` since the first attempt, and a wait of `wait`.
    pub fn allows(&self, strikes: u32, elapsed: Duration, wait: Duration) -> bool {
        strikes < self.max_attempts && elapsed + wait <= self.max_total
    }
}

/// How one attempt failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Outcome {
    /// An error status, with the server's `Retry-After`.
    Status { status: u16, retry_after: Option<Duration> },
    /// No answer, for a reason that can pass (refused, reset, timed out). `sent`: the request may have
    /// reached the server (false only when the connection was never made).
    NoAnswer { sent: bool },
    /// Not sent, and sending again cannot help (the client is stopping, the request cannot be built).
    Unsendable,
}

/// The token a Graph request carried, as far as a 401 is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenState {
    /// No token: a sign-in request.
    None,
    /// A ready-made token (`GRAPH_ACCESS_TOKEN`): it cannot be renewed.
    Ready,
    /// A token from signing in, not renewed for this request yet.
    Renewable,
    /// A token renewed for this request after a 401.
    Renewed,
}

/// What to do with a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnThrottle {
    /// Wait and retry, like any retryable failure.
    Retry,
    /// Hand it back to the caller (a `$batch` caller splits the envelope instead).
    HandBack,
}

/// Where a request stands after an attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Attempt {
    /// The attempt that just ended, 1-based.
    pub number: u32,
    /// Earlier failed attempts that counted against the cap.
    pub strikes: u32,
    /// Whether other requests of the client went through since this one last failed (or started).
    pub others_progressed: bool,
    /// Time since the first attempt.
    pub elapsed: Duration,
    pub token: TokenState,
    pub on_throttle: OnThrottle,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    /// Hand the answer back to the caller: a 429 that the caller handles itself.
    HandBack,
    /// Renew the token and send again at once.
    RenewToken,
    /// Send again after `wait`; `strike`: this failure counted against the attempt cap.
    Retry { wait: Duration, strike: bool },
    /// The failure is final.
    GiveUp(GiveUp),
}

/// Why a request is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GiveUp {
    /// Sending again would not help (400, 403, 404, a request that cannot be sent).
    Final,
    /// The attempt cap is reached.
    Attempts,
    /// The next wait would end past the time budget.
    TimeBudget,
    /// No answer after the request may have reached the server, and the policy never sends twice.
    OutcomeUnknown,
    /// Graph refused the ready-made token, which cannot be renewed.
    ReadyTokenRefused,
    /// Graph refused a token issued for this very request.
    FreshTokenRefused,
}

impl GiveUp {
    /// What the user can do about it, when the reason says more than the failure itself.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            GiveUp::ReadyTokenRefused => Some(
                "Graph refused the token from GRAPH_ACCESS_TOKEN (expired, or not for this tenant or cloud); a ready \
                 token cannot be renewed: set a fresh one, or sign in with a client secret or certificate",
            ),
            GiveUp::FreshTokenRefused => Some(
                "Graph refused a freshly issued token too: check that the app registration belongs to this tenant \
                 and cloud",
            ),
            GiveUp::OutcomeUnknown => Some(
                "the request may have reached Graph, so it was not sent again (it could act twice): check its effect \
                 before sending it again",
            ),
            GiveUp::Final | GiveUp::Attempts | GiveUp::TimeBudget => None,
        }
    }
}

/// The decision after a failed attempt (a success always goes back to the caller). `jitter` is a
/// uniform sample of `[0, 1]` for the wait.
pub(crate) fn decide(policy: &RetryPolicy, attempt: &Attempt, outcome: Outcome, jitter: f64) -> Decision {
    let retry_after = match outcome {
        Outcome::Unsendable => return Decision::GiveUp(GiveUp::Final),
        Outcome::NoAnswer { sent: true } if !policy.resend_unanswered => {
            return Decision::GiveUp(GiveUp::OutcomeUnknown)
        }
        Outcome::NoAnswer { .. } => None,
        Outcome::Status { status: 401, .. } if attempt.token != TokenState::None => {
            return match attempt.token {
                TokenState::Ready => Decision::GiveUp(GiveUp::ReadyTokenRefused),
                TokenState::Renewed => Decision::GiveUp(GiveUp::FreshTokenRefused),
                TokenState::Renewable | TokenState::None => Decision::RenewToken,
            };
        }
        Outcome::Status { status: 429, .. } if attempt.on_throttle == OnThrottle::HandBack => {
            return Decision::HandBack
        }
        Outcome::Status { status, .. } if !policy.retry_statuses.contains(&status) => {
            return Decision::GiveUp(GiveUp::Final)
        }
        Outcome::Status { retry_after, .. } => retry_after,
    };
    let status = match outcome {
        Outcome::Status { status, .. } => Some(status),
        _ => None,
    };
    let strike = counts_against_cap(status, attempt.others_progressed);
    let strikes = attempt.strikes + u32::from(strike);
    let wait = policy.wait(attempt.number, retry_after, jitter);
    if strikes >= policy.max_attempts {
        Decision::GiveUp(GiveUp::Attempts)
    } else if !policy.allows(strikes, attempt.elapsed, wait) {
        Decision::GiveUp(GiveUp::TimeBudget)
    } else {
        Decision::Retry { wait, strike }
    }
}

/// Whether a failed attempt counts against the attempt cap: always, except a 429 while the client
/// made progress (some other request went through since this one last failed).
pub(crate) fn counts_against_cap(status: Option<u16>, progressed: bool) -> bool {
    !(status == Some(429) && progressed)
}

/// Reads a `Retry-After` value: seconds (fractional allowed) or an HTTP-date. Anything else, or a
/// negative number, is `None`. Waits are capped at one hour (a larger value is treated as one hour).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    const MAX: f64 = 3600.0;
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(MAX)));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let seconds = (date.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_milliseconds() as f64 / 1000.0;
    Some(Duration::from_secs_f64(seconds.clamp(0.0, MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;
    /// What a jitter of 1 adds to a `Retry-After`, in ms.
    const SPREAD: u64 = 50;

    #[test]
    fn retry_after_seconds_fractions_and_dates() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 2.128 "), Some(MS(2128)));
        assert_eq!(parse_retry_after("0"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("1e300"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        let later =
            (chrono::Utc::now() + chrono::Duration::seconds(30)).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let wait = parse_retry_after(&later).unwrap();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30), "{wait:?}");
    }

    #[test]
    fn waits_are_the_retry_after_or_a_capped_jittered_backoff() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.wait(1, None, 1.0), MS(500));
        assert_eq!(policy.wait(3, None, 1.0), MS(2000));
        assert_eq!(policy.wait(3, None, 0.5), MS(1000));
        assert_eq!(policy.wait(3, None, 0.0), Duration::ZERO);
        assert_eq!(policy.wait(7, None, 1.0), Duration::from_secs(30), "capped");
        assert_eq!(policy.wait(40, None, 1.0), Duration::from_secs(30), "no overflow");
        assert_eq!(policy.wait(9, Some(MS(2128)), 0.0), MS(2128), "Retry-After wins over the backoff");
        assert_eq!(policy.wait(1, Some(MS(2128)), 1.0), MS(2178), "plus up to 50 ms");
        assert_eq!(policy.wait(1, None, f64::NAN), Duration::ZERO);
        assert_eq!(policy.wait(1, None, 7.0), MS(500));
    }

    fn attempt(number: u32, strikes: u32, elapsed_ms: u64) -> Attempt {
        Attempt {
            number,
            strikes,
            others_progressed: false,
            elapsed: MS(elapsed_ms),
            token: TokenState::Renewable,
            on_throttle: OnThrottle::Retry,
        }
    }

    fn status(status: u16, retry_after_ms: Option<u64>) -> Outcome {
        Outcome::Status { status, retry_after: retry_after_ms.map(MS) }
    }

    fn retry(wait_ms: u64, strike: bool) -> Decision {
        Decision::Retry { wait: MS(wait_ms), strike }
    }

    #[test]
    fn the_read_policy_row_by_row() {
        // Every row draws the longest wait (jitter 1).
        let policy = RetryPolicy { max_attempts: 3, max_total: Duration::from_secs(10), ..RetryPolicy::default() };
        let progressed = Attempt { others_progressed: true, ..attempt(2, 2, 0) };
        let batch = Attempt { on_throttle: OnThrottle::HandBack, ..attempt(1, 0, 0) };
        let rows: &[(&str, Attempt, Outcome, Decision)] = &[
            ("429 waits its Retry-After", attempt(1, 0, 0), status(429, Some(300)), retry(300 + SPREAD, true)),
            ("503 without Retry-After backs off", attempt(2, 1, 0), status(503, None), retry(1000, true)),
            ("504 is retried", attempt(1, 0, 0), status(504, None), retry(500, true)),
            ("500 is final", attempt(1, 0, 0), status(500, None), Decision::GiveUp(GiveUp::Final)),
            ("403 is final", attempt(1, 0, 0), status(403, None), Decision::GiveUp(GiveUp::Final)),
            ("the cap stops", attempt(3, 2, 0), status(503, None), Decision::GiveUp(GiveUp::Attempts)),
            (
                "a 429 while others progress does not count",
                progressed,
                status(429, Some(100)),
                retry(100 + SPREAD, false),
            ),
            (
                "a 429 past the cap while others progress",
                Attempt { number: 9, ..progressed },
                status(429, Some(100)),
                retry(100 + SPREAD, false),
            ),
            ("a 503 counts even then", progressed, status(503, None), Decision::GiveUp(GiveUp::Attempts)),
            (
                "a wait past the time budget",
                attempt(1, 0, 9_800),
                status(429, Some(300)),
                Decision::GiveUp(GiveUp::TimeBudget),
            ),
            ("a wait that just fits", attempt(1, 0, 9_650), status(429, Some(300)), retry(300 + SPREAD, true)),
            ("a 429 handed back to $batch", batch, status(429, Some(300)), Decision::HandBack),
            ("a 503 is not handed back", batch, status(503, Some(300)), retry(300 + SPREAD, true)),
            ("a timeout is retried", attempt(1, 0, 0), Outcome::NoAnswer { sent: true }, retry(500, true)),
            ("a refused connection is retried", attempt(1, 0, 0), Outcome::NoAnswer { sent: false }, retry(500, true)),
            ("an unsendable request", attempt(1, 0, 0), Outcome::Unsendable, Decision::GiveUp(GiveUp::Final)),
            ("401 renews the token", attempt(1, 0, 0), status(401, None), Decision::RenewToken),
            (
                "401 after renewing",
                Attempt { token: TokenState::Renewed, ..attempt(2, 0, 0) },
                status(401, None),
                Decision::GiveUp(GiveUp::FreshTokenRefused),
            ),
            (
                "401 on a ready token",
                Attempt { token: TokenState::Ready, ..attempt(1, 0, 0) },
                status(401, None),
                Decision::GiveUp(GiveUp::ReadyTokenRefused),
            ),
            (
                "401 from the token endpoint",
                Attempt { token: TokenState::None, ..attempt(1, 0, 0) },
                status(401, None),
                Decision::GiveUp(GiveUp::Final),
            ),
        ];
        for (name, attempt, outcome, expected) in rows {
            assert_eq!(decide(&policy, attempt, *outcome, 1.0), *expected, "{name}");
        }
    }

    #[test]
    fn a_send_policy_never_sends_twice_what_may_have_arrived() {
        let policy = RetryPolicy { retry_statuses: &[429, 503], resend_unanswered: false, ..RetryPolicy::default() };
        let rows: &[(&str, Outcome, Decision)] = &[
            ("429 waits its Retry-After", status(429, Some(2128)), retry(2128 + SPREAD, true)),
            ("503 waits its Retry-After", status(503, Some(1000)), retry(1000 + SPREAD, true)),
            ("504 may have been acted on", status(504, None), Decision::GiveUp(GiveUp::Final)),
            ("a timeout after sending", Outcome::NoAnswer { sent: true }, Decision::GiveUp(GiveUp::OutcomeUnknown)),
            ("a connection that never opened", Outcome::NoAnswer { sent: false }, retry(500, true)),
        ];
        for (name, outcome, expected) in rows {
            assert_eq!(decide(&policy, &attempt(1, 0, 0), *outcome, 1.0), *expected, "{name}");
        }
        assert!(GiveUp::OutcomeUnknown.hint().is_some_and(|h| h.contains("not sent again")));
    }

    #[test]
    fn strikes_and_the_cap() {
        assert!(counts_against_cap(Some(503), true) && counts_against_cap(None, true));
        assert!(counts_against_cap(Some(429), false) && !counts_against_cap(Some(429), true));
        let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
        assert!(policy.allows(2, Duration::ZERO, Duration::ZERO));
        assert!(!policy.allows(3, Duration::ZERO, Duration::ZERO));
        assert!(policy.allows(0, Duration::from_secs(299), Duration::from_secs(1)));
        assert!(!policy.allows(0, Duration::from_secs(299), MS(1001)));
    }
}
