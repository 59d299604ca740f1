//! The guarded send: audit the targets, then send only what will arrive, within Intune's limits
//! (`docs/send.md`). No peer checks anything before sending and Intune keeps no record of sends, so
//! this module does:
//!
//! - [`plan`]: from the audit of the target groups' users, who a send would reach and the requests it
//!   takes (one group send, or one device send per ready device);
//! - [`limits`]: Intune's limits (title, body, groups, hourly sends) checked before the first request;
//! - [`ledger`]: this tool's own sends, shared by concurrent runs under a file lock, for the hourly
//!   limits;
//! - [`dispatch`]: the careful writes (bounded concurrency, a write budget, a stop that never cuts a
//!   request in half, never a request sent twice);
//! - [`csv`]: `send-plan.csv` and `send-report.csv`; `terminal`: what is printed.
//!
//! [`run`] puts them in order once the audit is done: plan, dry run or gate, permission, ledger,
//! sends, report. Exit codes (the contract's): 0 a dry run, or every request `sent`; 1 the
//! `--fail-under` gate stopped the send; 2 a limit stopped it (nothing sent); 3 a request `failed` or
//! is `unknown`, or the token lacks the permission (nothing sent); 130 Ctrl-C stopped new sends (the
//! report says which were skipped; this wins over 3, as the run did not do what it was asked).

pub mod csv;
pub mod dispatch;
pub mod ledger;
pub mod limits;
pub mod plan;
mod terminal;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;

use crate::error::{exit, Error};
use crate::report::{CsvOptions, Report, StdoutFormat};
use crate::source::graph::{Notification, SendPermission, Sender};
use crate::source::progress::ProgressObserver;
use dispatch::{Dispatched, Outcome, Status, StopSignal};
use ledger::Ledger;
use plan::{Mode, Plan};

/// Everything a send needs besides the audit and the signed-in sender.
pub struct SendOptions {
    pub notification: Notification,
    /// The target groups (checked: 1 to 25, each once).
    pub groups: Vec<String>,
    pub mode: Mode,
    /// Without it nothing is sent.
    pub yes: bool,
    pub fail_under: Option<f64>,
    /// With `--fail-on-regression`: how many users were ready in the `--previous` audit and are not now.
    pub regressed: Option<usize>,
    pub ledger: Ledger,
    /// The tenant the ledger counts for.
    pub tenant: String,
    pub out: PathBuf,
    pub csv: CsvOptions,
    /// Nothing on standard output with `--format table` (failures still go to standard error).
    pub quiet: bool,
    /// What standard output shows: the lines for people (`table`; `markdown`, each a paragraph), or the
    /// JSON summary (`json`).
    pub format: StdoutFormat,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub progress: Arc<dyn ProgressObserver>,
    /// Whether new sends must stop (Ctrl-C).
    pub stop: StopSignal,
}

/// Plans the send from the audit in `report`, and (with `--yes`) sends it; `reports` are the audit's
/// files already written. Returns the exit code.
pub async fn run(
    options: &SendOptions,
    report: Report<'_>,
    sender: Arc<Sender>,
    reports: &[PathBuf],
) -> Result<i32, Error> {
    let plan = plan::build(report.audit, report.inventory, report.settings, &options.groups, options.mode);
    let plan_path = options.out.join(csv::PLAN_FILE);
    csv::write_plan(&plan_path, &plan, options.csv)?;
    let usage = options.ledger.usage(&options.tenant, Utc::now())?;
    let fits = usage.check(&plan.requests);
    let permission = sender.permission().await?;

    let dry_run = !options.yes;
    let checks = Checks { usage, fits, permission, gate: gate(options, report) };
    say(options, &terminal::answer(&plan));
    say(options, &terminal::plan_line(&plan, options.groups.len()));
    say(options, &terminal::ledger_line(options.ledger.path(), &checks.usage, &checks.fits, dry_run));
    say(options, &terminal::permission_line(&checks.permission));
    let mut files: Vec<String> = reports.iter().chain([&plan_path]).map(|p| p.display().to_string()).collect();
    let report_path = options.out.join(csv::REPORT_FILE);
    if dry_run {
        // The folder describes this run: a report of an earlier send beside a new plan would mislead.
        remove_if_present(&report_path)?;
        if let Some(gate) = &checks.gate {
            say(options, &format!("With --yes the gate would stop this send: {gate}."));
        }
        say(options, "Dry run: nothing was sent. Run again with --yes to send.");
        say(options, &format!("Reports: {}", files.join(", ")));
        return finish(options, &plan, &checks, None, exit::OK);
    }
    files.push(report_path.display().to_string());

    if let Some((code, message)) = refusal(&checks) {
        let skipped = write_skipped(options, &plan, &report_path)?;
        eprintln!("{message}");
        say(options, &format!("Reports: {}", files.join(", ")));
        return finish(options, &plan, &checks, Some(&skipped), code);
    }
    // From here the first Ctrl-C only stops new sends; the report is written before the process ends.
    // (Taken before the reservation, so that a Ctrl-C cannot leave reserved requests never sent.)
    let _finish_first = crate::interrupt::cooperative();
    let ids = match options.ledger.reserve(&options.tenant, &plan.requests, &options.notification, Utc::now()) {
        Ok(ids) => ids,
        Err(error) => {
            write_skipped(options, &plan, &report_path)?;
            return Err(error);
        }
    };

    let dispatched = dispatch::run(
        sender,
        &options.notification,
        &plan.requests,
        options.concurrency,
        options.stop.clone(),
        options.progress.clone(),
    )
    .await;
    let settled: Vec<(String, ledger::Settled)> =
        ids.into_iter().zip(&dispatched.outcomes).map(|(id, outcome)| (id, outcome.settled())).collect();
    if let Err(error) = options.ledger.settle(&settled, Utc::now()) {
        eprintln!(
            "warning: the outcomes could not be written to the send ledger (its reservations still count): {error}"
        );
    }
    csv::write_report(&report_path, &plan.requests, &dispatched.outcomes, options.csv)?;

    for line in terminal::failures(&plan, &dispatched) {
        eprintln!("{line}");
    }
    say(options, &terminal::results(&dispatched));
    say(options, &format!("Reports: {}", files.join(", ")));
    finish(options, &plan, &checks, Some(&dispatched), exit_code(&dispatched))
}

/// What was checked before sending: the ledger's count and whether the plan fits it, the token's
/// permission, and the `--fail-under` gate (the sentence that says why it fails, or `None`).
struct Checks {
    usage: limits::Usage,
    fits: Result<(), String>,
    permission: SendPermission,
    gate: Option<String>,
}

/// Why the gate (`--fail-under`, `--fail-on-regression`) fails, or `None` when it passes (or is not
/// given).
fn gate(options: &SendOptions, report: Report<'_>) -> Option<String> {
    let ready = report.audit.ready_percent();
    if let Some(threshold) = options.fail_under.filter(|threshold| ready < *threshold) {
        return Some(format!("{ready:.1}% of users are ready, below --fail-under {threshold}%"));
    }
    let regressed = options.regressed.filter(|regressed| *regressed > 0)?;
    Some(format!("{regressed} user(s) were ready in the previous audit and are not now (--fail-on-regression)"))
}

/// Why a send with `--yes` must not start, and its exit code: the gate (1), then the permission (3).
/// (The ledger's limits are checked again, under its lock, when the requests are reserved.)
fn refusal(checks: &Checks) -> Option<(i32, String)> {
    if let Some(gate) = &checks.gate {
        return Some((exit::GATE_FAILED, format!("fail-under: {gate}: nothing was sent")));
    }
    match &checks.permission {
        SendPermission::Missing(hint) => Some((exit::SOURCE, format!("error: nothing was sent: {hint}"))),
        _ => None,
    }
}

fn exit_code(dispatched: &Dispatched) -> i32 {
    let all_sent = dispatched.outcomes.iter().all(|o| o.status == Status::Sent);
    match (dispatched.interrupted, all_sent) {
        (true, _) => exit::INTERRUPTED,
        (false, true) => exit::OK,
        (false, false) => exit::SOURCE,
    }
}

/// A report that says every request was skipped (a send stopped before its first request); the
/// outcomes it wrote.
fn write_skipped(options: &SendOptions, plan: &Plan, path: &Path) -> Result<Dispatched, Error> {
    let skipped =
        Dispatched { outcomes: vec![Outcome::skipped(); plan.requests.len()], interrupted: false, refused: None };
    csv::write_report(path, &plan.requests, &skipped.outcomes, options.csv)?;
    Ok(skipped)
}

fn remove_if_present(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::Output { path: path.to_owned(), source: error })
        }
        _ => Ok(()),
    }
}

/// Prints the JSON summary when asked for, and returns `code`.
fn finish(
    options: &SendOptions,
    plan: &Plan,
    checks: &Checks,
    dispatched: Option<&Dispatched>,
    code: i32,
) -> Result<i32, Error> {
    if options.format == StdoutFormat::Json {
        let summary = terminal::summary(plan, !options.yes, options.ledger.path(), checks, dispatched, code);
        write_stdout(&format!("{summary:#}"));
    }
    Ok(code)
}

/// A line for people on standard output (not with `--quiet` or `--format json`); with `--format
/// markdown`, a paragraph of escaped text.
fn say(options: &SendOptions, line: &str) {
    match options.format {
        StdoutFormat::Table if !options.quiet => write_stdout(line),
        StdoutFormat::Markdown => write_stdout(&format!("{}\n", crate::report::markdown::escape(line))),
        _ => {}
    }
}

/// Writes a line on standard output; a reader that went away (`| head`) is not an error.
fn write_stdout(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

#[cfg(test)]
mod tests;
