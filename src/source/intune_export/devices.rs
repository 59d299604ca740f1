//! The devices export: each row mapped onto a [`DeviceRecord`], the classification inputs every source
//! shares, so that a device read from a CSV file gets the same platform, mode and verdicts as the same
//! device read from a snapshot or from Graph (docs/exports.md).

use std::io::Read;
use std::path::Path;

use super::csv_file::{Csv, Row};
use super::dates::{DateOrder, DateReader, OrderEvidence};
use super::headers::{is_header_in, App, Columns, Dev, APP_COLUMNS, DEVICE_COLUMNS};
use super::values::{self, EnumTable, Mapped};
use super::{ExportOptions, Tally};
use crate::error::Error;
use crate::inventory::build::InventoryBuilder;
use crate::inventory::{DeviceRecord, SourceInfo};

const WHAT: &str = "devices export";

/// Reads the devices export into `builder`. `open` gives the file from its start: it is called a
/// second time when the order of its slash dates has to be found first.
pub fn read_devices<R: Read>(
    open: impl FnMut() -> Result<R, Error>,
    path: &Path,
    options: &ExportOptions,
    builder: &mut InventoryBuilder,
    source: &mut SourceInfo,
) -> Result<(), Error> {
    read_device_records(open, path, options, source, |record| builder.push_record(record).map(|_| ()))
}

/// Reads the devices export, handing each row's record to `each` (an Err of it names what is wrong
/// with the row; the error adds the file and line). `open` is as for [`read_devices`]; warnings and
/// gaps go to `source`.
pub fn read_device_records<R: Read>(
    mut open: impl FnMut() -> Result<R, Error>,
    path: &Path,
    options: &ExportOptions,
    source: &mut SourceInfo,
    mut each: impl FnMut(&DeviceRecord<'_>) -> Result<(), String>,
) -> Result<(), Error> {
    let mut csv = Csv::new(open()?, path, WHAT, false)?;
    let columns = Columns::find(&csv.headers, &DEVICE_COLUMNS);
    check_columns(&csv, &columns, path, source)?;
    let dated = [Dev::LastSync, Dev::EnrolledAt].into_iter().any(|field| columns.has(field as usize));
    let order = match options.date_order {
        Some(order) => order,
        None if !dated => DateOrder::MonthFirst,
        None => {
            let (order, warning) = date_order(&mut csv, &columns, path)?;
            source.warnings.extend(warning);
            csv = Csv::new(open()?, path, WHAT, false)?;
            order
        }
    };
    let mut rows = DeviceRows::new(columns, order);
    let mut record = csv::ByteRecord::new();
    while let Some(line) = csv.next_row(&mut record, path)? {
        let row = Row { record: &record, line, path, headers: &csv.headers };
        let device = rows.record(&row)?;
        each(&device).map_err(|why| Error::input(path, format!("line {line}: {why}")))?;
    }
    source.warnings.extend(csv.repeated_headers_warning(path, WHAT));
    rows.warnings(path, source);
    Ok(())
}

/// The required columns are there; optional ones that are missing are named in the gaps, with what
/// they leave undecided.
fn check_columns<R: Read>(csv: &Csv<R>, columns: &Columns, path: &Path, source: &mut SourceInfo) -> Result<(), Error> {
    for required in [Dev::Id, Dev::Os] {
        if !columns.has(required as usize) {
            let hint = if Columns::find(&csv.headers, &APP_COLUMNS).has(App::Name as usize) {
                " (this looks like a discovered-apps export: give it with --apps-export)"
            } else {
                ""
            };
            return Err(csv.missing(path, WHAT, &DEVICE_COLUMNS[required as usize], hint));
        }
    }
    let first_header = |field: Dev| DEVICE_COLUMNS[field as usize].headers[0];
    if [Dev::Upn, Dev::UserId, Dev::EnrolledBy].iter().all(|&field| !columns.has(field as usize)) {
        source.gaps.push(format!(
            "the devices export has no user column ({}, {} or {}), so no device has a recipient",
            first_header(Dev::Upn),
            first_header(Dev::UserId),
            first_header(Dev::EnrolledBy),
        ));
    }
    for (field, rule) in [
        (Dev::ManagedBy, "mdm-enrolled is unknown on every device"),
        (Dev::LastSync, "recent-check-in is unknown on every device"),
        (Dev::Ownership, "the app inventory of iOS and Android device-administrator devices is not trusted"),
    ] {
        if !columns.has(field as usize) {
            source.gaps.push(format!("the devices export has no `{}` column, so {rule}", first_header(field)));
        }
    }
    Ok(())
}

/// The order of the file's slash dates, from a first pass over its date cells. A row the CSV reader
/// rejects ends this pass quietly: the reading pass reports it, in file order.
fn date_order<R: Read>(csv: &mut Csv<R>, columns: &Columns, path: &Path) -> Result<(DateOrder, Option<String>), Error> {
    let mut evidence = OrderEvidence::default();
    let mut record = csv::ByteRecord::new();
    while let Ok(Some(line)) = csv.next_row(&mut record, path) {
        let row = Row { record: &record, line, path, headers: &csv.headers };
        for field in [Dev::LastSync, Dev::EnrolledAt] {
            if let Ok(Some(raw)) = row.first(columns.of(field as usize)) {
                evidence.observe(raw, line);
            }
        }
        if evidence.settled() {
            break;
        }
    }
    evidence.decide(path)
}

/// The users a row names.
struct RowUsers<'r> {
    upn: Option<&'r str>,
    user_id: Option<&'r str>,
    enrolled_by_upn: Option<&'r str>,
    enrolled_by_id: Option<&'r str>,
}

/// A date cell as RFC 3339 in `buffer` (reused from row to row); an unreadable one is counted.
fn read_time<'b>(
    dates: &mut DateReader,
    raw: Option<&str>,
    line: u64,
    buffer: &'b mut String,
    unreadable: &mut Tally,
) -> Option<&'b str> {
    let raw = raw?;
    let time = dates.read(raw, line, buffer);
    if time.is_none() {
        unreadable.note(line, raw);
    }
    time
}

/// Maps rows onto device records, counting what needs a warning.
struct DeviceRows {
    columns: Columns,
    dates: DateReader,
    last_sync: String,
    enrolled: String,
    unreadable_last_sync: Tally,
    unreadable_enrolled: Tally,
    unknown_codes: Tally,
    deleted_users: Tally,
}

impl DeviceRows {
    fn new(columns: Columns, order: DateOrder) -> Self {
        DeviceRows {
            columns,
            dates: DateReader::new(order),
            last_sync: String::new(),
            enrolled: String::new(),
            unreadable_last_sync: Tally::default(),
            unreadable_enrolled: Tally::default(),
            unknown_codes: Tally::default(),
            deleted_users: Tally::default(),
        }
    }

    fn cell<'r>(&self, row: &Row<'r>, field: Dev) -> Result<Option<&'r str>, Error> {
        row.first(self.columns.of(field as usize))
    }

    /// An enum cell as Graph's value; a numeric code in no table is counted and read as unknown.
    fn enum_cell<'r>(&mut self, row: &Row<'r>, field: Dev, table: &EnumTable) -> Result<Option<&'r str>, Error> {
        let Some(raw) = self.cell(row, field)? else { return Ok(None) };
        Ok(match table.map(raw) {
            Mapped::Value(value) => Some(value),
            Mapped::UnknownCode(unknown) => {
                self.unknown_codes.note(row.line, &format!("{} `{raw}`", DEVICE_COLUMNS[field as usize].what));
                unknown
            }
        })
    }

    /// The device record of one row (its times live in `self` until the next row).
    fn record<'s, 'r: 's>(&'s mut self, row: &Row<'r>) -> Result<DeviceRecord<'s>, Error> {
        let line = row.line;
        let Some(id) = self.cell(row, Dev::Id)? else {
            return Err(row.without(self.columns.of(Dev::Id as usize), "device id"));
        };
        if is_header_in(id, &DEVICE_COLUMNS) {
            return Err(row.stray_header(id));
        }
        let os = self.cell(row, Dev::Os)?;
        let label = os.and_then(values::os_label);
        let operating_system = match (label, os) {
            (Some(label), _) => Some(label.operating_system),
            (None, Some(raw)) if raw.bytes().all(|b| b.is_ascii_digit()) => {
                self.unknown_codes.note(line, &format!("OS `{raw}`"));
                None
            }
            (None, raw) => raw,
        };
        let device_type =
            self.enum_cell(row, Dev::DeviceType, &values::DEVICE_TYPE)?.or(label.and_then(|l| l.device_type));
        let enrollment_type = self
            .enum_cell(row, Dev::EnrollmentType, &values::ENROLLMENT_TYPE)?
            .or(label.and_then(|l| l.enrollment_type));
        let management_agent = self.enum_cell(row, Dev::ManagedBy, &values::MANAGEMENT_AGENT)?;
        let management_state = self.enum_cell(row, Dev::State, &values::MANAGEMENT_STATE)?;
        let ownership = self.enum_cell(row, Dev::Ownership, &values::OWNERSHIP)?;
        let users = self.users(row)?;
        let (name, display_name, os_version) =
            (self.cell(row, Dev::Name)?, self.cell(row, Dev::DisplayName)?, self.cell(row, Dev::OsVersion)?);
        let (last_sync, enrolled) = (self.cell(row, Dev::LastSync)?, self.cell(row, Dev::EnrolledAt)?);
        let last_sync =
            read_time(&mut self.dates, last_sync, line, &mut self.last_sync, &mut self.unreadable_last_sync);
        let enrolled = read_time(&mut self.dates, enrolled, line, &mut self.enrolled, &mut self.unreadable_enrolled);
        Ok(DeviceRecord {
            id: Some(id),
            device_name: name,
            user_id: users.user_id,
            user_principal_name: users.upn,
            user_display_name: display_name,
            enrolled_by_user_principal_name: users.enrolled_by_upn,
            operating_system,
            os_version,
            device_type,
            device_enrollment_type: enrollment_type,
            management_agent,
            management_state,
            managed_device_owner_type: ownership,
            owner_type: None,
            last_sync_date_time: last_sync,
            enrolled_date_time: enrolled,
            // The exports have no shared-device column.
            is_shared_device: None,
            enrolled_by_user_id: users.enrolled_by_id,
        })
    }

    /// The primary user and the enrolling user of a row. A user whose UPN carries the deleted-user
    /// marker is no one to send to: left out, and counted.
    fn users<'r>(&mut self, row: &Row<'r>) -> Result<RowUsers<'r>, Error> {
        let (mut upn, mut user_id) = (self.cell(row, Dev::Upn)?, self.cell(row, Dev::UserId)?);
        let mut deleted_id = None;
        if let Some(deleted) = upn.filter(|upn| values::has_deleted_user_marker(upn)) {
            self.deleted_users.note(row.line, deleted);
            deleted_id = user_id;
            (upn, user_id) = (None, None);
        }
        let (enrolled_by_upn, enrolled_by_id) = match self.cell(row, Dev::EnrolledBy)? {
            // The deleted primary user, named by id, is no one to send to either.
            Some(id) if deleted_id.is_some_and(|deleted| deleted.eq_ignore_ascii_case(id)) => (None, None),
            Some(id) if values::is_user_id(id) => (None, Some(id)),
            Some(deleted) if values::has_deleted_user_marker(deleted) => {
                self.deleted_users.note(row.line, deleted);
                (None, None)
            }
            enrolled_by => (enrolled_by, None),
        };
        Ok(RowUsers { upn, user_id, enrolled_by_upn, enrolled_by_id })
    }

    fn warnings(&self, path: &Path, source: &mut SourceInfo) {
        let file = path.display();
        let notes = [
            (&self.unreadable_last_sync, "last check-in(s) could not be read", "recent-check-in is unknown there"),
            (&self.unreadable_enrolled, "enrollment date(s) could not be read", "they are left empty"),
            (&self.dates.two_digit_years, "date(s) have a two-digit year", "read as 20YY"),
            (&self.unknown_codes, "value(s) are numeric codes that no Graph enum value has", "read as unknown"),
            (
                &self.deleted_users,
                "user principal name(s) carry Entra's deleted-user marker",
                "such a user is no recipient",
            ),
        ];
        for (tally, what, consequence) in notes {
            if let Some((line, example)) = &tally.first {
                source.warnings.push(format!(
                    "devices export {file}: {} {what} (first: \"{example}\" on line {line}); {consequence}",
                    tally.count
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The device records of a devices export, one closure call per row.
    fn each_record(text: &[u8], order: DateOrder, mut check: impl FnMut(&DeviceRecord<'_>)) {
        let path = Path::new("devices.csv");
        let mut csv = Csv::new(text, path, WHAT, false).unwrap();
        let mut rows = DeviceRows::new(Columns::find(&csv.headers, &DEVICE_COLUMNS), order);
        let mut record = csv::ByteRecord::new();
        while let Some(line) = csv.next_row(&mut record, path).unwrap() {
            let row = Row { record: &record, line, path, headers: &csv.headers };
            check(&rows.record(&row).unwrap());
        }
    }

    #[test]
    fn enrollment_dates_and_enrolling_users_reach_the_record() {
        let text = b"Device ID,OS,Enrollment date,CreatedDate,EnrolledByUser\n\
            d1,iOS,19/11/2026 14:00,,9D8C7B6A-0000-4000-8000-00000000BEEF\n\
            d2,iOS,,2026-01-10 09:00:00.0000000,Dem@Contoso.com\n\
            d3,iOS,soon,,\n";
        let mut seen = Vec::new();
        each_record(text, DateOrder::DayFirst, |record| {
            seen.push((
                record.enrolled_date_time.map(str::to_owned),
                record.enrolled_by_user_id.map(str::to_owned),
                record.enrolled_by_user_principal_name.map(str::to_owned),
            ));
        });
        let owned = |v: &str| Some(v.to_owned());
        assert_eq!(
            seen,
            vec![
                (owned("2026-11-19T14:00:00Z"), owned("9D8C7B6A-0000-4000-8000-00000000BEEF"), None),
                (owned("2026-01-10T09:00:00Z"), None, owned("Dem@Contoso.com")),
                (None, None, None),
            ]
        );
    }

    #[test]
    fn enrollment_types_reach_the_record_as_graph_names() {
        let text = b"DeviceId,OS,EnrollmentType_loc,EnrollmentType\nd1,iOS,,11\nd2,iOS,,2\nd3,iOS,DEM,0\nd4,iOS,,25\nd5,iOS,,\n";
        let mut seen = Vec::new();
        each_record(text, DateOrder::MonthFirst, |record| seen.push(record.device_enrollment_type.map(str::to_owned)));
        let expected = [
            "appleUserEnrollment",
            "deviceEnrollmentManager",
            "deviceEnrollmentManager",
            "appleAccountDrivenUserEnrollment",
        ];
        let expected: Vec<Option<String>> = expected.iter().map(|v| Some(v.to_string())).chain([None]).collect();
        assert_eq!(seen, expected);
    }
}
