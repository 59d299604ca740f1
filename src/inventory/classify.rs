//! Device classification, as docs/rules.md, "How a device is classified", documents it
//! (that section is generated from the tables here).
//!
//! The Android-mode mapping of `deviceType`, `operatingSystem` and `managementAgent` is inferred, not
//! documented by Microsoft, so it is kept in one table ([`ANDROID_MODE_TABLE`]) that is easy to correct.

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

/// `operatingSystem` -> platform: trimmed, case-insensitive. `unknown` is a value real tenants return.
pub fn platform(operating_system: Option<&str>) -> Platform {
    let os = operating_system.unwrap_or("").trim();
    if os.is_empty() || os.eq_ignore_ascii_case("unknown") {
        Platform::Unknown
    } else if os.eq_ignore_ascii_case("ios") || os.eq_ignore_ascii_case("ipados") {
        Platform::Ios
    } else if os.len() >= 7 && os[..7].eq_ignore_ascii_case("android") {
        Platform::Android
    } else {
        Platform::Other
    }
}

/// Which field a row of [`ANDROID_MODE_TABLE`] looks at, in the order of the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeField {
    DeviceEnrollmentType,
    DeviceType,
    OperatingSystem,
    ManagementAgent,
}

impl ModeField {
    pub const STEPS: [ModeField; 4] = [
        ModeField::DeviceEnrollmentType,
        ModeField::DeviceType,
        ModeField::OperatingSystem,
        ModeField::ManagementAgent,
    ];

    /// The Graph property the step reads.
    pub fn property(self) -> &'static str {
        match self {
            ModeField::DeviceEnrollmentType => "deviceEnrollmentType",
            ModeField::DeviceType => "deviceType",
            ModeField::OperatingSystem => "operatingSystem",
            ModeField::ManagementAgent => "managementAgent",
        }
    }

    /// The 1-based step number.
    pub fn step(self) -> usize {
        self as usize + 1
    }
}

/// The Android-mode table, first match wins (rows in the order of the steps).
/// Values are compared case-insensitively. `operatingSystem` `AndroidEnterprise` covers fully managed,
/// dedicated and corporate work profile alike, so it has no row.
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
    // Step 3: operatingSystem (v1.0 and some tenants report the mode there; inferred).
    (ModeField::OperatingSystem, "AndroidForWork", AndroidMode::PersonalWorkProfile),
    (ModeField::OperatingSystem, "AndroidAOSP", AndroidMode::Aosp),
    // Step 4: managementAgent (inferred).
    (ModeField::ManagementAgent, "intuneAosp", AndroidMode::Aosp),
];

/// The fields the Android mode is decided from.
#[derive(Debug, Clone, Copy, Default)]
pub struct ModeInputs<'a> {
    pub device_enrollment_type: Option<&'a str>,
    pub device_type: Option<&'a str>,
    pub operating_system: Option<&'a str>,
    pub management_agent: Option<&'a str>,
}

/// The Android mode of a device: the first row of [`ANDROID_MODE_TABLE`] that matches.
pub fn android_mode(inputs: ModeInputs<'_>) -> AndroidMode {
    for step in ModeField::STEPS {
        let value = match step {
            ModeField::DeviceEnrollmentType => inputs.device_enrollment_type,
            ModeField::DeviceType => inputs.device_type,
            ModeField::OperatingSystem => inputs.operating_system,
            ModeField::ManagementAgent => inputs.management_agent,
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

/// How the device was enrolled, as far as delivery cares (from `deviceEnrollmentType`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enrollment {
    /// Apple User Enrollment (any of its three forms): Company Portal is optional, only the managed
    /// volume is inventoried.
    AppleUserEnrollment,
    /// Enrolled by a device enrollment manager (DEM) service account, not by the device's user.
    Dem,
    #[default]
    Standard,
}

impl Enrollment {
    pub fn as_str(self) -> &'static str {
        match self {
            Enrollment::AppleUserEnrollment => "apple-user-enrollment",
            Enrollment::Dem => "dem",
            Enrollment::Standard => "standard",
        }
    }
}

/// The `deviceEnrollmentType` values of each [`Enrollment`] other than `standard`.
pub const ENROLLMENT_TABLE: &[(&str, Enrollment)] = &[
    ("appleUserEnrollment", Enrollment::AppleUserEnrollment),
    ("appleUserEnrollmentWithServiceAccount", Enrollment::AppleUserEnrollment),
    ("appleAccountDrivenUserEnrollment", Enrollment::AppleUserEnrollment),
    ("deviceEnrollmentManager", Enrollment::Dem),
];

/// `deviceEnrollmentType` -> enrollment: trimmed, case-insensitive; anything else (or missing) is
/// `standard`.
pub fn enrollment(device_enrollment_type: Option<&str>) -> Enrollment {
    let value = device_enrollment_type.unwrap_or("").trim();
    ENROLLMENT_TABLE
        .iter()
        .find(|(raw, _)| raw.eq_ignore_ascii_case(value))
        .map_or(Enrollment::Standard, |(_, enrollment)| *enrollment)
}

fn is_corporate(ownership: &str) -> bool {
    ownership.trim().eq_ignore_ascii_case("company")
}

/// Whether the app inventory of this device lists every app, so that a missing app is really missing.
/// Apple User Enrollment inventories only the managed volume, whatever the ownership.
pub fn inventory_complete(
    platform: Platform,
    mode: Option<AndroidMode>,
    ownership: &str,
    enrollment: Enrollment,
) -> bool {
    if enrollment == Enrollment::AppleUserEnrollment {
        return false;
    }
    let corporate = is_corporate(ownership);
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

/// Whether a missing *system* app (Google Play services) can be trusted as missing: only corporate
/// Android device administrator inventories list every app, system apps included. Android Enterprise
/// lists the work profile's apps, or managed and some system apps, so an absence there proves nothing.
pub fn system_apps_complete(platform: Platform, mode: Option<AndroidMode>, ownership: &str) -> bool {
    platform == Platform::Android && mode == Some(AndroidMode::DeviceAdministrator) && is_corporate(ownership)
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
        assert_eq!(platform(Some("AndroidAOSP")), Platform::Android);
        assert_eq!(platform(Some("Windows")), Platform::Other);
        assert_eq!(platform(Some("macOS")), Platform::Other);
        assert_eq!(platform(Some("Operating System value")), Platform::Other);
        assert_eq!(platform(Some("  ")), Platform::Unknown);
        assert_eq!(platform(None), Platform::Unknown);
        assert_eq!(platform(Some("Unknown")), Platform::Unknown);
        assert_eq!(platform(Some(" UNKNOWN ")), Platform::Unknown);
        assert_eq!(platform(Some("unknownFutureValue")), Platform::Other);
        assert_eq!(platform(Some("Andro")), Platform::Other);
    }

    fn mode(enrollment: Option<&str>, device_type: Option<&str>, os: Option<&str>, agent: Option<&str>) -> AndroidMode {
        android_mode(ModeInputs {
            device_enrollment_type: enrollment,
            device_type,
            operating_system: os,
            management_agent: agent,
        })
    }

    #[test]
    fn android_mode_first_match_wins() {
        use AndroidMode::*;
        assert_eq!(mode(Some("androidEnterpriseFullyManaged"), Some("androidForWork"), None, None), FullyManaged);
        assert_eq!(mode(Some("androidEnterpriseDedicatedDevice"), None, None, None), Dedicated);
        assert_eq!(mode(Some("androidEnterpriseCorporateWorkProfile"), None, None, None), CorporateWorkProfile);
        assert_eq!(mode(Some("androidAOSPUserOwnedDeviceEnrollment"), None, None, None), Aosp);
        assert_eq!(mode(Some("androidAOSPUserlessDeviceEnrollment"), None, None, None), Aosp);
        assert_eq!(mode(Some("userEnrollment"), Some("androidnGMS"), None, None), Aosp);
        assert_eq!(mode(None, Some("androidForWork"), None, None), PersonalWorkProfile);
        assert_eq!(mode(None, Some("androidEnterprise"), None, None), FullyManaged);
        assert_eq!(mode(None, Some("android"), None, None), DeviceAdministrator);
        assert_eq!(mode(None, Some("somethingNew"), None, Some("intuneAosp")), Aosp);
        assert_eq!(mode(None, Some("somethingNew"), None, Some("mdm")), Unknown);
        assert_eq!(mode(None, None, None, None), Unknown);
    }

    #[test]
    fn operating_system_is_step_three() {
        use AndroidMode::*;
        assert_eq!(mode(None, None, Some("AndroidForWork"), None), PersonalWorkProfile);
        assert_eq!(mode(Some("userEnrollment"), Some("unknown"), Some(" androidforwork "), None), PersonalWorkProfile);
        assert_eq!(mode(None, None, Some("AndroidAOSP"), Some("mdm")), Aosp);
        // Steps 1 and 2 come first.
        assert_eq!(mode(Some("androidEnterpriseFullyManaged"), None, Some("AndroidForWork"), None), FullyManaged);
        assert_eq!(mode(None, Some("android"), Some("AndroidAOSP"), None), DeviceAdministrator);
        // Step 3 comes before the management agent.
        assert_eq!(mode(None, None, Some("AndroidForWork"), Some("intuneAosp")), PersonalWorkProfile);
        // AndroidEnterprise and plain Android decide nothing.
        assert_eq!(mode(None, None, Some("AndroidEnterprise"), None), Unknown);
        assert_eq!(mode(None, None, Some("Android"), None), Unknown);
        assert_eq!(mode(None, None, Some("AndroidEnterprise"), Some("intuneAosp")), Aosp);
    }

    #[test]
    fn enrollment_from_the_enrollment_type() {
        assert_eq!(enrollment(Some("appleUserEnrollment")), Enrollment::AppleUserEnrollment);
        assert_eq!(enrollment(Some(" AppleUserEnrollmentWithServiceAccount ")), Enrollment::AppleUserEnrollment);
        assert_eq!(enrollment(Some("appleAccountDrivenUserEnrollment")), Enrollment::AppleUserEnrollment);
        assert_eq!(enrollment(Some("deviceEnrollmentManager")), Enrollment::Dem);
        assert_eq!(enrollment(Some("DEVICEENROLLMENTMANAGER")), Enrollment::Dem);
        for other in [Some("userEnrollment"), Some("appleBulkWithUser"), Some(""), Some("somethingNew"), None] {
            assert_eq!(enrollment(other), Enrollment::Standard, "{other:?}");
        }
    }

    #[test]
    fn inventory_completeness_by_ownership_and_mode() {
        use AndroidMode::*;
        let standard = Enrollment::Standard;
        assert!(inventory_complete(Platform::Ios, None, "company", standard));
        assert!(!inventory_complete(Platform::Ios, None, "personal", standard));
        assert!(inventory_complete(Platform::Android, Some(DeviceAdministrator), "Company", standard));
        assert!(!inventory_complete(Platform::Android, Some(DeviceAdministrator), "personal", standard));
        assert!(inventory_complete(Platform::Android, Some(FullyManaged), "personal", standard));
        assert!(inventory_complete(Platform::Android, Some(Dedicated), "", standard));
        assert!(inventory_complete(Platform::Android, Some(CorporateWorkProfile), "unknown", standard));
        assert!(!inventory_complete(Platform::Android, Some(PersonalWorkProfile), "company", standard));
        assert!(!inventory_complete(Platform::Android, Some(Aosp), "company", standard));
        assert!(!inventory_complete(Platform::Other, None, "company", standard));
        assert!(inventory_complete(Platform::Ios, None, "company", Enrollment::Dem));
        assert_eq!(ownership(Some(""), Some("company")), "company");
        assert_eq!(ownership(None, Some("personal")), "personal");
        assert_eq!(ownership(Some("company"), Some("personal")), "company");
    }

    #[test]
    fn apple_user_enrollment_is_never_complete() {
        let aue = Enrollment::AppleUserEnrollment;
        assert!(!inventory_complete(Platform::Ios, None, "company", aue));
        assert!(!inventory_complete(Platform::Ios, None, "personal", aue));
        assert!(!inventory_complete(Platform::Android, Some(AndroidMode::FullyManaged), "company", aue));
    }

    #[test]
    fn system_apps_are_complete_on_corporate_device_administrator_only() {
        use AndroidMode::*;
        assert!(system_apps_complete(Platform::Android, Some(DeviceAdministrator), " company "));
        assert!(!system_apps_complete(Platform::Android, Some(DeviceAdministrator), "personal"));
        for mode in [FullyManaged, Dedicated, CorporateWorkProfile, PersonalWorkProfile, Aosp, Unknown] {
            assert!(!system_apps_complete(Platform::Android, Some(mode), "company"), "{mode:?}");
        }
        assert!(!system_apps_complete(Platform::Ios, None, "company"));
        assert!(!system_apps_complete(Platform::Android, None, "company"));
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
