//! Sign-in: tokens, their expiry and the Entra ID errors of bad token requests.

use super::*;

#[tokio::test]
async fn expired_unknown_and_missing_tokens_are_refused() {
    let server = serve(10, ServerOptions { token_lifetime_secs: 0, ..options() }).await;
    let devices = format!("{}/beta/deviceManagement/managedDevices", server.url);

    // Issued, but with a lifetime of 0 it has already expired.
    let form = secret_form(&server, "sim-secret");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = sign_in(&server, &form).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 0);
    let expired = body["access_token"].as_str().unwrap();
    assert_graph_error(&get(&devices, expired).await, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
    assert_graph_error(&get(&devices, "made-up").await, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
    let bare = http().get(&devices).header("client-request-id", "mine-123").send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(bare.headers()["client-request-id"], "mine-123");
    let body: Value = bare.json().await.unwrap();
    assert_eq!(body["error"]["innerError"]["client-request-id"], "mine-123");

    let stats = server.stats();
    assert_eq!(stats.tokens_issued, 1);
    assert_eq!(stats.unauthorized, 3);
    assert_eq!(stats.device_pages, 0, "401s are not counted as device pages");
    server.shutdown().await;
}

#[tokio::test]
async fn bad_token_requests_get_entra_errors() {
    let server = serve(10, options()).await;

    // Wrong secret: 401 invalid_client AADSTS7000215 with a trace id.
    let form = secret_form(&server, "wrong");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = sign_in(&server, &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], json!([7000215]));
    assert!(uuid::Uuid::parse_str(body["trace_id"].as_str().unwrap()).is_ok());
    assert!(body["error_description"].as_str().unwrap().starts_with("AADSTS7000215: "));
    assert!(body["error_description"].as_str().unwrap().contains("\r\nTrace ID: "));

    // Unknown tenant, unknown client, bad scope, no credential.
    let url = format!("{}/other-tenant/oauth2/v2.0/token", server.url);
    let response = http().post(url).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_codes"], json!([90002]));
    let scope = format!("{}/.default", server.url);
    type Case<'a> = (&'a [(&'a str, &'a str)], StatusCode, u64);
    let cases: [Case; 3] = [
        (
            &[("client_id", "nobody"), ("scope", &scope), ("grant_type", "client_credentials"), ("client_secret", "x")],
            StatusCode::BAD_REQUEST,
            700016,
        ),
        (
            &[
                ("client_id", "intune-reach-sim"),
                ("scope", "https://graph.microsoft.com/User.Read"),
                ("grant_type", "client_credentials"),
                ("client_secret", "sim-secret"),
            ],
            StatusCode::BAD_REQUEST,
            1002012,
        ),
        (
            &[("client_id", "intune-reach-sim"), ("scope", &scope), ("grant_type", "client_credentials")],
            StatusCode::UNAUTHORIZED,
            7000218,
        ),
    ];
    for (form, status, code) in cases {
        let (got, body) = sign_in(&server, form).await;
        assert_eq!((got, body["error_codes"][0].as_u64()), (status, Some(code)), "{body}");
    }
    assert_eq!(server.stats().tokens_issued, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn client_assertions_are_checked_for_their_shape() {
    let server = serve(10, options()).await;
    let scope = format!("{}/.default", server.url);

    // A certificate assertion: right shape accepted, wrong shape 401 AADSTS700027.
    let now = Utc::now().timestamp();
    let token_url = format!("{}/{}/oauth2/v2.0/token", server.url, TENANT);
    let good = auth::tests::assertion(
        json!({"alg": "RS256", "typ": "JWT", "x5t": "3q2-7w"}),
        json!({"aud": token_url, "iss": "intune-reach-sim", "sub": "intune-reach-sim", "jti": "1", "nbf": now, "iat": now, "exp": now + 600}),
    );
    let stale = auth::tests::assertion(
        json!({"alg": "RS256", "typ": "JWT", "x5t": "3q2-7w"}),
        json!({"aud": token_url, "iss": "intune-reach-sim", "sub": "intune-reach-sim", "exp": now - 10}),
    );
    for (assertion, status) in
        [(good.as_str(), StatusCode::OK), (stale.as_str(), StatusCode::UNAUTHORIZED), ("x.y", StatusCode::UNAUTHORIZED)]
    {
        let form = [
            ("client_id", "intune-reach-sim"),
            ("scope", scope.as_str()),
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
        ];
        let (got, body) = sign_in(&server, &form).await;
        assert_eq!(got, status, "{body}");
        if status != StatusCode::OK {
            assert_eq!(body["error_codes"], json!([700027]));
        }
    }

    assert_eq!(server.stats().tokens_issued, 1);
    server.shutdown().await;
}
