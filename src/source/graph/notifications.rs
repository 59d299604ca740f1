//! The custom notification on the wire: Intune's two send actions (beta only), sent through the
//! signed-in client with a policy and a budget of their own.
//!
//! - To groups: `POST {graph}/beta/deviceManagement/sendCustomNotificationToCompanyPortal` with
//!   `notificationTitle`, `notificationBody` and `groupsToNotify` (group object ids).
//! - To one device: `POST {graph}/beta/deviceManagement/managedDevices/{id}/sendCustomNotificationToCompanyPortal`
//!   with `notificationTitle` and `notificationBody`.
//!
//! Both answer 204. Graph keeps no record of a send and takes no idempotency key, so a request sent
//! twice may deliver twice: the send policy retries only 429 and 503 (both mean the request was not
//! acted on), after `Retry-After`, and never sends again a request that may have arrived (a timeout, a
//! connection dropped after sending). Such a request, and a 502 or 504 (a gateway that lost the
//! service's answer), is [`SendOutcome::Unknown`]; any other failure is [`SendOutcome::Failed`].
//! Writes have their own budget, below Intune's 200 requests per 20 s per app, shared by every send of
//! the run (a 429's `Retry-After` pauses all of them); reads keep theirs.

use std::time::Duration;

use super::error::GraphError;
use super::http::{encode, Failure, GraphClient, Reply};
use super::permissions::{forbidden_hint, token_grants, SEND_PERMISSION};
use super::ratelimit::RateLimiter;
use super::retry::RetryPolicy;
use crate::error::Error;

/// The write budget: 180 sends per 20 s, below Intune's 200, as reads stay below their 2000.
pub const WRITE_LIMIT: usize = 180;
pub const WRITE_WINDOW: Duration = Duration::from_secs(20);
/// How long one send waits for its answer, by default.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// The text of one custom notification, as it goes on the wire (its limits are the caller's to check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub title: String,
    pub body: String,
}

/// Who one send request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipients<'a> {
    /// One group send to these group object ids (at most 25).
    Groups(&'a [String]),
    /// One device send to this managed device id.
    Device(&'a str),
}

/// How one send request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// Graph accepted it (2xx).
    Sent,
    /// Graph refused it, or it could not be sent: it was not acted on.
    Failed,
    /// It may have been acted on, and no answer says whether: it is never sent again.
    Unknown,
}

/// One send request's outcome, with what Graph said.
#[derive(Debug, Clone)]
pub struct SendAnswer {
    pub outcome: SendOutcome,
    /// The HTTP status Graph answered (none for no answer).
    pub http_status: Option<u16>,
    pub request_id: Option<String>,
    /// Why it failed or is unknown: Graph's code and message, Intune's Activity ID, the attempts.
    pub error: Option<Box<GraphError>>,
}

/// What the token says about the send permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendPermission {
    /// Its roles or scopes grant it (or a permission the table names as enough).
    Granted,
    /// They do not: what to grant, naming what the token has.
    Missing(String),
    /// The token does not say (not a JWT, or neither `roles` nor `scp`): Graph decides.
    NotSaid,
}

/// Sends notifications through a signed-in client, under the send policy and the write budget.
#[derive(Debug)]
pub struct Sender {
    client: GraphClient,
    policy: RetryPolicy,
    writes: RateLimiter,
}

impl Sender {
    /// A sender whose requests wait at most `timeout` for their answer.
    pub(super) fn new(client: GraphClient, timeout: Duration) -> Self {
        Sender { client, policy: send_policy(timeout), writes: RateLimiter::new(WRITE_LIMIT, WRITE_WINDOW) }
    }

    /// Reads the send permission in the token (signing in again first if it is about to expire).
    pub async fn permission(&self) -> Result<SendPermission, Error> {
        let path = "/beta/deviceManagement/sendCustomNotificationToCompanyPortal";
        let check = |token: &str| match token_grants(token, SEND_PERMISSION) {
            Some(true) => SendPermission::Granted,
            None => SendPermission::NotSaid,
            Some(false) => SendPermission::Missing(
                forbidden_hint(path, Some(token), None).unwrap_or_else(|| format!("the token lacks {SEND_PERMISSION}")),
            ),
        };
        self.client.with_token(check).await.map_err(Error::Graph)
    }

    /// Sends one request and says how it ended; never an error: a failure is an outcome.
    pub async fn send(&self, notification: &Notification, to: Recipients<'_>) -> SendAnswer {
        let graph = self.client.graph();
        let url = match to {
            Recipients::Groups(_) => format!("{graph}/beta/deviceManagement/sendCustomNotificationToCompanyPortal"),
            Recipients::Device(id) => {
                format!(
                    "{graph}/beta/deviceManagement/managedDevices/{}/sendCustomNotificationToCompanyPortal",
                    encode(id)
                )
            }
        };
        let body = request_body(notification, to);
        classify(self.client.post_json(&url, &body, &self.policy, &self.writes).await)
    }
}

/// The policy of sends: the read policy's waits and caps, but only 429 and 503 are sent again, and a
/// request that may have arrived never is.
fn send_policy(timeout: Duration) -> RetryPolicy {
    RetryPolicy { retry_statuses: &[429, 503], resend_unanswered: false, timeout, ..RetryPolicy::default() }
}

/// The JSON body of the request, as Microsoft's examples shape it.
fn request_body(notification: &Notification, to: Recipients<'_>) -> Vec<u8> {
    let mut body = serde_json::json!({
        "notificationTitle": notification.title,
        "notificationBody": notification.body,
    });
    if let Recipients::Groups(groups) = to {
        body["groupsToNotify"] = serde_json::json!(groups);
    }
    body.to_string().into_bytes()
}

fn classify(result: Result<Reply, Failure>) -> SendAnswer {
    match result {
        Ok(reply) => SendAnswer {
            outcome: SendOutcome::Sent,
            http_status: Some(reply.status),
            request_id: reply.request_id,
            error: None,
        },
        Err(error) => {
            let http_status = error.graph_status();
            let lost_answer = error.may_have_arrived || matches!(http_status, Some(502 | 504));
            let outcome = if lost_answer { SendOutcome::Unknown } else { SendOutcome::Failed };
            SendAnswer { outcome, http_status, request_id: error.request_id.clone(), error: Some(error) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::testkit;
    use serde_json::json;
    use wiremock::matchers::{body_json, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn notification() -> Notification {
        Notification { title: "Büro zu".into(), body: "Heute geschlossen.\nMorgen wieder offen.".into() }
    }

    async fn sender(server: &MockServer, timeout_ms: u64) -> Sender {
        let client = testkit::client(server).await;
        let mut sender = Sender::new(client, Duration::from_millis(timeout_ms));
        sender.policy.base = Duration::from_millis(5);
        sender
    }

    #[test]
    fn bodies_are_microsofts_examples_with_our_values() {
        let example = |name: &str| -> serde_json::Value {
            let path = format!("{}/tests/fixtures/graph-docs/{name}", env!("CARGO_MANIFEST_DIR"));
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let placeholder =
            Notification { title: "Notification Title value".into(), body: "Notification Body value".into() };
        let device: serde_json::Value =
            serde_json::from_slice(&request_body(&placeholder, Recipients::Device("d"))).unwrap();
        assert_eq!(device, example("sendCustomNotificationToCompanyPortal-device-request.example.json"));
        let groups = ["Groups To Notify value".to_owned()];
        let group: serde_json::Value =
            serde_json::from_slice(&request_body(&placeholder, Recipients::Groups(&groups))).unwrap();
        assert_eq!(group, example("sendCustomNotificationToCompanyPortal-groups-request.example.json"));
    }

    #[tokio::test]
    async fn a_204_is_sent_and_a_throttled_send_arrives_once() {
        let server = MockServer::start().await;
        let sender = sender(&server, 5_000).await;
        let url = "/beta/deviceManagement/managedDevices/dev%2F1/sendCustomNotificationToCompanyPortal";
        Mock::given(method("POST"))
            .and(path(url))
            .respond_with(
                testkit::graph_error(429, "TooManyRequests", "Retry later.").insert_header("Retry-After", "0.05"),
            )
            .up_to_n_times(2)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(url))
            .and(body_json(
                json!({"notificationTitle": "Büro zu", "notificationBody": "Heute geschlossen.\nMorgen wieder offen."}),
            ))
            .respond_with(ResponseTemplate::new(204).insert_header("request-id", "rid-204"))
            .with_priority(2)
            .mount(&server)
            .await;
        let answer = sender.send(&notification(), Recipients::Device("dev/1")).await;
        assert_eq!(
            (answer.outcome, answer.http_status, answer.request_id.as_deref()),
            (SendOutcome::Sent, Some(204), Some("rid-204"))
        );
        let sends = server.received_requests().await.unwrap().iter().filter(|r| r.url.path() == url).count();
        assert_eq!(sends, 3, "two 429s, then the one that went through");
    }

    #[tokio::test]
    async fn a_refused_send_is_failed_and_not_repeated_with_intunes_detail() {
        let server = MockServer::start().await;
        let sender = sender(&server, 5_000).await;
        let nested = r#"{"_version": 3, "Message": "Device not found - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: act-9 - Url: https://fef.test/x", "CustomApiErrorPhrase": "", "RetryAfter": null}"#;
        Mock::given(method("POST"))
            .respond_with(testkit::graph_error(404, "ResourceNotFound", nested))
            .mount(&server)
            .await;
        let answer = sender.send(&notification(), Recipients::Device("gone")).await;
        assert_eq!((answer.outcome, answer.http_status), (SendOutcome::Failed, Some(404)));
        let error = answer.error.unwrap();
        assert_eq!((error.message.as_deref(), error.activity_id.as_deref()), (Some("Device not found"), Some("act-9")));
        let posts = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.method.as_str() == "POST" && r.url.path().contains("send"))
            .count();
        assert_eq!(posts, 1);
    }

    #[tokio::test]
    async fn an_answer_that_never_comes_is_unknown_and_not_repeated() {
        let server = MockServer::start().await;
        let sender = sender(&server, 200).await;
        Mock::given(method("POST"))
            .and(path("/beta/deviceManagement/sendCustomNotificationToCompanyPortal"))
            .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_secs(5)))
            .mount(&server)
            .await;
        let groups = ["g1".to_owned(), "g2".to_owned()];
        let answer = sender.send(&notification(), Recipients::Groups(&groups)).await;
        assert_eq!((answer.outcome, answer.http_status), (SendOutcome::Unknown, None));
        let error = answer.error.unwrap();
        assert!(error.may_have_arrived && error.to_string().contains("not sent again"), "{error}");
        let posts = server.received_requests().await.unwrap().iter().filter(|r| r.url.path().contains("send")).count();
        assert_eq!(posts, 1, "never sent twice");
    }

    #[tokio::test]
    async fn a_gateway_timeout_is_unknown() {
        let server = MockServer::start().await;
        let sender = sender(&server, 5_000).await;
        Mock::given(method("POST"))
            .respond_with(testkit::graph_error(504, "GatewayTimeout", "slow"))
            .mount(&server)
            .await;
        let answer = sender.send(&notification(), Recipients::Device("d")).await;
        assert_eq!((answer.outcome, answer.http_status), (SendOutcome::Unknown, Some(504)));
    }

    #[tokio::test]
    async fn the_permission_is_read_from_the_token() {
        use crate::source::graph::permissions::tests::token_with;
        let cases = [
            (json!({"roles": [SEND_PERMISSION]}), SendPermission::Granted),
            (json!({"roles": ["DeviceManagementManagedDevices.ReadWrite.All"]}), SendPermission::Granted),
            (json!({"aud": "x"}), SendPermission::NotSaid),
        ];
        for (claims, expected) in cases {
            let server = MockServer::start().await;
            let mut options = testkit::options(&server);
            options.credential =
                crate::source::graph::Credential::Token(crate::source::graph::Secret::new(token_with(claims)));
            let sender = Sender::new(testkit::client_with(&options), DEFAULT_SEND_TIMEOUT);
            assert_eq!(sender.permission().await.unwrap(), expected);
        }
        let server = MockServer::start().await;
        let mut options = testkit::options(&server);
        let reader = token_with(json!({"roles": ["DeviceManagementManagedDevices.Read.All"]}));
        options.credential = crate::source::graph::Credential::Token(crate::source::graph::Secret::new(reader));
        let sender = Sender::new(testkit::client_with(&options), DEFAULT_SEND_TIMEOUT);
        let SendPermission::Missing(hint) = sender.permission().await.unwrap() else { panic!("missing") };
        assert!(hint.starts_with("the token lacks DeviceManagementServiceConfig.ReadWrite.All"), "{hint}");
        assert!(hint.contains("DeviceManagementManagedDevices.Read.All"), "names what it has: {hint}");
    }
}
