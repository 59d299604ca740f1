//! Dates of the exports, read in one order per file (docs/exports.md, "Dates").
//!
//! ISO 8601 is read as written. A slash date whose first field has four digits is year-first. Any
//! other slash date (`5/1/2024`, also with `.` or `-`) is day-first or month-first, and that order is
//! decided once for the whole file: by `--date-order`, else by the values themselves ([`OrderEvidence`]:
//! a first number above 12 can only be a day, a second number above 12 only a day too), else
//! month-first, the admin center's order, with a warning. Times without an offset are UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};

use super::Tally;
use crate::error::Error;
use std::path::Path;

/// The order of day and month in slash dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// `11/19/2026`: the admin center's order (`--date-order mdy`).
    MonthFirst,
    /// `19/11/2026`: what Excel writes in most locales (`--date-order dmy`).
    DayFirst,
}

/// A slash date before its order is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SlashDate {
    first: u32,
    second: u32,
    year: i32,
    two_digit_year: bool,
    time: NaiveTime,
}

/// A date cell as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    /// ISO 8601 or year-first: one reading only.
    Exact(NaiveDateTime),
    Slash(SlashDate),
    Unreadable,
}

fn written(raw: &str) -> Written {
    if let Some(time) = iso(raw) {
        return Written::Exact(time);
    }
    match slash(raw) {
        Some(Slash::YearFirst(time)) => Written::Exact(time),
        Some(Slash::Other(date)) => Written::Slash(date),
        None => Written::Unreadable,
    }
}

/// ISO 8601: `2024-05-01`, `2024-05-01 10:22:33.0000000`, `2024-05-01T10:22:33Z`, with an offset or
/// without (UTC).
fn iso(raw: &str) -> Option<NaiveDateTime> {
    if let Some(time) = iso_without_offset(raw) {
        return Some(time);
    }
    if raw.len() < 10 || raw.as_bytes()[4] != b'-' {
        return None;
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Some(time.with_timezone(&Utc).naive_utc());
    }
    const FORMATS: &[&str] = &["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.fZ", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"];
    for format in FORMATS {
        if let Ok(time) = DateTime::parse_from_str(raw, format) {
            return Some(time.naive_utc());
        }
        if let Ok(time) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(time);
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// `YYYY-MM-DD HH:MM:SS[.fraction]` (or with `T`) without an offset, the exports' usual form: read by
/// hand, as a million rows through chrono's format strings is slow.
fn iso_without_offset(raw: &str) -> Option<NaiveDateTime> {
    let b = raw.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') || b[13] != b':' || b[16] != b':' {
        return None;
    }
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

fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    digits.iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
}

enum Slash {
    YearFirst(NaiveDateTime),
    Other(SlashDate),
}

/// `D/M/Y` or `M/D/Y` (also with `.` or `-`), or year-first `Y/M/D`, then an optional time
/// `H:MM[:SS[.fraction]]` with an optional `AM`/`PM`.
fn slash(raw: &str) -> Option<Slash> {
    let (date, time) = match raw.find(|c: char| c.is_ascii_whitespace() || c == 'T') {
        Some(at) => (&raw[..at], raw[at + 1..].trim()),
        None => (raw, ""),
    };
    let separator = date.bytes().find(|b| matches!(b, b'/' | b'.' | b'-'))?;
    let mut fields = date.split(char::from(separator));
    let (a, b, c) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() || [a, b, c].iter().any(|f| f.is_empty() || f.len() > 4) {
        return None;
    }
    let time = time_of_day(time)?;
    let (na, nb, nc) = (number(a.as_bytes())?, number(b.as_bytes())?, number(c.as_bytes())?);
    if a.len() == 4 {
        // `YYYY-MM-DD` is ISO 8601, read as such or not at all.
        if separator == b'-' || b.len() > 2 || c.len() > 2 {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(i32::try_from(na).ok()?, nb, nc)?;
        return Some(Slash::YearFirst(date.and_time(time)));
    }
    if a.len() > 2 || b.len() > 2 || !matches!(c.len(), 2 | 4) {
        return None;
    }
    let two_digit_year = c.len() == 2;
    let year = i32::try_from(if two_digit_year { 2000 + nc } else { nc }).ok()?;
    Some(Slash::Other(SlashDate { first: na, second: nb, year, two_digit_year, time }))
}

/// `H:MM`, `H:MM:SS`, `H:MM:SS.fraction`, each with an optional `AM`/`PM` (or `Z`); empty is
/// midnight. Read by hand: it runs for every slash date of a file.
fn time_of_day(raw: &str) -> Option<NaiveTime> {
    let (clock, pm) = split_meridiem(raw);
    if clock.is_empty() {
        return pm.is_none().then(|| NaiveTime::from_hms_opt(0, 0, 0)).flatten();
    }
    let mut parts = clock.split(':');
    let (hours, minutes, seconds) = (parts.next()?, parts.next()?, parts.next());
    if parts.next().is_some() || !(1..=2).contains(&hours.len()) || minutes.len() != 2 {
        return None;
    }
    let (seconds, nanos) = match seconds {
        None => (0, 0),
        Some(text) => {
            let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
            let fraction_ok =
                fraction.bytes().all(|b| b.is_ascii_digit()) && !(fraction.is_empty() && text.contains('.'));
            if whole.len() != 2 || !fraction_ok {
                return None;
            }
            let nanos =
                fraction.bytes().chain(std::iter::repeat(b'0')).take(9).fold(0, |n, d| n * 10 + u32::from(d - b'0'));
            (number(whole.as_bytes())?, nanos)
        }
    };
    let hour = match (number(hours.as_bytes())?, pm) {
        (hour, None) => hour,
        (0 | 13.., Some(_)) => return None,
        (hour, Some(pm)) => hour % 12 + if pm { 12 } else { 0 },
    };
    NaiveTime::from_hms_nano_opt(hour, number(minutes.as_bytes())?, seconds, nanos)
}

/// A time without its `AM`/`PM` (`Some(true)` for PM), or without a trailing `Z`.
fn split_meridiem(raw: &str) -> (&str, Option<bool>) {
    let at = raw.len().saturating_sub(2);
    for (suffix, pm) in [("AM", false), ("PM", true)] {
        if raw.get(at..).is_some_and(|end| end.eq_ignore_ascii_case(suffix)) {
            return (raw[..at].trim_end(), Some(pm));
        }
    }
    (raw.strip_suffix('Z').unwrap_or(raw), None)
}

/// What the slash dates of a file say about their order: the first value that can only be day-first,
/// the first that can only be month-first, the first that could be either.
#[derive(Debug, Default)]
pub struct OrderEvidence {
    day_first: Option<(u64, String)>,
    month_first: Option<(u64, String)>,
    ambiguous: Option<(u64, String)>,
}

impl OrderEvidence {
    /// Looks at one date cell.
    pub fn observe(&mut self, raw: &str, line: u64) {
        let Written::Slash(date) = written(raw) else { return };
        let slot = match (date.first > 12, date.second > 12) {
            (true, false) => &mut self.day_first,
            (false, true) => &mut self.month_first,
            (false, false) => &mut self.ambiguous,
            (true, true) => return,
        };
        slot.get_or_insert_with(|| (line, raw.to_owned()));
    }

    /// Whether the order is already certain to be an error or decided (no need to look further).
    pub fn settled(&self) -> bool {
        self.day_first.is_some() && self.month_first.is_some()
    }

    /// The order of the file, and a warning when it is a guess. Both orders in one file are an input
    /// error naming both lines.
    pub fn decide(self, path: &Path) -> Result<(DateOrder, Option<String>), Error> {
        match (self.day_first, self.month_first) {
            (Some((day_line, day)), Some((month_line, month))) => Err(Error::input(
                path,
                format!(
                    "dates in two orders: line {day_line} has \"{day}\", which can only be day-first, and line \
                     {month_line} has \"{month}\", which can only be month-first; give --date-order dmy or mdy \
                     to read every date one way"
                ),
            )),
            (Some(_), None) => Ok((DateOrder::DayFirst, None)),
            (None, Some(_)) => Ok((DateOrder::MonthFirst, None)),
            (None, None) => Ok((
                DateOrder::MonthFirst,
                self.ambiguous.map(|(line, value)| {
                    format!(
                        "the dates of {} could be month-first or day-first (such as \"{value}\" on line {line}); \
                         they were read month-first, as the admin center writes them: give --date-order dmy if \
                         they are day-first",
                        path.display()
                    )
                }),
            )),
        }
    }
}

/// Reads the date cells of one file in its order, counting what it had to guess or could not read.
#[derive(Debug)]
pub struct DateReader {
    order: DateOrder,
    pub two_digit_years: Tally,
}

impl DateReader {
    pub fn new(order: DateOrder) -> Self {
        DateReader { order, two_digit_years: Tally::default() }
    }

    /// The time of a cell as RFC 3339 UTC, written into `out`; `None` when it cannot be read.
    pub fn read<'o>(&mut self, raw: &str, line: u64, out: &'o mut String) -> Option<&'o str> {
        let time = match written(raw) {
            Written::Exact(time) => time,
            Written::Slash(date) => {
                let (month, day) = match self.order {
                    DateOrder::MonthFirst => (date.first, date.second),
                    DateOrder::DayFirst => (date.second, date.first),
                };
                let time = NaiveDate::from_ymd_opt(date.year, month, day)?.and_time(date.time);
                if date.two_digit_year {
                    self.two_digit_years.note(line, raw);
                }
                time
            }
            Written::Unreadable => return None,
        };
        out.clear();
        out.push_str(&time.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true));
        Some(out.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(order: DateOrder, raw: &str) -> Option<String> {
        let mut out = String::new();
        DateReader::new(order).read(raw, 1, &mut out).map(str::to_owned)
    }

    fn mdy(raw: &str) -> Option<String> {
        read(DateOrder::MonthFirst, raw)
    }

    fn decide(values: &[&str]) -> Result<(DateOrder, Option<String>), String> {
        let mut evidence = OrderEvidence::default();
        for (i, value) in values.iter().enumerate() {
            evidence.observe(value, i as u64 + 2);
        }
        evidence.decide(Path::new("devices.csv")).map_err(|e| e.to_string())
    }

    #[test]
    fn iso_dates_as_written() {
        assert_eq!(mdy("2024-05-01 10:22:33.0000000").as_deref(), Some("2024-05-01T10:22:33Z"));
        assert_eq!(mdy("2024-05-01 10:22:33").as_deref(), Some("2024-05-01T10:22:33Z"));
        assert_eq!(mdy("2024-05-01T10:22:33.5").as_deref(), Some("2024-05-01T10:22:33.500Z"));
        assert_eq!(mdy("2024-05-01T12:22:33+02:00").as_deref(), Some("2024-05-01T10:22:33Z"));
        assert_eq!(mdy("2024-05-01 12:22:33+02:00").as_deref(), Some("2024-05-01T10:22:33Z"));
        assert_eq!(mdy("2024-05-01 10:22:33Z").as_deref(), Some("2024-05-01T10:22:33Z"));
        assert_eq!(mdy("2024-05-01T10:22").as_deref(), Some("2024-05-01T10:22:00Z"));
        assert_eq!(mdy("2024-05-01").as_deref(), Some("2024-05-01T00:00:00Z"));
        assert_eq!(mdy("2024-05-01 10:22:33.123456789123").as_deref(), Some("2024-05-01T10:22:33.123456789Z"));
        assert_eq!(
            read(DateOrder::DayFirst, "2024-05-01").as_deref(),
            Some("2024-05-01T00:00:00Z"),
            "order is for slashes"
        );
        for bad in
            ["2024-13-01 10:22:33", "2024-05-01 10:22:33.", "2024-05-01 10:22:33.5 PM", "yesterday", "", "2024-05"]
        {
            assert_eq!(mdy(bad), None, "{bad}");
        }
    }

    #[test]
    fn slash_dates_in_either_order() {
        assert_eq!(mdy("5/1/2024 10:22:33 AM").as_deref(), Some("2024-05-01T10:22:33Z"));
        assert_eq!(mdy("5/1/2024 10:22:33 pm").as_deref(), Some("2024-05-01T22:22:33Z"));
        assert_eq!(mdy("5/1/2024 12:05 AM").as_deref(), Some("2024-05-01T00:05:00Z"));
        assert_eq!(mdy("5/1/2024 12:05 PM").as_deref(), Some("2024-05-01T12:05:00Z"));
        assert_eq!(mdy("12/31/2024 23:05").as_deref(), Some("2024-12-31T23:05:00Z"));
        assert_eq!(mdy("1/1/0001 12:00:00 AM").as_deref(), Some("0001-01-01T00:00:00Z"));
        let dmy = |raw| read(DateOrder::DayFirst, raw);
        assert_eq!(dmy("19/11/2026 14:00").as_deref(), Some("2026-11-19T14:00:00Z"));
        assert_eq!(dmy("19.11.2026 14:00:05").as_deref(), Some("2026-11-19T14:00:05Z"));
        assert_eq!(dmy("19-11-2026").as_deref(), Some("2026-11-19T00:00:00Z"));
        assert_eq!(dmy("5/1/2024").as_deref(), Some("2024-01-05T00:00:00Z"));
        assert_eq!(mdy("19/11/2026"), None, "not a month-first date");
        assert_eq!(mdy("5/1/2024 9:05:07.25").as_deref(), Some("2024-05-01T09:05:07.250Z"));
        assert_eq!(mdy("5/1/2024 9:05Z").as_deref(), Some("2024-05-01T09:05:00Z"));
        for bad in [
            "5/1/2024 9:5",
            "5/1/2024 9:05:07.",
            "5/1/2024 9:05:7",
            "5/1/2024 123:05",
            "5/1/2024 AM",
            "5/1/2024 9:05:07:01",
        ] {
            assert_eq!(mdy(bad), None, "{bad}");
        }
        for bad in [
            "13:00 PM",
            "5/1/2024 13:00 PM",
            "5/1/2024 0:30 AM",
            "5/1/2024 25:00",
            "5/1/024",
            "5/1/2024/1",
            "5//2024",
            "5/1/2024 soon",
        ] {
            assert_eq!(mdy(bad), None, "{bad}");
        }
    }

    #[test]
    fn year_first_slash_dates_are_exact() {
        assert_eq!(read(DateOrder::DayFirst, "2026/11/19").as_deref(), Some("2026-11-19T00:00:00Z"));
        assert_eq!(mdy("2026/11/19 08:00:00").as_deref(), Some("2026-11-19T08:00:00Z"));
        assert_eq!(mdy("2026/19/11"), None);
        assert_eq!(decide(&["2026/11/19", "2026/01/02"]).unwrap(), (DateOrder::MonthFirst, None), "decides nothing");
    }

    #[test]
    fn two_digit_years_are_this_century_with_a_note() {
        let mut reader = DateReader::new(DateOrder::MonthFirst);
        let mut out = String::new();
        assert_eq!(reader.read("11/19/26 9:00 AM", 7, &mut out), Some("2026-11-19T09:00:00Z"));
        assert_eq!(reader.read("11/19/2026", 8, &mut out), Some("2026-11-19T00:00:00Z"));
        assert_eq!(reader.two_digit_years.count, 1);
        assert_eq!(reader.two_digit_years.first, Some((7, "11/19/26 9:00 AM".to_owned())));
    }

    #[test]
    fn the_order_is_decided_by_the_file() {
        assert_eq!(decide(&["5/1/2024", "25/1/2024", "3/4/2024"]).unwrap(), (DateOrder::DayFirst, None));
        assert_eq!(decide(&["5/1/2024", "1/25/2024"]).unwrap(), (DateOrder::MonthFirst, None));
        assert_eq!(
            decide(&["2024-05-01", "yesterday"]).unwrap(),
            (DateOrder::MonthFirst, None),
            "nothing to warn about"
        );
        let (order, warning) = decide(&["2024-05-01", "5/1/2024", "3/4/2024"]).unwrap();
        assert_eq!(order, DateOrder::MonthFirst);
        let warning = warning.unwrap();
        assert!(warning.contains("\"5/1/2024\" on line 3") && warning.contains("--date-order dmy"), "{warning}");
        let error = decide(&["5/1/2024", "25/1/2024", "1/25/2024", "30/1/2024"]).unwrap_err();
        assert_eq!(
            error,
            "devices.csv: dates in two orders: line 3 has \"25/1/2024\", which can only be day-first, and line 4 has \
             \"1/25/2024\", which can only be month-first; give --date-order dmy or mdy to read every date one way"
        );
        assert_eq!(
            decide(&["13/13/2024", "5/1/2024"]).unwrap().0,
            DateOrder::MonthFirst,
            "an impossible date decides nothing"
        );
    }
}
