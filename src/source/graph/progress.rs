//! Progress bars on stderr, one per phase (devices, apps, groups), with counts. Shown only when the
//! caller asks (`GraphOptions::progress`: the CLI turns it off when stderr is not a terminal or with
//! `--quiet`); otherwise every bar is hidden and costs nothing. Bars are cheap clones shared by tasks.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

pub(crate) struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    pub fn new(enabled: bool) -> Self {
        Progress { multi: enabled.then(MultiProgress::new) }
    }

    /// A bar for a phase; `length` when the total is known up front (otherwise set later, or a count).
    pub fn phase(&self, name: &str, length: Option<u64>) -> ProgressBar {
        let Some(multi) = &self.multi else { return ProgressBar::hidden() };
        let bar = multi.add(match length {
            Some(length) => ProgressBar::new(length),
            None => ProgressBar::no_length(),
        });
        let template = match length {
            Some(_) => "{prefix:>8} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} {per_sec}",
            None => "{prefix:>8} [{elapsed_precise}] {spinner} {human_pos} read {per_sec}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_prefix(name.to_owned());
        bar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_bars_are_hidden() {
        let bar = Progress::new(false).phase("devices", None);
        assert!(bar.is_hidden());
        bar.inc(3);
        assert_eq!(bar.position(), 3);
    }
}
