//! What a send prints: the answer ("412 of 530 users can receive it; 61 at risk; 57 cannot"), the
//! plan, what the ledger counts (and that it cannot see sends made elsewhere), the permission, and
//! after sending the tally and each failed or unknown request with Graph's and Intune's detail. For
//! people on standard output (failures on standard error); `--format json` prints [`summary`] instead.

use std::fmt::Write as _;

use serde_json::json;

use super::dispatch::{Dispatched, Status};
use super::limits::Usage;
use super::plan::{Mode, Plan};
use super::Checks;
use crate::source::graph::SendPermission;

/// What the ledger cannot know.
const INVISIBLE: &str = "Sends made elsewhere (the admin center, scripts, other ledgers) are invisible to it.";

/// At most this many failed or unknown requests are listed on the terminal (the report has them all).
const MAX_LISTED: usize = 20;

/// The answer, in one sentence.
pub fn answer(plan: &Plan) -> String {
    format!(
        "{} of {} users can receive it; {} at risk; {} cannot.",
        plan.ready_users, plan.users, plan.at_risk_users, plan.unreachable_users
    )
}

/// What the send would do.
pub fn plan_line(plan: &Plan, groups: usize) -> String {
    match plan.mode {
        Mode::Groups => format!(
            "Plan (--to groups): 1 group send to {groups} group{}; Intune delivers it to every supported device of \
             their users: {} devices of {} users (send-plan.csv says which will show it).",
            plural(groups),
            plan.planned_devices,
            plan.users_reached
        ),
        Mode::ReadyDevices { include_at_risk } => {
            let (at_risk, unreachable) = plan.left_out;
            let which = if include_at_risk { "ready and at-risk" } else { "ready" };
            let mut line = format!(
                "Plan (--to ready-devices): {} device send{}, to the {which} devices of {} users; not sent to: ",
                plan.requests.len(),
                plural(plan.requests.len()),
                plan.users_reached
            );
            if !include_at_risk {
                let _ = write!(line, "{at_risk} at-risk devices (--include-at-risk adds them), ");
            }
            let _ = write!(line, "{unreachable} unreachable devices.");
            line
        }
    }
}

/// What the ledger counts, and what it cannot see.
pub fn ledger_line(path: &std::path::Path, usage: &Usage, fits: &Result<(), String>, dry_run: bool) -> String {
    let mut line = format!(
        "Ledger {}: this tenant had {} group sends and {} device sends from this tool in the last hour. {INVISIBLE}",
        path.display(),
        usage.group_sends.len(),
        usage.device_send_count()
    );
    if let (Err(why), true) = (fits, dry_run) {
        let _ = write!(line, "\nWith --yes this send would be refused now: {why}.");
    }
    line
}

pub fn permission_line(permission: &SendPermission) -> String {
    let permission_name = crate::source::graph::permissions::SEND_PERMISSION;
    match permission {
        SendPermission::Granted => format!("Permission: the token grants {permission_name}."),
        SendPermission::Missing(hint) => format!("Permission: {hint}."),
        SendPermission::NotSaid => "Permission: the token does not say what it grants (it is not a JWT, or has \
            neither roles nor scp): Graph decides at the first send, and a 401 or 403 stops the sends."
            .to_owned(),
    }
}

/// The tally after sending, and why sends stopped early.
pub fn results(dispatched: &Dispatched) -> String {
    let count = |status: Status| dispatched.outcomes.iter().filter(|o| o.status == status).count();
    let mut text = format!(
        "Sent {} of {} requests: {} failed, {} unknown, {} skipped.",
        count(Status::Sent),
        dispatched.outcomes.len(),
        count(Status::Failed),
        count(Status::Unknown),
        count(Status::Skipped)
    );
    if dispatched.interrupted {
        text.push_str("\nInterrupted: the requests not started were skipped; those in flight were finished.");
    }
    if let Some(error) = &dispatched.refused {
        let _ = write!(text, "\nGraph refused the token or the permission, so new sends stopped: {error}");
    }
    text
}

/// Each failed or unknown request with its error (at most [`MAX_LISTED`]), for standard error.
pub fn failures(plan: &Plan, dispatched: &Dispatched) -> Vec<String> {
    let failed: Vec<String> = plan
        .requests
        .iter()
        .zip(&dispatched.outcomes)
        .filter(|(_, outcome)| matches!(outcome.status, Status::Failed | Status::Unknown))
        .map(|(request, outcome)| {
            let error = outcome.error.as_ref().map(|e| e.to_string()).unwrap_or_else(|| "no answer".to_owned());
            format!("{}: {} {}: {error}", outcome.status.as_str(), request.kind.as_str(), request.targets.join(", "))
        })
        .collect();
    let mut lines: Vec<String> = failed.iter().take(MAX_LISTED).cloned().collect();
    if failed.len() > MAX_LISTED {
        lines.push(format!("... and {} more (send-report.csv lists every request)", failed.len() - MAX_LISTED));
    }
    lines
}

/// The `--format json` document.
pub fn summary(
    plan: &Plan,
    dry_run: bool,
    ledger: &std::path::Path,
    checks: &Checks,
    dispatched: Option<&Dispatched>,
    exit_code: i32,
) -> serde_json::Value {
    let count =
        |status: Status| dispatched.map(|d| d.outcomes.iter().filter(|o| o.status == status).count()).unwrap_or(0);
    let permission = match &checks.permission {
        SendPermission::Granted => json!({"status": "granted"}),
        SendPermission::Missing(hint) => json!({"status": "missing", "hint": hint}),
        SendPermission::NotSaid => json!({"status": "not-said"}),
    };
    json!({
        "mode": plan.mode.name(),
        "dry_run": dry_run,
        "gate": checks.gate,
        "permission": permission,
        "ledger": {
            "path": ledger.display().to_string(),
            "group_sends_last_hour": checks.usage.group_sends.len(),
            "device_sends_last_hour": checks.usage.device_send_count(),
            "over_limit": checks.fits.as_ref().err(),
            "note": INVISIBLE,
        },
        "users": {
            "total": plan.users,
            "ready": plan.ready_users,
            "at_risk": plan.at_risk_users,
            "unreachable": plan.unreachable_users,
            "reached": plan.users_reached,
        },
        "planned_devices": plan.planned_devices,
        "requests": plan.requests.len(),
        "results": {
            "sent": count(Status::Sent),
            "failed": count(Status::Failed),
            "unknown": count(Status::Unknown),
            "skipped": count(Status::Skipped),
        },
        "exit_code": exit_code,
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
