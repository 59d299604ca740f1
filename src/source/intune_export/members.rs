//! The members export (Entra's "Download members" of a group, or any CSV of users): the users in
//! scope, like the members of a `--group`. Rows of devices, groups and service principals are
//! dropped, as Intune ignores them.

use std::io::Read;
use std::path::Path;

use super::csv_file::{Csv, Row};
use super::headers::{is_header_in, Columns, Mem, MEMBER_COLUMNS};
use super::values::same_label;
use crate::error::Error;
use crate::inventory::{Member, SourceInfo};

const WHAT: &str = "members export";

pub fn read_members<R: Read>(input: R, path: &Path, source: &mut SourceInfo) -> Result<Vec<Member>, Error> {
    let mut csv = Csv::new(input, path, WHAT, true)?;
    let columns = Columns::find(&csv.headers, &MEMBER_COLUMNS);
    let col = |field: Mem| columns.of(field as usize);
    if col(Mem::Upn).is_empty() && col(Mem::Id).is_empty() {
        return Err(csv.missing(
            path,
            WHAT,
            &MEMBER_COLUMNS[Mem::Upn as usize],
            " (or a user id column: `id`, `objectId`, `Object ID`)",
        ));
    }
    let mut members = Vec::new();
    let mut without_user = 0usize;
    let mut record = csv::ByteRecord::new();
    while let Some(line) = csv.next_row(&mut record, path)? {
        let row = Row { record: &record, line, path, headers: &csv.headers };
        if let Some(kind) = row.first(col(Mem::Type))? {
            if !same_label(kind, "user") && !same_label(kind, "#microsoft.graph.user") {
                continue;
            }
        }
        let upn = row.first(col(Mem::Upn))?;
        let id = row.first(col(Mem::Id))?;
        if let Some(cell) = [upn, id].into_iter().flatten().find(|cell| is_header_in(cell, &MEMBER_COLUMNS)) {
            return Err(row.stray_header(cell));
        }
        if upn.is_none() && id.is_none() {
            without_user += 1;
            continue;
        }
        members.push(Member {
            id: id.map(str::to_owned),
            user_principal_name: upn.map(str::to_owned),
            display_name: row.first(col(Mem::DisplayName))?.map(str::to_owned),
        });
    }
    if without_user > 0 {
        source.warnings.push(format!(
            "{without_user} row(s) of the members export {} have neither a user principal name nor an id; \
             they were ignored",
            path.display()
        ));
    }
    source.warnings.extend(csv.repeated_headers_warning(path, WHAT));
    Ok(members)
}
