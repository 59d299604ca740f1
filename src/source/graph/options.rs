//! What the Graph client is told to read and how to sign in (the README's "Graph options"), and the
//! checks made on it before any request: the credential, the tenant and client ids, and the URLs
//! (https, or plain http on loopback only).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

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
}

impl AppsVia {
    pub fn name(self) -> &'static str {
        match self {
            AppsVia::DetectedApps => "detected-apps",
            AppsVia::PerDevice => "per-device",
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
            _ => Err(Error::Usage(format!("unknown --apps-via `{s}`: expected detected-apps or per-device"))),
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
}

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
    /// Requests in flight at once, across all tasks (default 8).
    pub max_concurrency: usize,
    /// Group ids whose transitive user members are read (at most 25).
    pub groups: Vec<String>,
    /// The app names the app evidence is matched against.
    pub catalog: AppCatalog,
    /// Trust `managedDeviceOverview`'s counter: fewer devices listed than it counts makes the read
    /// incomplete (default: a warning).
    pub require_count_match: bool,
}

impl GraphOptions {
    /// The defaults: global cloud, detected apps, 8 requests at once, no groups.
    pub fn new(credential: Credential) -> Self {
        GraphOptions {
            cloud: Cloud::Global,
            graph_url: None,
            login_url: None,
            tenant_id: None,
            client_id: None,
            credential,
            apps_via: AppsVia::DetectedApps,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            groups: Vec::new(),
            catalog: AppCatalog::default(),
            require_count_match: false,
        }
    }
}

/// Reads the credential: `GRAPH_ACCESS_TOKEN`, else a certificate (`certificate`, else
/// `AZURE_CLIENT_CERTIFICATE_PATH`), else the secret (`secret_file`, else `AZURE_CLIENT_SECRET`).
/// Empty variables count as unset. [`Error::Usage`] when there is none, naming the variables and flags.
pub fn credential_from_env(secret_file: Option<&Path>, certificate: Option<&Path>) -> Result<Credential, Error> {
    credential_from(|name| std::env::var(name).ok(), secret_file, certificate)
}

pub(crate) fn credential_from(
    var: impl Fn(&str) -> Option<String>,
    secret_file: Option<&Path>,
    certificate: Option<&Path>,
) -> Result<Credential, Error> {
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
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
    Err(Error::Usage(
        "no Graph credential: set AZURE_CLIENT_SECRET (or pass --client-secret-file FILE), or \
         AZURE_CLIENT_CERTIFICATE_PATH (or --certificate FILE), or GRAPH_ACCESS_TOKEN"
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

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
        assert!("export".parse::<AppsVia>().is_err());
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
        assert_eq!(credential_from(&all, None, Some(cert)).unwrap(), Credential::Token(Secret::new("tok")));
        let no_token = env(&[
            ("GRAPH_ACCESS_TOKEN", ""),
            ("AZURE_CLIENT_CERTIFICATE_PATH", "/env/cert.pem"),
            ("AZURE_CLIENT_SECRET", "s"),
        ]);
        assert_eq!(credential_from(&no_token, None, Some(cert)).unwrap(), Credential::Certificate(cert.to_owned()));
        assert_eq!(
            credential_from(&no_token, None, None).unwrap(),
            Credential::Certificate(PathBuf::from("/env/cert.pem"))
        );
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, b"from-file\n").unwrap();
        let secret_only = env(&[("AZURE_CLIENT_SECRET", "s")]);
        assert_eq!(
            credential_from(&secret_only, Some(file.path()), None).unwrap(),
            Credential::Secret(Secret::new("from-file"))
        );
        assert_eq!(credential_from(&secret_only, None, None).unwrap(), Credential::Secret(Secret::new("s")));
        let err = credential_from(env(&[]), None, None).unwrap_err();
        assert!(matches!(err, Error::Usage(_)));
        let text = err.to_string();
        for name in
            ["AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "GRAPH_ACCESS_TOKEN", "--client-secret-file"]
        {
            assert!(text.contains(name), "{text}");
        }
        let missing = credential_from(env(&[]), Some(Path::new("/no/such/secret")), None).unwrap_err();
        assert!(matches!(missing, Error::Input { .. }), "{missing}");
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
