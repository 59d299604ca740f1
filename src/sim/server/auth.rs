//! Sign-in: the simulated Entra ID, every flow the client speaks, and the bearer tokens it issues.
//!
//! - `POST /{tenant}/oauth2/v2.0/token`: client credentials with a client secret, a certificate
//!   assertion or a federated assertion ([`workload`]); `authorization_code` with PKCE,
//!   `refresh_token` and the device-code grant ([`delegated`]).
//! - `GET /{tenant}/oauth2/v2.0/authorize` and `POST /{tenant}/oauth2/v2.0/devicecode` ([`delegated`]).
//! - `GET /github-oidc/token` (GitHub Actions' OIDC), `GET /msi/token` (App Service's identity
//!   endpoint) and `GET /metadata/identity/oauth2/token` (a VM's instance metadata service)
//!   ([`workload`]).
//!
//! Assertions are checked for their *shape* only, never a signature: the simulator knows no
//! certificate and no issuer's keys; what it tests is that the client builds and sends well-formed
//! requests. Access tokens are unsigned JWT-shaped strings carrying `roles` (app-only) or `scp`
//! (delegated), so the client's permission messages can read them; the server keeps each one with its
//! client, grants and expiry, and refuses a Graph request whose token lacks the permission the
//! request needs (the client's own permission table decides which), or, with
//! [`SignInOptions::intune_role_missing`], any delegated Intune read.
//!
//! Every secret the server issues or receives (tokens, codes, refresh tokens, device codes, PKCE
//! verifiers, assertions, identity headers) is remembered, so that tests can search every output
//! for them ([`super::RunningServer::secrets`]).

mod delegated;
mod workload;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use serde_json::Value;

use super::faults::lock;
use super::wire::{entra_error, graph_error, intune_error, Ctx, Out};
use super::{ServerOptions, Shared};
use crate::source::graph::permissions::{need_for_path, Grants};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// At most this many of each kind of issued secret are kept; older ones are forgotten.
const MAX_KEPT: usize = 10_000;

/// How the simulated Entra ID answers the sign-in flows (the app's credentials are in
/// [`ServerOptions`]).
#[derive(Clone, Debug)]
pub struct SignInOptions {
    /// The application permissions an app-only token carries (`roles`).
    pub app_roles: Vec<String>,
    /// The delegated permissions the admin has consented to: a delegated token carries those the
    /// client asked for among them (`scp`).
    pub delegated_scopes: Vec<String>,
    /// The signed-in admin has no Intune role: every delegated Intune read answers 403.
    pub intune_role_missing: bool,
    /// `/authorize` shows a page with a link back instead of sending the browser back at once.
    pub authorize_page: bool,
    /// The person declines, on the authorize page and on the device-code page.
    pub decline: bool,
    /// Device code: `slow_down` answers first, then `authorization_pending` answers, then the token.
    pub device_code_slow_downs: u32,
    pub device_code_pending: u32,
    /// Device code: the poll interval and the code's lifetime it announces.
    pub device_code_interval_secs: u64,
    pub device_code_lifetime_secs: u64,
    /// Conditional Access blocks device-code sign-in: the poll answers AADSTS53003.
    pub block_device_code: bool,
    /// The federated credential of the app: the issuer and subject it trusts (`None`: any).
    pub federated_issuer: Option<String>,
    pub federated_subject: Option<String>,
    /// The GitHub-like OIDC endpoint: the request token it accepts, and its tokens' lifetime in seconds
    /// (negative: already expired).
    pub oidc_request_token: String,
    pub oidc_token_lifetime_secs: i64,
    /// The managed-identity endpoint's `X-IDENTITY-HEADER`.
    pub identity_header: String,
}

impl Default for SignInOptions {
    fn default() -> Self {
        // The app is granted, and the admin has consented to, every permission of the table: a token
        // carries those a delegated sign-in asked for (the audit's reads; `send` adds its own).
        let all: Vec<String> = crate::source::graph::NEEDS.iter().map(|need| need.permission.to_owned()).collect();
        SignInOptions {
            app_roles: all.clone(),
            delegated_scopes: all,
            intune_role_missing: false,
            authorize_page: false,
            decline: false,
            device_code_slow_downs: 0,
            device_code_pending: 1,
            device_code_interval_secs: 1,
            device_code_lifetime_secs: 900,
            block_device_code: false,
            federated_issuer: None,
            federated_subject: None,
            oidc_request_token: "sim-oidc-request-token".to_owned(),
            oidc_token_lifetime_secs: 300,
            identity_header: "sim-identity-header".to_owned(),
        }
    }
}

/// An issued access token.
struct Issued {
    client: String,
    expires: Instant,
    grants: Grants,
}

/// What the sign-in side remembers: the tokens it issued, the flows in progress, every secret seen.
#[derive(Default)]
pub(super) struct Tokens {
    issued: Mutex<HashMap<String, Issued>>,
    flows: delegated::Flows,
    seen: Mutex<Vec<String>>,
}

impl Tokens {
    /// Remembers a secret the server issued or received.
    fn saw(&self, secret: &str) {
        let mut seen = lock(&self.seen);
        if seen.len() < MAX_KEPT && !secret.is_empty() {
            seen.push(secret.to_owned());
        }
    }

    /// Every secret issued or received so far.
    pub fn secrets(&self) -> Vec<String> {
        lock(&self.seen).clone()
    }

    /// A new access token for `client`, carrying `grants`.
    fn issue(&self, shared_base: &str, tenant: &str, client: &str, lifetime: Duration, grants: Grants) -> String {
        let now = chrono::Utc::now().timestamp();
        let seconds = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2).min(10 * 365 * 86_400);
        let mut claims = serde_json::json!({
            "aud": shared_base,
            "iss": format!("https://sts.windows.net/{tenant}/"),
            "tid": tenant,
            "appid": client,
            "iat": now,
            "exp": now + seconds,
        });
        match &grants {
            Grants::Roles(roles) => claims["roles"] = serde_json::json!(roles),
            Grants::Scopes(scopes) => claims["scp"] = Value::String(scopes.join(" ")),
        }
        let token = unsigned_jwt(&claims);
        let now = Instant::now();
        let expires = now.checked_add(Duration::from_secs(seconds.max(0) as u64)).unwrap_or(now);
        let mut issued = lock(&self.issued);
        if issued.len() >= MAX_KEPT {
            issued.retain(|_, token| token.expires > now);
        }
        issued.insert(token.clone(), Issued { client: client.to_owned(), expires, grants });
        drop(issued);
        self.saw(&token);
        token
    }

    /// The valid, unexpired bearer token in `Authorization`.
    fn bearer<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }

    /// The client app of a valid, unexpired bearer token in `Authorization`, or `None`.
    pub fn client_of(&self, headers: &HeaderMap) -> Option<String> {
        let token = self.bearer(headers)?;
        let issued = lock(&self.issued);
        let token = issued.get(token)?;
        (Instant::now() < token.expires).then(|| token.client.clone())
    }

    /// Graph's 403 when the (valid) token in `headers` may not call `path`, or `None`.
    pub fn forbidden(&self, options: &SignInOptions, ctx: &Ctx, path: &str, headers: &HeaderMap) -> Option<Out> {
        let need = need_for_path(path)?;
        let grants = {
            let issued = lock(&self.issued);
            issued.get(self.bearer(headers)?)?.grants.clone()
        };
        let intune = path.to_ascii_lowercase().contains("/devicemanagement/") || path.ends_with("$batch");
        let message = if !grants.include(need.permission) {
            if !intune {
                return Some(graph_error(
                    ctx,
                    StatusCode::FORBIDDEN,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                ));
            }
            let mut scopes = vec![need.permission];
            scopes.extend(need.also_granted_by);
            format!(
                "Application is not authorized to perform this operation. Application must have one of the \
                 following scopes: {}",
                scopes.join(", ")
            )
        } else if matches!(grants, Grants::Scopes(_)) && options.intune_role_missing && intune {
            "User is not authorized to perform this operation".to_owned()
        } else {
            return None;
        };
        // Intune nests its own error, as JSON text, in Graph's message.
        Some(intune_error(ctx, StatusCode::FORBIDDEN, "Forbidden", &message, path))
    }
}

/// An unsigned JWT-shaped string: base64url header and claims, and a random signature.
fn unsigned_jwt(claims: &Value) -> String {
    let part = |value: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": "simulated"});
    format!("{}.{}.{}", part(&header), part(claims), uuid::Uuid::new_v4().simple())
}

/// The sign-in endpoints, by path.
pub(super) enum Endpoint {
    Token(String),
    Authorize(String),
    DeviceCode(String),
    DeviceLogin,
    GitHubOidc,
    AppServiceIdentity,
    Imds,
}

/// The sign-in endpoint a path names (segment names in any case).
pub(super) fn route(segments: &[String]) -> Option<Endpoint> {
    let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    Some(match s.as_slice() {
        [tenant, oauth, version, last] if is(oauth, "oauth2") && is(version, "v2.0") => match *last {
            last if is(last, "token") => Endpoint::Token((*tenant).to_owned()),
            last if is(last, "authorize") => Endpoint::Authorize((*tenant).to_owned()),
            last if is(last, "devicecode") => Endpoint::DeviceCode((*tenant).to_owned()),
            _ => return None,
        },
        [page] if is(page, "devicelogin") => Endpoint::DeviceLogin,
        [github, token] if is(github, "github-oidc") && is(token, "token") => Endpoint::GitHubOidc,
        [msi, token] if is(msi, "msi") && is(token, "token") => Endpoint::AppServiceIdentity,
        [metadata, identity, oauth, token]
            if is(metadata, "metadata") && is(identity, "identity") && is(oauth, "oauth2") && is(token, "token") =>
        {
            Endpoint::Imds
        }
        _ => return None,
    })
}

/// One request to a sign-in endpoint, as the endpoints see it.
pub(super) struct SignInRequest<'a> {
    pub method: &'a axum::http::Method,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Answers a sign-in endpoint.
pub(super) fn serve(shared: &Shared, ctx: &Ctx, endpoint: Endpoint, request: &SignInRequest<'_>) -> Out {
    use axum::http::Method;
    let post = request.method == Method::POST;
    let wrong_method = |allow: &'static str| super::method_not_allowed(ctx, allow);
    match endpoint {
        Endpoint::Token(tenant) => {
            shared.stats.token_requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if !post {
                return wrong_method("POST");
            }
            token(shared, ctx, &tenant, &Form::parse(request.body))
        }
        Endpoint::DeviceCode(tenant) if post => {
            delegated::device_authorization(shared, ctx, &tenant, &Form::parse(request.body))
        }
        Endpoint::DeviceCode(_) => wrong_method("POST"),
        _ if post => wrong_method("GET"),
        Endpoint::Authorize(tenant) => {
            delegated::authorize(shared, ctx, &tenant, &Form::parse(request.query.unwrap_or("").as_bytes()))
        }
        Endpoint::DeviceLogin => delegated::device_login_page(),
        Endpoint::GitHubOidc => {
            workload::github_oidc(shared, ctx, &Form::parse(request.query.unwrap_or("").as_bytes()), request.headers)
        }
        Endpoint::AppServiceIdentity | Endpoint::Imds => workload::managed_identity(
            shared,
            ctx,
            matches!(endpoint, Endpoint::Imds),
            &Form::parse(request.query.unwrap_or("").as_bytes()),
            request.headers,
        ),
    }
}

/// The fields of a form body or a query string (the first value of a repeated name).
pub(super) struct Form(HashMap<String, String>);

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        let mut form = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            form.entry(name.into_owned()).or_insert_with(|| value.into_owned());
        }
        Form(form)
    }

    /// Field `name`, unless missing or empty.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// Field `name`, or Entra's AADSTS900144 answer.
fn required<'f>(ctx: &Ctx, form: &'f Form, name: &str) -> Result<&'f str, Out> {
    form.field(name).ok_or_else(|| {
        entra_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            &format!("The request body must contain the following parameter: '{name}'."),
        )
    })
}

/// The token endpoint's JSON answer.
fn token_reply(access_token: &str, lifetime: u64, extra: Value) -> Out {
    let mut body = serde_json::json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    let mut out = Out::json(body.to_string().into_bytes());
    out.login = true;
    out
}

/// `POST /{tenant}/oauth2/v2.0/token`: by grant type.
fn token(shared: &Shared, ctx: &Ctx, tenant: &str, form: &Form) -> Out {
    for secret in ["client_secret", "client_assertion", "code", "code_verifier", "refresh_token", "device_code"] {
        if let Some(value) = form.field(secret) {
            shared.tokens.saw(value);
        }
    }
    let answer =
        check_tenant(shared, ctx, tenant).and_then(|()| required(ctx, form, "grant_type")).and_then(|grant_type| {
            match grant_type {
                "client_credentials" => client_credentials(shared, ctx, tenant, form),
                "authorization_code" => delegated::redeem_code(shared, ctx, tenant, form),
                "refresh_token" => delegated::redeem_refresh_token(shared, ctx, tenant, form),
                "urn:ietf:params:oauth:grant-type:device_code" => {
                    delegated::poll_device_code(shared, ctx, tenant, form)
                }
                other => Err(entra_error(
                    ctx,
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    70003,
                    &format!("The app requested an unsupported grant type '{other}'."),
                )),
            }
        });
    answer.unwrap_or_else(|refused| refused)
}

fn check_tenant(shared: &Shared, ctx: &Ctx, tenant: &str) -> Result<(), Out> {
    if tenant.eq_ignore_ascii_case(&shared.index.tenant.tenant_id) {
        return Ok(());
    }
    Err(entra_error(
        ctx,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        90002,
        &format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the \
             correct cloud."
        ),
    ))
}

/// The client id of a request, if it is the app's.
fn check_client<'f>(shared: &Shared, ctx: &Ctx, tenant: &str, form: &'f Form) -> Result<&'f str, Out> {
    let client_id = required(ctx, form, "client_id")?;
    if client_id == shared.options.client_id {
        return Ok(client_id);
    }
    Err(entra_error(
        ctx,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        700016,
        &format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if \
             the application has not been installed by the administrator of the tenant."
        ),
    ))
}

/// Client credentials: a `/.default` scope and the app's secret, certificate assertion or federated
/// assertion.
fn client_credentials(shared: &Shared, ctx: &Ctx, tenant: &str, form: &Form) -> Result<Out, Out> {
    let client_id = check_client(shared, ctx, tenant, form)?;
    let scope = required(ctx, form, "scope")?;
    if !scope.ends_with("/.default") {
        return Err(entra_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value \
                 with /.default suffixed to the resource identifier (application ID URI)."
            ),
        ));
    }
    check_credential(&shared.options, ctx, client_id, form)?;
    let options = &shared.options;
    let grants = Grants::Roles(options.app_roles());
    let lifetime = options.token_lifetime_secs;
    let token = shared.tokens.issue(&shared.index.base, tenant, client_id, Duration::from_secs(lifetime), grants);
    shared.stats.tokens_issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(token_reply(&token, lifetime, Value::Null))
}

/// Checks the app's credential: its client secret, or else its client assertion (a federated token
/// when its audience is Entra's token exchange, else a certificate assertion).
fn check_credential(options: &ServerOptions, ctx: &Ctx, client_id: &str, form: &Form) -> Result<(), Out> {
    if let Some(secret) = form.field("client_secret") {
        // A simulator secret: a plain comparison is enough here.
        if secret != options.client_secret {
            return Err(entra_error(
                ctx,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret \
                     value, not the client secret ID, for a secret added to app '{client_id}'."
                ),
            ));
        }
        return Ok(());
    }
    let Some(assertion) = form.field("client_assertion") else {
        return Err(entra_error(
            ctx,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    };
    let refused =
        |code: u32, reason: String| entra_error(ctx, StatusCode::UNAUTHORIZED, "invalid_client", code, &reason);
    if form.field("client_assertion_type") != Some(JWT_BEARER) {
        return Err(refused(
            700027,
            format!("Client assertion failed signature validation: client_assertion_type must be '{JWT_BEARER}'."),
        ));
    }
    let now = chrono::Utc::now().timestamp();
    if workload::is_federated(assertion) {
        return workload::check_federated(&options.sign_in, assertion, now)
            .map_err(|(code, reason)| refused(code, reason));
    }
    check_assertion(assertion, client_id, now)
        .map_err(|reason| refused(700027, format!("Client assertion failed signature validation: {reason}.")))
}

/// Checks the shape of a certificate's client assertion: three base64url parts, `alg` RS256 or PS256
/// with an `x5t` or `x5t#S256` thumbprint, `iss` = `sub` = the client id, an `aud` ending in
/// `/oauth2/v2.0/token`, an `exp` in the future. The signature is not verified.
pub(super) fn check_assertion(jwt: &str, client_id: &str, now: i64) -> Result<(), String> {
    let (header, claims) = jwt_parts(jwt)?;
    match header.get("alg").and_then(Value::as_str) {
        Some("RS256" | "PS256") => {}
        other => return Err(format!("unsupported alg {other:?} (RS256 or PS256 expected)")),
    }
    let has_thumbprint =
        ["x5t", "x5t#S256"].iter().any(|name| header.get(*name).and_then(Value::as_str).is_some_and(|v| !v.is_empty()));
    if !has_thumbprint {
        return Err("the JWT header has no x5t or x5t#S256 thumbprint".to_owned());
    }
    for claim in ["iss", "sub"] {
        if claims.get(claim).and_then(Value::as_str) != Some(client_id) {
            return Err(format!("the '{claim}' claim is not the client id"));
        }
    }
    if !audience_matches(&claims, |a| a.ends_with("/oauth2/v2.0/token")) {
        return Err("the 'aud' claim is not the token endpoint".to_owned());
    }
    match expiry(&claims) {
        Some(exp) if exp > now => Ok(()),
        Some(_) => Err("the assertion has expired".to_owned()),
        None => Err("the 'exp' claim is missing".to_owned()),
    }
}

/// Whether the `aud` claim (a string or a list) has an audience `wanted` accepts.
fn audience_matches(claims: &Claims, wanted: impl Fn(&str) -> bool) -> bool {
    match claims.get("aud") {
        Some(Value::Array(items)) => items.iter().any(|v| v.as_str().is_some_and(&wanted)),
        Some(v) => v.as_str().is_some_and(wanted),
        None => false,
    }
}

/// The `exp` claim, a number.
fn expiry(claims: &Claims) -> Option<i64> {
    claims.get("exp").and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

/// A JWT's header or claims.
type Claims = serde_json::Map<String, Value>;

/// A JWT's header and claims; its signature must be there and base64url, but is not verified.
fn jwt_parts(jwt: &str) -> Result<(Claims, Claims), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return Err("the assertion is not a JWT of three parts".to_owned());
    };
    let header = json_part(header, "header")?;
    let claims = json_part(claims, "claims")?;
    if signature.is_empty() || decode(signature).is_none() {
        return Err("the JWT signature is missing or not base64url".to_owned());
    }
    Ok((header, claims))
}

fn decode(part: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()
}

fn json_part(part: &str, what: &str) -> Result<Claims, String> {
    let bytes = decode(part).ok_or_else(|| format!("the JWT {what} is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(format!("the JWT {what} is not a JSON object")),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn b64(value: &Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    }

    pub(in super::super) fn assertion(header: Value, claims: Value) -> String {
        format!("{}.{}.c2lnbmF0dXJl", b64(&header), b64(&claims))
    }

    #[test]
    fn assertion_shapes() {
        let good_header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": "abc"});
        let claims = |iss: &str, exp: i64| serde_json::json!({"aud": "http://x/t/oauth2/v2.0/token", "iss": iss, "sub": iss, "exp": exp, "jti": "1"});
        assert_eq!(check_assertion(&assertion(good_header.clone(), claims("app", 200)), "app", 100), Ok(()));
        let ps = serde_json::json!({"alg": "PS256", "x5t#S256": "abc"});
        assert_eq!(check_assertion(&assertion(ps, claims("app", 200)), "app", 100), Ok(()));
        assert!(check_assertion(&assertion(good_header.clone(), claims("app", 50)), "app", 100).is_err());
        assert!(check_assertion(&assertion(good_header.clone(), claims("other", 200)), "app", 100).is_err());
        let hs = serde_json::json!({"alg": "HS256", "x5t": "abc"});
        assert!(check_assertion(&assertion(hs, claims("app", 200)), "app", 100).is_err());
        let no_thumb = serde_json::json!({"alg": "RS256"});
        assert!(check_assertion(&assertion(no_thumb, claims("app", 200)), "app", 100).is_err());
        assert!(check_assertion("a.b", "app", 100).is_err());
        assert!(check_assertion("!!.??.", "app", 100).is_err());
    }

    #[test]
    fn issued_tokens_carry_their_grants() {
        let tokens = Tokens::default();
        let token =
            tokens.issue("http://sim", "t", "app", Duration::from_secs(60), Grants::Scopes(vec!["A.Read.All".into()]));
        assert_eq!(Grants::of_token(&token), Some(Grants::Scopes(vec!["A.Read.All".into()])));
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        assert_eq!(tokens.client_of(&headers).as_deref(), Some("app"));
        assert_eq!(tokens.secrets(), [token]);
    }
}
