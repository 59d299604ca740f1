//! Renderers of an [`Audit`]: the CSV files, `summary.json`, `report.html`, `changes.csv`, the terminal
//! table and the Markdown summary, each a [`Reporter`]; the changes between two audits for `diff`
//! ([`changes`]); and the `rules` listing ([`rules`]). Renderers never decide anything; they only put
//! the audit's results into a format.
//!
//! The report files are written together ([`write_all`]): each to a temporary name in the output
//! folder, renamed into place only when every one of them is complete. `report.html` is rendered from
//! templates in `templates/` ([`html`]).

pub mod changes;
pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod rules;
pub mod table;
pub mod tenant;
pub mod why;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::audit::Audit;
use crate::changes::Changes;
use crate::error::Error;
use crate::inventory::Inventory;
use crate::output;
use crate::rules::Settings;

/// Everything a renderer reads.
#[derive(Clone, Copy)]
pub struct Report<'a> {
    pub audit: &'a Audit,
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
    /// What changed since the audit given with `--previous`.
    pub changes: Option<&'a Changes>,
}

impl<'a> Report<'a> {
    /// A report without an earlier audit to compare with.
    pub fn new(audit: &'a Audit, inventory: &'a Inventory, settings: &'a Settings) -> Self {
        Report { audit, inventory, settings, changes: None }
    }
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
    /// GitHub-flavoured Markdown, for a pipeline's job summary.
    Markdown,
}

impl StdoutFormat {
    pub fn reporter(self) -> &'static dyn Reporter {
        match self {
            StdoutFormat::Table => &table::TerminalTable,
            StdoutFormat::Json => &json::SummaryJson,
            StdoutFormat::Markdown => &markdown::MarkdownSummary,
        }
    }
}

/// Which report files an audit writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportFiles {
    pub csv: CsvOptions,
    /// `report.html` (off with `--no-html`).
    pub html: bool,
    /// `changes.csv` (with `--previous`).
    pub changes: bool,
}

/// The report files of an audit, in the order they are listed.
pub fn report_files(files: ReportFiles) -> Vec<Box<dyn Reporter>> {
    let mut reporters: Vec<Box<dyn Reporter>> =
        vec![Box::new(csv::DevicesCsv(files.csv)), Box::new(csv::UsersCsv(files.csv)), Box::new(json::SummaryJson)];
    if files.changes {
        reporters.push(Box::new(changes::ChangesCsv(files.csv)));
    }
    if files.html {
        reporters.push(Box::new(html::HtmlReport));
    }
    reporters
}

/// Every file an audit may write into `--out`.
pub const ALL_REPORT_FILES: [&str; 5] = ["devices.csv", "users.csv", "summary.json", "changes.csv", "report.html"];

/// Writes every reporter's file into `dir`. Each file is written under a temporary name in the same
/// folder and renamed into place only after all of them are complete, so a crash never leaves half a
/// report ([`output`]). A report file of an earlier run that this run does not write (`changes.csv`
/// without `--previous`, `report.html` with `--no-html`) is removed, so that the folder never mixes two
/// audits. Returns the paths written.
pub fn write_all(report: Report<'_>, dir: &Path, reporters: &[Box<dyn Reporter>]) -> Result<Vec<PathBuf>, Error> {
    fs::create_dir_all(dir).map_err(|source| Error::Output { path: dir.to_owned(), source })?;
    let mut files = Vec::with_capacity(reporters.len());
    for reporter in reporters {
        let mut file = output::PendingFile::create(&dir.join(reporter.name()))?;
        file.write_with(|w| reporter.render(report, w))?;
        files.push(file);
    }
    let written = output::persist_all(files)?;
    for name in ALL_REPORT_FILES {
        let path = dir.join(name);
        if !written.contains(&path) && path.is_file() {
            fs::remove_file(&path).map_err(|source| Error::Output { path, source })?;
        }
    }
    Ok(written)
}

/// Whether a character of tenant text would steer a terminal or the layout of text around it rather
/// than show: a control character (escape sequences, line breaks) or a bidirectional embedding,
/// override or isolate (which can reorder what follows).
pub fn is_layout_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
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
