//! The tenant-wide objects: `deviceManagement/applePushNotificationCertificate` (v1.0 and beta) and
//! `beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings`, in the state the server's
//! options give them ([`ApplePush`], [`ManagedGooglePlay`]): present (bare objects, as live Graph
//! answers), missing (404) or forbidden (403, and the token lacks the permission).
//!
//! The objects carry what a client must not read (the certificate body, the enrollment tokens in
//! `companyCodes`), so a test can check that `$select` keeps them out. `$select` is checked like
//! Graph: an unknown property is a 400. Dates are relative to the tenant's clock, so a demo run with
//! `--as-of` gets the same outcome on any day.

use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use crate::sim::server::wire::{graph_error, Ctx, Out, Query};
use crate::sim::server::Shared;
use crate::source::wire::{
    GraphApplePushCertificate, GraphManagedGooglePlay, TenantSection, APPLE_PUSH_PERMISSION,
    MANAGED_GOOGLE_PLAY_PERMISSION,
};

/// The simulated tenant's Apple MDM push certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApplePush {
    /// Expires 200 days after the tenant's clock.
    #[default]
    Valid,
    /// Expired 10 days before the tenant's clock.
    Expired,
    /// None configured: 404.
    Missing,
    /// 403: the app lacks `DeviceManagementServiceConfig.Read.All`.
    Forbidden,
}

/// The simulated tenant's managed Google Play binding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ManagedGooglePlay {
    Bound,
    #[default]
    BoundAndValidated,
    NotBound,
    Unbinding,
    /// Never set up: 404.
    Missing,
    /// 403: the app lacks `DeviceManagementConfiguration.Read.All`.
    Forbidden,
}

/// Which tenant-wide object a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::sim::server) enum Setting {
    ApplePush,
    ManagedGooglePlay,
}

/// The objects, built once at start (`None`: missing or forbidden).
#[derive(Debug, Default)]
pub(in crate::sim::server) struct TenantSettings {
    apple_push: Option<Map<String, Value>>,
    managed_google_play: Option<Map<String, Value>>,
}

fn object(value: Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

impl TenantSettings {
    pub fn build(apple: ApplePush, play: ManagedGooglePlay, clock: DateTime<Utc>, tenant_id: &str) -> Self {
        let date = |days: i64| (clock + TimeDelta::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let expires = match apple {
            ApplePush::Valid => Some(200),
            ApplePush::Expired => Some(-10),
            ApplePush::Missing | ApplePush::Forbidden => None,
        };
        let apple_push = expires.and_then(|days| {
            object(json!({
                "@odata.type": "#microsoft.graph.applePushNotificationCertificate",
                "id": tenant_id,
                "appleIdentifier": "mdm-push@contoso.example",
                "topicIdentifier": format!("com.apple.mgmt.External.{tenant_id}"),
                "lastModifiedDateTime": date(days - 365),
                "expirationDateTime": date(days),
                "certificateSerialNumber": "5A1D0C0FFEE",
                "certificate": "MIIsimulatedCertificateBodyNeverRead==",
            }))
        });
        let bind_status = match play {
            ManagedGooglePlay::Bound => Some("bound"),
            ManagedGooglePlay::BoundAndValidated => Some("boundAndValidated"),
            ManagedGooglePlay::NotBound => Some("notBound"),
            ManagedGooglePlay::Unbinding => Some("unbinding"),
            ManagedGooglePlay::Missing | ManagedGooglePlay::Forbidden => None,
        };
        let managed_google_play = bind_status.and_then(|status| {
            object(json!({
                "@odata.type": "#microsoft.graph.androidManagedStoreAccountEnterpriseSettings",
                "id": tenant_id,
                "bindStatus": status,
                "lastAppSyncDateTime": date(-1),
                "lastAppSyncStatus": "success",
                "ownerUserPrincipalName": "android-admin@contoso.example",
                "ownerOrganizationName": "Contoso",
                "lastModifiedDateTime": date(-90),
                "enrollmentTarget": "all",
                "targetGroupIds": [],
                "deviceOwnerManagementEnabled": true,
                "companyCodes": [{
                    "enrollmentToken": "SIMULATED-ENROLLMENT-TOKEN-NEVER-READ",
                    "qrCodeContent": "simulated",
                }],
                "androidDeviceOwnerFullyManagedEnrollmentEnabled": true,
            }))
        });
        TenantSettings { apple_push, managed_google_play }
    }
}

/// The snapshot's `tenant` section of a complete read of these objects: the selected properties of
/// each, `null` when missing (404), absent when forbidden (403, not read).
pub fn tenant_section(
    apple: ApplePush,
    play: ManagedGooglePlay,
    clock: DateTime<Utc>,
    tenant_id: &str,
) -> TenantSection {
    fn entry<W: serde::de::DeserializeOwned>(object: Option<Map<String, Value>>, forbidden: bool) -> Option<Option<W>> {
        // The wire types keep only the selected properties (never the certificate, never the tokens).
        (!forbidden).then(|| object.and_then(|object| serde_json::from_value(Value::Object(object)).ok()))
    }
    let settings = TenantSettings::build(apple, play, clock, tenant_id);
    TenantSection {
        apple_push_notification_certificate: entry::<GraphApplePushCertificate>(
            settings.apple_push,
            apple == ApplePush::Forbidden,
        ),
        android_managed_store_account_enterprise_settings: entry::<GraphManagedGooglePlay>(
            settings.managed_google_play,
            play == ManagedGooglePlay::Forbidden,
        ),
    }
}

impl Shared {
    /// `GET .../applePushNotificationCertificate` or `.../androidManagedStoreAccountEnterpriseSettings`.
    pub(in crate::sim::server) fn tenant_setting(
        &self,
        ctx: &Ctx,
        setting: Setting,
        query: &Query,
    ) -> Result<Out, Out> {
        let (forbidden, object, odata_type, permission) = match setting {
            Setting::ApplePush => (
                self.options.apple_push == ApplePush::Forbidden,
                &self.tenant_settings.apple_push,
                "applePushNotificationCertificate",
                APPLE_PUSH_PERMISSION,
            ),
            Setting::ManagedGooglePlay => (
                self.options.managed_google_play == ManagedGooglePlay::Forbidden,
                &self.tenant_settings.managed_google_play,
                "androidManagedStoreAccountEnterpriseSettings",
                MANAGED_GOOGLE_PLAY_PERMISSION,
            ),
        };
        if forbidden {
            let message = format!(
                "Application is not authorized to perform this operation. Application must have one of the \
                 following scopes: {permission}, {}",
                permission.replace(".Read.", ".ReadWrite.")
            );
            return Err(graph_error(ctx, StatusCode::FORBIDDEN, "Forbidden", &message));
        }
        let Some(object) = object else {
            return Err(graph_error(ctx, StatusCode::NOT_FOUND, "ResourceNotFound", "Resource not found."));
        };
        let mut answer = Map::new();
        let context = format!("{}/$metadata#deviceManagement/{odata_type}", self.index.base);
        answer.insert("@odata.context".to_owned(), context.into());
        match query.select.as_deref().filter(|s| !s.trim().is_empty()) {
            None => answer.extend(object.iter().map(|(k, v)| (k.clone(), v.clone()))),
            Some(select) => {
                for name in select.split(',').map(str::trim) {
                    let Some((key, value)) = object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) else {
                        let message =
                            format!("Could not find a property named '{name}' on type 'microsoft.graph.{odata_type}'.");
                        return Err(graph_error(ctx, StatusCode::BAD_REQUEST, "BadRequest", &message));
                    };
                    answer.insert(key.clone(), value.clone());
                }
            }
        }
        Ok(Out::json(Value::Object(answer).to_string().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_follow_the_states_and_the_clock() {
        let clock = DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z").unwrap().with_timezone(&Utc);
        let settings = TenantSettings::build(ApplePush::Expired, ManagedGooglePlay::Unbinding, clock, "t");
        let apple = settings.apple_push.unwrap();
        assert_eq!(apple["expirationDateTime"], "2026-11-16T00:00:00Z");
        assert_eq!(settings.managed_google_play.unwrap()["bindStatus"], "unbinding");
        let settings = TenantSettings::build(ApplePush::Valid, ManagedGooglePlay::BoundAndValidated, clock, "t");
        assert_eq!(settings.apple_push.unwrap()["expirationDateTime"], "2027-06-14T00:00:00Z");
        let settings = TenantSettings::build(ApplePush::Missing, ManagedGooglePlay::Forbidden, clock, "t");
        assert!(settings.apple_push.is_none() && settings.managed_google_play.is_none());
    }

    #[test]
    fn the_snapshot_section_is_what_a_complete_read_gives() {
        let clock = DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z").unwrap().with_timezone(&Utc);
        let section = tenant_section(ApplePush::Valid, ManagedGooglePlay::NotBound, clock, "t");
        let json = serde_json::to_value(&section).unwrap();
        assert_eq!(json["applePushNotificationCertificate"]["expirationDateTime"], "2027-06-14T00:00:00Z");
        assert!(json["applePushNotificationCertificate"].get("certificate").is_none());
        assert_eq!(json["androidManagedStoreAccountEnterpriseSettings"]["bindStatus"], "notBound");
        assert!(!json.to_string().contains("NEVER-READ"));
        let section = tenant_section(ApplePush::Missing, ManagedGooglePlay::Forbidden, clock, "t");
        assert_eq!(
            serde_json::to_value(&section).unwrap(),
            serde_json::json!({"applePushNotificationCertificate": null})
        );
    }
}
