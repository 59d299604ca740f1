//! The rule outcomes each catalogue device exists for, keyed by the entry's label: test code, so the
//! generator itself knows nothing of the rules.

use crate::rules::RuleId::{self, *};
use crate::rules::Status::{self, *};

/// (catalogue label, the outcomes its device gives); a label shared by several entries (the awkward
/// names) holds for each of them. In catalogue order, with its groups.
pub(super) const EXPECTED: &[(&str, &[(RuleId, Status)])] = &[
    // supported-platform, company-portal and inventory completeness on iOS.
    (
        "healthy corporate iPhone",
        &[
            (SupportedPlatform, Pass),
            (MdmEnrolled, Pass),
            (HasRecipient, Pass),
            (CompanyPortal, Pass),
            (PortalVersion, Pass),
            (GooglePlayServices, NotApplicable),
            (RecentCheckIn, Pass),
            (PushPermission, Unknown),
        ],
    ),
    ("personal iPad on iPadOS with Company Portal", &[(SupportedPlatform, Pass), (CompanyPortal, Pass)]),
    (
        "personal iPhone (operatingSystem IOS) whose managed-app inventory lacks Company Portal",
        &[(SupportedPlatform, Pass), (CompanyPortal, Unknown)],
    ),
    (
        "corporate iPhone (operatingSystem ios) whose complete inventory lacks Company Portal",
        &[(SupportedPlatform, Pass), (CompanyPortal, Fail)],
    ),
    ("corporate by the beta ownerType alone, no Company Portal", &[(CompanyPortal, Fail)]),
    ("empty managedDeviceOwnerType, beta ownerType company, no Company Portal", &[(CompanyPortal, Fail)]),
    ("ownership unknown, no Company Portal", &[(CompanyPortal, Unknown)]),
    ("personal by the beta ownerType alone, no Company Portal", &[(CompanyPortal, Unknown)]),
    ("corporate iPhone listing Intune Company Portal", &[(CompanyPortal, Pass)]),
    // Android personal work profile: company-portal, portal-version, google-play-services.
    (
        "personal work profile with current Company Portal and Google Play services",
        &[(SupportedPlatform, Pass), (CompanyPortal, Pass), (PortalVersion, Pass), (GooglePlayServices, Pass)],
    ),
    (
        "personal work profile listing no apps",
        &[(CompanyPortal, Unknown), (PortalVersion, NotApplicable), (GooglePlayServices, Unknown)],
    ),
    (
        "personal work profile with Company Portal 5.0.4512.0 (below 5.0.5291.0)",
        &[(CompanyPortal, Pass), (PortalVersion, Fail)],
    ),
    (
        "unparseable Company Portal version; Google Play Services capitalised",
        &[(PortalVersion, Unknown), (GooglePlayServices, Pass)],
    ),
    ("Company Portal exactly at the minimum 5.0.5291.0", &[(PortalVersion, Pass)]),
    ("two Company Portal versions listed, old and current", &[(PortalVersion, Pass)]),
    ("two Company Portal versions listed, old and unparseable", &[(PortalVersion, Unknown)]),
    (
        "operatingSystem android (lower case), Intune Company Portal name",
        &[(SupportedPlatform, Pass), (CompanyPortal, Pass)],
    ),
    (
        "undocumented deviceEnrollmentType androidEnterpriseWorkProfile, Microsoft Intune app only",
        &[(SupportedPlatform, Pass), (CompanyPortal, Pass), (PortalVersion, Pass)],
    ),
    ("personal work profile without deviceEnrollmentType", &[(SupportedPlatform, Pass)]),
    // Android Enterprise corporate modes.
    (
        "fully managed, Microsoft Intune app exactly 2021.09.04",
        &[(SupportedPlatform, Fail), (CompanyPortal, Pass), (PortalVersion, Pass), (GooglePlayServices, Pass)],
    ),
    ("fully managed, Microsoft Intune app 2021.08.02 (below 2021.09.04)", &[(PortalVersion, Fail)]),
    (
        "fully managed whose complete inventory has neither receiving app nor Google Play services",
        // Complete for apps, not for system apps: the work profile's apps only.
        &[(CompanyPortal, Fail), (PortalVersion, NotApplicable), (GooglePlayServices, Unknown)],
    ),
    ("fully managed, old Company Portal and current Intune app", &[(PortalVersion, Pass)]),
    ("fully managed, managementAgent googleCloudDevicePolicyController", &[(MdmEnrolled, Pass)]),
    ("dedicated kiosk: nil-GUID userId, empty UPN", &[(SupportedPlatform, Fail), (HasRecipient, Fail)]),
    (
        "dedicated, user fields missing, nothing installed",
        &[(HasRecipient, Fail), (CompanyPortal, Fail), (GooglePlayServices, Unknown)],
    ),
    ("dedicated in shared device mode with a signed-in user", &[(SupportedPlatform, Fail), (HasRecipient, Pass)]),
    (
        "corporate work profile with Company Portal and Google Play services",
        &[(SupportedPlatform, Unknown), (CompanyPortal, Pass), (GooglePlayServices, Pass)],
    ),
    (
        "corporate work profile without Google Play services (system apps not inventoried)",
        &[(CompanyPortal, Pass), (GooglePlayServices, Unknown)],
    ),
    ("managementAgent google", &[(MdmEnrolled, Pass)]),
    (
        "corporate device administrator with nothing installed",
        &[(SupportedPlatform, Unknown), (CompanyPortal, Fail), (GooglePlayServices, Fail)],
    ),
    (
        "personal device administrator with an old Company Portal",
        &[(CompanyPortal, Pass), (PortalVersion, Fail), (GooglePlayServices, Unknown)],
    ),
    (
        "AOSP user-owned with the Microsoft Intune app",
        &[(SupportedPlatform, Fail), (MdmEnrolled, Pass), (GooglePlayServices, Fail)],
    ),
    ("AOSP userless, nothing installed", &[(CompanyPortal, Unknown), (GooglePlayServices, Fail), (HasRecipient, Fail)]),
    ("AOSP that lists Google Play services anyway", &[(GooglePlayServices, Fail)]),
    ("AOSP known only by managementAgent intuneAosp", &[(SupportedPlatform, Fail), (GooglePlayServices, Fail)]),
    (
        "Android with future enum values (androidFutureMode, androidNext)",
        &[(SupportedPlatform, Unknown), (CompanyPortal, Pass)],
    ),
    (
        "Android without any mode field, nothing installed",
        &[(SupportedPlatform, Unknown), (CompanyPortal, Unknown), (GooglePlayServices, Unknown)],
    ),
    // Platforms the feature does not support.
    (
        "Windows with Company Portal",
        &[
            (SupportedPlatform, Fail),
            (CompanyPortal, NotApplicable),
            (PortalVersion, NotApplicable),
            (GooglePlayServices, NotApplicable),
        ],
    ),
    ("macOS with Company Portal", &[(SupportedPlatform, Fail)]),
    ("Linux", &[(SupportedPlatform, Fail), (CompanyPortal, NotApplicable)]),
    ("ChromeOS managed by googleCloudDevicePolicyController", &[(SupportedPlatform, Fail), (MdmEnrolled, Pass)]),
    (
        "empty operatingSystem",
        &[(SupportedPlatform, Unknown), (CompanyPortal, NotApplicable), (GooglePlayServices, NotApplicable)],
    ),
    ("missing operatingSystem", &[(SupportedPlatform, Unknown)]),
    ("blank operatingSystem", &[(SupportedPlatform, Unknown)]),
    // mdm-enrolled: known MDM agents pass.
    ("managementAgent easMdm", &[(MdmEnrolled, Pass)]),
    ("co-managed Windows (configurationManagerClientMdm)", &[(MdmEnrolled, Pass)]),
    ("managementAgent configurationManagerClientMdmEas", &[(MdmEnrolled, Pass)]),
    ("managementAgent microsoft365ManagedMdm", &[(MdmEnrolled, Pass)]),
    ("managementState missing, agent mdm", &[(MdmEnrolled, Pass)]),
    // mdm-enrolled: other known agents fail.
    ("Exchange ActiveSync-only record (managementAgent eas)", &[(MdmEnrolled, Fail)]),
    ("managementAgent easIntuneClient", &[(MdmEnrolled, Fail)]),
    ("managementAgent intuneClient (PC agent)", &[(MdmEnrolled, Fail)]),
    ("managementAgent configurationManagerClient (ConfigMgr only)", &[(MdmEnrolled, Fail)]),
    ("Mac managed by Jamf (managementAgent jamf)", &[(MdmEnrolled, Fail)]),
    ("Defender for Endpoint only (managementAgent msSense)", &[(MdmEnrolled, Fail)]),
    ("managementAgent unknown", &[(MdmEnrolled, Fail)]),
    // mdm-enrolled: missing or unrecognised agents are unknown.
    ("managementAgent missing", &[(MdmEnrolled, Unknown)]),
    ("managementAgent unknownFutureValue", &[(MdmEnrolled, Unknown)]),
    ("managementAgent made up (intuneNextGenAgent)", &[(MdmEnrolled, Unknown)]),
    // mdm-enrolled: states.
    ("retirePending", &[(MdmEnrolled, Fail)]),
    ("retireIssued", &[(MdmEnrolled, Fail)]),
    ("retireFailed", &[(MdmEnrolled, Fail)]),
    ("wipePending", &[(MdmEnrolled, Fail)]),
    ("wipeIssued", &[(MdmEnrolled, Fail)]),
    ("wipeFailed", &[(MdmEnrolled, Fail)]),
    ("deletePending", &[(MdmEnrolled, Fail)]),
    ("managementState unhealthy", &[(MdmEnrolled, Unknown)]),
    ("managementState discovered", &[(MdmEnrolled, Unknown)]),
    ("managementState retireCanceled", &[(MdmEnrolled, Unknown)]),
    ("managementState wipeCanceled", &[(MdmEnrolled, Unknown)]),
    ("managementState made up (quarantinedByPartner)", &[(MdmEnrolled, Unknown)]),
    ("Exchange-only agent and unhealthy state: fail wins", &[(MdmEnrolled, Fail)]),
    ("made-up agent and retirePending: fail wins", &[(MdmEnrolled, Fail)]),
    ("missing agent and discovered state", &[(MdmEnrolled, Unknown)]),
    // has-recipient.
    ("shared iPad without a user (appleBulkWithoutUser)", &[(HasRecipient, Fail), (CompanyPortal, Pass)]),
    ("userId only, no UPN", &[(HasRecipient, Pass)]),
    ("UPN in upper case on the device", &[(HasRecipient, Pass)]),
    ("user fields empty strings", &[(HasRecipient, Fail)]),
    ("userless Windows kiosk (windowsBulkUserless, nil userId)", &[(HasRecipient, Fail)]),
    // recent-check-in.
    ("last sync exactly 30 days ago", &[(RecentCheckIn, Pass)]),
    ("last sync 30 days and 1 second ago", &[(RecentCheckIn, Fail)]),
    ("last sync 1 second inside 30 days", &[(RecentCheckIn, Pass)]),
    ("last sync 200 days ago", &[(RecentCheckIn, Fail)]),
    ("last sync 3 hours in the future", &[(RecentCheckIn, Pass)]),
    ("last sync 0001-01-01T00:00:00Z", &[(RecentCheckIn, Unknown)]),
    ("last sync missing", &[(RecentCheckIn, Unknown)]),
    // Shared iPad and Apple User Enrollment.
    (
        "Shared iPad (hardwareInformation.isSharedDevice true) with Company Portal",
        &[(SupportedPlatform, Fail), (HasRecipient, Fail), (CompanyPortal, Pass)],
    ),
    ("corporate iPad with isSharedDevice false", &[(SupportedPlatform, Pass), (CompanyPortal, Pass)]),
    (
        "Apple User Enrollment (appleUserEnrollment) without Company Portal",
        &[(SupportedPlatform, Unknown), (CompanyPortal, Unknown), (PortalVersion, NotApplicable)],
    ),
    (
        // Corporate, yet only the managed volume is inventoried.
        "corporate-owned appleUserEnrollmentWithServiceAccount without Company Portal",
        &[(SupportedPlatform, Unknown), (CompanyPortal, Unknown)],
    ),
    (
        "account-driven Apple User Enrollment with Company Portal",
        &[(SupportedPlatform, Unknown), (CompanyPortal, Pass), (PortalVersion, Pass)],
    ),
    // has-recipient: DEM.
    (
        "corporate iPhone enrolled by a device enrollment manager",
        &[(SupportedPlatform, Pass), (HasRecipient, Fail), (CompanyPortal, Pass)],
    ),
    // portal-version on iOS; Comp Portal.
    (
        "corporate iPhone with Company Portal 5.2310.1 (below 5.2311.1)",
        &[(CompanyPortal, Pass), (PortalVersion, Unknown)],
    ),
    ("corporate iPhone with Company Portal exactly 5.2311.1", &[(PortalVersion, Pass)]),
    ("corporate iPhone listing Comp Portal (how iOS reports it)", &[(CompanyPortal, Pass), (PortalVersion, Pass)]),
    // The 7-day app-inventory window.
    ("corporate iPhone enrolled 3 days ago, Company Portal not listed yet", &[(CompanyPortal, Unknown)]),
    ("corporate iPhone enrolled exactly 7 days ago without Company Portal", &[(CompanyPortal, Fail)]),
    ("corporate iPhone enrolled 1 second inside 7 days without Company Portal", &[(CompanyPortal, Unknown)]),
    ("corporate iPhone enrolled 2 hours in the future without Company Portal", &[(CompanyPortal, Unknown)]),
    (
        "fully managed enrolled 2 days ago, nothing listed yet",
        &[(CompanyPortal, Unknown), (PortalVersion, NotApplicable), (GooglePlayServices, Unknown)],
    ),
    (
        "corporate device administrator enrolled 5 days ago without Google Play services",
        &[(CompanyPortal, Pass), (GooglePlayServices, Unknown)],
    ),
    ("corporate device administrator without Google Play services", &[(GooglePlayServices, Fail)]),
    ("enrolledDateTime 0001-01-01, corporate iPhone without Company Portal", &[(CompanyPortal, Fail)]),
    (
        "enrolledDateTime missing, corporate device administrator without Google Play services",
        &[(GooglePlayServices, Fail)],
    ),
    // Platform and Android mode from operatingSystem.
    (
        "operatingSystem Unknown",
        &[(SupportedPlatform, Unknown), (CompanyPortal, NotApplicable), (GooglePlayServices, NotApplicable)],
    ),
    (
        "operatingSystem AndroidForWork without deviceType",
        &[(SupportedPlatform, Pass), (CompanyPortal, Pass), (GooglePlayServices, Pass)],
    ),
    (
        "operatingSystem AndroidAOSP without any other mode field",
        &[(SupportedPlatform, Fail), (MdmEnrolled, Pass), (GooglePlayServices, Fail)],
    ),
    ("operatingSystem AndroidEnterprise decides no mode", &[(SupportedPlatform, Unknown), (CompanyPortal, Pass)]),
    // Near misses count for nothing.
    ("personal work profile listing Google Play-Dienste", &[(GooglePlayServices, Unknown)]),
    ("corporate device administrator listing Google Play-Dienste", &[(GooglePlayServices, Fail)]),
    (
        "personal work profile listing Microsoft Intune Company Portal (Preview) only",
        &[(CompanyPortal, Unknown), (PortalVersion, NotApplicable)],
    ),
    ("corporate iPhone listing Portail d’entreprise only", &[(CompanyPortal, Fail)]),
    // Awkward device names, on otherwise healthy devices.
    ("awkward device name", &[(HasRecipient, Pass)]),
];
