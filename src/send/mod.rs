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
use crate::report::{CsvOptions, Report};
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
    pub ledger: Ledger,
    /// The tenant the ledger counts for.
    pub tenant: String,
    pub out: PathBuf,
    pub csv: CsvOptions,
    /// Nothing on standard output (failures still go to standard error).
    pub quiet: bool,
    /// Standard output is the JSON summary.
    pub json: bool,
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
    say(options, &terminal::answer(&plan));
    say(options, &terminal::plan_line(&plan, options.groups.len()));
    say(options, &terminal::ledger_line(options.ledger.path(), &usage, &fits, dry_run));
    say(options, &terminal::permission_line(&permission));
    let mut files: Vec<String> = reports.iter().chain([&plan_path]).map(|p| p.display().to_string()).collect();
    let report_path = options.out.join(csv::REPORT_FILE);
    if dry_run {
        // The folder describes this run: a report of an earlier send beside a new plan would mislead.
        remove_if_present(&report_path)?;
        say(options, "Dry run: nothing was sent. Run again with --yes to send.");
        say(options, &format!("Reports: {}", files.join(", ")));
        return finish(options, &plan, None, exit::OK);
    }
    files.push(report_path.display().to_string());

    if let Some(refusal) = refusal(options, report, &permission) {
        let (code, message) = refusal;
        write_skipped(options, &plan, &report_path)?;
        eprintln!("{message}");
        say(options, &format!("Reports: {}", files.join(", ")));
        return finish(options, &plan, None, code);
    }
    let ids = match options.ledger.reserve(&options.tenant, &plan.requests, &options.notification, Utc::now()) {
        Ok(ids) => ids,
        Err(error) => {
            write_skipped(options, &plan, &report_path)?;
            return Err(error);
        }
    };

    // The first Ctrl-C now only stops new sends; the report is written before the process ends.
    let _finish_first = crate::interrupt::cooperative();
    let concurrency = options.concurrency;
    let dispatched = dispatch::run(
        sender,
        &options.notification,
        &plan.requests,
        concurrency,
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
    finish(options, &plan, Some(&dispatched), exit_code(&dispatched))
}

/// Why a send with `--yes` must not start, and its exit code: the gate (1), then the permission (3).
fn refusal(options: &SendOptions, report: Report<'_>, permission: &SendPermission) -> Option<(i32, String)> {
    let ready = report.audit.ready_percent();
    match (options.fail_under, permission) {
        (Some(threshold), _) if ready < threshold => Some((
            exit::GATE_FAILED,
            format!("fail-under: {ready:.1}% of users are ready, below the required {threshold}%: nothing was sent"),
        )),
        (_, SendPermission::Missing(hint)) => Some((exit::SOURCE, format!("error: nothing was sent: {hint}"))),
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

/// A report that says every request was skipped (a send stopped before its first request).
fn write_skipped(options: &SendOptions, plan: &Plan, path: &Path) -> Result<(), Error> {
    let skipped = vec![Outcome::skipped(); plan.requests.len()];
    csv::write_report(path, &plan.requests, &skipped, options.csv)
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
fn finish(options: &SendOptions, plan: &Plan, dispatched: Option<&Dispatched>, code: i32) -> Result<i32, Error> {
    if options.json {
        let summary = terminal::summary(plan, !options.yes, dispatched, code);
        write_stdout(&format!("{summary:#}"));
    }
    Ok(code)
}

/// A line for people on standard output (not with `--quiet` or `--format json`).
fn say(options: &SendOptions, line: &str) {
    if !options.quiet && !options.json {
        write_stdout(line);
    }
}

/// Writes a line on standard output; a reader that went away (`| head`) is not an error.
fn write_stdout(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

#[cfg(test)]
mod tests;
