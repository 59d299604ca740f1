//! Signing in: the OAuth 2.0 client-credentials grant with a client secret or a certificate, or a ready
//! access token; and one token shared by every task, renewed before it expires and once after a 401.
//!
//! The token is renewed when less than `min(5 min, 10% of its lifetime)` is left, so an hour-long token
//! is renewed 5 minutes early and a 3-second token (as the simulator can issue) 0.3 s early. It lives
//! behind one async mutex: concurrent tasks wait for one renewal instead of each signing in. A renewal
//! after a 401 only happens if nobody renewed since the token that was refused (a generation number).
//!
//! A certificate credential is a PEM file holding the certificate and its unencrypted RSA key (PKCS#8
//! `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`). The client assertion is an RS256 JWT whose header carries
//! `x5t` = base64url(SHA-1(certificate DER)), with `aud` = the token URL and `iss` = `sub` = client id.
//!
//! Sign-in errors show Entra's `error`, `error_description` (first line) and `trace_id`, never a secret.

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::Method;
use serde::Deserialize;
use sha1::Digest;

use super::error::{FailureKind, GraphError, Service};
use super::http::{encode, Body, Call, Failure, Transport};
use super::options::{Credential, Endpoints, GraphOptions, Secret};
use super::retry::OnThrottle;
use crate::error::Error;

const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Lifetime of a client assertion.
const ASSERTION_LIFETIME_SECS: i64 = 600;

/// The token source of a run.
#[derive(Debug)]
pub(crate) struct Auth {
    mode: Mode,
    state: tokio::sync::Mutex<State>,
}

#[derive(Debug)]
enum Mode {
    /// `GRAPH_ACCESS_TOKEN`: used as is.
    Ready(Secret),
    ClientCredentials(ClientCredentials),
}

#[derive(Debug)]
struct ClientCredentials {
    token_url: String,
    tenant: String,
    client_id: String,
    scope: String,
    proof: Proof,
}

#[derive(Debug)]
enum Proof {
    Secret(Secret),
    Certificate(Certificate),
}

#[derive(Debug, Default)]
struct State {
    token: Option<Token>,
    /// Incremented on every new token.
    generation: u64,
}

#[derive(Debug)]
struct Token {
    value: Secret,
    renew_at: Instant,
}

/// A token to send, and which token it was (to renew it once after a 401).
#[derive(Debug, Clone)]
pub(crate) struct Bearer {
    pub token: Secret,
    pub generation: u64,
}

impl Auth {
    /// Checks the sign-in options (tenant and client ids, the certificate file); no request yet.
    pub fn new(options: &GraphOptions, endpoints: &Endpoints) -> Result<Self, Error> {
        let proof = match &options.credential {
            Credential::Token(token) => return Ok(Auth::with(Mode::Ready(token.clone()))),
            Credential::Secret(secret) => Proof::Secret(secret.clone()),
            Credential::Certificate(path) => Proof::Certificate(load_certificate(path)?),
        };
        let required = |value: &Option<String>, what: &str, flag: &str, var: &str| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| Error::Usage(format!("missing {what}: pass {flag} or set {var}")))
        };
        let tenant = required(&options.tenant_id, "tenant id", "--tenant-id", "AZURE_TENANT_ID")?;
        let client_id = required(&options.client_id, "client id", "--client-id", "AZURE_CLIENT_ID")?;
        Ok(Auth::with(Mode::ClientCredentials(ClientCredentials {
            token_url: format!("{}/{}/oauth2/v2.0/token", endpoints.login, encode(&tenant)),
            tenant,
            client_id,
            scope: format!("{}/.default", endpoints.graph),
            proof,
        })))
    }

    fn with(mode: Mode) -> Self {
        Auth { mode, state: tokio::sync::Mutex::new(State::default()) }
    }

    /// Whether the token came ready-made (and cannot be renewed).
    pub fn is_ready_token(&self) -> bool {
        matches!(self.mode, Mode::Ready(_))
    }

    /// The current token, signing in first if there is none or it is about to expire.
    pub async fn bearer(&self, transport: &Transport) -> Result<Bearer, Failure> {
        let credentials = match &self.mode {
            Mode::Ready(token) => return Ok(Bearer { token: token.clone(), generation: 0 }),
            Mode::ClientCredentials(credentials) => credentials,
        };
        let mut state = self.state.lock().await;
        if let Some(token) = &state.token {
            if Instant::now() < token.renew_at {
                return Ok(Bearer { token: token.value.clone(), generation: state.generation });
            }
        }
        refresh(credentials, &mut state, transport).await
    }

    /// A new token after Graph refused the token of generation `refused`; a token renewed since by
    /// another task is used instead of signing in again. A ready token cannot be renewed: it comes back
    /// as it is (the transport does not ask, see [`super::retry::TokenState::Ready`]).
    pub async fn renew(&self, transport: &Transport, refused: u64) -> Result<Bearer, Failure> {
        let credentials = match &self.mode {
            Mode::Ready(token) => return Ok(Bearer { token: token.clone(), generation: 0 }),
            Mode::ClientCredentials(credentials) => credentials,
        };
        let mut state = self.state.lock().await;
        if let Some(token) = &state.token {
            if state.generation != refused && Instant::now() < token.renew_at {
                return Ok(Bearer { token: token.value.clone(), generation: state.generation });
            }
        }
        refresh(credentials, &mut state, transport).await
    }
}

async fn refresh(credentials: &ClientCredentials, state: &mut State, transport: &Transport) -> Result<Bearer, Failure> {
    let token = request_token(credentials, transport).await?;
    state.generation += 1;
    let bearer = Bearer { token: token.value.clone(), generation: state.generation };
    state.token = Some(token);
    Ok(bearer)
}

/// The token endpoint's answer.
#[derive(Deserialize)]
struct TokenReply {
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

async fn request_token(credentials: &ClientCredentials, transport: &Transport) -> Result<Token, Failure> {
    let context = || {
        format!(
            "signing in (tenant {}, client {}, {})",
            credentials.tenant, credentials.client_id, credentials.token_url
        )
    };
    let sign_in_error = |kind| GraphError::new(Service::SignIn, "POST", &credentials.token_url, kind);
    let assertion;
    let mut form: Vec<(&str, &str)> = vec![
        ("client_id", &credentials.client_id),
        ("scope", &credentials.scope),
        ("grant_type", "client_credentials"),
    ];
    match &credentials.proof {
        Proof::Secret(secret) => form.push(("client_secret", secret.expose())),
        Proof::Certificate(certificate) => {
            assertion = certificate.assertion(&credentials.token_url, &credentials.client_id).map_err(|e| {
                let mut error = sign_in_error(FailureKind::NotSent);
                error.message = Some(format!("cannot sign the client assertion: {e}"));
                Box::new(error).within(context())
            })?;
            form.push(("client_assertion_type", CLIENT_ASSERTION_TYPE));
            form.push(("client_assertion", assertion.expose()));
        }
    }
    let asked_at = Instant::now();
    let call = Call {
        method: &Method::POST,
        url: &credentials.token_url,
        auth: None,
        body: Body::Form(&form),
        policy: &transport.policy,
        budget: None,
        on_throttle: OnThrottle::Retry,
        phase: None,
    };
    let reply = transport.send_boxed(call).await.map_err(|failure| failure.within(context()))?;
    let parsed: Option<TokenReply> = serde_json::from_slice(&reply.body).ok();
    let (value, expires_in) = match parsed {
        Some(TokenReply { access_token: Some(token), expires_in }) if !token.is_empty() => (token, expires_in),
        _ => {
            let mut error = sign_in_error(FailureKind::Unusable);
            error.status = Some(reply.status);
            error.message = Some(format!("the token endpoint answered HTTP {} without an access_token", reply.status));
            return Err(Box::new(error).within(context()));
        }
    };
    // `expires_in` is a number (Entra v2), sometimes a numeric string; an hour when absent.
    let seconds = match expires_in {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|s: &f64| s.is_finite())
    .unwrap_or(3600.0)
    .clamp(0.0, 86_400.0);
    let lifetime = Duration::from_secs_f64(seconds);
    let margin = (lifetime / 10).min(Duration::from_secs(300));
    tracing::debug!(lifetime_s = seconds, "signed in");
    Ok(Token { value: Secret::new(value), renew_at: asked_at + lifetime.saturating_sub(margin) })
}

/// A certificate credential, ready to sign assertions.
pub(crate) struct Certificate {
    key: jsonwebtoken::EncodingKey,
    /// base64url(SHA-1(certificate DER)).
    x5t: String,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate").field("x5t", &self.x5t).field("key", &"[redacted]").finish()
    }
}

impl Certificate {
    /// Parses a PEM text holding a certificate and an RSA private key (in any order).
    pub fn from_pem(text: &str) -> Result<Self, String> {
        let blocks = pem_blocks(text);
        let certificate = blocks
            .iter()
            .find(|b| b.label == "CERTIFICATE")
            .ok_or("no certificate in it (expected a -----BEGIN CERTIFICATE----- block)")?;
        let der = base64::engine::general_purpose::STANDARD
            .decode(&certificate.base64)
            .map_err(|e| format!("the certificate block is not valid base64: {e}"))?;
        let x5t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&der));
        if blocks.iter().any(|b| b.label == "ENCRYPTED PRIVATE KEY" || b.pem.contains("Proc-Type: 4,ENCRYPTED")) {
            return Err("its private key is encrypted: decrypt it first (openssl pkey -in FILE -out KEY.pem)".into());
        }
        let key = blocks.iter().find(|b| b.label == "PRIVATE KEY" || b.label == "RSA PRIVATE KEY").ok_or(
            "no private key in it (expected a -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY----- block)",
        )?;
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(key.pem.as_bytes())
            .map_err(|e| format!("the private key is not a usable RSA key: {e}"))?;
        Ok(Certificate { key, x5t })
    }

    /// A signed client assertion for the token URL.
    pub fn assertion(&self, token_url: &str, client_id: &str) -> Result<Secret, String> {
        let now = chrono::Utc::now().timestamp();
        let claims = serde_json::json!({
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.x5t = Some(self.x5t.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).map(Secret::new).map_err(|e| e.to_string())
    }
}

fn load_certificate(path: &Path) -> Result<Certificate, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    Certificate::from_pem(&text).map_err(|e| Error::input(path, e))
}

/// One `-----BEGIN X-----` ... `-----END X-----` block of a PEM text.
struct PemBlock {
    label: String,
    /// The block as text, BEGIN and END lines included.
    pem: String,
    /// The base64 body, without whitespace and header lines.
    base64: String,
}

fn pem_blocks(text: &str) -> Vec<PemBlock> {
    let mut blocks = Vec::new();
    let mut current: Option<PemBlock> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) {
            current = Some(PemBlock { label: label.to_owned(), pem: format!("{line}\n"), base64: String::new() });
        } else if let Some(label) = line.strip_prefix("-----END ").and_then(|l| l.strip_suffix("-----")) {
            if let Some(mut block) = current.take() {
                if block.label == label {
                    block.pem.push_str(line);
                    block.pem.push('\n');
                    blocks.push(block);
                }
            }
        } else if let Some(block) = current.as_mut() {
            block.pem.push_str(line);
            block.pem.push('\n');
            if !line.contains(':') {
                block.base64.push_str(line);
            }
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::options::Credential;
    use crate::source::graph::testkit;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const FIXTURE: &str = include_str!("../../../tests/fixtures/graph-cert.pem");
    /// `openssl x509 -in graph-cert.pem -outform DER | openssl dgst -sha1 -binary | basenc --base64url`
    const FIXTURE_X5T: &str = "Lgto7NbT-65DdDQIRDhsLR35j2E";
    /// `openssl x509 -in graph-cert.pem -pubkey -noout`
    const FIXTURE_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1OqhJezT7D1jgPj2Ag5z
GR70xqRIfQdCsLfBNUD9ZTvnR0YX1nsYul/rRE+3v9PJSxuaABNWDHnYzdz2N0SJ
89+2zTaRJRMRWQHLLzr9I9OXBET+6gmgsacJHdZS1nlY2dXGXYgNLNJ4SxFHIR/Z
hv4l4jX8YzSNYOOcUnLLThzpbh1Z9057ELhilJphtMQ8MNZ+0zzkI27xl94Affcu
05k1FEsCqhM85QtOg1IAKuTThNnatBZpFcCqC3ocxcpWAyAok3NcXwZUcIut6fzf
PdIowz9Y9AcNpvdkOmnLl7ywW0mtNk+mDmapl+34oAGGxvVMaEgCPyDru0MCWuS0
2QIDAQAB
-----END PUBLIC KEY-----
";

    fn transport() -> Transport {
        Transport::new(testkit::fast_policy(), 4).unwrap()
    }

    fn auth_for(server: &MockServer, credential: Credential) -> Auth {
        let mut options = testkit::options(server);
        options.credential = credential;
        Auth::new(&options, &super::super::options::endpoints(&options).unwrap()).unwrap()
    }

    #[test]
    fn certificate_assertion_header_and_claims() {
        let certificate = Certificate::from_pem(FIXTURE).unwrap();
        assert_eq!(certificate.x5t, FIXTURE_X5T);
        let url = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token";
        let jwt = certificate.assertion(url, "client-1").unwrap();
        let header = jsonwebtoken::decode_header(jwt.expose()).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.x5t.as_deref(), Some(FIXTURE_X5T));
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(FIXTURE_PUBLIC_KEY.as_bytes()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[url]);
        validation.set_issuer(&["client-1"]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(jwt.expose(), &key, &validation).unwrap().claims;
        assert_eq!(claims["aud"], url);
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["sub"], "client-1");
        assert!(claims["jti"].as_str().is_some_and(|j| j.len() == 36));
        let (nbf, exp) = (claims["nbf"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
        assert_eq!(exp - nbf, 600);
    }

    #[test]
    fn certificate_problems_are_clear() {
        let (cert_only, key_only) = FIXTURE.split_at(FIXTURE.find("-----BEGIN PRIVATE KEY-----").unwrap());
        assert!(Certificate::from_pem(key_only).unwrap_err().contains("no certificate"));
        assert!(Certificate::from_pem(cert_only).unwrap_err().contains("no private key"));
        let encrypted =
            format!("{cert_only}-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assert!(Certificate::from_pem(&encrypted).unwrap_err().contains("encrypted"));
        // The key first and the certificate second works too.
        let swapped = Certificate::from_pem(&format!("{key_only}{cert_only}")).unwrap();
        assert_eq!(swapped.x5t, FIXTURE_X5T);
        let blocks = pem_blocks("junk\n-----BEGIN RSA PRIVATE KEY-----\nAB\nCD\n-----END RSA PRIVATE KEY-----\n");
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "RSA PRIVATE KEY");
        assert_eq!(blocks[0].base64, "ABCD");
    }

    #[tokio::test]
    async fn certificate_sign_in_sends_an_assertion() {
        let server = MockServer::start().await;
        testkit::mount_token(&server, 3600).await;
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, FIXTURE.as_bytes()).unwrap();
        let auth = auth_for(&server, Credential::Certificate(file.path().to_owned()));
        auth.bearer(&transport()).await.unwrap();
        let requests = server.received_requests().await.unwrap();
        let form = String::from_utf8(requests[0].body.clone()).unwrap();
        let fields: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(form.as_bytes()).into_owned().collect();
        assert_eq!(fields["client_assertion_type"], CLIENT_ASSERTION_TYPE);
        assert_eq!(fields["grant_type"], "client_credentials");
        assert_eq!(fields["scope"], format!("{}/.default", server.uri()));
        assert!(!fields.contains_key("client_secret"));
        let header = jsonwebtoken::decode_header(&fields["client_assertion"]).unwrap();
        assert_eq!(header.x5t.as_deref(), Some(FIXTURE_X5T));
    }

    #[tokio::test]
    async fn sign_in_error_shows_entra_fields_and_never_the_secret() {
        let server = MockServer::start().await;
        let body = serde_json::json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: 0b8a2c8e-1111-4a4a-9c9c-2d2d2d2d2d2d\r\nCorrelation ID: 5c5c-aaaa\r\nTimestamp: 2026-11-26 10:00:00Z",
            "error_codes": [7000215],
            "timestamp": "2026-11-26 10:00:00Z",
            "trace_id": "0b8a2c8e-1111-4a4a-9c9c-2d2d2d2d2d2d",
            "correlation_id": "5c5c-aaaa"
        });
        Mock::given(method("POST"))
            .and(path("/tenant-1/oauth2/v2.0/token"))
            .respond_with(ResponseTemplate::new(401).set_body_json(body))
            .mount(&server)
            .await;
        let auth = auth_for(&server, Credential::Secret(Secret::new("s3cr3t-VALUE")));
        let failure = auth.bearer(&transport()).await.unwrap_err();
        assert_eq!(failure.service, Service::SignIn);
        assert_eq!((failure.method.as_str(), failure.path.as_str()), ("POST", "/tenant-1/oauth2/v2.0/token"));
        assert_eq!((failure.status, failure.code.as_deref()), (Some(401), Some("invalid_client")));
        assert_eq!(
            failure.message.as_deref(),
            Some("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.")
        );
        assert_eq!(failure.request_id.as_deref(), Some("0b8a2c8e-1111-4a4a-9c9c-2d2d2d2d2d2d"));
        assert_eq!(failure.correlation_id.as_deref(), Some("5c5c-aaaa"));
        assert!(failure.context.starts_with("signing in (tenant tenant-1, client client-1, "), "{}", failure.context);
        let message = failure.to_string();
        assert!(message.contains("(trace_id 0b8a2c8e-1111-4a4a-9c9c-2d2d2d2d2d2d, correlation_id 5c5c-aaaa)"));
        assert!(!message.contains("s3cr3t-VALUE"), "{message}");
        assert!(!message.contains('\r') && !message.contains('\n'), "{message}");
    }

    #[tokio::test]
    async fn short_lived_tokens_are_renewed_before_they_expire() {
        let server = MockServer::start().await;
        testkit::mount_token(&server, 1).await;
        let auth = auth_for(&server, Credential::Secret(Secret::new("s")));
        let transport = transport();
        let first = auth.bearer(&transport).await.unwrap();
        let again = auth.bearer(&transport).await.unwrap();
        assert_eq!(first.generation, again.generation);
        tokio::time::sleep(Duration::from_millis(950)).await;
        let renewed = auth.bearer(&transport).await.unwrap();
        assert_eq!(renewed.generation, first.generation + 1);
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn concurrent_tasks_share_one_sign_in() {
        let server = MockServer::start().await;
        testkit::mount_token(&server, 3600).await;
        let auth = std::sync::Arc::new(auth_for(&server, Credential::Secret(Secret::new("s"))));
        let transport = std::sync::Arc::new(transport());
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let (auth, transport) = (auth.clone(), transport.clone());
            tasks.spawn(async move { auth.bearer(&transport).await.map(|b| b.generation).unwrap_or(0) });
        }
        while let Some(generation) = tasks.join_next().await {
            assert_eq!(generation.unwrap(), 1);
        }
        // One renewal after a 401 seen by several tasks, too.
        let renewed = auth.renew(&transport, 1).await.unwrap();
        let again = auth.renew(&transport, 1).await.unwrap();
        assert_eq!((renewed.generation, again.generation), (2, 2));
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    }

    #[test]
    fn missing_tenant_or_client_names_flag_and_variable() {
        let mut options = GraphOptions::new(Credential::Secret(Secret::new("s")));
        let endpoints = super::super::options::endpoints(&options).unwrap();
        let err = Auth::new(&options, &endpoints).unwrap_err();
        assert!(matches!(&err, Error::Usage(m) if m.contains("--tenant-id") && m.contains("AZURE_TENANT_ID")), "{err}");
        options.tenant_id = Some("t".into());
        let err = Auth::new(&options, &endpoints).unwrap_err();
        assert!(matches!(&err, Error::Usage(m) if m.contains("--client-id") && m.contains("AZURE_CLIENT_ID")), "{err}");
        // A ready token needs neither.
        let ready = GraphOptions::new(Credential::Token(Secret::new("t")));
        assert!(Auth::new(&ready, &endpoints).is_ok());
    }

    #[test]
    fn microsoft_token_example_parses() {
        let reply: TokenReply =
            serde_json::from_str(include_str!("../../../tests/fixtures/graph-docs/token-response.example.json"))
                .unwrap();
        assert!(reply.access_token.is_some_and(|t| t.starts_with("eyJ")));
        assert_eq!(reply.expires_in.and_then(|v| v.as_u64()), Some(3599));
    }
}
