//! Runs a parsed command line: picks the source, runs the audit, writes the reports, and decides the
//! exit code. Everything the binary does, minus argument parsing and printing the final error.

use std::io::{IsTerminal, Write};
use std::path::Path;

use chrono::Utc;
use comfy_table::{presets, ContentArrangement, Table};

use crate::audit;
use crate::cli::{AuditArgs, Cli, Command, OutputFormat, RulesArgs, SimCommand, SnapshotArgs};
use crate::error::{exit, Error};
use crate::inventory::{Inventory, SourceInfo};
use crate::report::{self, CsvOptions, Report};
use crate::rules::REGISTRY;
use crate::settings::Settings;
use crate::sim;
use crate::source;

/// At most this many target groups, like a notification's targets.
pub const MAX_GROUPS: usize = 25;

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
        Command::Fetch(_args) => Err(Error::Usage("fetch: the Graph client is not wired yet".to_owned())),
        Command::Rules(args) => rules(&args),
        Command::Sim(SimCommand::Snapshot(args)) => sim_snapshot(&args),
        Command::Sim(SimCommand::Serve(_)) => Err(Error::Usage("sim serve: not wired yet".to_owned())),
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
        settings.apply_config_file(config)?;
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
    if groups.len() > MAX_GROUPS {
        return Err(Error::Usage(format!(
            "--group given {} times: a notification targets at most {MAX_GROUPS} groups",
            groups.len()
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
    if source.demo {
        let tenant = sim::generator::generate(args.graph.devices, args.graph.seed, settings.as_of);
        let snapshot = tenant.to_snapshot(settings.as_of.to_rfc3339(), "in-process");
        let info = SourceInfo {
            kind: "demo".to_owned(),
            description: format!("demo tenant ({} devices, seed {})", args.graph.devices, args.graph.seed),
            complete: true,
            ..Default::default()
        };
        return Inventory::from_snapshot(&snapshot, info).map_err(Error::Source);
    }
    Err(Error::Usage("live Graph audits are not wired yet".to_owned()))
}

fn audit(args: &AuditArgs) -> Result<i32, Error> {
    check_groups(&args.groups)?;
    let settings = settings(args.as_of, args.config.as_deref(), args.stale_days, &args.levels)?;
    let started = std::time::Instant::now();
    let inventory = load_inventory(args, &settings)?;
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
    printed.map_err(|source| Error::Output { path: "standard output".into(), source })?;

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
    write_json_atomically(&args.out, &snapshot)?;
    Ok(exit::OK)
}

/// Writes a JSON document to a temporary file beside `path` and renames it into place.
pub fn write_json_atomically(path: &Path, value: &impl serde::Serialize) -> Result<(), Error> {
    let error = |source| Error::Output { path: path.to_owned(), source };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new().prefix(".intune-reach-").tempfile_in(dir).map_err(error)?;
    {
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, temp.as_file_mut());
        serde_json::to_writer(&mut writer, value).map_err(|e| error(e.into()))?;
        writer.flush().map_err(error)?;
    }
    temp.persist(path).map_err(|e| error(e.error))?;
    Ok(())
}
