//! A client-side rate limit below Intune's budget, shared by every task of a run.
//!
//! Intune allows 2000 requests per 20 s per app and tenant. The client stays under it with a sliding
//! window of 1800 requests per 20 s, so that a run rarely sees a 429 at all. A `$batch` envelope counts
//! as one request per inner request, as Graph counts it. Report export jobs have a budget of their own
//! (48 per app per minute, 8 per user): a second limiter of the same kind, 44 (or 7) per minute.
//!
//! When Graph throttles anyway (its budget may be lower, or shared with other apps), every task reacts,
//! since the budget is per app:
//! - a 429 with `Retry-After` pauses every request until then ([`RateLimiter::pause_until`]): Graph
//!   said exactly how long;
//! - a 429 without `Retry-After` (Graph is reported to throttle per-device reads early and without
//!   one) makes the client pace itself ([`RateLimiter::slow_down`]): requests are spaced so that the
//!   rate is half what was sent in the last second (or half the current pace, whichever is slower;
//!   once per round: a 429 of a request sent before the last slow-down does not count again). The pace
//!   then recovers by itself, about 18% faster each second, until it is back to the window's own pace
//!   and pacing stops. So a run settles near a budget it is not told, instead of having each request
//!   throttled again and again until its retries run out.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

// The clock of tokio: the same as the system's, except in tests that pause it.
use tokio::time::Instant;

/// The default budget: 1800 requests per 20 s.
pub(crate) const DEFAULT_LIMIT: usize = 1800;
pub(crate) const DEFAULT_WINDOW: Duration = Duration::from_secs(20);
/// The budget of report export jobs (creating and polling them): Intune allows 48 requests per app and
/// 8 per user (delegated) per minute, and 100 per tenant; the client keeps a little below, as above.
pub(crate) const EXPORT_LIMIT_APP: usize = 44;
pub(crate) const EXPORT_LIMIT_DELEGATED: usize = 7;
pub(crate) const EXPORT_WINDOW: Duration = Duration::from_secs(60);
/// The longest interval between two requests when pacing (at least one request a second).
const MAX_SPACING: Duration = Duration::from_secs(1);
/// Pacing intervals shrink by this factor per second.
const RECOVERY_PER_SECOND: f64 = 0.85;

#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: usize,
    window: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// When each request of the current window was let through, oldest first.
    sent: VecDeque<Instant>,
    paused_until: Option<Instant>,
    /// The pacing interval per request (zero: no pacing), as of `paced_at`.
    spacing: Duration,
    paced_at: Option<Instant>,
    /// When pacing lets the next request through.
    next_slot: Option<Instant>,
    /// When the pace was last slowed down, and the client's progress then.
    slowed_at: Option<Instant>,
    slowed_progress: u64,
}

impl RateLimiter {
    /// A budget of `limit` requests per sliding `window` (e.g. 48 per minute for report export jobs).
    pub fn new(limit: usize, window: Duration) -> Self {
        RateLimiter { limit: limit.max(1), window, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The window's own pace: below it, pacing stops.
    fn floor(&self) -> Duration {
        self.window / self.limit as u32
    }

    /// The pacing interval at `now`, after its recovery since it was last set.
    fn spacing(&self, state: &mut State, now: Instant) -> Duration {
        if let (false, Some(paced_at)) = (state.spacing.is_zero(), state.paced_at) {
            let seconds = now.saturating_duration_since(paced_at).as_secs_f64();
            state.spacing = state.spacing.mul_f64(RECOVERY_PER_SECOND.powf(seconds));
            if state.spacing < self.floor() {
                state.spacing = Duration::ZERO;
                state.next_slot = None;
            }
        }
        state.paced_at = Some(now);
        state.spacing
    }

    /// Waits until `weight` more requests fit (pause, pacing and window), then counts them.
    pub async fn acquire(&self, weight: usize) {
        while let Err(wait) = self.admit(weight, Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }

    /// Counts `weight` requests (at most the limit) at `now` if they fit; otherwise says how long to
    /// wait before asking again.
    fn admit(&self, weight: usize, now: Instant) -> Result<(), Duration> {
        let weight = weight.clamp(1, self.limit);
        let mut state = self.state();
        while state.sent.front().is_some_and(|&t| t + self.window <= now) {
            state.sent.pop_front();
        }
        let paced = state.next_slot.filter(|slot| *slot > now);
        match (state.paused_until, paced) {
            (Some(until), _) if until > now => Err(until - now),
            (_, Some(slot)) => Err(slot - now),
            _ if state.sent.len() + weight <= self.limit => {
                state.sent.extend(std::iter::repeat_n(now, weight));
                let spacing = self.spacing(&mut state, now);
                if !spacing.is_zero() {
                    state.next_slot = Some(now + spacing * weight as u32);
                }
                Ok(())
            }
            // The request that must leave the window before `weight` more fit.
            _ => {
                let index = state.sent.len() + weight - self.limit - 1;
                let oldest = state.sent.get(index).copied().unwrap_or(now);
                Err((oldest + self.window).saturating_duration_since(now).max(Duration::from_millis(1)))
            }
        }
    }

    /// No request before `until` (Graph's `Retry-After`).
    pub fn pause_until(&self, until: Instant) {
        let mut state = self.state();
        if state.paused_until.is_none_or(|current| current < until) {
            state.paused_until = Some(until);
        }
    }

    /// A request sent at `sent_at` was throttled without a `Retry-After`, the client's progress (requests
    /// that went through) being `progress`: pace at half the rate sent in the last second (or half the
    /// current pace). Not again if the pace was slowed after that request left (its 429 belongs to the
    /// previous pace), nor before any request went through at the new pace (Graph's window is still
    /// full of what was sent before; the pace has not been tried yet).
    pub fn slow_down(&self, sent_at: Instant, progress: u64) {
        self.slow_down_at(sent_at, progress, Instant::now());
    }

    fn slow_down_at(&self, sent_at: Instant, progress: u64, now: Instant) {
        let mut state = self.state();
        if state.slowed_at.is_some_and(|slowed| sent_at < slowed || progress <= state.slowed_progress) {
            return;
        }
        let last_second =
            state.sent.iter().rev().take_while(|&&t| now.saturating_duration_since(t) < Duration::from_secs(1)).count();
        let half_observed = Duration::from_secs(2) / last_second.max(1) as u32;
        let current = self.spacing(&mut state, now);
        state.spacing = (current * 2).max(half_observed).max(self.floor() * 2).min(MAX_SPACING);
        state.slowed_at = Some(now);
        state.slowed_progress = progress;
        tracing::debug!(spacing_ms = state.spacing.as_secs_f64() * 1000.0, "throttled without Retry-After: pacing");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn lets_the_limit_through_then_waits_for_the_oldest_to_leave_the_window() {
        let limiter = RateLimiter::new(5, MS(300));
        let t0 = Instant::now();
        assert_eq!(limiter.admit(3, t0), Ok(()));
        assert_eq!(limiter.admit(2, t0 + MS(100)), Ok(()));
        assert_eq!(limiter.admit(1, t0 + MS(100)), Err(MS(200)), "the first three leave at 300 ms");
        assert_eq!(limiter.admit(1, t0 + MS(299)), Err(MS(1)));
        // The first three have left; four more do not fit until the next two leave too.
        assert_eq!(limiter.admit(4, t0 + MS(300)), Err(MS(100)));
        assert_eq!(limiter.admit(3, t0 + MS(300)), Ok(()));
        assert_eq!(limiter.admit(1, t0 + MS(300)), Err(MS(100)));
        assert_eq!(limiter.admit(2, t0 + MS(400)), Ok(()));
    }

    #[test]
    fn a_weight_above_the_limit_is_clamped_and_a_pause_is_honoured() {
        let limiter = RateLimiter::new(2, MS(50));
        let t0 = Instant::now();
        assert_eq!(limiter.admit(20, t0), Ok(()), "counted as the whole limit, not refused forever");
        assert_eq!(limiter.admit(1, t0), Err(MS(50)));
        limiter.pause_until(t0 + MS(200));
        limiter.pause_until(t0 + MS(100));
        assert_eq!(limiter.admit(1, t0 + MS(60)), Err(MS(140)), "a shorter pause does not cut the longer one");
        assert_eq!(limiter.admit(1, t0 + MS(200)), Ok(()));
    }

    #[test]
    fn throttling_without_retry_after_paces_requests_then_recovers() {
        let limiter = RateLimiter::new(1000, Duration::from_secs(1));
        let t0 = Instant::now();
        for i in 0..40 {
            assert_eq!(limiter.admit(1, t0 + MS(i * 10)), Ok(()));
        }
        let now = t0 + MS(400);
        // 40 requests in the last second: pace at 20 a second.
        limiter.slow_down_at(now, 1, now);
        assert_eq!(limiter.state().spacing, MS(50));
        // A 429 of a request sent before that slow-down does not slow it again, nor one before a
        // request went through at the new pace.
        limiter.slow_down_at(now - MS(1), 2, now);
        limiter.slow_down_at(now, 1, now);
        assert_eq!(limiter.state().spacing, MS(50));

        assert_eq!(limiter.admit(1, now), Ok(()));
        assert_eq!(limiter.admit(1, now + MS(10)), Err(MS(40)));
        assert_eq!(limiter.admit(1, now + MS(50)), Ok(()));
        // The pace recovers by 15% a second: 50 ms * 0.85^0.05 to the next slot.
        let recovered = MS(50).mul_f64(RECOVERY_PER_SECOND.powf(0.05));
        assert_eq!(limiter.admit(1, now + MS(50)), Err(recovered));

        // Another 429, after progress and of a request sent at the new pace: twice the current pace.
        let later = now + MS(50);
        limiter.slow_down_at(later, 2, later);
        assert_eq!(limiter.state().spacing, recovered * 2);

        // A minute later the pace is back to the window's own: pacing stops, the window alone limits.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..21 {
            assert_eq!(limiter.admit(1, much_later), Ok(()));
        }
        assert_eq!(limiter.state().spacing, Duration::ZERO);
    }

    #[test]
    fn a_lone_throttled_request_paces_at_one_a_second_at_most() {
        let limiter = RateLimiter::new(1000, Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(limiter.admit(1, t0), Ok(()));
        limiter.slow_down_at(t0, 1, t0 + MS(10));
        assert_eq!(limiter.state().spacing, MAX_SPACING);
        assert_eq!(limiter.admit(1, t0 + MS(10)), Ok(()));
        assert_eq!(limiter.admit(1, t0 + MS(10)), Err(MAX_SPACING));
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_sleeps_exactly_until_the_window_frees() {
        let limiter = RateLimiter::new(2, MS(300));
        let start = Instant::now();
        limiter.acquire(2).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        limiter.acquire(1).await;
        assert_eq!(start.elapsed(), MS(300));
        limiter.pause_until(Instant::now() + MS(120));
        limiter.acquire(1).await;
        assert_eq!(start.elapsed(), MS(420));
    }
}
