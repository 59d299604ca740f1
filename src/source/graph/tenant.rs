//! The tenant checks, read once per Graph read (the `tenant` phase, beside the others): the Apple MDM
//! push certificate (`v1.0/deviceManagement/applePushNotificationCertificate`) and the managed Google
//! Play settings (`beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings`), each with
//! `$select` (never the certificate body, never the enrollment tokens).
//!
//! A tenant check never fails the read: the audit is about devices, and these objects only add
//! warnings. Each answer becomes one of:
//! - read: the object, bare or wrapped in `value` (the documentation's examples wrap it);
//! - 404: not configured (`null` in the snapshot);
//! - 403: not read, naming the permission that would read it;
//! - an object of another shape, or any other error once the transport's usual retries are spent
//!   (5xx, timeouts, a refused token): not read, with a warning saying why.

use super::http::GraphClient;
use crate::inventory::tenant::{TenantCheck, TenantFacts};
use crate::source::progress::Phase;
use crate::source::wire::{
    GraphApplePushCertificate, GraphManagedGooglePlay, TenantSection, APPLE_PUSH_PERMISSION, APPLE_PUSH_SELECT,
    MANAGED_GOOGLE_PLAY_PERMISSION, MANAGED_GOOGLE_PLAY_SELECT,
};

/// What the tenant phase read: the snapshot's section, the inventory's facts (with the reasons a
/// snapshot does not keep), and the warnings of the run.
#[derive(Debug, Clone, Default)]
pub(crate) struct TenantRead {
    pub section: TenantSection,
    pub facts: TenantFacts,
    pub notes: Vec<String>,
}

/// One tenant-wide object: where it is, what it is called, and the permission that reads it.
struct Object<W> {
    name: &'static str,
    /// What the user knows it as, for warnings.
    label: &'static str,
    url: String,
    permission: &'static str,
    parse: fn(&[u8]) -> Result<W, String>,
}

pub(crate) fn apple_push_url(graph: &str) -> String {
    format!("{graph}/v1.0/deviceManagement/applePushNotificationCertificate?$select={}", APPLE_PUSH_SELECT.join(","))
}

pub(crate) fn managed_google_play_url(graph: &str) -> String {
    format!(
        "{graph}/beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings?$select={}",
        MANAGED_GOOGLE_PLAY_SELECT.join(",")
    )
}

/// Reads both tenant checks at the same time; `phase` counts the checks answered.
pub(crate) async fn read_tenant(client: &GraphClient, phase: &Phase) -> TenantRead {
    let apple = Object {
        name: "applePushNotificationCertificate",
        label: "the Apple MDM push certificate",
        url: apple_push_url(client.graph()),
        permission: APPLE_PUSH_PERMISSION,
        parse: GraphApplePushCertificate::from_answer,
    };
    let play = Object {
        name: "androidManagedStoreAccountEnterpriseSettings",
        label: "the managed Google Play connection",
        url: managed_google_play_url(client.graph()),
        permission: MANAGED_GOOGLE_PLAY_PERMISSION,
        parse: GraphManagedGooglePlay::from_answer,
    };
    let (apple_check, play_check) = tokio::join!(read_one(client, &apple, phase), read_one(client, &play, phase));
    let mut read = TenantRead::default();
    read.notes.extend(note(&apple, &apple_check));
    read.notes.extend(note(&play, &play_check));
    read.section.apple_push_notification_certificate = snapshot_entry(&apple_check);
    read.section.android_managed_store_account_enterprise_settings = snapshot_entry(&play_check);
    read.facts.apple_push = facts(apple_check, GraphApplePushCertificate::to_facts);
    read.facts.managed_google_play = facts(play_check, GraphManagedGooglePlay::to_facts);
    read
}

/// Reads one object; never fails (see the module documentation).
async fn read_one<W>(client: &GraphClient, object: &Object<W>, phase: &Phase) -> TenantCheck<W> {
    let context = format!("reading {}", object.name);
    let check = match client.get(&object.url).await {
        Ok(reply) => match (object.parse)(&reply.body) {
            Ok(read) => TenantCheck::Read(read),
            Err(why) => {
                let error = reply.unusable(&context, "GET", &object.url, why);
                TenantCheck::NotRead { why: error.to_string(), permission: None }
            }
        },
        Err(failure) if failure.graph_status() == Some(404) => TenantCheck::NotConfigured,
        Err(mut failure) => {
            let forbidden = failure.graph_status() == Some(403);
            // The permission is named on its own; the transport's generic hint would name another.
            failure.hint = failure.hint.filter(|_| !forbidden);
            let why = failure.within(&context).to_string();
            TenantCheck::NotRead { why, permission: forbidden.then_some(object.permission) }
        }
    };
    phase.advance(1);
    check
}

/// The warning of a check that was not read.
fn note<W>(object: &Object<W>, check: &TenantCheck<W>) -> Option<String> {
    let TenantCheck::NotRead { why, permission } = check else { return None };
    let grant = permission.map(|p| format!("; the permission {p} reads it")).unwrap_or_default();
    let note = format!("{} was not read: {why}{grant}", object.label);
    // The callers show it (the audit's warnings, fetch's standard error): the log only repeats it.
    tracing::info!("{note}");
    Some(note)
}

/// The snapshot's form: the object, `null` for 404, absent when not read.
fn snapshot_entry<W: Clone>(check: &TenantCheck<W>) -> Option<Option<W>> {
    match check {
        TenantCheck::Read(object) => Some(Some(object.clone())),
        TenantCheck::NotConfigured => Some(None),
        TenantCheck::NotRead { .. } => None,
    }
}

fn facts<W, T>(check: TenantCheck<W>, to_facts: impl Fn(&W) -> T) -> TenantCheck<T> {
    match check {
        TenantCheck::Read(object) => TenantCheck::Read(to_facts(&object)),
        TenantCheck::NotConfigured => TenantCheck::NotConfigured,
        TenantCheck::NotRead { why, permission } => TenantCheck::NotRead { why, permission },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::testkit;
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const APPLE: &str = "/v1.0/deviceManagement/applePushNotificationCertificate";
    const PLAY: &str = "/beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings";

    async fn answer(server: &MockServer, at: &str, response: ResponseTemplate) {
        Mock::given(method("GET")).and(path(at)).respond_with(response).mount(server).await;
    }

    fn fixture(name: &str) -> serde_json::Value {
        let path = format!("{}/tests/fixtures/graph-docs/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn microsoft_examples_are_read_with_select_and_without_secrets() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        let apple = fixture("applePushNotificationCertificate-get-v1.0.example.json");
        answer(&server, APPLE, ResponseTemplate::new(200).set_body_json(apple)).await;
        let play = fixture("androidManagedStoreAccountEnterpriseSettings-get-beta.example.json");
        answer(&server, PLAY, ResponseTemplate::new(200).set_body_json(play)).await;
        let read = read_tenant(&client, &Phase::unobserved()).await;
        assert!(read.notes.is_empty(), "{:?}", read.notes);
        assert!(matches!(&read.facts.apple_push, TenantCheck::Read(c) if c.expires.is_some()));
        assert!(
            matches!(&read.facts.managed_google_play, TenantCheck::Read(p) if p.bind_status.as_deref() == Some("bound"))
        );
        let section = serde_json::to_string(&read.section).unwrap();
        for secret in ["Certificate value", "Enrollment Token value", "companyCodes", "Qr Code"] {
            assert!(!section.contains(secret), "{secret} kept: {section}");
        }
        let requests = server.received_requests().await.unwrap();
        let select = |at: &str| {
            let request = requests.iter().find(|r| r.url.path() == at).expect("requested");
            request.url.query_pairs().find(|(k, _)| k == "$select").map(|(_, v)| v.into_owned())
        };
        assert_eq!(
            select(APPLE).as_deref(),
            Some("expirationDateTime,appleIdentifier,topicIdentifier,lastModifiedDateTime")
        );
        assert_eq!(
            select(PLAY).as_deref(),
            Some("bindStatus,lastAppSyncDateTime,lastAppSyncStatus,ownerUserPrincipalName")
        );
    }

    #[tokio::test]
    async fn not_found_is_not_configured_and_forbidden_names_the_permission() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        answer(&server, APPLE, testkit::graph_error(404, "ResourceNotFound", "Resource not found.")).await;
        answer(&server, PLAY, testkit::graph_error(403, "Forbidden", "Application is not authorized.")).await;
        let read = read_tenant(&client, &Phase::unobserved()).await;
        assert_eq!(read.facts.apple_push, TenantCheck::NotConfigured);
        assert_eq!(read.section.apple_push_notification_certificate, Some(None), "null in the snapshot");
        let TenantCheck::NotRead { why, permission } = &read.facts.managed_google_play else { panic!() };
        assert_eq!(*permission, Some(MANAGED_GOOGLE_PLAY_PERMISSION));
        assert!(why.starts_with("reading androidManagedStoreAccountEnterpriseSettings: HTTP 403 Forbidden"), "{why}");
        assert!(!why.contains("DeviceManagementManagedDevices"), "no generic hint: {why}");
        assert_eq!(read.section.android_managed_store_account_enterprise_settings, None, "absent in the snapshot");
        assert_eq!(read.notes.len(), 1);
        assert!(read.notes[0].ends_with("; the permission DeviceManagementConfiguration.Read.All reads it"));
    }

    #[tokio::test]
    async fn an_odd_answer_or_a_lasting_error_is_not_read_after_the_usual_retries() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        answer(&server, APPLE, ResponseTemplate::new(200).set_body_json(json!({"value": []}))).await;
        answer(&server, PLAY, testkit::graph_error(503, "ServiceUnavailable", "busy")).await;
        let read = read_tenant(&client, &Phase::unobserved()).await;
        let TenantCheck::NotRead { why, permission: None } = &read.facts.apple_push else { panic!() };
        assert!(why.contains("`value` is an array, not an object"), "{why}");
        let TenantCheck::NotRead { why, permission: None } = &read.facts.managed_google_play else { panic!() };
        assert!(why.contains("HTTP 503") && why.contains("after 5 attempts"), "{why}");
        assert!(read.section.is_empty());
        assert_eq!(read.notes.len(), 2);
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.iter().filter(|r| r.url.path() == PLAY).count(), 5, "retried by the usual policy");
    }
}
