//! The simulated Entra ID's delegated flows: an admin signing in.
//!
//! `/authorize` checks the request (the app, `response_type=code`, a loopback `redirect_uri`, an S256
//! `code_challenge`, a `state`), then sends the browser back at once to the redirect URI with a code
//! and the state (or, with [`SignInOptions::authorize_page`], shows a page with that link; with
//! [`SignInOptions::decline`], comes back with `error=access_denied`). The code is single-use, lasts
//! 10 minutes, and is redeemed only with the verifier of its challenge and the same redirect URI.
//! The device-code grant answers [`SignInOptions::device_code_slow_downs`] `slow_down`s, then
//! [`SignInOptions::device_code_pending`] `authorization_pending`s, then the token (or declines, or
//! answers Conditional Access's AADSTS53003). Delegated tokens carry the requested scopes the admin
//! consented to; with `offline_access` a refresh token comes too, and each refresh rotates it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;

use super::super::faults::lock;
use super::super::wire::{entra_error, Ctx, Out};
use super::super::Shared;
use super::{check_client, required, token_reply, Form, Grants, SignInOptions, MAX_KEPT};
use crate::source::graph::permissions::OFFLINE_ACCESS;

const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// The delegated flows in progress.
#[derive(Default)]
pub(super) struct Flows {
    codes: Mutex<HashMap<String, Code>>,
    refresh_tokens: Mutex<HashMap<String, Consent>>,
    device_codes: Mutex<HashMap<String, DeviceCode>>,
}

/// What an admin consented to: the app and the scopes.
#[derive(Clone)]
struct Consent {
    client: String,
    scopes: Vec<String>,
    offline: bool,
}

struct Code {
    consent: Consent,
    redirect_uri: String,
    challenge: String,
    expires: Instant,
}

struct DeviceCode {
    consent: Consent,
    slow_downs: u32,
    pending: u32,
    expires: Instant,
}

/// Inserts into a bounded map (the oldest entries are not tracked: the map is simply cleared when full).
fn keep<V>(map: &Mutex<HashMap<String, V>>, key: String, value: V) {
    let mut map = lock(map);
    if map.len() >= MAX_KEPT {
        map.clear();
    }
    map.insert(key, value);
}

fn secret(shared: &Shared, kind: &str) -> String {
    let value = format!("sim-{kind}-{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    shared.tokens.saw(&value);
    value
}

/// The consent a request's `scope` gives: the Graph permissions it names that the admin consented to.
fn consent(options: &SignInOptions, client: &str, scope: &str) -> Consent {
    let mut scopes = Vec::new();
    let mut offline = false;
    for requested in scope.split_whitespace() {
        if requested.eq_ignore_ascii_case(OFFLINE_ACCESS) {
            offline = true;
            continue;
        }
        let name = requested.rsplit('/').next().unwrap_or(requested);
        if let Some(granted) = options.delegated_scopes.iter().find(|s| s.eq_ignore_ascii_case(name)) {
            if !scopes.contains(granted) {
                scopes.push(granted.clone());
            }
        }
    }
    Consent { client: client.to_owned(), scopes, offline }
}

/// A delegated token reply: the access token, the granted `scope`, and a refresh token with
/// `offline_access`.
fn issue(shared: &Shared, tenant: &str, consent: &Consent) -> Out {
    let lifetime = shared.options.token_lifetime_secs;
    let grants = Grants::Scopes(consent.scopes.clone());
    let token = shared.tokens.issue(&shared.index.base, tenant, &consent.client, Duration::from_secs(lifetime), grants);
    shared.stats.tokens_issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut extra = serde_json::json!({ "scope": consent.scopes.join(" ") });
    if consent.offline {
        let refresh_token = secret(shared, "refresh");
        keep(&shared.tokens.flows.refresh_tokens, refresh_token.clone(), consent.clone());
        extra["refresh_token"] = Value::String(refresh_token);
    }
    token_reply(&token, lifetime, extra)
}

fn invalid_grant(ctx: &Ctx, code: u32, description: &str) -> Out {
    entra_error(ctx, StatusCode::BAD_REQUEST, "invalid_grant", code, description)
}

/// `GET /{tenant}/oauth2/v2.0/authorize`.
pub(super) fn authorize(shared: &Shared, ctx: &Ctx, tenant: &str, query: &Form) -> Out {
    let checked = super::check_tenant(shared, ctx, tenant).and_then(|()| {
        let client = check_client(shared, ctx, tenant, query)?;
        let bad = |code: u32, message: &str| entra_error(ctx, StatusCode::BAD_REQUEST, "invalid_request", code, message);
        if query.field("response_type") != Some("code") {
            return Err(bad(900144, "The request must contain response_type=code."));
        }
        let redirect_uri = required(ctx, query, "redirect_uri")?;
        let loopback = url::Url::parse(redirect_uri)
            .is_ok_and(|u| u.scheme() == "http" && matches!(u.host_str(), Some("localhost" | "127.0.0.1")));
        if !loopback {
            return Err(bad(
                50011,
                &format!("The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client}'."),
            ));
        }
        if query.field("code_challenge_method") != Some("S256") || query.field("code_challenge").is_none() {
            return Err(bad(501491, "Invalid size of Code_Challenge parameter, or a code_challenge_method other than S256."));
        }
        let state = required(ctx, query, "state")?;
        let scope = required(ctx, query, "scope")?;
        Ok((client, redirect_uri, state, scope))
    });
    let (client, redirect_uri, state, scope) = match checked {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let options = &shared.options.sign_in;
    let mut back = url::form_urlencoded::Serializer::new(String::new());
    if options.decline {
        back.append_pair("error", "access_denied").append_pair(
            "error_description",
            &format!("AADSTS65004: User declined to consent to access the app.\r\nTrace ID: {}", ctx.request_id),
        );
    } else {
        let code = secret(shared, "code");
        let challenge = query.field("code_challenge").unwrap_or_default().to_owned();
        let consent = consent(options, client, scope);
        let entry =
            Code { consent, redirect_uri: redirect_uri.to_owned(), challenge, expires: Instant::now() + CODE_LIFETIME };
        keep(&shared.tokens.flows.codes, code.clone(), entry);
        back.append_pair("code", &code);
    }
    let location = format!("{redirect_uri}?{}", back.append_pair("state", state).finish());
    if options.authorize_page {
        let link = location.replace('&', "&amp;").replace('"', "&quot;");
        return html(StatusCode::OK, &format!("<h1>Simulated sign-in</h1><p><a href=\"{link}\">Continue</a></p>"));
    }
    let mut out = html(StatusCode::FOUND, "<p>Redirecting...</p>");
    out.headers.push(("location", location));
    out
}

fn html(status: StatusCode, body: &str) -> Out {
    let page = format!("<!doctype html><html><head><title>Simulated Entra ID</title></head><body>{body}</body></html>");
    Out {
        status,
        headers: vec![("content-type", "text/html; charset=utf-8".to_owned())],
        body: page.into_bytes(),
        login: true,
    }
}

/// `grant_type=authorization_code`: the code, its redirect URI and its PKCE verifier.
pub(super) fn redeem_code(shared: &Shared, ctx: &Ctx, tenant: &str, form: &Form) -> Result<Out, Out> {
    let client = check_client(shared, ctx, tenant, form)?;
    let code = required(ctx, form, "code")?;
    let redirect_uri = required(ctx, form, "redirect_uri")?;
    let verifier = required(ctx, form, "code_verifier")?;
    let entry = lock(&shared.tokens.flows.codes).remove(code);
    let Some(entry) = entry else {
        return Err(invalid_grant(ctx, 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."));
    };
    if Instant::now() > entry.expires {
        return Err(invalid_grant(
            ctx,
            70008,
            "The provided authorization code or refresh token has expired due to inactivity.",
        ));
    }
    if entry.consent.client != client || entry.redirect_uri != redirect_uri {
        return Err(invalid_grant(
            ctx,
            70000,
            "The provided authorization code was issued to another client or redirect URI.",
        ));
    }
    if pkce_challenge(verifier) != entry.challenge {
        return Err(invalid_grant(
            ctx,
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        ));
    }
    Ok(issue(shared, tenant, &entry.consent))
}

/// `grant_type=refresh_token`: a refresh token this server issued; it is rotated.
pub(super) fn redeem_refresh_token(shared: &Shared, ctx: &Ctx, tenant: &str, form: &Form) -> Result<Out, Out> {
    let client = check_client(shared, ctx, tenant, form)?;
    let refresh_token = required(ctx, form, "refresh_token")?;
    // The lock is released before `issue`, which stores the rotated refresh token.
    let consent = lock(&shared.tokens.flows.refresh_tokens).remove(refresh_token);
    match consent {
        Some(consent) if consent.client == client => Ok(issue(shared, tenant, &consent)),
        _ => Err(invalid_grant(
            ctx,
            9002313,
            "Invalid request. Request is malformed or invalid: the refresh token is not valid.",
        )),
    }
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub(super) fn device_authorization(shared: &Shared, ctx: &Ctx, tenant: &str, form: &Form) -> Out {
    let checked = super::check_tenant(shared, ctx, tenant)
        .and_then(|()| check_client(shared, ctx, tenant, form))
        .and_then(|client| Ok((client, required(ctx, form, "scope")?)));
    let (client, scope) = match checked {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let options = &shared.options.sign_in;
    let device_code = secret(shared, "device");
    let user_code: String = uuid::Uuid::new_v4().simple().to_string()[..9].to_ascii_uppercase();
    let entry = DeviceCode {
        consent: consent(options, client, scope),
        slow_downs: options.device_code_slow_downs,
        pending: options.device_code_pending,
        expires: Instant::now() + Duration::from_secs(options.device_code_lifetime_secs),
    };
    keep(&shared.tokens.flows.device_codes, device_code.clone(), entry);
    let verification_uri = format!("{}/devicelogin", shared.index.base);
    let body = serde_json::json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": verification_uri,
        "expires_in": options.device_code_lifetime_secs,
        "interval": options.device_code_interval_secs,
        "message": format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."),
    });
    let mut out = Out::json(body.to_string().into_bytes());
    out.login = true;
    out
}

/// `GET /devicelogin`: where the person would enter the code (the simulated sign-in completes by itself).
pub(super) fn device_login_page() -> Out {
    html(StatusCode::OK, "<h1>Simulated device sign-in</h1><p>The simulated sign-in completes by itself.</p>")
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code`: one poll.
pub(super) fn poll_device_code(shared: &Shared, ctx: &Ctx, tenant: &str, form: &Form) -> Result<Out, Out> {
    check_client(shared, ctx, tenant, form)?;
    let device_code = required(ctx, form, "device_code")?;
    let options = &shared.options.sign_in;
    let mut codes = lock(&shared.tokens.flows.device_codes);
    let Some(entry) = codes.get_mut(device_code) else {
        return Err(entra_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "bad_verification_code",
            70018,
            "Invalid verification code due to User typing in wrong user code for device code flow.",
        ));
    };
    let answer = |error: &str, code: u32, text: &str| Err(entra_error(ctx, StatusCode::BAD_REQUEST, error, code, text));
    if Instant::now() > entry.expires {
        codes.remove(device_code);
        return answer("expired_token", 70019, "Verification code expired. Have the user retry the sign-in.");
    }
    if entry.slow_downs > 0 {
        entry.slow_downs -= 1;
        return answer("slow_down", 70016, "The client is polling too quickly: wait longer between requests.");
    }
    if entry.pending > 0 {
        entry.pending -= 1;
        return answer(
            "authorization_pending",
            70016,
            "The provided request has not yet been authorized by the user. The user must input their code.",
        );
    }
    let consent = entry.consent.clone();
    codes.remove(device_code);
    drop(codes);
    if options.block_device_code {
        return answer(
            "invalid_grant",
            53003,
            "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
        );
    }
    if options.decline {
        return answer("authorization_declined", 70000, "The end user declined the authorization request.");
    }
    Ok(issue(shared, tenant, &consent))
}

/// PKCE S256: base64url(SHA-256(verifier)).
fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}
