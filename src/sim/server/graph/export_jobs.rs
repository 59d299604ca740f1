//! Intune's report export jobs, simulated.
//!
//! - `POST /beta/deviceManagement/reports/exportJobs` creates a job: `reportName` `Devices` or
//!   `AppInvRawData`, `format` csv (the default), `select` among the report's documented columns (any
//!   other is a 400, as Graph refuses it), `filter` `(ApplicationName eq '…')` for `AppInvRawData`
//!   only. The answer (201) is the job, `notStarted`.
//! - `GET .../exportJobs('{id}')` gives its state: `notStarted` for the first quarter of its time
//!   (`job_seconds`), then `inProgress`, then `completed` with a `url`, or `failed`.
//! - The `url` is `/sim/exports/{id}.zip?sv=…&sig=…` on this server, standing in for Azure storage: it
//!   refuses (403) a request that carries an `Authorization` header (a client must not send its Graph
//!   token there; each one is counted) or a wrong signature.
//!
//! The zip holds one CSV as the real report writes it: a byte order mark, CRLF line ends, the selected
//! columns in their order, enum columns as Intune's numeric codes (`OwnerType` 1 = company), label twins
//! `OwnerType_loc` and `ManagementAgents_loc`, dates `yyyy-MM-dd HH:mm:ss.fffffff`, and `EnrolledByUser`
//! the enrolling user's object id (the primary user's, when the device names no other). The devices
//! that `hide_devices` keeps out of the listings are left out here too (the overview counts them).
//!
//! Faults ([`ExportJobOptions`]): the first N jobs of each report stay `inProgress` for ever, the next
//! M turn `failed`; a throttle of its own per client app (48 per 60 s by default, 429 beyond); a
//! download that is no zip; a CSV with a broken row.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use crate::sim::server::faults::{lock, Throttler};
use crate::sim::server::wire::{bad_request, graph_error, Ctx, Out};
use crate::sim::server::{Shared, Throttle};
use crate::source::intune_export::values::{
    same_label, EnumTable, DEVICE_TYPE, ENROLLMENT_TYPE, MANAGEMENT_AGENT, MANAGEMENT_STATE, OWNERSHIP,
};
use crate::source::wire::{GraphDevice, APP_INV_RAW_DATA_COLUMNS, DEVICES_REPORT_COLUMNS};

/// How the simulated export jobs run and fail.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportJobOptions {
    /// Seconds from a job's submission to `completed` (or `failed`).
    pub job_seconds: f64,
    /// The first N jobs of each report stay `inProgress` for ever.
    pub stranded: u32,
    /// The next N jobs of each report turn `failed` when their time is up.
    pub failed: u32,
    /// Export requests (create and poll) per client app; 429 with `Retry-After` beyond. `None`: no limit.
    pub throttle: Option<Throttle>,
    /// The download is a zip cut in half.
    pub bad_zip: bool,
    /// The CSV holds a row with fewer fields than its header.
    pub bad_csv: bool,
}

impl Default for ExportJobOptions {
    fn default() -> Self {
        ExportJobOptions {
            job_seconds: 3.0,
            stranded: 0,
            failed: 0,
            throttle: Some(Throttle { requests: 48, per_seconds: 60.0 }),
            bad_zip: false,
            bad_csv: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Report {
    Devices,
    AppInvRawData,
}

impl Report {
    fn name(self) -> &'static str {
        match self {
            Report::Devices => "Devices",
            Report::AppInvRawData => "AppInvRawData",
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            Report::Devices => DEVICES_REPORT_COLUMNS,
            Report::AppInvRawData => APP_INV_RAW_DATA_COLUMNS,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Completes,
    Stranded,
    Fails,
}

struct Job {
    report: Report,
    /// The selected columns, as the report spells them.
    select: Vec<&'static str>,
    filter: Option<String>,
    /// The app name of an `AppInvRawData` filter.
    app: Option<String>,
    created: Instant,
    requested: String,
    fate: Fate,
    sig: String,
    /// Built at the first download.
    zip: Option<Arc<Vec<u8>>>,
}

/// The export jobs of the server, and their throttle.
pub(in crate::sim::server) struct ExportJobs {
    options: ExportJobOptions,
    pub throttle: Throttler,
    jobs: Mutex<HashMap<String, Job>>,
    submitted: Mutex<HashMap<Report, u32>>,
}

impl ExportJobs {
    pub fn new(options: ExportJobOptions) -> Self {
        ExportJobs {
            throttle: Throttler::new(options.throttle),
            options,
            jobs: Mutex::new(HashMap::new()),
            submitted: Mutex::new(HashMap::new()),
        }
    }

    /// The download signatures handed out so far (secrets: tests search every output for them).
    pub fn signatures(&self) -> Vec<String> {
        lock(&self.jobs).values().map(|job| job.sig.clone()).collect()
    }
}

/// The body of a create request.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Create {
    report_name: Option<String>,
    #[serde(default)]
    select: Vec<String>,
    filter: Option<String>,
    format: Option<String>,
}

impl Shared {
    /// `POST /beta/deviceManagement/reports/exportJobs`.
    pub(in crate::sim::server) fn export_create(&self, ctx: &Ctx, body: &[u8]) -> Out {
        let Ok(create) = serde_json::from_slice::<Create>(body) else {
            return bad_request(ctx, "The request body is not a deviceManagementExportJob.");
        };
        let report = match create.report_name.as_deref().map(str::trim) {
            Some(name) if name.eq_ignore_ascii_case("Devices") => Report::Devices,
            Some(name) if name.eq_ignore_ascii_case("AppInvRawData") => Report::AppInvRawData,
            other => return bad_request(ctx, &format!("Report '{}' is not simulated.", other.unwrap_or(""))),
        };
        if create.format.as_deref().is_some_and(|f| !f.eq_ignore_ascii_case("csv")) {
            return bad_request(ctx, "Only the csv format is simulated.");
        }
        let mut select = Vec::new();
        for column in &create.select {
            match report.columns().iter().find(|c| c.eq_ignore_ascii_case(column.trim())) {
                Some(known) => select.push(*known),
                None => {
                    return bad_request(ctx, &format!("Invalid select column '{column}' for report {}.", report.name()))
                }
            }
        }
        if select.is_empty() {
            select = report.columns().to_vec();
        }
        let filter = create.filter.filter(|f| !f.trim().is_empty());
        let app = match (&filter, report) {
            (None, _) => None,
            (Some(filter), Report::AppInvRawData) => match application_name(filter) {
                Some(name) => Some(name),
                None => return bad_request(ctx, &format!("Invalid filter '{filter}'.")),
            },
            (Some(filter), Report::Devices) => {
                return bad_request(ctx, &format!("Filter '{filter}' is not simulated for Devices."))
            }
        };
        let fate = {
            let mut submitted = lock(&self.export_jobs.submitted);
            let count = submitted.entry(report).or_default();
            *count += 1;
            let options = &self.export_jobs.options;
            match *count {
                n if n <= options.stranded => Fate::Stranded,
                n if n <= options.stranded + options.failed => Fate::Fails,
                _ => Fate::Completes,
            }
        };
        let id = format!("{}_{}", report.name(), uuid::Uuid::new_v4());
        let job = Job {
            report,
            select,
            filter,
            app,
            created: Instant::now(),
            requested: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            fate,
            sig: format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()),
            zip: None,
        };
        self.stats.export_jobs_created.fetch_add(1, Ordering::Relaxed);
        let body = self.job_json(&id, &job);
        lock(&self.export_jobs.jobs).insert(id, job);
        Out { status: StatusCode::CREATED, ..Out::json(body) }
    }

    /// `GET /beta/deviceManagement/reports/exportJobs('{id}')`.
    pub(in crate::sim::server) fn export_status(&self, ctx: &Ctx, id: &str) -> Out {
        self.stats.export_job_polls.fetch_add(1, Ordering::Relaxed);
        let jobs = lock(&self.export_jobs.jobs);
        match jobs.get(id) {
            Some(job) => Out::json(self.job_json(id, job)),
            None => graph_error(ctx, StatusCode::NOT_FOUND, "ResourceNotFound", "Resource not found."),
        }
    }

    /// `GET /sim/exports/{id}.zip?…`: the job's file, for a request without a token and with the
    /// job's signature.
    pub(in crate::sim::server) fn export_download(&self, file: &str, query: Option<&str>, authorized: bool) -> Out {
        self.stats.export_downloads.fetch_add(1, Ordering::Relaxed);
        if authorized {
            self.stats.export_downloads_refused.fetch_add(1, Ordering::Relaxed);
            return storage_error(
                StatusCode::FORBIDDEN,
                "AuthenticationFailed",
                "Server failed to authenticate the request. The request carries an Authorization header beside \
                 its shared access signature.",
            );
        }
        let id = file.strip_suffix(".zip").unwrap_or(file);
        let sig = query.and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "sig").map(|(_, v)| v.into_owned())
        });
        let mut jobs = lock(&self.export_jobs.jobs);
        let job = match jobs.get_mut(id) {
            Some(job) if self.status_of(job) == "completed" => job,
            _ => return storage_error(StatusCode::NOT_FOUND, "BlobNotFound", "The specified blob does not exist."),
        };
        if sig.as_deref() != Some(job.sig.as_str()) {
            return storage_error(StatusCode::FORBIDDEN, "AuthenticationFailed", "Signature did not match.");
        }
        let zip = match &job.zip {
            Some(zip) => zip.clone(),
            None => {
                let zip = Arc::new(self.zip_of(id, job));
                job.zip = Some(zip.clone());
                zip
            }
        };
        let mut bytes = zip.to_vec();
        if self.export_jobs.options.bad_zip {
            bytes.truncate(bytes.len() / 2);
        }
        Out::json(bytes).with_header("Content-Type", "application/zip".to_owned())
    }

    fn status_of(&self, job: &Job) -> &'static str {
        let time = Duration::from_secs_f64(self.export_jobs.options.job_seconds.max(0.0));
        let elapsed = job.created.elapsed();
        match job.fate {
            _ if elapsed < time / 4 => "notStarted",
            Fate::Stranded => "inProgress",
            _ if elapsed < time => "inProgress",
            Fate::Fails => "failed",
            Fate::Completes => "completed",
        }
    }

    fn job_json(&self, id: &str, job: &Job) -> Vec<u8> {
        let status = self.status_of(job);
        let url = (status == "completed")
            .then(|| format!("{}/sim/exports/{id}.zip?sv=2019-02-02&sr=b&sig={}&sp=r", self.index.base, job.sig));
        serde_json::json!({
            "@odata.context": format!("{}/beta/$metadata#deviceManagement/reports/exportJobs/$entity", self.index.base),
            "id": id,
            "reportName": job.report.name(),
            "filter": job.filter,
            "localizationType": "LocalizedValuesAsAdditionalColumn",
            "select": job.select,
            "format": "csv",
            "snapshotId": null,
            "status": status,
            "url": url,
            "requestDateTime": job.requested,
            "expirationDateTime": if status == "completed" { "9999-12-31T23:59:59Z" } else { "0001-01-01T00:00:00Z" },
        })
        .to_string()
        .into_bytes()
    }

    /// The zip of a job: one CSV named after it.
    fn zip_of(&self, id: &str, job: &Job) -> Vec<u8> {
        let csv = self.csv_of(job);
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(csv.len() / 4)));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        // Writing into memory cannot fail.
        let _ = zip.start_file(format!("{id}.csv"), options).and_then(|()| Ok(zip.write_all(&csv)?));
        zip.finish().map(std::io::Cursor::into_inner).unwrap_or_default()
    }

    /// The CSV of a job (see the module documentation).
    fn csv_of(&self, job: &Job) -> Vec<u8> {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        let mut writer =
            csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).flexible(true).from_writer(&mut out);
        let mut header: Vec<String> = Vec::new();
        for column in &job.select {
            header.push((*column).to_owned());
            if job.report == Report::Devices && twin(column).is_some() {
                header.push(format!("{column}_loc"));
            }
        }
        let _ = writer.write_record(&header);
        let tenant = &self.index.tenant;
        let mut rows = 0usize;
        let mut write = |writer: &mut csv::Writer<&mut Vec<u8>>, record: &[String]| {
            rows += 1;
            let _ = writer.write_record(record);
            if rows == 2 && self.export_jobs.options.bad_csv {
                let _ = writer.write_record(["a broken row"]);
            }
        };
        match job.report {
            Report::Devices => {
                let user_ids: HashMap<String, &str> =
                    tenant.users.iter().map(|u| (u.user_principal_name.to_lowercase(), u.id.as_str())).collect();
                for &d in self.index.devices.listed.iter() {
                    let device = &tenant.devices[d as usize];
                    let mut record = Vec::with_capacity(header.len());
                    for column in &job.select {
                        record.push(device_cell(device, column, &user_ids));
                        if let Some(table) = twin(column) {
                            record.push(label(table, enum_value(device, column)));
                        }
                    }
                    write(&mut writer, &record);
                }
            }
            Report::AppInvRawData => {
                let wanted =
                    |name: &str| job.app.as_deref().is_none_or(|app| app.trim().eq_ignore_ascii_case(name.trim()));
                for app in tenant.apps.iter().filter(|a| wanted(a.app.display_name.as_deref().unwrap_or(""))) {
                    for &d in app.devices.iter().filter(|&&d| self.index.devices.visible[d as usize]) {
                        let device = &tenant.devices[d as usize];
                        let record: Vec<String> = job.select.iter().map(|c| app_cell(app, device, c)).collect();
                        write(&mut writer, &record);
                    }
                }
            }
        }
        let _ = writer.flush();
        drop(writer);
        out
    }
}

/// The app name of `(ApplicationName eq '…')` (a doubled quote is one quote); `None` for any other filter.
fn application_name(filter: &str) -> Option<String> {
    let inner = filter.trim();
    let inner = inner.strip_prefix('(').and_then(|f| f.strip_suffix(')')).unwrap_or(inner).trim();
    let (column, rest) = inner.split_once(char::is_whitespace)?;
    let (operator, literal) = rest.trim_start().split_once(char::is_whitespace)?;
    if !column.eq_ignore_ascii_case("ApplicationName") || !operator.eq_ignore_ascii_case("eq") {
        return None;
    }
    let literal = literal.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    // A quote inside the literal is doubled; a single one would end it, and something else follow.
    (!literal.replace("''", "").contains('\'')).then(|| literal.replace("''", "'"))
}

/// The label twin of an enum column of the `Devices` report, if the simulated CSV gives it one.
fn twin(column: &str) -> Option<&'static EnumTable> {
    match column {
        "OwnerType" => Some(&OWNERSHIP),
        "ManagementAgents" => Some(&MANAGEMENT_AGENT),
        _ => None,
    }
}

/// The Graph value behind an enum column.
fn enum_value<'a>(device: &'a GraphDevice<'static>, column: &str) -> Option<&'a str> {
    match column {
        // Intune's own record has one ownership: the beta `ownerType` stands in when the other is blank.
        "OwnerType" => device
            .managed_device_owner_type
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .or(device.owner_type.as_deref()),
        "ManagementAgents" => device.management_agent.as_deref(),
        "ManagementState" => device.management_state.as_deref(),
        "DeviceType" => device.device_type.as_deref(),
        "EnrollmentType" | "DeviceEnrollmentType" => device.device_enrollment_type.as_deref(),
        _ => None,
    }
}

/// The member of `table` a Graph value (or label) is.
fn member<'t>(table: &'t EnumTable, value: &str) -> Option<&'t crate::source::intune_export::values::EnumValue> {
    table.values.iter().find(|v| same_label(v.graph, value) || v.labels.iter().any(|l| same_label(l, value)))
}

/// A value as Intune's numeric code; a value no code stands for as it is.
fn code(table: &EnumTable, value: Option<&str>) -> String {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else { return String::new() };
    member(table, value).map_or_else(|| value.to_owned(), |known| known.code.to_string())
}

/// A value as the admin center's label (its first, else Graph's name); other values as they are.
fn label(table: &EnumTable, value: Option<&str>) -> String {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else { return String::new() };
    member(table, value)
        .map_or_else(|| value.to_owned(), |known| known.labels.first().unwrap_or(&known.graph).to_string())
}

/// A Graph time as the report writes it: `2026-11-20 10:00:00.1234567` (UTC, no offset, 100 ns).
fn report_time(raw: Option<&str>) -> String {
    let Some(raw) = raw else { return String::new() };
    match chrono::DateTime::parse_from_rfc3339(raw) {
        Ok(time) => {
            let time = time.with_timezone(&chrono::Utc);
            format!("{}.{:07}", time.format("%Y-%m-%d %H:%M:%S"), time.timestamp_subsec_nanos() / 100)
        }
        Err(_) => raw.to_owned(),
    }
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or("").to_owned()
}

/// One cell of the `Devices` report.
fn device_cell(device: &GraphDevice<'static>, column: &str, user_ids: &HashMap<String, &str>) -> String {
    let user_id =
        device.user_id.as_deref().filter(|id| !id.is_empty() && *id != crate::inventory::classify::NIL_USER_ID);
    match column {
        "DeviceId" => text(device.id.as_deref()),
        "DeviceName" | "ManagedDeviceName" => text(device.device_name.as_deref()),
        "OS" => text(device.operating_system.as_deref()),
        "OSVersion" => text(device.os_version.as_deref()),
        "DeviceType" => code(&DEVICE_TYPE, enum_value(device, column)),
        "EnrollmentType" | "DeviceEnrollmentType" => code(&ENROLLMENT_TYPE, enum_value(device, column)),
        "ManagementAgents" => code(&MANAGEMENT_AGENT, enum_value(device, column)),
        "ManagementState" => code(&MANAGEMENT_STATE, enum_value(device, column)),
        "OwnerType" => code(&OWNERSHIP, enum_value(device, column)),
        "LastContact" => report_time(device.last_sync_date_time.as_deref()),
        "CreatedDate" => report_time(device.enrolled_date_time.as_deref()),
        "UPN" | "UserEmail" => text(device.user_principal_name.as_deref()),
        "UserId" | "PrimaryUser" => text(user_id),
        "UserName" => text(device.user_display_name.as_deref()),
        "EnrolledByUser" => match device.enrolled_by_user_principal_name.as_deref() {
            Some(upn) => user_ids.get(&upn.to_lowercase()).map_or_else(|| upn.to_owned(), |id| (*id).to_owned()),
            None => text(user_id),
        },
        _ => String::new(),
    }
}

/// One cell of the `AppInvRawData` report.
fn app_cell(app: &crate::sim::tenant::SimApp, device: &GraphDevice<'static>, column: &str) -> String {
    let app = &app.app;
    match column {
        "ApplicationKey" => text(app.id.as_deref()),
        "ApplicationName" => text(app.display_name.as_deref()),
        "ApplicationPublisher" => text(app.publisher.as_deref()),
        "ApplicationShortVersion" | "ApplicationVersion" => text(app.version.as_deref()),
        "DeviceId" => text(device.id.as_deref()),
        "DeviceName" => text(device.device_name.as_deref()),
        "Platform" => text(app.platform.as_deref()),
        "OSDescription" => text(device.operating_system.as_deref()),
        "OSVersion" => text(device.os_version.as_deref()),
        "UserId" => text(device.user_id.as_deref()),
        "UserName" => text(device.user_display_name.as_deref()),
        "EmailAddress" => text(device.user_principal_name.as_deref()),
        _ => String::new(),
    }
}

/// An Azure Storage error answer (XML).
fn storage_error(status: StatusCode, code: &str, message: &str) -> Out {
    let body = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}\nRequestId:{}\nTime:{}</Message></Error>",
        uuid::Uuid::new_v4(),
        chrono::Utc::now().to_rfc3339()
    );
    Out { status, ..Out::json(body.into_bytes()) }.with_header("Content-Type", "application/xml".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_name_filters() {
        assert_eq!(application_name("(ApplicationName eq 'Company Portal')").as_deref(), Some("Company Portal"));
        assert_eq!(application_name("applicationname EQ 'O''Brien'").as_deref(), Some("O'Brien"));
        assert_eq!(application_name("(ApplicationName eq 'a') or (ApplicationName eq 'b')"), None);
        assert_eq!(application_name("(Platform eq 'iOS')"), None);
    }

    #[test]
    fn codes_labels_and_times_as_the_report_writes_them() {
        assert_eq!(code(&OWNERSHIP, Some("company")), "1");
        assert_eq!(label(&OWNERSHIP, Some("company")), "Corporate");
        assert_eq!(label(&OWNERSHIP, Some("personal")), "personal");
        assert_eq!(code(&MANAGEMENT_AGENT, Some("intuneAosp")), "2048");
        assert_eq!(code(&ENROLLMENT_TYPE, Some("appleACMEBasicBYOD")), "appleACMEBasicBYOD", "no code: as it is");
        assert_eq!(code(&DEVICE_TYPE, None), "");
        assert_eq!(report_time(Some("2026-11-20T10:00:00.123456789Z")), "2026-11-20 10:00:00.1234567");
        assert_eq!(report_time(Some("0001-01-01T00:00:00Z")), "0001-01-01 00:00:00.0000000");
        assert_eq!(report_time(Some("soon")), "soon");
    }
}
