//! The tenant checks and the near-miss app names as the summaries show them: `summary.json`'s
//! `tenant` and `near_misses`, and the terminal's "tenant" and "near misses" blocks. For each check:
//! whether it was read, its facts (the certificate's expiry and days left, the bind status), or why it
//! was not read and the permission that would read it.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::inventory::tenant::{ApplePushCertificate, ManagedGooglePlay, TenantCheck, TenantFacts};
use crate::inventory::NearMiss;
use crate::rules::RuleId;

fn time(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |at| Value::from(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
}

/// Whole days from `as_of` to `expires` (negative once expired).
fn days_left(expires: DateTime<Utc>, as_of: DateTime<Utc>) -> i64 {
    expires.signed_duration_since(as_of).num_days()
}

/// One check as JSON: `rule`, `read`, then its facts (`configured` and the object's fields), or why it
/// was not read and the permission that would read it.
fn check_json<T>(rule: RuleId, check: &TenantCheck<T>, facts: impl FnOnce(&T) -> Value) -> Value {
    let mut value = match check {
        TenantCheck::Read(read) => {
            let mut value = facts(read);
            value["read"] = true.into();
            value["configured"] = true.into();
            value
        }
        TenantCheck::NotConfigured => json!({ "read": true, "configured": false }),
        TenantCheck::NotRead { why, permission } => json!({ "read": false, "why": why, "permission": permission }),
    };
    value["rule"] = rule.as_str().into();
    value
}

/// `summary.json`'s `tenant`.
pub fn tenant_json(tenant: &TenantFacts, as_of: DateTime<Utc>) -> Value {
    let apple = check_json(RuleId::AppleMdmPush, &tenant.apple_push, |certificate: &ApplePushCertificate| {
        json!({
            "expires": time(certificate.expires),
            "days_left": certificate.expires.map(|expires| days_left(expires, as_of)),
            "apple_identifier": certificate.apple_identifier,
            "topic_identifier": certificate.topic_identifier,
            "last_modified": time(certificate.last_modified),
        })
    });
    let google = check_json(RuleId::ManagedGooglePlay, &tenant.managed_google_play, |binding: &ManagedGooglePlay| {
        json!({
            "bind_status": binding.bind_status,
            "last_app_sync": time(binding.last_app_sync),
            "last_app_sync_status": binding.last_app_sync_status,
            "owner_user_principal_name": binding.owner_user_principal_name,
        })
    });
    json!({ "apple_mdm_push": apple, "managed_google_play": google })
}

fn not_read(why: &str, permission: Option<&str>) -> String {
    match permission {
        Some(permission) => format!("not read: {why} ({permission} would read it)"),
        None => format!("not read: {why}"),
    }
}

/// The terminal's "tenant" block, one line per check.
pub fn tenant_lines(tenant: &TenantFacts, as_of: DateTime<Utc>) -> Vec<String> {
    let apple = match &tenant.apple_push {
        TenantCheck::Read(certificate) => match certificate.expires {
            Some(expires) if expires > as_of => {
                format!("expires {} ({} days left)", expires.format("%Y-%m-%d"), days_left(expires, as_of))
            }
            Some(expires) => format!("EXPIRED on {}", expires.format("%Y-%m-%d")),
            None => "read, without an expiry date".to_owned(),
        },
        TenantCheck::NotConfigured => "NOT CONFIGURED".to_owned(),
        TenantCheck::NotRead { why, permission } => not_read(why, *permission),
    };
    let google = match &tenant.managed_google_play {
        TenantCheck::Read(binding) => match &binding.bind_status {
            Some(status) => format!("bind status {status}"),
            None => "read, without a bind status".to_owned(),
        },
        TenantCheck::NotConfigured => "NOT CONFIGURED".to_owned(),
        TenantCheck::NotRead { why, permission } => not_read(why, *permission),
    };
    vec![
        format!("Apple MDM push certificate ({}): {apple}", RuleId::AppleMdmPush),
        format!("managed Google Play ({}): {google}", RuleId::ManagedGooglePlay),
    ]
}

/// The terminal's "near misses" block, one line per name.
pub fn near_miss_lines(near_misses: &[NearMiss]) -> Vec<String> {
    near_misses
        .iter()
        .map(|miss| {
            format!(
                "\"{}\" ({} device(s)) looks like {} but matches no configured name: add it to {} in --config to count it",
                miss.name,
                miss.devices,
                miss.kind.label(),
                miss.config_key
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::inventory::AppKind;
    use crate::rules::test_support::as_of;

    fn read() -> TenantFacts {
        TenantFacts {
            apple_push: TenantCheck::Read(ApplePushCertificate {
                expires: Some(as_of() + TimeDelta::days(40) + TimeDelta::hours(3)),
                apple_identifier: Some("mdm@contoso.example".into()),
                ..Default::default()
            }),
            managed_google_play: TenantCheck::Read(ManagedGooglePlay {
                bind_status: Some("boundAndValidated".into()),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn read_checks_give_their_facts() {
        let json = tenant_json(&read(), as_of());
        let apple = &json["apple_mdm_push"];
        assert_eq!(
            (apple["rule"].as_str(), apple["read"].as_bool(), apple["configured"].as_bool()),
            (Some("apple-mdm-push"), Some(true), Some(true))
        );
        assert_eq!(apple["expires"], "2025-07-11T15:00:00Z");
        assert_eq!(apple["days_left"], 40);
        assert_eq!(apple["apple_identifier"], "mdm@contoso.example");
        assert_eq!(json["managed_google_play"]["bind_status"], "boundAndValidated");
        let lines = tenant_lines(&read(), as_of());
        assert_eq!(lines[0], "Apple MDM push certificate (apple-mdm-push): expires 2025-07-11 (40 days left)");
        assert_eq!(lines[1], "managed Google Play (managed-google-play): bind status boundAndValidated");
    }

    #[test]
    fn expired_not_configured_and_not_read_say_so() {
        let facts = TenantFacts {
            apple_push: TenantCheck::Read(ApplePushCertificate {
                expires: Some(as_of() - TimeDelta::days(2)),
                ..Default::default()
            }),
            managed_google_play: TenantCheck::NotConfigured,
        };
        let json = tenant_json(&facts, as_of());
        assert_eq!(json["apple_mdm_push"]["days_left"], -2);
        assert_eq!(
            json["managed_google_play"],
            json!({"rule": "managed-google-play", "read": true, "configured": false})
        );
        let lines = tenant_lines(&facts, as_of());
        assert!(lines[0].ends_with("EXPIRED on 2025-05-30"), "{}", lines[0]);
        assert!(lines[1].ends_with("NOT CONFIGURED"), "{}", lines[1]);

        let not_read = TenantFacts {
            apple_push: TenantCheck::NotRead {
                why: "the token lacks the permission".into(),
                permission: Some("DeviceManagementServiceConfig.Read.All"),
            },
            managed_google_play: TenantCheck::default(),
        };
        let json = tenant_json(&not_read, as_of());
        assert_eq!(json["apple_mdm_push"]["read"], false);
        assert_eq!(json["apple_mdm_push"]["permission"], "DeviceManagementServiceConfig.Read.All");
        assert_eq!(json["managed_google_play"]["permission"], Value::Null);
        assert!(json["managed_google_play"]["why"].as_str().is_some_and(|why| !why.is_empty()));
        let lines = tenant_lines(&not_read, as_of());
        assert!(
            lines[0].ends_with(
                "not read: the token lacks the permission (DeviceManagementServiceConfig.Read.All would read it)"
            ),
            "{}",
            lines[0]
        );
    }

    #[test]
    fn near_misses_name_the_key_that_accepts_them() {
        let miss = NearMiss {
            name: "Google Play-Dienste".into(),
            devices: 12,
            kind: AppKind::GooglePlayServices,
            config_key: "apps.google_play_services",
        };
        let lines = near_miss_lines(&[miss]);
        assert_eq!(lines, vec!["\"Google Play-Dienste\" (12 device(s)) looks like Google Play services but matches no configured name: add it to apps.google_play_services in --config to count it"]);
    }
}
