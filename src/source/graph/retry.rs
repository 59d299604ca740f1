//! The one retry policy of the Graph client: which failures are retried, how long to wait, and when
//! to give up.
//!
//! Every request path uses it: plain requests through [`super::http::Transport::send`], and the inner
//! requests of a `$batch` envelope, which are re-sent in a later envelope (see [`super::batch`]).
//! Graph's `Retry-After` is honoured when present (seconds, possibly fractional like `2.128`, or an
//! HTTP-date); otherwise the wait is an exponential backoff with full jitter (base 0.5 s, cap 30 s).
//! Failed attempts (8) and the total time spent on one request (5 min) are capped: never retry forever.
//!
//! One nuance: a 429 counts against the attempt cap only if nothing the client sent went through
//! since that request last failed ([`counts_against_cap`]). While other requests succeed, a throttled
//! request is waiting its turn in a budget shared by every task (Graph's budget is per app), not
//! failing; with 8 tasks and a budget that frees one slot at a time, it may lose that race many times
//! in a row. The time budget still bounds it, and a service that throttles everything still fails
//! after 8 attempts.

use std::time::{Duration, Instant};

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
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            max_total: Duration::from_secs(300),
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            timeout: Duration::from_secs(100),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with full jitter after the `attempt`-th failed attempt (1-based): a uniform
    /// random wait in `[0, min(cap, base * 2^(attempt-1))]`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let ceiling = self.base.as_secs_f64() * f64::from(1u32 << exponent);
        let ceiling = ceiling.min(self.cap.as_secs_f64()).max(0.0);
        Duration::from_secs_f64(rand::random_range(0.0..=ceiling))
    }

    /// After the `attempt`-th attempt (1-based) of a request started at `started` failed, `strikes` of
    /// them counting against the cap: how long to wait before the next attempt, or `None` to give up
    /// (attempt cap reached, or the wait would end past the total time budget). `retry_after` is the
    /// server's `Retry-After`, if any.
    pub fn next_delay(
        &self,
        attempt: u32,
        strikes: u32,
        started: Instant,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let delay = self.delay(attempt, retry_after);
        self.allows(strikes, started, delay).then_some(delay)
    }

    /// The wait after the `attempt`-th failed attempt: the `Retry-After` (plus up to 50 ms, so that tasks
    /// throttled together do not all come back at once), else the backoff.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(wait) => wait + Duration::from_millis(rand::random_range(0..=50)),
            None => self.backoff(attempt),
        }
    }

    /// Whether another attempt is allowed after `strikes` failed ones and a wait of `delay`.
    pub fn allows(&self, strikes: u32, started: Instant, delay: Duration) -> bool {
        strikes < self.max_attempts && started.elapsed() + delay <= self.max_total
    }
}

/// Whether a failed attempt counts against the attempt cap: always, except a 429 while the client
/// made progress (some other request went through since this one last failed).
pub(crate) fn counts_against_cap(status: Option<u16>, progressed: bool) -> bool {
    !(status == Some(429) && progressed)
}

/// The HTTP statuses that are retried: throttled (429) and transient (503, 504).
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 503 | 504)
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

    #[test]
    fn retry_after_seconds_fractions_and_dates() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 2.128 "), Some(Duration::from_millis(2128)));
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
    fn backoff_has_full_jitter_under_the_cap() {
        let policy = RetryPolicy::default();
        for attempt in 1..40 {
            let ceiling = (0.5 * 2f64.powi(attempt as i32 - 1)).min(30.0);
            let wait = policy.backoff(attempt).as_secs_f64();
            assert!((0.0..=ceiling).contains(&wait), "attempt {attempt}: {wait}");
        }
    }

    #[test]
    fn gives_up_at_the_attempt_cap_and_the_time_budget() {
        let policy = RetryPolicy { max_attempts: 3, max_total: Duration::from_secs(10), ..RetryPolicy::default() };
        let now = Instant::now();
        assert!(policy.next_delay(1, 1, now, Some(Duration::from_secs(1))).is_some());
        assert!(policy.next_delay(3, 3, now, None).is_none());
        assert!(policy.next_delay(9, 2, now, Some(Duration::from_secs(1))).is_some());
        assert!(policy.next_delay(1, 1, now, Some(Duration::from_secs(11))).is_none());
        let wait = policy.next_delay(2, 2, now, Some(Duration::from_millis(300))).unwrap();
        assert!(wait >= Duration::from_millis(300));
        assert!(counts_against_cap(Some(503), true) && counts_against_cap(None, true));
        assert!(counts_against_cap(Some(429), false) && !counts_against_cap(Some(429), true));
    }

    #[test]
    fn retryable_statuses() {
        assert!(is_retryable_status(429) && is_retryable_status(503) && is_retryable_status(504));
        assert!(!is_retryable_status(500) && !is_retryable_status(400) && !is_retryable_status(401));
    }
}
