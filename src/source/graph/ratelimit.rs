//! A client-side rate limit below Intune's budget, shared by every task of a run.
//!
//! Intune allows 2000 requests per 20 s per app and tenant. The client stays under it with a sliding
//! window of 1800 requests per 20 s, so that a run rarely sees a 429 at all. A `$batch` envelope counts
//! as one request per inner request, as Graph counts it.
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
use std::time::{Duration, Instant};

/// The default budget: 1800 requests per 20 s.
pub(crate) const DEFAULT_LIMIT: usize = 1800;
pub(crate) const DEFAULT_WINDOW: Duration = Duration::from_secs(20);
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

    /// The pacing interval now, after its recovery since it was last set.
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
        let weight = weight.clamp(1, self.limit);
        loop {
            let wait = {
                let mut state = self.state();
                let now = Instant::now();
                while state.sent.front().is_some_and(|&t| t + self.window <= now) {
                    state.sent.pop_front();
                }
                let paced = state.next_slot.filter(|slot| *slot > now);
                match (state.paused_until, paced) {
                    (Some(until), _) if until > now => Some(until - now),
                    (_, Some(slot)) => Some(slot - now),
                    _ if state.sent.len() + weight <= self.limit => {
                        state.sent.extend(std::iter::repeat_n(now, weight));
                        let spacing = self.spacing(&mut state, now);
                        if !spacing.is_zero() {
                            state.next_slot = Some(now + spacing * weight as u32);
                        }
                        None
                    }
                    // The request that must leave the window before `weight` more fit.
                    _ => {
                        let index = state.sent.len() + weight - self.limit - 1;
                        let oldest = state.sent.get(index).copied().unwrap_or(now);
                        Some((oldest + self.window).saturating_duration_since(now).max(Duration::from_millis(1)))
                    }
                }
            };
            match wait {
                None => return,
                Some(wait) => tokio::time::sleep(wait).await,
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
        let mut state = self.state();
        if state.slowed_at.is_some_and(|slowed| sent_at < slowed || progress <= state.slowed_progress) {
            return;
        }
        let now = Instant::now();
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

    #[tokio::test]
    async fn lets_the_limit_through_then_waits_for_the_window() {
        let limiter = RateLimiter::new(5, Duration::from_millis(300));
        let start = Instant::now();
        limiter.acquire(3).await;
        limiter.acquire(2).await;
        assert!(start.elapsed() < Duration::from_millis(100));
        limiter.acquire(1).await;
        assert!(start.elapsed() >= Duration::from_millis(300), "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn a_weight_above_the_limit_is_clamped_and_a_pause_is_honoured() {
        let limiter = RateLimiter::new(2, Duration::from_millis(50));
        limiter.acquire(20).await;
        let start = Instant::now();
        limiter.pause_until(start + Duration::from_millis(200));
        limiter.acquire(1).await;
        assert!(start.elapsed() >= Duration::from_millis(200), "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn throttling_without_retry_after_paces_requests_then_recovers() {
        let limiter = RateLimiter::new(1000, Duration::from_secs(1));
        let before = Instant::now();
        for _ in 0..40 {
            limiter.acquire(1).await;
        }
        // 40 requests in the last second: pace at 20 a second (50 ms); a 429 of a request sent before
        // that slow-down does not slow it down again.
        limiter.slow_down(Instant::now(), 0);
        limiter.slow_down(before, 1);
        // Nor one before a request went through at the new pace.
        limiter.slow_down(Instant::now(), 0);
        let spacing = limiter.state().spacing;
        assert!(spacing >= Duration::from_millis(49) && spacing <= Duration::from_millis(50), "{spacing:?}");
        let start = Instant::now();
        for _ in 0..4 {
            limiter.acquire(1).await;
        }
        assert!(start.elapsed() >= Duration::from_millis(140), "{:?}", start.elapsed());
        // Pretend a minute passed: the pace is back to the window's own and pacing stops.
        {
            let mut state = limiter.state();
            state.paced_at = Some(Instant::now() - Duration::from_secs(60));
        }
        let start = Instant::now();
        limiter.acquire(1).await;
        for _ in 0..20 {
            limiter.acquire(1).await;
        }
        assert!(start.elapsed() < Duration::from_millis(100), "{:?}", start.elapsed());
        assert_eq!(limiter.state().spacing, Duration::ZERO);
    }
}
