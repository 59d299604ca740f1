//! What the values of an export mean in Graph's vocabulary: the admin center's labels (`Corporate`),
//! Graph's own names (`company`) and the numeric codes of the report export jobs (`OwnerType` 1), so
//! that a device read from a CSV file is classified exactly as the same device read from Graph.
//!
//! The tables, their sources and the rules for values in no table are in docs/exports.md ("Values");
//! a test keeps that page and these tables the same.

/// One member of a Graph enum: its name, its number in Graph's metadata, and the labels the admin
/// center shows for it (the name itself always matches too).
#[derive(Debug)]
pub struct EnumValue {
    pub graph: &'static str,
    pub code: u32,
    pub labels: &'static [&'static str],
}

const fn value(graph: &'static str, code: u32, labels: &'static [&'static str]) -> EnumValue {
    EnumValue { graph, code, labels }
}

/// A Graph enum as an export column may write it.
#[derive(Debug)]
pub struct EnumTable {
    /// The Graph enum's name, as docs/exports.md names it.
    pub name: &'static str,
    pub values: &'static [EnumValue],
    /// What a numeric code that is in no row becomes: the value the rules read as unknown. `None`
    /// (the field is left empty) where the enum's own `unknown` member means something else.
    pub unmapped_code: Option<&'static str>,
}

/// What a cell of an enum column means.
#[derive(Debug, PartialEq, Eq)]
pub enum Mapped<'a> {
    /// A Graph value, or a label in no table, kept as written.
    Value(&'a str),
    /// A numeric code in no row of the table: read as [`EnumTable::unmapped_code`], with a warning.
    UnknownCode(Option<&'static str>),
}

impl EnumTable {
    /// The Graph value of a cell: by numeric code, then by label or Graph name; anything else as written.
    pub fn map<'a>(&self, raw: &'a str) -> Mapped<'a> {
        if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
            let code = raw.parse::<u32>().ok();
            return match self.values.iter().find(|v| Some(v.code) == code) {
                Some(known) => Mapped::Value(known.graph),
                None => Mapped::UnknownCode(self.unmapped_code),
            };
        }
        let known = self
            .values
            .iter()
            .find(|v| same_label(v.graph, raw) || v.labels.iter().any(|label| same_label(label, raw)));
        Mapped::Value(known.map_or(raw, |v| v.graph))
    }
}

/// Ownership: Graph's `managedDeviceOwnerType` (beta `ownerType` has the same members and numbers).
pub const OWNERSHIP: EnumTable = EnumTable {
    name: "managedDeviceOwnerType",
    values: &[value("unknown", 0, &[]), value("company", 1, &["Corporate", "Corp"]), value("personal", 2, &[])],
    unmapped_code: Some("unknown"),
};

/// Management agent: Graph's `managementAgentType`. Its numbers are bit flags (`easMdm` 3 = `eas` 1 +
/// `mdm` 2); only the combinations that the enum names are mapped.
pub const MANAGEMENT_AGENT: EnumTable = EnumTable {
    name: "managementAgentType",
    values: &[
        value("eas", 1, &["Exchange ActiveSync", "EAS"]),
        value("mdm", 2, &["Intune", "MDM"]),
        value("easMdm", 3, &["MDM/EAS", "Intune/EAS"]),
        value("intuneClient", 4, &[]),
        value("easIntuneClient", 5, &[]),
        value("configurationManagerClient", 8, &["ConfigMgr", "Configuration Manager"]),
        value("configurationManagerClientMdm", 10, &["Co-managed", "Comanaged"]),
        value("configurationManagerClientMdmEas", 11, &["Co-managed/EAS"]),
        value("unknown", 16, &[]),
        value("jamf", 32, &[]),
        value("googleCloudDevicePolicyController", 64, &[]),
        value("microsoft365ManagedMdm", 258, &[]),
        value("msSense", 1024, &["MDE", "Microsoft Defender for Endpoint"]),
        value("intuneAosp", 2048, &[]),
        value("google", 8192, &[]),
    ],
    // Graph's own `unknown` (16) is an answer the rules read as "not MDM"; a code nobody knows is
    // no answer at all, so the agent is left empty (mdm-enrolled is then unknown, not failed).
    unmapped_code: None,
};

/// Management state: Graph's `managementState`.
pub const MANAGEMENT_STATE: EnumTable = EnumTable {
    name: "managementState",
    values: &[
        value("managed", 0, &[]),
        value("retirePending", 1, &[]),
        value("retireFailed", 2, &[]),
        value("wipePending", 3, &[]),
        value("wipeFailed", 4, &[]),
        value("unhealthy", 5, &[]),
        value("deletePending", 6, &[]),
        value("retireIssued", 7, &[]),
        value("wipeIssued", 8, &[]),
        value("wipeCanceled", 9, &["Wipe cancelled"]),
        value("retireCanceled", 10, &["Retire cancelled"]),
        value("discovered", 11, &[]),
    ],
    // Not a member of the enum: the rules read it as a state that does not confirm management.
    unmapped_code: Some("unknown"),
};

/// Enrollment type: Graph's `deviceEnrollmentType` (beta members included).
pub const ENROLLMENT_TYPE: EnumTable = EnumTable {
    name: "deviceEnrollmentType",
    values: &[
        value("unknown", 0, &[]),
        value("userEnrollment", 1, &[]),
        value("deviceEnrollmentManager", 2, &["DEM"]),
        value("appleBulkWithUser", 3, &[]),
        value("appleBulkWithoutUser", 4, &[]),
        value("windowsAzureADJoin", 5, &[]),
        value("windowsBulkUserless", 6, &[]),
        value("windowsAutoEnrollment", 7, &[]),
        value("windowsBulkAzureDomainJoin", 8, &[]),
        value("windowsCoManagement", 9, &[]),
        value("windowsAzureADJoinUsingDeviceAuth", 10, &[]),
        value("appleUserEnrollment", 11, &[]),
        value("appleUserEnrollmentWithServiceAccount", 12, &[]),
        value("azureAdJoinUsingAzureVmExtension", 14, &[]),
        value("androidEnterpriseDedicatedDevice", 15, &[]),
        value("androidEnterpriseFullyManaged", 16, &[]),
        value("androidEnterpriseCorporateWorkProfile", 17, &["Android Enterprise corporate-owned work profile"]),
        value("androidAOSPUserOwnedDeviceEnrollment", 18, &[]),
        value("androidAOSPUserlessDeviceEnrollment", 19, &[]),
        value("appleAccountDrivenUserEnrollment", 25, &["Account driven user enrollment"]),
    ],
    unmapped_code: Some("unknown"),
};

/// Device type: Graph's beta `deviceType`.
pub const DEVICE_TYPE: EnumTable = EnumTable {
    name: "deviceType",
    values: &[
        value("desktop", 0, &[]),
        value("windowsRT", 1, &[]),
        value("winMO6", 2, &[]),
        value("nokia", 3, &[]),
        value("windowsPhone", 4, &[]),
        value("mac", 5, &[]),
        value("winCE", 6, &[]),
        value("winEmbedded", 7, &[]),
        value("iPhone", 8, &[]),
        value("iPad", 9, &[]),
        value("iPod", 10, &[]),
        value("android", 11, &[]),
        value("iSocConsumer", 12, &[]),
        value("unix", 13, &[]),
        value("macMDM", 14, &[]),
        value("holoLens", 15, &[]),
        value("surfaceHub", 16, &[]),
        value("androidForWork", 17, &[]),
        value("androidEnterprise", 18, &[]),
        value("windows10x", 19, &[]),
        value("androidnGMS", 20, &[]),
        value("chromeOS", 21, &[]),
        value("linux", 22, &[]),
        value("visionOS", 23, &[]),
        value("tvOS", 24, &[]),
        value("blackberry", 100, &[]),
        value("palm", 101, &[]),
        value("unknown", 255, &[]),
        value("cloudPC", 257, &[]),
    ],
    unmapped_code: Some("unknown"),
};

/// Every enum table, in the order docs/exports.md lists them.
pub const ENUM_TABLES: [&EnumTable; 5] =
    [&OWNERSHIP, &MANAGEMENT_AGENT, &MANAGEMENT_STATE, &ENROLLMENT_TYPE, &DEVICE_TYPE];

/// What a label of the `OS` column means, when it is not Graph's own `operatingSystem` value.
#[derive(Debug)]
pub struct OsLabel {
    pub labels: &'static [&'static str],
    /// The `operatingSystem` it stands for.
    pub operating_system: &'static str,
    /// The device type or enrollment type the label states outright (the `DeviceType` and
    /// `EnrollmentType` columns, when the file has them, win).
    pub device_type: Option<&'static str>,
    pub enrollment_type: Option<&'static str>,
}

const fn os(labels: &'static [&'static str], operating_system: &'static str) -> OsLabel {
    OsLabel { labels, operating_system, device_type: None, enrollment_type: None }
}

/// OS labels. Graph's own spellings (`AndroidForWork`, `AndroidEnterprise`, `AndroidAOSP`, `Android`,
/// `iOS`, `Unknown`, ...) are `operatingSystem` as they are and imply nothing: classification decides
/// what they mean, exactly as for a Graph device. Only the admin center's descriptive labels say more.
pub const OS_LABELS: &[OsLabel] = &[
    os(&["iOS/iPadOS", "iPhone", "iPad", "iPod"], "iOS"),
    // Graph's spellings, listed so that other spacings of them (`Android for Work`) read the same.
    os(&["AndroidForWork"], "AndroidForWork"),
    os(&["AndroidEnterprise"], "AndroidEnterprise"),
    os(&["AndroidAOSP", "Android Open Source Project"], "AndroidAOSP"),
    OsLabel {
        labels: &["Android (device administrator)", "Android device administrator"],
        device_type: Some("android"),
        ..os(&[], "Android")
    },
    OsLabel {
        labels: &[
            "Android (personally-owned work profile)",
            "Android Enterprise (personally-owned work profile)",
            "Android work profile",
            "Android (work profile)",
        ],
        device_type: Some("androidForWork"),
        ..os(&[], "Android")
    },
    OsLabel {
        labels: &["Android (fully managed)", "Android Enterprise (fully managed)"],
        enrollment_type: Some("androidEnterpriseFullyManaged"),
        ..os(&[], "Android")
    },
    OsLabel {
        labels: &["Android (dedicated)", "Android Enterprise (dedicated)", "Android (dedicated device)"],
        enrollment_type: Some("androidEnterpriseDedicatedDevice"),
        ..os(&[], "Android")
    },
    OsLabel {
        labels: &["Android (corporate-owned work profile)", "Android Enterprise (corporate-owned work profile)"],
        enrollment_type: Some("androidEnterpriseCorporateWorkProfile"),
        ..os(&[], "Android")
    },
    // A device type name in the OS column.
    OsLabel { labels: &["AndroidnGMS"], device_type: Some("androidnGMS"), ..os(&[], "Android") },
];

/// The meaning of an OS label, `None` for a value kept as written.
pub fn os_label(raw: &str) -> Option<&'static OsLabel> {
    OS_LABELS.iter().find(|os| os.labels.iter().any(|label| same_label(label, raw)))
}

/// Compares labels on ASCII letters and digits only, case-insensitively (`Retire pending` =
/// `retirePending` = `RETIRE-PENDING`).
pub fn same_label(a: &str, b: &str) -> bool {
    fn letters(text: &str) -> impl Iterator<Item = u8> + '_ {
        text.bytes().filter(u8::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase())
    }
    letters(a).eq(letters(b))
}

/// Whether a user principal name carries Entra's deleted-user marker: the user's object id as 32 hex
/// digits glued before the address (`3f2504e04f8941d39a0c0305e82c3301alice@contoso.com`).
pub fn has_deleted_user_marker(upn: &str) -> bool {
    let local = upn.split('@').next().unwrap_or("");
    upn.contains('@') && local.len() > 32 && local.as_bytes()[..32].iter().all(u8::is_ascii_hexdigit)
}

/// Whether an enrolling user is written as an object id (a GUID) rather than a user principal name.
pub fn is_user_id(value: &str) -> bool {
    !value.contains('@') && uuid::Uuid::parse_str(value.trim()).is_ok()
}

/// The value tables as docs/exports.md shows them (a test keeps the page equal to this).
pub fn markdown() -> String {
    let mut out = String::new();
    for table in ENUM_TABLES {
        out.push_str(&format!("`{}`:\n\n| code | Graph value | labels |\n|---|---|---|\n", table.name));
        for value in table.values {
            let labels: Vec<String> = value.labels.iter().map(|l| format!("`{l}`")).collect();
            out.push_str(&format!("| {} | `{}` | {} |\n", value.code, value.graph, labels.join(", ")));
        }
        let unmapped = table.unmapped_code.map_or("left empty".to_owned(), |v| format!("`{v}`"));
        out.push_str(&format!("\nAny other code: {unmapped}, with a warning.\n\n"));
    }
    out.push_str("`OS` labels (any other value is `operatingSystem` as written):\n\n");
    out.push_str("| labels | operatingSystem | implies |\n|---|---|---|\n");
    for label in OS_LABELS {
        let labels: Vec<String> = label.labels.iter().map(|l| format!("`{l}`")).collect();
        let implies = match (label.device_type, label.enrollment_type) {
            (Some(device_type), _) => format!("deviceType `{device_type}`"),
            (None, Some(enrollment_type)) => format!("deviceEnrollmentType `{enrollment_type}`"),
            (None, None) => String::new(),
        };
        out.push_str(&format!("| {} | `{}` | {implies} |\n", labels.join(", "), label.operating_system));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(table: &EnumTable, raw: &str) -> String {
        match table.map(raw) {
            Mapped::Value(value) => value.to_owned(),
            Mapped::UnknownCode(value) => format!("?{}", value.unwrap_or("")),
        }
    }

    #[test]
    fn labels_names_and_codes_map_to_graph_values() {
        assert_eq!(graph(&OWNERSHIP, "Corporate"), "company");
        assert_eq!(graph(&OWNERSHIP, "personal"), "personal");
        assert_eq!(graph(&OWNERSHIP, "1"), "company");
        assert_eq!(graph(&OWNERSHIP, "2"), "personal");
        assert_eq!(graph(&OWNERSHIP, "0"), "unknown");
        assert_eq!(graph(&OWNERSHIP, "7"), "?unknown");
        assert_eq!(graph(&OWNERSHIP, "Shared"), "Shared", "a label in no table is kept");
        assert_eq!(graph(&MANAGEMENT_AGENT, "MDM/EAS"), "easMdm");
        assert_eq!(graph(&MANAGEMENT_AGENT, "Co-managed"), "configurationManagerClientMdm");
        assert_eq!(graph(&MANAGEMENT_AGENT, "2"), "mdm");
        assert_eq!(graph(&MANAGEMENT_AGENT, "2048"), "intuneAosp");
        assert_eq!(graph(&MANAGEMENT_AGENT, "9"), "?", "a flag combination Graph does not name");
        assert_eq!(graph(&MANAGEMENT_STATE, "Retire pending"), "retirePending");
        assert_eq!(graph(&MANAGEMENT_STATE, "Wipe cancelled"), "wipeCanceled");
        assert_eq!(graph(&MANAGEMENT_STATE, "3"), "wipePending");
        assert_eq!(graph(&MANAGEMENT_STATE, "12"), "?unknown");
        assert_eq!(graph(&ENROLLMENT_TYPE, "11"), "appleUserEnrollment");
        assert_eq!(graph(&ENROLLMENT_TYPE, "2"), "deviceEnrollmentManager");
        assert_eq!(graph(&ENROLLMENT_TYPE, "DEM"), "deviceEnrollmentManager");
        assert_eq!(graph(&ENROLLMENT_TYPE, "25"), "appleAccountDrivenUserEnrollment");
        assert_eq!(graph(&ENROLLMENT_TYPE, "Android Enterprise fully managed"), "androidEnterpriseFullyManaged");
        assert_eq!(graph(&DEVICE_TYPE, "17"), "androidForWork");
        assert_eq!(graph(&DEVICE_TYPE, "20"), "androidnGMS");
        assert_eq!(graph(&DEVICE_TYPE, "99999999999999999999"), "?unknown", "too large for a code");
    }

    #[test]
    fn codes_and_labels_are_unique_in_each_table() {
        for table in ENUM_TABLES {
            for (i, a) in table.values.iter().enumerate() {
                for b in &table.values[i + 1..] {
                    assert_ne!(a.code, b.code, "{}: {} and {}", table.name, a.graph, b.graph);
                    let names =
                        |v: &EnumValue| std::iter::once(v.graph).chain(v.labels.iter().copied()).collect::<Vec<_>>();
                    for x in names(a) {
                        assert!(!names(b).iter().any(|y| same_label(x, y)), "{}: `{x}` means two values", table.name);
                    }
                }
            }
        }
    }

    #[test]
    fn os_labels() {
        assert_eq!(os_label("Android for Work").map(|l| l.operating_system), Some("AndroidForWork"));
        assert_eq!(os_label("ANDROIDFORWORK").map(|l| l.device_type), Some(None), "Graph's spelling implies nothing");
        assert_eq!(os_label("Android (AOSP)").map(|l| l.operating_system), Some("AndroidAOSP"));
        assert_eq!(os_label("iOS/iPadOS").map(|l| l.operating_system), Some("iOS"));
        assert_eq!(
            os_label("Android (fully managed)").and_then(|l| l.enrollment_type),
            Some("androidEnterpriseFullyManaged")
        );
        assert!(os_label("Android").is_none() && os_label("Windows").is_none() && os_label("Unknown").is_none());
    }

    #[test]
    fn deleted_users_and_user_ids() {
        assert!(has_deleted_user_marker("3f2504e04f8941d39a0c0305e82c3301alice@contoso.com"));
        assert!(has_deleted_user_marker("3F2504E04F8941D39A0C0305E82C3301Alice@Contoso.com"));
        assert!(!has_deleted_user_marker("3f2504e04f8941d39a0c0305e82c3301@contoso.com"), "nothing glued to it");
        assert!(!has_deleted_user_marker("alice@contoso.com"));
        assert!(!has_deleted_user_marker("3f2504e04f8941d39a0c0305e82c3301alice"), "not an address");
        assert!(!has_deleted_user_marker("zz2504e04f8941d39a0c0305e82c3301alice@contoso.com"));
        assert!(is_user_id("3f2504e0-4f89-41d3-9a0c-0305e82c3301"));
        assert!(is_user_id(" 3F2504E0-4F89-41D3-9A0C-0305E82C3301 "));
        assert!(!is_user_id("alice@contoso.com"));
        assert!(!is_user_id("Alice"));
    }
}
