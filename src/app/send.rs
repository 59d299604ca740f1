//! `send`: the audit of the target groups' users and then the guarded send ([`crate::send`]), both on
//! one sign-in (an admin signs in once, and the token that read is the token that sends). The tenant is
//! the live one, or with `--demo` the simulated one, kept running until the sends are done.
//!
//! What is checked before anything is read: the title and body lengths, the groups (1 to 25), the
//! mode's options, the tenant id the ledger counts for, and the ledger's place.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use super::{
    demo_description, demo_graph_options, demo_tenant, graph_inventory, graph_options, load_and_audit, print, runtime,
    write_reports, Audited,
};
use crate::changes::Change;
use crate::cli::{SendArgs, SendTo};
use crate::error::Error;
use crate::inventory::Inventory;
use crate::report::{CsvOptions, Report, StdoutFormat};
use crate::rules::Settings;
use crate::send::ledger::Ledger;
use crate::send::plan::Mode;
use crate::send::{limits, SendOptions};
use crate::source::graph::{self, GraphSession, Notification};
use crate::{interrupt, sim};

/// The test hook for a short send timeout: seconds (fractions allowed) each send waits for its answer.
const SEND_TIMEOUT_VARIABLE: &str = "INTUNE_REACH_SEND_TIMEOUT";

/// One function of about 80 lines, on purpose: the demo's server and the signed-in session live from
/// the read through the audit to the sends, and the server stops whatever happened in between.
pub(super) fn send(args: &SendArgs) -> Result<i32, Error> {
    let notification = notification(args)?;
    let targets = &args.targets;
    let groups = limits::target_groups(&targets.groups)?;
    let mode = mode(targets.to, targets.include_at_risk)?;
    if !targets.demo && args.connection.tenant_id.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(Error::Usage(
            "send needs the tenant id, for its ledger of sends per tenant: pass --tenant-id or set AZURE_TENANT_ID"
                .to_owned(),
        ));
    }
    let ledger = Ledger::new(match &targets.ledger {
        Some(path) => path.clone(),
        None => Ledger::default_path()?,
    });
    let timeout = send_timeout()?;

    let runtime = runtime()?;
    let output = &args.output;
    let progress = crate::progress::observer(!output.quiet && std::io::stderr().is_terminal());
    let mut demo_server: Option<sim::server::RunningServer> = None;
    let mut connected: Option<(GraphSession, String)> = None;
    let load = |settings: &Settings| -> Result<Inventory, Error> {
        let mut options = if targets.demo {
            let (tenant, server_options) = demo_tenant(&args.demo_tenant, settings);
            let server = runtime.block_on(sim::server::start(tenant, server_options.clone(), 0))?;
            let options = demo_graph_options(&server, &server_options, &args.connection);
            demo_server = Some(server);
            options
        } else {
            graph_options(&args.connection, &groups, settings)?
        };
        options.groups = groups.clone();
        options.catalog = settings.apps.clone();
        options.also_request = vec![graph::permissions::SEND_PERMISSION];
        let session = runtime.block_on(GraphSession::connect(&options))?;
        let fetched = runtime.block_on(session.fetch(&options, progress.clone()))?;
        let tenant = options.tenant_id.clone().unwrap_or_default();
        let (kind, description) = match targets.demo {
            true => ("demo", demo_description(&args.demo_tenant)),
            false => ("graph", format!("Microsoft Graph tenant {tenant}")),
        };
        connected = Some((session, tenant));
        graph_inventory(fetched, kind, description)
    };
    let audited = load_and_audit(&groups, &args.rules, targets.allow_incomplete, output, load);
    let sent = audited.and_then(|Audited { settings, inventory, audit, changes }| {
        let Some((session, tenant)) = connected else {
            return Err(Error::Usage("the inventory was not read from Graph".to_owned()));
        };
        let report = Report { changes: changes.as_ref(), ..Report::new(&audit, &inventory, &settings) };
        let written = write_reports(report, output)?;
        if output.format == StdoutFormat::Markdown {
            // A pipeline's job summary: the audit's, then the send's lines.
            print(|out| output.format.reporter().render(report, out))?;
        }
        let regressed = changes.as_ref().map(|changes| changes.count(Change::Regressed));
        let options = SendOptions {
            notification,
            groups,
            mode,
            yes: targets.yes,
            fail_under: output.fail_under,
            regressed: regressed.filter(|_| output.fail_on_regression),
            ledger,
            tenant,
            out: output.out.clone(),
            csv: CsvOptions { delimiter: output.delimiter, bom: output.csv_bom },
            quiet: output.quiet,
            format: output.format,
            concurrency: usize::from(args.connection.max_concurrency),
            progress,
            stop: Arc::new(interrupt::interrupted),
        };
        let sender = Arc::new(session.sender(timeout));
        runtime.block_on(crate::send::run(&options, report, sender, &written))
    });
    if let Some(server) = demo_server {
        runtime.block_on(server.shutdown());
    }
    sent
}

/// How the notification is sent: `--include-at-risk` only adds devices to `--to ready-devices`.
fn mode(to: SendTo, include_at_risk: bool) -> Result<Mode, Error> {
    match (to, include_at_risk) {
        (SendTo::Groups, true) => Err(Error::Usage(
            "--include-at-risk adds devices to --to ready-devices; a group send reaches every supported device anyway"
                .to_owned(),
        )),
        (SendTo::Groups, false) => Ok(Mode::Groups),
        (SendTo::ReadyDevices, include_at_risk) => Ok(Mode::ReadyDevices { include_at_risk }),
    }
}

/// The notification's title and body (from `--body` or `--body-file`), checked against Intune's limits.
fn notification(args: &SendArgs) -> Result<Notification, Error> {
    let body = match (&args.body.body, &args.body.body_file) {
        (Some(body), _) => body.clone(),
        (None, Some(path)) => limits::body_from_file(path)?,
        (None, None) => return Err(Error::Usage("send needs --body TEXT or --body-file FILE".to_owned())),
    };
    limits::notification(&args.title, &body)
}

/// How long each send waits for its answer: `INTUNE_REACH_SEND_TIMEOUT` seconds (for tests), else the
/// default.
fn send_timeout() -> Result<Duration, Error> {
    let Ok(value) = std::env::var(SEND_TIMEOUT_VARIABLE) else { return Ok(graph::DEFAULT_SEND_TIMEOUT) };
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| Error::Usage(format!("{SEND_TIMEOUT_VARIABLE}={value}: expected a number of seconds above 0")))
}
