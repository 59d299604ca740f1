//! An admin signing in: the authorization code flow with PKCE through the browser (`--interactive`),
//! the device authorization grant (`--device-code`), and the refresh token that renews either during a
//! long run (kept in memory only, never written anywhere).
//!
//! Interactive: a loopback listener on 127.0.0.1 ([`super::loopback`]), a PKCE verifier (32 random
//! bytes, base64url) and its S256 challenge, a random `state`; the browser opens the authorize URL (the
//! URL is printed too), Entra sends the browser back to `http://localhost:PORT` with a code, and the
//! code is redeemed with the verifier. Device code: Entra's message (the code and where to enter it)
//! is shown, then the token endpoint is polled at Entra's `interval` (5 s more after `slow_down`)
//! until the person finishes, declines, or the code expires.
//!
//! Entra's own errors keep their code, description and trace id; what the person can do about them
//! is added as the hint, e.g. that Conditional Access blocks device-code sign-in in hardened tenants.

use std::time::{Duration, Instant};

use base64::Engine as _;
use rand::RngCore as _;
use reqwest::Method;
use serde::Deserialize;
use sha2::Digest as _;

use super::super::error::FailureKind;
use super::super::http::{encode, Body, Failure, Transport};
use super::super::options::{Browser, Prompt, Secret};
use super::loopback::{Loopback, Outcome};
use super::token::{self, failure, Issued};
use super::Registration;

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628: the poll interval when the server names none, and what `slow_down` adds.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// A device code lasts 15 minutes when Entra does not say.
const DEFAULT_DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(900);

/// Which delegated flow, and what it needs beyond the app registration.
#[derive(Debug)]
pub(crate) struct Delegated {
    pub flow: Flow,
    /// The scopes, space-separated (the audit's reads and `offline_access`).
    pub scopes: String,
    pub prompt: Prompt,
    pub browser: Browser,
    /// How long the interactive flow waits for the browser.
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Interactive { redirect_port: Option<u16> },
    DeviceCode,
}

impl Delegated {
    /// What the sign-in is doing, for errors.
    pub fn describe(&self) -> &'static str {
        match self.flow {
            Flow::Interactive { .. } => "signing in interactively",
            Flow::DeviceCode => "signing in with a device code",
        }
    }

    /// Signs the person in.
    pub async fn sign_in(&self, app: &Registration, transport: &Transport) -> Result<Issued, Failure> {
        let result = match self.flow {
            Flow::Interactive { redirect_port } => self.interactive(app, redirect_port, transport).await,
            Flow::DeviceCode => self.device_code(app, transport).await,
        };
        result.map_err(|failure| with_hint(failure, self.flow))
    }

    /// A new access token from the refresh token.
    pub async fn refresh(
        &self,
        app: &Registration,
        refresh_token: &Secret,
        transport: &Transport,
    ) -> Result<Issued, Failure> {
        let form = [
            ("client_id", app.client_id.as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("scope", self.scopes.as_str()),
        ];
        token::post_form(transport, &app.token_url, &form).await.map_err(|mut failure| {
            failure.hint.get_or_insert_with(|| {
                "Entra refused the refresh token (revoked, expired, or a sign-in frequency policy): run the command \
                 again to sign in"
                    .to_owned()
            });
            with_hint(failure, self.flow)
        })
    }

    async fn interactive(
        &self,
        app: &Registration,
        redirect_port: Option<u16>,
        transport: &Transport,
    ) -> Result<Issued, Failure> {
        let loopback = Loopback::bind(redirect_port).await.map_err(|e| {
            let port = redirect_port.unwrap_or(0);
            let mut error = failure(
                "GET",
                &format!("http://localhost:{port}/"),
                FailureKind::NotSent,
                format!("cannot listen on 127.0.0.1:{port} for the browser's reply: {e}"),
            );
            error.hint = Some("choose another --redirect-port, or leave it out for a free one".to_owned());
            error
        })?;
        let redirect_uri = loopback.redirect_uri();
        let verifier = Secret::new(random_base64url(32));
        let state = random_base64url(16);
        let authorize = format!("{}/{}/oauth2/v2.0/authorize", app.login, encode(&app.tenant));
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &app.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("response_mode", "query")
            .append_pair("scope", &self.scopes)
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge(verifier.expose()))
            .append_pair("code_challenge_method", "S256")
            .finish();
        let url = format!("{authorize}?{query}");
        let how = match open_browser(&self.browser, &url) {
            true => "Opening the browser to sign in to Microsoft Graph. If it does not open, open this URL",
            false => "To sign in to Microsoft Graph, open this URL in a browser on this computer",
        };
        let minutes = self.timeout.as_secs().div_ceil(60);
        self.prompt.show(&format!("{how}:\n  {url}\nWaiting up to {minutes} min for the sign-in to finish..."));
        let reply_error = |kind, message: &str| failure("GET", &redirect_uri, kind, message);
        match loopback.reply(&state, self.timeout).await {
            Outcome::Code(code) => {
                let form = [
                    ("client_id", app.client_id.as_str()),
                    ("grant_type", "authorization_code"),
                    ("code", code.expose()),
                    ("redirect_uri", redirect_uri.as_str()),
                    ("code_verifier", verifier.expose()),
                    ("scope", self.scopes.as_str()),
                ];
                token::post_form(transport, &app.token_url, &form).await
            }
            Outcome::Refused { error, description } => {
                let message = match description {
                    Some(description) => format!("{error}: {description}"),
                    None => error.clone(),
                };
                let mut refused = failure("GET", &authorize, FailureKind::Unusable, message);
                refused.code = Some(error);
                Err(refused)
            }
            Outcome::WrongState => Err(reply_error(
                FailureKind::Unusable,
                "the browser brought back a reply with a state this sign-in did not send; it was refused (a reply \
                 to another sign-in, or a forged one)",
            )),
            Outcome::NoCode => {
                Err(reply_error(FailureKind::Unusable, "the browser brought back a reply without a code"))
            }
            Outcome::TimedOut => Err(reply_error(
                FailureKind::TimedOut,
                &format!("no sign-in came back from the browser within {minutes} min"),
            )),
        }
    }

    async fn device_code(&self, app: &Registration, transport: &Transport) -> Result<Issued, Failure> {
        let url = format!("{}/{}/oauth2/v2.0/devicecode", app.login, encode(&app.tenant));
        let form = [("client_id", app.client_id.as_str()), ("scope", self.scopes.as_str())];
        let reply = token::send(transport, &Method::POST, &url, Body::Form(&form), &[]).await?;
        let authorization: DeviceAuthorization = serde_json::from_slice(&reply.body)
            .ok()
            .filter(|a: &DeviceAuthorization| !a.device_code.is_empty())
            .ok_or_else(|| {
                failure("POST", &url, FailureKind::Unusable, "the devicecode endpoint answered without a device_code")
            })?;
        let device_code = Secret::new(authorization.device_code);
        let message = authorization.message.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| {
            format!(
                "To sign in, use a web browser to open the page {} and enter the code {} to authenticate.",
                authorization.verification_uri.as_deref().unwrap_or("https://microsoft.com/devicelogin"),
                authorization.user_code.as_deref().unwrap_or("?")
            )
        });
        self.prompt.show(&message);
        let seconds = |value: &Option<serde_json::Value>| value.as_ref().and_then(token::seconds);
        let lifetime = seconds(&authorization.expires_in)
            .map(|s| Duration::from_secs_f64(s.clamp(0.0, 3600.0)))
            .unwrap_or(DEFAULT_DEVICE_CODE_LIFETIME);
        let mut interval = seconds(&authorization.interval)
            .map(|s| Duration::from_secs_f64(s.clamp(0.0, 60.0)))
            .unwrap_or(DEFAULT_INTERVAL);
        let started = Instant::now();
        let form = [
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", app.client_id.as_str()),
            ("device_code", device_code.expose()),
        ];
        loop {
            if started.elapsed() + interval > lifetime {
                let mut expired = failure(
                    "POST",
                    &app.token_url,
                    FailureKind::TimedOut,
                    "the device code expired before the sign-in finished",
                );
                expired.hint = Some(EXPIRED.to_owned());
                return Err(expired);
            }
            tokio::time::sleep(interval).await;
            let mut failure = match token::post_form(transport, &app.token_url, &form).await {
                Ok(issued) => return Ok(issued),
                Err(failure) => failure,
            };
            match next_poll(failure.code.as_deref(), interval) {
                Poll::Again(next) => interval = next,
                Poll::Stop(hint) => {
                    failure.hint = Some(hint.to_owned());
                    return Err(failure);
                }
                Poll::Fail => return Err(failure),
            }
        }
    }
}

#[derive(Deserialize)]
struct DeviceAuthorization {
    device_code: String,
    user_code: Option<String>,
    verification_uri: Option<String>,
    expires_in: Option<serde_json::Value>,
    interval: Option<serde_json::Value>,
    message: Option<String>,
}

const DECLINED: &str = "the sign-in was declined on the device-code page: run the command again and approve it";
const EXPIRED: &str = "the code was not used in time: run the command again and enter the new code promptly. If the \
     page said \"You don't have access to this\" (error 53003), Conditional Access blocks device-code sign-in in this \
     tenant: use --interactive instead";
const BAD_CODE: &str = "Entra did not accept the device code: run the command again for a new one";

/// What to do after a poll answered with error `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Poll {
    /// Poll again after this interval.
    Again(Duration),
    /// Stop: the person's answer, with what to tell them.
    Stop(&'static str),
    /// Stop: another error, shown as Entra gave it.
    Fail,
}

/// The device-code poll's decision (RFC 8628 section 3.5, with Entra's names).
pub(crate) fn next_poll(code: Option<&str>, interval: Duration) -> Poll {
    match code {
        Some("authorization_pending") => Poll::Again(interval),
        Some("slow_down") => Poll::Again(interval + SLOW_DOWN_STEP),
        Some("authorization_declined" | "access_denied") => Poll::Stop(DECLINED),
        Some("expired_token" | "code_expired") => Poll::Stop(EXPIRED),
        Some("bad_verification_code") => Poll::Stop(BAD_CODE),
        _ => Poll::Fail,
    }
}

/// Entra's codes for a sign-in that Conditional Access stopped: device authentication required
/// (50097), device not compliant (53000), not domain-joined (53001), not an approved app (53002),
/// blocked by policy (53003), MFA registration blocked by risk (53004).
const CONDITIONAL_ACCESS_CODES: &[u32] = &[50097, 53000, 53001, 53002, 53003, 53004];

/// The first `AADSTS` number in a description.
pub(crate) fn aadsts_code(message: &str) -> Option<u32> {
    let at = message.find("AADSTS")?;
    let digits: String = message[at + 6..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Adds what the person can do about a delegated sign-in's failure, from Entra's code.
fn with_hint(mut failure: Failure, flow: Flow) -> Failure {
    let code = failure.message.as_deref().and_then(aadsts_code);
    let conditional_access = code.is_some_and(|c| CONDITIONAL_ACCESS_CODES.contains(&c))
        || failure.message.as_deref().is_some_and(|m| m.contains("Conditional Access"));
    let hint = if conditional_access {
        Some(match flow {
            Flow::DeviceCode => {
                "Conditional Access blocked the sign-in: hardened tenants block device-code sign-in \
                on purpose; sign in with --interactive instead, or ask an admin which policy applied (Entra admin \
                center > Sign-in logs > Conditional Access)"
            }
            Flow::Interactive { .. } => {
                "Conditional Access blocked the sign-in: ask an admin which policy applied \
                (Entra admin center > Sign-in logs > Conditional Access), or run from a compliant device"
            }
        })
    } else {
        match code {
            Some(7000218) => Some(
                "the app registration is not a public client: turn on \"Allow public client flows\" on its \
                 Authentication page",
            ),
            Some(50011) => Some(
                "the app registration lacks the redirect URI: add http://localhost under \"Mobile and desktop \
                 applications\" on its Authentication page",
            ),
            Some(65001) => {
                Some("an admin must consent to the app's delegated permissions (intune-reach permissions lists them)")
            }
            Some(65004) => Some("the consent was declined in the browser: run the command again and accept"),
            _ if failure.code.as_deref() == Some("access_denied") => {
                Some("the sign-in was declined in the browser: run the command again and accept")
            }
            _ => None,
        }
    };
    if let Some(hint) = hint {
        failure.hint = Some(hint.to_owned());
    }
    failure
}

/// Opens the browser on `url` without waiting for it; whether one was asked to open.
fn open_browser(browser: &Browser, url: &str) -> bool {
    let url = url.to_owned();
    match browser {
        Browser::None => false,
        Browser::System => {
            tokio::task::spawn_blocking(move || {
                if let Err(error) = webbrowser::open(&url) {
                    tracing::debug!(%error, "the browser did not open");
                }
            });
            true
        }
        Browser::Command(command) => {
            let mut words = command.split_whitespace().map(str::to_owned);
            let Some(program) = words.next() else { return false };
            let mut args: Vec<String> = words.collect();
            match args.iter_mut().find(|a| a.contains("%s")) {
                Some(arg) => *arg = arg.replace("%s", &url),
                None => args.push(url),
            }
            let spawned = std::process::Command::new(&program)
                .args(&args)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn();
            if let Err(error) = &spawned {
                tracing::debug!(%error, program, "the $BROWSER command did not start");
            }
            spawned.is_ok()
        }
    }
}

fn random_base64url(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

/// The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)).
pub(crate) fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_matches_rfc_7636() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let verifier = random_base64url(32);
        assert_eq!(verifier.len(), 43);
        assert_ne!(verifier, random_base64url(32));
    }

    #[test]
    fn polling_follows_rfc_8628_with_entra_names() {
        let five = Duration::from_secs(5);
        assert_eq!(next_poll(Some("authorization_pending"), five), Poll::Again(five));
        assert_eq!(next_poll(Some("slow_down"), five), Poll::Again(Duration::from_secs(10)));
        assert_eq!(next_poll(Some("authorization_declined"), five), Poll::Stop(DECLINED));
        assert_eq!(next_poll(Some("access_denied"), five), Poll::Stop(DECLINED));
        assert_eq!(next_poll(Some("expired_token"), five), Poll::Stop(EXPIRED));
        assert_eq!(next_poll(Some("bad_verification_code"), five), Poll::Stop(BAD_CODE));
        assert_eq!(next_poll(Some("invalid_grant"), five), Poll::Fail);
        assert_eq!(next_poll(None, five), Poll::Fail);
    }

    #[test]
    fn entra_codes_become_hints() {
        let entra = |code: &str, message: &str| {
            let mut error = *failure("POST", "https://login.test/t/oauth2/v2.0/token", FailureKind::Status, message);
            error.code = Some(code.to_owned());
            Box::new(error)
        };
        assert_eq!(aadsts_code("AADSTS53003: Access has been blocked"), Some(53003));
        assert_eq!(aadsts_code("no code"), None);
        let blocked = entra("invalid_grant", "AADSTS53003: Access has been blocked by Conditional Access policies.");
        let hint = with_hint(blocked.clone(), Flow::DeviceCode).hint.unwrap();
        assert!(hint.contains("Conditional Access") && hint.contains("--interactive"), "{hint}");
        let hint = with_hint(blocked, Flow::Interactive { redirect_port: None }).hint.unwrap();
        assert!(hint.contains("Conditional Access") && !hint.contains("--interactive"), "{hint}");
        let public = entra("invalid_client", "AADSTS7000218: The request body must contain client_assertion");
        assert!(with_hint(public, Flow::DeviceCode).hint.unwrap().contains("Allow public client flows"));
        let redirect = entra("invalid_request", "AADSTS50011: The redirect URI does not match");
        assert!(with_hint(redirect, Flow::DeviceCode).hint.unwrap().contains("http://localhost"));
        let other = entra("invalid_grant", "AADSTS70000: The provided grant is invalid");
        assert_eq!(with_hint(other, Flow::DeviceCode).hint, None);
    }
}
