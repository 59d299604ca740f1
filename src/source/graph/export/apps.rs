//! App evidence through Intune's `AppInvRawData` report (`--apps-via export`): one row per app per
//! device, read by the admin-center discovered-apps reader.
//!
//! The report filters on `ApplicationName` with `eq` (Microsoft documents no other operator for it),
//! so each distinct name of the catalogue gets a job of its own, `(ApplicationName eq '<name>')`, all
//! at once (they share the export jobs' budget). Graph may ignore a filter, and its `eq` may compare
//! otherwise than the catalogue (trimmed, any case): every row is matched against the catalogue again
//! while it streams, and the others are dropped. The rows become detected apps (name and version) with
//! the ids of their devices, as a snapshot keeps them; the report has no detected-app id.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use tokio::task::JoinSet;

use super::devices::export_error;
use super::job::{self, job_url, Finished, Report};
use crate::error::Error;
use crate::inventory::{AppCatalog, SourceInfo};
use crate::source::graph::devices::task_failed;
use crate::source::graph::http::GraphClient;
use crate::source::graph::options::ExportJobSettings;
use crate::source::intune_export::apps::read_app_rows;
use crate::source::progress::Phase;
use crate::source::wire::{DeviceRef, GraphDetectedApp};

/// The columns asked of `AppInvRawData`.
pub const APPS_SELECT: &[&str] = &["ApplicationName", "ApplicationVersion", "ApplicationShortVersion", "DeviceId"];

/// An app as the rows name it: name and version.
type AppKey = (String, Option<String>);

/// The catalogue's app names, each once (as written: Graph's `eq` may tell case apart), in order.
pub(super) fn catalog_names(catalog: &AppCatalog) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for identity in [&catalog.company_portal, &catalog.intune_app, &catalog.google_play_services] {
        for name in &identity.names {
            let name = name.trim();
            if !name.is_empty() && !names.iter().any(|known| known == name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// The filter of one app name, as an OData string literal (a quote doubled).
fn filter_for(name: &str) -> String {
    format!("(ApplicationName eq '{}')", name.replace('\'', "''"))
}

/// Reads the apps of the catalogue, each with its devices; `phase` counts the app names whose job is
/// read and shows the jobs' states.
pub(in crate::source::graph) async fn read_apps(
    client: &GraphClient,
    catalog: &AppCatalog,
    settings: &ExportJobSettings,
    phase: &Phase,
) -> Result<Vec<GraphDetectedApp>, Error> {
    let names = catalog_names(catalog);
    phase.total_known(names.len() as u64);
    let mut tasks = JoinSet::new();
    for name in names {
        let report = Report {
            name: "AppInvRawData",
            select: APPS_SELECT,
            filter: Some(filter_for(&name)),
            label: format!("AppInvRawData ({name})"),
        };
        let (client, catalog, settings, phase) = (client.clone(), catalog.clone(), settings.clone(), phase.clone());
        tasks.spawn(async move {
            let finished = job::run(&client, &report, &settings, &phase).await?;
            let context = format!("reading the {} export of job {}", report.label, finished.job_id);
            let url = job_url(&client, &finished.job_id);
            let rows = tokio::task::spawn_blocking(move || rows_of(&finished, &catalog))
                .await
                .map_err(task_failed)?
                .map_err(|error| export_error(error, &context, &url))?;
            phase.advance(1);
            Ok::<_, Error>(rows)
        });
    }
    let mut apps: BTreeMap<AppKey, BTreeSet<String>> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        for (key, devices) in joined.map_err(task_failed)?? {
            apps.entry(key).or_default().extend(devices);
        }
    }
    Ok(apps
        .into_iter()
        .map(|((name, version), devices)| GraphDetectedApp {
            display_name: Some(name.into()),
            version: version.map(Into::into),
            device_count: Some(devices.len() as i64),
            managed_devices: devices.into_iter().map(|id| DeviceRef { id: Some(id.into()) }).collect(),
            ..Default::default()
        })
        .collect())
}

/// The catalogue's apps in one job's CSV, each with the ids of its devices.
fn rows_of(finished: &Finished, catalog: &AppCatalog) -> Result<BTreeMap<AppKey, BTreeSet<String>>, Error> {
    let path = PathBuf::from(format!("job {}", finished.job_id));
    let mut source = SourceInfo::default();
    let mut apps: BTreeMap<AppKey, BTreeSet<String>> = BTreeMap::new();
    read_app_rows(finished.csv.open()?, &path, catalog, &mut source, |row| {
        let key = (row.name.trim().to_owned(), row.version.map(str::to_owned));
        apps.entry(key).or_default().insert(row.device_id.trim().to_owned());
    })?;
    for warning in source.warnings {
        tracing::warn!("{warning}");
    }
    Ok(apps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_catalogue_name_once_and_quotes_doubled() {
        let names = catalog_names(&AppCatalog::default());
        assert_eq!(names.first().map(String::as_str), Some("Company Portal"));
        assert!(
            names.contains(&"Google Play services".to_owned()) && names.contains(&"Google Play Services".to_owned())
        );
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert_eq!(filter_for("Portail d'entreprise"), "(ApplicationName eq 'Portail d''entreprise')");
    }

    #[test]
    fn selected_columns_are_documented_and_the_filter_column_filterable() {
        use crate::source::wire::{APP_INV_RAW_DATA_COLUMNS, APP_INV_RAW_DATA_FILTERS};
        assert!(APPS_SELECT.iter().all(|c| APP_INV_RAW_DATA_COLUMNS.contains(c)), "{APPS_SELECT:?}");
        assert!(APP_INV_RAW_DATA_FILTERS.contains(&"ApplicationName"));
        assert!(filter_for("x").starts_with("(ApplicationName eq "));
    }
}
