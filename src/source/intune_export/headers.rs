//! Which columns of the three exports are read, under which headers (docs/exports.md, "Columns"):
//! the admin center's display labels and the report export jobs' column names alike.
//!
//! Headers are matched case-insensitively, ignoring spaces, underscores and hyphens (`Last check-in` =
//! `LastCheckIn`); a header written `Label [name]` (Entra's bulk templates) is matched on `name`. A
//! field is read from the first of its columns that is not blank in a row, in the order of the table,
//! and a `<Column>_loc` label twin is read before its column.

/// A field read from an export, with the headers accepted for it in order of preference.
#[derive(Debug)]
pub struct ColumnSpec {
    /// How messages and docs/exports.md name the field.
    pub what: &'static str,
    pub headers: &'static [&'static str],
}

const fn spec(what: &'static str, headers: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec { what, headers }
}

pub const DEVICE_ID_HEADERS: &[&str] =
    &["Device ID", "DeviceId", "Intune device ID", "IntuneDeviceId", "ManagedDeviceId"];

/// Fields of the devices export, in the order of [`Dev`].
pub const DEVICE_COLUMNS: [ColumnSpec; 15] = [
    spec("device id", DEVICE_ID_HEADERS),
    spec("OS", &["OS", "Operating system", "OperatingSystem"]),
    spec("device name", &["Device name", "DeviceName"]),
    spec("OS version", &["OS version", "OSVersion", "Operating system version"]),
    spec("last check-in", &["Last check-in", "LastContact", "LastSyncDateTime", "Last sync"]),
    spec("enrollment date", &["Enrollment date", "EnrolledDateTime", "Enrolled date", "CreatedDate"]),
    spec("primary user UPN", &["Primary user UPN", "UPN", "UserPrincipalName", "User principal name"]),
    spec(
        "primary user display name",
        &["Primary user display name", "UserName", "UserDisplayName", "User display name"],
    ),
    spec("primary user id", &["UserId", "User ID", "Primary user ID", "PrimaryUser"]),
    spec("enrolling user", &["EnrolledByUser", "Enrolled by user", "Enrolled by", "EnrolledByUserPrincipalName"]),
    spec("ownership", &["Ownership", "OwnerType", "ManagedDeviceOwnerType"]),
    spec("management agent", &["Managed by", "ManagementAgent", "ManagementAgents"]),
    spec("management state", &["Device state", "ManagementState"]),
    spec("enrollment type", &["Enrollment type", "EnrollmentType", "DeviceEnrollmentType"]),
    spec("device type", &["DeviceType", "Device type"]),
];

/// Indexes into [`DEVICE_COLUMNS`].
#[derive(Debug, Clone, Copy)]
pub enum Dev {
    Id,
    Os,
    Name,
    OsVersion,
    LastSync,
    EnrolledAt,
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

/// Fields of the discovered-apps export, in the order of [`App`].
pub const APP_COLUMNS: [ColumnSpec; 4] = [
    spec("app name", &["Application name", "ApplicationName", "App name", "AppName"]),
    spec("device id", DEVICE_ID_HEADERS),
    // The short version is read when the version is blank.
    spec(
        "app version",
        &[
            "Application version",
            "ApplicationVersion",
            "Version",
            "App version",
            "Application short version",
            "ApplicationShortVersion",
        ],
    ),
    spec(
        "package or bundle id",
        &[
            "Application ID",
            "ApplicationId",
            "Bundle ID",
            "BundleId",
            "Package",
            "Package name",
            "PackageName",
            "App ID",
        ],
    ),
];

/// Indexes into [`APP_COLUMNS`].
#[derive(Debug, Clone, Copy)]
pub enum App {
    Name,
    DeviceId,
    Version,
    PackageId,
}

/// Fields of the members export, in the order of [`Mem`].
pub const MEMBER_COLUMNS: [ColumnSpec; 4] = [
    spec("user principal name", &["userPrincipalName", "UPN", "User principal name"]),
    spec("user id", &["id", "objectId", "Object ID", "UserId", "User ID"]),
    spec("display name", &["displayName", "Display name"]),
    spec("member type", &["Member type", "memberType", "objectType", "Object type", "@odata.type"]),
];

/// Indexes into [`MEMBER_COLUMNS`].
#[derive(Debug, Clone, Copy)]
pub enum Mem {
    Upn,
    Id,
    DisplayName,
    Type,
}

/// A header as matched: the name in `[...]` if any, lower-cased, without white space, `_` and `-`.
pub fn header_key(header: &str) -> String {
    let inner = match (header.find('['), header.rfind(']')) {
        (Some(open), Some(close)) if open < close => &header[open + 1..close],
        _ => header,
    };
    key_chars(inner).collect()
}

/// The characters of a header that matching compares.
fn key_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
}

/// Whether a cell holds a header of one of the table's fields (a header row inside the data), without
/// allocating.
pub fn is_header_in(cell: &str, table: &[ColumnSpec]) -> bool {
    // No header has a digit, and almost every id does: most cells are decided here, row after row.
    if cell.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    table.iter().flat_map(|spec| spec.headers).any(|header| key_chars(cell).eq(key_chars(header)))
}

/// Where each field of a table is read from: the columns with an accepted header, in order of
/// preference, each `<Column>_loc` label twin before its column.
#[derive(Debug)]
pub struct Columns(Vec<Vec<usize>>);

impl Columns {
    pub fn find(headers: &[String], table: &[ColumnSpec]) -> Self {
        let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
        let fields = table
            .iter()
            .map(|spec| {
                let mut columns = Vec::new();
                for accepted in spec.headers {
                    let accepted = header_key(accepted);
                    for (i, key) in keys.iter().enumerate() {
                        if *key != accepted || columns.contains(&i) {
                            continue;
                        }
                        let twin = format!("{accepted}loc");
                        if let Some(twin) = keys.iter().position(|k| *k == twin).filter(|t| !columns.contains(t)) {
                            columns.push(twin);
                        }
                        columns.push(i);
                    }
                }
                columns
            })
            .collect();
        Columns(fields)
    }

    /// The columns of a field (index into its table), empty when the file has none.
    pub fn of(&self, field: usize) -> &[usize] {
        &self.0[field]
    }

    pub fn has(&self, field: usize) -> bool {
        !self.0[field].is_empty()
    }
}

/// The header tables as docs/exports.md shows them (a test keeps the page equal to this).
pub fn markdown() -> String {
    let mut out = String::new();
    for (name, table) in [
        ("Devices export", &DEVICE_COLUMNS[..]),
        ("Discovered-apps export", &APP_COLUMNS[..]),
        ("Members export", &MEMBER_COLUMNS[..]),
    ] {
        out.push_str(&format!("{name}:\n\n| field | accepted headers |\n|---|---|\n"));
        for spec in table {
            let headers: Vec<String> = spec.headers.iter().map(|h| format!("`{h}`")).collect();
            out.push_str(&format!("| {} | {} |\n", spec.what, headers.join(", ")));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_in_enum_order_and_no_header_means_two_fields() {
        assert_eq!(DEVICE_COLUMNS[Dev::Id as usize].what, "device id");
        assert_eq!(DEVICE_COLUMNS[Dev::EnrolledAt as usize].what, "enrollment date");
        assert_eq!(DEVICE_COLUMNS[Dev::DeviceType as usize].what, "device type");
        assert_eq!(DEVICE_COLUMNS[Dev::EnrolledBy as usize].what, "enrolling user");
        assert_eq!(APP_COLUMNS[App::PackageId as usize].what, "package or bundle id");
        assert_eq!(MEMBER_COLUMNS[Mem::Type as usize].what, "member type");
        for table in [&DEVICE_COLUMNS[..], &APP_COLUMNS[..], &MEMBER_COLUMNS[..]] {
            let mut keys: Vec<(String, &str)> =
                table.iter().flat_map(|s| s.headers.iter().map(|h| (header_key(h), s.what))).collect();
            keys.sort();
            keys.dedup();
            for pair in keys.windows(2) {
                assert_ne!(pair[0].0, pair[1].0, "`{}` means {} and {}", pair[0].0, pair[0].1, pair[1].1);
            }
        }
    }

    #[test]
    fn header_keys_and_header_cells() {
        assert_eq!(header_key("\u{feff}Last check-in"), "lastcheckin");
        assert_eq!(header_key("User name [userPrincipalName]"), "userprincipalname");
        assert_eq!(header_key("OwnerType_loc"), "ownertypeloc");
        assert!(is_header_in("device_id", &DEVICE_COLUMNS));
        assert!(is_header_in("\u{feff}Device ID", &DEVICE_COLUMNS));
        assert!(is_header_in("os", &DEVICE_COLUMNS));
        assert!(!is_header_in("d-1", &DEVICE_COLUMNS));
        assert!(!is_header_in("Device IDs", &DEVICE_COLUMNS));
        assert!(!is_header_in("OS", &APP_COLUMNS));
        let mut headers =
            [&DEVICE_COLUMNS[..], &APP_COLUMNS[..], &MEMBER_COLUMNS[..]].into_iter().flatten().flat_map(|s| s.headers);
        assert!(headers.all(|h| !h.bytes().any(|b| b.is_ascii_digit())), "is_header_in relies on it");
    }

    #[test]
    fn label_twins_come_first_then_the_other_headers() {
        let headers: Vec<String> =
            ["OwnerType", "Ownership", "OwnerType_loc", "DeviceId"].iter().map(|h| h.to_string()).collect();
        let columns = Columns::find(&headers, &DEVICE_COLUMNS);
        assert_eq!(columns.of(Dev::Ownership as usize), &[1, 2, 0]);
        assert_eq!(columns.of(Dev::Id as usize), &[3]);
        assert!(!columns.has(Dev::Os as usize));
    }
}
