//! What the Graph client is told to read and how to sign in (the command line's Graph options), and
//! the checks made on it before any request: the credential, the tenant and client ids, and the URLs
//! (https, or plain http on loopback only; a managed identity's endpoint may also be link-local, as
//! Azure's own are).
//!
//! The credential comes from a flag (`--interactive`, `--device-code`, `--managed-identity`) or, without
//! one, from the first of these found: `GRAPH_ACCESS_TOKEN`, a certificate, a client secret, a federated
//! token (`AZURE_FEDERATED_TOKEN_FILE`, else GitHub Actions' OIDC). See [`credential_from_flags`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::inventory::AppCatalog;

/// The default `--max-concurrency`.
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;
/// At most this many `--group` ids, like the targets of one notification.
pub const MAX_GROUPS: usize = 25;

/// A Microsoft cloud: where to sign in and where Graph is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    #[default]
    Global,
    UsGov,
    UsGovDod,
    China,
}

impl Cloud {
    /// The name used on the command line and in snapshots.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGov => "usgov",
            Cloud::UsGovDod => "usgov-dod",
            Cloud::China => "china",
        }
    }

    /// The sign-in (Entra ID) base URL.
    pub fn login_url(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGov | Cloud::UsGovDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The Microsoft Graph base URL.
    pub fn graph_url(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::UsGov => "https://graph.microsoft.us",
            Cloud::UsGovDod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Cloud {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "global" => Ok(Cloud::Global),
            "usgov" => Ok(Cloud::UsGov),
            "usgov-dod" => Ok(Cloud::UsGovDod),
            "china" => Ok(Cloud::China),
            _ => Err(Error::Usage(format!("unknown cloud `{s}`: expected global, usgov, usgov-dod or china"))),
        }
    }
}

/// How the app evidence is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppsVia {
    /// The tenant's detected apps, then the devices of the matching ones: a handful of requests.
    #[default]
    DetectedApps,
    /// Each device's detected apps, 20 devices per `$batch`: one inner request per device.
    PerDevice,
    /// Intune's `AppInvRawData` report through export jobs, one job per app name of the catalogue.
    Export,
}

impl AppsVia {
    pub fn name(self) -> &'static str {
        match self {
            AppsVia::DetectedApps => "detected-apps",
            AppsVia::PerDevice => "per-device",
            AppsVia::Export => "export",
        }
    }
}

impl fmt::Display for AppsVia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AppsVia {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "detected-apps" => Ok(AppsVia::DetectedApps),
            "per-device" => Ok(AppsVia::PerDevice),
            "export" => Ok(AppsVia::Export),
            _ => Err(Error::Usage(format!("unknown --apps-via `{s}`: expected detected-apps, per-device or export"))),
        }
    }
}

/// How the managed devices are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DevicesVia {
    /// `managedDevices` listings, one per platform shard.
    #[default]
    List,
    /// Intune's `Devices` report through an export job: the enrolling user of every device, and one
    /// download however large the tenant.
    Export,
}

impl DevicesVia {
    pub fn name(self) -> &'static str {
        match self {
            DevicesVia::List => "list",
            DevicesVia::Export => "export",
        }
    }
}

impl fmt::Display for DevicesVia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How report export jobs are run (`--devices-via export`, `--apps-via export`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJobSettings {
    /// A job not `completed` this long after it was submitted is given up and submitted again
    /// (`--export-job-timeout`).
    pub timeout: Duration,
    /// The wait before the first status poll; each later wait is half as long again, up to `max_poll`.
    pub first_poll: Duration,
    pub max_poll: Duration,
    /// Submissions of one job at most (the first included).
    pub attempts: u32,
}

/// The default `--export-job-timeout`.
pub const DEFAULT_EXPORT_JOB_TIMEOUT: Duration = Duration::from_secs(900);

impl Default for ExportJobSettings {
    fn default() -> Self {
        ExportJobSettings {
            timeout: DEFAULT_EXPORT_JOB_TIMEOUT,
            first_poll: Duration::from_secs(1),
            max_poll: Duration::from_secs(15),
            attempts: 3,
        }
    }
}

/// A secret value (client secret, access token). It never prints: `Debug` and `Display` show
/// `[redacted]`; [`Secret::expose`] is the only way to the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How to get an access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// Client credentials with a client secret.
    Secret(Secret),
    /// Client credentials with a certificate: a PEM file holding the certificate and its RSA private
    /// key (PKCS#8 or PKCS#1, unencrypted).
    Certificate(PathBuf),
    /// A ready access token, used as is (it cannot be renewed).
    Token(Secret),
    /// Client credentials with a federated token as the client assertion (workload identity
    /// federation: no secret at all).
    Federated(FederatedToken),
    /// An Azure managed identity: the platform issues the token.
    ManagedIdentity(ManagedIdentity),
    /// An admin signs in in the browser: authorization code with PKCE, the reply coming back to
    /// `http://localhost:PORT` (an ephemeral port unless `redirect_port`).
    Interactive { redirect_port: Option<u16> },
    /// An admin signs in on another device with a code (the device authorization grant).
    DeviceCode,
}

impl Credential {
    /// Whether a person signs in (delegated permissions, limited by the admin's Intune role).
    pub fn is_delegated(&self) -> bool {
        matches!(self, Credential::Interactive { .. } | Credential::DeviceCode)
    }
}

/// Where a federated token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FederatedToken {
    /// `AZURE_FEDERATED_TOKEN_FILE`: read again whenever a new access token is needed (the platform
    /// rotates it).
    File(PathBuf),
    /// GitHub Actions' OIDC provider: `GET ACTIONS_ID_TOKEN_REQUEST_URL&audience=api://AzureADTokenExchange`
    /// with `Authorization: Bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    GitHubActions { request_url: String, request_token: Secret },
}

/// The audience of a federated token exchanged with Entra ID.
pub const FEDERATED_AUDIENCE: &str = "api://AzureADTokenExchange";

/// An Azure managed identity and where its tokens come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedIdentity {
    /// A user-assigned identity's client id; `None`: the system-assigned identity.
    pub client_id: Option<String>,
    pub endpoint: IdentityEndpoint,
}

/// The endpoint that issues a managed identity's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityEndpoint {
    /// App Service, Functions, Automation: `IDENTITY_ENDPOINT`, with the `IDENTITY_HEADER` secret sent
    /// as `X-IDENTITY-HEADER` (api-version 2019-08-01).
    AppService { url: String, header: Secret },
    /// The instance metadata service of a VM, with `Metadata: true` (api-version 2018-02-01).
    Imds { url: String },
}

/// The token URL of Azure's instance metadata service.
pub const IMDS_TOKEN_URL: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// Tells the person at the terminal what to do during an interactive or device-code sign-in (the URL
/// to open, the code to enter). Standard error unless a caller, a test, listens instead.
#[derive(Clone)]
pub struct Prompt(Arc<dyn Fn(&str) + Send + Sync>);

impl Prompt {
    pub fn new(show: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Prompt(Arc::new(show))
    }

    pub fn show(&self, text: &str) {
        (self.0)(text)
    }
}

impl Default for Prompt {
    fn default() -> Self {
        Prompt::new(|text| eprintln!("{text}"))
    }
}

impl fmt::Debug for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Prompt")
    }
}

/// Which browser `--interactive` opens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Browser {
    /// The system's default browser.
    #[default]
    System,
    /// This command, given the URL (`$BROWSER`; `%s` in it stands for the URL).
    Command(String),
    /// None: the URL is only printed (`BROWSER` set to nothing).
    None,
}

impl Browser {
    /// From `$BROWSER`: unset -> the system's browser; empty -> none; else that command.
    pub fn from_env() -> Self {
        match std::env::var("BROWSER") {
            Err(_) => Browser::System,
            Ok(command) if command.trim().is_empty() => Browser::None,
            Ok(command) => Browser::Command(command),
        }
    }
}

/// How long an interactive or device-code sign-in waits for the person, by default.
pub const DEFAULT_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

/// Everything the Graph client needs. [`GraphOptions::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct GraphOptions {
    pub cloud: Cloud,
    /// Overrides the cloud's Graph base URL (e.g. the simulated Graph), without `/beta` or `/v1.0`.
    pub graph_url: Option<String>,
    /// Overrides the cloud's sign-in base URL.
    pub login_url: Option<String>,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub credential: Credential,
    pub apps_via: AppsVia,
    pub devices_via: DevicesVia,
    /// How export jobs are polled and given up (with `--devices-via export`, `--apps-via export`).
    pub export_jobs: ExportJobSettings,
    /// Requests in flight at once, across all tasks (default 8).
    pub max_concurrency: usize,
    /// Group ids whose transitive user members are read (at most 25).
    pub groups: Vec<String>,
    /// The app names the app evidence is matched against.
    pub catalog: AppCatalog,
    /// Trust `managedDeviceOverview`'s counter: fewer devices listed than it counts makes the read
    /// incomplete (default: a warning).
    pub require_count_match: bool,
    /// Where an interactive or device-code sign-in tells the person what to do.
    pub prompt: Prompt,
    /// The browser `--interactive` opens.
    pub browser: Browser,
    /// How long an interactive or device-code sign-in waits for the person.
    pub sign_in_timeout: Duration,
    /// Permissions a delegated sign-in asks for beyond the audit's reads (`send` asks for its own).
    pub also_request: Vec<&'static str>,
}

impl GraphOptions {
    /// The defaults: global cloud, device listings, detected apps, 8 requests at once, no groups.
    pub fn new(credential: Credential) -> Self {
        GraphOptions {
            cloud: Cloud::Global,
            graph_url: None,
            login_url: None,
            tenant_id: None,
            client_id: None,
            credential,
            apps_via: AppsVia::DetectedApps,
            devices_via: DevicesVia::List,
            export_jobs: ExportJobSettings::default(),
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            groups: Vec::new(),
            catalog: AppCatalog::default(),
            require_count_match: false,
            prompt: Prompt::default(),
            browser: Browser::System,
            sign_in_timeout: DEFAULT_SIGN_IN_TIMEOUT,
            also_request: Vec::new(),
        }
    }
}

/// The sign-in flags of the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignInFlags<'a> {
    /// `--client-secret-file FILE`.
    pub secret_file: Option<&'a Path>,
    /// `--certificate FILE`.
    pub certificate: Option<&'a Path>,
    /// `--interactive`, with `--redirect-port PORT`.
    pub interactive: bool,
    pub redirect_port: Option<u16>,
    /// `--device-code`.
    pub device_code: bool,
    /// `--managed-identity`, with `--managed-identity-client-id ID`.
    pub managed_identity: bool,
    pub managed_identity_client_id: Option<&'a str>,
}

/// Reads the credential: the one a flag names (`--interactive`, `--device-code`, `--managed-identity`);
/// else `GRAPH_ACCESS_TOKEN`, a certificate (`--certificate`, else `AZURE_CLIENT_CERTIFICATE_PATH`), a
/// secret (`--client-secret-file`, else `AZURE_CLIENT_SECRET`), a federated token
/// (`AZURE_FEDERATED_TOKEN_FILE`, else `ACTIONS_ID_TOKEN_REQUEST_URL` with `ACTIONS_ID_TOKEN_REQUEST_TOKEN`),
/// the first found. Empty variables count as unset. A managed identity uses `IDENTITY_ENDPOINT` and
/// `IDENTITY_HEADER` when both are set, else the instance metadata endpoint (`INTUNE_REACH_IMDS_URL`
/// replaces it, on loopback only: for tests). [`Error::Usage`] when there is none, naming the
/// variables and flags.
pub fn credential_from_flags(flags: &SignInFlags<'_>) -> Result<Credential, Error> {
    credential_from(|name| std::env::var(name).ok(), flags)
}

/// Reads the credential: `GRAPH_ACCESS_TOKEN`, else a certificate (`certificate`, else
/// `AZURE_CLIENT_CERTIFICATE_PATH`), else the secret (`secret_file`, else `AZURE_CLIENT_SECRET`).
/// Empty variables count as unset. [`Error::Usage`] when there is none, naming the variables and flags.
pub fn credential_from_env(secret_file: Option<&Path>, certificate: Option<&Path>) -> Result<Credential, Error> {
    credential_from_flags(&SignInFlags { secret_file, certificate, ..SignInFlags::default() })
}

pub(crate) fn credential_from(
    var: impl Fn(&str) -> Option<String>,
    flags: &SignInFlags<'_>,
) -> Result<Credential, Error> {
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let (secret_file, certificate) = (flags.secret_file, flags.certificate);
    if flags.interactive {
        return Ok(Credential::Interactive { redirect_port: flags.redirect_port });
    }
    if flags.device_code {
        return Ok(Credential::DeviceCode);
    }
    if flags.managed_identity {
        let client_id = flags.managed_identity_client_id.map(str::trim).filter(|id| !id.is_empty()).map(str::to_owned);
        let endpoint = match (var("IDENTITY_ENDPOINT"), var("IDENTITY_HEADER")) {
            (Some(url), Some(header)) => IdentityEndpoint::AppService {
                url: checked_endpoint("IDENTITY_ENDPOINT", &url, Reach::LocalOrHttps)?,
                header: Secret::new(header.trim()),
            },
            _ => match var("INTUNE_REACH_IMDS_URL") {
                Some(url) => {
                    IdentityEndpoint::Imds { url: checked_endpoint("INTUNE_REACH_IMDS_URL", &url, Reach::Loopback)? }
                }
                None => IdentityEndpoint::Imds { url: IMDS_TOKEN_URL.to_owned() },
            },
        };
        return Ok(Credential::ManagedIdentity(ManagedIdentity { client_id, endpoint }));
    }
    if let Some(token) = var("GRAPH_ACCESS_TOKEN") {
        return Ok(Credential::Token(Secret::new(token.trim())));
    }
    if let Some(path) = certificate {
        return Ok(Credential::Certificate(path.to_owned()));
    }
    if let Some(path) = var("AZURE_CLIENT_CERTIFICATE_PATH") {
        return Ok(Credential::Certificate(PathBuf::from(path)));
    }
    if let Some(path) = secret_file {
        let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
        let secret = text.trim();
        if secret.is_empty() {
            return Err(Error::input(path, "the client secret file is empty"));
        }
        return Ok(Credential::Secret(Secret::new(secret)));
    }
    if let Some(secret) = var("AZURE_CLIENT_SECRET") {
        return Ok(Credential::Secret(Secret::new(secret)));
    }
    if let Some(path) = var("AZURE_FEDERATED_TOKEN_FILE") {
        return Ok(Credential::Federated(FederatedToken::File(PathBuf::from(path))));
    }
    match (var("ACTIONS_ID_TOKEN_REQUEST_URL"), var("ACTIONS_ID_TOKEN_REQUEST_TOKEN")) {
        (Some(url), Some(token)) => {
            let request_url = checked_endpoint("ACTIONS_ID_TOKEN_REQUEST_URL", &url, Reach::LoopbackOrHttps)?;
            return Ok(Credential::Federated(FederatedToken::GitHubActions {
                request_url,
                request_token: Secret::new(token.trim()),
            }));
        }
        (Some(_), None) => {
            return Err(Error::Usage(
                "ACTIONS_ID_TOKEN_REQUEST_URL is set but ACTIONS_ID_TOKEN_REQUEST_TOKEN is not: give the workflow \
                 job `permissions: id-token: write`"
                    .to_owned(),
            ))
        }
        _ => {}
    }
    Err(Error::Usage(
        "no Graph credential: set AZURE_CLIENT_SECRET (or pass --client-secret-file FILE), or \
         AZURE_CLIENT_CERTIFICATE_PATH (or --certificate FILE), or AZURE_FEDERATED_TOKEN_FILE, or run in GitHub \
         Actions with `id-token: write`, or set GRAPH_ACCESS_TOKEN; or sign in as an admin with --interactive or \
         --device-code, or use --managed-identity"
            .to_owned(),
    ))
}

/// The base URLs a run talks to, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoints {
    /// Sign-in base, e.g. `https://login.microsoftonline.com`.
    pub login: String,
    /// Graph base, e.g. `https://graph.microsoft.com` (no `/beta`).
    pub graph: String,
}

pub(crate) fn endpoints(options: &GraphOptions) -> Result<Endpoints, Error> {
    let login = match &options.login_url {
        Some(url) => checked_base("--login-url", url)?,
        None => options.cloud.login_url().to_owned(),
    };
    let graph = match &options.graph_url {
        Some(url) => {
            let base = checked_base("--graph-url", url)?;
            // Accept a URL that names the version too: the client adds `/beta` or `/v1.0` itself.
            let base = base.strip_suffix("/beta").or_else(|| base.strip_suffix("/v1.0")).unwrap_or(&base);
            base.to_owned()
        }
        None => options.cloud.graph_url().to_owned(),
    };
    Ok(Endpoints { login, graph })
}

/// A base URL without its trailing slash: https, or http on a loopback address only.
fn checked_base(flag: &str, value: &str) -> Result<String, Error> {
    let url = url::Url::parse(value.trim()).map_err(|e| Error::Usage(format!("{flag} {value}: not a URL ({e})")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Usage(format!("{flag} {value}: a base URL has no query or fragment")));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::Usage(format!(
                "{flag} {value}: plain http:// is accepted only for loopback addresses (127.0.0.0/8, ::1, \
                 localhost); use https://"
            )))
        }
        scheme => return Err(Error::Usage(format!("{flag} {value}: unsupported scheme `{scheme}`: use https://"))),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Which hosts an endpoint URL may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// https anywhere, plain http on loopback only.
    LoopbackOrHttps,
    /// https anywhere, plain http on loopback or link-local addresses (169.254.0.0/16: Azure's own
    /// identity endpoints, such as App Service on Linux's).
    LocalOrHttps,
    /// http or https on loopback only (a test server standing in for a fixed Azure address).
    Loopback,
}

/// An endpoint URL (a query is kept), checked against `reach`.
pub(crate) fn checked_endpoint(name: &str, value: &str, reach: Reach) -> Result<String, Error> {
    let url = url::Url::parse(value.trim()).map_err(|e| Error::Usage(format!("{name} {value}: not a URL ({e})")))?;
    let link_local = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_link_local());
    let ok = match (url.scheme(), reach) {
        (_, Reach::Loopback) => matches!(url.scheme(), "http" | "https") && is_loopback(&url),
        ("https", _) => true,
        ("http", Reach::LoopbackOrHttps) => is_loopback(&url),
        ("http", Reach::LocalOrHttps) => is_loopback(&url) || link_local,
        _ => false,
    };
    if !ok {
        let allowed = match reach {
            Reach::LoopbackOrHttps => "https://, or http:// on a loopback address",
            Reach::LocalOrHttps => "https://, or http:// on a loopback or link-local address",
            Reach::Loopback => "a loopback address (it stands in for a fixed Azure address in tests)",
        };
        return Err(Error::Usage(format!("{name} {value}: expected {allowed}")));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn files<'a>(secret_file: Option<&'a Path>, certificate: Option<&'a Path>) -> SignInFlags<'a> {
        SignInFlags { secret_file, certificate, ..SignInFlags::default() }
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn clouds_and_apps_via_parse() {
        assert_eq!("global".parse::<Cloud>().unwrap(), Cloud::Global);
        assert_eq!("usgov".parse::<Cloud>().unwrap(), Cloud::UsGov);
        assert_eq!("USGOV-DOD".parse::<Cloud>().unwrap(), Cloud::UsGovDod);
        assert_eq!("china".parse::<Cloud>().unwrap(), Cloud::China);
        assert!(matches!("mars".parse::<Cloud>(), Err(Error::Usage(_))));
        assert_eq!(Cloud::UsGovDod.graph_url(), "https://dod-graph.microsoft.us");
        assert_eq!(Cloud::UsGovDod.login_url(), "https://login.microsoftonline.us");
        assert_eq!(Cloud::China.graph_url(), "https://microsoftgraph.chinacloudapi.cn");
        assert_eq!("per-device".parse::<AppsVia>().unwrap(), AppsVia::PerDevice);
        assert_eq!("detected-apps".parse::<AppsVia>().unwrap(), AppsVia::DetectedApps);
        assert_eq!("export".parse::<AppsVia>().unwrap(), AppsVia::Export);
        assert!("listing".parse::<AppsVia>().is_err());
    }

    #[test]
    fn secrets_never_print() {
        let credential = Credential::Secret(Secret::new("hunter2"));
        assert!(!format!("{credential:?}").contains("hunter2"));
        assert_eq!(Secret::new("hunter2").to_string(), "[redacted]");
        let options = GraphOptions::new(Credential::Token(Secret::new("tok-123")));
        assert!(!format!("{options:?}").contains("tok-123"));
    }

    #[test]
    fn credential_precedence() {
        let cert = Path::new("/x/cert.pem");
        let all = env(&[
            ("GRAPH_ACCESS_TOKEN", "tok"),
            ("AZURE_CLIENT_CERTIFICATE_PATH", "/env/cert.pem"),
            ("AZURE_CLIENT_SECRET", "s"),
        ]);
        assert_eq!(credential_from(&all, &files(None, Some(cert))).unwrap(), Credential::Token(Secret::new("tok")));
        let no_token = env(&[
            ("GRAPH_ACCESS_TOKEN", ""),
            ("AZURE_CLIENT_CERTIFICATE_PATH", "/env/cert.pem"),
            ("AZURE_CLIENT_SECRET", "s"),
        ]);
        assert_eq!(
            credential_from(&no_token, &files(None, Some(cert))).unwrap(),
            Credential::Certificate(cert.to_owned())
        );
        assert_eq!(
            credential_from(&no_token, &files(None, None)).unwrap(),
            Credential::Certificate(PathBuf::from("/env/cert.pem"))
        );
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, b"from-file\n").unwrap();
        let secret_only = env(&[("AZURE_CLIENT_SECRET", "s")]);
        assert_eq!(
            credential_from(&secret_only, &files(Some(file.path()), None)).unwrap(),
            Credential::Secret(Secret::new("from-file"))
        );
        assert_eq!(credential_from(&secret_only, &files(None, None)).unwrap(), Credential::Secret(Secret::new("s")));
        let err = credential_from(env(&[]), &files(None, None)).unwrap_err();
        assert!(matches!(err, Error::Usage(_)));
        let text = err.to_string();
        for name in
            ["AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "GRAPH_ACCESS_TOKEN", "--client-secret-file"]
        {
            assert!(text.contains(name), "{text}");
        }
        let missing = credential_from(env(&[]), &files(Some(Path::new("/no/such/secret")), None)).unwrap_err();
        assert!(matches!(missing, Error::Input { .. }), "{missing}");
    }

    #[test]
    fn federated_tokens_come_last_the_file_winning() {
        let github = [
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://pipelines.actions.example/idtoken?api-version=2.0"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token"),
        ];
        let both = env(&[github[0], github[1], ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token")]);
        let file = Credential::Federated(FederatedToken::File(PathBuf::from("/var/run/token")));
        assert_eq!(credential_from(&both, &files(None, None)).unwrap(), file);
        let secret_too = env(&[github[0], github[1], ("AZURE_CLIENT_SECRET", "s")]);
        assert_eq!(credential_from(&secret_too, &files(None, None)).unwrap(), Credential::Secret(Secret::new("s")));
        let Credential::Federated(FederatedToken::GitHubActions { request_url, request_token }) =
            credential_from(env(&github), &files(None, None)).unwrap()
        else {
            panic!("GitHub Actions' OIDC expected");
        };
        assert_eq!(request_url, "https://pipelines.actions.example/idtoken?api-version=2.0");
        assert_eq!(request_token.expose(), "gh-request-token");
        let half = credential_from(env(&github[..1]), &files(None, None)).unwrap_err().to_string();
        assert!(half.contains("id-token: write"), "{half}");
        let plain = env(&[("ACTIONS_ID_TOKEN_REQUEST_URL", "http://evil.test/t"), github[1]]);
        assert!(matches!(credential_from(plain, &files(None, None)), Err(Error::Usage(_))));
    }

    #[test]
    fn flags_choose_the_credential_before_the_environment() {
        let everything = env(&[("GRAPH_ACCESS_TOKEN", "tok"), ("AZURE_CLIENT_SECRET", "s")]);
        let interactive = SignInFlags { interactive: true, redirect_port: Some(8400), ..SignInFlags::default() };
        assert_eq!(
            credential_from(&everything, &interactive).unwrap(),
            Credential::Interactive { redirect_port: Some(8400) }
        );
        let device = SignInFlags { device_code: true, ..SignInFlags::default() };
        assert_eq!(credential_from(&everything, &device).unwrap(), Credential::DeviceCode);
        assert!(Credential::DeviceCode.is_delegated() && !Credential::Secret(Secret::new("s")).is_delegated());

        let managed = SignInFlags {
            managed_identity: true,
            managed_identity_client_id: Some(" user-assigned-id "),
            ..SignInFlags::default()
        };
        let app_service =
            env(&[("IDENTITY_ENDPOINT", "http://169.254.129.2:8081/msi/token"), ("IDENTITY_HEADER", "header-secret")]);
        assert_eq!(
            credential_from(&app_service, &managed).unwrap(),
            Credential::ManagedIdentity(ManagedIdentity {
                client_id: Some("user-assigned-id".into()),
                endpoint: IdentityEndpoint::AppService {
                    url: "http://169.254.129.2:8081/msi/token".into(),
                    header: Secret::new("header-secret"),
                },
            })
        );
        let system = SignInFlags { managed_identity: true, ..SignInFlags::default() };
        let vm = Credential::ManagedIdentity(ManagedIdentity {
            client_id: None,
            endpoint: IdentityEndpoint::Imds { url: IMDS_TOKEN_URL.into() },
        });
        // Without IDENTITY_HEADER the endpoint alone is not used: the instance metadata service is.
        let endpoint_only = env(&[("IDENTITY_ENDPOINT", "http://127.0.0.1:41155/MSI/token/")]);
        assert_eq!(credential_from(endpoint_only, &system).unwrap(), vm);
        let test_imds = env(&[("INTUNE_REACH_IMDS_URL", "http://127.0.0.1:9/metadata/identity/oauth2/token")]);
        assert!(matches!(
            credential_from(test_imds, &system).unwrap(),
            Credential::ManagedIdentity(ManagedIdentity { endpoint: IdentityEndpoint::Imds { url }, .. })
                if url == "http://127.0.0.1:9/metadata/identity/oauth2/token"
        ));
        for (name, value) in [
            ("INTUNE_REACH_IMDS_URL", "https://imds.example/token"),
            ("INTUNE_REACH_IMDS_URL", "http://169.254.169.254/metadata/identity/oauth2/token"),
        ] {
            assert!(matches!(credential_from(env(&[(name, value)]), &system), Err(Error::Usage(_))), "{value}");
        }
        let remote = env(&[("IDENTITY_ENDPOINT", "http://10.0.0.4/msi/token"), ("IDENTITY_HEADER", "h")]);
        assert!(matches!(credential_from(remote, &system), Err(Error::Usage(_))));
    }

    #[test]
    fn urls_need_https_except_on_loopback() {
        let mut options = GraphOptions::new(Credential::Token(Secret::new("t")));
        assert_eq!(
            endpoints(&options).unwrap(),
            Endpoints {
                login: "https://login.microsoftonline.com".into(),
                graph: "https://graph.microsoft.com".into()
            }
        );
        for ok in [
            "http://127.0.0.1:8080/",
            "http://127.1.2.3:9",
            "http://[::1]:80",
            "http://LOCALHOST:3000",
            "https://x.test/beta",
        ] {
            options.graph_url = Some(ok.into());
            let graph = endpoints(&options).unwrap().graph;
            assert!(!graph.ends_with('/') && !graph.ends_with("/beta"), "{ok} -> {graph}");
        }
        for bad in [
            "http://graph.microsoft.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "not a url",
            "http://localhost.evil.com",
        ] {
            options.graph_url = Some(bad.into());
            assert!(matches!(endpoints(&options), Err(Error::Usage(_))), "{bad}");
        }
        options.graph_url = None;
        options.login_url = Some("http://192.168.1.1".into());
        let err = endpoints(&options).unwrap_err().to_string();
        assert!(err.contains("--login-url") && err.contains("loopback"), "{err}");
    }
}
