//! Reads the CSV files that the Intune admin center exports into an [`Inventory`].
//!
//! Three files (CONTRACT.md `--intune-export`):
//! - the devices export ("Devices > All devices > Export", report `DevicesWithInventory`, or the
//!   `Devices` report of Graph's export jobs), required;
//! - the discovered-apps export (raw app inventory, report `AppInvRawData`: one row per app per device),
//!   optional;
//! - a members export (e.g. Entra "Download members" of a group), optional: it scopes the audit.
//!
//! Each device row is turned into a [`GraphDevice`] and goes through
//! [`InventoryBuilder::push_record`], so a device is classified exactly as a Graph or snapshot
//! device is.
//!
//! # Reading the files
//!
//! - Headers are matched case-insensitively, ignoring spaces, underscores and hyphens (`Last check-in`
//!   = `LastCheckIn` = `last_check_in`); a header written `Label [name]` (Entra's bulk templates) is
//!   matched on `name`. Where a file has several accepted headers for one field, the first one in the
//!   table below wins. Columns not in the table are ignored.
//! - A UTF-8 byte order mark is skipped. The delimiter is `,`, `;` or tab, whichever the header line
//!   holds most of (Excel writes `;` in many locales). Line ends may be LF or CRLF.
//! - Every row must have as many fields as the header row. Rows whose fields are all empty (Excel
//!   leaves some at the end) are skipped. Only the columns read are decoded, and they must be UTF-8.
//!
//! # Header table (field: accepted headers)
//!
//! Devices export ([`DEVICE_COLUMNS`]); **required: device id and OS**:
//!
//! | field | accepted headers |
//! |---|---|
//! | device id (`id`) | `Device ID`, `DeviceId`, `Intune device ID`, `IntuneDeviceId`, `ManagedDeviceId` |
//! | OS (`operatingSystem`) | `OS`, `Operating system`, `OperatingSystem` |
//! | device name | `Device name`, `DeviceName` |
//! | OS version | `OS version`, `OSVersion`, `Operating system version` |
//! | last check-in (`lastSyncDateTime`) | `Last check-in`, `LastContact`, `LastSyncDateTime`, `Last sync` |
//! | primary user UPN | `Primary user UPN`, `UPN`, `UserPrincipalName`, `User principal name` |
//! | primary user name | `Primary user display name`, `UserName`, `UserDisplayName`, `User display name` |
//! | primary user id | `UserId`, `User ID`, `Primary user ID`, `PrimaryUser` |
//! | enrolling user UPN | `EnrolledByUser`, `Enrolled by user`, `Enrolled by`, `EnrolledByUserPrincipalName` |
//! | ownership | `Ownership`, `OwnerType`, `ManagedDeviceOwnerType` |
//! | management agent | `Managed by`, `ManagementAgent`, `ManagementAgents` |
//! | management state | `Device state`, `ManagementState` |
//! | enrollment type | `Enrollment type`, `EnrollmentType`, `DeviceEnrollmentType` |
//! | device type | `DeviceType`, `Device type` |
//!
//! Discovered-apps export ([`APP_COLUMNS`]); **required: app name and device id**:
//!
//! | field | accepted headers |
//! |---|---|
//! | app name | `Application name`, `ApplicationName`, `App name`, `AppName` |
//! | device id | `Device ID`, `DeviceId`, `Intune device ID`, `IntuneDeviceId`, `ManagedDeviceId` |
//! | version | `Application version`, `ApplicationVersion`, `Version`, `ApplicationShortVersion`, `App version` |
//! | package / bundle id | `Application ID`, `ApplicationId`, `Bundle ID`, `BundleId`, `Package`, `Package name`, `PackageName`, `App ID` |
//!
//! Only rows of apps that the rules look at (`AppCatalog::kind_of`) are kept; the file is streamed,
//! so an export of tens of millions of rows needs no more memory than the apps kept.
//!
//! Members export ([`MEMBER_COLUMNS`]); **required: a UPN or an id column**:
//!
//! | field | accepted headers |
//! |---|---|
//! | UPN | `userPrincipalName`, `UPN`, `User principal name` |
//! | id | `id`, `objectId`, `Object ID`, `UserId`, `User ID` |
//! | display name | `displayName`, `Display name` |
//! | member type | `Member type`, `memberType`, `objectType`, `Object type`, `@odata.type` |
//!
//! Rows whose member type is given and is not a user (devices, groups, service principals) are
//! dropped, as Intune ignores them; rows with neither UPN nor id are dropped with a warning. A first
//! line `version:v1.0` (Entra bulk files) is skipped.
//!
//! # Values
//!
//! The export shows display labels where Graph has enum values. Each label table below maps the
//! labels it knows to the Graph value, comparing case-insensitively on letters and digits only (so
//! `Retire pending`, `retirePending` and `RETIRE-PENDING` are one value); a Graph value written as is
//! also matches. **A value in no table is kept as it is**, and the rules treat it as unknown. Numeric
//! codes (what raw, non-localized report columns such as `OwnerType` or `ManagementAgents` hold) are
//! not mapped: they are not documented for these reports, so they stay unknown rather than guessed.
//!
//! - Ownership ([`OWNERSHIP_VALUES`]): `Corporate` -> `company`, `Personal` -> `personal`.
//! - Managed by ([`MANAGEMENT_AGENT_VALUES`]): `Intune` -> `mdm`; `Co-managed` ->
//!   `configurationManagerClientMdm`; `ConfigMgr` -> `configurationManagerClient`; `Exchange
//!   ActiveSync`, `EAS` -> `eas`; `MDM/EAS`, `Intune/EAS` -> `easMdm`; `Co-managed/EAS` ->
//!   `configurationManagerClientMdmEas`; `MDE` -> `msSense`; `Jamf` -> `jamf`.
//! - Device state ([`MANAGEMENT_STATE_VALUES`]): `Managed` -> `managed`, `Retire pending` ->
//!   `retirePending`, ..., `Retire cancelled` -> `retireCanceled`, `Wipe cancelled` -> `wipeCanceled`.
//! - Enrollment type and device type: the Graph values (written with any case or spacing).
//! - OS ([`OS_LABELS`]): in `DevicesWithInventory` the `OS` column *is* the device type (Microsoft
//!   documents `DeviceType` as an alias of `OS` there), so a label fixes both the platform and, for
//!   Android, the management mode. Assumptions (the labels are not all documented):
//!   - `iOS/iPadOS`, `iOS`, `iPadOS`, `iPhone`, `iPad`, `iPod` -> `iOS`;
//!   - `Android`, `Android (device administrator)` -> `Android`, device type `android` (device
//!     administrator, the meaning of the bare Graph device type);
//!   - `AndroidForWork`, `Android for Work`, `Android (personally-owned work profile)`,
//!     `Android Enterprise (personally-owned work profile)`, `Android work profile` -> device type
//!     `androidForWork`;
//!   - `AndroidEnterprise`, `Android Enterprise` -> device type `androidEnterprise`;
//!   - `Android (fully managed)` -> enrollment type `androidEnterpriseFullyManaged`; `Android
//!     (dedicated)` -> `androidEnterpriseDedicatedDevice`; `Android (corporate-owned work profile)`
//!     -> `androidEnterpriseCorporateWorkProfile` (each also with `Android Enterprise (...)`);
//!   - `AndroidnGMS`, `Android (AOSP)`, `Android AOSP`, `Android Open Source Project` -> device type
//!     `androidnGMS`;
//!   - any other value is kept as `operatingSystem` (so `Windows`, `macOS` are `other`, and an
//!     unknown `Android ...` label is Android of unknown mode).
//!
//!   A non-empty `DeviceType` or `EnrollmentType` column wins over what the OS label implies.
//! - Last check-in: RFC 3339; `2024-05-01 10:22:33.0000000` (with or without `T` and fraction); or
//!   US-style `5/1/2024 10:22:33 AM` (month first, 12- or 24-hour clock, seconds optional); a date
//!   alone is midnight. Times without an offset are taken as UTC. Parsed times are passed on as RFC
//!   3339 UTC; anything else is kept raw, so the check-in is unknown, and a warning counts them.
//! - `EnrolledByUser` is the enrolling user's UPN (`enrolledByUserPrincipalName`): when present it
//!   is the device's recipient, as PREREQUISITES.md says.
//!
//! # Completeness
//!
//! The files are read whole, so the source is complete. Without a discovered-apps export there is no
//! app evidence at all: rather than failing `company-portal` and `google-play-services` on every
//! device whose inventory would otherwise be trusted, every device is marked
//! `inventory_complete = false` (those rules are then unknown) and a gap says so. Optional device
//! columns that are missing are also named in the gaps, with the rule they leave undecided.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

use crate::error::Error;
use crate::inventory::build::InventoryBuilder;
use crate::inventory::AppCatalog;
use crate::inventory::{AppEvidence, Inventory, Member, SourceInfo};
use crate::source::wire::GraphDevice;

/// Reads the devices export and, when given, the discovered-apps and members exports.
pub fn load(
    devices: &Path,
    apps: Option<&Path>,
    members: Option<&Path>,
    catalog: &AppCatalog,
) -> Result<Inventory, Error> {
    let mut builder = InventoryBuilder::new();
    let mut source = SourceInfo {
        kind: "intune-export".to_owned(),
        description: format!("Intune export {}", devices.display()),
        complete: true,
        ..Default::default()
    };
    let file = open(devices)?;
    // Room for the devices up front (a devices export row is 250 bytes or more); untouched
    // capacity is only address space, regrowing a million-device list is real work.
    let size = file.metadata().map_or(0, |meta| meta.len());
    builder.reserve(usize::try_from(size / 256).unwrap_or(0));
    read_devices(file, devices, &mut builder, &mut source)?;
    match apps {
        Some(apps) => {
            read_apps(open(apps)?, apps, catalog, &mut builder)?;
            source.description.push_str(&format!(" (+ apps {})", apps.display()));
        }
        None => source.gaps.push(NO_APPS_GAP.to_owned()),
    }
    let scoped_members = match members {
        Some(path) => {
            source.description.push_str(&format!(" (+ members {})", path.display()));
            Some(read_members(open(path)?, path, &mut source)?)
        }
        None => None,
    };
    let mut inventory = builder.finish(source);
    inventory.devices.shrink_to_fit();
    if apps.is_none() {
        for device in &mut inventory.devices {
            device.inventory_complete = false;
        }
    }
    inventory.scoped_members = scoped_members;
    Ok(inventory)
}

const NO_APPS_GAP: &str = "no discovered-apps export was given (--apps-export), so there is no app evidence: \
     company-portal and google-play-services are unknown on every device instead of failed";

// ---------------------------------------------------------------------------------------------
// Column tables

/// A field read from an export, with the headers accepted for it in order of preference.
#[derive(Debug)]
pub struct ColumnSpec {
    /// How messages name the field.
    pub what: &'static str,
    pub headers: &'static [&'static str],
}

const DEVICE_ID_HEADERS: &[&str] = &["Device ID", "DeviceId", "Intune device ID", "IntuneDeviceId", "ManagedDeviceId"];

/// Fields of the devices export, in the order of `Dev`.
pub const DEVICE_COLUMNS: [ColumnSpec; 14] = [
    ColumnSpec { what: "device id", headers: DEVICE_ID_HEADERS },
    ColumnSpec { what: "OS", headers: &["OS", "Operating system", "OperatingSystem"] },
    ColumnSpec { what: "device name", headers: &["Device name", "DeviceName"] },
    ColumnSpec { what: "OS version", headers: &["OS version", "OSVersion", "Operating system version"] },
    ColumnSpec { what: "last check-in", headers: &["Last check-in", "LastContact", "LastSyncDateTime", "Last sync"] },
    ColumnSpec {
        what: "primary user UPN",
        headers: &["Primary user UPN", "UPN", "UserPrincipalName", "User principal name"],
    },
    ColumnSpec {
        what: "primary user display name",
        headers: &["Primary user display name", "UserName", "UserDisplayName", "User display name"],
    },
    ColumnSpec { what: "primary user id", headers: &["UserId", "User ID", "Primary user ID", "PrimaryUser"] },
    ColumnSpec {
        what: "enrolling user",
        headers: &["EnrolledByUser", "Enrolled by user", "Enrolled by", "EnrolledByUserPrincipalName"],
    },
    ColumnSpec { what: "ownership", headers: &["Ownership", "OwnerType", "ManagedDeviceOwnerType"] },
    ColumnSpec { what: "management agent", headers: &["Managed by", "ManagementAgent", "ManagementAgents"] },
    ColumnSpec { what: "management state", headers: &["Device state", "ManagementState"] },
    ColumnSpec { what: "enrollment type", headers: &["Enrollment type", "EnrollmentType", "DeviceEnrollmentType"] },
    ColumnSpec { what: "device type", headers: &["DeviceType", "Device type"] },
];

/// Indexes into [`DEVICE_COLUMNS`].
#[derive(Debug, Clone, Copy)]
enum Dev {
    Id,
    Os,
    Name,
    OsVersion,
    LastSync,
    Upn,
    DisplayName,
    UserId,
    EnrolledBy,
    Ownership,
    ManagedBy,
    State,
    EnrollmentType,
    DeviceType,
}

/// Fields of the discovered-apps export, in the order of `App`.
pub const APP_COLUMNS: [ColumnSpec; 4] = [
    ColumnSpec { what: "app name", headers: &["Application name", "ApplicationName", "App name", "AppName"] },
    ColumnSpec { what: "device id", headers: DEVICE_ID_HEADERS },
    ColumnSpec {
        what: "app version",
        headers: &["Application version", "ApplicationVersion", "Version", "ApplicationShortVersion", "App version"],
    },
    ColumnSpec {
        what: "package or bundle id",
        headers: &[
            "Application ID",
            "ApplicationId",
            "Bundle ID",
            "BundleId",
            "Package",
            "Package name",
            "PackageName",
            "App ID",
        ],
    },
];

#[derive(Debug, Clone, Copy)]
enum App {
    Name,
    DeviceId,
    Version,
    PackageId,
}

/// Fields of the members export, in the order of `Mem`.
pub const MEMBER_COLUMNS: [ColumnSpec; 4] = [
    ColumnSpec { what: "user principal name", headers: &["userPrincipalName", "UPN", "User principal name"] },
    ColumnSpec { what: "user id", headers: &["id", "objectId", "Object ID", "UserId", "User ID"] },
    ColumnSpec { what: "display name", headers: &["displayName", "Display name"] },
    ColumnSpec {
        what: "member type",
        headers: &["Member type", "memberType", "objectType", "Object type", "@odata.type"],
    },
];

#[derive(Debug, Clone, Copy)]
enum Mem {
    Upn,
    Id,
    DisplayName,
    Type,
}

// ---------------------------------------------------------------------------------------------
// Value tables

/// Graph value, then the export labels that mean it (the Graph value itself always matches).
pub type ValueTable = &'static [(&'static str, &'static [&'static str])];

pub const OWNERSHIP_VALUES: ValueTable =
    &[("company", &["Corporate", "Corp"]), ("personal", &["Personal"]), ("unknown", &[])];

pub const MANAGEMENT_AGENT_VALUES: ValueTable = &[
    ("mdm", &["Intune", "MDM"]),
    ("eas", &["Exchange ActiveSync", "EAS"]),
    ("easMdm", &["MDM/EAS", "Intune/EAS"]),
    ("configurationManagerClientMdm", &["Co-managed", "Comanaged"]),
    ("configurationManagerClient", &["ConfigMgr", "Configuration Manager"]),
    ("configurationManagerClientMdmEas", &["Co-managed/EAS"]),
    ("intuneClient", &[]),
    ("easIntuneClient", &[]),
    ("jamf", &["Jamf"]),
    ("googleCloudDevicePolicyController", &[]),
    ("microsoft365ManagedMdm", &[]),
    ("msSense", &["MDE", "Microsoft Defender for Endpoint"]),
    ("intuneAosp", &[]),
    ("google", &[]),
    ("unknown", &[]),
];

pub const MANAGEMENT_STATE_VALUES: ValueTable = &[
    ("managed", &[]),
    ("retirePending", &[]),
    ("retireFailed", &[]),
    ("wipePending", &[]),
    ("wipeFailed", &[]),
    ("unhealthy", &[]),
    ("deletePending", &[]),
    ("retireIssued", &[]),
    ("wipeIssued", &[]),
    ("wipeCanceled", &["Wipe cancelled"]),
    ("retireCanceled", &["Retire cancelled"]),
    ("discovered", &[]),
];

/// The enrollment and device types that classification looks at (others are kept as they are).
pub const ENROLLMENT_TYPE_VALUES: ValueTable = &[
    ("androidEnterpriseFullyManaged", &[]),
    ("androidEnterpriseDedicatedDevice", &[]),
    ("androidEnterpriseCorporateWorkProfile", &[]),
    ("androidAOSPUserOwnedDeviceEnrollment", &[]),
    ("androidAOSPUserlessDeviceEnrollment", &[]),
    ("userEnrollment", &[]),
    ("deviceEnrollmentManager", &[]),
    ("appleBulkWithUser", &[]),
    ("appleBulkWithoutUser", &[]),
    ("appleUserEnrollment", &[]),
    ("appleUserEnrollmentWithServiceAccount", &[]),
];

pub const DEVICE_TYPE_VALUES: ValueTable = &[
    ("android", &[]),
    ("androidForWork", &[]),
    ("androidEnterprise", &[]),
    ("androidnGMS", &[]),
    ("iPhone", &[]),
    ("iPad", &[]),
    ("iPod", &[]),
];

/// What an OS label of the devices export means.
#[derive(Debug)]
pub struct OsLabel {
    pub labels: &'static [&'static str],
    pub operating_system: &'static str,
    pub device_type: Option<&'static str>,
    pub enrollment_type: Option<&'static str>,
}

/// OS labels (see the module documentation for the assumptions behind each row).
pub const OS_LABELS: &[OsLabel] = &[
    OsLabel {
        labels: &["iOS/iPadOS", "iOS", "iPadOS", "iPhone", "iPad", "iPod"],
        operating_system: "iOS",
        device_type: None,
        enrollment_type: None,
    },
    OsLabel {
        labels: &["Android", "Android (device administrator)", "Android device administrator"],
        operating_system: "Android",
        device_type: Some("android"),
        enrollment_type: None,
    },
    OsLabel {
        labels: &[
            "AndroidForWork",
            "Android for Work",
            "Android (personally-owned work profile)",
            "Android Enterprise (personally-owned work profile)",
            "Android work profile",
            "Android (work profile)",
        ],
        operating_system: "Android",
        device_type: Some("androidForWork"),
        enrollment_type: None,
    },
    OsLabel {
        labels: &["AndroidEnterprise", "Android Enterprise"],
        operating_system: "Android",
        device_type: Some("androidEnterprise"),
        enrollment_type: None,
    },
    OsLabel {
        labels: &["Android (fully managed)", "Android Enterprise (fully managed)"],
        operating_system: "Android",
        device_type: Some("androidEnterprise"),
        enrollment_type: Some("androidEnterpriseFullyManaged"),
    },
    OsLabel {
        labels: &["Android (dedicated)", "Android Enterprise (dedicated)", "Android (dedicated device)"],
        operating_system: "Android",
        device_type: Some("androidEnterprise"),
        enrollment_type: Some("androidEnterpriseDedicatedDevice"),
    },
    OsLabel {
        // No device type: `androidEnterprise` would classify as fully managed (a fail) when an
        // explicit, unrecognised enrollment type hides this one; unknown is the honest answer.
        labels: &["Android (corporate-owned work profile)", "Android Enterprise (corporate-owned work profile)"],
        operating_system: "Android",
        device_type: None,
        enrollment_type: Some("androidEnterpriseCorporateWorkProfile"),
    },
    OsLabel {
        labels: &["AndroidnGMS", "Android (AOSP)", "Android AOSP", "Android Open Source Project"],
        operating_system: "Android",
        device_type: Some("androidnGMS"),
        enrollment_type: None,
    },
];

/// Compares labels on ASCII letters and digits only, case-insensitively.
fn same_label(a: &str, b: &str) -> bool {
    let mut a = a.bytes().filter(u8::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase());
    let mut b = b.bytes().filter(u8::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase());
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

/// The Graph value for an export value, or the value as it is.
fn graph_value<'a>(table: ValueTable, raw: &'a str) -> Cow<'a, str> {
    table
        .iter()
        .find(|(graph, labels)| same_label(graph, raw) || labels.iter().any(|label| same_label(label, raw)))
        .map_or(Cow::Borrowed(raw), |(graph, _)| Cow::Borrowed(graph))
}

fn os_label(raw: &str) -> Option<&'static OsLabel> {
    OS_LABELS.iter().find(|os| os.labels.iter().any(|label| same_label(label, raw)))
}

/// A last check-in as RFC 3339 UTC, or `None` when it cannot be read.
fn normalise_time(raw: &str) -> Option<String> {
    const DATE_TIMES: &[&str] = &[
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y %H:%M:%S%.f",
        "%m/%d/%Y %H:%M",
    ];
    const DATES: &[&str] = &["%Y-%m-%d", "%m/%d/%Y"];
    let raw = raw.trim();
    let time = iso_without_offset(raw).map(|t| t.and_utc());
    let time =
        time.or_else(|| DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)).ok()).or_else(|| {
            DATE_TIMES
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
                .or_else(|| {
                    DATES.iter().find_map(|format| NaiveDate::parse_from_str(raw, format).ok()?.and_hms_opt(0, 0, 0))
                })
                .map(|t| t.and_utc())
        })?;
    Some(time.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// `YYYY-MM-DD HH:MM:SS[.fraction]` (or with `T`) without an offset, the export's usual form: read
/// by hand, as a million rows through chrono's format strings is slow.
fn iso_without_offset(raw: &str) -> Option<NaiveDateTime> {
    let b = raw.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let number =
        |digits: &[u8]| digits.iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')));
    let mut nanos = 0;
    match &b[19..] {
        [] => {}
        [b'.', digits @ ..] if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            for i in 0..9 {
                nanos = nanos * 10 + digits.get(i).map_or(0, |d| u32::from(d - b'0'));
            }
        }
        _ => return None,
    }
    let year = i32::try_from(number(&b[0..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..10])?)?.and_hms_nano_opt(
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
        nanos,
    )
}

// ---------------------------------------------------------------------------------------------
// CSV plumbing

fn open(path: &Path) -> Result<File, Error> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::input(path, "no such file"),
        std::io::ErrorKind::PermissionDenied => Error::input(path, "permission denied: cannot read this file"),
        _ => Error::input(path, format!("cannot open: {e}")),
    })?;
    match file.metadata() {
        Ok(meta) if meta.is_dir() => Err(Error::input(path, "is a directory, not a CSV file")),
        _ => Ok(file),
    }
}

/// A CSV file with its header row read.
struct Csv<R: Read> {
    reader: csv::Reader<BufReader<R>>,
    headers: Vec<String>,
    /// Added to the line numbers the CSV reader gives for data rows: the lines skipped before it
    /// started, plus one in a CRLF file (see [`Csv::new`]).
    line_offset: u64,
}

impl<R: Read> Csv<R> {
    /// Opens the CSV: skips a BOM (and, with `skip_version_line`, a first `version:` line), sniffs the
    /// delimiter and reads the header row.
    fn new(input: R, path: &Path, what: &str, skip_version_line: bool) -> Result<Self, Error> {
        let mut input = BufReader::with_capacity(1 << 16, input);
        let read_error = |e: std::io::Error| Error::input(path, format!("cannot read: {e}"));
        let head = input.fill_buf().map_err(read_error)?;
        if head.is_empty() {
            return Err(Error::input(path, format!("empty file: expected the {what} as CSV with a header row")));
        }
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(Error::input(
                path,
                "the file is UTF-16 encoded (Excel's \"Unicode text\"); save it as \"CSV UTF-8\"",
            ));
        }
        if head.starts_with(b"\xEF\xBB\xBF") {
            input.consume(3);
        }
        let mut line_offset = 0;
        let head = input.fill_buf().map_err(read_error)?;
        if skip_version_line && head.len() >= 8 && head[..8].eq_ignore_ascii_case(b"version:") {
            if let Some(end) = head.iter().position(|&b| b == b'\n') {
                input.consume(end + 1);
                line_offset = 1;
            }
        }
        let head = input.fill_buf().map_err(read_error)?;
        let delimiter = sniff_delimiter(head);
        // The CSV reader notes where a record starts before it has consumed the `\n` of the previous
        // record's `\r\n`, so in a CRLF file it gives every data row the line before its own. The
        // header line tells which line ends the file uses.
        let crlf = head.iter().position(|&b| b == b'\n').is_some_and(|end| end > 0 && head[end - 1] == b'\r');
        let mut reader =
            csv::ReaderBuilder::new().delimiter(delimiter).flexible(false).has_headers(true).from_reader(input);
        let raw = reader.byte_headers().map_err(|e| csv_error(path, &e, line_offset))?.clone();
        if raw.is_empty() || raw.iter().all(|h| h.iter().all(u8::is_ascii_whitespace)) {
            return Err(Error::input(path, format!("no header row: expected the {what} as CSV with a header row")));
        }
        let header_line = raw.position().map_or(1, |p| p.line()) + line_offset;
        let mut headers = Vec::with_capacity(raw.len());
        for (i, header) in raw.iter().enumerate() {
            let header = std::str::from_utf8(header).map_err(|_| {
                Error::input(
                    path,
                    format!("line {header_line}, column {}: invalid UTF-8 in the header row (save the file as \"CSV UTF-8\")", i + 1),
                )
            })?;
            headers.push(header.trim().to_owned());
        }
        Ok(Csv { reader, headers, line_offset: line_offset + u64::from(crlf) })
    }

    /// Where each field of `table` is, by the first accepted header present.
    fn find_columns(&self, table: &[ColumnSpec]) -> Vec<Option<usize>> {
        let keys: Vec<String> = self.headers.iter().map(|h| header_key(h)).collect();
        table
            .iter()
            .map(|spec| {
                spec.headers.iter().find_map(|accepted| {
                    let accepted = header_key(accepted);
                    keys.iter().position(|key| *key == accepted)
                })
            })
            .collect()
    }

    /// The error for a required field that has no column.
    fn missing(&self, path: &Path, what: &str, spec: &ColumnSpec, hint: &str) -> Error {
        let accepted: Vec<String> = spec.headers.iter().map(|h| format!("`{h}`")).collect();
        let mut found: Vec<String> = self.headers.iter().take(25).map(|h| format!("`{h}`")).collect();
        if self.headers.len() > 25 {
            found.push(format!("and {} more", self.headers.len() - 25));
        }
        Error::input(
            path,
            format!(
                "the {what} has no {} column (required): expected one of {} (case, spaces, underscores and \
                 hyphens ignored); the header row has {}{hint}",
                spec.what,
                accepted.join(", "),
                found.join(", "),
            ),
        )
    }

    /// Reads the next row; `Ok(None)` at the end. Rows whose fields are all blank are skipped.
    fn next_row(&mut self, record: &mut csv::ByteRecord, path: &Path) -> Result<Option<u64>, Error> {
        loop {
            match self.reader.read_byte_record(record) {
                Ok(false) => return Ok(None),
                Ok(true) => {}
                Err(e) => return Err(csv_error(path, &e, self.line_offset)),
            }
            if record.iter().all(|field| field.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            return Ok(Some(record.position().map_or(0, |p| p.line()) + self.line_offset));
        }
    }
}

/// A header as matched: the name in `[...]` if any, lower-cased, without white space, `_` and `-`.
fn header_key(header: &str) -> String {
    let header = header.trim_start_matches('\u{feff}');
    let inner = match (header.find('['), header.rfind(']')) {
        (Some(open), Some(close)) if open < close => &header[open + 1..close],
        _ => header,
    };
    inner.chars().filter(|c| !c.is_whitespace() && *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

/// `,`, `;` or tab: whichever the first line holds most of outside quotes (`,` on a tie).
fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

fn csv_error(path: &Path, err: &csv::Error, line_offset: u64) -> Error {
    let message = match err.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => {
            let line = pos.as_ref().map_or(0, |p| p.line()) + line_offset;
            format!("line {line}: found {len} fields, expected {expected_len} (as many as the header row has)")
        }
        csv::ErrorKind::Io(e) => format!("cannot read: {e}"),
        _ => match err.position() {
            Some(pos) => format!("line {}: {err}", pos.line() + line_offset),
            None => err.to_string(),
        },
    };
    Error::input(path, message)
}

/// One row of a CSV, with what is needed to name a bad field.
struct Row<'r> {
    record: &'r csv::ByteRecord,
    line: u64,
    path: &'r Path,
    headers: &'r [String],
}

impl<'r> Row<'r> {
    /// The trimmed text of a column, `None` when the column is absent or the cell is blank.
    fn get(&self, column: Option<usize>) -> Result<Option<&'r str>, Error> {
        let Some(column) = column else { return Ok(None) };
        let Some(bytes) = self.record.get(column) else { return Ok(None) };
        let text = std::str::from_utf8(bytes).map_err(|_| {
            Error::input(
                self.path,
                format!(
                    "line {}, field `{}` (column {}): invalid UTF-8 (save the file as \"CSV UTF-8\")",
                    self.line,
                    self.header(column),
                    column + 1
                ),
            )
        })?;
        let text = text.trim();
        Ok((!text.is_empty()).then_some(text))
    }

    fn header(&self, column: usize) -> &str {
        self.headers.get(column).map_or("?", String::as_str)
    }
}

// ---------------------------------------------------------------------------------------------
// The three files

fn read_devices<R: Read>(
    input: R,
    path: &Path,
    builder: &mut InventoryBuilder,
    source: &mut SourceInfo,
) -> Result<(), Error> {
    let mut csv = Csv::new(input, path, "devices export", false)?;
    let columns = csv.find_columns(&DEVICE_COLUMNS);
    let col = |field: Dev| columns[field as usize];
    for required in [Dev::Id, Dev::Os] {
        if col(required).is_none() {
            let hint = if csv.find_columns(&APP_COLUMNS)[App::Name as usize].is_some() {
                " (this looks like a discovered-apps export: give it with --apps-export)"
            } else {
                ""
            };
            return Err(csv.missing(path, "devices export", &DEVICE_COLUMNS[required as usize], hint));
        }
    }
    if col(Dev::Upn).is_none() && col(Dev::UserId).is_none() && col(Dev::EnrolledBy).is_none() {
        source.gaps.push(format!(
            "the devices export has no user column ({}, {} or {}), so no device has a recipient",
            DEVICE_COLUMNS[Dev::Upn as usize].headers[0],
            DEVICE_COLUMNS[Dev::UserId as usize].headers[0],
            DEVICE_COLUMNS[Dev::EnrolledBy as usize].headers[0],
        ));
    }
    for (field, rule) in [
        (Dev::ManagedBy, "mdm-enrolled is unknown on every device"),
        (Dev::LastSync, "recent-check-in is unknown on every device"),
        (Dev::Ownership, "the app inventory of iOS and Android device-administrator devices is not trusted"),
    ] {
        if col(field).is_none() {
            let spec = &DEVICE_COLUMNS[field as usize];
            source.gaps.push(format!("the devices export has no `{}` column, so {rule}", spec.headers[0]));
        }
    }

    let mut record = csv::ByteRecord::new();
    let mut bad_times = 0usize;
    let mut first_bad_time = String::new();
    while let Some(line) = csv.next_row(&mut record, path)? {
        let row = Row { record: &record, line, path, headers: &csv.headers };
        let Some(id) = row.get(col(Dev::Id))? else {
            let column = col(Dev::Id).unwrap_or(0);
            return Err(Error::input(
                path,
                format!("line {line}, field `{}`: row without a device id", row.header(column)),
            ));
        };
        let os = row.get(col(Dev::Os))?;
        let label = os.and_then(os_label);
        let last_sync = match row.get(col(Dev::LastSync))? {
            Some(raw) => Some(match normalise_time(raw) {
                Some(time) => Cow::Owned(time),
                None => {
                    if bad_times == 0 {
                        first_bad_time = raw.to_owned();
                    }
                    bad_times += 1;
                    Cow::Borrowed(raw)
                }
            }),
            None => None,
        };
        let device = GraphDevice {
            id: Some(Cow::Borrowed(id)),
            device_name: row.get(col(Dev::Name))?.map(Cow::Borrowed),
            user_id: row.get(col(Dev::UserId))?.map(Cow::Borrowed),
            user_principal_name: row.get(col(Dev::Upn))?.map(Cow::Borrowed),
            user_display_name: row.get(col(Dev::DisplayName))?.map(Cow::Borrowed),
            enrolled_by_user_principal_name: row.get(col(Dev::EnrolledBy))?.map(Cow::Borrowed),
            operating_system: label.map(|l| Cow::Borrowed(l.operating_system)).or(os.map(Cow::Borrowed)),
            os_version: row.get(col(Dev::OsVersion))?.map(Cow::Borrowed),
            device_type: row
                .get(col(Dev::DeviceType))?
                .map(|v| graph_value(DEVICE_TYPE_VALUES, v))
                .or(label.and_then(|l| l.device_type).map(Cow::Borrowed)),
            device_enrollment_type: row
                .get(col(Dev::EnrollmentType))?
                .map(|v| graph_value(ENROLLMENT_TYPE_VALUES, v))
                .or(label.and_then(|l| l.enrollment_type).map(Cow::Borrowed)),
            management_agent: row.get(col(Dev::ManagedBy))?.map(|v| graph_value(MANAGEMENT_AGENT_VALUES, v)),
            management_state: row.get(col(Dev::State))?.map(|v| graph_value(MANAGEMENT_STATE_VALUES, v)),
            managed_device_owner_type: row.get(col(Dev::Ownership))?.map(|v| graph_value(OWNERSHIP_VALUES, v)),
            owner_type: None,
            last_sync_date_time: last_sync,
            enrolled_date_time: None,
            hardware_information: None,
        };
        builder.push_record(&device.record()).map_err(|why| Error::input(path, format!("line {line}: {why}")))?;
    }
    if bad_times > 0 {
        source.warnings.push(format!(
            "{bad_times} device(s) of the devices export have a last check-in that could not be read \
             (first: \"{first_bad_time}\"); recent-check-in is unknown for them"
        ));
    }
    Ok(())
}

fn read_apps<R: Read>(
    input: R,
    path: &Path,
    catalog: &AppCatalog,
    builder: &mut InventoryBuilder,
) -> Result<(), Error> {
    let mut csv = Csv::new(input, path, "discovered-apps export", false)?;
    let columns = csv.find_columns(&APP_COLUMNS);
    let col = |field: App| columns[field as usize];
    for required in [App::Name, App::DeviceId] {
        if col(required).is_none() {
            let hint = if csv.headers.iter().any(|h| header_key(h) == "devicecount") {
                " (this looks like the per-app summary, which has no device ids: export the raw app \
                 inventory, report `AppInvRawData`, with one row per app per device)"
            } else {
                ""
            };
            return Err(csv.missing(path, "discovered-apps export", &APP_COLUMNS[required as usize], hint));
        }
    }
    // Whether the rules care about an app, by name and package id: most rows are other apps, so the
    // answer is cached and the row is dropped without allocating.
    let mut wanted: HashMap<String, bool> = HashMap::new();
    let mut key = String::new();
    let mut record = csv::ByteRecord::new();
    while let Some(line) = csv.next_row(&mut record, path)? {
        let row = Row { record: &record, line, path, headers: &csv.headers };
        let Some(device_id) = row.get(col(App::DeviceId))? else {
            let column = col(App::DeviceId).unwrap_or(0);
            return Err(Error::input(
                path,
                format!("line {line}, field `{}`: row without a device id", row.header(column)),
            ));
        };
        let name = row.get(col(App::Name))?.unwrap_or("");
        let app_id = row.get(col(App::PackageId))?;
        key.clear();
        key.push_str(name);
        key.push('\u{1f}');
        key.push_str(app_id.unwrap_or(""));
        let keep = match wanted.get(key.as_str()) {
            Some(&keep) => keep,
            None => {
                let probe = AppEvidence { name: Arc::from(name), id: app_id.map(Arc::from), version: None };
                let keep = catalog.kind_of(&probe).is_some();
                if wanted.len() >= 1 << 20 {
                    wanted.clear();
                }
                wanted.insert(key.clone(), keep);
                keep
            }
        };
        if !keep {
            continue;
        }
        let version = row.get(col(App::Version))?;
        let interner = builder.interner();
        let app = AppEvidence { name: interner.get(name), id: interner.opt(app_id), version: interner.opt(version) };
        builder.attach_app(device_id, app);
    }
    Ok(())
}

fn read_members<R: Read>(input: R, path: &Path, source: &mut SourceInfo) -> Result<Vec<Member>, Error> {
    let mut csv = Csv::new(input, path, "members export", true)?;
    let columns = csv.find_columns(&MEMBER_COLUMNS);
    let col = |field: Mem| columns[field as usize];
    if col(Mem::Upn).is_none() && col(Mem::Id).is_none() {
        return Err(csv.missing(
            path,
            "members export",
            &MEMBER_COLUMNS[Mem::Upn as usize],
            " (or a user id column: `id`, `objectId`, `Object ID`)",
        ));
    }
    let mut members = Vec::new();
    let mut without_user = 0usize;
    let mut record = csv::ByteRecord::new();
    while let Some(line) = csv.next_row(&mut record, path)? {
        let row = Row { record: &record, line, path, headers: &csv.headers };
        if let Some(kind) = row.get(col(Mem::Type))? {
            if !same_label(kind, "user") && !same_label(kind, "#microsoft.graph.user") {
                continue;
            }
        }
        let upn = row.get(col(Mem::Upn))?;
        let id = row.get(col(Mem::Id))?;
        if upn.is_none() && id.is_none() {
            without_user += 1;
            continue;
        }
        members.push(Member {
            id: id.map(str::to_owned),
            user_principal_name: upn.map(str::to_owned),
            display_name: row.get(col(Mem::DisplayName))?.map(str::to_owned),
        });
    }
    if without_user > 0 {
        source.warnings.push(format!(
            "{without_user} row(s) of the members export {} have neither a user principal name nor an id; \
             they were ignored",
            path.display()
        ));
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{AndroidMode, Platform};
    use crate::source::test_support::mutate;
    use proptest::prelude::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(FIXTURES).join(name)
    }

    /// Reads a devices export (and apps) from bytes.
    fn devices_from(devices: &[u8], apps: Option<&[u8]>) -> Result<Inventory, Error> {
        let mut builder = InventoryBuilder::new();
        let mut source = SourceInfo::default();
        read_devices(devices, Path::new("devices.csv"), &mut builder, &mut source)?;
        if let Some(apps) = apps {
            read_apps(apps, Path::new("apps.csv"), &AppCatalog::default(), &mut builder)?;
        }
        Ok(builder.finish(source))
    }

    fn devices_err(devices: &str) -> String {
        devices_from(devices.as_bytes(), None).unwrap_err().to_string()
    }

    fn apps_err(apps: &str) -> String {
        devices_from(b"Device ID,OS\nd1,iOS\n", Some(apps.as_bytes())).unwrap_err().to_string()
    }

    fn members_from(text: &[u8]) -> Result<(Vec<Member>, SourceInfo), Error> {
        let mut source = SourceInfo::default();
        let members = read_members(text, Path::new("members.csv"), &mut source)?;
        Ok((members, source))
    }

    #[test]
    fn tables_are_in_enum_order() {
        assert_eq!(DEVICE_COLUMNS[Dev::Id as usize].what, "device id");
        assert_eq!(DEVICE_COLUMNS[Dev::Os as usize].what, "OS");
        assert_eq!(DEVICE_COLUMNS[Dev::DeviceType as usize].what, "device type");
        assert_eq!(DEVICE_COLUMNS[Dev::EnrolledBy as usize].what, "enrolling user");
        assert_eq!(APP_COLUMNS[App::PackageId as usize].what, "package or bundle id");
        assert_eq!(MEMBER_COLUMNS[Mem::Type as usize].what, "member type");
        // No header is accepted for two fields of one table.
        for table in [&DEVICE_COLUMNS[..], &APP_COLUMNS[..], &MEMBER_COLUMNS[..]] {
            let mut keys: Vec<(String, &str)> =
                table.iter().flat_map(|s| s.headers.iter().map(|h| (header_key(h), s.what))).collect();
            keys.sort();
            keys.dedup();
            for pair in keys.windows(2) {
                assert_ne!(pair[0].0, pair[1].0, "{} and {}", pair[0].1, pair[1].1);
            }
        }
    }

    #[test]
    fn label_export_with_bom_crlf_apps_and_members() {
        let devices = fixture("export-devices-labels.csv");
        let apps = fixture("export-apps.csv");
        let members = fixture("export-members.csv");
        let inv = load(&devices, Some(&apps), Some(&members), &AppCatalog::default()).unwrap();
        assert_eq!(inv.source.kind, "intune-export");
        assert_eq!(
            inv.source.description,
            format!(
                "Intune export {} (+ apps {}) (+ members {})",
                devices.display(),
                apps.display(),
                members.display()
            )
        );
        assert!(inv.source.complete);
        assert!(inv.source.gaps.is_empty(), "{:?}", inv.source.gaps);
        assert_eq!(inv.devices.len(), 5);

        let d1 = &inv.devices[0];
        assert_eq!(d1.id, "d1");
        assert_eq!(d1.platform, Platform::Ios);
        assert_eq!(&*d1.operating_system, "iOS");
        assert_eq!(&*d1.ownership, "company");
        assert_eq!(d1.management_agent.as_deref(), Some("mdm"));
        assert_eq!(d1.management_state.as_deref(), Some("managed"));
        assert_eq!(d1.recipient.as_deref(), Some("alice@contoso.com"));
        assert_eq!(d1.user_id.as_deref(), Some("u1"));
        assert_eq!(d1.user_display_name.as_deref(), Some("Alice"));
        assert_eq!(d1.last_sync.map(|t| t.to_rfc3339()).as_deref(), Some("2024-05-01T10:22:33+00:00"));
        assert!(d1.inventory_complete);
        assert_eq!(d1.apps.len(), 1, "Outlook is not kept: {:?}", d1.apps);
        assert_eq!(&*d1.apps[0].name, "Company Portal");
        assert_eq!(d1.apps[0].id.as_deref(), Some("com.microsoft.CompanyPortal"));
        assert_eq!(d1.apps[0].version.as_deref(), Some("5.2404.0"));

        let d2 = &inv.devices[1];
        assert_eq!(d2.platform, Platform::Android);
        assert_eq!(d2.android_mode, Some(AndroidMode::PersonalWorkProfile));
        assert_eq!(d2.last_sync.map(|t| t.to_rfc3339()).as_deref(), Some("2024-05-01T10:22:33+00:00"));
        assert_eq!(d2.apps.len(), 2, "matched by package id, then by name: {:?}", d2.apps);

        let d3 = &inv.devices[2];
        assert_eq!(d3.android_mode, Some(AndroidMode::FullyManaged));
        assert_eq!(d3.recipient, None);
        assert!(d3.inventory_complete);
        assert_eq!(&*d3.apps[0].name, "Microsoft Intune");

        let d4 = &inv.devices[3];
        assert_eq!(d4.android_mode, Some(AndroidMode::DeviceAdministrator));
        assert_eq!(d4.management_agent.as_deref(), Some("eas"));
        assert_eq!(d4.management_state.as_deref(), Some("retirePending"));
        assert_eq!(d4.last_sync, None);

        let d5 = &inv.devices[4];
        assert_eq!(d5.name, "Dana's PC, \"main\"");
        assert_eq!(d5.platform, Platform::Other);
        assert_eq!(d5.management_agent.as_deref(), Some("configurationManagerClientMdm"));
        assert_eq!(d5.last_sync, None);

        let warnings = inv.source.warnings.join("\n");
        assert!(
            warnings.contains(
                "1 device(s) of the devices export have a last check-in that could not be read (first: \"yesterday\")"
            ),
            "{warnings}"
        );
        assert!(warnings.contains("1 app record(s) name a device that is not in the device inventory"), "{warnings}");

        let members = inv.scoped_members.unwrap();
        assert_eq!(members.len(), 2, "the group member is dropped");
        assert_eq!(members[0].user_principal_name.as_deref(), Some("alice@contoso.com"));
        assert_eq!(members[0].id.as_deref(), Some("u1"));
        assert_eq!(members[1].display_name.as_deref(), Some("Bob"));
    }

    #[test]
    fn raw_report_headers_with_semicolons() {
        let inv = load(&fixture("export-devices-raw.csv"), None, None, &AppCatalog::default()).unwrap();
        assert_eq!(inv.devices.len(), 3);
        let r1 = &inv.devices[0];
        assert_eq!(r1.name, "Pixel 8");
        assert_eq!(r1.android_mode, Some(AndroidMode::FullyManaged));
        assert_eq!(r1.enrollment_type.as_deref(), Some("androidEnterpriseFullyManaged"));
        assert_eq!(r1.recipient.as_deref(), Some("enroller@contoso.com"), "the enrolling user is the recipient");
        assert_eq!(r1.user_display_name.as_deref(), Some("Primary User"));
        assert_eq!(r1.last_sync.map(|t| t.to_rfc3339()).as_deref(), Some("2024-05-01T10:22:33+00:00"));
        let r2 = &inv.devices[1];
        assert_eq!(r2.platform, Platform::Ios);
        assert_eq!(r2.management_agent.as_deref(), Some("easMdm"));
        assert_eq!(r2.management_state.as_deref(), Some("wipePending"));
        assert!(r2.last_sync.is_some());
        // Numeric codes are kept as they are (unknown to the rules), and an explicit device type
        // wins over what the OS label implies.
        let r3 = &inv.devices[2];
        assert_eq!(&*r3.ownership, "1");
        assert_eq!(r3.management_agent.as_deref(), Some("2"));
        assert_eq!(r3.enrollment_type.as_deref(), Some("15"));
        assert_eq!(r3.android_mode, Some(AndroidMode::Unknown));
        // No apps export: nothing is trusted as missing, and a gap says so.
        assert!(inv.devices.iter().all(|d| !d.inventory_complete));
        assert_eq!(inv.source.gaps, vec![NO_APPS_GAP.to_owned()]);
        assert!(inv.source.description.ends_with("export-devices-raw.csv"));
    }

    #[test]
    fn bom_crlf_semicolons_and_quotes_inline() {
        let text = b"\xEF\xBB\xBFdevice_id;\"O S\";Last-Check-In\r\n\"a;1\";iOS;2024-05-01 10:22:33\r\n\r\n;;\r\nb;Android;\r\n";
        let inv = devices_from(text, None).unwrap();
        assert_eq!(inv.devices.len(), 2, "the blank and all-empty rows are skipped");
        assert_eq!(inv.devices[0].id, "a;1");
        assert_eq!(inv.devices[1].platform, Platform::Android);
        assert_eq!(inv.devices[1].android_mode, Some(AndroidMode::DeviceAdministrator));
        let gaps = inv.source.gaps.join("\n");
        assert!(gaps.contains("no user column"), "{gaps}");
        assert!(gaps.contains("no `Managed by` column"), "{gaps}");
        assert!(gaps.contains("no `Ownership` column"), "{gaps}");
        assert!(!gaps.contains("Last check-in"), "{gaps}");
    }

    #[test]
    fn os_labels_set_platform_and_mode() {
        let cases = [
            ("iOS/iPadOS", Platform::Ios, None),
            ("iPhone", Platform::Ios, None),
            ("Android (personally-owned work profile)", Platform::Android, Some(AndroidMode::PersonalWorkProfile)),
            (
                "Android Enterprise (personally-owned work profile)",
                Platform::Android,
                Some(AndroidMode::PersonalWorkProfile),
            ),
            ("AndroidForWork", Platform::Android, Some(AndroidMode::PersonalWorkProfile)),
            ("Android Enterprise", Platform::Android, Some(AndroidMode::FullyManaged)),
            ("Android (fully managed)", Platform::Android, Some(AndroidMode::FullyManaged)),
            ("Android (dedicated)", Platform::Android, Some(AndroidMode::Dedicated)),
            ("Android (corporate-owned work profile)", Platform::Android, Some(AndroidMode::CorporateWorkProfile)),
            ("Android (AOSP)", Platform::Android, Some(AndroidMode::Aosp)),
            ("Android (device administrator)", Platform::Android, Some(AndroidMode::DeviceAdministrator)),
            ("Android (something new)", Platform::Android, Some(AndroidMode::Unknown)),
            ("Windows", Platform::Other, None),
            ("", Platform::Unknown, None),
        ];
        let mut text = String::from("Device ID,OS\n");
        for (i, (os, _, _)) in cases.iter().enumerate() {
            text.push_str(&format!("d{i},\"{os}\"\n"));
        }
        let inv = devices_from(text.as_bytes(), None).unwrap();
        for ((os, platform, mode), device) in cases.iter().zip(&inv.devices) {
            assert_eq!((device.platform, device.android_mode), (*platform, *mode), "{os}");
        }
        assert_eq!(&*inv.devices[11].operating_system, "Android (something new)", "unknown labels are kept");
    }

    #[test]
    fn value_tables() {
        assert_eq!(graph_value(OWNERSHIP_VALUES, "Corporate"), "company");
        assert_eq!(graph_value(OWNERSHIP_VALUES, "personal"), "personal");
        assert_eq!(graph_value(OWNERSHIP_VALUES, "Shared"), "Shared");
        assert_eq!(graph_value(MANAGEMENT_AGENT_VALUES, "MDM/EAS"), "easMdm");
        assert_eq!(graph_value(MANAGEMENT_AGENT_VALUES, "Co-managed"), "configurationManagerClientMdm");
        assert_eq!(graph_value(MANAGEMENT_AGENT_VALUES, "ConfigMgr"), "configurationManagerClient");
        assert_eq!(graph_value(MANAGEMENT_AGENT_VALUES, "EAS"), "eas");
        assert_eq!(graph_value(MANAGEMENT_AGENT_VALUES, "intuneAosp"), "intuneAosp");
        assert_eq!(graph_value(MANAGEMENT_STATE_VALUES, "Retire pending"), "retirePending");
        assert_eq!(graph_value(MANAGEMENT_STATE_VALUES, "Wipe cancelled"), "wipeCanceled");
        assert_eq!(graph_value(MANAGEMENT_STATE_VALUES, "Sleeping"), "Sleeping");
        assert_eq!(
            graph_value(ENROLLMENT_TYPE_VALUES, "Android Enterprise fully managed"),
            "androidEnterpriseFullyManaged"
        );
    }

    #[test]
    fn check_in_times() {
        let t = |raw: &str| normalise_time(raw);
        assert_eq!(t("2024-05-01 10:22:33.0000000").as_deref(), Some("2024-05-01T10:22:33Z"));
        assert_eq!(t("2024-05-01 10:22:33").as_deref(), Some("2024-05-01T10:22:33Z"));
        assert_eq!(t("2024-05-01T10:22:33.5").as_deref(), Some("2024-05-01T10:22:33.500Z"));
        assert_eq!(t("5/1/2024 10:22:33 AM").as_deref(), Some("2024-05-01T10:22:33Z"));
        assert_eq!(t("5/1/2024 10:22:33 pm").as_deref(), Some("2024-05-01T22:22:33Z"));
        assert_eq!(t("12/31/2024 23:05").as_deref(), Some("2024-12-31T23:05:00Z"));
        assert_eq!(t("2024-05-01T12:22:33+02:00").as_deref(), Some("2024-05-01T10:22:33Z"));
        assert_eq!(t("2024-05-01").as_deref(), Some("2024-05-01T00:00:00Z"));
        assert_eq!(t("1/1/0001 12:00:00 AM").as_deref(), Some("0001-01-01T00:00:00Z"));
        assert_eq!(t("31/12/2024 10:00:00"), None, "day-first dates are not guessed");
        assert_eq!(t("yesterday"), None);
        assert_eq!(t("2024-05-01 10:22:33.123456789123").as_deref(), Some("2024-05-01T10:22:33.123456789Z"));
        assert_eq!(t("2024-13-01 10:22:33"), None);
        assert_eq!(t("2024-05-01 10:22:33."), None);
        assert_eq!(t("2024-05-01 10:22:33.5 PM"), None);
    }

    #[test]
    fn duplicate_device_ids_are_kept_once_with_a_warning() {
        let inv = devices_from(b"Device ID,OS\nd1,iOS\nd2,iOS\nd1,Android\n", None).unwrap();
        assert_eq!(inv.devices.len(), 2);
        assert_eq!(inv.devices[0].platform, Platform::Ios, "the first row wins");
        assert_eq!(inv.duplicate_ids, vec!["d1".to_owned()]);
        assert!(inv.source.warnings[0].contains("repeated an id"), "{:?}", inv.source.warnings);
    }

    #[test]
    fn device_export_errors_name_file_line_and_field() {
        assert_eq!(devices_err(""), "devices.csv: empty file: expected the devices export as CSV with a header row");
        assert!(devices_err("\u{feff}").contains("no header row"));
        assert!(devices_err("\n\n").contains("no header row"));
        let message = devices_err("Device ID,Device name\nd1,x\n");
        assert!(message.starts_with("devices.csv: the devices export has no OS column (required): expected one of `OS`, `Operating system`, `OperatingSystem`"), "{message}");
        assert!(message.contains("the header row has `Device ID`, `Device name`"), "{message}");
        let message = devices_err("Name,OS\nd1,iOS\n");
        assert!(
            message.contains("no device id column (required): expected one of `Device ID`, `DeviceId`"),
            "{message}"
        );
        let message = devices_err("ApplicationName,DeviceId\nx,d1\n");
        assert!(message.contains("looks like a discovered-apps export"), "{message}");
        assert_eq!(
            devices_err("Device ID,OS,Device name\nd1,iOS,a\nd2,iOS\n"),
            "devices.csv: line 3: found 2 fields, expected 3 (as many as the header row has)"
        );
        assert_eq!(
            devices_err("Device ID,OS,Device name\nd1,iOS,a\n  ,iOS,b\n"),
            "devices.csv: line 3, field `Device ID`: row without a device id"
        );
        let message =
            devices_from(b"Device ID,OS,Device name\r\nd1,iOS,a\r\nd2,iOS,caf\xE9\r\n", None).unwrap_err().to_string();
        assert_eq!(
            message,
            "devices.csv: line 3, field `Device name` (column 3): invalid UTF-8 (save the file as \"CSV UTF-8\")"
        );
        let message = devices_from(b"Device ID,\xFFOS\n", None).unwrap_err().to_string();
        assert!(message.contains("line 1, column 2: invalid UTF-8 in the header row"), "{message}");
        let message = devices_from(b"\xFF\xFED\0e\0", None).unwrap_err().to_string();
        assert!(message.contains("UTF-16"), "{message}");
        // Invalid UTF-8 in a column that is not read does not matter.
        assert!(devices_from(b"Device ID,OS,Notes\nd1,iOS,\xFF\n", None).is_ok());
    }

    #[test]
    fn file_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("devices.csv");
        let catalog = AppCatalog::default();
        let e = load(&missing, None, None, &catalog).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(e.to_string(), format!("{}: no such file", missing.display()));
        let e = load(dir.path(), None, None, &catalog).unwrap_err();
        assert!(e.to_string().ends_with("is a directory, not a CSV file"), "{e}");
        let devices = fixture("export-devices-raw.csv");
        let e = load(&devices, Some(&missing), None, &catalog).unwrap_err();
        assert_eq!(e.to_string(), format!("{}: no such file", missing.display()));
        let empty = dir.path().join("members.csv");
        std::fs::write(&empty, b"").unwrap();
        let e = load(&devices, None, Some(&empty), &catalog).unwrap_err();
        assert!(e.to_string().starts_with(&format!("{}: empty file", empty.display())), "{e}");
    }

    #[test]
    fn app_export_errors_and_headers() {
        let message = apps_err("ApplicationName,ApplicationVersion\nCompany Portal,5\n");
        assert!(
            message.starts_with("apps.csv: the discovered-apps export has no device id column (required)"),
            "{message}"
        );
        let message = apps_err("ApplicationName,DeviceCount\nCompany Portal,5\n");
        assert!(message.contains("AppInvRawData"), "{message}");
        assert_eq!(
            apps_err("App name,Device ID\nCompany Portal,d1\nOutlook,\n"),
            "apps.csv: line 3, field `Device ID`: row without a device id"
        );
        assert_eq!(
            apps_err("App name;Device ID;Version\nCompany Portal;d1;5\nOutlook;d1\n"),
            "apps.csv: line 3: found 2 fields, expected 3 (as many as the header row has)"
        );
        let message = devices_from(b"Device ID,OS\nd1,iOS\n", Some(b"App name,Device ID\nCompany Portal,d\xC3\n"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "apps.csv: line 2, field `Device ID` (column 2): invalid UTF-8 (save the file as \"CSV UTF-8\")"
        );
        // Display labels, and a name matched case-insensitively.
        let inv = devices_from(
            b"Device ID,OS\nd1,iOS\n",
            Some(
                b"Application name,Application version,Device ID,Bundle ID\n company portal ,5.1,d1,\nOutlook,1,d1,x\n",
            ),
        )
        .unwrap();
        assert_eq!(inv.devices[0].apps.len(), 1);
        assert_eq!(&*inv.devices[0].apps[0].name, "company portal");
        assert_eq!(inv.devices[0].apps[0].id, None);
    }

    #[test]
    fn members_export_variants() {
        let (members, source) = members_from(b"userPrincipalName,displayName\nalice@contoso.com,Alice\n,\n").unwrap();
        assert_eq!(members.len(), 1);
        assert!(source.warnings.is_empty(), "all-empty rows are skipped silently");
        let (members, _) = members_from(b"UPN\r\nbob@contoso.com\r\n").unwrap();
        assert_eq!(members[0].user_principal_name.as_deref(), Some("bob@contoso.com"));
        let (members, source) =
            members_from(b"version:v1.0\nid,objectType,displayName\nu1,User,A\ng1,Group,G\n,User,Nobody\n").unwrap();
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].id.as_deref(), Some("u1"));
        assert!(source.warnings[0].contains("1 row(s) of the members export"), "{:?}", source.warnings);
        let (members, _) =
            members_from(b"User name [userPrincipalName],Name [displayName]\nc@contoso.com,C\n").unwrap();
        assert_eq!(members[0].user_principal_name.as_deref(), Some("c@contoso.com"));
        let message = members_from(b"displayName,mail\nA,a@x\n").unwrap_err().to_string();
        assert!(
            message.starts_with("members.csv: the members export has no user principal name column (required)"),
            "{message}"
        );
        assert!(message.contains("or a user id column"), "{message}");
        let message = members_from(b"version:v1.0\nUPN,Display name\na@x,A\nb@x\n").unwrap_err().to_string();
        assert_eq!(message, "members.csv: line 4: found 1 fields, expected 2 (as many as the header row has)");
    }

    fn check(result: Result<impl Sized, Error>) -> Result<(), TestCaseError> {
        if let Err(e) = result {
            prop_assert_eq!(e.exit_code(), 2);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            check(devices_from(&bytes, None))?;
            check(devices_from(b"Device ID,OS\nd1,iOS\n", Some(&bytes)))?;
            check(members_from(&bytes))?;
        }

        #[test]
        fn mutated_exports_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6)) {
            let devices = std::fs::read(fixture("export-devices-labels.csv")).unwrap();
            let apps = std::fs::read(fixture("export-apps.csv")).unwrap();
            let members = std::fs::read(fixture("export-members.csv")).unwrap();
            check(devices_from(&mutate(devices.clone(), &edits), None))?;
            check(devices_from(&devices, Some(&mutate(apps, &edits))))?;
            check(members_from(&mutate(members, &edits)))?;
        }
    }
}
