//! The custom notification sends: accepted with 204 and recorded, checked like Graph (lengths, group
//! and device ids, the platform, the permission), and their own faults (throttle, answers that never
//! come).

use super::*;

const GROUP_SEND: &str = "/beta/deviceManagement/sendCustomNotificationToCompanyPortal";

fn device_send(id: &str) -> String {
    format!("/beta/deviceManagement/managedDevices/{id}/sendCustomNotificationToCompanyPortal")
}

/// POSTs a send; the status, the headers and the body (JSON, or `null` for a 204).
async fn post(server: &RunningServer, path: &str, token: &str, body: &Value) -> Answer {
    let response = http().post(format!("{}{path}", server.url)).bearer_auth(token).json(body).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    Answer { status, headers, body }
}

fn message(title: &str, body: &str) -> Value {
    json!({"notificationTitle": title, "notificationBody": body})
}

async fn listed_sends(server: &RunningServer) -> Vec<SimSend> {
    let answer = http().get(format!("{}/sim/sends", server.url)).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    serde_json::from_value(body["value"].clone()).unwrap()
}

/// The text of Intune's detail nested in `error.message`.
fn nested_message(answer: &Answer) -> String {
    let nested: Value = serde_json::from_str(answer.body["error"]["message"].as_str().unwrap()).unwrap();
    nested["Message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn both_sends_are_accepted_recorded_and_listed() {
    let server = serve(30, options()).await;
    let token = token(&server).await;
    let mut groups = message("Büro geschlossen", "Heute ist das Büro zu. 🌧");
    groups["groupsToNotify"] = json!(["g0", "g3"]);
    let answer = post(&server, GROUP_SEND, &token, &groups).await;
    assert_eq!((answer.status, &answer.body), (StatusCode::NO_CONTENT, &Value::Null));
    assert!(answer.headers.contains_key("request-id"));
    let answer = post(&server, &device_send("dev-00000"), &token, &message("t", "b")).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);

    let sends = listed_sends(&server).await;
    assert_eq!(sends, server.sends());
    assert_eq!(sends.len(), 2);
    assert_eq!((sends[0].kind.as_str(), &sends[0].targets), ("group", &vec!["g0".to_owned(), "g3".to_owned()]));
    assert_eq!((sends[0].title.as_str(), sends[0].body.as_str()), ("Büro geschlossen", "Heute ist das Büro zu. 🌧"));
    assert_eq!((sends[1].kind.as_str(), &sends[1].targets), ("device", &vec!["dev-00000".to_owned()]));
    assert!(sends.iter().all(|s| s.answered));
    let stats = server.stats();
    assert_eq!((stats.send_requests, stats.sends), (2, 2));
    server.shutdown().await;
}

#[tokio::test]
async fn sends_are_checked_like_graph_and_refusals_are_not_recorded() {
    let server = serve(30, options()).await;
    let token = token(&server).await;
    let fifty = "x".repeat(50);
    let with_groups = |groups: Value| {
        let mut body = message("t", "b");
        body["groupsToNotify"] = groups;
        body
    };
    let too_many: Vec<String> = (0..26).map(|_| "g0".to_owned()).collect();
    let refused = [
        (
            GROUP_SEND.to_owned(),
            with_groups(json!(["g0", "nope"])),
            StatusCode::BAD_REQUEST,
            "Group(s) not found: nope",
        ),
        (GROUP_SEND.to_owned(), with_groups(json!([])), StatusCode::BAD_REQUEST, "groupsToNotify must hold 1 to 25"),
        (GROUP_SEND.to_owned(), with_groups(json!(too_many)), StatusCode::BAD_REQUEST, "it has 26"),
        (GROUP_SEND.to_owned(), message("t", "b"), StatusCode::BAD_REQUEST, "groupsToNotify is required"),
        (
            device_send("dev-00000"),
            message(&format!("{fifty}y"), "b"),
            StatusCode::BAD_REQUEST,
            "1 to 50 characters; it has 51",
        ),
        (
            device_send("dev-00000"),
            message("t", &"é".repeat(501)),
            StatusCode::BAD_REQUEST,
            "1 to 500 characters; it has 501",
        ),
        (device_send("dev-00000"), message("t", ""), StatusCode::BAD_REQUEST, "notificationBody must be 1 to 500"),
        (
            device_send("dev-00000"),
            json!({"notificationTitle": "t"}),
            StatusCode::BAD_REQUEST,
            "notificationBody is required",
        ),
        (
            device_send("no-such-device"),
            message("t", "b"),
            StatusCode::NOT_FOUND,
            "ManagedDevice no-such-device was not found",
        ),
        // dev-00014 is the third device: Windows.
        (device_send("dev-00014"), message("t", "b"), StatusCode::BAD_REQUEST, "An error has occurred"),
    ];
    for (path, body, status, text) in &refused {
        let answer = post(&server, path, &token, body).await;
        let code = if *status == StatusCode::NOT_FOUND { "ResourceNotFound" } else { "BadRequest" };
        assert_graph_error(&answer, *status, code);
        let nested = nested_message(&answer);
        assert!(nested.contains(text), "{path}: {nested}");
        let request_id = answer.headers["request-id"].to_str().unwrap();
        assert!(nested.contains(&format!("Activity ID: {request_id}")), "{nested}");
    }
    // Exactly 50 and 500 characters, counted as Unicode scalar values, go through.
    let answer = post(&server, &device_send("dev-00000"), &token, &message(&"ü".repeat(50), &"🌧".repeat(500))).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let answer = http().get(format!("{}{GROUP_SEND}", server.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(server.sends().len(), 1, "only the accepted send is recorded");
    assert_eq!(server.stats().send_requests, refused.len() as u64 + 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_token_without_the_send_permission_is_refused() {
    let mut options = options();
    options.sign_in.app_roles.retain(|role| role != crate::source::graph::permissions::SEND_PERMISSION);
    let server = serve(30, options).await;
    let token = token(&server).await;
    let answer = post(&server, &device_send("dev-00000"), &token, &message("t", "b")).await;
    assert_graph_error(&answer, StatusCode::FORBIDDEN, "Forbidden");
    assert!(nested_message(&answer).contains("DeviceManagementServiceConfig.ReadWrite.All"));
    assert!(server.sends().is_empty());
    assert_eq!(server.stats().send_requests, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn sends_have_their_own_throttle() {
    let sends = SendFaults { throttle: Some("1/30".parse().unwrap()), ..SendFaults::default() };
    let server = serve(30, ServerOptions { sends, ..options() }).await;
    let token = token(&server).await;
    assert_eq!(
        post(&server, &device_send("dev-00000"), &token, &message("t", "b")).await.status,
        StatusCode::NO_CONTENT
    );
    let throttled = post(&server, &device_send("dev-00000"), &token, &message("t", "b")).await;
    assert_graph_error(&throttled, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    assert!(throttled.headers["retry-after"].to_str().unwrap().parse::<f64>().unwrap() > 0.0);
    // Reads are not throttled by the sends' budget.
    let overview = get(&format!("{}/beta/deviceManagement/managedDeviceOverview", server.url), &token).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert_eq!(server.sends().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn the_held_send_is_recorded_but_never_answered() {
    let sends = SendFaults { hang_nth: Some(2), ..SendFaults::default() };
    let server = serve(30, ServerOptions { sends, ..options() }).await;
    let token = token(&server).await;
    assert_eq!(
        post(&server, &device_send("dev-00000"), &token, &message("t", "1")).await.status,
        StatusCode::NO_CONTENT
    );
    let held = http()
        .post(format!("{}{}", server.url, device_send("dev-00000")))
        .bearer_auth(&token)
        .json(&message("t", "2"))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(held.is_err_and(|e| e.is_timeout()), "no answer came");
    assert_eq!(
        post(&server, &device_send("dev-00000"), &token, &message("t", "3")).await.status,
        StatusCode::NO_CONTENT
    );
    let answered: Vec<(String, bool)> = server.sends().into_iter().map(|s| (s.body, s.answered)).collect();
    assert_eq!(answered, [("1".to_owned(), true), ("2".to_owned(), false), ("3".to_owned(), true)]);
    server.shutdown().await;
}

#[test]
fn send_faults_are_checked() {
    assert!(SendFaults { error_rate: 1.5, ..SendFaults::default() }.check().is_err());
    assert!(SendFaults { throttle: Some(Throttle { requests: 0, per_seconds: 1.0 }), ..SendFaults::default() }
        .check()
        .is_err());
    assert!(SendFaults::default().check().is_ok());
}
