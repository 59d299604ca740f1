//! The send's two files, in `--out` beside the audit's reports, with the reports' CSV options (`--csv-bom`,
//! `--delimiter`) and their formula guard; each written whole or not at all.
//!
//! - `send-plan.csv`: `recipient, device_id, device_name, verdict, planned, why`, one row per targeted
//!   user's device (one with an empty device for a user with none), `planned` `yes` or `no`.
//! - `send-report.csv`: `target, kind, status, http_status, request_id, time`, one row per target of
//!   each request (a group send has one row per group, sharing the request's answer), `kind` `group`
//!   or `device`, `status` `sent`, `failed`, `unknown` or `skipped`, `time` RFC 3339 UTC (empty for a
//!   request never sent).

use std::path::Path;

use chrono::SecondsFormat;

use super::dispatch::Outcome;
use super::limits::Request;
use super::plan::Plan;
use crate::error::Error;
use crate::report::{guard_formula, CsvOptions};

pub const PLAN_FILE: &str = "send-plan.csv";
pub const REPORT_FILE: &str = "send-report.csv";
pub const PLAN_COLUMNS: [&str; 6] = ["recipient", "device_id", "device_name", "verdict", "planned", "why"];
pub const REPORT_COLUMNS: [&str; 6] = ["target", "kind", "status", "http_status", "request_id", "time"];

/// Writes `send-plan.csv` at `path`.
pub fn write_plan(path: &Path, plan: &Plan, options: CsvOptions) -> Result<(), Error> {
    write_csv(path, options, &PLAN_COLUMNS, |row| {
        for r in &plan.rows {
            row(&[&r.recipient, &r.device_id, &r.device_name, r.verdict.as_str(), yes_no(r.planned), &r.why])?;
        }
        Ok(())
    })
}

/// Writes `send-report.csv` at `path`: `outcomes[i]` is the outcome of `requests[i]`.
pub fn write_report(path: &Path, requests: &[Request], outcomes: &[Outcome], options: CsvOptions) -> Result<(), Error> {
    write_csv(path, options, &REPORT_COLUMNS, |row| {
        for (request, outcome) in requests.iter().zip(outcomes) {
            let http_status = outcome.http_status.map(|s| s.to_string()).unwrap_or_default();
            let time = outcome.time.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default();
            let request_id = outcome.request_id.as_deref().unwrap_or("");
            for target in &request.targets {
                row(&[target, request.kind.as_str(), outcome.status.as_str(), &http_status, request_id, &time])?;
            }
        }
        Ok(())
    })
}

fn yes_no(planned: bool) -> &'static str {
    if planned {
        "yes"
    } else {
        "no"
    }
}

type Row<'r> = dyn FnMut(&[&str]) -> std::io::Result<()> + 'r;

/// Writes a header and the rows `rows` hands to its callback, each cell guarded against formulas.
fn write_csv(
    path: &Path,
    options: CsvOptions,
    header: &[&str],
    rows: impl FnOnce(&mut Row<'_>) -> std::io::Result<()>,
) -> Result<(), Error> {
    crate::output::write_file(path, |out| {
        if options.bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut writer = csv::WriterBuilder::new().delimiter(options.delimiter).from_writer(out);
        writer.write_record(header).map_err(std::io::Error::other)?;
        rows(&mut |cells: &[&str]| {
            writer
                .write_record(cells.iter().map(|cell| guard_formula(cell).into_owned()))
                .map_err(std::io::Error::other)
        })?;
        writer.flush()
    })
}

#[cfg(test)]
mod tests {
    use super::super::dispatch::Status;
    use super::super::ledger::Kind;
    use super::super::plan::{Mode, PlanRow};
    use super::*;
    use crate::audit::Verdict;

    #[test]
    fn the_plan_and_the_report_have_the_contracts_columns() {
        let dir = tempfile::tempdir().unwrap();
        let row = |recipient: &str, device: &str, verdict, planned, why: &str| PlanRow {
            recipient: recipient.into(),
            device_id: device.into(),
            device_name: format!("={device}"),
            verdict,
            planned,
            why: why.into(),
        };
        let plan = Plan {
            mode: Mode::Groups,
            rows: vec![
                row("ann@x", "d1", Verdict::Ready, true, "ready"),
                row("dee@x", "", Verdict::Unreachable, false, "no, none"),
            ],
            requests: vec![],
            users: 2,
            ready_users: 1,
            at_risk_users: 0,
            unreachable_users: 1,
            planned_devices: 1,
            users_reached: 1,
            left_out: (0, 0),
        };
        let path = dir.path().join(PLAN_FILE);
        write_plan(&path, &plan, CsvOptions { delimiter: b';', bom: true }).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "\u{feff}recipient;device_id;device_name;verdict;planned;why\nann@x;d1;'=d1;ready;yes;ready\n\
             dee@x;;'=;unreachable;no;no, none\n"
        );

        let requests = vec![
            Request { kind: Kind::Group, targets: vec!["g1".into(), "g2".into()] },
            Request { kind: Kind::Device, targets: vec!["d2".into()] },
        ];
        let time = chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:03.5Z").unwrap().with_timezone(&chrono::Utc);
        let sent = Outcome {
            status: Status::Sent,
            http_status: Some(204),
            request_id: Some("r1".into()),
            time: Some(time),
            error: None,
        };
        let path = dir.path().join(REPORT_FILE);
        write_report(&path, &requests, &[sent, Outcome::skipped()], CsvOptions::default()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "target,kind,status,http_status,request_id,time\ng1,group,sent,204,r1,2026-11-26T10:00:03Z\n\
             g2,group,sent,204,r1,2026-11-26T10:00:03Z\nd2,device,skipped,,,\n"
        );
    }
}
