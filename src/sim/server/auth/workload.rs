//! The simulated sign-in of machines without a secret: workload identity federation (a federated
//! token as the client assertion, and a GitHub-Actions-like OIDC endpoint that issues one) and Azure
//! managed identity (App Service's `IDENTITY_ENDPOINT` and a VM's instance metadata service).
//!
//! A federated assertion is checked for its shape, audience (`api://AzureADTokenExchange`), expiry, and
//! the issuer and subject of the app's federated credential when [`SignInOptions`] names them; its
//! signature is not verified. The OIDC endpoint wants `Authorization: Bearer` with
//! [`SignInOptions::oidc_request_token`]; the managed-identity endpoints want `X-IDENTITY-HEADER` with
//! [`SignInOptions::identity_header`] (App Service, api-version 2019-08-01) or `Metadata: true` (IMDS,
//! api-version 2018-02-01), and answer `expires_on` (and IMDS `expires_in`) as strings, as Azure does.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::super::wire::{Ctx, Out};
use super::super::Shared;
use super::{audience_matches, expiry, jwt_parts, unsigned_jwt, Form, Grants, SignInOptions};

/// The audience of a federated token exchanged with Entra ID.
pub(super) const TOKEN_EXCHANGE: &str = "api://AzureADTokenExchange";
/// The issuer and subject of the tokens the OIDC endpoint issues (GitHub's, for a workflow on `main`).
pub(super) const OIDC_ISSUER: &str = "https://token.actions.githubusercontent.com";
pub(super) const OIDC_SUBJECT: &str = "repo:contoso/intune-audit:ref:refs/heads/main";

/// Whether a client assertion is a federated token (its audience is Entra's token exchange).
pub(super) fn is_federated(assertion: &str) -> bool {
    jwt_parts(assertion).is_ok_and(|(_, claims)| audience_matches(&claims, |a| a == TOKEN_EXCHANGE))
}

/// Checks a federated assertion; Entra's code and description when refused.
pub(super) fn check_federated(options: &SignInOptions, assertion: &str, now: i64) -> Result<(), (u32, String)> {
    let (_, claims) =
        jwt_parts(assertion).map_err(|reason| (50027, format!("JWT token is invalid or malformed: {reason}.")))?;
    let claim = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
    let (issuer, subject) = (claim("iss"), claim("sub"));
    match expiry(&claims) {
        Some(exp) if exp > now => {}
        _ => {
            return Err((
                700024,
                format!("Client assertion is not within its valid time range. Current time: {now}, expiry time of assertion: {:?}.", expiry(&claims)),
            ))
        }
    }
    if issuer.is_empty() || options.federated_issuer.as_deref().is_some_and(|wanted| wanted != issuer) {
        return Err((
            700211,
            format!("No matching federated identity record found for presented assertion issuer '{issuer}'."),
        ));
    }
    if subject.is_empty() || options.federated_subject.as_deref().is_some_and(|wanted| wanted != subject) {
        return Err((
            700213,
            format!("No matching federated identity record found for presented assertion subject '{subject}'."),
        ));
    }
    Ok(())
}

/// JSON with the sign-in content type.
fn json(status: StatusCode, body: Value) -> Out {
    let mut out = Out::json(body.to_string().into_bytes());
    out.status = status;
    out.login = true;
    out
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// `GET /github-oidc/token?audience=...` with the request token: `{"count": 1, "value": "<jwt>"}`.
pub(super) fn github_oidc(shared: &Shared, _ctx: &Ctx, query: &Form, headers: &HeaderMap) -> Out {
    let options = &shared.options.sign_in;
    let presented =
        header(headers, "authorization").and_then(|v| v.strip_prefix("Bearer ").or(v.strip_prefix("bearer ")));
    if let Some(presented) = presented {
        shared.tokens.saw(presented);
    }
    if presented != Some(options.oidc_request_token.as_str()) {
        return json(StatusCode::UNAUTHORIZED, serde_json::json!({"message": "Bad credentials"}));
    }
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "jti": uuid::Uuid::new_v4().to_string(),
        "sub": OIDC_SUBJECT,
        "aud": query.field("audience").unwrap_or("https://github.com/contoso"),
        "repository": "contoso/intune-audit",
        "ref": "refs/heads/main",
        "iss": OIDC_ISSUER,
        "nbf": now - 5,
        "iat": now - 5,
        "exp": now + options.oidc_token_lifetime_secs,
    });
    let token = unsigned_jwt(&claims);
    shared.tokens.saw(&token);
    json(StatusCode::OK, serde_json::json!({"count": 1, "value": token}))
}

/// `GET /msi/token` (App Service, `imds` false) or `GET /metadata/identity/oauth2/token` (IMDS).
pub(super) fn managed_identity(shared: &Shared, _ctx: &Ctx, imds: bool, query: &Form, headers: &HeaderMap) -> Out {
    let options = &shared.options.sign_in;
    // Each endpoint's own error shape.
    let refuse = |status: StatusCode, message: &str| match imds {
        true => json(status, serde_json::json!({"error": "invalid_request", "error_description": message})),
        false => json(status, serde_json::json!({"statusCode": status.as_u16(), "message": message})),
    };
    let (api_version, proof_ok) = match imds {
        true => ("2018-02-01", header(headers, "metadata").is_some_and(|v| v.eq_ignore_ascii_case("true"))),
        false => {
            let presented = header(headers, "x-identity-header");
            if let Some(presented) = presented {
                shared.tokens.saw(presented);
            }
            ("2019-08-01", presented == Some(options.identity_header.as_str()))
        }
    };
    if !proof_ok {
        return match imds {
            true => refuse(StatusCode::BAD_REQUEST, "Required metadata header not specified"),
            false => {
                refuse(StatusCode::UNAUTHORIZED, "The X-IDENTITY-HEADER header is missing or not this endpoint's.")
            }
        };
    }
    if query.field("api-version") != Some(api_version) {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!("Required query variable 'api-version' must be {api_version}"),
        );
    }
    let Some(resource) = query.field("resource") else {
        return refuse(StatusCode::BAD_REQUEST, "Required query variable 'resource' is missing");
    };
    let client = query.field("client_id").unwrap_or("system-assigned-identity");
    let lifetime = shared.options.token_lifetime_secs;
    let grants = Grants::Roles(shared.options.app_roles());
    let tenant = &shared.index.tenant.tenant_id;
    let token = shared.tokens.issue(&shared.index.base, tenant, client, Duration::from_secs(lifetime), grants);
    shared.stats.tokens_issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let expires_on = (chrono::Utc::now().timestamp() + lifetime as i64).to_string();
    let mut body = serde_json::json!({
        "access_token": token,
        "expires_on": expires_on,
        "resource": resource,
        "token_type": "Bearer",
        "client_id": client,
    });
    if imds {
        body["expires_in"] = Value::String(lifetime.to_string());
    }
    json(StatusCode::OK, body)
}
