//! Intune's limits on custom notifications, checked before the first request so that nothing is sent
//! that Intune would refuse or cut: a title of 1 to 50 and a body of 1 to 500 characters (Unicode
//! scalar values, as Rust's `chars()` counts them), 1 to 25 target groups, at most 25 group sends per
//! hour per tenant and at most 10 sends per hour to one device (Intune's documentation of custom
//! notifications). The hourly limits are counted in this tool's own ledger ([`super::ledger`]): sends
//! made elsewhere (the admin center, scripts) are not in it.
//!
//! Every check here is a pure function; a refused check is a usage error (exit 2).

use chrono::{DateTime, Duration, Utc};

use super::ledger::{Entry, Kind};
use crate::error::Error;
use crate::source::graph::{Notification, MAX_GROUPS};

pub const MAX_TITLE: usize = 50;
pub const MAX_BODY: usize = 500;
pub const GROUP_SENDS_PER_HOUR: usize = 25;
pub const DEVICE_SENDS_PER_HOUR: usize = 10;

/// The window of the hourly limits.
pub fn hour() -> Duration {
    Duration::hours(1)
}

/// The notification's text, checked: a title of 1 to 50 and a body of 1 to 500 characters, neither
/// blank. The body's line breaks are kept (`\r\n` becomes `\n`, as the admin center's box sends them).
pub fn notification(title: &str, body: &str) -> Result<Notification, Error> {
    let body = body.replace("\r\n", "\n");
    check_length("--title", title, MAX_TITLE)?;
    check_length("the body (--body or --body-file)", &body, MAX_BODY)?;
    Ok(Notification { title: title.to_owned(), body })
}

fn check_length(what: &str, text: &str, max: usize) -> Result<(), Error> {
    let length = text.chars().count();
    if text.trim().is_empty() {
        return Err(Error::Usage(format!("{what} is empty: a notification needs 1 to {max} characters")));
    }
    if length > max {
        return Err(Error::Usage(format!(
            "{what} has {length} characters: Intune allows at most {max} (counted as Unicode characters)"
        )));
    }
    Ok(())
}

/// The body read from `--body-file`: UTF-8, without a byte order mark or the final line break(s).
pub fn body_from_file(path: &std::path::Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::input(path, format!("cannot read the body: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::input(
            path,
            format!("the body is not UTF-8 (byte {}): save the file as UTF-8", e.utf8_error().valid_up_to()),
        )
    })?;
    Ok(text.trim_start_matches('\u{feff}').trim_end_matches(['\r', '\n']).to_owned())
}

/// The target groups, trimmed, each once (group object ids compare case-insensitively): 1 to 25.
pub fn target_groups(groups: &[String]) -> Result<Vec<String>, Error> {
    let mut targets: Vec<String> = Vec::new();
    for group in groups.iter().map(|g| g.trim()) {
        if group.is_empty() {
            return Err(Error::Usage("--group is empty: give the group's object id".to_owned()));
        }
        if !targets.iter().any(|t| t.eq_ignore_ascii_case(group)) {
            targets.push(group.to_owned());
        }
    }
    match targets.len() {
        0 => Err(Error::Usage("send needs --group: the notification's target groups (1 to 25)".to_owned())),
        n if n > MAX_GROUPS => Err(Error::Usage(format!(
            "{n} groups given: a notification targets at most {MAX_GROUPS} groups (nested groups do not count)"
        ))),
        _ => Ok(targets),
    }
}

/// One request the run means to send: a group send (its group ids) or a device send (one device).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub kind: Kind,
    pub targets: Vec<String>,
}

/// What the ledger counts in the hour before `now` for one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// When each counted group send was made, oldest first.
    pub group_sends: Vec<DateTime<Utc>>,
    /// Per device id (lower case): when each counted device send was made, oldest first.
    pub device_sends: std::collections::HashMap<String, Vec<DateTime<Utc>>>,
}

impl Usage {
    /// The counted entries of `tenant` (lower case) within the hour before `now`.
    pub fn of(entries: &[Entry], tenant: &str, now: DateTime<Utc>) -> Usage {
        let mut usage = Usage::default();
        let since = now - hour();
        for entry in entries.iter().filter(|e| e.tenant == tenant && e.time > since) {
            match entry.kind {
                Kind::Group => usage.group_sends.push(entry.time),
                Kind::Device => {
                    for device in &entry.targets {
                        usage.device_sends.entry(device.to_ascii_lowercase()).or_default().push(entry.time);
                    }
                }
            }
        }
        usage.group_sends.sort();
        usage.device_sends.values_mut().for_each(|times| times.sort());
        usage
    }

    /// Device sends counted, over all devices.
    pub fn device_send_count(&self) -> usize {
        self.device_sends.values().map(Vec::len).sum()
    }

    /// Whether `requests` fit within the hourly limits; if not, the sentence that says which limit, how
    /// far over, and when the oldest counted send leaves the hour.
    pub fn check(&self, requests: &[Request]) -> Result<(), String> {
        let group_requests = requests.iter().filter(|r| r.kind == Kind::Group).count();
        if group_requests > 0 && self.group_sends.len() + group_requests > GROUP_SENDS_PER_HOUR {
            return Err(format!(
                "this tenant already had {} group sends from this tool in the last hour: Intune allows {} per hour \
                 per tenant; the next one fits after {}",
                self.group_sends.len(),
                GROUP_SENDS_PER_HOUR,
                frees_at(&self.group_sends, GROUP_SENDS_PER_HOUR, group_requests),
            ));
        }
        let mut wanted: std::collections::BTreeMap<String, usize> = Default::default();
        for request in requests.iter().filter(|r| r.kind == Kind::Device) {
            for device in &request.targets {
                *wanted.entry(device.to_ascii_lowercase()).or_default() += 1;
            }
        }
        let over: Vec<(String, &[DateTime<Utc>], usize)> = wanted
            .into_iter()
            .filter_map(|(device, n)| {
                let sent = self.device_sends.get(&device).map(Vec::as_slice).unwrap_or(&[]);
                (sent.len() + n > DEVICE_SENDS_PER_HOUR).then_some((device, sent, n))
            })
            .collect();
        if let Some((device, sent, n)) = over.first() {
            let others = match over.len() {
                1 => String::new(),
                n => format!(" (and {} more devices)", n - 1),
            };
            return Err(format!(
                "device {device}{others} already had {} sends from this tool in the last hour: Intune allows {} per \
                 hour to one device; the next one fits after {}",
                sent.len(),
                DEVICE_SENDS_PER_HOUR,
                frees_at(sent, DEVICE_SENDS_PER_HOUR, *n),
            ));
        }
        Ok(())
    }
}

/// When `wanted` more sends fit under `limit`, given the counted sends `times` (oldest first): when
/// enough of them have left the hour.
fn frees_at(times: &[DateTime<Utc>], limit: usize, wanted: usize) -> String {
    let must_leave = (times.len() + wanted).saturating_sub(limit);
    match times.get(must_leave.saturating_sub(1)) {
        Some(time) if wanted <= limit => (*time + hour()).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        _ => "never: more sends than the limit at once".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::ledger::EntryStatus;
    use super::*;

    fn at(minutes_ago: i64) -> DateTime<Utc> {
        now() - Duration::minutes(minutes_ago)
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn entry(kind: Kind, target: &str, minutes_ago: i64, status: EntryStatus) -> Entry {
        Entry {
            id: uuid::Uuid::new_v4().to_string(),
            time: at(minutes_ago),
            tenant: "t1".into(),
            kind,
            targets: vec![target.to_owned()],
            status,
            notification: String::new(),
        }
    }

    fn device(id: &str) -> Request {
        Request { kind: Kind::Device, targets: vec![id.to_owned()] }
    }

    fn group_send() -> Request {
        Request { kind: Kind::Group, targets: vec!["g1".into()] }
    }

    #[test]
    fn lengths_are_unicode_scalar_values() {
        assert!(notification(&"é".repeat(50), &"🌧".repeat(500)).is_ok());
        let long_title = notification(&"x".repeat(51), "b").unwrap_err();
        assert!(long_title.to_string().contains("--title has 51 characters"), "{long_title}");
        assert_eq!(long_title.exit_code(), 2);
        assert!(notification("t", &"b".repeat(501)).unwrap_err().to_string().contains("501 characters"));
        assert!(notification("t", "").unwrap_err().to_string().contains("is empty"));
        assert!(notification("", "b").unwrap_err().to_string().contains("--title is empty"));
        assert!(notification(" \t", "b").is_err(), "blank is empty");
        // A CRLF line break is one character, as the admin center sends it.
        let crlf = format!("{}\r\n{}", "a".repeat(250), "b".repeat(249));
        assert_eq!(notification("t", &crlf).unwrap().body.chars().count(), 500);
    }

    #[test]
    fn a_body_file_is_utf8_without_bom_or_final_line_break() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("body.txt");
        std::fs::write(&path, "\u{feff}Line 1\r\nLine 2\r\n\r\n").unwrap();
        assert_eq!(body_from_file(&path).unwrap(), "Line 1\r\nLine 2");
        std::fs::write(&path, [0x66, 0xff, 0x66]).unwrap();
        let error = body_from_file(&path).unwrap_err();
        assert!(error.to_string().contains("not UTF-8 (byte 1)"), "{error}");
        let missing = body_from_file(&dir.path().join("none.txt")).unwrap_err();
        assert!(missing.to_string().contains("none.txt"));
        assert_eq!(missing.exit_code(), 2);
    }

    #[test]
    fn groups_are_1_to_25_each_once() {
        let ids = |n: usize| (0..n).map(|i| format!("group-{i}")).collect::<Vec<_>>();
        assert_eq!(target_groups(&ids(25)).unwrap().len(), 25);
        assert!(target_groups(&ids(26)).unwrap_err().to_string().contains("26 groups given"));
        assert!(target_groups(&[]).is_err());
        assert!(target_groups(&[" ".into()]).is_err());
        let twice = ["G1".to_owned(), " g1 ".to_owned(), "g2".to_owned()];
        assert_eq!(target_groups(&twice).unwrap(), ["G1", "g2"]);
    }

    #[test]
    fn the_26th_group_send_in_an_hour_is_refused() {
        let mut entries: Vec<Entry> = (0..24).map(|i| entry(Kind::Group, "g", 59 - i, EntryStatus::Sent)).collect();
        let usage = Usage::of(&entries, "t1", now());
        assert!(usage.check(&[group_send()]).is_ok(), "the 25th fits");
        entries.push(entry(Kind::Group, "g", 1, EntryStatus::Unknown));
        let refused = Usage::of(&entries, "t1", now()).check(&[group_send()]).unwrap_err();
        assert!(refused.contains("already had 25 group sends"), "{refused}");
        assert!(refused.contains("fits after 2026-11-26T12:01:00Z"), "when the oldest (59 min ago) leaves: {refused}");
        // Older than an hour, another tenant, a reservation that failed: not counted.
        let mut others: Vec<Entry> = (0..30).map(|_| entry(Kind::Group, "g", 61, EntryStatus::Sent)).collect();
        others.extend((0..30).map(|_| Entry { tenant: "t2".into(), ..entry(Kind::Group, "g", 5, EntryStatus::Sent) }));
        assert!(Usage::of(&others, "t1", now()).check(&[group_send()]).is_ok());
        // Device sends do not count against the group limit.
        let devices: Vec<Entry> =
            (0..30).map(|i| entry(Kind::Device, &format!("d{i}"), 5, EntryStatus::Sent)).collect();
        assert!(Usage::of(&devices, "t1", now()).check(&[group_send()]).is_ok());
    }

    #[test]
    fn the_11th_send_to_one_device_is_refused() {
        let mut entries: Vec<Entry> = (0..9).map(|i| entry(Kind::Device, "Dev-1", 50 - i, EntryStatus::Sent)).collect();
        entries.push(entry(Kind::Device, "dev-2", 3, EntryStatus::Sent));
        assert!(Usage::of(&entries, "t1", now()).check(&[device("dev-1"), device("dev-2")]).is_ok(), "the 10th fits");
        entries.push(entry(Kind::Device, "dev-1", 2, EntryStatus::Reserved));
        let usage = Usage::of(&entries, "t1", now());
        assert_eq!(usage.device_send_count(), 11);
        let refused = usage.check(&[device("dev-2"), device("DEV-1")]).unwrap_err();
        assert!(refused.starts_with("device dev-1 already had 10 sends"), "{refused}");
        assert!(refused.contains("fits after 2026-11-26T12:10:00Z"), "{refused}");
        assert!(usage.check(&[device("dev-2")]).is_ok(), "other devices are not held back by one");
        let many: Vec<Request> = (0..11).map(|_| device("dev-3")).collect();
        assert!(usage.check(&many).unwrap_err().contains("never"));
    }
}
