//! Workload identity federation: a token from another identity provider (Kubernetes, GitHub Actions,
//! any OIDC issuer the app registration trusts) stands in for a client secret, as the client assertion
//! of the client-credentials grant. Nothing secret is stored anywhere: the platform issues the token.
//!
//! `AZURE_FEDERATED_TOKEN_FILE` is read again every time a new access token is needed, since the
//! platform rotates the file (Kubernetes projects a fresh token about every hour). GitHub Actions'
//! token is asked for each time too: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=api://AzureADTokenExchange`
//! with `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` answers `{"value": "<jwt>"}`.

use reqwest::Method;
use serde::Deserialize;

use super::super::error::FailureKind;
use super::super::http::{Body, Failure, Transport};
use super::super::options::{FederatedToken, Secret, FEDERATED_AUDIENCE};
use super::token::{self, failure};

impl FederatedToken {
    /// What the sign-in uses, for errors.
    pub(crate) fn describe(&self) -> String {
        match self {
            FederatedToken::File(path) => format!("federated token from {}", path.display()),
            FederatedToken::GitHubActions { .. } => "federated token from GitHub Actions".to_owned(),
        }
    }

    /// A fresh federated token.
    pub(crate) async fn read(&self, transport: &Transport) -> Result<Secret, Failure> {
        match self {
            FederatedToken::File(path) => read_file(path),
            FederatedToken::GitHubActions { request_url, request_token } => {
                github_token(transport, request_url, request_token).await
            }
        }
    }
}

fn read_file(path: &std::path::Path) -> Result<Secret, Failure> {
    let shown = path.display().to_string();
    let unreadable = |message: String| {
        let mut error = failure("", &shown, FailureKind::NotSent, message);
        error.hint = Some("AZURE_FEDERATED_TOKEN_FILE must name a file holding the federated token".to_owned());
        error
    };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(format!("cannot read {shown}: {e}")))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(unreadable(format!("{shown} is empty")));
    }
    Ok(Secret::new(token))
}

#[derive(Deserialize)]
struct GitHubReply {
    value: Option<String>,
}

async fn github_token(transport: &Transport, request_url: &str, request_token: &Secret) -> Result<Secret, Failure> {
    let url = match url::Url::parse(request_url) {
        Ok(mut url) => {
            url.query_pairs_mut().append_pair("audience", FEDERATED_AUDIENCE);
            url.to_string()
        }
        Err(e) => return Err(failure("GET", request_url, FailureKind::NotSent, format!("not a URL: {e}"))),
    };
    let authorization = format!("Bearer {}", request_token.expose());
    let reply = token::send(transport, &Method::GET, &url, Body::Empty, &[("Authorization", &authorization)])
        .await
        .map_err(|mut failure| {
            if matches!(failure.status, Some(401 | 403)) {
                failure.hint = Some(
                    "GitHub refused the OIDC token request: the job needs `permissions: id-token: write`".to_owned(),
                );
            }
            failure
        })?;
    serde_json::from_slice::<GitHubReply>(&reply.body)
        .ok()
        .and_then(|reply| reply.value)
        .filter(|value| !value.is_empty())
        .map(Secret::new)
        .ok_or_else(|| failure("GET", &url, FailureKind::Unusable, "GitHub's OIDC endpoint answered without a token"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::testkit;
    use wiremock::matchers::{header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn transport() -> Transport {
        Transport::new(testkit::fast_policy(), 2).unwrap()
    }

    #[tokio::test]
    async fn the_file_is_read_again_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "first.jwt.token\n").unwrap();
        let source = FederatedToken::File(file.clone());
        assert_eq!(source.read(&transport()).await.unwrap().expose(), "first.jwt.token");
        std::fs::write(&file, "second.jwt.token").unwrap();
        assert_eq!(source.read(&transport()).await.unwrap().expose(), "second.jwt.token");
        std::fs::write(&file, " \n").unwrap();
        assert!(source.read(&transport()).await.unwrap_err().to_string().contains("is empty"));
        let gone = FederatedToken::File(dir.path().join("missing"));
        let error = gone.read(&transport()).await.unwrap_err();
        assert!(error.to_string().contains("cannot read") && error.hint.is_some(), "{error}");
    }

    #[tokio::test]
    async fn github_is_asked_with_the_audience_and_the_request_token() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/idtoken"))
            .and(query_param("api-version", "2.0"))
            .and(query_param("audience", "api://AzureADTokenExchange"))
            .and(header("authorization", "Bearer request-token-1"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"count": 1, "value": "gh.jwt.x"})),
            )
            .mount(&server)
            .await;
        let source = FederatedToken::GitHubActions {
            request_url: format!("{}/idtoken?api-version=2.0", server.uri()),
            request_token: Secret::new("request-token-1"),
        };
        assert_eq!(source.read(&transport()).await.unwrap().expose(), "gh.jwt.x");
        let wrong = FederatedToken::GitHubActions {
            request_url: format!("{}/idtoken?api-version=2.0", server.uri()),
            request_token: Secret::new("other"),
        };
        let error = wrong.read(&transport()).await.unwrap_err();
        assert_eq!(error.status, Some(404));
        assert!(!error.to_string().contains("other"), "{error}");
    }
}
