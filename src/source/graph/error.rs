//! The failure of one Graph (or sign-in) request, as data: what was being read, which request (method
//! and path, never the query: it can hold skip tokens), the HTTP status, Graph's error code, message
//! and request-id (Entra's trace and correlation ids for sign-in), the attempts and the time spent,
//! and what the user can do about it. Callers and tests look at the fields; [`fmt::Display`] renders
//! the one line a user reads, e.g.
//! `reading managedDevices (shard iOS, page 3): HTTP 503 ServiceUnavailable: The service is busy.
//! (request-id 94fb…) after 5 attempts over 12.4 s`.
//!
//! No secret or token is ever put in a field: the transport fills them from the status line, the
//! `request-id` header and the error body, and the URL's path only.

use std::fmt;
use std::time::Duration;

/// Where a request went: its ids are labelled the way that service names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Microsoft Graph: `request-id`.
    Graph,
    /// The sign-in (token) endpoint of Microsoft Entra: `trace_id` and `correlation_id`.
    SignIn,
    /// The storage an export job's file is downloaded from (no Graph token): `x-ms-request-id`.
    Storage,
}

/// How a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The server answered with an error status (`status` is set).
    Status,
    /// No answer before the timeout.
    TimedOut,
    /// No answer: the connection could not be made, or broke before the whole answer arrived.
    NoAnswer,
    /// An answer the client cannot use: not the JSON it should be, a next link to another host or one
    /// already followed, a token reply without a token.
    Unusable,
    /// The request was not sent: the client assertion could not be signed, or the client is stopping.
    NotSent,
}

/// A request that failed for good (after the retries its policy allows).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    /// What the client was doing, e.g. "reading managedDevices (shard iOS, page 3)", or "signing in
    /// (tenant t, client c, https://login.microsoftonline.com/t/oauth2/v2.0/token)". A sign-in that
    /// fails during a read says both: "reading …: signing in (…)".
    pub context: String,
    pub service: Service,
    /// `GET`, `POST`.
    pub method: String,
    /// The URL's path, without the query.
    pub path: String,
    pub kind: FailureKind,
    /// The HTTP status; `None` when there was no answer.
    pub status: Option<u16>,
    /// Graph's `error.code`, or Entra's `error`.
    pub code: Option<String>,
    /// Graph's `error.message`, Entra's `error_description` (first line), or what went wrong.
    pub message: Option<String>,
    /// Graph's `request-id`, or Entra's `trace_id`.
    pub request_id: Option<String>,
    /// Intune's own `Activity ID`, from the error detail it nests in `error.message` (Intune's remote
    /// actions and notification sends answer that way).
    pub activity_id: Option<String>,
    /// Entra's `correlation_id` (sign-in only).
    pub correlation_id: Option<String>,
    /// The server's `Retry-After`, if it sent one.
    pub retry_after: Option<Duration>,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// Time from the first attempt to the last failure.
    pub elapsed: Duration,
    /// What the user can do about it (a missing permission, a refused token, a group id to check).
    pub hint: Option<String>,
    /// An attempt got no answer after the request may have reached the server: whether it acted is
    /// unknown (what a notification send reports as `unknown`).
    pub may_have_arrived: bool,
}

impl GraphError {
    /// A failure of `method url`, with no detail yet; only the URL's path is kept.
    pub(crate) fn new(service: Service, method: &str, url: &str, kind: FailureKind) -> Self {
        GraphError {
            context: String::new(),
            service,
            method: method.to_owned(),
            path: url_path(url),
            kind,
            status: None,
            code: None,
            message: None,
            request_id: None,
            activity_id: None,
            correlation_id: None,
            retry_after: None,
            attempts: 1,
            elapsed: Duration::ZERO,
            hint: None,
            may_have_arrived: false,
        }
    }

    /// Graph's answers to `method url` cannot be used, and why (see also `Reply::unusable`, which adds
    /// the answer's status and request-id).
    pub(crate) fn unusable(
        context: impl fmt::Display,
        method: &str,
        url: &str,
        message: impl Into<String>,
    ) -> Box<Self> {
        let mut error = GraphError::new(Service::Graph, method, url, FailureKind::Unusable);
        error.context = context.to_string();
        error.message = Some(message.into());
        Box::new(error)
    }

    /// The status Graph itself answered: `None` for no answer, and for a sign-in that failed on the way
    /// (a token endpoint's 400 or 429 says nothing about the Graph request).
    pub(crate) fn graph_status(&self) -> Option<u16> {
        self.status.filter(|_| self.service == Service::Graph)
    }

    /// Says what the client was doing; a context already set (a sign-in inside a read) is kept after it.
    pub(crate) fn within(mut self: Box<Self>, context: impl fmt::Display) -> Box<Self> {
        self.context = match self.context.is_empty() {
            true => context.to_string(),
            false => format!("{context}: {}", self.context),
        };
        self
    }

    /// The error of the run, saying what the client was doing.
    pub(crate) fn into_error(self: Box<Self>, context: impl fmt::Display) -> crate::error::Error {
        crate::error::Error::Graph(self.within(context))
    }

    /// Reads an error body: Graph's `{"error":{"code","message","innerError":{"request-id"}}}` or Entra's
    /// `{"error","error_description","trace_id","correlation_id"}`. Anything else gives a short excerpt
    /// as the message.
    pub(crate) fn read_body(&mut self, body: &[u8]) {
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(json) => match json.get("error") {
                Some(serde_json::Value::Object(error)) => {
                    self.code = error.get("code").and_then(text);
                    self.message = error.get("message").and_then(text);
                    if let Some(nested) = self.message.as_deref().and_then(IntuneDetail::parse) {
                        self.message = Some(nested.message);
                        self.activity_id = nested.activity_id;
                    }
                    let inner = error.get("innerError").or_else(|| error.get("innererror"));
                    if let Some(id) = inner.and_then(|i| i.get("request-id")).and_then(text) {
                        self.request_id = Some(id);
                    }
                }
                Some(serde_json::Value::String(code)) => {
                    self.code = Some(code.clone());
                    // The description repeats the ids and a timestamp on further lines: keep the first.
                    self.message = json
                        .get("error_description")
                        .and_then(text)
                        .map(|d| d.lines().next().unwrap_or("").trim().to_owned());
                    self.request_id = json.get("trace_id").and_then(text);
                    self.correlation_id = json.get("correlation_id").and_then(text);
                }
                // A managed-identity endpoint's `{"statusCode": 400, "message": "..."}`.
                _ => self.message = json.get("message").and_then(text),
            },
            Err(_) => {
                let excerpt: String = String::from_utf8_lossy(body).split_whitespace().collect::<Vec<_>>().join(" ");
                let excerpt: String = excerpt.chars().take(200).collect();
                if !excerpt.is_empty() {
                    self.message = Some(excerpt);
                }
            }
        }
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.context.is_empty() {
            write!(f, "{}: ", self.context)?;
        }
        let message = self.message.as_deref().filter(|m| !m.is_empty());
        match (self.kind, self.status) {
            (FailureKind::Status, Some(status)) => {
                write!(f, "HTTP {status}")?;
                match &self.code {
                    Some(code) => write!(f, " {code}")?,
                    None => {
                        let reason = reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason());
                        if let Some(reason) = reason {
                            write!(f, " {reason}")?;
                        }
                    }
                }
                if let Some(message) = message {
                    write!(f, ": {message}")?;
                }
            }
            (kind, _) => {
                let prefix = match kind {
                    FailureKind::TimedOut => "timed out: ",
                    FailureKind::NoAnswer => "no answer: ",
                    _ => "",
                };
                write!(f, "{prefix}{}", message.unwrap_or("failed"))?;
            }
        }
        let labels = match self.service {
            Service::Graph => ("request-id", "correlation-id"),
            Service::SignIn => ("trace_id", "correlation_id"),
            Service::Storage => ("x-ms-request-id", "correlation-id"),
        };
        let ids: Vec<String> =
            [(labels.0, &self.request_id), (labels.1, &self.correlation_id), ("activity-id", &self.activity_id)]
                .into_iter()
                .filter_map(|(label, id)| id.as_ref().map(|id| format!("{label} {id}")))
                .collect();
        if !ids.is_empty() {
            write!(f, " ({})", ids.join(", "))?;
        }
        if self.attempts > 1 {
            write!(f, " after {} attempts over {:.1} s", self.attempts, self.elapsed.as_secs_f64())?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphError {}

/// The detail Intune nests in Graph's `error.message` as a JSON document of its own, e.g.
/// `{"_version": 3, "Message": "An error has occurred - Operation ID (for customer support): 0000… -
/// Activity ID: 8f2e… - Url: https://fef…/remoteLock?api-version=…", "CustomApiErrorPhrase": "", …}`:
/// the sentence before the first ` - ` (and the custom phrase, when there is one) is the message, and
/// the Activity ID is what Microsoft support asks for. The Operation ID (zeros in every public example)
/// and the service's internal URL are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IntuneDetail {
    message: String,
    activity_id: Option<String>,
}

impl IntuneDetail {
    /// `None` when `text` is a plain message, not Intune's nested document.
    fn parse(text: &str) -> Option<IntuneDetail> {
        let text = text.trim();
        if !text.starts_with('{') {
            return None;
        }
        let nested: serde_json::Value = serde_json::from_str(text).ok()?;
        let full = nested.get("Message")?.as_str()?;
        let parts: Vec<&str> = full.split(" - ").map(str::trim).collect();
        let mut message = parts.first().copied().unwrap_or("").to_owned();
        let activity_id = parts
            .iter()
            .find_map(|part| part.strip_prefix("Activity ID:"))
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty());
        let phrase = nested.get("CustomApiErrorPhrase").and_then(|p| p.as_str()).map(str::trim).unwrap_or("");
        if !phrase.is_empty() && !message.contains(phrase) {
            message = if message.is_empty() { phrase.to_owned() } else { format!("{message}: {phrase}") };
        }
        Some(IntuneDetail { message, activity_id })
    }
}

/// The permission a 403 on this Graph path points to (from the permission table; the transport adds
/// what the token itself says, see [`super::permissions::forbidden_hint`]).
pub(crate) fn permission_hint(path: &str) -> Option<String> {
    super::permissions::forbidden_hint(path, None, None)
}

/// The path of a URL, for errors, logs and permission hints (never the query: it can hold skip tokens).
pub(crate) fn url_path(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(url) => url.path().to_owned(),
        Err(_) => url.split(['?', '#']).next().unwrap_or("").to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> GraphError {
        let mut error =
            GraphError::new(Service::Graph, "GET", "https://g.test/beta/x?$skiptoken=s", FailureKind::Status);
        error.status = Some(status);
        error
    }

    #[test]
    fn microsoft_throttling_example_parses() {
        let mut error = status(429);
        error.read_body(include_bytes!("../../../tests/fixtures/graph-docs/throttling-429-response.example.json"));
        assert_eq!(error.code.as_deref(), Some("TooManyRequests"));
        assert_eq!(error.message.as_deref(), Some("Please retry again later."));
        assert_eq!(error.request_id.as_deref(), Some("94fb3b52-452a-4535-a601-69e0a90e3aa2"));
        assert_eq!(error.correlation_id, None);
        assert_eq!(error.path, "/beta/x");
    }

    #[test]
    fn intune_nested_error_detail_is_read_with_its_activity_id() {
        let mut error = GraphError::new(
            Service::Graph,
            "POST",
            "https://g.test/beta/deviceManagement/managedDevices/d/remoteLock",
            FailureKind::Status,
        );
        error.status = Some(400);
        error.read_body(include_bytes!(
            "../../../tests/fixtures/graph-docs/remoteLock-error-400.issue-4523.example.json"
        ));
        assert_eq!(error.code.as_deref(), Some("BadRequest"));
        assert_eq!(error.message.as_deref(), Some("An error has occurred"));
        assert_eq!(error.activity_id.as_deref(), Some("redacted"));
        assert_eq!(error.request_id.as_deref(), Some("redacted"));
        assert_eq!(
            error.to_string(),
            "HTTP 400 BadRequest: An error has occurred (request-id redacted, activity-id redacted)"
        );

        let phrase = r#"{"_version": 3, "Message": "Not allowed - Activity ID: a-1 - Url: https://fef.test/x", "CustomApiErrorPhrase": "Device is not supported"}"#;
        let detail = IntuneDetail::parse(phrase).unwrap();
        assert_eq!(
            detail,
            IntuneDetail { message: "Not allowed: Device is not supported".into(), activity_id: Some("a-1".into()) }
        );
        assert_eq!(IntuneDetail::parse("Please retry again later."), None);
        assert_eq!(IntuneDetail::parse("{not json"), None);
        assert_eq!(IntuneDetail::parse(r#"{"other": 1}"#), None);
    }

    #[test]
    fn microsoft_token_error_example_parses() {
        let mut error =
            GraphError::new(Service::SignIn, "POST", "https://login.test/t/oauth2/v2.0/token", FailureKind::Status);
        error.status = Some(400);
        error.read_body(include_bytes!("../../../tests/fixtures/graph-docs/token-error-response.example.json"));
        assert_eq!(error.code.as_deref(), Some("invalid_scope"));
        assert!(error.message.as_deref().is_some_and(|m| m.starts_with("AADSTS70011")), "{:?}", error.message);
        assert_eq!(error.request_id.as_deref(), Some("255d1aef-8c98-452f-ac51-23d051240864"));
        assert!(error.correlation_id.is_some());
        let message = error.to_string();
        assert!(message.starts_with("HTTP 400 invalid_scope: AADSTS70011"), "{message}");
        assert!(message.contains("(trace_id 255d1aef-8c98-452f-ac51-23d051240864, correlation_id "), "{message}");
    }

    #[test]
    fn display_renders_status_code_message_ids_attempts_and_hint() {
        let mut error = status(503);
        error.code = Some("ServiceUnavailable".into());
        error.message = Some("The service is busy.".into());
        error.request_id = Some("rid-1".into());
        error.attempts = 5;
        error.elapsed = Duration::from_millis(12_440);
        let error = Box::new(error).within("reading managedDevices (shard iOS, page 3)");
        assert_eq!(
            error.to_string(),
            "reading managedDevices (shard iOS, page 3): HTTP 503 ServiceUnavailable: The service is busy. \
             (request-id rid-1) after 5 attempts over 12.4 s"
        );
        let mut forbidden = status(403);
        forbidden.hint = Some("missing permission X".into());
        assert_eq!(forbidden.to_string(), "HTTP 403 Forbidden; missing permission X");
        let mut odd = status(502);
        odd.read_body(b"<html>\n<body>Bad gateway</body></html>");
        assert_eq!(odd.to_string(), "HTTP 502 Bad Gateway: <html> <body>Bad gateway</body></html>");
        let mut lost = GraphError::new(Service::Graph, "GET", "https://g.test/beta/x", FailureKind::TimedOut);
        lost.message = Some("operation timed out".into());
        assert_eq!(lost.to_string(), "timed out: operation timed out");
    }

    #[test]
    fn a_sign_in_inside_a_read_keeps_both_contexts() {
        let mut sign_in = GraphError::new(Service::SignIn, "POST", "https://l.test/t/token", FailureKind::NoAnswer);
        sign_in.context = "signing in (tenant t)".into();
        let error = Box::new(sign_in).within("reading groups");
        assert_eq!(error.context, "reading groups: signing in (tenant t)");
    }

    #[test]
    fn permissions_and_paths() {
        assert!(permission_hint("/beta/deviceManagement/managedDevices")
            .is_some_and(|h| h.contains("DeviceManagementManagedDevices.Read.All")));
        assert!(permission_hint("/v1.0/groups/g/transitiveMembers").is_some_and(|h| h.contains("GroupMember.Read.All")));
        let apple = permission_hint("/v1.0/deviceManagement/applePushNotificationCertificate");
        assert!(apple.is_some_and(|h| h.contains("DeviceManagementServiceConfig.Read.All")));
        let play = permission_hint("/beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings");
        assert!(play.is_some_and(|h| h.contains("DeviceManagementConfiguration.Read.All")));
        assert_eq!(permission_hint("/tenant/oauth2/v2.0/token"), None);
        assert_eq!(url_path("https://g.test/beta/x?$skiptoken=secretish"), "/beta/x");
        assert_eq!(url_path("/beta/x?$skiptoken=secretish"), "/beta/x");
    }
}
