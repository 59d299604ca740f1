//! Routing of unknown paths and methods, and the server's life: refusing an inconsistent tenant,
//! stopping by itself, on shutdown and when dropped.

use super::*;

#[tokio::test]
async fn unknown_paths_and_methods() {
    let server = serve(5, options()).await;
    let token = token(&server).await;
    let answer = get(&format!("{}/beta/deviceManagement/somethingElse", server.url), &token).await;
    assert_graph_error(&answer, StatusCode::NOT_FOUND, "ResourceNotFound");
    assert_graph_error(
        &get(&format!("{}/v1.0/deviceManagement/managedDevices", server.url), &token).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    );
    let post = http()
        .post(format!("{}/beta/deviceManagement/managedDevices", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(post.headers().contains_key("request-id"));
    let get_token = http().get(format!("{}/{TENANT}/oauth2/v2.0/token", server.url)).send().await.unwrap();
    assert_eq!(get_token.status(), StatusCode::METHOD_NOT_ALLOWED);
    // Percent-encoded path segments and any case of the segment names are understood.
    let encoded =
        get(&format!("{}/beta/DEVICEMANAGEMENT/managedDevices/dev%2D00000/detectedApps", server.url), &token).await;
    assert_eq!(encoded.status, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test]
async fn max_seconds_stops_the_server() {
    let server = serve(5, ServerOptions { max_seconds: Some(1), ..options() }).await;
    let url = server.url.clone();
    let _ = token(&server).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), server.wait()).await.expect("stops by itself");
    assert!(started.elapsed() >= Duration::from_millis(500));
    let after = reqwest::Client::new().get(format!("{url}/beta/deviceManagement/managedDeviceOverview")).send().await;
    assert!(after.is_err(), "nothing listens any more");
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let server = serve(5, ServerOptions { max_seconds: None, ..options() }).await;
    let url = server.url.clone();
    tokio::time::timeout(Duration::from_secs(10), server.shutdown()).await.expect("stops");
    assert!(reqwest::Client::new().get(&url).send().await.is_err());

    let server = serve(5, ServerOptions { max_seconds: None, ..options() }).await;
    let url = server.url.clone();
    drop(server);
    let deadline = Instant::now() + Duration::from_secs(10);
    while reqwest::Client::new().get(&url).send().await.is_ok() {
        assert!(Instant::now() < deadline, "a dropped server stops");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn inconsistent_tenants_are_refused() {
    let mut broken = tenant(5);
    broken.apps[0].devices.push(99);
    assert!(matches!(start(Arc::new(broken), options(), 0).await, Err(Error::Usage(_))));
    let mut broken = tenant(5);
    broken.groups[0].members.push(SimMember::Group(9));
    assert!(matches!(start(Arc::new(broken), options(), 0).await, Err(Error::Usage(_))));
}
