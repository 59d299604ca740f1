//! The catalogue: the first devices of every tenant, hand-written edge cases, so that every outcome of
//! every delivery rule occurs whatever the seed.
//!
//! One device for each outcome of each rule, and for each branch that reaches it: every known and
//! unknown management agent and state, every Android mode, every ownership form, the 30-day boundary,
//! Shared iPad, Apple User Enrollment, DEM, the 7-day inventory window, near-miss app names, ...;
//! then one per awkward device name. So a tenant of 500 devices or more shows every outcome of
//! every rule; a smaller tenant holds the first part of the catalogue. Catalogue devices with a user
//! belong to the first users, who are all in the group "Pilot: custom notifications".
//!
//! The catalogue is data: each entry is a label, a device spec and its detected apps. The outcomes each
//! entry exists for are test code (the generator's tests, keyed by the label), as the generator only
//! makes what Graph would return and decides nothing.

use super::apps::{app, APPS};
use super::spec::{
    Name, Spec, When, Who, ANDROID_UNKNOWN, AOSP, CORP_WORK_PROFILE, DAY, DEDICATED, DEVICE_ADMIN, FULLY_MANAGED,
    IOS_CORP, IOS_PERSONAL, MAC, OTHER, PWP, WINDOWS,
};

const HOUR: i64 = 3_600;
use super::Generator;
use crate::sim::names;

/// One hand-written device: the label of what it shows, its fields and its apps (app, version).
#[derive(Clone, Copy)]
pub(super) struct Edge {
    pub(super) what: &'static str,
    pub(super) spec: Spec,
    pub(super) apps: &'static [(usize, &'static str)],
}

const IOS_CP: (usize, &str) = (app::CP_IOS, "5.2409.1");
const CP_NEW: (usize, &str) = (app::CP_ANDROID, "5.0.6301.0");
const CP_OLD: (usize, &str) = (app::CP_ANDROID, "5.0.4512.0");
const CP_BETA: (usize, &str) = (app::CP_ANDROID, "5.0.x-beta");
const INTUNE_NEW: (usize, &str) = (app::INTUNE, "2024.11.01");
const GPS_OK: (usize, &str) = (app::GPS, "24.49.33 (190408-705604133)");

/// The edge cases the tenant starts with: [`EDGES`], then one device per awkward name, alternately a
/// corporate iPhone and a personal work profile.
pub(super) fn catalogue() -> Vec<Edge> {
    let awkward = names::AWKWARD_DEVICE_NAMES.iter().copied().chain(std::iter::once(names::LONG_DEVICE_NAME));
    let awkward = awkward.enumerate().map(|(i, name)| {
        let (spec, apps): (Spec, &'static [(usize, &'static str)]) =
            if i % 2 == 0 { (IOS_CORP, &[IOS_CP]) } else { (PWP, &[CP_NEW, GPS_OK]) };
        Edge { what: "awkward device name", spec: Spec { name: Name::Fixed(name), ..spec }, apps }
    });
    EDGES.iter().copied().chain(awkward).collect()
}

impl Generator {
    /// Appends the device of catalogue entry `edge` (owned by `user` when it has one) and its apps.
    pub(super) fn push_edge(&mut self, edge: &Edge, user: Option<usize>) {
        let index = self.devices.len() as u32;
        self.push_device(&edge.spec, user);
        let platform = edge.spec.family.app_platform();
        for &(app, version) in edge.apps {
            // The catalogue is constant: a version it names and the app table lacks is a typo, which
            // the generator's tests (they generate the whole catalogue) catch.
            let v = APPS[app].versions.iter().position(|(name, _)| *name == version);
            let v =
                v.unwrap_or_else(|| panic!("catalogue {:?}: {} has no version {version}", edge.what, APPS[app].name));
            self.add_app(app, v, platform, index);
        }
    }
}

/// The hand-written devices, grouped by the rule they are for.
const EDGES: &[Edge] = &[
    // supported-platform, company-portal and inventory completeness on iOS.
    Edge { what: "healthy corporate iPhone", spec: IOS_CORP, apps: &[IOS_CP, (app::OUTLOOK, "4.2445.1")] },
    Edge {
        what: "personal iPad on iPadOS with Company Portal",
        spec: Spec { os: Some("iPadOS"), device_type: Some("iPad"), os_version: Some("18.1"), ..IOS_PERSONAL },
        apps: &[IOS_CP],
    },
    Edge {
        what: "personal iPhone (operatingSystem IOS) whose managed-app inventory lacks Company Portal",
        spec: Spec { os: Some("IOS"), ..IOS_PERSONAL },
        apps: &[(app::OUTLOOK, "4.2432.0")],
    },
    Edge {
        what: "corporate iPhone (operatingSystem ios) whose complete inventory lacks Company Portal",
        spec: Spec { os: Some("ios"), ..IOS_CORP },
        apps: &[(app::WHATSAPP, "25.2.80"), (app::TEAMS, "7.3.1")],
    },
    Edge {
        what: "corporate by the beta ownerType alone, no Company Portal",
        spec: Spec { owner: None, owner_beta: Some("company"), ..IOS_CORP },
        apps: &[],
    },
    Edge {
        what: "empty managedDeviceOwnerType, beta ownerType company, no Company Portal",
        spec: Spec { owner: Some(""), owner_beta: Some("company"), ..IOS_CORP },
        apps: &[],
    },
    Edge {
        what: "ownership unknown, no Company Portal",
        spec: Spec { owner: Some("unknown"), owner_beta: Some("unknown"), ..IOS_CORP },
        apps: &[],
    },
    Edge {
        what: "personal by the beta ownerType alone, no Company Portal",
        spec: Spec { owner: None, owner_beta: Some("personal"), ..IOS_CORP },
        apps: &[],
    },
    Edge {
        what: "corporate iPhone listing Intune Company Portal",
        spec: IOS_CORP,
        apps: &[(app::CP_IOS_ALT, "5.2501.1")],
    },
    // Android personal work profile: company-portal, portal-version, google-play-services.
    Edge {
        what: "personal work profile with current Company Portal and Google Play services",
        spec: PWP,
        apps: &[CP_NEW, GPS_OK, (app::OUTLOOK, "4.2445.1")],
    },
    Edge { what: "personal work profile listing no apps", spec: PWP, apps: &[] },
    Edge {
        what: "personal work profile with Company Portal 5.0.4512.0 (below 5.0.5291.0)",
        spec: PWP,
        apps: &[CP_OLD, GPS_OK],
    },
    Edge {
        what: "unparseable Company Portal version; Google Play Services capitalised",
        spec: PWP,
        apps: &[CP_BETA, (app::GPS_ALT, "25.07.33 (190400-727829562)")],
    },
    Edge {
        what: "Company Portal exactly at the minimum 5.0.5291.0",
        spec: PWP,
        apps: &[(app::CP_ANDROID, "5.0.5291.0"), GPS_OK],
    },
    Edge {
        what: "two Company Portal versions listed, old and current",
        spec: PWP,
        apps: &[CP_OLD, (app::CP_ANDROID_ALT, "5.0.6198.0"), GPS_OK],
    },
    Edge {
        what: "two Company Portal versions listed, old and unparseable",
        spec: PWP,
        apps: &[CP_OLD, CP_BETA, GPS_OK],
    },
    Edge {
        what: "operatingSystem android (lower case), Intune Company Portal name",
        spec: Spec { os: Some("android"), ..PWP },
        apps: &[(app::CP_ANDROID_ALT, "5.0.6301.0"), GPS_OK],
    },
    Edge {
        what: "undocumented deviceEnrollmentType androidEnterpriseWorkProfile, Microsoft Intune app only",
        spec: Spec { enrollment: Some("androidEnterpriseWorkProfile"), ..PWP },
        apps: &[INTUNE_NEW, GPS_OK],
    },
    Edge {
        what: "personal work profile without deviceEnrollmentType",
        spec: Spec { enrollment: None, ..PWP },
        apps: &[CP_NEW, GPS_OK],
    },
    // Android Enterprise corporate modes.
    Edge {
        what: "fully managed, Microsoft Intune app exactly 2021.09.04",
        spec: FULLY_MANAGED,
        apps: &[(app::INTUNE, "2021.09.04"), GPS_OK],
    },
    Edge {
        what: "fully managed, Microsoft Intune app 2021.08.02 (below 2021.09.04)",
        spec: FULLY_MANAGED,
        apps: &[(app::INTUNE, "2021.08.02"), GPS_OK],
    },
    Edge {
        what: "fully managed whose complete inventory has neither receiving app nor Google Play services",
        spec: FULLY_MANAGED,
        apps: &[(app::CHROME_ANDROID, "133.0.6943.49")],
    },
    Edge {
        what: "fully managed, old Company Portal and current Intune app",
        spec: FULLY_MANAGED,
        apps: &[CP_OLD, INTUNE_NEW, GPS_OK],
    },
    Edge {
        what: "fully managed, managementAgent googleCloudDevicePolicyController",
        spec: Spec { agent: Some("googleCloudDevicePolicyController"), ..FULLY_MANAGED },
        apps: &[INTUNE_NEW, GPS_OK],
    },
    Edge {
        what: "dedicated kiosk: nil-GUID userId, empty UPN",
        spec: Spec { name: Name::Fixed("KIOSK-LOBBY-01"), ..DEDICATED },
        apps: &[INTUNE_NEW, GPS_OK, (app::MANAGED_HOME_SCREEN, "5.0.0.1")],
    },
    Edge {
        what: "dedicated, user fields missing, nothing installed",
        spec: Spec { who: Who::Absent, ..DEDICATED },
        apps: &[],
    },
    Edge {
        what: "dedicated in shared device mode with a signed-in user",
        spec: Spec { who: Who::User, ..DEDICATED },
        apps: &[INTUNE_NEW, GPS_OK],
    },
    Edge {
        what: "corporate work profile with Company Portal and Google Play services",
        spec: CORP_WORK_PROFILE,
        apps: &[CP_NEW, GPS_OK],
    },
    Edge {
        what: "corporate work profile without Google Play services (system apps not inventoried)",
        spec: CORP_WORK_PROFILE,
        apps: &[INTUNE_NEW],
    },
    Edge {
        what: "managementAgent google",
        spec: Spec { agent: Some("google"), ..CORP_WORK_PROFILE },
        apps: &[INTUNE_NEW, GPS_OK],
    },
    Edge { what: "corporate device administrator with nothing installed", spec: DEVICE_ADMIN, apps: &[] },
    Edge {
        what: "personal device administrator with an old Company Portal",
        spec: Spec { owner: Some("personal"), owner_beta: Some("personal"), ..DEVICE_ADMIN },
        apps: &[CP_OLD],
    },
    Edge { what: "AOSP user-owned with the Microsoft Intune app", spec: AOSP, apps: &[INTUNE_NEW] },
    Edge {
        what: "AOSP userless, nothing installed",
        spec: Spec { enrollment: Some("androidAOSPUserlessDeviceEnrollment"), who: Who::Nil, ..AOSP },
        apps: &[],
    },
    Edge { what: "AOSP that lists Google Play services anyway", spec: AOSP, apps: &[INTUNE_NEW, GPS_OK] },
    Edge {
        what: "AOSP known only by managementAgent intuneAosp",
        spec: Spec { enrollment: None, device_type: None, ..AOSP },
        apps: &[INTUNE_NEW],
    },
    Edge {
        what: "Android with future enum values (androidFutureMode, androidNext)",
        spec: ANDROID_UNKNOWN,
        apps: &[CP_NEW, GPS_OK],
    },
    Edge {
        what: "Android without any mode field, nothing installed",
        spec: Spec { enrollment: None, device_type: None, ..ANDROID_UNKNOWN },
        apps: &[],
    },
    // Platforms the feature does not support.
    Edge {
        what: "Windows with Company Portal",
        spec: WINDOWS,
        apps: &[(app::CP_WINDOWS, "11.2.1158.0"), (app::EDGE, "133.0.3065.69")],
    },
    Edge { what: "macOS with Company Portal", spec: MAC, apps: &[(app::CP_MAC, "5.2501.0")] },
    Edge { what: "Linux", spec: OTHER, apps: &[] },
    Edge {
        what: "ChromeOS managed by googleCloudDevicePolicyController",
        spec: Spec {
            os: Some("ChromeOS"),
            os_version: Some("132.0.6834.164"),
            device_type: Some("chromeOS"),
            agent: Some("googleCloudDevicePolicyController"),
            ..OTHER
        },
        apps: &[],
    },
    Edge {
        what: "empty operatingSystem",
        spec: Spec { os: Some(""), os_version: Some(""), device_type: Some("unknown"), ..OTHER },
        apps: &[],
    },
    Edge {
        what: "missing operatingSystem",
        spec: Spec { os: None, os_version: None, device_type: None, ..OTHER },
        apps: &[],
    },
    Edge { what: "blank operatingSystem", spec: Spec { os: Some("   "), os_version: None, ..OTHER }, apps: &[] },
    // mdm-enrolled: known MDM agents pass.
    Edge { what: "managementAgent easMdm", spec: Spec { agent: Some("easMdm"), ..IOS_CORP }, apps: &[IOS_CP] },
    Edge {
        what: "co-managed Windows (configurationManagerClientMdm)",
        spec: Spec { agent: Some("configurationManagerClientMdm"), enrollment: Some("windowsCoManagement"), ..WINDOWS },
        apps: &[],
    },
    Edge {
        what: "managementAgent configurationManagerClientMdmEas",
        spec: Spec { agent: Some("configurationManagerClientMdmEas"), ..WINDOWS },
        apps: &[],
    },
    Edge {
        what: "managementAgent microsoft365ManagedMdm",
        spec: Spec { agent: Some("microsoft365ManagedMdm"), ..IOS_PERSONAL },
        apps: &[IOS_CP],
    },
    Edge { what: "managementState missing, agent mdm", spec: Spec { state: None, ..IOS_CORP }, apps: &[IOS_CP] },
    // mdm-enrolled: other known agents fail.
    Edge {
        what: "Exchange ActiveSync-only record (managementAgent eas)",
        spec: Spec { agent: Some("eas"), enrollment: Some("unknown"), ..IOS_PERSONAL },
        apps: &[],
    },
    Edge {
        what: "managementAgent easIntuneClient",
        spec: Spec { agent: Some("easIntuneClient"), ..PWP },
        apps: &[CP_NEW, GPS_OK],
    },
    Edge {
        what: "managementAgent intuneClient (PC agent)",
        spec: Spec { agent: Some("intuneClient"), ..WINDOWS },
        apps: &[],
    },
    Edge {
        what: "managementAgent configurationManagerClient (ConfigMgr only)",
        spec: Spec { agent: Some("configurationManagerClient"), ..WINDOWS },
        apps: &[],
    },
    Edge { what: "Mac managed by Jamf (managementAgent jamf)", spec: Spec { agent: Some("jamf"), ..MAC }, apps: &[] },
    Edge {
        what: "Defender for Endpoint only (managementAgent msSense)",
        spec: Spec { agent: Some("msSense"), ..WINDOWS },
        apps: &[],
    },
    Edge { what: "managementAgent unknown", spec: Spec { agent: Some("unknown"), ..IOS_CORP }, apps: &[IOS_CP] },
    // mdm-enrolled: missing or unrecognised agents are unknown.
    Edge { what: "managementAgent missing", spec: Spec { agent: None, ..IOS_CORP }, apps: &[IOS_CP] },
    Edge {
        what: "managementAgent unknownFutureValue",
        spec: Spec { agent: Some("unknownFutureValue"), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    Edge {
        what: "managementAgent made up (intuneNextGenAgent)",
        spec: Spec { agent: Some("intuneNextGenAgent"), ..PWP },
        apps: &[CP_NEW, GPS_OK],
    },
    // mdm-enrolled: states.
    Edge { what: "retirePending", spec: Spec { state: Some("retirePending"), ..IOS_CORP }, apps: &[IOS_CP] },
    Edge { what: "retireIssued", spec: Spec { state: Some("retireIssued"), ..PWP }, apps: &[CP_NEW, GPS_OK] },
    Edge { what: "retireFailed", spec: Spec { state: Some("retireFailed"), ..WINDOWS }, apps: &[] },
    Edge {
        what: "wipePending",
        spec: Spec { state: Some("wipePending"), ..FULLY_MANAGED },
        apps: &[INTUNE_NEW, GPS_OK],
    },
    Edge { what: "wipeIssued", spec: Spec { state: Some("wipeIssued"), ..IOS_PERSONAL }, apps: &[IOS_CP] },
    Edge { what: "wipeFailed", spec: Spec { state: Some("wipeFailed"), ..MAC }, apps: &[] },
    Edge { what: "deletePending", spec: Spec { state: Some("deletePending"), ..IOS_CORP }, apps: &[IOS_CP] },
    Edge { what: "managementState unhealthy", spec: Spec { state: Some("unhealthy"), ..IOS_CORP }, apps: &[IOS_CP] },
    Edge {
        what: "managementState discovered",
        spec: Spec { state: Some("discovered"), ..PWP },
        apps: &[CP_NEW, GPS_OK],
    },
    Edge {
        what: "managementState retireCanceled",
        spec: Spec { state: Some("retireCanceled"), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    Edge {
        what: "managementState wipeCanceled",
        spec: Spec { state: Some("wipeCanceled"), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    Edge {
        what: "managementState made up (quarantinedByPartner)",
        spec: Spec { state: Some("quarantinedByPartner"), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    Edge {
        what: "Exchange-only agent and unhealthy state: fail wins",
        spec: Spec { agent: Some("eas"), state: Some("unhealthy"), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    Edge {
        what: "made-up agent and retirePending: fail wins",
        spec: Spec { agent: Some("intuneNextGenAgent"), state: Some("retirePending"), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    Edge {
        what: "missing agent and discovered state",
        spec: Spec { agent: None, state: Some("discovered"), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    // has-recipient.
    Edge {
        what: "shared iPad without a user (appleBulkWithoutUser)",
        spec: Spec {
            who: Who::Absent,
            device_type: Some("iPad"),
            enrollment: Some("appleBulkWithoutUser"),
            name: Name::Fixed("Shared iPad 07"),
            ..IOS_CORP
        },
        apps: &[IOS_CP],
    },
    Edge { what: "userId only, no UPN", spec: Spec { who: Who::IdOnly, ..IOS_CORP }, apps: &[IOS_CP] },
    Edge {
        what: "UPN in upper case on the device",
        spec: Spec { who: Who::UpnShouting, ..IOS_PERSONAL },
        apps: &[IOS_CP],
    },
    Edge {
        what: "user fields empty strings",
        spec: Spec { who: Who::Empty, ..FULLY_MANAGED },
        apps: &[INTUNE_NEW, GPS_OK],
    },
    Edge {
        what: "userless Windows kiosk (windowsBulkUserless, nil userId)",
        spec: Spec { who: Who::Nil, enrollment: Some("windowsBulkUserless"), ..WINDOWS },
        apps: &[],
    },
    // recent-check-in.
    Edge {
        what: "last sync exactly 30 days ago",
        spec: Spec { sync: When::Exact(30 * DAY), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    Edge {
        what: "last sync 30 days and 1 second ago",
        spec: Spec { sync: When::Exact(30 * DAY + 1), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    Edge {
        what: "last sync 1 second inside 30 days",
        spec: Spec { sync: When::Exact(30 * DAY - 1), ..PWP },
        apps: &[CP_NEW, GPS_OK],
    },
    Edge {
        what: "last sync 200 days ago",
        spec: Spec { sync: When::Exact(200 * DAY + 3_723), ..PWP },
        apps: &[CP_NEW, GPS_OK],
    },
    Edge {
        what: "last sync 3 hours in the future",
        spec: Spec { sync: When::Exact(-3 * 3_600), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    Edge { what: "last sync 0001-01-01T00:00:00Z", spec: Spec { sync: When::Zero, ..IOS_CORP }, apps: &[IOS_CP] },
    Edge {
        what: "last sync missing",
        spec: Spec { sync: When::Missing, ..FULLY_MANAGED },
        apps: &[INTUNE_NEW, GPS_OK],
    },
    // Shared iPad and Apple User Enrollment (supported-platform, company-portal).
    Edge {
        what: "Shared iPad (hardwareInformation.isSharedDevice true) with Company Portal",
        spec: Spec {
            shared: Some(true),
            who: Who::Absent,
            device_type: Some("iPad"),
            enrollment: Some("appleBulkWithoutUser"),
            name: Name::Fixed("Shared iPad 12"),
            ..IOS_CORP
        },
        apps: &[IOS_CP],
    },
    Edge {
        what: "corporate iPad with isSharedDevice false",
        spec: Spec { shared: Some(false), device_type: Some("iPad"), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    Edge {
        what: "Apple User Enrollment (appleUserEnrollment) without Company Portal",
        spec: Spec { enrollment: Some("appleUserEnrollment"), ..IOS_PERSONAL },
        apps: &[(app::OUTLOOK, "4.2445.1")],
    },
    Edge {
        what: "corporate-owned appleUserEnrollmentWithServiceAccount without Company Portal",
        spec: Spec { enrollment: Some("appleUserEnrollmentWithServiceAccount"), ..IOS_CORP },
        apps: &[],
    },
    Edge {
        what: "account-driven Apple User Enrollment with Company Portal",
        spec: Spec { enrollment: Some("appleAccountDrivenUserEnrollment"), ..IOS_PERSONAL },
        apps: &[IOS_CP],
    },
    // has-recipient: a device enrollment manager enrolled it.
    Edge {
        what: "corporate iPhone enrolled by a device enrollment manager",
        spec: Spec { enrollment: Some("deviceEnrollmentManager"), ..IOS_CORP },
        apps: &[IOS_CP],
    },
    // portal-version on iOS; Comp Portal.
    Edge {
        what: "corporate iPhone with Company Portal 5.2310.1 (below 5.2311.1)",
        spec: IOS_CORP,
        apps: &[(app::CP_IOS, "5.2310.1")],
    },
    Edge {
        what: "corporate iPhone with Company Portal exactly 5.2311.1",
        spec: IOS_CORP,
        apps: &[(app::CP_IOS, "5.2311.1")],
    },
    Edge {
        what: "corporate iPhone listing Comp Portal (how iOS reports it)",
        spec: IOS_CORP,
        apps: &[(app::CP_IOS_COMP, "5.2503.0")],
    },
    // The 7-day app-inventory window from enrolledDateTime (company-portal, google-play-services).
    Edge {
        what: "corporate iPhone enrolled 3 days ago, Company Portal not listed yet",
        spec: Spec { enrolled: When::Exact(3 * DAY), ..IOS_CORP },
        apps: &[],
    },
    Edge {
        what: "corporate iPhone enrolled exactly 7 days ago without Company Portal",
        spec: Spec { enrolled: When::Exact(7 * DAY), ..IOS_CORP },
        apps: &[],
    },
    Edge {
        what: "corporate iPhone enrolled 1 second inside 7 days without Company Portal",
        spec: Spec { enrolled: When::Exact(7 * DAY - 1), ..IOS_CORP },
        apps: &[],
    },
    Edge {
        what: "corporate iPhone enrolled 2 hours in the future without Company Portal",
        spec: Spec { enrolled: When::Exact(-2 * HOUR), ..IOS_CORP },
        apps: &[],
    },
    Edge {
        what: "fully managed enrolled 2 days ago, nothing listed yet",
        spec: Spec { enrolled: When::Exact(2 * DAY), ..FULLY_MANAGED },
        apps: &[],
    },
    Edge {
        what: "corporate device administrator enrolled 5 days ago without Google Play services",
        spec: Spec { enrolled: When::Exact(5 * DAY), ..DEVICE_ADMIN },
        apps: &[CP_NEW],
    },
    Edge { what: "corporate device administrator without Google Play services", spec: DEVICE_ADMIN, apps: &[CP_NEW] },
    Edge {
        what: "enrolledDateTime 0001-01-01, corporate iPhone without Company Portal",
        spec: Spec { enrolled: When::Zero, ..IOS_CORP },
        apps: &[],
    },
    Edge {
        what: "enrolledDateTime missing, corporate device administrator without Google Play services",
        spec: Spec { enrolled: When::Missing, ..DEVICE_ADMIN },
        apps: &[CP_NEW],
    },
    // Platform and Android mode from operatingSystem.
    Edge {
        what: "operatingSystem Unknown",
        spec: Spec { os: Some("Unknown"), os_version: Some(""), device_type: Some("unknown"), ..OTHER },
        apps: &[],
    },
    Edge {
        what: "operatingSystem AndroidForWork without deviceType",
        spec: Spec { os: Some("AndroidForWork"), device_type: None, ..PWP },
        apps: &[CP_NEW, GPS_OK],
    },
    Edge {
        what: "operatingSystem AndroidAOSP without any other mode field",
        spec: Spec { os: Some("AndroidAOSP"), device_type: None, enrollment: None, agent: Some("mdm"), ..AOSP },
        apps: &[INTUNE_NEW],
    },
    Edge {
        what: "operatingSystem AndroidEnterprise decides no mode",
        spec: Spec { os: Some("AndroidEnterprise"), device_type: None, enrollment: None, ..ANDROID_UNKNOWN },
        apps: &[CP_NEW, GPS_OK],
    },
    // Near misses: names that look like a receiving app or Google Play services but match no default.
    Edge {
        what: "personal work profile listing Google Play-Dienste",
        spec: PWP,
        apps: &[CP_NEW, (app::GPS_DE, "24.49.33 (190408-705604133)")],
    },
    Edge {
        what: "corporate device administrator listing Google Play-Dienste",
        spec: DEVICE_ADMIN,
        apps: &[CP_NEW, (app::GPS_DE, "25.07.33 (190400-727829562)")],
    },
    Edge {
        what: "personal work profile listing Microsoft Intune Company Portal (Preview) only",
        spec: PWP,
        apps: &[(app::CP_PREVIEW, "5.0.6301.0"), GPS_OK],
    },
    Edge {
        what: "corporate iPhone listing Portail d’entreprise only",
        spec: IOS_CORP,
        apps: &[(app::CP_IOS_FR, "5.2501.1")],
    },
];
