//! Renderers of an [`Audit`]: the CSV files, `summary.json` and the terminal table. Renderers never
//! decide anything; they only put the audit's results into a format.

pub mod csv;
pub mod json;
pub mod table;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::audit::Audit;
use crate::error::Error;
use crate::inventory::Inventory;
use crate::rules::Settings;

/// Everything a renderer reads.
#[derive(Clone, Copy)]
pub struct Report<'a> {
    pub audit: &'a Audit,
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
}

/// How the CSV files are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    pub delimiter: u8,
    pub bom: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { delimiter: b',', bom: false }
    }
}

pub const DEVICES_FILE: &str = "devices.csv";
pub const USERS_FILE: &str = "users.csv";
pub const SUMMARY_FILE: &str = "summary.json";

/// Writes `devices.csv`, `users.csv` and `summary.json` into `dir`. Each file is written under a
/// temporary name in the same folder and renamed into place only after all three are complete, so a
/// crash never leaves half a report. Returns the paths written.
pub fn write_all(report: Report<'_>, dir: &Path, csv_options: CsvOptions) -> Result<Vec<PathBuf>, Error> {
    fs::create_dir_all(dir).map_err(|source| Error::Output { path: dir.to_owned(), source })?;
    let devices = write_temp(dir, |w| csv::write_devices(report, w, csv_options))?;
    let users = write_temp(dir, |w| csv::write_users(report, w, csv_options))?;
    let summary = write_temp(dir, |w| {
        serde_json::to_writer_pretty(&mut *w, &json::summary(report))?;
        w.write_all(b"\n")
    })?;
    let mut written = Vec::new();
    for (temp, name) in [(devices, DEVICES_FILE), (users, USERS_FILE), (summary, SUMMARY_FILE)] {
        let path = dir.join(name);
        temp.persist(&path).map_err(|e| Error::Output { path: path.clone(), source: e.error })?;
        written.push(path);
    }
    Ok(written)
}

fn write_temp(
    dir: &Path,
    render: impl FnOnce(&mut BufWriter<&mut fs::File>) -> std::io::Result<()>,
) -> Result<tempfile::NamedTempFile, Error> {
    let error = |source| Error::Output { path: dir.to_owned(), source };
    let mut temp = tempfile::Builder::new().prefix(".intune-reach-").suffix(".tmp").tempfile_in(dir).map_err(error)?;
    {
        let mut writer = BufWriter::with_capacity(1 << 20, temp.as_file_mut());
        render(&mut writer).map_err(error)?;
        writer.flush().map_err(error)?;
    }
    Ok(temp)
}

/// Prefixes a cell that a spreadsheet would run as a formula with `'`.
pub fn guard_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::guard_formula;

    #[test]
    fn formula_cells_are_guarded() {
        for cell in ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"] {
            assert_eq!(guard_formula(cell), format!("'{cell}"));
        }
        for cell in ["", "plain", "a=b", " =x", "'quoted"] {
            assert_eq!(guard_formula(cell), cell);
        }
    }
}
