//! Signing in, and one token shared by every task: renewed before it expires and once after a 401.
//!
//! The ways to a token (the user's side is `docs/sign-in.md`):
//! - a ready token (`GRAPH_ACCESS_TOKEN`), used as is;
//! - client credentials (app-only) proven by a client secret, a certificate ([`certificate`]) or a
//!   federated token ([`federated`]: workload identity federation, no secret at all);
//! - an Azure managed identity ([`managed`]);
//! - an admin signing in, delegated ([`delegated`]): the browser with PKCE ([`loopback`] takes the reply)
//!   or a device code; the refresh token renews it in memory.
//!
//! [`token`] reads every flow's replies and sends every sign-in request through the transport's retry
//! loop. The token is renewed when less than `min(5 min, 10% of its lifetime)` is left, so an hour-long
//! token is renewed 5 minutes early and a 3-second token (as the simulator can issue) 0.3 s early. It
//! lives behind one async mutex: concurrent tasks wait for one renewal instead of each signing in. A
//! renewal after a 401 only happens if nobody renewed since the token that was refused (a generation
//! number).
//!
//! Sign-in errors show Entra's `error`, `error_description` (first line) and `trace_id`, and what to do
//! about them; never a secret, token, code, verifier or assertion.

mod certificate;
mod delegated;
mod federated;
mod loopback;
mod managed;
mod token;

use std::time::{Duration, Instant};

use super::error::FailureKind;
use super::http::{encode, Failure, Transport};
use super::options::{Credential, Endpoints, FederatedToken, GraphOptions, ManagedIdentity, Secret};
use super::permissions::delegated_scopes;
use crate::error::Error;
use certificate::Certificate;
use delegated::{Delegated, Flow};
use token::Issued;

const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// A token is renewed at most this long before it expires.
const MAX_RENEWAL_MARGIN: Duration = Duration::from_secs(300);

/// The token source of a run.
#[derive(Debug)]
pub(crate) struct Auth {
    source: Source,
    state: tokio::sync::Mutex<State>,
}

#[derive(Debug)]
enum Source {
    /// `GRAPH_ACCESS_TOKEN`: used as is.
    Ready(Secret),
    /// Client credentials (app-only).
    App {
        app: Registration,
        scope: String,
        proof: Proof,
    },
    ManagedIdentity {
        identity: ManagedIdentity,
        resource: String,
    },
    /// An admin signs in.
    Delegated {
        app: Registration,
        delegated: Delegated,
    },
}

/// The app registration a sign-in speaks for, and where it signs in.
#[derive(Debug)]
pub(crate) struct Registration {
    pub tenant: String,
    pub client_id: String,
    /// The sign-in base URL, e.g. `https://login.microsoftonline.com`.
    pub login: String,
    /// `{login}/{tenant}/oauth2/v2.0/token`.
    pub token_url: String,
}

impl Registration {
    fn new(options: &GraphOptions, endpoints: &Endpoints) -> Result<Self, Error> {
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
        Ok(Registration {
            token_url: format!("{}/{}/oauth2/v2.0/token", endpoints.login, encode(&tenant)),
            login: endpoints.login.clone(),
            tenant,
            client_id,
        })
    }
}

/// What proves the app's identity in the client-credentials grant.
#[derive(Debug)]
enum Proof {
    Secret(Secret),
    Certificate(Certificate),
    Federated(FederatedToken),
}

#[derive(Debug, Default)]
struct State {
    token: Option<Token>,
    /// Incremented on every new token.
    generation: u64,
    /// A delegated sign-in's refresh token: in memory only.
    refresh_token: Option<Secret>,
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
        let app = || Registration::new(options, endpoints);
        let client_credentials = |proof| -> Result<Source, Error> {
            Ok(Source::App { app: app()?, scope: format!("{}/.default", endpoints.graph), proof })
        };
        let delegated = |flow| -> Result<Source, Error> {
            let delegated = Delegated {
                flow,
                scopes: delegated_scopes(&endpoints.graph, &options.also_request).join(" "),
                prompt: options.prompt.clone(),
                browser: options.browser.clone(),
                timeout: options.sign_in_timeout,
            };
            Ok(Source::Delegated { app: app()?, delegated })
        };
        let source = match &options.credential {
            Credential::Token(token) => Source::Ready(token.clone()),
            Credential::Secret(secret) => client_credentials(Proof::Secret(secret.clone()))?,
            Credential::Certificate(path) => {
                let certificate = certificate::load(path)?;
                client_credentials(Proof::Certificate(certificate))?
            }
            Credential::Federated(source) => client_credentials(Proof::Federated(source.clone()))?,
            Credential::ManagedIdentity(identity) => {
                Source::ManagedIdentity { identity: identity.clone(), resource: endpoints.graph.clone() }
            }
            Credential::Interactive { redirect_port } => {
                delegated(Flow::Interactive { redirect_port: *redirect_port })?
            }
            Credential::DeviceCode => delegated(Flow::DeviceCode)?,
        };
        Ok(Auth { source, state: tokio::sync::Mutex::new(State::default()) })
    }

    /// Whether the token came ready-made (and cannot be renewed).
    pub fn is_ready_token(&self) -> bool {
        matches!(self.source, Source::Ready(_))
    }

    /// The current token, signing in first if there is none or it is about to expire.
    pub async fn bearer(&self, transport: &Transport) -> Result<Bearer, Failure> {
        if let Source::Ready(token) = &self.source {
            return Ok(Bearer { token: token.clone(), generation: 0 });
        }
        let mut state = self.state.lock().await;
        if let Some(token) = &state.token {
            if Instant::now() < token.renew_at {
                return Ok(Bearer { token: token.value.clone(), generation: state.generation });
            }
        }
        self.refresh(&mut state, transport).await
    }

    /// A new token after Graph refused the token of generation `refused`; a token renewed since by
    /// another task is used instead of signing in again. A ready token cannot be renewed: it comes back
    /// as it is (the transport does not ask, see [`super::retry::TokenState::Ready`]).
    pub async fn renew(&self, transport: &Transport, refused: u64) -> Result<Bearer, Failure> {
        if let Source::Ready(token) = &self.source {
            return Ok(Bearer { token: token.clone(), generation: 0 });
        }
        let mut state = self.state.lock().await;
        if let Some(token) = &state.token {
            if state.generation != refused && Instant::now() < token.renew_at {
                return Ok(Bearer { token: token.value.clone(), generation: state.generation });
            }
        }
        self.refresh(&mut state, transport).await
    }

    async fn refresh(&self, state: &mut State, transport: &Transport) -> Result<Bearer, Failure> {
        let mut asked_at = Instant::now();
        let issued =
            self.issue(state, transport, &mut asked_at).await.map_err(|failure| failure.within(self.describe()))?;
        if let Some(refresh_token) = issued.refresh_token {
            state.refresh_token = Some(refresh_token);
        }
        let margin = (issued.lifetime / 10).min(MAX_RENEWAL_MARGIN);
        tracing::debug!(lifetime_s = issued.lifetime.as_secs_f64(), "signed in");
        state.generation += 1;
        let bearer = Bearer { token: issued.access_token.clone(), generation: state.generation };
        state.token =
            Some(Token { value: issued.access_token, renew_at: asked_at + issued.lifetime.saturating_sub(margin) });
        Ok(bearer)
    }

    /// Asks for a new token, the way the credential says. A person's sign-in moves `asked_at` to when
    /// it finished: the token's lifetime starts then, not when the person was asked.
    async fn issue(&self, state: &mut State, transport: &Transport, asked_at: &mut Instant) -> Result<Issued, Failure> {
        match &self.source {
            Source::Ready(token) => {
                Ok(Issued { access_token: token.clone(), lifetime: Duration::from_secs(86_400), refresh_token: None })
            }
            Source::App { app, scope, proof } => client_credentials(app, scope, proof, transport).await,
            Source::ManagedIdentity { identity, resource } => identity.token(resource, transport).await,
            Source::Delegated { app, delegated } => {
                let Some(refresh_token) = state.refresh_token.clone() else {
                    let issued = delegated.sign_in(app, transport).await;
                    *asked_at = Instant::now();
                    return issued;
                };
                let refreshed = delegated.refresh(app, &refresh_token, transport).await;
                if refreshed.as_ref().is_err_and(|failure| failure.status.is_some()) {
                    // Refused: the next renewal signs in again rather than repeat a dead refresh token.
                    state.refresh_token = None;
                }
                refreshed
            }
        }
    }

    /// What signing in is, for errors: which tenant, which app, which way.
    fn describe(&self) -> String {
        match &self.source {
            Source::Ready(_) => "using GRAPH_ACCESS_TOKEN".to_owned(),
            Source::App { app, proof: Proof::Federated(source), .. } => format!(
                "signing in with a {} (tenant {}, client {}, {})",
                source.describe(),
                app.tenant,
                app.client_id,
                app.token_url
            ),
            Source::App { app, .. } => {
                format!("signing in (tenant {}, client {}, {})", app.tenant, app.client_id, app.token_url)
            }
            Source::ManagedIdentity { identity, .. } => format!("signing in with the {}", identity.describe()),
            Source::Delegated { app, delegated } => {
                format!("{} (tenant {}, client {})", delegated.describe(), app.tenant, app.client_id)
            }
        }
    }
}

/// The client-credentials grant: the app proves itself with a secret or an assertion.
async fn client_credentials(
    app: &Registration,
    scope: &str,
    proof: &Proof,
    transport: &Transport,
) -> Result<Issued, Failure> {
    let assertion = match proof {
        Proof::Secret(_) => None,
        Proof::Certificate(certificate) => {
            Some(certificate.assertion(&app.token_url, &app.client_id).map_err(|e| {
                token::failure(
                    "POST",
                    &app.token_url,
                    FailureKind::NotSent,
                    format!("cannot sign the client assertion: {e}"),
                )
            })?)
        }
        Proof::Federated(source) => Some(source.read(transport).await?),
    };
    let mut form: Vec<(&str, &str)> =
        vec![("client_id", &app.client_id), ("scope", scope), ("grant_type", "client_credentials")];
    match (proof, &assertion) {
        (Proof::Secret(secret), _) => form.push(("client_secret", secret.expose())),
        (_, Some(assertion)) => {
            form.push(("client_assertion_type", CLIENT_ASSERTION_TYPE));
            form.push(("client_assertion", assertion.expose()));
        }
        (_, None) => {}
    }
    token::post_form(transport, &app.token_url, &form).await
}

#[cfg(test)]
mod tests {
    use super::certificate::tests::{FIXTURE, FIXTURE_X5T};
    use super::*;
    use crate::source::graph::error::Service;
    use crate::source::graph::testkit;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn transport() -> Transport {
        Transport::new(testkit::fast_policy(), 4).unwrap()
    }

    fn auth_for(server: &MockServer, credential: Credential) -> Auth {
        let mut options = testkit::options(server);
        options.credential = credential;
        Auth::new(&options, &super::super::options::endpoints(&options).unwrap()).unwrap()
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
    async fn a_federated_token_is_the_client_assertion_and_is_read_again_on_renewal() {
        let server = MockServer::start().await;
        testkit::mount_token(&server, 3600).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "federated.one.x").unwrap();
        let auth = auth_for(&server, Credential::Federated(FederatedToken::File(file.clone())));
        let transport = transport();
        let first = auth.bearer(&transport).await.unwrap();
        std::fs::write(&file, "federated.two.x").unwrap();
        auth.renew(&transport, first.generation).await.unwrap();
        let assertions: Vec<String> = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|request| {
                let fields: std::collections::HashMap<String, String> =
                    url::form_urlencoded::parse(&request.body).into_owned().collect();
                assert_eq!(fields["client_assertion_type"], CLIENT_ASSERTION_TYPE);
                assert_eq!(fields["grant_type"], "client_credentials");
                fields["client_assertion"].clone()
            })
            .collect();
        assert_eq!(assertions, ["federated.one.x", "federated.two.x"]);
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
}
