//! The device endpoints: keyset pages of `managedDevices` in id order, `$top`, `$select`, the
//! `operatingSystem` filter, and the overview.

use super::*;

#[tokio::test]
async fn pages_every_device_once_in_id_order() {
    let server = serve(2500, options()).await;
    let token = token(&server).await;
    let url = format!("{}/beta/deviceManagement/managedDevices?$select=id,deviceName", server.url);
    let pages = pages(&url, &token).await;
    assert_eq!(pages.iter().map(|p| p["value"].as_array().unwrap().len()).collect::<Vec<_>>(), [1000, 1000, 500]);
    let ids = ids(&pages);
    let expected: Vec<String> = (0..2500).map(|i| format!("dev-{i:05}")).collect();
    assert_eq!(ids, expected, "every device once, by id");
    let link = pages[0]["@odata.nextLink"].as_str().unwrap();
    assert!(link.starts_with(&format!("{}/beta/deviceManagement/managedDevices?$select=id,deviceName&", server.url)));
    assert!(link.contains("$skiptoken="));
    assert!(pages[2].get("@odata.nextLink").is_none());
    assert!(pages[0]["@odata.context"].as_str().unwrap().contains("$metadata#deviceManagement/managedDevices"));

    // $top pages smaller; a garbled or foreign skiptoken is a 400.
    let small = self::pages(&format!("{url}&$top=700"), &token).await;
    assert_eq!(small.len(), 4);
    assert_eq!(self::ids(&small), expected);
    let garbled = get(&format!("{url}&$skiptoken=bm90LWEtdG9rZW4"), &token).await;
    assert_graph_error(&garbled, StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(garbled.body["error"]["message"], wire::SKIPTOKEN_MESSAGE);
    let foreign = link.replace("$select=id,deviceName", "$filter=operatingSystem%20eq%20'iOS'");
    assert_graph_error(&get(&foreign, &token).await, StatusCode::BAD_REQUEST, "BadRequest");
    assert_graph_error(&get(&format!("{url}&$top=abc"), &token).await, StatusCode::BAD_REQUEST, "BadRequest");
    assert_graph_error(&get(&format!("{url}&$top=0"), &token).await, StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(server.stats().device_pages, 3 + 4 + 4);
    server.shutdown().await;
}

#[tokio::test]
async fn select_returns_only_the_named_fields_plus_id() {
    let server = serve(20, options()).await;
    let token = token(&server).await;
    let base = format!("{}/beta/deviceManagement/managedDevices", server.url);
    let page = get(&format!("{base}?$select=deviceName,OPERATINGSYSTEM,userId,notes"), &token).await;
    let first = page.body["value"][0].as_object().unwrap();
    let keys: BTreeSet<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["id", "deviceName", "operatingSystem", "userId", "notes"]));
    assert_eq!(first["userId"], Value::Null, "a selected field without a value is null");
    assert_eq!(first["notes"], Value::Null, "a property the simulated tenant does not model is null");
    let all = get(&base, &token).await;
    let first = all.body["value"][0].as_object().unwrap();
    assert!(first.contains_key("osVersion") && first.contains_key("managementAgent"));
    assert!(!first.contains_key("userId"), "without $select, absent fields are left out");
    let text = all.body["value"][0].to_string();
    let parsed: GraphDevice = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.id.as_deref(), Some("dev-00000"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_select_of_an_unknown_property_is_graphs_400() {
    let server = serve(20, options()).await;
    let token = token(&server).await;
    for path in ["managedDevices", "managedDevices/dev-00003", "detectedApps/app-cp/managedDevices"] {
        let url = format!("{}/beta/deviceManagement/{path}?$select=id,deviceName,isSharedDevice", server.url);
        let answer = get(&url, &token).await;
        assert_graph_error(&answer, StatusCode::BAD_REQUEST, "BadRequest");
        assert_eq!(
            answer.body["error"]["message"],
            "Could not find a property named 'isSharedDevice' on type 'microsoft.graph.managedDevice'.",
            "{path}"
        );
    }
    // The client's own list is accepted, and parses.
    let select = crate::source::wire::DEVICE_SELECT.join(",");
    let page = get(&format!("{}/beta/deviceManagement/managedDevices?$select={select}", server.url), &token).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let text = page.body["value"].to_string();
    let devices: Vec<GraphDevice> = serde_json::from_str(&text).unwrap();
    assert_eq!(devices.len(), 20);
    server.shutdown().await;
}

#[tokio::test]
async fn hardware_information_is_blank_in_listings_and_filled_for_one_device() {
    let server = serve(20, options()).await;
    let token = token(&server).await;
    let select = "$select=id,hardwareInformation,enrolledDateTime";
    let page = get(&format!("{}/beta/deviceManagement/managedDevices?{select}", server.url), &token).await;
    let listed = &page.body["value"][3];
    assert_eq!(listed["hardwareInformation"]["serialNumber"], Value::Null);
    assert_eq!(listed["hardwareInformation"]["isSharedDevice"], false, "blank, yet a flag reads false");
    assert_eq!(listed["enrolledDateTime"], Value::Null);
    let id = listed["id"].as_str().unwrap();
    let one = get(&format!("{}/beta/deviceManagement/managedDevices/{id}?{select}", server.url), &token).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.body["id"], id);
    assert!(one.body["hardwareInformation"]["serialNumber"].as_str().is_some_and(|s| !s.is_empty()));
    let missing = get(&format!("{}/beta/deviceManagement/managedDevices/nope", server.url), &token).await;
    assert_graph_error(&missing, StatusCode::NOT_FOUND, "ResourceNotFound");
    assert_eq!(server.stats().device_reads, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn os_filter_eq_ne_and_ignored_filters() {
    let server = serve(2500, options()).await;
    let token = token(&server).await;
    let base = format!("{}/beta/deviceManagement/managedDevices?$select=id,operatingSystem", server.url);
    let os_of = |pages: &[Value]| -> BTreeSet<String> {
        pages
            .iter()
            .flat_map(|p| {
                p["value"].as_array().unwrap().iter().map(|v| v["operatingSystem"].as_str().unwrap().to_owned())
            })
            .collect()
    };

    let ios = pages(&format!("{base}&$filter=operatingSystem%20eq%20%27iOS%27"), &token).await;
    assert_eq!(ids(&ios).len(), 500);
    assert_eq!(os_of(&ios), BTreeSet::from(["iOS".to_owned()]));
    let next = ios[0]["@odata.nextLink"].as_str().map(str::to_owned);
    assert!(next.is_none(), "500 devices fit one page");

    // Case-insensitive value, `+` for spaces, `ne` behaves as `eq`.
    let android = pages(&format!("{base}&$filter=operatingSystem+eq+'ANDROID'&$top=300"), &token).await;
    assert_eq!(android.len(), 2);
    assert!(android[0]["@odata.nextLink"].as_str().unwrap().contains("$filter=operatingSystem%20eq%20'ANDROID'"));
    assert_eq!(os_of(&android), BTreeSet::from(["Android".to_owned()]));
    let ne = pages(&format!("{base}&$filter=operatingSystem%20ne%20'Android'"), &token).await;
    assert_eq!(ids(&ne), ids(&android));

    // Anything else is ignored: every device.
    for filter in [
        "userId%20eq%20'x'",
        "startswith(operatingSystem,'i')",
        "operatingSystem%20eq%20'iOS'%20or%20operatingSystem%20eq%20'Android'",
    ] {
        let all = pages(&format!("{base}&$filter={filter}"), &token).await;
        assert_eq!(ids(&all).len(), 2500, "{filter}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn overview_counts_every_device() {
    let server = serve(2500, ServerOptions { hide_devices: 10, ..options() }).await;
    let token = token(&server).await;
    let answer = get(&format!("{}/beta/deviceManagement/managedDeviceOverview", server.url), &token).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.body;
    assert_eq!(body["enrolledDeviceCount"], 2500);
    assert_eq!(body["mdmEnrolledCount"], 2250);
    assert_eq!(body["dualEnrolledDeviceCount"], 0);
    let summary = &body["deviceOperatingSystemSummary"];
    assert_eq!(summary["iosCount"], 1000, "iOS and iPadOS");
    assert_eq!(summary["androidCount"], 500);
    assert_eq!(summary["windowsCount"], 500);
    assert_eq!(summary["macOSCount"], 500);
    assert_eq!(summary["unknownCount"], 0);
    assert_eq!(summary["linuxCount"], 0);
    assert_eq!(summary["chromeOSCount"], 0);
    assert_eq!(summary["windowsMobileCount"], 0);
    server.shutdown().await;
}
