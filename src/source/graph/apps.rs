//! App evidence through the tenant's detected apps (`--apps-via detected-apps`, the default): a handful
//! of requests whatever the tenant's size.
//!
//! `beta/deviceManagement/detectedApps` is read whole (Graph may ignore a `$filter` on `displayName`, so
//! none is sent and every name is matched here, trimmed and case-insensitively, against the app catalog).
//! For each matching app, `detectedApps/{id}/managedDevices?$select=id` gives the devices that have it;
//! those listings run in parallel (the transport bounds the requests in flight). Apps keep Graph's order
//! and fields; each gets its device ids, deduplicated, in Graph's order.

use std::collections::HashSet;

use tokio::task::JoinSet;

use super::devices::task_failed;
use super::error::GraphError;
use super::http::{encode, GraphClient};
use super::paging::{read_all, Listing, Page};
use crate::error::Error;
use crate::inventory::{AppCatalog, AppEvidence, NearMiss, NearMisses};
use crate::source::progress::Phase;
use crate::source::wire::{DeviceRef, GraphDetectedApp};

/// Whether the rules look at an app of this name.
pub(crate) fn is_wanted(catalog: &AppCatalog, app: &GraphDetectedApp) -> bool {
    let name = app.display_name.as_deref().unwrap_or("");
    !name.trim().is_empty() && catalog.kind_of(&AppEvidence { name: name.into(), id: None, version: None }).is_some()
}

/// Reads the tenant's detected apps that the rules look at, each with its devices, and the near
/// misses among the others (names that look like a receiving app or Google Play services, with their
/// `deviceCount`); `phase` counts the apps whose devices were read.
pub(crate) async fn read_detected_apps(
    client: &GraphClient,
    catalog: &AppCatalog,
    phase: &Phase,
) -> Result<(Vec<GraphDetectedApp>, Vec<NearMiss>), Error> {
    let mut apps: Vec<GraphDetectedApp> = Vec::new();
    let mut seen = HashSet::new();
    let mut near_misses = NearMisses::new(catalog);
    let url = format!("{}/beta/deviceManagement/detectedApps", client.graph());
    read_all(client, &Listing::new("detectedApps", None), &url, |body| {
        let page: Page<GraphDetectedApp> = serde_json::from_slice(body)?;
        for app in page.value {
            if is_wanted(catalog, &app) {
                if seen.insert(app.id.clone()) {
                    apps.push(app);
                }
            } else if seen.insert(app.id.clone()) {
                let devices = usize::try_from(app.device_count.unwrap_or(0)).unwrap_or(0);
                near_misses.observe(app.display_name.as_deref().unwrap_or(""), app.publisher.as_deref(), devices);
            }
        }
        Ok(page.next_link)
    })
    .await?;
    let near_misses = near_misses.into_list();
    phase.total_known(apps.len() as u64);

    let mut tasks = JoinSet::new();
    for (index, app) in apps.iter().enumerate() {
        let Some(id) = app.id.as_deref().map(str::to_owned) else {
            let message = format!(
                "the app \"{}\" has no id, so its devices cannot be read",
                app.display_name.as_deref().unwrap_or("")
            );
            return Err(Error::Graph(GraphError::unusable("reading detectedApps", "GET", &url, message)));
        };
        let listing = Listing::new(
            format!("detectedApps/{id}/managedDevices"),
            app.display_name.as_deref().map(|name| format!("{name} {}", app.version.as_deref().unwrap_or(""))),
        );
        let (client, phase) = (client.clone(), phase.clone());
        tasks.spawn(async move {
            let devices = read_app_devices(&client, &listing, &id).await;
            phase.advance(1);
            devices.map(|devices| (index, devices))
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (index, devices) = joined.map_err(task_failed)??;
        if let Some(app) = apps.get_mut(index) {
            app.managed_devices = devices;
        }
    }
    Ok((apps, near_misses))
}

async fn read_app_devices(client: &GraphClient, listing: &Listing, app_id: &str) -> Result<Vec<DeviceRef>, Error> {
    let url =
        format!("{}/beta/deviceManagement/detectedApps/{}/managedDevices?$select=id", client.graph(), encode(app_id));
    let mut devices = Vec::new();
    let mut seen = HashSet::new();
    read_all(client, listing, &url, |body| {
        let page: Page<DeviceRef> = serde_json::from_slice(body)?;
        for device in page.value {
            if device.id.is_some() && seen.insert(device.id.clone()) {
                devices.push(device);
            }
        }
        Ok(page.next_link)
    })
    .await?;
    Ok(devices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::testkit;
    use serde_json::json;
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[tokio::test]
    async fn matching_apps_get_their_devices() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        let uri = server.uri();
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/detectedApps"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "value": [
                    {"id": "a1", "displayName": " company portal ", "version": "5.0.6", "platform": "ios", "deviceCount": 2},
                    {"id": "a2", "displayName": "Outlook", "version": "1", "platform": "ios"},
                    {"id": "a4", "displayName": "Google Play-Dienste", "version": "24.1", "deviceCount": 3},
                    {"id": "a5", "displayName": "Google Play-Dienste", "version": "24.2", "deviceCount": 4}
                ],
                "@odata.nextLink": format!("{uri}/beta/deviceManagement/detectedApps?$skiptoken=2")
            })))
            .with_priority(5)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/beta/deviceManagement/detectedApps"))
            .and(query_param("$skiptoken", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "value": [{"id": "a3", "displayName": "Google Play services", "version": "24.1", "platform": "androidWorkProfile"}]
            })))
            .with_priority(1)
            .mount(&server)
            .await;
        for (app, devices) in [("a1", vec!["d1", "d2"]), ("a3", vec!["d3"])] {
            Mock::given(method("GET"))
                .and(path(format!("/beta/deviceManagement/detectedApps/{app}/managedDevices")))
                .and(query_param("$select", "id"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "value": devices.iter().map(|d| json!({"id": d})).collect::<Vec<_>>()
                })))
                .mount(&server)
                .await;
        }
        let (apps, near_misses) =
            read_detected_apps(&client, &AppCatalog::default(), &Phase::unobserved()).await.unwrap();
        let summary: Vec<(String, Vec<String>)> = apps
            .iter()
            .map(|a| {
                (
                    a.id.as_deref().unwrap_or("").to_owned(),
                    a.managed_devices.iter().filter_map(|d| d.id.as_deref().map(str::to_owned)).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![("a1".to_owned(), vec!["d1".to_owned(), "d2".to_owned()]), ("a3".to_owned(), vec!["d3".to_owned()])]
        );
        assert_eq!(apps[0].platform.as_deref(), Some("ios"));
        assert_eq!(apps[0].device_count, Some(2));
        let misses: Vec<(&str, usize, &str)> =
            near_misses.iter().map(|m| (m.name.as_str(), m.devices, m.config_key)).collect();
        assert_eq!(misses, [("Google Play-Dienste", 7, "apps.google_play_services")], "both versions add up");
    }

    #[test]
    fn microsoft_detected_apps_example_parses() {
        let page: Page<GraphDetectedApp> = serde_json::from_str(include_str!(
            "../../../tests/fixtures/graph-docs/detectedApps-list-v1.0.example.json"
        ))
        .unwrap();
        assert_eq!(page.value.len(), 1);
        assert_eq!(page.value[0].display_name.as_deref(), Some("Display Name value"));
        assert_eq!(page.value[0].device_count, Some(11));
        assert!(!is_wanted(&AppCatalog::default(), &page.value[0]));
    }
}
