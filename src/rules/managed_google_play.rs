//! `managed-google-play`: a tenant check: is the tenant connected to managed Google Play?
//!
//! Android Enterprise devices are managed through the managed Google Play binding
//! (`GET beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings`, `bindStatus` notBound |
//! bound | boundAndValidated | unbinding; "disconnecting disables Android Enterprise device management
//! for your tenant"). Whether it directly stops Company Portal's own push is not documented, so the
//! rule is a warning, not a denial. It is read once per audit and gives every Android Enterprise
//! device the same outcome; a source that did not read it gives `unknown` (docs/rules.md).

use super::{Level, Outcome, Rule, RuleContext, RuleId, Status};
use crate::inventory::tenant::TenantCheck;
use crate::inventory::{AndroidMode, Device, Platform};

pub const RULE: Rule = Rule {
    id: RuleId::ManagedGooglePlay,
    default_level: Level::Warn,
    checks: "Tenant check: the tenant is connected to managed Google Play (Android Enterprise devices).",
    fail_means: "Without the managed Google Play connection, Android Enterprise management is disabled for the tenant.",
    fix: "Connect (or reconnect) the tenant to managed Google Play in the Intune admin center (Devices > Android > Android enrollment > Managed Google Play).",
    decision: &[
        (Status::Pass, "Android personally-owned work profile, fully managed, dedicated or corporate-owned work profile: `bindStatus` is `bound` or `boundAndValidated`."),
        (Status::Fail, "those modes: `bindStatus` is `notBound` or `unbinding`, or the settings are not configured (Graph answered 404)."),
        (Status::Unknown, "those modes: any other `bindStatus` (or none), or the settings were not read (no permission, or an offline source without them)."),
        (Status::NotApplicable, "the device is not an Android Enterprise device (device administrator, AOSP, an undetermined mode, other platforms)."),
    ],
    sources: &[
        "Graph beta androidManagedStoreAccountEnterpriseSettings: bindStatus (intune-androidforwork-androidmanagedstoreaccountenterprisesettings-get)",
        "Disconnecting managed Google Play disables Android Enterprise management (memdocs: intune/intune-service/enrollment/connect-intune-android-enterprise.md)",
    ],
    caveat: Some(
        "`managed-google-play` is a tenant check, read once per audit: when the managed Google Play settings \
were not read it is unknown on every Android Enterprise device, never passed, and the summary's `tenant` \
section says why and which permission would read them.",
    ),
    evaluate,
};

/// The Android modes managed through managed Google Play.
fn in_scope(device: &Device) -> bool {
    device.platform == Platform::Android
        && matches!(
            device.android_mode,
            Some(
                AndroidMode::PersonalWorkProfile
                    | AndroidMode::FullyManaged
                    | AndroidMode::Dedicated
                    | AndroidMode::CorporateWorkProfile
            )
        )
}

const NOT_CONNECTED: &str = "managed Google Play is not connected: Android Enterprise management is disabled";

fn evaluate(device: &Device, context: &RuleContext<'_>) -> Outcome {
    if !in_scope(device) {
        return Outcome::not_applicable("managed Google Play manages Android Enterprise devices only");
    }
    match &context.tenant.managed_google_play {
        TenantCheck::Read(binding) => {
            let status = binding.bind_status.as_deref().map(str::trim).unwrap_or("");
            let is = |value: &str| status.eq_ignore_ascii_case(value);
            if is("bound") || is("boundAndValidated") {
                Outcome::pass("the tenant is connected to managed Google Play")
            } else if is("notBound") || is("unbinding") {
                Outcome::fail(NOT_CONNECTED)
            } else if status.is_empty() {
                Outcome::unknown("the managed Google Play settings were read but give no bind status")
            } else {
                Outcome::unknown(format!("managed Google Play bind status `{status}` is not a recognised value"))
            }
        }
        TenantCheck::NotConfigured => Outcome::fail(NOT_CONNECTED),
        // One sentence for every device (no copy per device); the summary says why they were not read.
        TenantCheck::NotRead { .. } => Outcome::unknown(
            "the tenant's managed Google Play settings were not read (the summary's tenant section says why)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::tenant::{ManagedGooglePlay, TenantFacts};
    use crate::rules::test_support::{android, check, ios, settings};

    fn run(device: &Device, managed_google_play: TenantCheck<ManagedGooglePlay>) -> Outcome {
        let tenant = TenantFacts { managed_google_play, ..Default::default() };
        evaluate(device, &RuleContext { settings: &settings(), tenant: &tenant })
    }

    fn bound(status: Option<&str>) -> TenantCheck<ManagedGooglePlay> {
        TenantCheck::Read(ManagedGooglePlay { bind_status: status.map(str::to_owned), ..Default::default() })
    }

    const SCOPE: [AndroidMode; 4] = [
        AndroidMode::PersonalWorkProfile,
        AndroidMode::FullyManaged,
        AndroidMode::Dedicated,
        AndroidMode::CorporateWorkProfile,
    ];

    #[test]
    fn bound_passes() {
        for mode in SCOPE {
            check(run(&android(mode), bound(Some("bound"))), Status::Pass);
            check(run(&android(mode), bound(Some(" BoundAndValidated "))), Status::Pass);
        }
    }

    #[test]
    fn not_bound_unbinding_or_not_configured_fail() {
        for connection in [bound(Some("notBound")), bound(Some("unbinding")), TenantCheck::NotConfigured] {
            let reason = check(run(&android(AndroidMode::PersonalWorkProfile), connection), Status::Fail);
            assert_eq!(reason, NOT_CONNECTED);
        }
    }

    #[test]
    fn other_values_or_not_read_are_unknown() {
        let device = android(AndroidMode::FullyManaged);
        let reason = check(run(&device, bound(Some("unknownFutureValue"))), Status::Unknown);
        assert!(reason.contains("unknownFutureValue"), "{reason}");
        check(run(&device, bound(None)), Status::Unknown);
        check(run(&device, bound(Some(" "))), Status::Unknown);
        let not_read = TenantCheck::NotRead { why: "offline source".to_owned(), permission: None };
        assert!(check(run(&device, not_read), Status::Unknown).contains("were not read"));
        check(run(&device, TenantCheck::default()), Status::Unknown);
    }

    #[test]
    fn only_android_enterprise_modes_are_in_scope() {
        for mode in [AndroidMode::DeviceAdministrator, AndroidMode::Aosp, AndroidMode::Unknown] {
            check(run(&android(mode), TenantCheck::NotConfigured), Status::NotApplicable);
        }
        check(
            run(&Device { android_mode: None, ..android(AndroidMode::Unknown) }, TenantCheck::NotConfigured),
            Status::NotApplicable,
        );
        check(run(&ios(), bound(Some("notBound"))), Status::NotApplicable);
        check(run(&Device::default(), TenantCheck::NotConfigured), Status::NotApplicable);
    }
}
