//! The simulator's faults that keep state between requests: the sliding-window throttle per client
//! app, the seeded transient errors, and the listing bookkeeping behind `expire_skiptokens_after` and
//! `repeat_next_link`. (Latency, `hide_devices` and token lifetime are plain values used where they
//! apply.) Each has its own lock, held only for a few instructions and never across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Throttle;

/// At most `requests` Graph requests per `window` per client app, over a sliding window.
pub(super) struct Throttler {
    limit: Option<(usize, Duration)>,
    /// Per client id: the times of the requests let through within the window, oldest first.
    windows: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttler {
    pub fn new(throttle: Option<Throttle>) -> Self {
        // `start` rejects a window that is not a positive, finite number of seconds.
        let limit = throttle
            .and_then(|t| Duration::try_from_secs_f64(t.per_seconds).ok().map(|window| (t.requests as usize, window)));
        Throttler { limit, windows: Mutex::new(HashMap::new()) }
    }

    /// Takes a slot for `client`, or says how many seconds remain until one frees. A refused request
    /// takes no slot.
    pub fn acquire(&self, client: &str) -> Result<(), f64> {
        self.check(client, true)
    }

    /// Whether the window is already full, without taking a slot (the `$batch` envelope check).
    pub fn full(&self, client: &str) -> Result<(), f64> {
        self.check(client, false)
    }

    fn check(&self, client: &str, take: bool) -> Result<(), f64> {
        let Some((requests, window)) = self.limit else { return Ok(()) };
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        if !windows.contains_key(client) {
            windows.insert(client.to_owned(), VecDeque::new());
        }
        let times = windows.get_mut(client).expect("inserted above");
        while times.front().is_some_and(|&t| now.duration_since(t) >= window) {
            times.pop_front();
        }
        if times.len() < requests {
            if take {
                times.push_back(now);
            }
            return Ok(());
        }
        let oldest = times.front().copied().unwrap_or(now);
        let wait = window.saturating_sub(now.duration_since(oldest)).as_secs_f64();
        Err(wait.max(0.001))
    }
}

/// Formats a Retry-After value in seconds with millisecond precision ("0.734", "2.128").
pub(super) fn retry_after(seconds: f64) -> String {
    format!("{:.3}", seconds.max(0.001))
}

/// The seeded 503s: each Graph request draws once from one ChaCha8 stream, so a run with the same
/// seed and the same request order fails the same requests.
pub(super) struct Dice {
    probability: f64,
    rng: Mutex<ChaCha8Rng>,
}

impl Dice {
    pub fn new(probability: f64, seed: u64) -> Self {
        Dice { probability, rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)) }
    }

    /// `true` when this request must fail with 503.
    pub fn fails(&self) -> bool {
        if self.probability <= 0.0 {
            return false;
        }
        let draw: f64 = lock(&self.rng).random();
        draw < self.probability
    }
}

/// Bookkeeping of the paged listings (a listing = the path plus its `$filter`).
pub(super) struct Listings {
    /// The N-th next link followed in a listing is answered once with the expired-skiptoken error.
    expire_after: Option<u32>,
    /// Per listing key: next links followed so far, and whether the expiry was already served.
    followed: Mutex<HashMap<String, (u32, bool)>>,
    repeat: bool,
    /// The issue number of the device listing whose second page repeats the first page's next link
    /// (0: none chosen yet).
    repeating: AtomicU64,
    /// Each first page starts a new run of a listing, numbered from 1.
    issues: AtomicU64,
}

impl Listings {
    pub fn new(expire_after: Option<u32>, repeat: bool) -> Self {
        Listings {
            expire_after,
            followed: Mutex::new(HashMap::new()),
            repeat,
            repeating: AtomicU64::new(0),
            issues: AtomicU64::new(0),
        }
    }

    /// The number of a new run of a listing (a first page was asked for).
    pub fn new_issue(&self) -> u64 {
        self.issues.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Counts a next link followed in listing `key`; `true` when this one must get the expired
    /// skiptoken error (the N-th, once per key; N = 0 counts as 1).
    pub fn expires(&self, key: &str) -> bool {
        let Some(after) = self.expire_after else { return false };
        let mut followed = lock(&self.followed);
        if !followed.contains_key(key) {
            followed.insert(key.to_owned(), (0, false));
        }
        let entry = followed.get_mut(key).expect("inserted above");
        entry.0 = entry.0.saturating_add(1);
        if !entry.1 && entry.0 >= after.max(1) {
            entry.1 = true;
            return true;
        }
        false
    }

    /// A device listing's first page with a next link: the first such run becomes the repeating one.
    pub fn claim_repeat(&self, issue: u64) {
        if self.repeat {
            let _ = self.repeating.compare_exchange(0, issue, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// Whether run `issue` is the repeating one.
    pub fn repeats(&self, issue: u64) -> bool {
        self.repeat && issue != 0 && self.repeating.load(Ordering::Relaxed) == issue
    }
}

/// Locks a mutex, going on with the data if another thread panicked while holding it (the data here
/// stays consistent at every step).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_window_slides() {
        let t = Throttler::new(Some(Throttle { requests: 2, per_seconds: 0.2 }));
        assert!(t.acquire("a").is_ok());
        assert!(t.full("a").is_ok());
        assert!(t.acquire("a").is_ok());
        let wait = t.acquire("a").unwrap_err();
        assert!(wait > 0.0 && wait <= 0.2, "{wait}");
        assert!(t.full("a").is_err());
        assert!(t.acquire("b").is_ok(), "per client");
        std::thread::sleep(Duration::from_millis(220));
        assert!(t.acquire("a").is_ok());
    }

    #[test]
    fn dice_are_deterministic() {
        let a = Dice::new(0.5, 7);
        let b = Dice::new(0.5, 7);
        let xs: Vec<bool> = (0..64).map(|_| a.fails()).collect();
        let ys: Vec<bool> = (0..64).map(|_| b.fails()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().any(|&x| x) && xs.iter().any(|&x| !x));
        assert!((0..100).all(|_| Dice::new(1.0, 1).fails()));
        assert!((0..100).all(|_| !Dice::new(0.0, 1).fails()));
    }

    #[test]
    fn expiry_fires_once_per_key() {
        let l = Listings::new(Some(2), false);
        assert!(!l.expires("k"));
        assert!(l.expires("k"));
        assert!(!l.expires("k"));
        assert!(!l.expires("other"));
        assert!(l.expires("other"));
    }
}
