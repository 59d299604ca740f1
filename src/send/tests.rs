//! The careful writes against a Graph stand-in (wiremock): every request sent once, each outcome
//! kept in order, new sends stopped by a 403 or by the stop signal with nothing cut in half.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::dispatch::{self, Status, StopSignal};
use super::ledger::Kind;
use super::limits::Request;
use crate::source::graph::testkit;
use crate::source::graph::{GraphSession, Notification, Sender};
use crate::source::progress::NoProgress;

fn notification() -> Notification {
    Notification { title: "Title".into(), body: "Body".into() }
}

fn devices(n: usize) -> Vec<Request> {
    (0..n).map(|i| Request { kind: Kind::Device, targets: vec![format!("d{i:02}")] }).collect()
}

async fn sender(server: &MockServer) -> Arc<Sender> {
    testkit::mount_token(server, 3600).await;
    let session = GraphSession::connect(&testkit::options(server)).await.unwrap();
    Arc::new(session.sender(Duration::from_secs(5)))
}

fn never() -> StopSignal {
    Arc::new(|| false)
}

fn device_path(id: &str) -> String {
    format!("/beta/deviceManagement/managedDevices/{id}/sendCustomNotificationToCompanyPortal")
}

async fn sends_to(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap();
    let mut ids: Vec<String> = requests
        .iter()
        .filter(|r| r.url.path().ends_with("/sendCustomNotificationToCompanyPortal"))
        .filter_map(|r| r.url.path().split('/').nth(4).map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn every_request_is_sent_once_and_its_outcome_kept_in_order() {
    let server = MockServer::start().await;
    let sender = sender(&server).await;
    let gone = r#"{"_version": 3, "Message": "Not found - Activity ID: act-3 - Url: x"}"#;
    Mock::given(method("POST"))
        .and(path(device_path("d03")))
        .respond_with(testkit::graph_error(404, "ResourceNotFound", gone))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(device_path("d07")))
        .respond_with(testkit::graph_error(429, "TooManyRequests", "later").insert_header("Retry-After", "0.01"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("sendCustomNotificationToCompanyPortal$"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(5)
        .mount(&server)
        .await;
    let requests = devices(12);
    let dispatched = dispatch::run(sender, &notification(), &requests, 4, never(), Arc::new(NoProgress)).await;
    let statuses: Vec<Status> = dispatched.outcomes.iter().map(|o| o.status).collect();
    let mut expected = vec![Status::Sent; 12];
    expected[3] = Status::Failed;
    assert_eq!(statuses, expected);
    assert_eq!(dispatched.outcomes[3].http_status, Some(404));
    assert_eq!(dispatched.outcomes[3].error.as_ref().and_then(|e| e.activity_id.as_deref()), Some("act-3"));
    assert!(!dispatched.interrupted && dispatched.refused.is_none());
    let mut expected_sends: Vec<String> = (0..12).map(|i| format!("d{i:02}")).collect();
    expected_sends.push("d07".into()); // its 429, then the send that went through
    expected_sends.sort();
    assert_eq!(sends_to(&server).await, expected_sends);
}

#[tokio::test]
async fn a_403_stops_new_sends_and_the_rest_are_skipped() {
    let server = MockServer::start().await;
    let sender = sender(&server).await;
    Mock::given(method("POST"))
        .respond_with(testkit::graph_error(
            403,
            "Forbidden",
            "Application is not authorized to perform this operation.",
        ))
        .mount(&server)
        .await;
    let dispatched = dispatch::run(sender, &notification(), &devices(6), 1, never(), Arc::new(NoProgress)).await;
    let statuses: Vec<Status> = dispatched.outcomes.iter().map(|o| o.status).collect();
    assert_eq!(
        statuses,
        [Status::Failed, Status::Skipped, Status::Skipped, Status::Skipped, Status::Skipped, Status::Skipped]
    );
    assert!(dispatched.refused.is_some() && !dispatched.interrupted);
    assert_eq!(sends_to(&server).await, ["d00"]);
}

#[tokio::test]
async fn a_stop_lets_the_sends_in_flight_finish_and_skips_the_others() {
    let server = MockServer::start().await;
    let sender = sender(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_millis(50)))
        .mount(&server)
        .await;
    // Asked before each new send: the third time, it says stop (as Ctrl-C does).
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let stop: StopSignal = Arc::new(move || counter.fetch_add(1, Ordering::SeqCst) >= 2);
    let dispatched = dispatch::run(sender, &notification(), &devices(5), 1, stop, Arc::new(NoProgress)).await;
    let statuses: Vec<Status> = dispatched.outcomes.iter().map(|o| o.status).collect();
    assert_eq!(statuses, [Status::Sent, Status::Sent, Status::Skipped, Status::Skipped, Status::Skipped]);
    assert!(dispatched.interrupted);
    assert!(dispatched.outcomes[2].time.is_none() && dispatched.outcomes[0].time.is_some());
    assert_eq!(sends_to(&server).await, ["d00", "d01"]);
}

#[tokio::test]
async fn a_group_send_is_one_request() {
    let server = MockServer::start().await;
    let sender = sender(&server).await;
    Mock::given(method("POST"))
        .and(path("/beta/deviceManagement/sendCustomNotificationToCompanyPortal"))
        .and(wiremock::matchers::body_json(serde_json::json!({
            "notificationTitle": "Title", "notificationBody": "Body", "groupsToNotify": ["g1", "g2"]
        })))
        .respond_with(ResponseTemplate::new(204).insert_header("request-id", "rid-g"))
        .mount(&server)
        .await;
    let requests = [Request { kind: Kind::Group, targets: vec!["g1".into(), "g2".into()] }];
    let dispatched = dispatch::run(sender, &notification(), &requests, 8, never(), Arc::new(NoProgress)).await;
    assert_eq!(dispatched.outcomes.len(), 1);
    assert_eq!(
        (dispatched.outcomes[0].status, dispatched.outcomes[0].request_id.as_deref()),
        (Status::Sent, Some("rid-g"))
    );
    let posts = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path().starts_with("/beta"))
        .count();
    assert_eq!(posts, 1);
}
