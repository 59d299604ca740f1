//! Device classification, as docs/rules.md, "How a device is classified", documents it
//! (that section is generated from the tables here).
//!
//! The Android-mode mapping of `deviceType` and `managementAgent` is inferred, not documented by
//! Microsoft, so it is kept in one table ([`ANDROID_MODE_TABLE`]) that is easy to correct.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    Ios,
    Android,
    Other,
    #[default]
    Unknown,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Ios => "ios",
            Platform::Android => "android",
            Platform::Other => "other",
            Platform::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AndroidMode {
    PersonalWorkProfile,
    CorporateWorkProfile,
    FullyManaged,
    Dedicated,
    DeviceAdministrator,
    Aosp,
    Unknown,
}

impl AndroidMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AndroidMode::PersonalWorkProfile => "personal-work-profile",
            AndroidMode::CorporateWorkProfile => "corporate-work-profile",
            AndroidMode::FullyManaged => "fully-managed",
            AndroidMode::Dedicated => "dedicated",
            AndroidMode::DeviceAdministrator => "device-administrator",
            AndroidMode::Aosp => "aosp",
            AndroidMode::Unknown => "unknown",
        }
    }
}

/// `operatingSystem` -> platform: trimmed, case-insensitive.
pub fn platform(operating_system: Option<&str>) -> Platform {
    let os = operating_system.unwrap_or("").trim();
    if os.is_empty() {
        Platform::Unknown
    } else if os.eq_ignore_ascii_case("ios") || os.eq_ignore_ascii_case("ipados") {
        Platform::Ios
    } else if os.len() >= 7 && os[..7].eq_ignore_ascii_case("android") {
        Platform::Android
    } else {
        Platform::Other
    }
}

/// Which field a row of [`ANDROID_MODE_TABLE`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeField {
    DeviceEnrollmentType,
    DeviceType,
    ManagementAgent,
}

/// The Android-mode table, first match wins (rows in the order of the steps).
/// Values are compared case-insensitively.
pub const ANDROID_MODE_TABLE: &[(ModeField, &str, AndroidMode)] = &[
    // Step 1: deviceEnrollmentType (documented).
    (ModeField::DeviceEnrollmentType, "androidEnterpriseFullyManaged", AndroidMode::FullyManaged),
    (ModeField::DeviceEnrollmentType, "androidEnterpriseDedicatedDevice", AndroidMode::Dedicated),
    (ModeField::DeviceEnrollmentType, "androidEnterpriseCorporateWorkProfile", AndroidMode::CorporateWorkProfile),
    (ModeField::DeviceEnrollmentType, "androidAOSPUserOwnedDeviceEnrollment", AndroidMode::Aosp),
    (ModeField::DeviceEnrollmentType, "androidAOSPUserlessDeviceEnrollment", AndroidMode::Aosp),
    // Step 2: beta deviceType (inferred).
    (ModeField::DeviceType, "androidnGMS", AndroidMode::Aosp),
    (ModeField::DeviceType, "androidForWork", AndroidMode::PersonalWorkProfile),
    (ModeField::DeviceType, "androidEnterprise", AndroidMode::FullyManaged),
    (ModeField::DeviceType, "android", AndroidMode::DeviceAdministrator),
    // Step 3: managementAgent (inferred).
    (ModeField::ManagementAgent, "intuneAosp", AndroidMode::Aosp),
];

/// The Android mode of a device from its enrollment type, device type and management agent.
pub fn android_mode(
    enrollment_type: Option<&str>,
    device_type: Option<&str>,
    management_agent: Option<&str>,
) -> AndroidMode {
    for step in [ModeField::DeviceEnrollmentType, ModeField::DeviceType, ModeField::ManagementAgent] {
        let value = match step {
            ModeField::DeviceEnrollmentType => enrollment_type,
            ModeField::DeviceType => device_type,
            ModeField::ManagementAgent => management_agent,
        };
        let Some(value) = value.map(str::trim) else { continue };
        if let Some((_, _, mode)) =
            ANDROID_MODE_TABLE.iter().find(|(field, raw, _)| *field == step && raw.eq_ignore_ascii_case(value))
        {
            return *mode;
        }
    }
    AndroidMode::Unknown
}

/// The ownership value that decides inventory completeness: `managedDeviceOwnerType`, else beta `ownerType`.
pub fn ownership<'a>(managed_device_owner_type: Option<&'a str>, owner_type: Option<&'a str>) -> &'a str {
    match managed_device_owner_type.map(str::trim) {
        Some(value) if !value.is_empty() => value,
        _ => owner_type.map(str::trim).unwrap_or(""),
    }
}

/// Whether the app inventory of this device lists every app, so that a missing app is really missing.
pub fn inventory_complete(platform: Platform, mode: Option<AndroidMode>, ownership: &str) -> bool {
    let corporate = ownership.eq_ignore_ascii_case("company");
    match (platform, mode) {
        (Platform::Ios, _) => corporate,
        (Platform::Android, Some(AndroidMode::DeviceAdministrator)) => corporate,
        (
            Platform::Android,
            Some(AndroidMode::FullyManaged | AndroidMode::Dedicated | AndroidMode::CorporateWorkProfile),
        ) => true,
        _ => false,
    }
}

/// The all-zero GUID that Graph puts in `userId` of some userless devices: it names nobody.
pub const NIL_USER_ID: &str = "00000000-0000-0000-0000-000000000000";

/// A user id, or `None` when it is empty or the all-zero GUID.
pub fn user_id(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|v| !v.is_empty() && *v != NIL_USER_ID)
}

/// The recipient of a group send on this device: the enrolling user when the source gives one, else
/// the lower-cased UPN, else the user id (as given), else none.
pub fn recipient(enrolled_by_upn: Option<&str>, upn: Option<&str>, raw_user_id: Option<&str>) -> Option<String> {
    fn non_empty(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    if let Some(upn) = non_empty(enrolled_by_upn).or(non_empty(upn)) {
        return Some(upn.to_lowercase());
    }
    user_id(raw_user_id).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_follows_the_table() {
        assert_eq!(platform(Some("iOS")), Platform::Ios);
        assert_eq!(platform(Some(" iPadOS ")), Platform::Ios);
        assert_eq!(platform(Some("IOS")), Platform::Ios);
        assert_eq!(platform(Some("Android")), Platform::Android);
        assert_eq!(platform(Some("AndroidEnterprise")), Platform::Android);
        assert_eq!(platform(Some("androidForWork")), Platform::Android);
        assert_eq!(platform(Some("Windows")), Platform::Other);
        assert_eq!(platform(Some("macOS")), Platform::Other);
        assert_eq!(platform(Some("Operating System value")), Platform::Other);
        assert_eq!(platform(Some("  ")), Platform::Unknown);
        assert_eq!(platform(None), Platform::Unknown);
        assert_eq!(platform(Some("Andro")), Platform::Other);
    }

    #[test]
    fn android_mode_first_match_wins() {
        use AndroidMode::*;
        assert_eq!(android_mode(Some("androidEnterpriseFullyManaged"), Some("androidForWork"), None), FullyManaged);
        assert_eq!(android_mode(Some("androidEnterpriseDedicatedDevice"), None, None), Dedicated);
        assert_eq!(android_mode(Some("androidEnterpriseCorporateWorkProfile"), None, None), CorporateWorkProfile);
        assert_eq!(android_mode(Some("androidAOSPUserOwnedDeviceEnrollment"), None, None), Aosp);
        assert_eq!(android_mode(Some("androidAOSPUserlessDeviceEnrollment"), None, None), Aosp);
        assert_eq!(android_mode(Some("userEnrollment"), Some("androidnGMS"), None), Aosp);
        assert_eq!(android_mode(None, Some("androidForWork"), None), PersonalWorkProfile);
        assert_eq!(android_mode(None, Some("androidEnterprise"), None), FullyManaged);
        assert_eq!(android_mode(None, Some("android"), None), DeviceAdministrator);
        assert_eq!(android_mode(None, Some("somethingNew"), Some("intuneAosp")), Aosp);
        assert_eq!(android_mode(None, Some("somethingNew"), Some("mdm")), Unknown);
        assert_eq!(android_mode(None, None, None), Unknown);
    }

    #[test]
    fn inventory_completeness_by_ownership_and_mode() {
        use AndroidMode::*;
        assert!(inventory_complete(Platform::Ios, None, "company"));
        assert!(!inventory_complete(Platform::Ios, None, "personal"));
        assert!(inventory_complete(Platform::Android, Some(DeviceAdministrator), "Company"));
        assert!(!inventory_complete(Platform::Android, Some(DeviceAdministrator), "personal"));
        assert!(inventory_complete(Platform::Android, Some(FullyManaged), "personal"));
        assert!(inventory_complete(Platform::Android, Some(Dedicated), ""));
        assert!(inventory_complete(Platform::Android, Some(CorporateWorkProfile), "unknown"));
        assert!(!inventory_complete(Platform::Android, Some(PersonalWorkProfile), "company"));
        assert!(!inventory_complete(Platform::Android, Some(Aosp), "company"));
        assert!(!inventory_complete(Platform::Other, None, "company"));
        assert_eq!(ownership(Some(""), Some("company")), "company");
        assert_eq!(ownership(None, Some("personal")), "personal");
        assert_eq!(ownership(Some("company"), Some("personal")), "company");
    }

    #[test]
    fn recipient_prefers_enrolling_user_then_upn_then_id() {
        assert_eq!(recipient(Some("Enroller@X.com"), Some("a@x.com"), Some("id")), Some("enroller@x.com".into()));
        assert_eq!(recipient(None, Some(" A@X.com "), Some("id")), Some("a@x.com".into()));
        assert_eq!(recipient(Some(""), Some(""), Some("ID-1")), Some("ID-1".into()));
        assert_eq!(recipient(None, None, Some("  ")), None);
        assert_eq!(recipient(None, None, Some(NIL_USER_ID)), None);
        assert_eq!(recipient(None, None, None), None);
    }
}
