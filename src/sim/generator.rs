//! The deterministic generator of a realistic Intune tenant: users, managed devices, detected apps and
//! groups, from a device count, a seed and the time "now".
//!
//! Same arguments, same tenant, byte for byte: everything comes from one [`ChaCha8Rng`] seeded with
//! `seed`, consumed in a fixed order, and no hash map decides any order. The work per device is a
//! handful of random draws, a few small strings (ids, name, user fields, sync time) and one push per
//! detected app into a per-app device list; enum-like values are borrowed `'static` strings. A million
//! devices take about two seconds in a release build (on a busy two-core machine) and about 800 MB,
//! nearly all of it the devices' and users' own strings and structs.
//!
//! # The catalogue: every rule outcome, whatever the seed
//!
//! The first devices (about a hundred, see [`catalogue`]) are hand-written edge cases: one for each
//! outcome of each rule of PREREQUISITES.md (and for each branch that reaches it: every known and
//! unknown management agent and state, every Android mode, every ownership form, the 30-day boundary,
//! ...), then one per awkward device name. So a tenant of 500 devices or more shows every outcome of
//! every rule; a smaller tenant holds the first part of the catalogue. Catalogue devices with a user
//! belong to the first users, who are all in the group "Pilot: custom notifications".
//!
//! # The random part (fractions of devices, roughly)
//!
//! - Users: 0.7 per device (at least 60). The last 4% (at least 5) never get a device (group "New hires
//!   (no device yet)"); the others own the devices drawn for them uniformly, so a user has 0 (~27%,
//!   the 4% included), 1 (~33%), 2 (~24%), 3 or more (~17%) devices. UPNs `first.last[N]@contoso.example`, 10% written in
//!   mixed case, 0.5% B2B guests (`..._fabrikam.example#EXT#@contoso.example`); display names with
//!   accents and apostrophes, 7% `Last, First`, 2% with a quoted nickname, 3% `(Contractor)`.
//! - Platforms: iOS 40% (operatingSystem `iOS` 86%, `iPadOS` 10%, `IOS` 2%, `ios` 2%; 45% corporate,
//!   1.5% of corporate ones shared iPads without a user), Android 40%, Windows 12%, macOS 5%, other 3%
//!   (Linux, ChromeOS, `Unknown`, empty or missing operatingSystem).
//! - Android modes: personal work profile 45% (deviceType `androidForWork`), fully managed 20%,
//!   corporate work profile 12%, dedicated 8% (70% userless: nil-GUID userId, missing or empty user
//!   fields), device administrator 8% (deviceType `android`), AOSP 5% (agent `intuneAosp`, a third
//!   userless), unknown 2% (`androidFutureMode`/`androidNext`, `unknownFutureValue`, nothing at all).
//! - Ownership: by platform (iOS 45% company, Windows 92%, macOS 90%, Android Enterprise corporate
//!   modes 100%, device administrator 30%); then 1.5% `unknown`, 3% only the beta `ownerType`.
//! - managementAgent: `mdm` by default (AOSP `intuneAosp`; 15% of Android Enterprise
//!   `googleCloudDevicePolicyController`; Windows 28% `configurationManagerClientMdm`, 4%
//!   `configurationManagerClient`, 4% `msSense`, 2% each `configurationManagerClientMdmEas`,
//!   `intuneClient`; macOS 8% `jamf`); on phones 1.5% `eas` (Exchange-only records), 1.5% `easMdm`;
//!   everywhere 0.2% `microsoft365ManagedMdm`, 0.2% `unknown`, 0.05% a made-up value, 0.2% missing.
//! - managementState: `managed` 95.6%; retire/wipe/delete pending, issued, failed 2%; `unhealthy` 1.5%,
//!   `discovered` 0.4%, canceled 0.15%, a made-up value 0.05%, missing 0.4%.
//! - lastSyncDateTime (RFC 3339, 7 fractional digits, `Z`): within 7 days 85%, 7-30 days 5.7%,
//!   31-400 days 8%, in the future (clock skew) 0.4%, exactly 30 days 0.1% (9 fractional digits, so
//!   it is exact), `0001-01-01T00:00:00Z` 0.4%, missing 0.4%.
//! - User fields: 0.3% of devices with a user give only `userId` (no or empty UPN).
//! - Device names: Intune templates (`jane.doe_AndroidForWork_3/14/2024_9:05 AM`), `Maria’s iPhone`,
//!   serial numbers, `DESKTOP-XXXXXXX`, models, kiosk names; 0.3% from the awkward list (commas, quotes,
//!   formula prefixes, emoji, CJK, tabs, newlines, empty) and the 300-character name.
//! - Apps (one detected app per name + version + platform; platform from the device's mode):
//!   Company Portal on 93% of corporate iOS and 35% of personal iOS (personal inventory lists managed
//!   apps only), 55% of personal work profiles, 90% of device-administrator devices, 40% of fully
//!   managed / corporate work profile; the Microsoft Intune app on 85% of fully managed, 80% of
//!   corporate work profile, 70% of dedicated, 90% of AOSP; Android Company Portal versions about 14%
//!   below 5.0.5291.0 and 0.5% unparseable (`5.0.x-beta`); Intune app about 15% below 2021.09.04;
//!   names `Intune Company Portal` (40% of Android, 4% of iOS) and `Google Play Services` (10%);
//!   Google Play services on 92-97% of GMS Android devices, never on AOSP; plus Outlook, Teams, Edge,
//!   Authenticator, OneDrive, Chrome, Managed Home Screen, desktop apps and a few with commas and
//!   accents in their names.
//! - Groups (17): "All iOS users", "All Android users", "Sales" > "Sales - EMEA" > "Sales - EMEA -
//!   France" and "Sales - Americas" (with device members), "Field Technicians", "Kiosk devices"
//!   (device members only), "Executives" <-> "Executive Assistants" (a cycle), "New hires (no device
//!   yet)", "Pilot: custom notifications" (the catalogue's users and three users without a device),
//!   "Contractors, external (B2B)", `Ops "on-call"`, "Équipe Support — Montréal", "Empty group",
//!   "Mixed: users and devices".

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::names;
use super::tenant::{SimApp, SimGroup, SimMember, SimTenant, SimUser};
use crate::inventory::classify::NIL_USER_ID;
use crate::rules::{RuleId, Status};
use crate::source::wire::{GraphDetectedApp, GraphDevice};

/// The tenant's verified domain (a reserved name: it resolves nowhere).
pub const DOMAIN: &str = "contoso.example";

/// Generates a tenant of exactly `devices` managed devices; the same `seed` and `now` give the same
/// tenant. See the module documentation for what it holds.
pub fn generate(devices: usize, seed: u64, now: DateTime<Utc>) -> SimTenant {
    let mut gen = Generator::new(devices, seed, now);
    let catalogue = catalogue();
    let mut catalogue_users = 0;
    gen.devices.reserve_exact(devices);
    for index in 0..devices {
        match catalogue.get(index) {
            Some(edge) => {
                let user = edge.spec.who.has_user().then(|| {
                    catalogue_users += 1;
                    (catalogue_users - 1) % gen.eligible
                });
                gen.push_device(&edge.spec, user);
                let platform = edge.spec.family.app_platform();
                for &(app, version) in edge.apps {
                    let v = APPS[app].versions.iter().position(|(name, _)| *name == version);
                    let v = v.unwrap_or_else(|| panic!("catalogue: {} has no version {version}", APPS[app].name));
                    gen.add_app(app, v, platform, index as u32);
                }
            }
            None => {
                let spec = gen.random_spec();
                let user = spec.who.has_user().then(|| gen.rng.random_range(0..gen.eligible));
                gen.push_device(&spec, user);
                gen.random_apps(&spec, index as u32);
            }
        }
    }
    let groups = gen.groups(catalogue_users.min(gen.eligible));
    let apps = gen.apps();
    SimTenant { tenant_id: gen.tenant_id, devices: gen.devices, apps, users: gen.users, groups }
}

// ---------------------------------------------------------------------------------------------------
// Apps
// ---------------------------------------------------------------------------------------------------

/// An app as detected apps list it; each version with its weight for random draws.
struct AppDef {
    name: &'static str,
    publisher: &'static str,
    versions: &'static [(&'static str, u32)],
}

/// Detected-app platforms (`detectedAppPlatformType`), indexed by [`Family::app_platform`].
const APP_PLATFORMS: [&str; 8] = [
    "ios",
    "androidWorkProfile",
    "androidDedicatedAndFullyManaged",
    "androidDeviceAdministrator",
    "androidOSP",
    "windows",
    "macOS",
    "unknown",
];

/// Indices into [`APPS`].
mod app {
    pub const CP_IOS: usize = 0;
    pub const CP_IOS_ALT: usize = 1;
    pub const CP_ANDROID: usize = 2;
    pub const CP_ANDROID_ALT: usize = 3;
    pub const INTUNE: usize = 4;
    pub const GPS: usize = 5;
    pub const GPS_ALT: usize = 6;
    pub const CP_WINDOWS: usize = 7;
    pub const CP_MAC: usize = 8;
    pub const OUTLOOK: usize = 9;
    pub const TEAMS: usize = 10;
    pub const EDGE: usize = 11;
    pub const AUTHENTICATOR: usize = 12;
    pub const ONEDRIVE: usize = 13;
    pub const COPILOT: usize = 14;
    pub const WHATSAPP: usize = 15;
    pub const SLACK: usize = 16;
    pub const ZOOM: usize = 17;
    pub const METEO: usize = 18;
    pub const NOTES: usize = 19;
    pub const CHROME_ANDROID: usize = 20;
    pub const WEBVIEW: usize = 21;
    pub const PLAY_STORE: usize = 22;
    pub const MANAGED_HOME_SCREEN: usize = 23;
    pub const M365_APPS: usize = 24;
    pub const CHROME_DESKTOP: usize = 25;
    pub const SEVEN_ZIP: usize = 26;
}

const MICROSOFT: &str = "Microsoft Corporation";
const GOOGLE: &str = "Google LLC";

/// Android Company Portal versions: about 14% below 5.0.5291.0, one unparseable.
const CP_ANDROID_VERSIONS: &[(&str, u32)] = &[
    ("5.0.6301.0", 300),
    ("5.0.6198.0", 250),
    ("5.0.6041.0", 150),
    ("5.0.5801.0", 100),
    ("5.0.5291.0", 30),
    ("5.0.5104.0", 60),
    ("5.0.4512.0", 80),
    ("5.0.x-beta", 5),
];
const CP_IOS_VERSIONS: &[(&str, u32)] =
    &[("5.2503.0", 30), ("5.2501.1", 25), ("5.2409.1", 20), ("5.2404.0", 15), ("5.2310.1", 10)];
/// Microsoft Intune app versions: about 15% below 2021.09.04.
const INTUNE_VERSIONS: &[(&str, u32)] = &[
    ("2024.11.01", 35),
    ("2024.06.03", 25),
    ("2023.10.02", 15),
    ("2022.05.01", 8),
    ("2021.09.04", 2),
    ("2021.08.02", 10),
    ("2020.11.03", 5),
];
const GPS_VERSIONS: &[(&str, u32)] = &[
    ("25.07.33 (190400-727829562)", 40),
    ("24.49.33 (190408-705604133)", 30),
    ("24.26.32 (190400-650348183)", 20),
    ("23.45.23 (190408-587558128)", 10),
];

static APPS: [AppDef; 27] = [
    AppDef { name: "Company Portal", publisher: MICROSOFT, versions: CP_IOS_VERSIONS },
    AppDef { name: "Intune Company Portal", publisher: MICROSOFT, versions: CP_IOS_VERSIONS },
    AppDef { name: "Company Portal", publisher: MICROSOFT, versions: CP_ANDROID_VERSIONS },
    AppDef { name: "Intune Company Portal", publisher: MICROSOFT, versions: CP_ANDROID_VERSIONS },
    AppDef { name: "Microsoft Intune", publisher: MICROSOFT, versions: INTUNE_VERSIONS },
    AppDef { name: "Google Play services", publisher: GOOGLE, versions: GPS_VERSIONS },
    AppDef { name: "Google Play Services", publisher: GOOGLE, versions: GPS_VERSIONS },
    AppDef { name: "Company Portal", publisher: MICROSOFT, versions: &[("11.2.1002.0", 60), ("11.2.1158.0", 40)] },
    AppDef { name: "Company Portal", publisher: MICROSOFT, versions: &[("5.2408.1", 50), ("5.2501.0", 50)] },
    AppDef { name: "Microsoft Outlook", publisher: MICROSOFT, versions: &[("4.2445.1", 60), ("4.2432.0", 40)] },
    AppDef { name: "Microsoft Teams", publisher: MICROSOFT, versions: &[("7.3.1", 50), ("7.1.0", 30), ("6.22.2", 20)] },
    AppDef { name: "Microsoft Edge", publisher: MICROSOFT, versions: &[("133.0.3065.69", 70), ("131.0.2903.86", 30)] },
    AppDef { name: "Microsoft Authenticator", publisher: MICROSOFT, versions: &[("6.8.21", 70), ("6.8.14", 30)] },
    AppDef { name: "OneDrive", publisher: MICROSOFT, versions: &[("16.4.1", 100)] },
    AppDef { name: "Microsoft 365 Copilot", publisher: MICROSOFT, versions: &[("16.93", 60), ("16.90", 40)] },
    AppDef { name: "WhatsApp Messenger", publisher: "WhatsApp LLC", versions: &[("25.2.80", 100)] },
    AppDef { name: "Slack", publisher: "Slack Technologies, LLC", versions: &[("25.01.10", 100)] },
    AppDef {
        name: "Zoom Workplace",
        publisher: "Zoom Video Communications, Inc.",
        versions: &[("6.3.5", 70), ("6.2.11", 30)],
    },
    AppDef { name: "Météo-France", publisher: "Météo-France", versions: &[("6.9.2", 100)] },
    AppDef { name: "Notes, Lists & \"Tasks\"", publisher: "Contoso Apps", versions: &[("2.0", 100)] },
    AppDef { name: "Chrome", publisher: GOOGLE, versions: &[("133.0.6943.49", 60), ("132.0.6834.163", 40)] },
    AppDef { name: "Android System WebView", publisher: GOOGLE, versions: &[("133.0.6943.49", 100)] },
    AppDef { name: "Google Play Store", publisher: GOOGLE, versions: &[("44.6.24-31", 100)] },
    AppDef { name: "Managed Home Screen", publisher: MICROSOFT, versions: &[("5.0.0.1", 70), ("4.1.3", 30)] },
    AppDef {
        name: "Microsoft 365 Apps for enterprise - en-us",
        publisher: MICROSOFT,
        versions: &[("16.0.18324.20194", 70), ("16.0.17928.20392", 30)],
    },
    AppDef { name: "Google Chrome", publisher: GOOGLE, versions: &[("133.0.6943.60", 100)] },
    AppDef { name: "7-Zip 24.09 (x64)", publisher: "Igor Pavlov", versions: &[("24.09", 100)] },
];

// ---------------------------------------------------------------------------------------------------
// Device specifications
// ---------------------------------------------------------------------------------------------------

/// What kind of device it is: decides the detected-app platform, its name and its apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
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
    /// Index into [`APP_PLATFORMS`].
    fn app_platform(self) -> usize {
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
enum Who {
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
    fn has_user(self) -> bool {
        matches!(self, Who::User | Who::IdOnly | Who::UpnShouting)
    }
}

/// `lastSyncDateTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SyncAt {
    /// A random time this many seconds before now (negative: after now), 7 fractional digits.
    Within(i64, i64),
    /// Exactly this many seconds before now (9 fractional digits, so the boundary is exact).
    Exact(i64),
    /// `0001-01-01T00:00:00Z`, Graph's placeholder for "never".
    Zero,
    Missing,
}

const DAY: i64 = 86_400;
const RECENT: SyncAt = SyncAt::Within(60, 3 * DAY);

/// `deviceName`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    /// Made up from the platform and the user.
    Auto,
    Fixed(&'static str),
}

/// Everything about a device but its id and its user.
#[derive(Debug, Clone, Copy)]
struct Spec {
    family: Family,
    os: Option<&'static str>,
    os_version: Option<&'static str>,
    device_type: Option<&'static str>,
    enrollment: Option<&'static str>,
    agent: Option<&'static str>,
    state: Option<&'static str>,
    owner: Option<&'static str>,
    owner_beta: Option<&'static str>,
    who: Who,
    sync: SyncAt,
    name: Name,
}

impl Spec {
    fn corporate(&self) -> bool {
        let owner = match self.owner {
            Some(v) if !v.trim().is_empty() => v,
            _ => self.owner_beta.unwrap_or(""),
        };
        owner == "company"
    }
}

const IOS_CORP: Spec = Spec {
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
    name: Name::Auto,
};
const IOS_PERSONAL: Spec =
    Spec { enrollment: Some("userEnrollment"), owner: Some("personal"), owner_beta: Some("personal"), ..IOS_CORP };
const PWP: Spec = Spec {
    family: Family::PersonalWorkProfile,
    os: Some("Android"),
    os_version: Some("14"),
    device_type: Some("androidForWork"),
    enrollment: Some("userEnrollment"),
    owner: Some("personal"),
    owner_beta: Some("personal"),
    ..IOS_CORP
};
const FULLY_MANAGED: Spec = Spec {
    family: Family::FullyManaged,
    device_type: Some("androidEnterprise"),
    enrollment: Some("androidEnterpriseFullyManaged"),
    owner: Some("company"),
    owner_beta: Some("company"),
    ..PWP
};
const DEDICATED: Spec = Spec {
    family: Family::Dedicated,
    enrollment: Some("androidEnterpriseDedicatedDevice"),
    who: Who::Nil,
    ..FULLY_MANAGED
};
const CORP_WORK_PROFILE: Spec = Spec {
    family: Family::CorporateWorkProfile,
    enrollment: Some("androidEnterpriseCorporateWorkProfile"),
    ..FULLY_MANAGED
};
const DEVICE_ADMIN: Spec = Spec {
    family: Family::DeviceAdmin,
    os_version: Some("10"),
    device_type: Some("android"),
    owner: Some("company"),
    owner_beta: Some("company"),
    ..PWP
};
const AOSP: Spec = Spec {
    family: Family::Aosp,
    os_version: Some("12"),
    device_type: Some("androidnGMS"),
    enrollment: Some("androidAOSPUserOwnedDeviceEnrollment"),
    agent: Some("intuneAosp"),
    owner: Some("company"),
    owner_beta: Some("company"),
    ..PWP
};
const ANDROID_UNKNOWN: Spec = Spec {
    family: Family::AndroidUnknown,
    device_type: Some("androidNext"),
    enrollment: Some("androidFutureMode"),
    ..PWP
};
const WINDOWS: Spec = Spec {
    family: Family::Windows,
    os: Some("Windows"),
    os_version: Some("10.0.22631.4890"),
    device_type: Some("desktop"),
    enrollment: Some("windowsAzureADJoin"),
    ..IOS_CORP
};
const MAC: Spec = Spec {
    family: Family::Mac,
    os: Some("macOS"),
    os_version: Some("15.3.1"),
    device_type: Some("macMDM"),
    enrollment: Some("appleBulkWithUser"),
    ..IOS_CORP
};
const OTHER: Spec = Spec {
    family: Family::Other,
    os: Some("Linux"),
    os_version: Some("24.04"),
    device_type: Some("linux"),
    enrollment: None,
    ..IOS_CORP
};

// ---------------------------------------------------------------------------------------------------
// The catalogue of edge cases
// ---------------------------------------------------------------------------------------------------

/// One hand-written device: what it shows, its fields, its apps (app, version) and the rule outcomes
/// it exists for (the test checks them).
#[cfg_attr(not(test), allow(dead_code))]
struct Edge {
    what: &'static str,
    spec: Spec,
    apps: &'static [(usize, &'static str)],
    covers: &'static [(RuleId, Status)],
}

const IOS_CP: (usize, &str) = (app::CP_IOS, "5.2409.1");
const CP_NEW: (usize, &str) = (app::CP_ANDROID, "5.0.6301.0");
const CP_OLD: (usize, &str) = (app::CP_ANDROID, "5.0.4512.0");
const CP_BETA: (usize, &str) = (app::CP_ANDROID, "5.0.x-beta");
const INTUNE_NEW: (usize, &str) = (app::INTUNE, "2024.11.01");
const GPS_OK: (usize, &str) = (app::GPS, "24.49.33 (190408-705604133)");

/// The edge cases the tenant starts with: one per rule outcome and per awkward value.
fn catalogue() -> Vec<Edge> {
    use RuleId::*;
    use Status::*;
    fn e(
        what: &'static str,
        spec: Spec,
        apps: &'static [(usize, &'static str)],
        covers: &'static [(RuleId, Status)],
    ) -> Edge {
        Edge { what, spec, apps, covers }
    }
    let mut list = vec![
        // supported-platform, company-portal and inventory completeness on iOS.
        e(
            "healthy corporate iPhone",
            IOS_CORP,
            &[IOS_CP, (app::OUTLOOK, "4.2445.1")][..],
            &[
                (SupportedPlatform, Pass),
                (MdmEnrolled, Pass),
                (HasRecipient, Pass),
                (CompanyPortal, Pass),
                (PortalVersion, NotApplicable),
                (GooglePlayServices, NotApplicable),
                (RecentCheckIn, Pass),
                (PushPermission, Unknown),
            ][..],
        ),
        e(
            "personal iPad on iPadOS with Company Portal",
            Spec { os: Some("iPadOS"), device_type: Some("iPad"), os_version: Some("18.1"), ..IOS_PERSONAL },
            &[IOS_CP],
            &[(SupportedPlatform, Pass), (CompanyPortal, Pass)],
        ),
        e(
            "personal iPhone (operatingSystem IOS) whose managed-app inventory lacks Company Portal",
            Spec { os: Some("IOS"), ..IOS_PERSONAL },
            &[(app::OUTLOOK, "4.2432.0")],
            &[(SupportedPlatform, Pass), (CompanyPortal, Unknown)],
        ),
        e(
            "corporate iPhone (operatingSystem ios) whose complete inventory lacks Company Portal",
            Spec { os: Some("ios"), ..IOS_CORP },
            &[(app::WHATSAPP, "25.2.80"), (app::TEAMS, "7.3.1")],
            &[(SupportedPlatform, Pass), (CompanyPortal, Fail)],
        ),
        e(
            "corporate by the beta ownerType alone, no Company Portal",
            Spec { owner: None, owner_beta: Some("company"), ..IOS_CORP },
            &[],
            &[(CompanyPortal, Fail)],
        ),
        e(
            "empty managedDeviceOwnerType, beta ownerType company, no Company Portal",
            Spec { owner: Some(""), owner_beta: Some("company"), ..IOS_CORP },
            &[],
            &[(CompanyPortal, Fail)],
        ),
        e(
            "ownership unknown, no Company Portal",
            Spec { owner: Some("unknown"), owner_beta: Some("unknown"), ..IOS_CORP },
            &[],
            &[(CompanyPortal, Unknown)],
        ),
        e(
            "personal by the beta ownerType alone, no Company Portal",
            Spec { owner: None, owner_beta: Some("personal"), ..IOS_CORP },
            &[],
            &[(CompanyPortal, Unknown)],
        ),
        e(
            "corporate iPhone listing Intune Company Portal",
            IOS_CORP,
            &[(app::CP_IOS_ALT, "5.2501.1")],
            &[(CompanyPortal, Pass)],
        ),
        // Android personal work profile: company-portal, portal-version, google-play-services.
        e(
            "personal work profile with current Company Portal and Google Play services",
            PWP,
            &[CP_NEW, GPS_OK, (app::OUTLOOK, "4.2445.1")],
            &[(SupportedPlatform, Pass), (CompanyPortal, Pass), (PortalVersion, Pass), (GooglePlayServices, Pass)],
        ),
        e(
            "personal work profile listing no apps",
            PWP,
            &[],
            &[(CompanyPortal, Unknown), (PortalVersion, NotApplicable), (GooglePlayServices, Unknown)],
        ),
        e(
            "personal work profile with Company Portal 5.0.4512.0 (below 5.0.5291.0)",
            PWP,
            &[CP_OLD, GPS_OK],
            &[(CompanyPortal, Pass), (PortalVersion, Fail)],
        ),
        e(
            "unparseable Company Portal version; Google Play Services capitalised",
            PWP,
            &[CP_BETA, (app::GPS_ALT, "25.07.33 (190400-727829562)")],
            &[(PortalVersion, Unknown), (GooglePlayServices, Pass)],
        ),
        e(
            "Company Portal exactly at the minimum 5.0.5291.0",
            PWP,
            &[(app::CP_ANDROID, "5.0.5291.0"), GPS_OK],
            &[(PortalVersion, Pass)],
        ),
        e(
            "two Company Portal versions listed, old and current",
            PWP,
            &[CP_OLD, (app::CP_ANDROID_ALT, "5.0.6198.0"), GPS_OK],
            &[(PortalVersion, Pass)],
        ),
        e(
            "two Company Portal versions listed, old and unparseable",
            PWP,
            &[CP_OLD, CP_BETA, GPS_OK],
            &[(PortalVersion, Unknown)],
        ),
        e(
            "operatingSystem android (lower case), Intune Company Portal name",
            Spec { os: Some("android"), ..PWP },
            &[(app::CP_ANDROID_ALT, "5.0.6301.0"), GPS_OK],
            &[(SupportedPlatform, Pass), (CompanyPortal, Pass)],
        ),
        e(
            "undocumented deviceEnrollmentType androidEnterpriseWorkProfile, Microsoft Intune app only",
            Spec { enrollment: Some("androidEnterpriseWorkProfile"), ..PWP },
            &[INTUNE_NEW, GPS_OK],
            &[(SupportedPlatform, Pass), (CompanyPortal, Pass), (PortalVersion, Pass)],
        ),
        e(
            "personal work profile without deviceEnrollmentType",
            Spec { enrollment: None, ..PWP },
            &[CP_NEW, GPS_OK],
            &[(SupportedPlatform, Pass)],
        ),
        // Android Enterprise corporate modes.
        e(
            "fully managed, Microsoft Intune app exactly 2021.09.04",
            FULLY_MANAGED,
            &[(app::INTUNE, "2021.09.04"), GPS_OK],
            &[(SupportedPlatform, Fail), (CompanyPortal, Pass), (PortalVersion, Pass), (GooglePlayServices, Pass)],
        ),
        e(
            "fully managed, Microsoft Intune app 2021.08.02 (below 2021.09.04)",
            FULLY_MANAGED,
            &[(app::INTUNE, "2021.08.02"), GPS_OK],
            &[(PortalVersion, Fail)],
        ),
        e(
            "fully managed whose complete inventory has neither receiving app nor Google Play services",
            FULLY_MANAGED,
            &[(app::CHROME_ANDROID, "133.0.6943.49")],
            &[(CompanyPortal, Fail), (PortalVersion, NotApplicable), (GooglePlayServices, Fail)],
        ),
        e(
            "fully managed, old Company Portal and current Intune app",
            FULLY_MANAGED,
            &[CP_OLD, INTUNE_NEW, GPS_OK],
            &[(PortalVersion, Pass)],
        ),
        e(
            "fully managed, managementAgent googleCloudDevicePolicyController",
            Spec { agent: Some("googleCloudDevicePolicyController"), ..FULLY_MANAGED },
            &[INTUNE_NEW, GPS_OK],
            &[(MdmEnrolled, Pass)],
        ),
        e(
            "dedicated kiosk: nil-GUID userId, empty UPN",
            Spec { name: Name::Fixed("KIOSK-LOBBY-01"), ..DEDICATED },
            &[INTUNE_NEW, GPS_OK, (app::MANAGED_HOME_SCREEN, "5.0.0.1")],
            &[(SupportedPlatform, Fail), (HasRecipient, Fail)],
        ),
        e(
            "dedicated, user fields missing, nothing installed",
            Spec { who: Who::Absent, ..DEDICATED },
            &[],
            &[(HasRecipient, Fail), (CompanyPortal, Fail), (GooglePlayServices, Fail)],
        ),
        e(
            "dedicated in shared device mode with a signed-in user",
            Spec { who: Who::User, ..DEDICATED },
            &[INTUNE_NEW, GPS_OK],
            &[(SupportedPlatform, Fail), (HasRecipient, Pass)],
        ),
        e(
            "corporate work profile with Company Portal and Google Play services",
            CORP_WORK_PROFILE,
            &[CP_NEW, GPS_OK],
            &[(SupportedPlatform, Unknown), (CompanyPortal, Pass), (GooglePlayServices, Pass)],
        ),
        e(
            "corporate work profile without Google Play services",
            CORP_WORK_PROFILE,
            &[INTUNE_NEW],
            &[(GooglePlayServices, Fail)],
        ),
        e(
            "managementAgent google",
            Spec { agent: Some("google"), ..CORP_WORK_PROFILE },
            &[INTUNE_NEW, GPS_OK],
            &[(MdmEnrolled, Pass)],
        ),
        e(
            "corporate device administrator with nothing installed",
            DEVICE_ADMIN,
            &[],
            &[(SupportedPlatform, Unknown), (CompanyPortal, Fail), (GooglePlayServices, Fail)],
        ),
        e(
            "personal device administrator with an old Company Portal",
            Spec { owner: Some("personal"), owner_beta: Some("personal"), ..DEVICE_ADMIN },
            &[CP_OLD],
            &[(CompanyPortal, Pass), (PortalVersion, Fail), (GooglePlayServices, Unknown)],
        ),
        e(
            "AOSP user-owned with the Microsoft Intune app",
            AOSP,
            &[INTUNE_NEW],
            &[(SupportedPlatform, Fail), (MdmEnrolled, Pass), (GooglePlayServices, Fail)],
        ),
        e(
            "AOSP userless, nothing installed",
            Spec { enrollment: Some("androidAOSPUserlessDeviceEnrollment"), who: Who::Nil, ..AOSP },
            &[],
            &[(CompanyPortal, Unknown), (GooglePlayServices, Fail), (HasRecipient, Fail)],
        ),
        e("AOSP that lists Google Play services anyway", AOSP, &[INTUNE_NEW, GPS_OK], &[(GooglePlayServices, Fail)]),
        e(
            "AOSP known only by managementAgent intuneAosp",
            Spec { enrollment: None, device_type: None, ..AOSP },
            &[INTUNE_NEW],
            &[(SupportedPlatform, Fail), (GooglePlayServices, Fail)],
        ),
        e(
            "Android with future enum values (androidFutureMode, androidNext)",
            ANDROID_UNKNOWN,
            &[CP_NEW, GPS_OK],
            &[(SupportedPlatform, Unknown), (CompanyPortal, Pass)],
        ),
        e(
            "Android without any mode field, nothing installed",
            Spec { enrollment: None, device_type: None, ..ANDROID_UNKNOWN },
            &[],
            &[(SupportedPlatform, Unknown), (CompanyPortal, Unknown), (GooglePlayServices, Unknown)],
        ),
        // Platforms the feature does not support.
        e(
            "Windows with Company Portal",
            WINDOWS,
            &[(app::CP_WINDOWS, "11.2.1158.0"), (app::EDGE, "133.0.3065.69")],
            &[
                (SupportedPlatform, Fail),
                (CompanyPortal, NotApplicable),
                (PortalVersion, NotApplicable),
                (GooglePlayServices, NotApplicable),
            ],
        ),
        e("macOS with Company Portal", MAC, &[(app::CP_MAC, "5.2501.0")], &[(SupportedPlatform, Fail)]),
        e("Linux", OTHER, &[], &[(SupportedPlatform, Fail), (CompanyPortal, NotApplicable)]),
        e(
            "ChromeOS managed by googleCloudDevicePolicyController",
            Spec {
                os: Some("ChromeOS"),
                os_version: Some("132.0.6834.164"),
                device_type: Some("chromeOS"),
                agent: Some("googleCloudDevicePolicyController"),
                ..OTHER
            },
            &[],
            &[(SupportedPlatform, Fail), (MdmEnrolled, Pass)],
        ),
        e(
            "empty operatingSystem",
            Spec { os: Some(""), os_version: Some(""), device_type: Some("unknown"), ..OTHER },
            &[],
            &[(SupportedPlatform, Unknown), (CompanyPortal, NotApplicable), (GooglePlayServices, NotApplicable)],
        ),
        e(
            "missing operatingSystem",
            Spec { os: None, os_version: None, device_type: None, ..OTHER },
            &[],
            &[(SupportedPlatform, Unknown)],
        ),
        e(
            "blank operatingSystem",
            Spec { os: Some("   "), os_version: None, ..OTHER },
            &[],
            &[(SupportedPlatform, Unknown)],
        ),
        // mdm-enrolled: known MDM agents pass.
        e("managementAgent easMdm", Spec { agent: Some("easMdm"), ..IOS_CORP }, &[IOS_CP], &[(MdmEnrolled, Pass)]),
        e(
            "co-managed Windows (configurationManagerClientMdm)",
            Spec { agent: Some("configurationManagerClientMdm"), enrollment: Some("windowsCoManagement"), ..WINDOWS },
            &[],
            &[(MdmEnrolled, Pass)],
        ),
        e(
            "managementAgent configurationManagerClientMdmEas",
            Spec { agent: Some("configurationManagerClientMdmEas"), ..WINDOWS },
            &[],
            &[(MdmEnrolled, Pass)],
        ),
        e(
            "managementAgent microsoft365ManagedMdm",
            Spec { agent: Some("microsoft365ManagedMdm"), ..IOS_PERSONAL },
            &[IOS_CP],
            &[(MdmEnrolled, Pass)],
        ),
        e("managementState missing, agent mdm", Spec { state: None, ..IOS_CORP }, &[IOS_CP], &[(MdmEnrolled, Pass)]),
        // mdm-enrolled: other known agents fail.
        e(
            "Exchange ActiveSync-only record (managementAgent eas)",
            Spec { agent: Some("eas"), enrollment: Some("unknown"), ..IOS_PERSONAL },
            &[],
            &[(MdmEnrolled, Fail)],
        ),
        e(
            "managementAgent easIntuneClient",
            Spec { agent: Some("easIntuneClient"), ..PWP },
            &[CP_NEW, GPS_OK],
            &[(MdmEnrolled, Fail)],
        ),
        e(
            "managementAgent intuneClient (PC agent)",
            Spec { agent: Some("intuneClient"), ..WINDOWS },
            &[],
            &[(MdmEnrolled, Fail)],
        ),
        e(
            "managementAgent configurationManagerClient (ConfigMgr only)",
            Spec { agent: Some("configurationManagerClient"), ..WINDOWS },
            &[],
            &[(MdmEnrolled, Fail)],
        ),
        e(
            "Mac managed by Jamf (managementAgent jamf)",
            Spec { agent: Some("jamf"), ..MAC },
            &[],
            &[(MdmEnrolled, Fail)],
        ),
        e(
            "Defender for Endpoint only (managementAgent msSense)",
            Spec { agent: Some("msSense"), ..WINDOWS },
            &[],
            &[(MdmEnrolled, Fail)],
        ),
        e("managementAgent unknown", Spec { agent: Some("unknown"), ..IOS_CORP }, &[IOS_CP], &[(MdmEnrolled, Fail)]),
        // mdm-enrolled: missing or unrecognised agents are unknown.
        e("managementAgent missing", Spec { agent: None, ..IOS_CORP }, &[IOS_CP], &[(MdmEnrolled, Unknown)]),
        e(
            "managementAgent unknownFutureValue",
            Spec { agent: Some("unknownFutureValue"), ..IOS_CORP },
            &[IOS_CP],
            &[(MdmEnrolled, Unknown)],
        ),
        e(
            "managementAgent made up (intuneNextGenAgent)",
            Spec { agent: Some("intuneNextGenAgent"), ..PWP },
            &[CP_NEW, GPS_OK],
            &[(MdmEnrolled, Unknown)],
        ),
        // mdm-enrolled: states.
        e("retirePending", Spec { state: Some("retirePending"), ..IOS_CORP }, &[IOS_CP], &[(MdmEnrolled, Fail)]),
        e("retireIssued", Spec { state: Some("retireIssued"), ..PWP }, &[CP_NEW, GPS_OK], &[(MdmEnrolled, Fail)]),
        e("retireFailed", Spec { state: Some("retireFailed"), ..WINDOWS }, &[], &[(MdmEnrolled, Fail)]),
        e(
            "wipePending",
            Spec { state: Some("wipePending"), ..FULLY_MANAGED },
            &[INTUNE_NEW, GPS_OK],
            &[(MdmEnrolled, Fail)],
        ),
        e("wipeIssued", Spec { state: Some("wipeIssued"), ..IOS_PERSONAL }, &[IOS_CP], &[(MdmEnrolled, Fail)]),
        e("wipeFailed", Spec { state: Some("wipeFailed"), ..MAC }, &[], &[(MdmEnrolled, Fail)]),
        e("deletePending", Spec { state: Some("deletePending"), ..IOS_CORP }, &[IOS_CP], &[(MdmEnrolled, Fail)]),
        e(
            "managementState unhealthy",
            Spec { state: Some("unhealthy"), ..IOS_CORP },
            &[IOS_CP],
            &[(MdmEnrolled, Unknown)],
        ),
        e(
            "managementState discovered",
            Spec { state: Some("discovered"), ..PWP },
            &[CP_NEW, GPS_OK],
            &[(MdmEnrolled, Unknown)],
        ),
        e(
            "managementState retireCanceled",
            Spec { state: Some("retireCanceled"), ..IOS_CORP },
            &[IOS_CP],
            &[(MdmEnrolled, Unknown)],
        ),
        e(
            "managementState wipeCanceled",
            Spec { state: Some("wipeCanceled"), ..IOS_CORP },
            &[IOS_CP],
            &[(MdmEnrolled, Unknown)],
        ),
        e(
            "managementState made up (quarantinedByPartner)",
            Spec { state: Some("quarantinedByPartner"), ..IOS_CORP },
            &[IOS_CP],
            &[(MdmEnrolled, Unknown)],
        ),
        e(
            "Exchange-only agent and unhealthy state: fail wins",
            Spec { agent: Some("eas"), state: Some("unhealthy"), ..IOS_CORP },
            &[IOS_CP],
            &[(MdmEnrolled, Fail)],
        ),
        e(
            "made-up agent and retirePending: fail wins",
            Spec { agent: Some("intuneNextGenAgent"), state: Some("retirePending"), ..IOS_CORP },
            &[IOS_CP],
            &[(MdmEnrolled, Fail)],
        ),
        e(
            "missing agent and discovered state",
            Spec { agent: None, state: Some("discovered"), ..IOS_CORP },
            &[IOS_CP],
            &[(MdmEnrolled, Unknown)],
        ),
        // has-recipient.
        e(
            "shared iPad without a user (appleBulkWithoutUser)",
            Spec {
                who: Who::Absent,
                device_type: Some("iPad"),
                enrollment: Some("appleBulkWithoutUser"),
                name: Name::Fixed("Shared iPad 07"),
                ..IOS_CORP
            },
            &[IOS_CP],
            &[(HasRecipient, Fail), (CompanyPortal, Pass)],
        ),
        e("userId only, no UPN", Spec { who: Who::IdOnly, ..IOS_CORP }, &[IOS_CP], &[(HasRecipient, Pass)]),
        e(
            "UPN in upper case on the device",
            Spec { who: Who::UpnShouting, ..IOS_PERSONAL },
            &[IOS_CP],
            &[(HasRecipient, Pass)],
        ),
        e(
            "user fields empty strings",
            Spec { who: Who::Empty, ..FULLY_MANAGED },
            &[INTUNE_NEW, GPS_OK],
            &[(HasRecipient, Fail)],
        ),
        e(
            "userless Windows kiosk (windowsBulkUserless, nil userId)",
            Spec { who: Who::Nil, enrollment: Some("windowsBulkUserless"), ..WINDOWS },
            &[],
            &[(HasRecipient, Fail)],
        ),
        // recent-check-in.
        e(
            "last sync exactly 30 days ago",
            Spec { sync: SyncAt::Exact(30 * DAY), ..IOS_CORP },
            &[IOS_CP],
            &[(RecentCheckIn, Pass)],
        ),
        e(
            "last sync 30 days and 1 second ago",
            Spec { sync: SyncAt::Exact(30 * DAY + 1), ..IOS_CORP },
            &[IOS_CP],
            &[(RecentCheckIn, Fail)],
        ),
        e(
            "last sync 1 second inside 30 days",
            Spec { sync: SyncAt::Exact(30 * DAY - 1), ..PWP },
            &[CP_NEW, GPS_OK],
            &[(RecentCheckIn, Pass)],
        ),
        e(
            "last sync 200 days ago",
            Spec { sync: SyncAt::Exact(200 * DAY + 3_723), ..PWP },
            &[CP_NEW, GPS_OK],
            &[(RecentCheckIn, Fail)],
        ),
        e(
            "last sync 3 hours in the future",
            Spec { sync: SyncAt::Exact(-3 * 3_600), ..IOS_CORP },
            &[IOS_CP],
            &[(RecentCheckIn, Pass)],
        ),
        e(
            "last sync 0001-01-01T00:00:00Z",
            Spec { sync: SyncAt::Zero, ..IOS_CORP },
            &[IOS_CP],
            &[(RecentCheckIn, Unknown)],
        ),
        e(
            "last sync missing",
            Spec { sync: SyncAt::Missing, ..FULLY_MANAGED },
            &[INTUNE_NEW, GPS_OK],
            &[(RecentCheckIn, Unknown)],
        ),
    ];
    // Awkward device names, on otherwise healthy devices.
    let awkward = names::AWKWARD_DEVICE_NAMES.iter().copied().chain(std::iter::once(names::LONG_DEVICE_NAME));
    for (i, name) in awkward.enumerate() {
        let (spec, apps): (Spec, &'static [(usize, &'static str)]) =
            if i % 2 == 0 { (IOS_CORP, &[IOS_CP]) } else { (PWP, &[CP_NEW, GPS_OK]) };
        list.push(e("awkward device name", Spec { name: Name::Fixed(name), ..spec }, apps, &[(HasRecipient, Pass)]));
    }
    list
}

// ---------------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------------

const IOS_VERSIONS: &[&str] =
    &["18.3.2", "18.3.1", "18.2.1", "18.1", "17.7.2", "17.6.1", "17.5.1", "16.7.10", "15.8.3"];
const ANDROID_VERSIONS: &[&str] = &["15", "14", "14", "13", "13", "12", "11", "10", "9"];
const WINDOWS_VERSIONS: &[&str] =
    &["10.0.26100.3194", "10.0.22631.4890", "10.0.22621.4317", "10.0.19045.5487", "10.0.19044.5131"];
const MAC_VERSIONS: &[&str] = &["15.3.1", "15.2", "14.7.4", "14.6.1", "13.7.4"];

/// Upper-case letters and digits without the look-alikes (serial numbers, Windows names).
const SERIAL_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Per-user flags, for the groups built from device facts.
const HAS_IOS: u8 = 1;
const HAS_ANDROID: u8 = 2;
const FIELD: u8 = 4;

struct Generator {
    rng: ChaCha8Rng,
    now: DateTime<Utc>,
    tenant_id: String,
    users: Vec<SimUser>,
    /// Index into [`names::FIRST_NAMES`] of each user (for device names).
    user_first: Vec<u16>,
    user_flags: Vec<u8>,
    guests: Vec<usize>,
    /// Users `0..eligible` may own devices; the others never do.
    eligible: usize,
    devices: Vec<GraphDevice<'static>>,
    /// XOR mask over the device index written into each device id, so ids are unique by construction.
    device_mask: u32,
    /// Device lists per app version and platform: `[(APPS offset + version) * platforms + platform]`.
    buckets: Vec<Vec<u32>>,
    /// First bucket row of each app of [`APPS`].
    app_offsets: Vec<usize>,
    /// Userless dedicated and AOSP devices (members of "Kiosk devices").
    kiosks: Vec<u32>,
}

impl Generator {
    fn new(devices: usize, seed: u64, now: DateTime<Utc>) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let tenant_id = guid(&mut rng, None);
        let device_mask = rng.random();
        let mut app_offsets = Vec::with_capacity(APPS.len());
        let mut rows = 0;
        for def in &APPS {
            app_offsets.push(rows);
            rows += def.versions.len();
        }
        let user_count = (devices * 7 / 10).max(60);
        let reserved = (user_count / 25).max(5);
        let mut gen = Generator {
            rng,
            now,
            tenant_id,
            users: Vec::with_capacity(user_count),
            user_first: Vec::with_capacity(user_count),
            user_flags: vec![0; user_count],
            guests: Vec::new(),
            eligible: user_count - reserved,
            devices: Vec::new(),
            device_mask,
            buckets: vec![Vec::new(); rows * APP_PLATFORMS.len()],
            app_offsets,
            kiosks: Vec::new(),
        };
        gen.make_users(user_count);
        gen
    }

    /// Draws true `bp` times in 10,000.
    fn chance(&mut self, bp: u32) -> bool {
        self.rng.random_range(0..10_000) < bp
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }

    fn make_users(&mut self, count: usize) {
        let (nf, nl) = (names::FIRST_NAMES.len(), names::LAST_NAMES.len());
        let m = nf * nl;
        // A random bijection over name pairs, so the first `m` users have distinct names and the rest
        // repeat them with a number: UPNs are unique without a set.
        let a = loop {
            let a = self.rng.random_range(1..m);
            if gcd(a, m) == 1 {
                break a;
            }
        };
        let b = self.rng.random_range(0..m);
        let mask: u32 = self.rng.random();
        for i in 0..count {
            let p = ((i % m) * a + b) % m;
            let suffix = i / m;
            let (first, last) = (names::FIRST_NAMES[p / nl], names::LAST_NAMES[p % nl]);
            let id = guid(&mut self.rng, Some(i as u32 ^ mask));
            let form = self.rng.random_range(0..10_000u32);
            let style = self.rng.random_range(0..10_000u32);
            let guest = form < 50;
            let mut upn = String::with_capacity(48);
            if form < 1_050 && !guest {
                push_capitalised(&mut upn, first.1);
                upn.push('.');
                push_capitalised(&mut upn, last.1);
            } else {
                upn.push_str(first.1);
                upn.push('.');
                upn.push_str(last.1);
            }
            if suffix > 0 {
                let _ = write!(upn, "{suffix}");
            }
            if guest {
                upn.push_str("_fabrikam.example#EXT#");
                self.guests.push(i);
            }
            upn.push('@');
            upn.push_str(DOMAIN);
            let mut display = String::with_capacity(first.0.len() + last.0.len() + 16);
            if guest {
                let _ = write!(display, "{} {} (Fabrikam)", first.0, last.0);
            } else if style < 700 {
                let _ = write!(display, "{}, {}", last.0, first.0);
            } else if style < 900 {
                let nick = names::NICKNAMES[style as usize % names::NICKNAMES.len()];
                let _ = write!(display, "{} \"{nick}\" {}", first.0, last.0);
            } else if style < 1_200 {
                let _ = write!(display, "{} {} (Contractor)", first.0, last.0);
            } else {
                display.push_str(first.0);
                display.push(' ');
                display.push_str(last.0);
            }
            self.users.push(SimUser { id, user_principal_name: upn, display_name: display });
            self.user_first.push((p / nl) as u16);
        }
    }

    // ---- devices

    fn random_spec(&mut self) -> Spec {
        let r = self.rng.random_range(0..10_000u32);
        let mut spec = match r {
            0..4_000 => self.random_ios(),
            4_000..8_000 => self.random_android(),
            8_000..9_200 => self.random_windows(),
            9_200..9_700 => self.random_mac(),
            _ => self.random_other(),
        };
        let phone = !matches!(spec.family, Family::Windows | Family::Mac | Family::Other);
        // managementAgent noise on top of the platform's own agents.
        let r = self.rng.random_range(0..10_000u32);
        spec.agent = match r {
            0..150 if phone => Some("eas"),
            150..300 if phone => Some("easMdm"),
            300..320 => Some("microsoft365ManagedMdm"),
            320..340 => Some("unknown"),
            340..345 => Some("intuneNextGenAgent"),
            345..365 => None,
            _ => spec.agent,
        };
        let r = self.rng.random_range(0..10_000u32);
        spec.state = match r {
            0..80 => Some("retirePending"),
            80..100 => Some("retireIssued"),
            100..120 => Some("retireFailed"),
            120..150 => Some("wipePending"),
            150..160 => Some("wipeIssued"),
            160..170 => Some("wipeFailed"),
            170..200 => Some("deletePending"),
            200..350 => Some("unhealthy"),
            350..390 => Some("discovered"),
            390..400 => Some("retireCanceled"),
            400..405 => Some("wipeCanceled"),
            405..410 => Some("quarantinedByPartner"),
            410..450 => None,
            _ => Some("managed"),
        };
        let r = self.rng.random_range(0..10_000u32);
        spec.sync = match r {
            0..40 => SyncAt::Within(-36 * 3_600, -60),
            40..80 => SyncAt::Zero,
            80..120 => SyncAt::Missing,
            120..130 => SyncAt::Exact(30 * DAY),
            130..930 => SyncAt::Within(31 * DAY, 400 * DAY),
            930..1_500 => SyncAt::Within(7 * DAY, 30 * DAY - 60),
            _ => SyncAt::Within(0, 7 * DAY),
        };
        let r = self.rng.random_range(0..10_000u32);
        match r {
            0..150 => {
                spec.owner = Some("unknown");
                spec.owner_beta = Some("unknown");
            }
            150..450 => spec.owner = None,
            _ => {}
        }
        if spec.who == Who::User && self.chance(30) {
            spec.who = Who::IdOnly;
        }
        if self.chance(30) {
            spec.name = Name::Fixed(if self.chance(500) {
                names::LONG_DEVICE_NAME
            } else {
                self.pick(names::AWKWARD_DEVICE_NAMES)
            });
        }
        spec
    }

    fn owner(&mut self, company_bp: u32, spec: &mut Spec) {
        let owner = if self.chance(company_bp) { "company" } else { "personal" };
        spec.owner = Some(owner);
        spec.owner_beta = Some(owner);
    }

    fn userless(&mut self) -> Who {
        match self.rng.random_range(0..100u32) {
            0..50 => Who::Nil,
            50..85 => Who::Absent,
            _ => Who::Empty,
        }
    }

    fn random_ios(&mut self) -> Spec {
        let mut spec = IOS_CORP;
        let r = self.rng.random_range(0..10_000u32);
        spec.os = Some(match r {
            0..8_600 => "iOS",
            8_600..9_600 => "iPadOS",
            9_600..9_800 => "IOS",
            _ => "ios",
        });
        let ipad = (8_600..9_600).contains(&r) || self.chance(1_200);
        spec.device_type = Some(if ipad { "iPad" } else { "iPhone" });
        spec.os_version = Some(self.pick(IOS_VERSIONS));
        self.owner(4_500, &mut spec);
        let r = self.rng.random_range(0..100u32);
        spec.enrollment = Some(if spec.owner == Some("company") {
            match r {
                0..85 => "appleBulkWithUser",
                85..90 => "deviceEnrollmentManager",
                _ => "userEnrollment",
            }
        } else {
            match r {
                0..75 => "userEnrollment",
                75..90 => "appleUserEnrollment",
                _ => "appleAccountDrivenUserEnrollment",
            }
        });
        if spec.owner == Some("company") && self.chance(150) {
            spec.who = self.userless();
            spec.device_type = Some("iPad");
            spec.enrollment = Some("appleBulkWithoutUser");
        }
        spec
    }

    fn random_android(&mut self) -> Spec {
        let r = self.rng.random_range(0..10_000u32);
        let mut spec = match r {
            0..4_500 => {
                let mut spec = PWP;
                let r = self.rng.random_range(0..100u32);
                spec.enrollment = match r {
                    0..85 => Some("userEnrollment"),
                    85..95 => None,
                    _ => Some("androidEnterpriseWorkProfile"),
                };
                spec
            }
            4_500..6_500 => FULLY_MANAGED,
            6_500..7_300 => {
                let mut spec = DEDICATED;
                spec.who = if self.chance(7_000) { self.userless() } else { Who::User };
                spec
            }
            7_300..8_500 => CORP_WORK_PROFILE,
            8_500..9_300 => {
                let mut spec = DEVICE_ADMIN;
                self.owner(3_000, &mut spec);
                spec
            }
            9_300..9_800 => {
                let mut spec = AOSP;
                if self.chance(3_500) {
                    spec.enrollment = Some("androidAOSPUserlessDeviceEnrollment");
                    spec.who = self.userless();
                }
                if self.chance(500) {
                    spec.agent = Some("mdm");
                }
                spec
            }
            _ => {
                let mut spec = ANDROID_UNKNOWN;
                let r = self.rng.random_range(0..4u32);
                match r {
                    0 => (spec.enrollment, spec.device_type) = (None, None),
                    1 => (spec.enrollment, spec.device_type) = (Some("unknownFutureValue"), Some("unknown")),
                    _ => {}
                }
                spec
            }
        };
        if matches!(spec.family, Family::FullyManaged | Family::Dedicated | Family::CorporateWorkProfile)
            && self.chance(1_500)
        {
            spec.agent = Some("googleCloudDevicePolicyController");
        }
        let r = self.rng.random_range(0..100u32);
        spec.os = Some(match r {
            0 => "android",
            1 => "ANDROID",
            _ => "Android",
        });
        spec.os_version =
            Some(if spec.family == Family::Aosp { self.pick(&["12", "10"]) } else { self.pick(ANDROID_VERSIONS) });
        spec
    }

    fn random_windows(&mut self) -> Spec {
        let mut spec = WINDOWS;
        spec.os_version = Some(self.pick(WINDOWS_VERSIONS));
        self.owner(9_200, &mut spec);
        let r = self.rng.random_range(0..100u32);
        spec.device_type = Some(match r {
            0 => "windowsRT",
            1 | 2 => "cloudPC",
            _ => "desktop",
        });
        let r = self.rng.random_range(0..100u32);
        spec.enrollment = Some(match r {
            0..55 => "windowsAzureADJoin",
            55..80 => "windowsAutoEnrollment",
            80..95 => "windowsCoManagement",
            95..98 => "windowsAzureADJoinUsingDeviceAuth",
            _ => "windowsBulkUserless",
        });
        if spec.enrollment == Some("windowsBulkUserless") {
            spec.who = self.userless();
        }
        let r = self.rng.random_range(0..100u32);
        spec.agent = Some(match r {
            0..28 => "configurationManagerClientMdm",
            28..32 => "configurationManagerClient",
            32..36 => "msSense",
            36..38 => "configurationManagerClientMdmEas",
            38..40 => "intuneClient",
            _ => "mdm",
        });
        spec
    }

    fn random_mac(&mut self) -> Spec {
        let mut spec = MAC;
        spec.os_version = Some(self.pick(MAC_VERSIONS));
        self.owner(9_000, &mut spec);
        if self.chance(3_000) {
            spec.enrollment = Some("userEnrollment");
        }
        if self.chance(800) {
            spec.agent = Some("jamf");
        }
        spec
    }

    fn random_other(&mut self) -> Spec {
        let mut spec = OTHER;
        let r = self.rng.random_range(0..10u32);
        match r {
            0..5 => spec.os_version = Some(self.pick(&["24.04", "22.04", "9.5"])),
            5 | 6 => {
                spec.os = Some("ChromeOS");
                spec.os_version = Some("132.0.6834.164");
                spec.device_type = Some("chromeOS");
                spec.agent = Some("googleCloudDevicePolicyController");
            }
            7 => (spec.os, spec.os_version, spec.device_type) = (Some("Unknown"), Some(""), Some("unknown")),
            8 => (spec.os, spec.os_version, spec.device_type) = (Some(""), Some(""), Some("unknown")),
            _ => (spec.os, spec.os_version, spec.device_type) = (None, None, None),
        }
        self.owner(8_000, &mut spec);
        spec
    }

    /// Makes the device of `spec` (owned by `user` when the spec has one) and appends it.
    fn push_device(&mut self, spec: &Spec, user: Option<usize>) {
        let index = self.devices.len();
        let id = guid(&mut self.rng, Some(index as u32 ^ self.device_mask));
        let name: Cow<'static, str> = match spec.name {
            Name::Fixed(name) => Cow::Borrowed(name),
            Name::Auto => Cow::Owned(self.auto_name(spec, user)),
        };
        let owned = |s: &str| Some(Cow::Owned(s.to_owned()));
        let (user_id, upn, display) = match (spec.who, user) {
            (Who::User, Some(u)) => {
                let user = &self.users[u];
                (owned(&user.id), owned(&user.user_principal_name), owned(&user.display_name))
            }
            (Who::UpnShouting, Some(u)) => {
                let user = &self.users[u];
                (owned(&user.id), Some(Cow::Owned(user.user_principal_name.to_uppercase())), owned(&user.display_name))
            }
            (Who::IdOnly, Some(u)) => {
                (owned(&self.users[u].id), if index % 2 == 0 { None } else { Some(Cow::Borrowed("")) }, None)
            }
            (Who::Nil, _) => (Some(Cow::Borrowed(NIL_USER_ID)), Some(Cow::Borrowed("")), Some(Cow::Borrowed(""))),
            (Who::Empty, _) => (Some(Cow::Borrowed("")), Some(Cow::Borrowed("")), Some(Cow::Borrowed(""))),
            _ => (None, None, None),
        };
        if let Some(u) = user {
            self.user_flags[u] |= match spec.family {
                Family::Ios => HAS_IOS,
                Family::FullyManaged | Family::Dedicated | Family::Aosp => HAS_ANDROID | FIELD,
                Family::PersonalWorkProfile
                | Family::CorporateWorkProfile
                | Family::DeviceAdmin
                | Family::AndroidUnknown => HAS_ANDROID,
                Family::Windows | Family::Mac | Family::Other => 0,
            };
        } else if matches!(spec.family, Family::Dedicated | Family::Aosp) {
            self.kiosks.push(index as u32);
        }
        let sync = self.sync_time(spec.sync);
        self.devices.push(GraphDevice {
            id: Some(Cow::Owned(id)),
            device_name: Some(name),
            user_id,
            user_principal_name: upn,
            user_display_name: display,
            enrolled_by_user_principal_name: None,
            operating_system: spec.os.map(Cow::Borrowed),
            os_version: spec.os_version.map(Cow::Borrowed),
            device_type: spec.device_type.map(Cow::Borrowed),
            device_enrollment_type: spec.enrollment.map(Cow::Borrowed),
            management_agent: spec.agent.map(Cow::Borrowed),
            management_state: spec.state.map(Cow::Borrowed),
            managed_device_owner_type: spec.owner.map(Cow::Borrowed),
            owner_type: spec.owner_beta.map(Cow::Borrowed),
            last_sync_date_time: sync,
        });
    }

    fn sync_time(&mut self, sync: SyncAt) -> Option<Cow<'static, str>> {
        match sync {
            SyncAt::Missing => None,
            SyncAt::Zero => Some(Cow::Borrowed("0001-01-01T00:00:00Z")),
            SyncAt::Exact(secs) => Some(Cow::Owned(rfc3339(self.now - TimeDelta::seconds(secs), 9))),
            SyncAt::Within(from, to) => {
                let secs = self.rng.random_range(from..to);
                let nanos = self.rng.random_range(0..1_000_000_000);
                let time = self.now - TimeDelta::seconds(secs) - TimeDelta::nanoseconds(nanos);
                Some(Cow::Owned(rfc3339(time, 7)))
            }
        }
    }

    /// A device name as users, Apple, Intune's naming templates and OEMs make them.
    fn auto_name(&mut self, spec: &Spec, user: Option<usize>) -> String {
        let mut name = String::with_capacity(40);
        let first = user.map(|u| names::FIRST_NAMES[self.user_first[u] as usize].0);
        let r = self.rng.random_range(0..100u32);
        let template = |gen: &mut Self, name: &mut String, kind: &str| {
            // Every UPN ends with `@` DOMAIN: the part before it, without searching for the `@`.
            let prefix = user.map_or("device", |u| {
                let upn = gen.users[u].user_principal_name.as_str();
                &upn[..upn.len() - DOMAIN.len() - 1]
            });
            name.push_str(prefix);
            name.push('_');
            name.push_str(kind);
            name.push('_');
            let minutes = gen.rng.random_range(0..3 * 365 * 24 * 60);
            let t = gen.now - TimeDelta::minutes(minutes);
            let (pm, hour) = t.hour12();
            let _ = write!(
                name,
                "{}/{}/{}_{}:{:02} {}",
                t.month(),
                t.day(),
                t.year(),
                hour,
                t.minute(),
                if pm { "PM" } else { "AM" }
            );
        };
        match spec.family {
            Family::Ios => {
                let kind = if spec.device_type == Some("iPad") { "iPad" } else { "iPhone" };
                match (r, first) {
                    (0..55, Some(first)) => {
                        name.push_str(first);
                        name.push_str(if r < 45 { "’s " } else { "'s " });
                        name.push_str(kind);
                    }
                    (55..70, _) => name.push_str(kind),
                    (70..80, Some(_)) => template(self, &mut name, kind),
                    _ => self.push_serial(&mut name, 12),
                }
            }
            Family::Windows => match r {
                0..45 => {
                    name.push_str("DESKTOP-");
                    self.push_serial(&mut name, 7);
                }
                45..65 => {
                    name.push_str("LAPTOP-");
                    self.push_serial(&mut name, 8);
                }
                65..95 => {
                    let n = self.rng.random_range(0..100_000u32);
                    let _ = write!(name, "CONTOSO-{n:05}");
                }
                _ => {
                    name.push_str("CPC-");
                    self.push_serial(&mut name, 5);
                }
            },
            Family::Mac => match (r, first) {
                (0..60, Some(first)) => {
                    name.push_str(first);
                    name.push_str("’s MacBook Pro");
                }
                (60..80, _) => name.push_str("MacBook Air"),
                _ => self.push_serial(&mut name, 12),
            },
            Family::Other => {
                name.push_str(if spec.os == Some("ChromeOS") { "Chromebook-" } else { "ubuntu-" });
                self.push_serial(&mut name, 6);
            }
            Family::Dedicated | Family::Aosp if user.is_none() => {
                if r < 50 {
                    let n = self.rng.random_range(0..10_000u32);
                    let _ = write!(name, "KIOSK-{n:04}");
                } else {
                    name.push_str(self.pick(names::ANDROID_MODELS));
                    name.push('-');
                    self.push_serial(&mut name, 6);
                }
            }
            _ => {
                let kind = match spec.family {
                    Family::PersonalWorkProfile => "AndroidForWork",
                    Family::DeviceAdmin => "Android",
                    Family::Aosp => "AndroidAOSP",
                    _ => "AndroidEnterprise",
                };
                if r < 80 {
                    template(self, &mut name, kind);
                } else {
                    name.push_str(self.pick(names::ANDROID_MODELS));
                }
            }
        }
        name
    }

    fn push_serial(&mut self, out: &mut String, len: usize) {
        let mut bits: u64 = self.rng.random();
        for _ in 0..len {
            out.push(SERIAL_CHARS[(bits % SERIAL_CHARS.len() as u64) as usize] as char);
            bits /= SERIAL_CHARS.len() as u64;
        }
    }

    // ---- apps

    fn add_app(&mut self, app: usize, version: usize, platform: usize, device: u32) {
        let row = self.app_offsets[app] + version;
        self.buckets[row * APP_PLATFORMS.len() + platform].push(device);
    }

    /// Adds `app` in a version drawn by weight.
    fn add_random_version(&mut self, app: usize, platform: usize, device: u32) {
        let versions = APPS[app].versions;
        let total: u32 = versions.iter().map(|(_, w)| w).sum();
        let mut r = self.rng.random_range(0..total);
        let mut v = 0;
        while r >= versions[v].1 {
            r -= versions[v].1;
            v += 1;
        }
        self.add_app(app, v, platform, device);
    }

    fn maybe_app(&mut self, bp: u32, app: usize, platform: usize, device: u32) {
        if self.chance(bp) {
            self.add_random_version(app, platform, device);
        }
    }

    /// The detected apps of a random device: receiving apps by platform, mode and inventory coverage,
    /// Google Play services on GMS Android, and the usual noise.
    fn random_apps(&mut self, spec: &Spec, device: u32) {
        if spec.agent == Some("eas") {
            // An Exchange ActiveSync record is not MDM-enrolled: Intune has no app inventory for it.
            return;
        }
        let platform = spec.family.app_platform();
        let corporate = spec.corporate();
        // (Company Portal, Intune app, Google Play services) chances in basis points.
        let (cp, intune, gps) = match spec.family {
            Family::Ios => (if corporate { 9_300 } else { 3_500 }, 0, 0),
            Family::PersonalWorkProfile => (5_500, 300, 9_200),
            Family::CorporateWorkProfile => (4_500, 8_000, 9_700),
            Family::FullyManaged => (4_000, 8_500, 9_700),
            Family::Dedicated => (2_000, 7_000, 9_600),
            Family::DeviceAdmin => (9_000, 0, 9_300),
            Family::Aosp => (500, 9_000, 0),
            Family::AndroidUnknown => (6_000, 1_000, 8_000),
            Family::Windows => (5_000, 0, 0),
            Family::Mac => (9_000, 0, 0),
            Family::Other => (0, 0, 0),
        };
        let android = (1..=4).contains(&platform) || spec.family == Family::AndroidUnknown;
        if self.chance(cp) {
            let app = match spec.family {
                Family::Ios => {
                    if self.chance(400) {
                        app::CP_IOS_ALT
                    } else {
                        app::CP_IOS
                    }
                }
                Family::Windows => app::CP_WINDOWS,
                Family::Mac => app::CP_MAC,
                _ => {
                    if self.chance(4_000) {
                        app::CP_ANDROID_ALT
                    } else {
                        app::CP_ANDROID
                    }
                }
            };
            self.add_random_version(app, platform, device);
            if android && self.chance(50) {
                // An update caught half-way: two versions listed.
                self.add_random_version(app::CP_ANDROID, platform, device);
            }
        }
        self.maybe_app(intune, app::INTUNE, platform, device);
        if gps > 0 && self.chance(gps) {
            let app = if self.chance(1_000) { app::GPS_ALT } else { app::GPS };
            self.add_random_version(app, platform, device);
        }
        let noise: &[(usize, u32)] = match spec.family {
            Family::Ios if corporate => &[
                (app::OUTLOOK, 6_000),
                (app::TEAMS, 5_500),
                (app::EDGE, 4_000),
                (app::AUTHENTICATOR, 5_000),
                (app::ONEDRIVE, 3_500),
                (app::COPILOT, 2_000),
                (app::WHATSAPP, 3_000),
                (app::SLACK, 1_000),
                (app::ZOOM, 2_000),
                (app::METEO, 500),
                (app::NOTES, 300),
            ],
            Family::Ios => &[
                (app::OUTLOOK, 6_000),
                (app::TEAMS, 5_500),
                (app::EDGE, 4_000),
                (app::AUTHENTICATOR, 5_000),
                (app::ONEDRIVE, 3_500),
                (app::COPILOT, 2_000),
            ],
            Family::PersonalWorkProfile | Family::CorporateWorkProfile | Family::FullyManaged => &[
                (app::OUTLOOK, 6_500),
                (app::TEAMS, 5_500),
                (app::EDGE, 4_000),
                (app::AUTHENTICATOR, 4_500),
                (app::CHROME_ANDROID, 7_000),
                (app::WEBVIEW, 6_000),
                (app::PLAY_STORE, 5_000),
            ],
            Family::Dedicated => {
                &[(app::MANAGED_HOME_SCREEN, 8_000), (app::CHROME_ANDROID, 5_000), (app::TEAMS, 1_500)]
            }
            Family::DeviceAdmin | Family::AndroidUnknown => &[
                (app::OUTLOOK, 5_000),
                (app::CHROME_ANDROID, 8_000),
                (app::WHATSAPP, 4_000),
                (app::METEO, 800),
                (app::NOTES, 500),
            ],
            Family::Aosp => &[(app::TEAMS, 3_000)],
            Family::Windows => &[
                (app::EDGE, 9_500),
                (app::M365_APPS, 8_000),
                (app::TEAMS, 7_000),
                (app::CHROME_DESKTOP, 4_000),
                (app::SEVEN_ZIP, 2_000),
                (app::ZOOM, 1_500),
            ],
            Family::Mac => &[
                (app::EDGE, 7_000),
                (app::OUTLOOK, 7_000),
                (app::CHROME_DESKTOP, 5_000),
                (app::SLACK, 2_000),
                (app::ZOOM, 3_000),
            ],
            Family::Other => &[],
        };
        for &(app, bp) in noise {
            self.maybe_app(bp, app, platform, device);
        }
    }

    /// The detected apps: one per app version and platform that some device has.
    fn apps(&mut self) -> Vec<SimApp> {
        let mut apps = Vec::new();
        let buckets = std::mem::take(&mut self.buckets);
        let mut buckets = buckets.into_iter();
        for def in &APPS {
            for (version, _) in def.versions {
                for platform in APP_PLATFORMS {
                    let mut devices = buckets.next().unwrap_or_default();
                    // A device can be given the same app twice (a catalogue case on top of the random
                    // draw); it has it once. Buckets fill in device order, so repeats are adjacent.
                    devices.dedup();
                    if devices.is_empty() {
                        continue;
                    }
                    apps.push(SimApp {
                        app: GraphDetectedApp {
                            id: Some(Cow::Owned(guid(&mut self.rng, None))),
                            display_name: Some(Cow::Borrowed(def.name)),
                            version: Some(Cow::Borrowed(version)),
                            publisher: Some(Cow::Borrowed(def.publisher)),
                            platform: Some(Cow::Borrowed(platform)),
                            device_count: Some(devices.len() as i64),
                            managed_devices: Vec::new(),
                        },
                        devices,
                    });
                }
            }
        }
        apps
    }

    // ---- groups

    /// About `per_mille` of the users in `from` (at least `min`), ascending.
    fn sample_users(&mut self, from: std::ops::Range<usize>, per_mille: usize, min: usize) -> Vec<SimMember> {
        let len = from.len();
        let k = (len * per_mille / 1000).max(min).min(len);
        let mut picked: Vec<usize> = (0..k).map(|_| self.rng.random_range(from.clone())).collect();
        picked.sort_unstable();
        picked.dedup();
        picked.into_iter().map(SimMember::User).collect()
    }

    fn users_flagged(&self, flag: u8) -> Vec<SimMember> {
        (0..self.users.len()).filter(|&u| self.user_flags[u] & flag != 0).map(SimMember::User).collect()
    }

    fn sample_devices(&mut self, per_mille: usize, min: usize) -> Vec<SimMember> {
        let len = self.devices.len();
        let k = (len * per_mille / 1000).max(min).min(len);
        let mut picked: Vec<usize> = (0..k).map(|_| self.rng.random_range(0..len)).collect();
        picked.sort_unstable();
        picked.dedup();
        picked.into_iter().map(SimMember::Device).collect()
    }

    fn groups(&mut self, catalogue_users: usize) -> Vec<SimGroup> {
        let all = 0..self.users.len();
        let owners = 0..self.eligible;
        let deviceless = self.eligible..self.users.len();
        let with = |mut members: Vec<SimMember>, more: &[SimMember]| {
            members.extend_from_slice(more);
            members
        };
        let sales = with(self.sample_users(all.clone(), 60, 3), &[SimMember::Group(3), SimMember::Group(4)]);
        let emea = with(self.sample_users(all.clone(), 25, 2), &[SimMember::Group(5)]);
        let americas = self.sample_users(all.clone(), 25, 2);
        let americas = with(americas, &self.sample_devices(2, 2));
        let france = self.sample_users(all.clone(), 10, 2);
        let field = self.users_flagged(FIELD);
        let kiosks: Vec<SimMember> = self.kiosks.iter().map(|&d| SimMember::Device(d as usize)).collect();
        let executives = with(self.sample_users(owners.clone(), 2, 3), &[SimMember::Group(9)]);
        let assistants = with(self.sample_users(owners.clone(), 2, 3), &[SimMember::Group(8)]);
        let new_hires: Vec<SimMember> = deviceless.clone().map(SimMember::User).collect();
        let pilot: Vec<SimMember> =
            (0..catalogue_users).chain(deviceless.clone().take(3)).map(SimMember::User).collect();
        let mut contractors = self.sample_users(all.clone(), 10, 2);
        contractors.extend(self.guests.iter().map(|&u| SimMember::User(u)));
        contractors.sort_unstable_by_key(|m| match m {
            SimMember::User(u) => *u,
            _ => usize::MAX,
        });
        contractors.dedup();
        let on_call = self.sample_users(owners.clone(), 5, 2);
        let support = self.sample_users(all.clone(), 10, 2);
        let mixed = with(self.sample_users(all, 5, 2), &self.sample_devices(5, 2));
        let groups: Vec<(&str, Vec<SimMember>)> = vec![
            ("All iOS users", self.users_flagged(HAS_IOS)),
            ("All Android users", self.users_flagged(HAS_ANDROID)),
            ("Sales", sales),
            ("Sales - EMEA", emea),
            ("Sales - Americas", americas),
            ("Sales - EMEA - France", france),
            ("Field Technicians", field),
            ("Kiosk devices", kiosks),
            ("Executives", executives),
            ("Executive Assistants", assistants),
            ("New hires (no device yet)", new_hires),
            ("Pilot: custom notifications", pilot),
            ("Contractors, external (B2B)", contractors),
            ("Ops \"on-call\"", on_call),
            ("Équipe Support — Montréal", support),
            ("Empty group", Vec::new()),
            ("Mixed: users and devices", mixed),
        ];
        groups
            .into_iter()
            .map(|(name, members)| SimGroup { id: guid(&mut self.rng, None), display_name: name.to_owned(), members })
            .collect()
    }
}

/// A GUID from the rng, lower-case and hyphenated. With `unique`, its last four bytes are a bijection
/// of that number (murmur3's finaliser), so GUIDs made with distinct numbers are distinct and still
/// look random.
fn guid(rng: &mut ChaCha8Rng, unique: Option<u32>) -> String {
    let mut bytes: [u8; 16] = rng.random();
    if let Some(mut n) = unique {
        n ^= n >> 16;
        n = n.wrapping_mul(0x85eb_ca6b);
        n ^= n >> 13;
        n = n.wrapping_mul(0xc2b2_ae35);
        n ^= n >> 16;
        bytes[12..].copy_from_slice(&n.to_be_bytes());
    }
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().encode_lower(&mut buf).to_owned()
}

/// `YYYY-MM-DDTHH:MM:SS.fffffffZ` with `digits` fractional digits (7 like Graph, or 9 to be exact).
fn rfc3339(t: DateTime<Utc>, digits: u32) -> String {
    let mut s = String::with_capacity(32);
    push_digits(&mut s, t.year().max(0) as u32, 4);
    s.push('-');
    push_digits(&mut s, t.month(), 2);
    s.push('-');
    push_digits(&mut s, t.day(), 2);
    s.push('T');
    push_digits(&mut s, t.hour(), 2);
    s.push(':');
    push_digits(&mut s, t.minute(), 2);
    s.push(':');
    push_digits(&mut s, t.second(), 2);
    s.push('.');
    let nanos = t.nanosecond().min(999_999_999);
    push_digits(&mut s, nanos / 10u32.pow(9 - digits), digits);
    s.push('Z');
    s
}

fn push_digits(s: &mut String, n: u32, width: u32) {
    let mut div = 10u32.pow(width - 1);
    for _ in 0..width {
        s.push((b'0' + (n / div % 10) as u8) as char);
        div /= 10;
    }
}

fn push_capitalised(s: &mut String, word: &str) {
    let mut chars = word.chars();
    if let Some(c) = chars.next() {
        s.push(c.to_ascii_uppercase());
        s.push_str(chars.as_str());
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::inventory::{Inventory, SourceInfo};
    use crate::rules::Settings;
    use crate::rules::REGISTRY;

    /// A "now" with nanoseconds, so exact-boundary times must be written exactly.
    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-06-30T12:34:56.789012345Z").unwrap().with_timezone(&Utc)
    }

    /// The outcomes each rule can give (PREREQUISITES.md, rules table).
    fn possible(rule: RuleId) -> &'static [Status] {
        use Status::*;
        match rule {
            RuleId::SupportedPlatform | RuleId::MdmEnrolled | RuleId::RecentCheckIn => &[Pass, Fail, Unknown],
            RuleId::HasRecipient => &[Pass, Fail],
            RuleId::PushPermission => &[Unknown],
            RuleId::CompanyPortal | RuleId::PortalVersion | RuleId::GooglePlayServices => {
                &[Pass, Fail, Unknown, NotApplicable]
            }
        }
    }

    fn inventory(tenant: &SimTenant) -> Inventory {
        let snapshot = tenant.to_snapshot(now().to_rfc3339(), "http://127.0.0.1:1/sim");
        snapshot.to_inventory(SourceInfo::default()).unwrap()
    }

    /// Every device's outcome of every rule, through the registry.
    fn outcomes(inventory: &Inventory) -> Vec<[Status; RuleId::COUNT]> {
        let settings = Settings::new(now());
        inventory
            .devices
            .iter()
            .map(|device| std::array::from_fn(|i| (REGISTRY[i].evaluate)(device, &settings).status))
            .collect()
    }

    #[test]
    fn every_outcome_of_every_rule_occurs() {
        for (devices, seed) in [(500, 1), (500, 987_654_321), (2_000, 2)] {
            let tenant = generate(devices, seed, now());
            let inventory = inventory(&tenant);
            assert_eq!(inventory.devices.len(), devices);
            let mut seen: BTreeMap<RuleId, BTreeSet<&str>> = BTreeMap::new();
            for statuses in outcomes(&inventory) {
                for rule in RuleId::ALL {
                    seen.entry(rule).or_default().insert(statuses[rule.index()].as_str());
                }
            }
            for rule in RuleId::ALL {
                for status in possible(rule) {
                    assert!(
                        seen[&rule].contains(status.as_str()),
                        "{devices} devices, seed {seed}: {rule} never gives {}; seen {:?}",
                        status.as_str(),
                        seen[&rule]
                    );
                }
            }
        }
    }

    #[test]
    fn catalogue_devices_decide_as_documented() {
        let list = catalogue();
        let tenant = generate(list.len(), 5, now());
        let statuses = outcomes(&inventory(&tenant));
        let mut wrong = Vec::new();
        for (i, edge) in list.iter().enumerate() {
            for &(rule, status) in edge.covers {
                let got = statuses[i][rule.index()];
                if got != status {
                    wrong.push(format!(
                        "device {i} ({}): {rule} gave {}, expected {}",
                        edge.what,
                        got.as_str(),
                        status.as_str()
                    ));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn same_arguments_same_tenant() {
        let a = generate(3_000, 42, now());
        let b = generate(3_000, 42, now());
        assert_eq!(a, b);
        let json = |t: &SimTenant| serde_json::to_string(&t.to_snapshot("x".into(), "y")).unwrap();
        assert_eq!(json(&a), json(&b));
        let c = generate(3_000, 43, now());
        assert_ne!(a.tenant_id, c.tenant_id);
        assert_ne!(a.devices, c.devices);
        assert_ne!(json(&a), json(&c));
    }

    #[test]
    fn exact_device_count_and_unique_ids() {
        for devices in [0, 1, 10, 59, 500, 1_234, 5_000] {
            let tenant = generate(devices, devices as u64, now());
            assert_eq!(tenant.devices.len(), devices);
            let ids: BTreeSet<_> = tenant.devices.iter().map(|d| d.id.as_deref().unwrap()).collect();
            assert_eq!(ids.len(), devices, "device ids repeat");
            let user_ids: BTreeSet<_> = tenant.users.iter().map(|u| u.id.as_str()).collect();
            assert_eq!(user_ids.len(), tenant.users.len(), "user ids repeat");
            let upns: BTreeSet<_> = tenant.users.iter().map(|u| u.user_principal_name.to_lowercase()).collect();
            assert_eq!(upns.len(), tenant.users.len(), "UPNs repeat");
            for device in &tenant.devices {
                if let Some(upn) = device.user_principal_name.as_deref().filter(|u| !u.is_empty()) {
                    assert!(upn.to_lowercase().ends_with("@contoso.example"), "{upn}");
                }
            }
        }
    }

    #[test]
    fn apps_reference_real_devices() {
        // (3000, 7) once gave a device the same app twice: it must be listed once.
        for (devices, seed) in [(3_000, 7), (2_500, 7), (700, 1)] {
            for app in &generate(devices, seed, now()).apps {
                assert!(app.devices.windows(2).all(|w| w[0] < w[1]), "a device listed twice: {:?}", app.app);
            }
        }
        let tenant = generate(4_000, 9, now());
        let mut combos = BTreeSet::new();
        for app in &tenant.apps {
            assert!(!app.devices.is_empty());
            assert!(app.devices.windows(2).all(|w| w[0] < w[1]), "devices not strictly ascending");
            assert!(app.devices.iter().all(|&d| (d as usize) < tenant.devices.len()));
            assert_eq!(app.app.device_count, Some(app.devices.len() as i64));
            let key = (app.app.display_name.clone(), app.app.version.clone(), app.app.platform.clone());
            assert!(combos.insert(key), "repeated name+version+platform: {:?}", app.app);
        }
        let names: BTreeSet<_> = tenant.apps.iter().filter_map(|a| a.app.display_name.as_deref()).collect();
        for name in ["Company Portal", "Intune Company Portal", "Microsoft Intune", "Google Play services"] {
            assert!(names.contains(name), "{name} missing");
        }
        // The catalogue's app indices name what they claim.
        assert_eq!(APPS[app::CP_ANDROID].versions, CP_ANDROID_VERSIONS);
        assert_eq!(APPS[app::INTUNE].name, "Microsoft Intune");
        assert_eq!(APPS[app::GPS_ALT].name, "Google Play Services");
        assert_eq!(APPS[app::SEVEN_ZIP].publisher, "Igor Pavlov");
    }

    #[test]
    fn groups_nest_cycle_and_hold_users_without_devices() {
        let tenant = generate(2_000, 3, now());
        let by_name = |name: &str| tenant.groups.iter().position(|g| g.display_name == name).unwrap();
        assert!(tenant.groups.len() >= 10);
        let ids: BTreeSet<_> = tenant.groups.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids.len(), tenant.groups.len());
        // Two levels: Sales > Sales - EMEA > Sales - EMEA - France.
        let sales = tenant.transitive_members(by_name("Sales"));
        assert!(sales.contains(&SimMember::Group(by_name("Sales - EMEA - France"))));
        // The cycle terminates.
        let executives = tenant.transitive_members(by_name("Executives"));
        assert!(executives.contains(&SimMember::Group(by_name("Executive Assistants"))));
        // Users without a device are in a group.
        let with_device: BTreeSet<&str> = tenant.devices.iter().filter_map(|d| d.user_id.as_deref()).collect();
        let pilot = tenant.transitive_members(by_name("Pilot: custom notifications"));
        assert!(pilot
            .iter()
            .any(|m| matches!(m, SimMember::User(u) if !with_device.contains(tenant.users[*u].id.as_str()))));
        // Device members exist, and every member index is valid.
        assert!(tenant.groups[by_name("Kiosk devices")].members.iter().all(|m| matches!(m, SimMember::Device(_))));
        for group in &tenant.groups {
            for member in &group.members {
                match *member {
                    SimMember::User(u) => assert!(u < tenant.users.len()),
                    SimMember::Device(d) => assert!(d < tenant.devices.len()),
                    SimMember::Group(g) => assert!(g < tenant.groups.len()),
                }
            }
        }
    }

    #[test]
    fn sync_times_are_rfc3339_or_placeholders() {
        let tenant = generate(3_000, 11, now());
        let mut stale = 0;
        for device in &tenant.devices {
            let Some(raw) = device.last_sync_date_time.as_deref() else { continue };
            if raw == "0001-01-01T00:00:00Z" {
                continue;
            }
            assert!(raw.ends_with('Z') && raw.contains('.'), "{raw}");
            let t = DateTime::parse_from_rfc3339(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            if now() - t.with_timezone(&Utc) > TimeDelta::days(30) {
                stale += 1;
            }
        }
        let share = stale * 1000 / tenant.devices.len();
        assert!((50..120).contains(&share), "stale share {share} per mille");
    }
}
