//! Token replies, whichever flow asked: Entra's token endpoint (`access_token`, `expires_in`, maybe a
//! `refresh_token`) and the managed-identity endpoints (`expires_in` or `expires_on`, epoch seconds,
//! as a number or a string); and the one way every flow sends its sign-in requests, through the
//! transport's retry loop, with the errors saying what was being done and never a secret.

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::super::error::{FailureKind, GraphError, Service};
use super::super::http::{Body, Call, Failure, Reply, Transport};
use super::super::options::Secret;
use super::super::retry::{OnThrottle, RetryPolicy};

/// A token lasts an hour when its reply does not say.
const DEFAULT_LIFETIME_SECS: f64 = 3600.0;
/// No token is kept longer than a day, whatever its reply says.
const MAX_LIFETIME_SECS: f64 = 86_400.0;

/// A new access token.
#[derive(Debug)]
pub(crate) struct Issued {
    pub access_token: Secret,
    /// How long it lasts, counted from when it was asked for.
    pub lifetime: Duration,
    /// A delegated sign-in's refresh token (kept in memory only).
    pub refresh_token: Option<Secret>,
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: Option<String>,
    expires_in: Option<Value>,
    expires_on: Option<Value>,
    refresh_token: Option<String>,
}

/// Seconds as a number or a numeric string.
pub(crate) fn seconds(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|s: &f64| s.is_finite())
}

/// Reads a token reply; `now` (Unix seconds) turns an `expires_on` into a lifetime. `None` without an
/// access token.
pub(crate) fn parse(body: &[u8], now: i64) -> Option<Issued> {
    let reply: TokenReply = serde_json::from_slice(body).ok()?;
    let access_token = reply.access_token.filter(|t| !t.is_empty())?;
    let lifetime = reply
        .expires_in
        .as_ref()
        .and_then(seconds)
        .or_else(|| reply.expires_on.as_ref().and_then(seconds).map(|on| on - now as f64))
        .unwrap_or(DEFAULT_LIFETIME_SECS)
        .clamp(0.0, MAX_LIFETIME_SECS);
    Some(Issued {
        access_token: Secret::new(access_token),
        lifetime: Duration::from_secs_f64(lifetime),
        refresh_token: reply.refresh_token.filter(|t| !t.is_empty()).map(Secret::new),
    })
}

/// A sign-in failure of `method url` that is not an HTTP answer, with what went wrong.
pub(crate) fn failure(method: &str, url: &str, kind: FailureKind, message: impl Into<String>) -> Failure {
    let mut error = GraphError::new(Service::SignIn, method, url, kind);
    error.message = Some(message.into());
    Box::new(error)
}

/// Sends one sign-in request (no Graph token; its errors are Entra's) through the transport's retries.
pub(crate) async fn send(
    transport: &Transport,
    method: &Method,
    url: &str,
    body: Body<'_>,
    headers: &[(&str, &str)],
) -> Result<Reply, Failure> {
    send_with_policy(transport, &transport.policy, method, url, body, headers).await
}

/// [`send`] with another retry policy.
pub(crate) async fn send_with_policy(
    transport: &Transport,
    policy: &RetryPolicy,
    method: &Method,
    url: &str,
    body: Body<'_>,
    headers: &[(&str, &str)],
) -> Result<Reply, Failure> {
    let call =
        Call { method, url, auth: None, body, policy, budget: None, on_throttle: OnThrottle::Retry, phase: None };
    transport.send_boxed(call, headers).await
}

/// The token in a successful reply to `method url`.
pub(crate) fn issued(reply: &Reply, method: &str, url: &str) -> Result<Issued, Failure> {
    parse(&reply.body, chrono::Utc::now().timestamp()).ok_or_else(|| {
        let mut error = failure(
            method,
            url,
            FailureKind::Unusable,
            format!("the token endpoint answered HTTP {} without an access_token", reply.status),
        );
        error.status = Some(reply.status);
        error
    })
}

/// POSTs `form` to a token endpoint and reads the token it answers.
pub(crate) async fn post_form(transport: &Transport, url: &str, form: &[(&str, &str)]) -> Result<Issued, Failure> {
    let reply = send(transport, &Method::POST, url, Body::Form(form), &[]).await?;
    issued(&reply, "POST", url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/graph-docs/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(path).unwrap()
    }

    #[test]
    fn microsoft_token_examples_parse() {
        let app = parse(&fixture("token-response.example.json"), 0).unwrap();
        assert!(app.access_token.expose().starts_with("eyJ"));
        assert_eq!(app.lifetime, Duration::from_secs(3599));
        assert!(app.refresh_token.is_none());
        for name in [
            "token-response-auth-code.example.json",
            "token-response-device-code.example.json",
            "token-response-refresh-token.example.json",
        ] {
            let delegated = parse(&fixture(name), 0).unwrap();
            assert_eq!(delegated.lifetime, Duration::from_secs(3599), "{name}");
            assert!(delegated.refresh_token.is_some_and(|t| t.expose().starts_with("AwAB")), "{name}");
        }
    }

    #[test]
    fn lifetimes_from_numbers_strings_or_an_expiry_time() {
        let lifetime = |body: &str| parse(body.as_bytes(), 1_000).map(|i| i.lifetime.as_secs());
        assert_eq!(lifetime(r#"{"access_token":"t","expires_in":"86399"}"#), Some(86_399));
        assert_eq!(lifetime(r#"{"access_token":"t","expires_on":"4600"}"#), Some(3_600));
        assert_eq!(lifetime(r#"{"access_token":"t","expires_on":4600}"#), Some(3_600));
        assert_eq!(lifetime(r#"{"access_token":"t","expires_on":"09/14/2017 00:00:00 PM +00:00"}"#), Some(3_600));
        assert_eq!(lifetime(r#"{"access_token":"t","expires_in":1e12}"#), Some(86_400));
        assert_eq!(lifetime(r#"{"access_token":"t","expires_on":10}"#), Some(0));
        assert_eq!(lifetime(r#"{"access_token":"","expires_in":5}"#), None);
        assert_eq!(lifetime("not json"), None);
    }
}
