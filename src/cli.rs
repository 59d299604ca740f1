//! The command line (clap derive). Values are parsed and validated here, so that `app` works with
//! typed options. Secrets are never arguments: they come from the environment or a file.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::StdoutFormat;
use crate::sim::server::{ApplePush, ManagedGooglePlay};
use crate::source::graph::{AppsVia, Cloud, DevicesVia};
use crate::source::intune_export::DateOrder;

#[derive(Debug, Parser)]
#[command(
    name = "intune-reach",
    version,
    about = "Which Intune users can really receive a custom notification, and why the others cannot",
    after_help = "Exit codes: 0 audit done, 1 --fail-under gate failed (or, with --fail-on-regression, a user \
regressed), 2 usage or input-file error, 3 source error (sign-in, network, Graph, or an inventory that could not \
be read whole), 130 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit devices and users against the delivery prerequisites and write the reports.
    Audit(Box<AuditArgs>),
    /// Save the inventory read from Microsoft Graph as a snapshot, for offline audits.
    Fetch(Box<FetchArgs>),
    /// Audit the target groups' users, then (only with --yes) send the custom notification to what
    /// will arrive, within Intune's limits.
    Send(Box<SendArgs>),
    /// List the prerequisite rules: id, level, what they check, what a fail means, how to fix it.
    Rules(RulesArgs),
    /// What changed between two audits (two --out folders): who was fixed, regressed, is new or left.
    Diff(DiffArgs),
    /// Show what the tenant really returns for the rules' assumptions (read-only, counts only: safe to
    /// paste in an issue).
    Doctor(Box<DoctorArgs>),
    /// List the Microsoft Graph permissions each feature needs, as application and delegated permissions.
    Permissions(PermissionsArgs),
    /// The simulated Intune tenant.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on standard output.
    Completions(CompletionsArgs),
    /// Write the manual pages (roff), one per command, into a folder.
    Man(ManArgs),
}

/// Implements [`ValueEnum`] for an enum of another module by its command-line names, so that the
/// module itself does not depend on clap.
macro_rules! value_enum {
    ($type:ty { $($variant:path => $name:literal),+ $(,)? }) => {
        impl ValueEnum for $type {
            fn value_variants<'a>() -> &'a [Self] {
                &[$($variant),+]
            }
            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                Some(clap::builder::PossibleValue::new(match self { $($variant => $name),+ }))
            }
        }
    };
}

value_enum!(StdoutFormat {
    StdoutFormat::Table => "table",
    StdoutFormat::Json => "json",
    StdoutFormat::Markdown => "markdown",
});
value_enum!(Cloud { Cloud::Global => "global", Cloud::UsGov => "usgov", Cloud::UsGovDod => "usgov-dod", Cloud::China => "china" });
value_enum!(AppsVia {
    AppsVia::DetectedApps => "detected-apps",
    AppsVia::PerDevice => "per-device",
    AppsVia::Export => "export",
});
value_enum!(DevicesVia { DevicesVia::List => "list", DevicesVia::Export => "export" });
value_enum!(ApplePush {
    ApplePush::Valid => "valid",
    ApplePush::Expired => "expired",
    ApplePush::Missing => "missing",
    ApplePush::Forbidden => "forbidden",
});
value_enum!(ManagedGooglePlay {
    ManagedGooglePlay::Bound => "bound",
    ManagedGooglePlay::BoundAndValidated => "bound-and-validated",
    ManagedGooglePlay::NotBound => "not-bound",
    ManagedGooglePlay::Unbinding => "unbinding",
    ManagedGooglePlay::Missing => "missing",
    ManagedGooglePlay::Forbidden => "forbidden",
});
value_enum!(DateOrder { DateOrder::MonthFirst => "mdy", DateOrder::DayFirst => "dmy" });

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub rules: RuleArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub demo_tenant: DemoTenantArgs,
}

/// Where the inventory comes from (without one of these: live Microsoft Graph).
#[derive(Debug, Args)]
#[command(next_help_heading = "Source (default: live Microsoft Graph)")]
pub struct SourceArgs {
    /// Audit a built-in simulated tenant, served by the simulated Graph on 127.0.0.1.
    #[arg(long, conflicts_with_all = ["snapshot", "intune_export"])]
    pub demo: bool,

    /// Audit a snapshot written by `fetch` or `sim snapshot` (zstd-compressed when the name ends in .zst).
    #[arg(long, value_name = "FILE", conflicts_with = "intune_export")]
    pub snapshot: Option<PathBuf>,

    /// Audit the admin center's device export (Devices > All devices > Export).
    #[arg(long, value_name = "DEVICES.csv")]
    pub intune_export: Option<PathBuf>,

    /// The Discovered apps export, with --intune-export.
    #[arg(long, value_name = "APPS.csv", requires = "intune_export")]
    pub apps_export: Option<PathBuf>,

    /// Target users (CSV with a userPrincipalName or UPN column), with --intune-export.
    #[arg(long, value_name = "USERS.csv", requires = "intune_export")]
    pub members_export: Option<PathBuf>,

    /// The order of day and month in the CSV files' slash dates (default: found from the dates, else mdy).
    #[arg(long, value_enum, value_name = "ORDER")]
    pub date_order: Option<DateOrder>,

    /// Accept an inventory that could not be read whole; every report then says so.
    #[arg(long)]
    pub allow_incomplete: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Scope")]
pub struct ScopeArgs {
    /// Audit only the transitive user members of this group (repeatable, at most 25).
    #[arg(long = "group", value_name = "ID")]
    pub groups: Vec<String>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Rules")]
pub struct RuleArgs {
    /// The audit's clock (RFC 3339), so a run can be reproduced exactly. Default: now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,

    /// Days since the last check-in after which `recent-check-in` fails (default 30).
    #[arg(long, value_name = "N")]
    pub stale_days: Option<u32>,

    /// TOML configuration: rule levels, stale_days, app names (see README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Override a rule's level (repeatable; wins over --config).
    #[arg(long = "level", value_name = "RULE=deny|warn|allow")]
    pub levels: Vec<String>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Folder for the report files.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,

    /// What to print on standard output (markdown: for a pipeline's job summary).
    #[arg(long, value_enum, default_value_t = StdoutFormat::Table)]
    pub format: StdoutFormat,

    /// Exit 1 when the share of ready users is below PERCENT.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub fail_under: Option<f64>,

    /// An earlier audit's --out folder: also write changes.csv and show what changed since.
    #[arg(long, value_name = "DIR")]
    pub previous: Option<PathBuf>,

    /// Exit 1 when a user who was ready in the --previous audit is not ready now.
    #[arg(long, requires = "previous")]
    pub fail_on_regression: bool,

    /// Do not write report.html.
    #[arg(long)]
    pub no_html: bool,

    /// Print nothing on standard output except with --format json or markdown; no progress bars.
    #[arg(long, short)]
    pub quiet: bool,

    /// Logs on standard error (-v info, -vv debug).
    #[arg(long, short, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Start the CSV files with a UTF-8 byte order mark (for Excel).
    #[arg(long)]
    pub csv_bom: bool,

    /// The CSV field delimiter: ',' or ';'.
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,
}

/// The demo tenant's size and seed.
#[derive(Debug, Args)]
#[command(next_help_heading = "Simulated tenant (with --demo)")]
pub struct DemoTenantArgs {
    /// Number of devices of the demo tenant.
    #[arg(long, value_name = "N", default_value_t = 2000, requires = "demo")]
    pub devices: usize,

    /// Seed of the demo tenant.
    #[arg(long, value_name = "S", default_value_t = 42, requires = "demo")]
    pub seed: u64,

    /// The demo tenant's Apple MDM push certificate.
    #[arg(long, value_enum, value_name = "STATE", default_value_t = ApplePush::Valid, requires = "demo")]
    pub apple_push: ApplePush,

    /// The demo tenant's managed Google Play binding.
    #[arg(long, value_enum, value_name = "STATE", default_value_t = ManagedGooglePlay::BoundAndValidated, requires = "demo")]
    pub managed_google_play: ManagedGooglePlay,
}

/// How to reach Microsoft Graph (the live source).
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Microsoft Graph")]
pub struct ConnectionArgs {
    /// Entra tenant id.
    #[arg(long, env = "AZURE_TENANT_ID", hide_env_values = true, value_name = "ID")]
    pub tenant_id: Option<String>,

    /// Application (client) id of the app registration.
    #[arg(long, env = "AZURE_CLIENT_ID", hide_env_values = true, value_name = "ID")]
    pub client_id: Option<String>,

    /// File holding the client secret (else AZURE_CLIENT_SECRET). Never pass a secret as an argument.
    #[arg(long, value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,

    /// PEM file with the app's certificate and private key (else AZURE_CLIENT_CERTIFICATE_PATH).
    #[arg(long, value_name = "FILE")]
    pub certificate: Option<PathBuf>,

    /// Sign in as yourself in the browser (authorization code with PKCE); needs your own public-client
    /// app registration (--client-id) with the redirect URI http://localhost.
    #[arg(long, conflicts_with_all = ["device_code", "managed_identity", "client_secret_file", "certificate"])]
    pub interactive: bool,

    /// The loopback port the browser's reply comes back to, with --interactive (default: a free one).
    #[arg(long, value_name = "PORT", requires = "interactive")]
    pub redirect_port: Option<u16>,

    /// Sign in as yourself with a code entered in a browser anywhere (hardened tenants block this).
    #[arg(long, conflicts_with_all = ["managed_identity", "client_secret_file", "certificate"])]
    pub device_code: bool,

    /// Sign in as the Azure managed identity of the resource this runs on (IDENTITY_ENDPOINT and
    /// IDENTITY_HEADER, else the instance metadata endpoint).
    #[arg(long, conflicts_with_all = ["client_secret_file", "certificate"])]
    pub managed_identity: bool,

    /// The client id of a user-assigned managed identity, with --managed-identity.
    #[arg(long, value_name = "ID", requires = "managed_identity")]
    pub managed_identity_client_id: Option<String>,

    /// National cloud.
    #[arg(long, value_enum, default_value_t = Cloud::Global)]
    pub cloud: Cloud,

    /// Override the Graph host (http only for loopback).
    #[arg(long, value_name = "URL")]
    pub graph_url: Option<String>,

    /// Override the sign-in host (http only for loopback).
    #[arg(long, value_name = "URL")]
    pub login_url: Option<String>,

    /// How app evidence is read: the tenant's detected apps, each device's, or Intune's AppInvRawData
    /// report through export jobs (one per app name).
    #[arg(long, value_enum, default_value_t = AppsVia::DetectedApps)]
    pub apps_via: AppsVia,

    /// How devices are read: platform listings, or Intune's Devices report through an export job
    /// (exact enrolling users; for the largest tenants).
    #[arg(long, value_enum, default_value_t = DevicesVia::List)]
    pub devices_via: DevicesVia,

    /// An export job not completed after S seconds is submitted again (3 submissions at most).
    #[arg(long, value_name = "S", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..))]
    pub export_job_timeout: u64,

    /// Requests to Graph in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_concurrency: u16,

    /// Exit 3 when fewer devices are listed than managedDeviceOverview counts (default: a warning).
    #[arg(long)]
    pub require_count_match: bool,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Where to write the snapshot (zstd-compressed when the name ends in .zst).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Also read these groups' transitive user members (repeatable, at most 25).
    #[arg(long = "group", value_name = "ID")]
    pub groups: Vec<String>,

    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,

    /// Logs on standard error (-v info, -vv debug).
    #[arg(long, short, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// TOML configuration (its app names decide which detected apps are kept).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// How `send` sends the notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SendTo {
    /// One group send to the groups, as the admin center does (Intune delivers to every supported
    /// device enrolled by their users).
    Groups,
    /// One device send to each device the audit finds ready (--include-at-risk adds the at-risk ones).
    ReadyDevices,
}

#[derive(Debug, Args)]
#[command(after_help = "Exit codes: 0 dry run done or every send sent, 1 the gate (--fail-under, \
--fail-on-regression) stopped the send (nothing sent), 2 a limit (lengths, groups, the ledger's hourly limits) or a usage error stopped it before any \
request, 3 a send failed or its outcome is unknown, the token lacks the permission (nothing sent), or a source \
error, 130 interrupted (new sends stopped, the report written).")]
pub struct SendArgs {
    /// The title: 1 to 50 characters (Unicode characters).
    #[arg(long, value_name = "TEXT", help_heading = "Notification")]
    pub title: String,

    #[command(flatten)]
    pub body: BodyArgs,

    #[command(flatten)]
    pub targets: SendTargetArgs,

    #[command(flatten)]
    pub rules: RuleArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub demo_tenant: DemoTenantArgs,
}

/// The notification's message: one of the two.
#[derive(Debug, Args)]
#[command(next_help_heading = "Notification")]
#[group(required = true, multiple = false)]
pub struct BodyArgs {
    /// The message: 1 to 500 characters.
    #[arg(long, value_name = "TEXT")]
    pub body: Option<String>,

    /// A UTF-8 file holding the message (1 to 500 characters; its final line break is dropped).
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
}

/// Who the notification goes to, and whether it is sent at all.
#[derive(Debug, Args)]
#[command(next_help_heading = "Send")]
pub struct SendTargetArgs {
    /// A target group's object id (repeatable, 1 to 25): its transitive user members are audited and
    /// sent to.
    #[arg(long = "group", value_name = "ID", required = true)]
    pub groups: Vec<String>,

    /// How to send it.
    #[arg(long, value_enum, value_name = "HOW", default_value_t = SendTo::Groups)]
    pub to: SendTo,

    /// With --to ready-devices, also send to the devices the audit finds at risk.
    #[arg(long)]
    pub include_at_risk: bool,

    /// Send for real: without it nothing is sent (a dry run: the audit, the plan, send-plan.csv).
    #[arg(long)]
    pub yes: bool,

    /// The ledger of this tool's sends, for Intune's hourly limits (default: intune-reach/ledger.jsonl in
    /// the user's data folder).
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,

    /// Send to a built-in simulated tenant, served by the simulated Graph on 127.0.0.1 (to try it out).
    #[arg(long)]
    pub demo: bool,

    /// Accept an inventory that could not be read whole; every report then says so.
    #[arg(long)]
    pub allow_incomplete: bool,
}

/// How the doctor prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    /// Markdown tables (readable on a terminal, pasted as is into an issue).
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[arg(long, value_enum, default_value_t = DoctorFormat::Table)]
    pub format: DoctorFormat,

    /// TOML configuration (its app names decide which detected apps match).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Logs on standard error (-v info, -vv debug).
    #[arg(long, short, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// How the rule list is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    /// The page `docs/rules.md` is generated from.
    Markdown,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// TOML configuration, to show the levels it sets.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
}

/// What `diff` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier audit's --out folder.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The later audit's --out folder.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,

    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,

    /// Exit 1 when a user who was ready in OLD is not ready in NEW.
    #[arg(long)]
    pub fail_on_regression: bool,

    /// Also write changes.csv into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PermissionsArgs {
    /// A table for people, or JSON for scripts.
    #[arg(long, value_enum, default_value_t = PermissionsFormat::Table)]
    pub format: PermissionsFormat,
}

/// How the permission list is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PermissionsFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The folder to write `intune-reach.1` and one page per command into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve a simulated Intune tenant over the Graph API on 127.0.0.1.
    Serve(Box<ServeArgs>),
    /// Write the simulated tenant as a snapshot.
    Snapshot(SnapshotArgs),
}

#[derive(Debug, Args)]
pub struct TenantArgs {
    /// Number of managed devices.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub devices: usize,

    /// Seed: the same seed gives the same tenant.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,

    /// The tenant's clock (RFC 3339): check-in times are generated relative to it. Default: now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub tenant: TenantArgs,

    #[command(flatten)]
    pub tenant_checks: TenantCheckArgs,

    /// Where to write the snapshot (zstd-compressed when the name ends in .zst).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Write every managedDevice property, as Graph lists devices without $select (about four times
    /// the size; for benchmarks).
    #[arg(long)]
    pub full_objects: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub tenant: TenantArgs,

    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, value_name = "P", default_value_t = 0)]
    pub port: u16,

    #[command(flatten)]
    pub faults: FaultArgs,

    #[command(flatten)]
    pub tenant_checks: TenantCheckArgs,
}

/// The tenant-wide objects the simulated Graph serves (and a simulated snapshot holds).
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Tenant checks")]
pub struct TenantCheckArgs {
    /// The Apple MDM push certificate: valid, expired, missing (404) or forbidden (403).
    #[arg(long, value_enum, value_name = "STATE", default_value_t = ApplePush::Valid)]
    pub apple_push: ApplePush,

    /// The managed Google Play binding, or missing (404) or forbidden (403).
    #[arg(long, value_enum, value_name = "STATE", default_value_t = ManagedGooglePlay::BoundAndValidated)]
    pub managed_google_play: ManagedGooglePlay,
}

/// Faults the simulated Graph can inject.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Faults")]
pub struct FaultArgs {
    /// Delay every response by N milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,

    /// At most REQUESTS per SECONDS (429 with Retry-After beyond), e.g. 2000/20.
    #[arg(long, value_name = "REQUESTS/SECONDS")]
    pub throttle: Option<String>,

    /// Send 429 and 503 without a Retry-After header.
    #[arg(long)]
    pub no_retry_after: bool,

    /// Answer this share of requests (0 to 1) with 503.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub error_rate: f64,

    /// Access tokens expire after S seconds.
    #[arg(long, value_name = "S", default_value_t = 3600)]
    pub token_lifetime: u64,

    /// In each listing, the N-th next link followed is answered once with "skip token expired".
    #[arg(long, value_name = "N")]
    pub expire_skiptokens_after: Option<u32>,

    /// The first multi-page device listing repeats its next link (an endless loop for a naive client).
    #[arg(long)]
    pub repeat_next_link: bool,

    /// Listings omit K devices that managedDeviceOverview still counts.
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub hide_devices: usize,

    /// Stop by itself after S seconds.
    #[arg(long, value_name = "S", default_value_t = 600)]
    pub max_seconds: u64,

    /// At most REQUESTS notification sends per SECONDS (429 with Retry-After beyond), e.g. 200/20.
    #[arg(long, value_name = "REQUESTS/SECONDS")]
    pub send_throttle: Option<String>,

    /// Answer this share of notification sends (0 to 1) with 503.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub send_error_rate: f64,

    /// The N-th notification send accepted is recorded but never answered (held until the server stops).
    #[arg(long, value_name = "N")]
    pub hang_send: Option<u64>,

    /// The app lacks the send permission (DeviceManagementServiceConfig.ReadWrite.All): sends answer 403.
    #[arg(long)]
    pub no_send_permission: bool,
    /// Report export jobs complete S seconds after they are submitted.
    #[arg(long, value_name = "S", default_value_t = 3.0, value_parser = parse_job_seconds)]
    pub export_job_seconds: f64,

    /// The first N export jobs of each report stay inProgress for ever.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub export_stranded: u32,

    /// The next N export jobs of each report turn failed.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub export_failed: u32,

    /// Export job requests per client app, 429 beyond (default 48/60, Intune's).
    #[arg(long, value_name = "REQUESTS/SECONDS")]
    pub export_throttle: Option<String>,

    /// Export downloads are zip files cut in half.
    #[arg(long)]
    pub export_bad_zip: bool,

    /// Export CSVs hold a row with too few fields.
    #[arg(long)]
    pub export_bad_csv: bool,
}

fn parse_job_seconds(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(seconds) if (0.0..=86_400.0).contains(&seconds) => Ok(seconds),
        _ => Err("expected a number of seconds from 0 to 86400".to_owned()),
    }
}

fn parse_time(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 time such as 2026-11-26T10:00:00Z ({e})"))
}

fn parse_percent(value: &str) -> Result<f64, String> {
    let percent: f64 = value.trim().trim_end_matches('%').parse().map_err(|_| "not a number".to_owned())?;
    if (0.0..=100.0).contains(&percent) {
        Ok(percent)
    } else {
        Err("must be between 0 and 100".to_owned())
    }
}

fn parse_delimiter(value: &str) -> Result<u8, String> {
    match value {
        "," => Ok(b','),
        ";" => Ok(b';'),
        _ => Err("must be ',' or ';'".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command's `--help`, rendered at a fixed width: a change to an option shows in review.
    #[test]
    fn help_of_every_command() {
        fn walk(command: &mut clap::Command, path: String, pages: &mut Vec<(String, String)>) {
            pages.push((path.clone(), command.render_long_help().to_string()));
            for sub in command.get_subcommands_mut() {
                let name = format!("{path} {}", sub.get_name());
                walk(sub, name, pages);
            }
        }
        let mut command = Cli::command().term_width(100);
        command.build();
        let mut pages = Vec::new();
        walk(&mut command, "intune-reach".to_owned(), &mut pages);
        for (path, help) in pages {
            if path.ends_with(" help") || path.contains(" help ") {
                continue;
            }
            insta::assert_snapshot!(path.replace(' ', "_"), help);
        }
    }

    #[test]
    fn value_parsers() {
        assert_eq!(parse_percent("80"), Ok(80.0));
        assert_eq!(parse_percent("12.5%"), Ok(12.5));
        assert!(parse_percent("101").is_err());
        assert!(parse_percent("x").is_err());
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert!(parse_delimiter("|").is_err());
        assert!(parse_time("2026-11-26T10:00:00Z").is_ok());
        assert!(parse_time("yesterday").is_err());
    }
}
