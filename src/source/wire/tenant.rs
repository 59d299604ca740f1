//! The two tenant-wide objects read once per audit, as Graph returns them (with `$select`: never the
//! push certificate's body, never managed Google Play's enrollment tokens), the snapshot's `tenant`
//! section that keeps them, and how they become the inventory's [`TenantFacts`].
//!
//! In the snapshot each key holds the object as read, `null` when Graph answered 404 (none
//! configured), and is absent when the object was not read (no permission, an error, an older
//! snapshot): [`TenantSection`] keeps that three-way difference, which plain `Option` would lose.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};

use super::lenient_owned;
use crate::inventory::build::parse_graph_time;
use crate::inventory::tenant::{ApplePushCertificate, ManagedGooglePlay, TenantCheck, TenantFacts};

/// `$select` of `v1.0/deviceManagement/applePushNotificationCertificate` (never `certificate`).
pub const APPLE_PUSH_SELECT: &[&str] =
    &["expirationDateTime", "appleIdentifier", "topicIdentifier", "lastModifiedDateTime"];
/// `$select` of `beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings` (never
/// `companyCodes`: they hold enrollment tokens).
pub const MANAGED_GOOGLE_PLAY_SELECT: &[&str] =
    &["bindStatus", "lastAppSyncDateTime", "lastAppSyncStatus", "ownerUserPrincipalName"];

/// The application permission that reads the Apple MDM push certificate.
pub const APPLE_PUSH_PERMISSION: &str = "DeviceManagementServiceConfig.Read.All";
/// The application permission that reads the managed Google Play settings.
pub const MANAGED_GOOGLE_PLAY_PERMISSION: &str = "DeviceManagementConfiguration.Read.All";

/// `applePushNotificationCertificate`, the selected properties.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphApplePushCertificate {
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub expiration_date_time: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub apple_identifier: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub topic_identifier: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub last_modified_date_time: Option<Cow<'static, str>>,
}

/// `androidManagedStoreAccountEnterpriseSettings`, the selected properties.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphManagedGooglePlay {
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub bind_status: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub last_app_sync_date_time: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub last_app_sync_status: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub owner_user_principal_name: Option<Cow<'static, str>>,
}

impl GraphApplePushCertificate {
    /// Reads Graph's answer: the bare object (live answers) or `{"value": {...}}` (the documentation's
    /// example). Err says why the answer is not this object.
    pub fn from_answer(body: &[u8]) -> Result<Self, String> {
        from_answer(body, APPLE_PUSH_SELECT)
    }

    pub fn to_facts(&self) -> ApplePushCertificate {
        ApplePushCertificate {
            expires: parse_graph_time(self.expiration_date_time.as_deref()),
            apple_identifier: text(&self.apple_identifier),
            topic_identifier: text(&self.topic_identifier),
            last_modified: parse_graph_time(self.last_modified_date_time.as_deref()),
        }
    }
}

impl GraphManagedGooglePlay {
    /// Reads Graph's answer, bare or wrapped in `value` (see [`GraphApplePushCertificate::from_answer`]).
    pub fn from_answer(body: &[u8]) -> Result<Self, String> {
        from_answer(body, MANAGED_GOOGLE_PLAY_SELECT)
    }

    pub fn to_facts(&self) -> ManagedGooglePlay {
        ManagedGooglePlay {
            bind_status: text(&self.bind_status),
            last_app_sync: parse_graph_time(self.last_app_sync_date_time.as_deref()),
            last_app_sync_status: text(&self.last_app_sync_status),
            owner_user_principal_name: text(&self.owner_user_principal_name),
        }
    }
}

fn text(value: &Option<Cow<'static, str>>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// One object of a Graph GET: the body itself, or its `value` when that is an object. An answer that is
/// not JSON, not an object, or has none of the `selected` properties is not the object asked for.
fn from_answer<T: serde::de::DeserializeOwned>(body: &[u8], selected: &[&str]) -> Result<T, String> {
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let object = match json {
        serde_json::Value::Object(mut object) => match object.remove("value") {
            Some(serde_json::Value::Object(inner)) => inner,
            Some(other) => return Err(format!("its `value` is {}, not an object", kind(&other))),
            None => object,
        },
        other => return Err(format!("the answer is {}, not an object", kind(&other))),
    };
    if !selected.iter().any(|name| object.contains_key(*name)) {
        return Err(format!("the object has none of the properties asked for ({})", selected.join(", ")));
    }
    serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| format!("the object cannot be read ({e})"))
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The snapshot's `tenant` section. Each field: `None` = not read (key absent), `Some(None)` = Graph
/// answered 404 (`null`), `Some(Some(object))` = read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSection {
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub apple_push_notification_certificate: Option<Option<GraphApplePushCertificate>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub android_managed_store_account_enterprise_settings: Option<Option<GraphManagedGooglePlay>>,
}

/// A key that is present: `null` is `Some(None)`, an object `Some(Some(..))`. A value of another JSON
/// type is no object that was read, and reads as not read (`None`), never as an error.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => Some(None),
        object @ serde_json::Value::Object(_) => serde_json::from_value(object).ok().map(Some),
        _ => None,
    })
}

impl TenantSection {
    /// The inventory's tenant facts from a snapshot's section: a key that is absent was not read when
    /// the snapshot was fetched, and the fact names the permission that reads it.
    pub fn to_facts(&self) -> TenantFacts {
        fn check<W, T>(
            entry: &Option<Option<W>>,
            object: &str,
            permission: &'static str,
            facts: impl Fn(&W) -> T,
        ) -> TenantCheck<T> {
            match entry {
                Some(Some(read)) => TenantCheck::Read(facts(read)),
                Some(None) => TenantCheck::NotConfigured,
                None => TenantCheck::NotRead {
                    why: format!("the snapshot holds no {object} (it was not read when the snapshot was fetched)"),
                    permission: Some(permission),
                },
            }
        }
        TenantFacts {
            apple_push: check(
                &self.apple_push_notification_certificate,
                "applePushNotificationCertificate",
                APPLE_PUSH_PERMISSION,
                GraphApplePushCertificate::to_facts,
            ),
            managed_google_play: check(
                &self.android_managed_store_account_enterprise_settings,
                "androidManagedStoreAccountEnterpriseSettings",
                MANAGED_GOOGLE_PLAY_PERMISSION,
                GraphManagedGooglePlay::to_facts,
            ),
        }
    }

    /// Whether nothing was read (both keys absent): the snapshot then leaves out the section.
    pub fn is_empty(&self) -> bool {
        self.apple_push_notification_certificate.is_none()
            && self.android_managed_store_account_enterprise_settings.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn microsoft_examples_parse_wrapped_and_bare() {
        let wrapped =
            include_bytes!("../../../tests/fixtures/graph-docs/applePushNotificationCertificate-get-v1.0.example.json");
        let certificate = GraphApplePushCertificate::from_answer(wrapped).unwrap();
        let facts = certificate.to_facts();
        let expires = chrono::DateTime::parse_from_rfc3339("2017-01-01T07:57:57.2481234Z").unwrap();
        assert_eq!(facts.expires, Some(expires.with_timezone(&Utc)));
        assert_eq!(facts.apple_identifier.as_deref(), Some("Apple Identifier value"));
        let json = serde_json::to_string(&certificate).unwrap();
        assert!(!json.contains("Certificate value") && !json.contains("certificate\""), "{json}");

        let bare = serde_json::json!({"expirationDateTime": "2027-03-01T00:00:00Z", "@odata.context": "x"});
        let facts = GraphApplePushCertificate::from_answer(bare.to_string().as_bytes()).unwrap().to_facts();
        assert_eq!(facts.expires, Some(Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap()));

        let wrapped = include_bytes!(
            "../../../tests/fixtures/graph-docs/androidManagedStoreAccountEnterpriseSettings-get-beta.example.json"
        );
        let settings = GraphManagedGooglePlay::from_answer(wrapped).unwrap();
        assert_eq!(settings.to_facts().bind_status.as_deref(), Some("bound"));
        assert_eq!(settings.to_facts().last_app_sync_status.as_deref(), Some("credentialsNotValid"));
        let json = serde_json::to_string(&settings).unwrap();
        assert!(!json.contains("companyCodes") && !json.contains("Enrollment Token"), "{json}");
    }

    #[test]
    fn answers_of_another_shape_are_refused_with_a_reason() {
        let refused = |body: &str| GraphApplePushCertificate::from_answer(body.as_bytes()).unwrap_err();
        assert!(refused("<html>").contains("not JSON"));
        assert!(refused("[1, 2]").contains("an array, not an object"));
        assert!(refused(r#"{"value": []}"#).contains("`value` is an array"));
        assert!(refused(r#"{"@odata.context": "x", "id": "1"}"#).contains("none of the properties"));
        assert!(GraphManagedGooglePlay::from_answer(br#"{"value": {"bindStatus": 3}}"#).is_ok(), "odd types are text");
    }

    #[test]
    fn the_section_keeps_read_not_configured_and_not_read_apart() {
        let text = r#"{"applePushNotificationCertificate": null,
                       "androidManagedStoreAccountEnterpriseSettings": {"bindStatus": "notBound"}}"#;
        let section: TenantSection = serde_json::from_str(text).unwrap();
        assert_eq!(section.apple_push_notification_certificate, Some(None));
        let facts = section.to_facts();
        assert_eq!(facts.apple_push, TenantCheck::NotConfigured);
        assert!(
            matches!(&facts.managed_google_play, TenantCheck::Read(p) if p.bind_status.as_deref() == Some("notBound"))
        );
        let back = serde_json::to_value(&section).unwrap();
        assert_eq!(
            back,
            serde_json::json!({
                "applePushNotificationCertificate": null,
                "androidManagedStoreAccountEnterpriseSettings": {"bindStatus": "notBound"}
            })
        );

        let section: TenantSection = serde_json::from_str(r#"{"applePushNotificationCertificate": "odd"}"#).unwrap();
        assert!(section.is_empty(), "a value that is no object was not read");
        let facts = section.to_facts();
        for (check, permission) in [
            (
                matches!(facts.apple_push, TenantCheck::NotRead { permission: Some(p), .. } if p == APPLE_PUSH_PERMISSION),
                "apple",
            ),
            (
                matches!(facts.managed_google_play, TenantCheck::NotRead { permission: Some(p), .. } if p == MANAGED_GOOGLE_PLAY_PERMISSION),
                "google",
            ),
        ] {
            assert!(check, "{permission}");
        }
        assert_eq!(serde_json::to_string(&TenantSection::default()).unwrap(), "{}");
    }
}
