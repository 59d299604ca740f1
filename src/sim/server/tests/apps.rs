//! The detected-app endpoints: the apps, the devices of one app, and the apps of one device.

use super::*;

#[tokio::test]
async fn detected_apps_and_their_devices() {
    let server = serve(2500, options()).await;
    let token = token(&server).await;
    let apps =
        pages(&format!("{}/beta/deviceManagement/detectedApps?$filter=displayName%20eq%20'x'", server.url), &token)
            .await;
    assert_eq!(apps.len(), 1);
    let values = apps[0]["value"].as_array().unwrap();
    assert_eq!(ids(&apps), ["app-cp", "app-none", "app-small"], "by id; $filter ignored");
    let small = &values[2];
    assert_eq!(small["displayName"], "Intune \"Agent\"");
    assert_eq!(small["deviceCount"], 3);
    for field in ["version", "sizeInByte", "publisher", "platform"] {
        assert!(small.as_object().unwrap().contains_key(field), "{field}");
    }

    let cp =
        pages(&format!("{}/beta/deviceManagement/detectedApps/app-cp/managedDevices?$select=id", server.url), &token)
            .await;
    assert_eq!(cp.len(), 2);
    let cp_ids = ids(&cp);
    assert_eq!(cp_ids.len(), 1250);
    let expected: BTreeSet<String> =
        (0..2500).filter(|i| i % 2 == 0).map(|i| format!("dev-{:05}", (i * 7) % 2500)).collect();
    assert_eq!(cp_ids.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(cp_ids.windows(2).all(|w| w[0] < w[1]), "by id");
    assert_eq!(cp[0]["value"][0].as_object().unwrap().len(), 1, "$select=id");
    assert!(cp[0]["@odata.nextLink"].as_str().unwrap().contains("/detectedApps/app-cp/managedDevices?$select=id&"));

    let none = get(&format!("{}/beta/deviceManagement/detectedApps/app-none/managedDevices", server.url), &token).await;
    assert_eq!(none.body["value"], json!([]));
    let unknown = get(&format!("{}/beta/deviceManagement/detectedApps/nope/managedDevices", server.url), &token).await;
    assert_graph_error(&unknown, StatusCode::NOT_FOUND, "ResourceNotFound");
    let stats = server.stats();
    assert_eq!((stats.app_pages, stats.app_device_pages), (1, 4));
    server.shutdown().await;
}

#[tokio::test]
async fn apps_of_one_device() {
    let server = serve(2500, options()).await;
    let token = token(&server).await;
    let url = |id: &str| format!("{}/beta/deviceManagement/managedDevices/{id}/detectedApps", server.url);
    // Device index 0 has id dev-00000 and both app-cp and app-small; index 1 (dev-00007) only app-small.
    let zero = get(&url("dev-00000"), &token).await;
    assert_eq!(zero.status, StatusCode::OK);
    let names: Vec<&str> = zero.body["value"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(names, ["app-cp", "app-small"]);
    assert!(zero.body.get("@odata.nextLink").is_none());
    let one = get(&url("dev-00007"), &token).await;
    assert_eq!(one.body["value"].as_array().unwrap().len(), 1);
    let three = get(&url("dev-00021"), &token).await;
    assert_eq!(three.body["value"], json!([]));
    assert_graph_error(&get(&url("nope"), &token).await, StatusCode::NOT_FOUND, "ResourceNotFound");
    assert_eq!(server.stats().device_app_reads, 4);
    server.shutdown().await;
}
