//! Ctrl-C. An audit or a fetch that is interrupted must leave no partial report, no partial snapshot
//! and no temporary file behind, and exit 130 (the shell's code for "stopped by SIGINT").
//!
//! Report and snapshot files are written to temporary names and renamed into place only when every
//! one of them is complete ([`crate::output`]); those temporary files are registered here. On Ctrl-C
//! the handler removes them and exits at once, which is always safe for reads: nothing was changed
//! anywhere. The renames into place run under the same lock, so a Ctrl-C never lands between two of
//! them. Work that must not stop abruptly (sends in flight) marks itself [`cooperative`]: the first
//! Ctrl-C then only raises [`interrupted`] for it to wind down, and a second one exits.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::error::{exit, Error};

struct State {
    temporaries: Mutex<Vec<PathBuf>>,
    /// Held while files are renamed into place, and by the handler before it exits.
    renaming: Mutex<()>,
    cooperative: AtomicUsize,
    interrupted: AtomicBool,
    signal: tokio::sync::watch::Sender<bool>,
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| State {
        temporaries: Mutex::new(Vec::new()),
        renaming: Mutex::new(()),
        cooperative: AtomicUsize::new(0),
        interrupted: AtomicBool::new(false),
        signal: tokio::sync::watch::Sender::new(false),
    })
}

fn lock_temporaries() -> MutexGuard<'static, Vec<PathBuf>> {
    state().temporaries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Keeps Ctrl-C from exiting until the guard is dropped: for renaming files into place together.
pub(crate) fn hold_off() -> MutexGuard<'static, ()> {
    state().renaming.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the Ctrl-C handler (once per process).
pub fn install() -> Result<(), Error> {
    ctrlc::set_handler(on_interrupt).map_err(|e| Error::Usage(format!("cannot install the Ctrl-C handler: {e}")))
}

fn on_interrupt() {
    let state = state();
    let first = !state.interrupted.swap(true, Ordering::SeqCst);
    if first && state.cooperative.load(Ordering::SeqCst) > 0 {
        state.signal.send_replace(true);
        #[allow(clippy::print_stderr)]
        {
            eprintln!("interrupted: finishing the requests in flight (Ctrl-C again to stop at once)");
        }
        return;
    }
    remove_temporaries_and_exit();
}

/// Removes every registered temporary file and exits with 130.
fn remove_temporaries_and_exit() -> ! {
    let _renames_done = hold_off();
    remove_all(&lock_temporaries());
    std::process::exit(exit::INTERRUPTED)
}

fn remove_all(paths: &[PathBuf]) {
    for path in paths {
        let _ = std::fs::remove_file(path);
    }
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    state().interrupted.load(Ordering::SeqCst)
}

/// Resolves when Ctrl-C is pressed during a [`cooperative`] section.
pub async fn wait_for_interrupt() {
    let mut receiver = state().signal.subscribe();
    let _ = receiver.wait_for(|pressed| *pressed).await;
}

/// While the guard lives, the first Ctrl-C does not exit: it raises [`interrupted`].
pub fn cooperative() -> Cooperative {
    state().cooperative.fetch_add(1, Ordering::SeqCst);
    Cooperative(())
}

pub struct Cooperative(());

impl Drop for Cooperative {
    fn drop(&mut self) {
        state().cooperative.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A temporary file known to the handler until it is dropped (removed or renamed into place).
#[derive(Debug)]
pub(crate) struct Registered(PathBuf);

impl Registered {
    pub(crate) fn new(path: &Path) -> Self {
        lock_temporaries().push(path.to_owned());
        Registered(path.to_owned())
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut temporaries = lock_temporaries();
        if let Some(at) = temporaries.iter().position(|p| *p == self.0) {
            temporaries.swap_remove(at);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn is_registered_under(dir: &Path) -> bool {
        lock_temporaries().iter().any(|p| p.starts_with(dir))
    }

    #[test]
    fn registered_temporaries_are_known_until_dropped_and_removed_on_interrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".intune-reach-test.tmp");
        std::fs::write(&path, b"partial").unwrap();
        let registration = Registered::new(&path);
        assert!(lock_temporaries().contains(&path));
        // What the handler does before exiting.
        remove_all(&lock_temporaries().clone());
        assert!(!path.exists(), "a registered temporary file is removed on Ctrl-C");
        drop(registration);
        assert!(!lock_temporaries().contains(&path));
    }

    #[test]
    fn a_cooperative_section_counts_while_it_lives() {
        let before = state().cooperative.load(Ordering::SeqCst);
        let guard = cooperative();
        assert_eq!(state().cooperative.load(Ordering::SeqCst), before + 1);
        drop(guard);
        assert_eq!(state().cooperative.load(Ordering::SeqCst), before);
    }
}
