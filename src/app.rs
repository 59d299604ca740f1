//! Runs a parsed command line: picks the source, runs the audit, writes the reports, and decides the
//! exit code. Everything the binary does, minus argument parsing and printing the final error.

use std::io::{IsTerminal, Write};
use std::path::Path;

use chrono::Utc;
use comfy_table::{presets, ContentArrangement, Table};

use crate::audit;
use crate::cli::{
    AuditArgs, Cli, Command, ConnectionArgs, FaultArgs, FetchArgs, OutputFormat, RulesArgs, ServeArgs, SimCommand,
    SnapshotArgs,
};
use crate::error::{exit, Error};
use crate::inventory::{Inventory, SourceInfo};
use crate::report::{self, CsvOptions, Report};
use crate::rules::Settings;
use crate::rules::REGISTRY;
use crate::sim;
use crate::source::{self, graph};

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
        Command::Audit(args) => args.verbose,
        Command::Fetch(args) => args.verbose,
        _ => 0,
    });
    match cli.command {
        Command::Audit(args) => audit(&args),
        Command::Fetch(args) => fetch(&args),
        Command::Rules(args) => rules(&args),
        Command::Sim(SimCommand::Snapshot(args)) => sim_snapshot(&args),
        Command::Sim(SimCommand::Serve(args)) => sim_serve(&args),
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
            args.graph.apps_export.as_deref(),
            args.graph.members_export.as_deref(),
            &settings.apps,
        );
    }
    let progress = !args.quiet && std::io::stderr().is_terminal();
    if source.demo {
        return demo_inventory(args, settings, progress);
    }
    let options = graph_options(&args.graph.connection, &args.groups, settings, progress)?;
    let fetched = runtime()?.block_on(graph::fetch(&options))?;
    graph_inventory(fetched, "graph", format!("Microsoft Graph tenant {}", options.tenant_id.as_deref().unwrap_or("?")))
}

/// The demo: a generated tenant, served by the simulated Graph on an ephemeral loopback port and read
/// through the real Graph client (sign-in, paging, retries), exactly as a live tenant is.
fn demo_inventory(args: &AuditArgs, settings: &Settings, progress: bool) -> Result<Inventory, Error> {
    let (devices, seed) = (args.graph.devices, args.graph.seed);
    let tenant = std::sync::Arc::new(sim::generator::generate(devices, seed, settings.as_of));
    let server_options = sim::server::ServerOptions::default();
    let credential = graph::Credential::Secret(graph::Secret::new(server_options.client_secret.clone()));
    let client_id = server_options.client_id.clone();
    let fetched = runtime()?.block_on(async {
        let server = sim::server::start(tenant, server_options, 0).await?;
        let mut options = graph::GraphOptions::new(credential);
        options.graph_url = Some(server.url.clone());
        options.login_url = Some(server.url.clone());
        options.tenant_id = Some(server.tenant_id.clone());
        options.client_id = Some(client_id);
        options.groups = args.groups.clone();
        options.catalog = settings.apps.clone();
        options.progress = progress;
        let fetched = graph::fetch(&options).await;
        server.shutdown().await;
        fetched
    })?;
    graph_inventory(fetched, "demo", format!("demo tenant ({devices} devices, seed {seed}) via the simulated Graph"))
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
    fetched.snapshot.to_inventory(source).map_err(Error::Source)
}

/// The Graph client's options from the connection flags and the environment.
fn graph_options(
    connection: &ConnectionArgs,
    groups: &[String],
    settings: &Settings,
    progress: bool,
) -> Result<graph::GraphOptions, Error> {
    if connection.devices_via == "export" {
        return Err(Error::Usage(
            "--devices-via export (Intune report export jobs) is planned but not available yet; use --devices-via list"
                .to_owned(),
        ));
    }
    let credential =
        graph::credential_from_env(connection.client_secret_file.as_deref(), connection.certificate.as_deref())?;
    let mut options = graph::GraphOptions::new(credential);
    options.cloud = connection.cloud.parse()?;
    options.graph_url = connection.graph_url.clone();
    options.login_url = connection.login_url.clone();
    options.tenant_id = connection.tenant_id.clone();
    options.client_id = connection.client_id.clone();
    options.apps_via = connection.apps_via.parse()?;
    options.max_concurrency = usize::from(connection.max_concurrency);
    options.groups = groups.to_vec();
    options.catalog = settings.apps.clone();
    options.progress = progress;
    Ok(options)
}

fn fetch(args: &FetchArgs) -> Result<i32, Error> {
    check_groups(&args.groups)?;
    let settings = settings(None, args.config.as_deref(), None, &[])?;
    let progress = !args.quiet && std::io::stderr().is_terminal();
    let options = graph_options(&args.connection, &args.groups, &settings, progress)?;
    let fetched = runtime()?.block_on(graph::fetch(&options))?;
    let snapshot = &fetched.snapshot;
    source::snapshot::write(&args.out, snapshot)?;
    if !args.quiet {
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
        return Err(Error::Source(format!(
            "the inventory could not be read whole: {}. {} is marked incomplete (`\"complete\": false`)",
            snapshot.gaps.join("; "),
            args.out.display()
        )));
    }
    Ok(exit::OK)
}

fn audit(args: &AuditArgs) -> Result<i32, Error> {
    check_groups(&args.groups)?;
    let settings = settings(args.as_of, args.config.as_deref(), args.stale_days, &args.levels)?;
    let started = std::time::Instant::now();
    let mut inventory = load_inventory(args, &settings)?;
    // Only the target groups are read from here on; a large tenant's other groups are memory for nothing.
    inventory.groups.retain(|group| args.groups.iter().any(|id| id.trim().eq_ignore_ascii_case(&group.id)));
    tracing::info!(devices = inventory.devices.len(), seconds = started.elapsed().as_secs_f64(), "inventory read");
    if !inventory.source.complete && !args.allow_incomplete {
        let gaps = if inventory.source.gaps.is_empty() {
            String::new()
        } else {
            format!(": {}", inventory.source.gaps.join("; "))
        };
        return Err(Error::Source(format!(
            "the inventory ({}) could not be read whole{gaps}. No report was written; rerun with \
--allow-incomplete to write reports marked incomplete",
            inventory.source.description
        )));
    }
    let started = std::time::Instant::now();
    let audit = audit::run(&inventory, &settings, &args.groups)?;
    tracing::info!(users = audit.users.len(), seconds = started.elapsed().as_secs_f64(), "audit done");
    let started = std::time::Instant::now();
    let report = Report { audit: &audit, inventory: &inventory, settings: &settings };
    let written = report::write_all(report, &args.out, CsvOptions { delimiter: args.delimiter, bom: args.csv_bom })?;
    tracing::info!(seconds = started.elapsed().as_secs_f64(), "reports written");

    let mut stdout = std::io::stdout().lock();
    let printed = match args.format {
        OutputFormat::Json => serde_json::to_writer_pretty(&mut stdout, &report::json::summary(report))
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(stdout)),
        OutputFormat::Table if !args.quiet => {
            let names: Vec<_> = written.iter().map(|p| p.display().to_string()).collect();
            write!(stdout, "{}\nReports: {}\n", report::table::render(report), names.join(", "))
        }
        OutputFormat::Table => Ok(()),
    };
    match printed {
        // The reader went away (`| head`): the reports are written, nothing is lost.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        result => result.map_err(|source| Error::Output { path: "standard output".into(), source })?,
    }

    let ready_percent = audit.ready_percent();
    // The process ends right after this: freeing a million devices one by one would only add time.
    std::mem::forget(audit);
    std::mem::forget(inventory);
    match args.fail_under {
        Some(threshold) if ready_percent < threshold => {
            if !args.quiet {
                eprintln!("fail-under: {ready_percent:.1}% of users are ready, below the required {threshold}%");
            }
            Ok(exit::GATE_FAILED)
        }
        _ => Ok(exit::OK),
    }
}

fn rules(args: &RulesArgs) -> Result<i32, Error> {
    let settings = settings(None, args.config.as_deref(), None, &[])?;
    let mut stdout = std::io::stdout().lock();
    let result = match args.format {
        OutputFormat::Json => {
            let list: Vec<_> = REGISTRY
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "id": rule.id.as_str(),
                        "level": settings.level(rule.id).as_str(),
                        "default_level": rule.default_level.as_str(),
                        "checks": rule.checks,
                        "fail_means": rule.fail_means,
                        "fix": rule.fix,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut stdout, &list)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(stdout))
        }
        OutputFormat::Table => writeln!(stdout, "{}", rules_table(&settings, std::io::stdout().is_terminal())),
    };
    result.map_err(|source| Error::Output { path: "standard output".into(), source })?;
    Ok(exit::OK)
}

/// The rule list as a table (wrapped to the terminal when there is one).
pub fn rules_table(settings: &Settings, terminal: bool) -> String {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(if terminal {
        ContentArrangement::Dynamic
    } else {
        ContentArrangement::Disabled
    });
    table.set_header(vec!["id", "level", "what it checks", "what a fail means", "how to fix it"]);
    for rule in &REGISTRY {
        table.add_row(vec![rule.id.as_str(), settings.level(rule.id).as_str(), rule.checks, rule.fail_means, rule.fix]);
    }
    table.to_string()
}

fn sim_snapshot(args: &SnapshotArgs) -> Result<i32, Error> {
    let now = args.tenant.as_of.unwrap_or_else(Utc::now);
    let tenant = sim::generator::generate(args.tenant.devices, args.tenant.seed, now);
    let snapshot = tenant.to_snapshot(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "simulated");
    source::snapshot::write(&args.out, &snapshot)?;
    Ok(exit::OK)
}

/// The simulated Graph's options from the fault flags.
pub fn server_options(faults: &FaultArgs) -> Result<sim::server::ServerOptions, Error> {
    let throttle = faults.throttle.as_deref().map(str::parse::<sim::server::Throttle>).transpose()?;
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
        ..Default::default()
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Source(format!("cannot start the async runtime: {e}")))
}

fn sim_serve(args: &ServeArgs) -> Result<i32, Error> {
    let options = server_options(&args.faults)?;
    let now = args.tenant.as_of.unwrap_or_else(Utc::now);
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
stops after {seconds} s (--max-seconds) or on Ctrl-C",
            url = server.url,
            tenant = server.tenant_id,
            groups = groups.join("\n"),
            seconds = args.faults.max_seconds,
        );
        // A closed standard output (`| head`) must not stop the server.
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{banner}").and_then(|()| stdout.flush());
        drop(stdout);
        tokio::select! {
            () = server.wait() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(exit::OK)
    })
}
