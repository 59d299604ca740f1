//! The faults the server injects: throttling, error rate, expiring skip tokens, a repeated next
//! link, hidden devices and latency.

use super::*;

#[tokio::test]
async fn throttle_answers_429_with_fractional_retry_after() {
    let throttle: Throttle = "3/2".parse().unwrap();
    let server = serve(30, ServerOptions { throttle: Some(throttle), ..options() }).await;
    let token = token(&server).await;
    let url = format!("{}/beta/deviceManagement/managedDeviceOverview", server.url);
    for _ in 0..3 {
        assert_eq!(get(&url, &token).await.status, StatusCode::OK);
    }
    let throttled = get(&url, &token).await;
    assert_graph_error(&throttled, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    let retry = throttled.headers["retry-after"].to_str().unwrap();
    assert!(retry.contains('.'), "fractional: {retry}");
    let seconds: f64 = retry.parse().unwrap();
    assert!(seconds > 0.0 && seconds <= 2.0, "{seconds}");

    // The whole $batch envelope is refused while the window is full.
    let batch_url = format!("{}/beta/$batch", server.url);
    let one = json!({"requests": [{"id": "1", "method": "GET", "url": "/deviceManagement/managedDeviceOverview"}]});
    let refused = post_json(&batch_url, &token, &one).await;
    assert_graph_error(&refused, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    assert!(refused.headers.contains_key("retry-after"));

    // After the window slides, a batch of 5 gets 3 answers and 2 inner 429s with Retry-After.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let five: Vec<Value> = (1..=5)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/deviceManagement/managedDeviceOverview"}))
        .collect();
    let answer = post_json(&batch_url, &token, &json!({"requests": five})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let statuses: Vec<u64> =
        answer.body["responses"].as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let inner = &answer.body["responses"][3];
    assert!(inner["headers"]["Retry-After"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
    assert_eq!(inner["body"]["error"]["code"], "TooManyRequests");
    // Token requests are not throttled.
    let _ = self::token(&server).await;
    assert_eq!(server.stats().throttled, 1 + 1 + 2);
    server.shutdown().await;

    let server =
        serve(30, ServerOptions { throttle: Some("1/5".parse().unwrap()), no_retry_after: true, ..options() }).await;
    let token = self::token(&server).await;
    let url = format!("{}/beta/deviceManagement/managedDeviceOverview", server.url);
    assert_eq!(get(&url, &token).await.status, StatusCode::OK);
    let throttled = get(&url, &token).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!throttled.headers.contains_key("retry-after"));
    server.shutdown().await;
}

#[test]
fn throttle_parses() {
    assert_eq!("2000/20".parse::<Throttle>().unwrap(), Throttle { requests: 2000, per_seconds: 20.0 });
    assert_eq!(" 5 / 0.5 ".parse::<Throttle>().unwrap(), Throttle { requests: 5, per_seconds: 0.5 });
    for bad in ["", "5", "0/1", "5/0", "5/-1", "x/1", "5/nan", "5/inf", "-1/2", "5/1e300"] {
        assert!(bad.parse::<Throttle>().is_err(), "{bad}");
    }
}

#[tokio::test]
async fn error_rate_one_answers_503() {
    let server = serve(30, ServerOptions { error_rate: 1.0, ..options() }).await;
    let token = token(&server).await;
    let answer = get(&format!("{}/beta/deviceManagement/managedDevices", server.url), &token).await;
    assert_graph_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable");
    assert!(answer.headers.contains_key("retry-after"));
    assert_eq!(server.stats().unavailable, 1);
    server.shutdown().await;
    let bad = start(Arc::new(tenant(3)), ServerOptions { error_rate: 1.5, ..options() }, 0).await;
    assert!(matches!(bad, Err(Error::Usage(_))));
}

#[tokio::test]
async fn error_rate_is_deterministic_per_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = serve(30, ServerOptions { error_rate: 0.5, fault_seed: 42, ..options() }).await;
        let token = token(&server).await;
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses
                .push(get(&format!("{}/beta/deviceManagement/managedDeviceOverview", server.url), &token).await.status);
        }
        runs.push(statuses);
        server.shutdown().await;
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&StatusCode::OK) && runs[0].contains(&StatusCode::SERVICE_UNAVAILABLE));
}

#[tokio::test]
async fn expired_skiptoken_once_then_a_restart_works() {
    let server = serve(2500, ServerOptions { expire_skiptokens_after: Some(2), ..options() }).await;
    let token = token(&server).await;
    let url = format!("{}/beta/deviceManagement/managedDevices?$select=id", server.url);
    let first = get(&url, &token).await;
    let second = get(first.body["@odata.nextLink"].as_str().unwrap(), &token).await;
    assert_eq!(second.status, StatusCode::OK);
    let third = get(second.body["@odata.nextLink"].as_str().unwrap(), &token).await;
    assert_graph_error(&third, StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(third.body["error"]["message"], "The skip token is either invalid or expired.");
    // Restarting the listing reads it whole; another listing (a filter) has its own count.
    assert_eq!(ids(&pages(&url, &token).await).len(), 2500);
    let ios = format!("{url}&$filter=operatingSystem%20eq%20'iOS'&$top=100");
    let first = get(&ios, &token).await;
    let second = get(first.body["@odata.nextLink"].as_str().unwrap(), &token).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(get(second.body["@odata.nextLink"].as_str().unwrap(), &token).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(ids(&pages(&ios, &token).await).len(), 500);
    assert_eq!(server.stats().skiptokens_expired, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn repeat_next_link_repeats_page_one_link() {
    let server = serve(2500, ServerOptions { repeat_next_link: true, ..options() }).await;
    let token = token(&server).await;
    let url = format!("{}/beta/deviceManagement/managedDevices?$select=id", server.url);
    let first = get(&url, &token).await;
    let link = first.body["@odata.nextLink"].as_str().unwrap().to_owned();
    let second = get(&link, &token).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body["@odata.nextLink"], link.as_str(), "page 2 repeats page 1's next link");
    assert_eq!(second.body["value"][0]["id"], "dev-01000");
    let again = get(&link, &token).await;
    assert_eq!(again.body["@odata.nextLink"], link.as_str(), "an endless loop");
    // Only the first listing repeats: a restart reads through.
    assert_eq!(ids(&pages(&url, &token).await).len(), 2500);
    assert_eq!(server.stats().repeated_next_links, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn hidden_devices_are_missing_but_counted() {
    let server = serve(2500, ServerOptions { hide_devices: 10, ..options() }).await;
    let token = token(&server).await;
    let listed = ids(&pages(&format!("{}/beta/deviceManagement/managedDevices?$select=id", server.url), &token).await);
    assert_eq!(listed.len(), 2490);
    assert_eq!(listed.last().unwrap(), "dev-02489", "the last 10 by id are hidden");
    let overview = get(&format!("{}/beta/deviceManagement/managedDeviceOverview", server.url), &token).await;
    assert_eq!(overview.body["enrolledDeviceCount"], 2500);
    let hidden =
        get(&format!("{}/beta/deviceManagement/managedDevices/dev-02499/detectedApps", server.url), &token).await;
    assert_graph_error(&hidden, StatusCode::NOT_FOUND, "ResourceNotFound");
    let cp =
        ids(&pages(&format!("{}/beta/deviceManagement/detectedApps/app-cp/managedDevices", server.url), &token).await);
    // app-cp has the even device indices; dev-0249x hidden ones among them are left out.
    let hidden_with_cp = (0..2500).filter(|i| i % 2 == 0 && (i * 7) % 2500 >= 2490).count();
    assert_eq!(cp.len(), 1250 - hidden_with_cp);
    assert!(cp.iter().all(|id| id.as_str() < "dev-02490"));
    server.shutdown().await;
}

#[tokio::test]
async fn latency_delays_answers() {
    let server = serve(5, ServerOptions { latency_ms: 150, ..options() }).await;
    let started = Instant::now();
    let token = token(&server).await;
    let _ = get(&format!("{}/beta/deviceManagement/managedDeviceOverview", server.url), &token).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    server.shutdown().await;
}
