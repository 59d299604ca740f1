//! Renderers of an [`Audit`]: the CSV files, `summary.json` and the terminal table, each a
//! [`Reporter`]; and the `rules` listing ([`rules`]). Renderers never decide anything; they only put
//! the audit's results into a format.
//!
//! The report files are written together ([`write_all`]): each to a temporary name in the output
//! folder, renamed into place only when every one of them is complete.

pub mod csv;
pub mod json;
pub mod rules;
pub mod table;
pub mod tenant;

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

/// One output format of an audit: a report file in `--out` or what standard output shows.
pub trait Reporter: Sync {
    /// The file name in `--out` (`devices.csv`), or the format's name for standard output (`table`).
    fn name(&self) -> &'static str;
    /// Renders the audit into `out`.
    fn render(&self, report: Report<'_>, out: &mut dyn Write) -> std::io::Result<()>;
}

/// What standard output shows (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdoutFormat {
    Table,
    Json,
}

impl StdoutFormat {
    pub fn reporter(self) -> &'static dyn Reporter {
        match self {
            StdoutFormat::Table => &table::TerminalTable,
            StdoutFormat::Json => &json::SummaryJson,
        }
    }
}

/// The report files of an audit, in the order they are listed.
pub fn report_files(csv_options: CsvOptions) -> Vec<Box<dyn Reporter>> {
    vec![Box::new(csv::DevicesCsv(csv_options)), Box::new(csv::UsersCsv(csv_options)), Box::new(json::SummaryJson)]
}

/// Writes every reporter's file into `dir`. Each file is written under a temporary name in the same
/// folder and renamed into place only after all of them are complete, so a crash never leaves half a
/// report. Returns the paths written.
pub fn write_all(report: Report<'_>, dir: &Path, reporters: &[Box<dyn Reporter>]) -> Result<Vec<PathBuf>, Error> {
    fs::create_dir_all(dir).map_err(|source| Error::Output { path: dir.to_owned(), source })?;
    let mut temps = Vec::with_capacity(reporters.len());
    for reporter in reporters {
        let path = dir.join(reporter.name());
        temps.push((write_temp(dir, &path, |w| reporter.render(report, w))?, path));
    }
    let mut written = Vec::new();
    for (temp, path) in temps {
        temp.persist(&path).map_err(|e| Error::Output { path: path.clone(), source: e.error })?;
        written.push(path);
    }
    Ok(written)
}

/// Renders into a temporary file in `dir`; errors name `path`, the file being written.
fn write_temp(
    dir: &Path,
    path: &Path,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<tempfile::NamedTempFile, Error> {
    let error = |source| Error::Output { path: path.to_owned(), source };
    let mut temp = tempfile::Builder::new()
        .prefix(".intune-reach-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|source| Error::Output { path: dir.to_owned(), source })?;
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
