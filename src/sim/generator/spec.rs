//! What a device is made from, before it has an id and a user: its [`Family`] (which decides its
//! detected-app platform, its name and its apps), its wire fields, its user fields ([`Who`]), its
//! sync and enrollment times ([`When`]) and its name ([`Name`]). The base specs at the end are healthy devices of
//! each family; the catalogue and the random part start from them and change a few fields.

/// What kind of device it is: decides the detected-app platform, its name and its apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    Ios,
    PersonalWorkProfile,
    CorporateWorkProfile,
    FullyManaged,
    Dedicated,
    DeviceAdmin,
    Aosp,
    AndroidUnknown,
    Windows,
    Mac,
    Other,
}

impl Family {
    /// Index into [`super::apps::APP_PLATFORMS`].
    pub(super) fn app_platform(self) -> usize {
        match self {
            Family::Ios => 0,
            Family::PersonalWorkProfile | Family::CorporateWorkProfile => 1,
            Family::FullyManaged | Family::Dedicated => 2,
            Family::DeviceAdmin => 3,
            Family::Aosp => 4,
            Family::Windows => 5,
            Family::Mac => 6,
            Family::AndroidUnknown | Family::Other => 7,
        }
    }
}

/// The user fields of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Who {
    /// userId, userPrincipalName and userDisplayName of a user.
    User,
    /// Only the user's id (no UPN, no display name).
    IdOnly,
    /// A user whose UPN the device gives in upper case.
    UpnShouting,
    /// Userless: the all-zero userId and empty UPN and display name.
    Nil,
    /// Userless: the user fields are missing.
    Absent,
    /// Userless: the user fields are empty strings.
    Empty,
}

impl Who {
    pub(super) fn has_user(self) -> bool {
        matches!(self, Who::User | Who::IdOnly | Who::UpnShouting)
    }
}

/// A Graph time relative to now: `lastSyncDateTime`, `enrolledDateTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum When {
    /// A random time this many seconds before now (negative: after now), 7 fractional digits.
    Within(i64, i64),
    /// Exactly this many seconds before now (9 fractional digits, so the boundary is exact).
    Exact(i64),
    /// `0001-01-01T00:00:00Z`, Graph's placeholder for "never".
    Zero,
    Missing,
}

pub(super) const DAY: i64 = 86_400;
pub(super) const RECENT: When = When::Within(60, 3 * DAY);
/// Enrolled long enough ago that app inventory has refreshed (7 days to 3 years).
pub(super) const ENROLLED: When = When::Within(7 * DAY + 60, 3 * 365 * DAY);

/// `deviceName`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Name {
    /// Made up from the platform and the user.
    Auto,
    Fixed(&'static str),
}

/// Everything about a device but its id and its user.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spec {
    pub(super) family: Family,
    pub(super) os: Option<&'static str>,
    pub(super) os_version: Option<&'static str>,
    pub(super) device_type: Option<&'static str>,
    pub(super) enrollment: Option<&'static str>,
    pub(super) agent: Option<&'static str>,
    pub(super) state: Option<&'static str>,
    pub(super) owner: Option<&'static str>,
    pub(super) owner_beta: Option<&'static str>,
    pub(super) who: Who,
    pub(super) sync: When,
    pub(super) enrolled: When,
    /// `hardwareInformation.isSharedDevice`, when the device object carries it.
    pub(super) shared: Option<bool>,
    pub(super) name: Name,
}

impl Spec {
    pub(super) fn corporate(&self) -> bool {
        let owner = match self.owner {
            Some(v) if !v.trim().is_empty() => v,
            _ => self.owner_beta.unwrap_or(""),
        };
        owner == "company"
    }
}

pub(super) const IOS_CORP: Spec = Spec {
    family: Family::Ios,
    os: Some("iOS"),
    os_version: Some("18.3.1"),
    device_type: Some("iPhone"),
    enrollment: Some("appleBulkWithUser"),
    agent: Some("mdm"),
    state: Some("managed"),
    owner: Some("company"),
    owner_beta: Some("company"),
    who: Who::User,
    sync: RECENT,
    enrolled: ENROLLED,
    shared: None,
    name: Name::Auto,
};
pub(super) const IOS_PERSONAL: Spec =
    Spec { enrollment: Some("userEnrollment"), owner: Some("personal"), owner_beta: Some("personal"), ..IOS_CORP };
pub(super) const PWP: Spec = Spec {
    family: Family::PersonalWorkProfile,
    os: Some("Android"),
    os_version: Some("14"),
    device_type: Some("androidForWork"),
    enrollment: Some("userEnrollment"),
    owner: Some("personal"),
    owner_beta: Some("personal"),
    ..IOS_CORP
};
pub(super) const FULLY_MANAGED: Spec = Spec {
    family: Family::FullyManaged,
    device_type: Some("androidEnterprise"),
    enrollment: Some("androidEnterpriseFullyManaged"),
    owner: Some("company"),
    owner_beta: Some("company"),
    ..PWP
};
pub(super) const DEDICATED: Spec = Spec {
    family: Family::Dedicated,
    enrollment: Some("androidEnterpriseDedicatedDevice"),
    who: Who::Nil,
    ..FULLY_MANAGED
};
pub(super) const CORP_WORK_PROFILE: Spec = Spec {
    family: Family::CorporateWorkProfile,
    enrollment: Some("androidEnterpriseCorporateWorkProfile"),
    ..FULLY_MANAGED
};
pub(super) const DEVICE_ADMIN: Spec = Spec {
    family: Family::DeviceAdmin,
    os_version: Some("10"),
    device_type: Some("android"),
    owner: Some("company"),
    owner_beta: Some("company"),
    ..PWP
};
pub(super) const AOSP: Spec = Spec {
    family: Family::Aosp,
    os_version: Some("12"),
    device_type: Some("androidnGMS"),
    enrollment: Some("androidAOSPUserOwnedDeviceEnrollment"),
    agent: Some("intuneAosp"),
    owner: Some("company"),
    owner_beta: Some("company"),
    ..PWP
};
pub(super) const ANDROID_UNKNOWN: Spec = Spec {
    family: Family::AndroidUnknown,
    device_type: Some("androidNext"),
    enrollment: Some("androidFutureMode"),
    ..PWP
};
pub(super) const WINDOWS: Spec = Spec {
    family: Family::Windows,
    os: Some("Windows"),
    os_version: Some("10.0.22631.4890"),
    device_type: Some("desktop"),
    enrollment: Some("windowsAzureADJoin"),
    ..IOS_CORP
};
pub(super) const MAC: Spec = Spec {
    family: Family::Mac,
    os: Some("macOS"),
    os_version: Some("15.3.1"),
    device_type: Some("macMDM"),
    enrollment: Some("appleBulkWithUser"),
    ..IOS_CORP
};
pub(super) const OTHER: Spec = Spec {
    family: Family::Other,
    os: Some("Linux"),
    os_version: Some("24.04"),
    device_type: Some("linux"),
    enrollment: None,
    ..IOS_CORP
};
