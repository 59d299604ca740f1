//! `apple-mdm-push`: a tenant check: is the tenant's Apple MDM push certificate valid?
//!
//! iOS devices are managed through the tenant's Apple MDM push certificate
//! (`GET /deviceManagement/applePushNotificationCertificate`, `expirationDateTime`; 404 when none is
//! configured; valid 365 days, 30 days of grace after expiry). Whether an expired certificate directly
//! stops Company Portal's own push is not documented, so the rule is a warning, not a denial. It is
//! read once per audit and gives every iOS device the same outcome; a source that did not read it
//! gives `unknown` (docs/rules.md).

use super::{Level, Outcome, Rule, RuleContext, RuleId, Status};
use crate::inventory::tenant::TenantCheck;
use crate::inventory::{Device, Platform};

pub const RULE: Rule = Rule {
    id: RuleId::AppleMdmPush,
    default_level: Level::Warn,
    checks: "Tenant check: the tenant's Apple MDM push certificate is configured and not expired (iOS devices).",
    fail_means: "Intune manages iOS devices through this certificate; expired or missing, iOS devices stop checking in.",
    fix: "Renew the Apple MDM push certificate in the Intune admin center with the same Apple ID (Tenant administration > Connectors and tokens).",
    decision: &[
        (Status::Pass, "iOS/iPadOS: the certificate was read and its `expirationDateTime` is after the audit time."),
        (Status::Fail, "iOS/iPadOS: the certificate expired (at or before the audit time), or none is configured (Graph answered 404)."),
        (Status::Unknown, "iOS/iPadOS: the certificate was not read (no permission, or an offline source without it), or it has no readable expiry date."),
        (Status::NotApplicable, "the device is not iOS/iPadOS."),
    ],
    sources: &[
        "Graph applePushNotificationCertificate: expirationDateTime, 404 when not configured (intune-devices-applepushnotificationcertificate-get, v1.0)",
        "Apple MDM push certificate: valid 365 days, renewed with the same Apple ID (memdocs: intune/intune-service/enrollment/apple-mdm-push-certificate-get.md)",
    ],
    caveat: Some(
        "`apple-mdm-push` is a tenant check, read once per audit: when the Apple MDM push certificate was not \
read it is unknown on every iOS device, never passed, and the summary's `tenant` section says why and which \
permission would read it.",
    ),
    evaluate,
};

fn evaluate(device: &Device, context: &RuleContext<'_>) -> Outcome {
    if device.platform != Platform::Ios {
        return Outcome::not_applicable("the Apple MDM push certificate manages iOS/iPadOS devices only");
    }
    match &context.tenant.apple_push {
        TenantCheck::Read(certificate) => match certificate.expires {
            Some(expires) if expires > context.settings.as_of => {
                Outcome::pass("the tenant's Apple MDM push certificate is valid at the audit time")
            }
            Some(expires) => Outcome::fail(format!(
                "Apple MDM push certificate expired on {}: iOS devices stop checking in; renew it with the same Apple ID",
                expires.format("%Y-%m-%d")
            )),
            None => Outcome::unknown("the tenant's Apple MDM push certificate was read but has no readable expiry date"),
        },
        TenantCheck::NotConfigured => Outcome::fail(
            "no Apple MDM push certificate is configured in the tenant: iOS devices cannot be managed",
        ),
        // One sentence for every device (no copy per device); the summary says why it was not read.
        TenantCheck::NotRead { .. } => Outcome::unknown(
            "the tenant's Apple MDM push certificate was not read (the summary's tenant section says why)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::inventory::tenant::{ApplePushCertificate, TenantFacts};
    use crate::inventory::AndroidMode;
    use crate::rules::test_support::{android, as_of, check, ios, settings};

    fn run(device: &Device, apple_push: TenantCheck<ApplePushCertificate>) -> Outcome {
        let tenant = TenantFacts { apple_push, ..Default::default() };
        evaluate(device, &RuleContext { settings: &settings(), tenant: &tenant })
    }

    fn expiring(at: Option<chrono::DateTime<chrono::Utc>>) -> TenantCheck<ApplePushCertificate> {
        TenantCheck::Read(ApplePushCertificate { expires: at, ..Default::default() })
    }

    #[test]
    fn a_valid_certificate_passes() {
        check(run(&ios(), expiring(Some(as_of() + TimeDelta::days(90)))), Status::Pass);
        check(run(&ios(), expiring(Some(as_of() + TimeDelta::seconds(1)))), Status::Pass);
    }

    #[test]
    fn an_expired_certificate_fails_and_says_when() {
        let expired = as_of() - TimeDelta::days(3);
        let reason = check(run(&ios(), expiring(Some(expired))), Status::Fail);
        assert_eq!(
            reason,
            "Apple MDM push certificate expired on 2025-05-29: iOS devices stop checking in; renew it with the same Apple ID"
        );
        check(run(&ios(), expiring(Some(as_of()))), Status::Fail);
    }

    #[test]
    fn not_configured_fails() {
        let reason = check(run(&ios(), TenantCheck::NotConfigured), Status::Fail);
        assert!(reason.contains("no Apple MDM push certificate"), "{reason}");
    }

    #[test]
    fn not_read_or_without_expiry_is_unknown() {
        let not_read = TenantCheck::NotRead {
            why: "the token lacks DeviceManagementServiceConfig.Read.All".to_owned(),
            permission: Some("DeviceManagementServiceConfig.Read.All"),
        };
        let reason = check(run(&ios(), not_read), Status::Unknown);
        assert!(reason.contains("was not read"), "{reason}");
        check(run(&ios(), TenantCheck::default()), Status::Unknown);
        check(run(&ios(), expiring(None)), Status::Unknown);
    }

    #[test]
    fn only_ios_is_in_scope() {
        for device in [
            android(AndroidMode::PersonalWorkProfile),
            Device::default(),
            Device { platform: Platform::Other, ..Default::default() },
        ] {
            check(run(&device, TenantCheck::NotConfigured), Status::NotApplicable);
            check(run(&device, expiring(Some(as_of() + TimeDelta::days(9)))), Status::NotApplicable);
        }
    }
}
