//! Progress bars on standard error, one per phase of a read (devices, apps, groups), with counts: the
//! terminal's [`ProgressObserver`]. The sources only report events; this is the one place that draws.
//! The command line asks for bars when standard error is a terminal and `--quiet` is not given;
//! otherwise it passes [`NoProgress`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::source::progress::{NoProgress, ProgressObserver};

/// Bars on standard error when `show`, else nothing.
pub fn observer(show: bool) -> Arc<dyn ProgressObserver> {
    match show {
        true => Arc::new(Bars::default()),
        false => Arc::new(NoProgress),
    }
}

/// One bar per phase, drawn by indicatif.
#[derive(Default)]
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    fn with_bar(&self, phase: &str, act: impl FnOnce(&ProgressBar)) {
        let bars = self.bars.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(bar) = bars.get(phase) {
            act(bar);
        }
    }
}

impl ProgressObserver for Bars {
    fn phase_started(&self, phase: &str, total: Option<u64>) {
        let bar = self.multi.add(match total {
            Some(total) => ProgressBar::new(total),
            None => ProgressBar::no_length(),
        });
        let template = match total {
            Some(_) => "{prefix:>8} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} {per_sec} {msg}",
            None => "{prefix:>8} [{elapsed_precise}] {spinner} {human_pos} read {per_sec} {msg}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_prefix(phase.to_owned());
        self.bars.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(phase.to_owned(), bar);
    }

    fn total_known(&self, phase: &str, total: u64) {
        self.with_bar(phase, |bar| bar.set_length(total));
    }

    fn advanced(&self, phase: &str, count: u64) {
        self.with_bar(phase, |bar| bar.inc(count));
    }

    fn status(&self, phase: &str, message: &str) {
        self.with_bar(phase, |bar| bar.set_message(message.to_owned()));
    }

    fn phase_finished(&self, phase: &str) {
        self.with_bar(phase, ProgressBar::finish);
    }
}
