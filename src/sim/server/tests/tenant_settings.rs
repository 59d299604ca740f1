//! The tenant-wide objects: the Apple MDM push certificate and managed Google Play, in each state the
//! options give them, with `$select` (which keeps the certificate body and enrollment tokens out).

use super::*;

const APPLE: &str = "v1.0/deviceManagement/applePushNotificationCertificate";
const PLAY: &str = "beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings";

fn clock() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z").unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn the_default_tenant_has_a_valid_certificate_and_a_validated_binding() {
    let server = serve(10, ServerOptions { tenant_clock: Some(clock()), ..options() }).await;
    let token = token(&server).await;
    let apple = get(&format!("{}/{APPLE}?$select=expirationDateTime,appleIdentifier", server.url), &token).await;
    assert_eq!(apple.status, StatusCode::OK, "{}", apple.body);
    assert_eq!(apple.body["expirationDateTime"], "2027-06-14T00:00:00Z");
    assert!(apple.body.get("certificate").is_none() && apple.body.get("value").is_none(), "bare, selected");
    let full = get(&format!("{}/{APPLE}", server.url), &token).await;
    assert!(full.body["certificate"].is_string(), "without $select Graph sends the body too");
    let beta = get(&format!("{}/beta/deviceManagement/applePushNotificationCertificate", server.url), &token).await;
    assert_eq!(beta.status, StatusCode::OK);

    let play = get(&format!("{}/{PLAY}?$select=bindStatus,lastAppSyncStatus", server.url), &token).await;
    assert_eq!(play.body["bindStatus"], "boundAndValidated");
    assert!(play.body.get("companyCodes").is_none());
    let unknown = get(&format!("{}/{PLAY}?$select=bindStatus,nope", server.url), &token).await;
    assert_graph_error(&unknown, StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(server.stats().tenant_settings, 5);
    server.shutdown().await;
}

#[tokio::test]
async fn missing_is_404_and_forbidden_is_403_without_the_role() {
    let options = ServerOptions {
        apple_push: ApplePush::Missing,
        managed_google_play: ManagedGooglePlay::Forbidden,
        ..options()
    };
    let server = serve(10, options.clone()).await;
    let token = token(&server).await;
    assert_graph_error(
        &get(&format!("{}/{APPLE}", server.url), &token).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    );
    let play = get(&format!("{}/{PLAY}", server.url), &token).await;
    assert_graph_error(&play, StatusCode::FORBIDDEN, "Forbidden");
    assert!(play.body["error"]["message"].as_str().unwrap().contains("DeviceManagementConfiguration.Read.All"));
    // The token's roles say the same: the permission is missing.
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap(),
    )
    .unwrap();
    let roles: Vec<&str> = claims["roles"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(roles, options.app_roles());
    assert!(roles.contains(&"DeviceManagementServiceConfig.Read.All"));
    assert!(!roles.contains(&"DeviceManagementConfiguration.Read.All"));
    assert_eq!(claims["tid"], TENANT);
    server.shutdown().await;
}

#[tokio::test]
async fn each_binding_state_is_served() {
    for (state, status) in [
        (ManagedGooglePlay::Bound, "bound"),
        (ManagedGooglePlay::NotBound, "notBound"),
        (ManagedGooglePlay::Unbinding, "unbinding"),
    ] {
        let server =
            serve(10, ServerOptions { managed_google_play: state, apple_push: ApplePush::Expired, ..options() }).await;
        let token = token(&server).await;
        assert_eq!(get(&format!("{}/{PLAY}", server.url), &token).await.body["bindStatus"], status);
        let apple = get(&format!("{}/{APPLE}", server.url), &token).await;
        let expires = DateTime::parse_from_rfc3339(apple.body["expirationDateTime"].as_str().unwrap()).unwrap();
        assert!(expires < Utc::now(), "expired");
        server.shutdown().await;
    }
}
