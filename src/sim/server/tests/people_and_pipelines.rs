//! The sign-in flows of people and pipelines, at the HTTP level: authorize with PKCE and its code's
//! single use, refresh-token rotation, device-code answers, federated assertions, the managed-identity
//! endpoints' headers, and the 403 of a token that lacks a permission.

use base64::Engine as _;
use sha2::Digest as _;

use super::*;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// The code `/authorize` sends the browser back with, for this verifier.
async fn authorization_code(server: &RunningServer, verifier: &str, redirect_uri: &str) -> String {
    let url = format!("{}/{}/oauth2/v2.0/authorize", server.url, TENANT);
    let scope = format!("{}/DeviceManagementManagedDevices.Read.All offline_access", server.url);
    let query = [
        ("client_id", "intune-reach-sim"),
        ("response_type", "code"),
        ("redirect_uri", redirect_uri),
        ("scope", scope.as_str()),
        ("state", "st"),
        ("code_challenge", &challenge(verifier)),
        ("code_challenge_method", "S256"),
    ];
    let answer = no_redirects().get(url).query(&query).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND);
    let location = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.as_str().split('?').next(), Some(format!("{redirect_uri}/").as_str()));
    let pairs: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "st");
    pairs["code"].clone()
}

async fn redeem(server: &RunningServer, code: &str, redirect_uri: &str, verifier: &str) -> (StatusCode, Value) {
    let form = [
        ("client_id", "intune-reach-sim"),
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    sign_in(server, &form).await
}

async fn poll(server: &RunningServer, device_code: &str) -> (StatusCode, Value) {
    let form = [
        ("client_id", "intune-reach-sim"),
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
    ];
    sign_in(server, &form).await
}

#[tokio::test]
async fn authorization_code_with_pkce_is_single_use_and_its_refresh_token_rotates() {
    let server = serve(10, options()).await;
    let redirect = "http://localhost:4567";
    let code = authorization_code(&server, "verifier-1", redirect).await;
    let (status, body) = redeem(&server, &code, redirect, "another-verifier").await;
    assert_eq!((status, body["error_codes"][0].as_u64()), (StatusCode::BAD_REQUEST, Some(501481)), "{body}");
    let code = authorization_code(&server, "verifier-1", redirect).await;
    let (status, body) = redeem(&server, &code, redirect, "verifier-1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "DeviceManagementManagedDevices.Read.All");
    let access = body["access_token"].as_str().unwrap();
    let devices = format!("{}/beta/deviceManagement/managedDevices", server.url);
    assert_eq!(get(&devices, access).await.status, StatusCode::OK);
    let (status, again) = redeem(&server, &code, redirect, "verifier-1").await;
    assert_eq!((status, again["error_codes"][0].as_u64()), (StatusCode::BAD_REQUEST, Some(54005)), "redeemed once");

    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let form = |token: &str| {
        vec![
            ("client_id", "intune-reach-sim".to_owned()),
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", token.to_owned()),
        ]
    };
    let first = form(&refresh);
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = sign_in(&server, &first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(body["refresh_token"].as_str().unwrap(), refresh, "rotated");
    let (status, body) = sign_in(&server, &first).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert!(server.secrets().contains(&refresh) && server.secrets().iter().any(|s| s == "verifier-1"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_verifier_and_a_remote_redirect_are_refused() {
    let server = serve(10, options()).await;
    let redirect = "http://localhost:4567";
    let code = authorization_code(&server, "right", redirect).await;
    let form = [
        ("client_id", "intune-reach-sim"),
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
        ("code_verifier", "wrong"),
    ];
    let (status, body) = sign_in(&server, &form).await;
    assert_eq!((status, body["error_codes"][0].as_u64()), (StatusCode::BAD_REQUEST, Some(501481)), "{body}");
    let url = format!("{}/{}/oauth2/v2.0/authorize", server.url, TENANT);
    let query = [
        ("client_id", "intune-reach-sim"),
        ("response_type", "code"),
        ("redirect_uri", "https://evil.example/cb"),
        ("scope", "offline_access"),
        ("state", "s"),
        ("code_challenge", "c"),
        ("code_challenge_method", "S256"),
    ];
    let answer = no_redirects().get(url).query(&query).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error_codes"], json!([50011]));
    server.shutdown().await;
}

#[tokio::test]
async fn device_code_answers_pending_then_the_token_and_refuses_an_unknown_code() {
    let sign_in_options = SignInOptions { device_code_pending: 2, ..SignInOptions::default() };
    let server = serve(10, ServerOptions { sign_in: sign_in_options, ..options() }).await;
    let url = format!("{}/{}/oauth2/v2.0/devicecode", server.url, TENANT);
    let scope = format!("{}/GroupMember.Read.All", server.url);
    let answer: Value = http()
        .post(url)
        .form(&[("client_id", "intune-reach-sim"), ("scope", &scope)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer["message"].as_str().unwrap().contains(answer["user_code"].as_str().unwrap()));
    assert_eq!((answer["interval"].as_u64(), answer["expires_in"].as_u64()), (Some(1), Some(900)));
    let device_code = answer["device_code"].as_str().unwrap();
    for _ in 0..2 {
        let (status, body) = poll(&server, device_code).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("authorization_pending")));
    }
    let (status, body) = poll(&server, device_code).await;
    assert_eq!((status, body["scope"].as_str()), (StatusCode::OK, Some("GroupMember.Read.All")), "{body}");
    assert!(body.get("refresh_token").is_none(), "no offline_access, no refresh token");
    let (_, body) = poll(&server, device_code).await;
    assert_eq!(body["error"], "bad_verification_code", "a used code is gone");
    server.shutdown().await;
}

#[tokio::test]
async fn federated_assertions_need_the_exchange_audience_a_future_expiry_and_the_trusted_subject() {
    let sign_in_options = SignInOptions {
        federated_subject: Some("repo:contoso/a:ref:refs/heads/main".into()),
        ..SignInOptions::default()
    };
    let server = serve(10, ServerOptions { sign_in: sign_in_options, ..options() }).await;
    let scope = format!("{}/.default", server.url);
    let now = Utc::now().timestamp();
    let jwt = |sub: &str, exp: i64| {
        auth::tests::assertion(
            json!({"alg": "RS256", "kid": "k"}),
            json!({"aud": "api://AzureADTokenExchange", "iss": "https://token.actions.githubusercontent.com", "sub": sub, "exp": exp}),
        )
    };
    for (assertion, expected) in [
        (jwt("repo:contoso/a:ref:refs/heads/main", now + 300), None),
        (jwt("repo:contoso/a:ref:refs/heads/main", now - 1), Some(700024)),
        (jwt("repo:contoso/a:pull_request", now + 300), Some(700213)),
    ] {
        let form = [
            ("client_id", "intune-reach-sim"),
            ("scope", scope.as_str()),
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion.as_str()),
        ];
        let (status, body) = sign_in(&server, &form).await;
        match expected {
            None => assert_eq!(status, StatusCode::OK, "{body}"),
            Some(code) => {
                assert_eq!((status, body["error_codes"][0].as_u64()), (StatusCode::UNAUTHORIZED, Some(code)), "{body}")
            }
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn identity_endpoints_want_their_header_and_oidc_its_request_token() {
    let server = serve(10, options()).await;
    let imds = format!(
        "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com",
        server.url
    );
    let missing = http().get(&imds).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error_description"], "Required metadata header not specified");
    let body: Value = http().get(&imds).header("Metadata", "true").send().await.unwrap().json().await.unwrap();
    assert!(body["expires_in"].is_string() && body["expires_on"].is_string(), "{body}");
    let app_service = format!("{}/msi/token?api-version=2019-08-01&resource=https://graph.microsoft.com", server.url);
    assert_eq!(http().get(&app_service).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let ok = http().get(&app_service).header("X-IDENTITY-HEADER", "sim-identity-header").send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);

    let oidc = format!("{}/github-oidc/token?api-version=2.0&audience=api://AzureADTokenExchange", server.url);
    assert_eq!(http().get(&oidc).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let body: Value =
        http().get(&oidc).bearer_auth("sim-oidc-request-token").send().await.unwrap().json().await.unwrap();
    let claims = body["value"].as_str().unwrap().split('.').nth(1).unwrap().to_owned();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["aud"], "api://AzureADTokenExchange");
    server.shutdown().await;
}

#[tokio::test]
async fn a_token_without_the_permission_gets_a_403_that_names_it() {
    let sign_in_options = SignInOptions { app_roles: vec!["GroupMember.Read.All".into()], ..SignInOptions::default() };
    let server = serve(10, ServerOptions { sign_in: sign_in_options, ..options() }).await;
    let token = token(&server).await;
    let devices = get(&format!("{}/beta/deviceManagement/managedDevices", server.url), &token).await;
    assert_graph_error(&devices, StatusCode::FORBIDDEN, "Forbidden");
    assert!(devices.body["error"]["message"].as_str().unwrap().contains("DeviceManagementManagedDevices.Read.All"));
    let groups = get(&format!("{}/v1.0/groups/g0/transitiveMembers", server.url), &token).await;
    assert_eq!(groups.status, StatusCode::OK);
    server.shutdown().await;
}
