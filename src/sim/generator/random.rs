//! The random part: every device after the catalogue, drawn from distributions of platforms, modes,
//! wire values and apps that look like a real tenant, noise and all. A device gets a user drawn
//! uniformly from those who may own one (see [`super::directory`] for the users).
//!
//! Fractions of the random devices, roughly:
//!
//! - Platforms: iOS 40% (operatingSystem `iOS` 86%, `iPadOS` 10%, `IOS` 2%, `ios` 2%; 45% corporate,
//!   1.5% of corporate ones Shared iPads without a user, `hardwareInformation.isSharedDevice` true;
//!   5% of the other corporate ones carry `isSharedDevice` false; enrollment types include
//!   `deviceEnrollmentManager` and the Apple User Enrollment values), Android 40% (operatingSystem
//!   `Android`, 1% each `android` and `ANDROID`, 3% the mode's label: `AndroidForWork`,
//!   `AndroidEnterprise`, `AndroidAOSP`), Windows 12%, macOS 5%, other 3% (Linux, ChromeOS, `Unknown`,
//!   empty or missing operatingSystem).
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
//! - enrolledDateTime: 7 days to 3 years ago 97.3%, within the last 7 days 2% (app inventory may not
//!   have refreshed yet), in the future 0.2%, `0001-01-01T00:00:00Z` 0.25%, missing 0.25%.
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
//!   names `Intune Company Portal` (40% of Android, 4% of iOS), `Comp Portal` (30% of iOS) and
//!   `Google Play Services` (10%); iOS Company Portal about 3% below 5.2311.1; near misses that match
//!   no default name: `Google Play-Dienste` (3% of Google Play services), `Microsoft Intune Company
//!   Portal (Preview)` (1% of Android Company Portal), `Portail d’entreprise` (1% of iOS Company Portal);
//!   Google Play services on 92-97% of GMS Android devices, never on AOSP; plus Outlook, Teams, Edge,
//!   Authenticator, OneDrive, Chrome, Managed Home Screen, desktop apps and a few with commas and
//!   accents in their names.

use rand::Rng;

use super::apps::app;
use super::spec::{
    Family, Name, Spec, When, Who, ANDROID_UNKNOWN, AOSP, CORP_WORK_PROFILE, DAY, DEDICATED, DEVICE_ADMIN,
    FULLY_MANAGED, IOS_CORP, MAC, OTHER, PWP, WINDOWS,
};
use super::Generator;
use crate::sim::names;

/// `osVersion` values of each platform, drawn uniformly (a repeat weighs double).
const IOS_VERSIONS: &[&str] =
    &["18.3.2", "18.3.1", "18.2.1", "18.1", "17.7.2", "17.6.1", "17.5.1", "16.7.10", "15.8.3"];
const ANDROID_VERSIONS: &[&str] = &["15", "14", "14", "13", "13", "12", "11", "10", "9"];
const WINDOWS_VERSIONS: &[&str] =
    &["10.0.26100.3194", "10.0.22631.4890", "10.0.22621.4317", "10.0.19045.5487", "10.0.19044.5131"];
const MAC_VERSIONS: &[&str] = &["15.3.1", "15.2", "14.7.4", "14.6.1", "13.7.4"];

impl Generator {
    /// A device of the random part: a platform by share, then noise on its agent, state, sync time,
    /// ownership, user fields and name.
    pub(super) fn random_spec(&mut self) -> Spec {
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
            0..40 => When::Within(-36 * 3_600, -60),
            40..80 => When::Zero,
            80..120 => When::Missing,
            120..130 => When::Exact(30 * DAY),
            130..930 => When::Within(31 * DAY, 400 * DAY),
            930..1_500 => When::Within(7 * DAY, 30 * DAY - 60),
            _ => When::Within(0, 7 * DAY),
        };
        let r = self.rng.random_range(0..10_000u32);
        spec.enrolled = match r {
            0..25 => When::Zero,
            25..50 => When::Missing,
            50..70 => When::Within(-36 * 3_600, -60),
            70..270 => When::Within(60, 7 * DAY - 60),
            _ => spec.enrolled,
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
        if spec.owner == Some("company") {
            if self.chance(150) {
                spec.who = self.userless();
                spec.device_type = Some("iPad");
                spec.enrollment = Some("appleBulkWithoutUser");
                spec.shared = Some(true);
            } else if self.chance(500) {
                spec.shared = Some(false);
            }
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
        spec.os = Some(match (r, spec.family) {
            (0, _) => "android",
            (1, _) => "ANDROID",
            (2..5, Family::PersonalWorkProfile) => "AndroidForWork",
            (2..5, Family::FullyManaged | Family::Dedicated | Family::CorporateWorkProfile) => "AndroidEnterprise",
            (2..5, Family::Aosp) => "AndroidAOSP",
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

    /// The detected apps of a random device: receiving apps by platform, mode and inventory coverage,
    /// Google Play services on GMS Android, and the usual noise.
    pub(super) fn random_apps(&mut self, spec: &Spec, device: u32) {
        if spec.agent == Some("eas") {
            // An Exchange ActiveSync record is not MDM-enrolled: Intune has no app inventory for it.
            return;
        }
        let platform = spec.family.app_platform();
        let corporate = spec.corporate();
        let (cp, intune, gps) = receiving_app_chances(spec.family, corporate);
        let android = (1..=4).contains(&platform) || spec.family == Family::AndroidUnknown;
        if self.chance(cp) {
            let r = self.rng.random_range(0..10_000u32);
            let app = match (spec.family, r) {
                (Family::Ios, 0..400) => app::CP_IOS_ALT,
                (Family::Ios, 400..3_400) => app::CP_IOS_COMP,
                (Family::Ios, 3_400..3_500) => app::CP_IOS_FR,
                (Family::Ios, _) => app::CP_IOS,
                (Family::Windows, _) => app::CP_WINDOWS,
                (Family::Mac, _) => app::CP_MAC,
                (_, 0..4_000) => app::CP_ANDROID_ALT,
                (_, 4_000..4_100) => app::CP_PREVIEW,
                _ => app::CP_ANDROID,
            };
            self.add_random_version(app, platform, device);
            if android && self.chance(50) {
                // An update caught half-way: two versions listed.
                self.add_random_version(app::CP_ANDROID, platform, device);
            }
        }
        self.maybe_app(intune, app::INTUNE, platform, device);
        if gps > 0 && self.chance(gps) {
            let r = self.rng.random_range(0..10_000u32);
            let app = match r {
                0..1_000 => app::GPS_ALT,
                1_000..1_300 => app::GPS_DE,
                _ => app::GPS,
            };
            self.add_random_version(app, platform, device);
        }
        for &(app, bp) in noise_apps(spec.family, corporate) {
            self.maybe_app(bp, app, platform, device);
        }
    }
}

/// The chances, in basis points, of (Company Portal, the Microsoft Intune app, Google Play services) on
/// a device of `family`.
fn receiving_app_chances(family: Family, corporate: bool) -> (u32, u32, u32) {
    match family {
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
    }
}

/// The other apps a device of `family` may list, each with its chance in basis points.
fn noise_apps(family: Family, corporate: bool) -> &'static [(usize, u32)] {
    match family {
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
        Family::Dedicated => &[(app::MANAGED_HOME_SCREEN, 8_000), (app::CHROME_ANDROID, 5_000), (app::TEAMS, 1_500)],
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
    }
}
