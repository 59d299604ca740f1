//! Runs a parsed command line: picks the source, runs the audit, writes the reports, and decides the
//! exit code. Everything the binary does, minus argument parsing and printing the final error.

use std::io::{IsTerminal, Write};
use std::path::Path;

use chrono::Utc;
use clap::CommandFactory;

use crate::audit;
use crate::changes::{self, Change, Changes};
use crate::cli::{
    AuditArgs, Cli, Command, CompletionsArgs, ConnectionArgs, DemoTenantArgs, DiffArgs, DiffFormat, DoctorArgs,
    DoctorFormat, FaultArgs, FetchArgs, ManArgs, OutputArgs, PermissionsArgs, PermissionsFormat, RuleArgs, RulesArgs,
    RulesFormat, ServeArgs, SimCommand, SnapshotArgs, TenantCheckArgs,
};
use crate::error::{exit, Error, Incomplete};
use crate::inventory::{Inventory, SourceInfo};
use crate::report::{self, CsvOptions, Report, ReportFiles};
use crate::rules::Settings;
use crate::source::{self, graph};
use crate::{interrupt, output, sim};

mod send;

/// Logs on standard error: `-v` info, `-vv` debug (RUST_LOG, when set, wins).
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "intune_reach=info",
        _ => "intune_reach=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Runs a command and returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    init_logging(match &cli.command {
        Command::Audit(args) => args.output.verbose,
        Command::Send(args) => args.output.verbose,
        Command::Fetch(args) => args.verbose,
        Command::Doctor(args) => args.verbose,
        _ => 0,
    });
    interrupt::install()?;
    match cli.command {
        Command::Audit(args) => audit(&args),
        Command::Fetch(args) => fetch(&args),
        Command::Send(args) => send::send(&args),
        Command::Rules(args) => rules(&args),
        Command::Diff(args) => diff(&args),
        Command::Doctor(args) => doctor(&args),
        Command::Permissions(args) => permissions(&args),
        Command::Sim(SimCommand::Snapshot(args)) => sim_snapshot(&args),
        Command::Sim(SimCommand::Serve(args)) => sim_serve(&args),
        Command::Completions(args) => completions(&args),
        Command::Man(args) => man(&args),
    }
}

/// Writes to standard output; a reader that went away (`| head`) is not an error.
fn print(render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match render(&mut stdout).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result.map_err(|source| Error::Output { path: "standard output".into(), source }),
    }
}

fn settings(
    as_of: Option<chrono::DateTime<Utc>>,
    config: Option<&Path>,
    stale_days: Option<u32>,
    levels: &[String],
) -> Result<Settings, Error> {
    let mut settings = Settings::new(as_of.unwrap_or_else(Utc::now));
    if let Some(config) = config {
        crate::config::apply_file(&mut settings, config)?;
    }
    if let Some(days) = stale_days {
        settings.stale_days = days;
    }
    for level in levels {
        settings.apply_level_override(level)?;
    }
    Ok(settings)
}

fn check_groups(groups: &[String]) -> Result<(), Error> {
    if groups.len() > graph::MAX_GROUPS {
        return Err(Error::Usage(format!(
            "--group given {} times: a notification targets at most {} groups",
            groups.len(),
            graph::MAX_GROUPS
        )));
    }
    Ok(())
}

fn load_inventory(args: &AuditArgs, settings: &Settings) -> Result<Inventory, Error> {
    let source = &args.source;
    if let Some(path) = &source.snapshot {
        return source::snapshot::load(path);
    }
    if let Some(devices) = &source.intune_export {
        return source::intune_export::load(
            devices,
            source.apps_export.as_deref(),
            source.members_export.as_deref(),
            &settings.apps,
            &source::intune_export::ExportOptions { date_order: source.date_order },
        );
    }
    let progress = crate::progress::observer(!args.output.quiet && std::io::stderr().is_terminal());
    if source.demo {
        return demo_inventory(args, settings, progress);
    }
    let options = graph_options(&args.connection, &args.scope.groups, settings)?;
    let fetched = runtime()?.block_on(graph::fetch(&options, progress))?;
    graph_inventory(fetched, "graph", format!("Microsoft Graph tenant {}", options.tenant_id.as_deref().unwrap_or("?")))
}

/// The demo: a generated tenant, served by the simulated Graph on an ephemeral loopback port and read
/// through the real Graph client (sign-in, paging, retries), exactly as a live tenant is. The sign-in
/// flags choose the simulated flow: `--interactive` (the simulator's authorize page sends the browser
/// straight back), `--device-code` (it approves after one poll), `--managed-identity` (its identity
/// endpoint); else the simulator's client secret.
fn demo_inventory(
    args: &AuditArgs,
    settings: &Settings,
    progress: std::sync::Arc<dyn source::progress::ProgressObserver>,
) -> Result<Inventory, Error> {
    let (tenant, server_options) = demo_tenant(&args.demo_tenant, settings);
    let fetched = runtime()?.block_on(async {
        let server = sim::server::start(tenant, server_options.clone(), 0).await?;
        let mut options = demo_graph_options(&server, &server_options, &args.connection);
        options.groups = args.scope.groups.clone();
        options.catalog = settings.apps.clone();
        let fetched = graph::fetch(&options, progress).await;
        server.shutdown().await;
        fetched
    })?;
    graph_inventory(fetched, "demo", demo_description(&args.demo_tenant))
}

/// The demo's generated tenant and the simulated Graph's options for it.
fn demo_tenant(
    demo: &DemoTenantArgs,
    settings: &Settings,
) -> (std::sync::Arc<sim::tenant::SimTenant>, sim::server::ServerOptions) {
    let tenant = std::sync::Arc::new(sim::generator::generate(demo.devices, demo.seed, settings.as_of));
    let server_options = sim::server::ServerOptions {
        apple_push: demo.apple_push,
        managed_google_play: demo.managed_google_play,
        tenant_clock: Some(settings.as_of),
        ..Default::default()
    };
    (tenant, server_options)
}

fn demo_description(demo: &DemoTenantArgs) -> String {
    format!("demo tenant ({} devices, seed {}) via the simulated Graph", demo.devices, demo.seed)
}

/// The Graph client's options for the demo's simulated Graph, signing in the way the flags choose.
fn demo_graph_options(
    server: &sim::server::RunningServer,
    server_options: &sim::server::ServerOptions,
    connection: &ConnectionArgs,
) -> graph::GraphOptions {
    let credential = if connection.interactive {
        graph::Credential::Interactive { redirect_port: connection.redirect_port }
    } else if connection.device_code {
        graph::Credential::DeviceCode
    } else if connection.managed_identity {
        graph::Credential::ManagedIdentity(graph::ManagedIdentity {
            client_id: connection.managed_identity_client_id.clone(),
            endpoint: graph::IdentityEndpoint::AppService {
                url: format!("{}/msi/token", server.url),
                header: graph::Secret::new(server_options.sign_in.identity_header.clone()),
            },
        })
    } else {
        graph::Credential::Secret(graph::Secret::new(server_options.client_secret.clone()))
    };
    let mut options = graph::GraphOptions::new(credential);
    options.graph_url = Some(server.url.clone());
    options.login_url = Some(server.url.clone());
    options.tenant_id = Some(server.tenant_id.clone());
    options.client_id = Some(server_options.client_id.clone());
    options.apps_via = connection.apps_via;
    options.devices_via = connection.devices_via;
    options.export_jobs.timeout = std::time::Duration::from_secs(connection.export_job_timeout);
    options.require_count_match = connection.require_count_match;
    options.browser = graph::Browser::from_env();
    options
}

/// An inventory from what the Graph client read, with its telemetry.
fn graph_inventory(fetched: graph::Fetched, kind: &str, description: String) -> Result<Inventory, Error> {
    let source = SourceInfo {
        kind: kind.to_owned(),
        description,
        complete: true,
        warnings: fetched.telemetry.notes.clone(),
        telemetry: serde_json::to_value(&fetched.telemetry).ok(),
        ..Default::default()
    };
    fetched.to_inventory(source)
}

/// The Graph client's options from the connection flags and the environment.
fn graph_options(
    connection: &ConnectionArgs,
    groups: &[String],
    settings: &Settings,
) -> Result<graph::GraphOptions, Error> {
    let credential = graph::credential_from_flags(&graph::SignInFlags {
        secret_file: connection.client_secret_file.as_deref(),
        certificate: connection.certificate.as_deref(),
        interactive: connection.interactive,
        redirect_port: connection.redirect_port,
        device_code: connection.device_code,
        managed_identity: connection.managed_identity,
        managed_identity_client_id: connection.managed_identity_client_id.as_deref(),
    })?;
    let mut options = graph::GraphOptions::new(credential);
    options.browser = graph::Browser::from_env();
    options.cloud = connection.cloud;
    options.graph_url = connection.graph_url.clone();
    options.login_url = connection.login_url.clone();
    options.tenant_id = connection.tenant_id.clone();
    options.client_id = connection.client_id.clone();
    options.apps_via = connection.apps_via;
    options.devices_via = connection.devices_via;
    options.export_jobs.timeout = std::time::Duration::from_secs(connection.export_job_timeout);
    options.max_concurrency = usize::from(connection.max_concurrency);
    options.groups = groups.to_vec();
    options.catalog = settings.apps.clone();
    options.require_count_match = connection.require_count_match;
    Ok(options)
}

fn fetch(args: &FetchArgs) -> Result<i32, Error> {
    check_groups(&args.groups)?;
    let settings = settings(None, args.config.as_deref(), None, &[])?;
    let progress = crate::progress::observer(!args.quiet && std::io::stderr().is_terminal());
    let options = graph_options(&args.connection, &args.groups, &settings)?;
    let fetched = runtime()?.block_on(graph::fetch(&options, progress))?;
    let snapshot = &fetched.snapshot;
    source::snapshot::write(&args.out, snapshot)?;
    if !args.quiet {
        for note in &fetched.telemetry.notes {
            eprintln!("warning: {note}");
        }
        eprintln!(
            "wrote {} ({} devices, {} detected apps, {} groups; {} requests)",
            args.out.display(),
            snapshot.managed_devices.len(),
            snapshot.detected_apps.len(),
            snapshot.groups.len(),
            fetched.telemetry.requests
        );
    }
    if !snapshot.complete {
        let (gaps, written) = (snapshot.gaps.clone(), Some(args.out.clone()));
        return Err(Error::Incomplete(Incomplete { inventory: None, gaps, written }));
    }
    Ok(exit::OK)
}

/// An audit done: what it read, how it judged, what it found, and what changed since `--previous`.
struct Audited {
    settings: Settings,
    inventory: Inventory,
    audit: audit::Audit,
    changes: Option<Changes>,
}

/// The audit of `audit` and `send`: the settings from the rule options, the inventory from `load`,
/// scoped to `groups` (at most 25), refused when incomplete unless `allow_incomplete`, then audited
/// and compared with `--previous`.
fn load_and_audit(
    groups: &[String],
    rules: &RuleArgs,
    allow_incomplete: bool,
    output: &OutputArgs,
    load: impl FnOnce(&Settings) -> Result<Inventory, Error>,
) -> Result<Audited, Error> {
    check_groups(groups)?;
    let settings = settings(rules.as_of, rules.config.as_deref(), rules.stale_days, &rules.levels)?;
    // The earlier audit is read first: a folder that cannot be compared stops the run before a long read.
    let previous = output.previous.as_deref().map(changes::folder::read).transpose()?;
    let started = std::time::Instant::now();
    let mut inventory = load(&settings)?;
    // Only the target groups are read from here on; a large tenant's other groups are memory for nothing.
    inventory.groups.retain(|group| groups.iter().any(|id| id.trim().eq_ignore_ascii_case(&group.id)));
    tracing::info!(devices = inventory.devices.len(), seconds = started.elapsed().as_secs_f64(), "inventory read");
    if !inventory.source.complete && !allow_incomplete {
        let (description, gaps) = (inventory.source.description.clone(), inventory.source.gaps.clone());
        return Err(Error::Incomplete(Incomplete { inventory: Some(description), gaps, written: None }));
    }
    let started = std::time::Instant::now();
    audit::use_directory_spelling(&mut inventory, groups)?;
    let audit = audit::run(&inventory, &settings, groups)?;
    tracing::info!(users = audit.users.len(), seconds = started.elapsed().as_secs_f64(), "audit done");
    let changes = previous.map(|previous| {
        let info = report::changes::audit_info(Report::new(&audit, &inventory, &settings), &output.out);
        Changes::since(previous, info, &audit)
    });
    Ok(Audited { settings, inventory, audit, changes })
}

/// Writes the audit's report files to `--out` (`report.html` unless `--no-html`, `changes.csv` with
/// `--previous`), all or none; returns their paths.
fn write_reports(report: Report<'_>, output: &OutputArgs) -> Result<Vec<std::path::PathBuf>, Error> {
    let started = std::time::Instant::now();
    let files = report::report_files(ReportFiles {
        csv: CsvOptions { delimiter: output.delimiter, bom: output.csv_bom },
        html: !output.no_html,
        changes: report.changes.is_some(),
    });
    let written = report::write_all(report, &output.out, &files)?;
    tracing::info!(seconds = started.elapsed().as_secs_f64(), "reports written");
    Ok(written)
}

fn audit(args: &AuditArgs) -> Result<i32, Error> {
    let load = |settings: &Settings| load_inventory(args, settings);
    let output = &args.output;
    let Audited { settings, inventory, audit, changes } =
        load_and_audit(&args.scope.groups, &args.rules, args.source.allow_incomplete, output, load)?;
    let report = Report { changes: changes.as_ref(), ..Report::new(&audit, &inventory, &settings) };
    let written = write_reports(report, output)?;

    if !output.quiet || output.format != report::StdoutFormat::Table {
        print(|out| {
            output.format.reporter().render(report, out)?;
            if output.format == report::StdoutFormat::Table {
                let names: Vec<_> = written.iter().map(|p| p.display().to_string()).collect();
                writeln!(out, "\nReports: {}", names.join(", "))?;
            }
            Ok(())
        })?;
    }

    let ready_percent = audit.ready_percent();
    let regressed = changes.as_ref().map_or(0, |changes| changes.count(Change::Regressed));
    // The process ends right after this: freeing a million devices one by one would only add time.
    std::mem::forget(audit);
    std::mem::forget(inventory);
    std::mem::forget(changes);
    let mut code = exit::OK;
    if let Some(threshold) = output.fail_under.filter(|threshold| ready_percent < *threshold) {
        if !output.quiet {
            eprintln!("fail-under: {ready_percent:.1}% of users are ready, below the required {threshold}%");
        }
        code = exit::GATE_FAILED;
    }
    if output.fail_on_regression && regressed > 0 {
        if !output.quiet {
            eprintln!("fail-on-regression: {regressed} user(s) were ready in the previous audit and are not now");
        }
        code = exit::GATE_FAILED;
    }
    Ok(code)
}

/// `diff OLD NEW`: compares two audit folders.
fn diff(args: &DiffArgs) -> Result<i32, Error> {
    let (old, new) = (changes::folder::read(&args.old)?, changes::folder::read(&args.new)?);
    let changes = Changes::between(old.info, old.users, new.info, new.users);
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|source| Error::Output { path: dir.clone(), source })?;
        output::write_file(&dir.join("changes.csv"), |out| {
            report::changes::write_csv(&changes, out, CsvOptions::default())
        })?;
    }
    print(|out| match args.format {
        DiffFormat::Table => out.write_all(report::changes::diff_table(&changes).as_bytes()),
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report::changes::diff_json(&changes))?;
            writeln!(out)
        }
        DiffFormat::Markdown => out.write_all(report::markdown::diff(&changes).as_bytes()),
    })?;
    let regressed = changes.count(Change::Regressed);
    if args.fail_on_regression && regressed > 0 {
        eprintln!("fail-on-regression: {regressed} user(s) were ready in the earlier audit and are not now");
        return Ok(exit::GATE_FAILED);
    }
    Ok(exit::OK)
}

fn rules(args: &RulesArgs) -> Result<i32, Error> {
    let settings = settings(None, args.config.as_deref(), None, &[])?;
    print(|out| match args.format {
        RulesFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report::rules::json(&settings))?;
            writeln!(out)
        }
        RulesFormat::Markdown => out.write_all(report::rules::markdown(&settings).as_bytes()),
        RulesFormat::Table => writeln!(out, "{}", report::rules::table(&settings, std::io::stdout().is_terminal())),
    })?;
    Ok(exit::OK)
}

fn doctor(args: &DoctorArgs) -> Result<i32, Error> {
    let settings = settings(None, args.config.as_deref(), None, &[])?;
    let options = graph_options(&args.connection, &[], &settings)?;
    let diagnosis = runtime()?.block_on(crate::doctor::diagnose(&options))?;
    print(|out| match args.format {
        DoctorFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &diagnosis)?;
            writeln!(out)
        }
        DoctorFormat::Table => out.write_all(crate::doctor::render::text(&diagnosis).as_bytes()),
    })?;
    Ok(exit::OK)
}

fn permissions(args: &PermissionsArgs) -> Result<i32, Error> {
    print(|out| match args.format {
        PermissionsFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &graph::permissions::json())?;
            writeln!(out)
        }
        PermissionsFormat::Table => writeln!(out, "{}", graph::permissions::table(std::io::stdout().is_terminal())),
    })?;
    Ok(exit::OK)
}

fn completions(args: &CompletionsArgs) -> Result<i32, Error> {
    let mut command = Cli::command();
    print(|out| {
        clap_complete::generate(args.shell, &mut command, "intune-reach", out);
        Ok(())
    })?;
    Ok(exit::OK)
}

/// One page per command: `intune-reach.1`, `intune-reach-audit.1`, `intune-reach-sim-serve.1`, ...
fn man(args: &ManArgs) -> Result<i32, Error> {
    std::fs::create_dir_all(&args.out).map_err(|source| Error::Output { path: args.out.clone(), source })?;
    fn pages(command: clap::Command, name: String, out: &mut Vec<(String, clap::Command)>) {
        let subcommands: Vec<clap::Command> =
            command.get_subcommands().filter(|sub| sub.get_name() != "help").cloned().collect();
        out.push((name.clone(), command));
        for sub in subcommands {
            let sub_name = format!("{name}-{}", sub.get_name());
            pages(sub.name(sub_name.clone()), sub_name, out);
        }
    }
    let mut command = Cli::command();
    command.build();
    let mut list = Vec::new();
    pages(command, "intune-reach".to_owned(), &mut list);
    for (name, command) in list {
        let path = args.out.join(format!("{name}.1"));
        output::write_file(&path, |out| clap_mangen::Man::new(command).render(out))?;
    }
    Ok(exit::OK)
}

fn sim_snapshot(args: &SnapshotArgs) -> Result<i32, Error> {
    let now = args.tenant.as_of.unwrap_or_else(Utc::now);
    let tenant = sim::generator::generate(args.tenant.devices, args.tenant.seed, now);
    let mut snapshot = tenant.to_snapshot(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "simulated");
    let checks = &args.tenant_checks;
    snapshot.tenant =
        sim::server::tenant_section(checks.apple_push, checks.managed_google_play, now, &tenant.tenant_id);
    if args.full_objects {
        let devices = std::mem::take(&mut snapshot.managed_devices);
        let full = snapshot.with_devices(devices.iter().map(sim::full_device::FullDevice).collect());
        source::snapshot::write(&args.out, &full)?;
    } else {
        source::snapshot::write(&args.out, &snapshot)?;
    }
    Ok(exit::OK)
}

/// The simulated Graph's options from the fault and tenant-check flags.
pub fn server_options(faults: &FaultArgs, checks: &TenantCheckArgs) -> Result<sim::server::ServerOptions, Error> {
    let throttle = faults.throttle.as_deref().map(str::parse::<sim::server::Throttle>).transpose()?;
    let defaults = sim::server::ExportJobOptions::default();
    let export_jobs = sim::server::ExportJobOptions {
        job_seconds: faults.export_job_seconds,
        stranded: faults.export_stranded,
        failed: faults.export_failed,
        throttle: match faults.export_throttle.as_deref() {
            Some(throttle) => Some(throttle.parse()?),
            None => defaults.throttle,
        },
        bad_zip: faults.export_bad_zip,
        bad_csv: faults.export_bad_csv,
    };
    Ok(sim::server::ServerOptions {
        latency_ms: faults.latency_ms,
        throttle,
        no_retry_after: faults.no_retry_after,
        error_rate: faults.error_rate,
        token_lifetime_secs: faults.token_lifetime,
        expire_skiptokens_after: faults.expire_skiptokens_after,
        repeat_next_link: faults.repeat_next_link,
        hide_devices: faults.hide_devices,
        max_seconds: Some(faults.max_seconds),
        apple_push: checks.apple_push,
        managed_google_play: checks.managed_google_play,
        sends: sim::server::SendFaults {
            throttle: faults.send_throttle.as_deref().map(str::parse::<sim::server::Throttle>).transpose()?,
            error_rate: faults.send_error_rate,
            hang_nth: faults.hang_send,
        },
        sign_in: sim::server::SignInOptions {
            app_roles: sim::server::SignInOptions::default()
                .app_roles
                .into_iter()
                .filter(|role| !(faults.no_send_permission && role == graph::permissions::SEND_PERMISSION))
                .collect(),
            ..Default::default()
        },
        export_jobs,
        ..Default::default()
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime { what: "cannot start the async runtime", source: e.into() })
}

fn sim_serve(args: &ServeArgs) -> Result<i32, Error> {
    let now = args.tenant.as_of.unwrap_or_else(Utc::now);
    let options =
        sim::server::ServerOptions { tenant_clock: Some(now), ..server_options(&args.faults, &args.tenant_checks)? };
    let tenant = std::sync::Arc::new(sim::generator::generate(args.tenant.devices, args.tenant.seed, now));
    let (client_id, client_secret) = (options.client_id.clone(), options.client_secret.clone());
    let groups: Vec<String> =
        tenant.groups.iter().map(|g| format!("  --group {}  ({})", g.id, g.display_name)).collect();
    runtime()?.block_on(async move {
        let server = sim::server::start(tenant, options, args.port).await?;
        // What a client needs, in the form of the environment it reads (the secret is the simulator's own).
        let banner = format!(
            "simulated Graph listening on {url}\n  --graph-url {url} --login-url {url}\n  AZURE_TENANT_ID={tenant}\n  \
AZURE_CLIENT_ID={client_id}\n  AZURE_CLIENT_SECRET={client_secret}\ngroups (for --group):\n{groups}\n\
notification sends it accepted: GET {url}/sim/sends\nstops after {seconds} s (--max-seconds) or on Ctrl-C",
            url = server.url,
            tenant = server.tenant_id,
            groups = groups.join("\n"),
            seconds = args.faults.max_seconds,
        );
        // A closed standard output (`| head`) must not stop the server.
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{banner}").and_then(|()| stdout.flush());
        drop(stdout);
        // Ctrl-C ends the process (the interrupt handler): nothing is written, nothing to clean up.
        server.wait().await;
        Ok(exit::OK)
    })
}
