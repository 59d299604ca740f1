//! Sign-in: the simulated Entra ID token endpoint (client credentials with a secret or a certificate
//! assertion) and the bearer tokens it issues.
//!
//! A client assertion is checked for its *shape* only: three base64url parts, a header with `alg`
//! RS256 or PS256 and an `x5t` or `x5t#S256` thumbprint, claims with `iss` = `sub` = the client id, an
//! `aud` ending in `/oauth2/v2.0/token` and an `exp` in the future. The signature is NOT verified: the
//! simulator knows no certificate, and what it tests is that the client builds and sends a well-formed
//! assertion. Access tokens are shaped like Entra's (a JWT whose payload carries `tid`, `appid`, `exp`
//! and the app's `roles`, with a random `uti`; the signature is a placeholder) and kept in a map with
//! their client and expiry: the server checks them by lookup, a client may read their claims.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use serde_json::Value;

use super::faults::lock;
use super::wire::{entra_error, Ctx, Out};
use super::{ServerOptions, Shared};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The access tokens issued so far: token -> (client id, expiry).
#[derive(Default)]
pub(super) struct Tokens {
    issued: Mutex<HashMap<String, (String, Instant)>>,
}

/// An access token shaped like Entra's: `header.payload.signature`, base64url, with the app's roles.
fn access_token(tenant_id: &str, client_id: &str, roles: &[&str], lifetime: Duration) -> String {
    let b64 = |value: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    let now = chrono::Utc::now().timestamp();
    let seconds = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": "simulated"});
    let payload = serde_json::json!({
        "aud": "https://graph.microsoft.com",
        "iss": format!("https://sts.windows.net/{tenant_id}/"),
        "iat": now,
        "nbf": now,
        "exp": now.saturating_add(seconds),
        "tid": tenant_id,
        "appid": client_id,
        "idtyp": "app",
        "roles": roles,
        "uti": uuid::Uuid::new_v4().simple().to_string(),
    });
    format!("{}.{}.c2ltdWxhdGVk", b64(header), b64(payload))
}

impl Tokens {
    fn issue(&self, token: String, client_id: &str, lifetime: Duration) -> String {
        let now = Instant::now();
        let expires = now.checked_add(lifetime.min(Duration::from_secs(10 * 365 * 86_400))).unwrap_or(now);
        let mut issued = lock(&self.issued);
        if issued.len() >= 10_000 {
            issued.retain(|_, (_, expiry)| *expiry > now);
        }
        issued.insert(token.clone(), (client_id.to_owned(), expires));
        token
    }

    /// The client app of a valid, unexpired bearer token in `Authorization`, or `None`.
    pub fn client_of(&self, headers: &HeaderMap) -> Option<String> {
        let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let issued = lock(&self.issued);
        let (client, expires) = issued.get(token.trim())?;
        (Instant::now() < *expires).then(|| client.clone())
    }
}

/// The fields of a token request's form body (the first value of a repeated name).
struct Form(HashMap<String, String>);

impl Form {
    fn parse(body: &[u8]) -> Form {
        let mut form = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            form.entry(name.into_owned()).or_insert_with(|| value.into_owned());
        }
        Form(form)
    }

    /// Field `name`, unless missing or empty.
    fn field(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(super) fn token(shared: &Shared, ctx: &Ctx, tenant: &str, body: &[u8]) -> Out {
    let form = Form::parse(body);
    let client_id = match check_client(shared, ctx, tenant, &form) {
        Ok(client_id) => client_id,
        Err(refused) => return refused,
    };
    if let Err(refused) = check_credential(&shared.options, ctx, client_id, &form) {
        return refused;
    }
    let lifetime = Duration::from_secs(shared.options.token_lifetime_secs);
    let token = access_token(&shared.index.tenant.tenant_id, client_id, &shared.options.roles(), lifetime);
    let access_token = shared.tokens.issue(token, client_id, lifetime);
    let lifetime = lifetime.as_secs();
    shared.stats.tokens_issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let body = serde_json::json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    let mut out = Out::json(body.to_string().into_bytes());
    out.login = true;
    out
}

fn missing(ctx: &Ctx, name: &str) -> Out {
    entra_error(
        ctx,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// The client id of a client-credentials request for this tenant, this app and a `/.default` scope, or
/// Entra ID's answer to the first thing wrong.
fn check_client<'f>(shared: &Shared, ctx: &Ctx, tenant: &str, form: &'f Form) -> Result<&'f str, Out> {
    if !tenant.eq_ignore_ascii_case(&shared.index.tenant.tenant_id) {
        return Err(entra_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing \
                 into the correct cloud."
            ),
        ));
    }
    let grant_type = form.field("grant_type").ok_or_else(|| missing(ctx, "grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(entra_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{grant_type}'."),
        ));
    }
    let client_id = form.field("client_id").ok_or_else(|| missing(ctx, "client_id"))?;
    if client_id != shared.options.client_id {
        return Err(entra_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can \
                 happen if the application has not been installed by the administrator of the tenant."
            ),
        ));
    }
    let scope = form.field("scope").ok_or_else(|| missing(ctx, "scope"))?;
    if !scope.ends_with("/.default") {
        return Err(entra_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope \
                 value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        ));
    }
    Ok(client_id)
}

/// Checks the app's credential: its client secret, or else the shape of its client assertion.
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
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client \
                     secret value, not the client secret ID, for a secret added to app '{client_id}'."
                ),
            ));
        }
        Ok(())
    } else if let Some(assertion) = form.field("client_assertion") {
        let checked = if form.field("client_assertion_type") != Some(JWT_BEARER) {
            Err(format!("client_assertion_type must be '{JWT_BEARER}'"))
        } else {
            check_assertion(assertion, client_id, chrono::Utc::now().timestamp())
        };
        checked.map_err(|reason| {
            entra_error(
                ctx,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700027,
                &format!("Client assertion failed signature validation: {reason}."),
            )
        })
    } else {
        Err(entra_error(
            ctx,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ))
    }
}

/// Checks the shape of a client assertion (see the module documentation; the signature is not verified).
pub(super) fn check_assertion(jwt: &str, client_id: &str, now: i64) -> Result<(), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return Err("the assertion is not a JWT of three parts".to_owned());
    };
    let header = json_part(header, "header")?;
    let claims = json_part(claims, "claims")?;
    if signature.is_empty() || decode(signature).is_none() {
        return Err("the JWT signature is missing or not base64url".to_owned());
    }
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
    let audience_ok = |v: &Value| v.as_str().is_some_and(|a| a.ends_with("/oauth2/v2.0/token"));
    let audience = match claims.get("aud") {
        Some(Value::Array(items)) => items.iter().any(audience_ok),
        Some(v) => audience_ok(v),
        None => false,
    };
    if !audience {
        return Err("the 'aud' claim is not the token endpoint".to_owned());
    }
    let exp = claims.get("exp").and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
    match exp {
        Some(exp) if exp > now => Ok(()),
        Some(_) => Err("the assertion has expired".to_owned()),
        None => Err("the 'exp' claim is missing".to_owned()),
    }
}

fn decode(part: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()
}

fn json_part(part: &str, what: &str) -> Result<serde_json::Map<String, Value>, String> {
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
}
