//! Azure managed identity: the platform hands out tokens for the identity of the resource the tool runs
//! on, so there is nothing to store. App Service, Functions and Automation set `IDENTITY_ENDPOINT` and
//! `IDENTITY_HEADER`: `GET $IDENTITY_ENDPOINT?resource=GRAPH&api-version=2019-08-01` with the header
//! `X-IDENTITY-HEADER`. A VM asks its instance metadata service:
//! `GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=GRAPH` with
//! `Metadata: true`. A user-assigned identity adds `client_id`. The reply's lifetime comes as
//! `expires_in` or `expires_on` (epoch seconds), each a number or a string ([`super::token::parse`]).

use std::time::Duration;

use reqwest::Method;

use super::super::http::{Body, Failure, Transport};
use super::super::options::{IdentityEndpoint, ManagedIdentity};
use super::super::retry::RetryPolicy;
use super::token::{self, Issued};

const APP_SERVICE_API_VERSION: &str = "2019-08-01";
const IMDS_API_VERSION: &str = "2018-02-01";

impl ManagedIdentity {
    /// What the sign-in uses, for errors.
    pub(crate) fn describe(&self) -> String {
        let which = match &self.client_id {
            Some(id) => format!("user-assigned managed identity {id}"),
            None => "system-assigned managed identity".to_owned(),
        };
        let endpoint = match &self.endpoint {
            IdentityEndpoint::AppService { .. } => "IDENTITY_ENDPOINT",
            IdentityEndpoint::Imds { .. } => "instance metadata service",
        };
        format!("{which}, {endpoint}")
    }

    /// A token for `resource` (the Graph base URL).
    pub(crate) async fn token(&self, resource: &str, transport: &Transport) -> Result<Issued, Failure> {
        let (base, api_version, header) = match &self.endpoint {
            IdentityEndpoint::AppService { url, header } => {
                (url, APP_SERVICE_API_VERSION, ("X-IDENTITY-HEADER", header.expose()))
            }
            IdentityEndpoint::Imds { url } => (url, IMDS_API_VERSION, ("Metadata", "true")),
        };
        let mut url = url::Url::parse(base).map_err(|e| {
            token::failure("GET", base, super::super::error::FailureKind::NotSent, format!("not a URL: {e}"))
        })?;
        url.query_pairs_mut().append_pair("api-version", api_version).append_pair("resource", resource);
        if let Some(client_id) = &self.client_id {
            url.query_pairs_mut().append_pair("client_id", client_id);
        }
        let url = url.to_string();
        // An identity endpoint is local: when it does not answer quickly, this is not an Azure host.
        let policy = RetryPolicy {
            max_attempts: transport.policy.max_attempts.min(3),
            timeout: transport.policy.timeout.min(Duration::from_secs(15)),
            ..transport.policy.clone()
        };
        let reply = token::send_with_policy(transport, &policy, &Method::GET, &url, Body::Empty, &[header])
            .await
            .map_err(|mut failure| {
                if failure.status.is_none() {
                    failure.hint = Some(
                        "no managed-identity endpoint answered: --managed-identity works only on an Azure resource \
                         with a managed identity"
                            .to_owned(),
                    );
                }
                failure
            })?;
        token::issued(&reply, "GET", &url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::options::Secret;
    use crate::source::graph::testkit;
    use wiremock::matchers::{header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn transport() -> Transport {
        Transport::new(testkit::fast_policy(), 2).unwrap()
    }

    #[tokio::test]
    async fn app_service_sends_the_identity_header_and_reads_a_string_expiry() {
        let server = MockServer::start().await;
        let expires_on = chrono::Utc::now().timestamp() + 1800;
        Mock::given(method("GET"))
            .and(path("/msi/token"))
            .and(query_param("api-version", "2019-08-01"))
            .and(query_param("resource", "https://graph.microsoft.com"))
            .and(query_param("client_id", "uami-1"))
            .and(header("x-identity-header", "header-secret"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": "mi-token", "expires_on": expires_on.to_string(), "token_type": "Bearer",
                "resource": "https://graph.microsoft.com", "client_id": "uami-1"
            })))
            .mount(&server)
            .await;
        let identity = ManagedIdentity {
            client_id: Some("uami-1".into()),
            endpoint: IdentityEndpoint::AppService {
                url: format!("{}/msi/token", server.uri()),
                header: Secret::new("header-secret"),
            },
        };
        let issued = identity.token("https://graph.microsoft.com", &transport()).await.unwrap();
        assert_eq!(issued.access_token.expose(), "mi-token");
        assert!((1790..=1800).contains(&issued.lifetime.as_secs()), "{:?}", issued.lifetime);
        assert!(identity.describe().contains("user-assigned managed identity uami-1"));
    }

    #[tokio::test]
    async fn imds_sends_metadata_true_and_its_errors_are_shown() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/metadata/identity/oauth2/token"))
            .and(query_param("api-version", "2018-02-01"))
            .and(header("metadata", "true"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": "imds-token", "expires_in": "86399", "expires_on": "1", "token_type": "Bearer"
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "error": "invalid_request", "error_description": "Required metadata header not specified"
            })))
            .mount(&server)
            .await;
        let identity = ManagedIdentity {
            client_id: None,
            endpoint: IdentityEndpoint::Imds { url: format!("{}/metadata/identity/oauth2/token", server.uri()) },
        };
        let issued = identity.token("https://graph.microsoft.com", &transport()).await.unwrap();
        assert_eq!((issued.access_token.expose(), issued.lifetime.as_secs()), ("imds-token", 86_399));
        let elsewhere = ManagedIdentity {
            client_id: None,
            endpoint: IdentityEndpoint::Imds { url: format!("{}/other", server.uri()) },
        };
        let error = elsewhere.token("https://graph.microsoft.com", &transport()).await.unwrap_err();
        assert_eq!((error.status, error.code.as_deref()), (Some(400), Some("invalid_request")));
        assert_eq!(error.message.as_deref(), Some("Required metadata header not specified"));
    }
}
