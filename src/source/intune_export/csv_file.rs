//! The CSV plumbing shared by the three exports: opening a file, refusing what is not CSV (UTF-16,
//! JSON), the byte order mark, the delimiter Excel chose, the header row, line numbers that match the
//! file, header rows repeated inside the data, and errors that name the file, line and field.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::headers::ColumnSpec;
use super::Tally;
use crate::error::Error;

pub fn open(path: &Path) -> Result<File, Error> {
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
pub struct Csv<R: Read> {
    reader: csv::Reader<BufReader<R>>,
    pub headers: Vec<String>,
    /// Added to the line numbers the CSV reader gives for data rows: the lines skipped before it
    /// started, plus one in a CRLF file (see [`Csv::new`]).
    line_offset: u64,
    /// Data rows that repeat the header row (two exports glued together): skipped.
    pub repeated_headers: Tally,
}

impl<R: Read> Csv<R> {
    /// Opens the CSV: refuses UTF-16 and JSON, skips a BOM (and, with `skip_version_line`, a first
    /// `version:` line), sniffs the delimiter and reads the header row.
    pub fn new(input: R, path: &Path, what: &str, skip_version_line: bool) -> Result<Self, Error> {
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
        let head = input.fill_buf().map_err(read_error)?;
        if matches!(head.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'[')) {
            return Err(Error::input(
                path,
                format!(
                    "the file is JSON, not CSV (an export job with `format: json`?): give the {what} as CSV \
                     (export jobs: `format: csv`)"
                ),
            ));
        }
        let mut line_offset = 0;
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
                    format!(
                        "line {header_line}, column {}: invalid UTF-8 in the header row (save the file as \"CSV UTF-8\")",
                        i + 1
                    ),
                )
            })?;
            headers.push(header.trim().to_owned());
        }
        Ok(Csv { reader, headers, line_offset: line_offset + u64::from(crlf), repeated_headers: Tally::default() })
    }

    /// The error for a required field that has no column.
    pub fn missing(&self, path: &Path, what: &str, spec: &ColumnSpec, hint: &str) -> Error {
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

    /// Reads the next row and returns its line; `Ok(None)` at the end. Rows whose fields are all blank
    /// are skipped, and so are rows that repeat the header row (counted in `repeated_headers`).
    pub fn next_row(&mut self, record: &mut csv::ByteRecord, path: &Path) -> Result<Option<u64>, Error> {
        loop {
            match self.reader.read_byte_record(record) {
                Ok(false) => return Ok(None),
                Ok(true) => {}
                Err(e) => return Err(csv_error(path, &e, self.line_offset)),
            }
            if record.iter().all(|field| field.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            let line = record.position().map_or(0, |p| p.line()) + self.line_offset;
            if self.repeats_header(record) {
                self.repeated_headers.note(line, "");
                continue;
            }
            return Ok(Some(line));
        }
    }

    /// Whether a row holds the header row again (ignoring case, surrounding spaces and a BOM).
    fn repeats_header(&self, record: &csv::ByteRecord) -> bool {
        record.len() == self.headers.len()
            && record.iter().zip(&self.headers).enumerate().all(|(i, (cell, header))| {
                let cell = if i == 0 { cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell) } else { cell };
                cell.trim_ascii().eq_ignore_ascii_case(header.as_bytes())
            })
    }

    /// The warning for skipped header rows, if there were any.
    pub fn repeated_headers_warning(&self, path: &Path, what: &str) -> Option<String> {
        let (line, _) = self.repeated_headers.first.as_ref()?;
        Some(format!(
            "{what} {}: {} row(s) repeat the header row (exports glued together?) and were skipped (first: line \
             {line})",
            path.display(),
            self.repeated_headers.count,
        ))
    }
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
pub struct Row<'r> {
    pub record: &'r csv::ByteRecord,
    pub line: u64,
    pub path: &'r Path,
    pub headers: &'r [String],
}

impl<'r> Row<'r> {
    /// The trimmed text of a column, `None` when the cell is blank or missing.
    pub fn get(&self, column: usize) -> Result<Option<&'r str>, Error> {
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

    /// The first non-blank cell of these columns (a field's columns in order of preference).
    pub fn first(&self, columns: &[usize]) -> Result<Option<&'r str>, Error> {
        for &column in columns {
            if let Some(text) = self.get(column)? {
                return Ok(Some(text));
            }
        }
        Ok(None)
    }

    pub fn header(&self, column: usize) -> &str {
        self.headers.get(column).map_or("?", String::as_str)
    }

    /// The error for a row whose required field is blank.
    pub fn without(&self, columns: &[usize], what: &str) -> Error {
        let header = columns.first().map_or("?", |&c| self.header(c));
        Error::input(self.path, format!("line {}, field `{header}`: row without a {what}", self.line))
    }

    /// The error for a row that holds a header in a field (a header row unlike the file's own).
    pub fn stray_header(&self, cell: &str) -> Error {
        Error::input(
            self.path,
            format!(
                "line {}: \"{cell}\" is a header, but this row is not the file's header row: exports with \
                 different columns seem glued together; export them again, one file each",
                self.line
            ),
        )
    }
}
