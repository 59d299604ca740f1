//! `$batch`: each inner request answered on its own, and malformed envelopes refused.

use super::*;

#[tokio::test]
async fn batch_runs_each_request_and_rejects_more_than_20() {
    let server = serve(50, options()).await;
    let token = token(&server).await;
    let url = format!("{}/beta/$batch", server.url);
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/deviceManagement/managedDevices/dev-00000/detectedApps"},
        {"id": "2", "method": "GET", "url": "deviceManagement/managedDevices/nope/detectedApps"},
        {"id": "3", "method": "GET", "url": "/deviceManagement/managedDevices?$select=id&$top=10"},
        {"id": "4", "method": "POST", "url": "/deviceManagement/managedDevices"},
        {"id": "5", "method": "GET", "url": "/no/such/thing"},
    ]});
    let answer = post_json(&url, &token, &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let responses = answer.body["responses"].as_array().unwrap();
    let status: Vec<(&str, u64)> =
        responses.iter().map(|r| (r["id"].as_str().unwrap(), r["status"].as_u64().unwrap())).collect();
    assert_eq!(status, [("1", 200), ("2", 404), ("3", 200), ("4", 405), ("5", 404)]);
    assert_eq!(responses[0]["headers"]["Content-Type"], "application/json");
    assert_eq!(responses[0]["body"]["value"].as_array().unwrap().len(), 2);
    assert_eq!(responses[1]["body"]["error"]["code"], "ResourceNotFound");
    assert_eq!(responses[2]["body"]["value"].as_array().unwrap().len(), 10);
    assert!(responses[2]["body"]["@odata.nextLink"].as_str().unwrap().starts_with(&server.url));

    let many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/deviceManagement/managedDeviceOverview"}))
        .collect();
    assert_graph_error(
        &post_json(&url, &token, &json!({"requests": many})).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    );
    let twenty = &many[..20];
    assert_eq!(post_json(&url, &token, &json!({"requests": twenty})).await.status, StatusCode::OK);
    for bad in [
        json!({"nope": []}),
        json!({"requests": []}),
        json!({"requests": [{"id": "1"}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "/x"}, {"id": "1", "method": "GET", "url": "/y"}]}),
    ] {
        assert_graph_error(&post_json(&url, &token, &bad).await, StatusCode::BAD_REQUEST, "BadRequest");
    }
    let garbage = http().post(&url).bearer_auth(&token).body("{not json").send().await.unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
    let anonymous = http().post(&url).json(&body).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let stats = server.stats();
    assert_eq!(stats.batch_items, 5 + 20);
    assert_eq!(stats.device_app_reads, 2);
    server.shutdown().await;
}
