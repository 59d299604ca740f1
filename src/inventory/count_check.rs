//! The devices a source read, set beside the source's own counter of them (for Graph,
//! `managedDeviceOverview`), in total and per platform.
//!
//! A read is complete when every page of every listing was read, not when it equals a counter: the
//! counter has been seen counting replaced devices that the admin center no longer shows, and devices
//! enroll and leave during a long read. So a difference is a warning with both numbers, never by
//! itself an incomplete read (unless the user asks for that, trusting the counter).

use std::collections::BTreeMap;

use serde::Serialize;

/// The devices read and the counter, in total and per platform.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CountCheck {
    /// Distinct devices read.
    pub devices_read: u64,
    /// What the source's counter says (Graph's `enrolledDeviceCount`).
    pub graph_count: u64,
    /// Whether both are equal.
    pub matches: bool,
    /// Per platform of the counter's summary (`ios`, `android`, `windows`, `macOS`, ...): every platform
    /// that either side counts.
    pub per_platform: BTreeMap<String, PlatformCount>,
}

/// One platform's devices read, and the counter's number (`None` when the counter has none for it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlatformCount {
    pub read: u64,
    pub graph: Option<u64>,
}

impl CountCheck {
    pub fn new(devices_read: u64, graph_count: u64, per_platform: BTreeMap<String, PlatformCount>) -> Self {
        CountCheck { devices_read, graph_count, matches: devices_read == graph_count, per_platform }
    }

    /// The devices read per platform beside the counter's total and per-platform numbers; every
    /// platform either side names is kept.
    pub fn compare(read: &BTreeMap<&str, u64>, graph_count: u64, graph: &BTreeMap<&str, u64>) -> Self {
        let mut per_platform: BTreeMap<String, PlatformCount> = BTreeMap::new();
        for (platform, &count) in graph {
            per_platform.entry((*platform).to_owned()).or_default().graph = Some(count);
        }
        for (platform, &count) in read {
            per_platform.entry((*platform).to_owned()).or_default().read = count;
        }
        CountCheck::new(read.values().sum(), graph_count, per_platform)
    }

    /// How many devices the counter counts beyond those read (0 when it counts as many or fewer).
    pub fn shortfall(&self) -> u64 {
        self.graph_count.saturating_sub(self.devices_read)
    }

    /// The platforms whose numbers differ, as `ios 300 read / 302 counted`.
    fn platform_differences(&self) -> Vec<String> {
        self.per_platform
            .iter()
            .filter(|(_, count)| count.graph.is_some_and(|graph| graph != count.read))
            .map(|(platform, count)| format!("{platform} {} read / {} counted", count.read, count.graph.unwrap_or(0)))
            .collect()
    }

    /// The warning sentence when the numbers differ, with both of them (and per platform), saying how
    /// the devices were read.
    pub fn warning(&self, read_by: ReadBy) -> Option<String> {
        if self.matches {
            return None;
        }
        let difference = if self.devices_read < self.graph_count {
            format!("{} fewer", self.graph_count - self.devices_read)
        } else {
            format!("{} more", self.devices_read - self.graph_count)
        };
        let platforms = self.platform_differences();
        let platforms = match platforms.is_empty() {
            true => String::new(),
            false => format!("; {}", platforms.join(", ")),
        };
        let whole = match read_by {
            ReadBy::Listing => "Every page was read",
            ReadBy::Export => "The export was read whole",
        };
        Some(format!(
            "Graph's managedDeviceOverview counts {} devices; {} {} ({difference}{platforms}). {whole}, and \
             the counter is not exact (it can count replaced devices, and devices enroll or leave during a \
             read); --require-count-match makes a shortfall exit 3",
            self.graph_count,
            self.devices_read,
            read_by.were_read()
        ))
    }
}

/// How the devices set beside the counter were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBy {
    /// Listings, page after page.
    Listing,
    /// A report export job.
    Export,
}

impl ReadBy {
    /// How a sentence says the devices were read: "795 were listed", "795 are in the Devices export".
    pub fn were_read(self) -> &'static str {
        match self {
            ReadBy::Listing => "were listed",
            ReadBy::Export => "are in the Devices export",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(read: u64, graph: u64) -> CountCheck {
        let read = BTreeMap::from([("ios", read - 10), ("windows", 10)]);
        let counted = BTreeMap::from([("ios", graph - 10), ("windows", 10), ("linux", 0)]);
        CountCheck::compare(&read, graph, &counted)
    }

    #[test]
    fn a_difference_is_a_warning_with_both_numbers() {
        assert_eq!(check(40, 40).warning(ReadBy::Listing), None);
        assert_eq!(check(40, 40).shortfall(), 0);
        let short = check(795, 800);
        assert_eq!(short.shortfall(), 5);
        let warning = short.warning(ReadBy::Listing).unwrap();
        assert!(
            warning.contains("counts 800 devices; 795 were listed (5 fewer; ios 785 read / 790 counted)"),
            "{warning}"
        );
        assert!(!warning.contains("windows"), "equal platforms are not listed: {warning}");
        let more = check(45, 40);
        assert_eq!(more.shortfall(), 0);
        assert!(more.warning(ReadBy::Export).unwrap().contains("(5 more;"));
        let json = serde_json::to_value(&short).unwrap();
        assert_eq!(json["devices_read"], 795);
        assert_eq!(json["graph_count"], 800);
        assert_eq!(json["matches"], false);
        assert_eq!(json["per_platform"]["ios"], serde_json::json!({"read": 785, "graph": 790}));
        assert_eq!(json["per_platform"]["linux"], serde_json::json!({"read": 0, "graph": 0}));
        let unknown = CountCheck::compare(&BTreeMap::from([("unknown", 2)]), 2, &BTreeMap::new());
        assert_eq!(unknown.per_platform["unknown"], PlatformCount { read: 2, graph: None });
    }
}
