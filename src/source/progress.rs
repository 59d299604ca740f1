//! How a source tells whoever shows progress what it is doing, without knowing how it is shown: the
//! [`ProgressObserver`] interface. The command line draws bars on a terminal (`crate::progress`),
//! tests record the events, and [`NoProgress`] ignores them. A read runs in phases (the Graph client's
//! are `devices`, `apps` and `groups`, some at the same time), each with a count of items read and,
//! when known, a total.

use std::sync::Arc;

/// Receives a read's progress. Calls come from several tasks at once, and must return quickly.
pub trait ProgressObserver: Send + Sync {
    /// A phase started; `total` when the number of items is known up front.
    fn phase_started(&self, phase: &str, total: Option<u64>);
    /// The number of items of the phase became known.
    fn total_known(&self, phase: &str, total: u64);
    /// `count` more items of the phase were read.
    fn advanced(&self, phase: &str, count: u64);
    /// A status line for the phase, e.g. "export job inProgress, 12 s".
    fn status(&self, phase: &str, message: &str);
    /// The phase ended (read whole, or given up).
    fn phase_finished(&self, phase: &str);
}

/// Ignores every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ProgressObserver for NoProgress {
    fn phase_started(&self, _: &str, _: Option<u64>) {}
    fn total_known(&self, _: &str, _: u64) {}
    fn advanced(&self, _: &str, _: u64) {}
    fn status(&self, _: &str, _: &str) {}
    fn phase_finished(&self, _: &str) {}
}

/// One phase of a read, as its readers report it: a cheap handle that tasks clone.
#[derive(Clone)]
pub(crate) struct Phase {
    observer: Arc<dyn ProgressObserver>,
    name: &'static str,
}

impl Phase {
    pub fn start(observer: &Arc<dyn ProgressObserver>, name: &'static str, total: Option<u64>) -> Self {
        observer.phase_started(name, total);
        Phase { observer: observer.clone(), name }
    }

    /// A phase nobody watches (a read whose items another phase already counts, and tests).
    pub fn unobserved() -> Self {
        Phase { observer: Arc::new(NoProgress), name: "" }
    }

    pub fn total_known(&self, total: u64) {
        self.observer.total_known(self.name, total);
    }

    /// A status line for the phase (an export job's state and how long it has run).
    pub fn status(&self, message: &str) {
        self.observer.status(self.name, message);
    }

    pub fn advance(&self, count: u64) {
        if count > 0 {
            self.observer.advanced(self.name, count);
        }
    }

    pub fn finish(self) {
        self.observer.phase_finished(self.name);
    }
}
