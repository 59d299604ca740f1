//! The normalised inventory: plain owned data that every source produces and the rules read.
//!
//! Classification (platform, Android mode, enrollment, recipient, inventory completeness) happens
//! once, in [`classify`], so every source and every Graph strategy decides it the same way.

pub mod apps;
pub mod build;
pub mod classify;
pub mod count_check;
pub mod near_miss;
pub mod record;
pub mod tenant;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Shared text for values that repeat across devices (enum-like fields, app names and versions):
/// a million devices hold a few hundred distinct values, interned once by [`build::Interner`].
pub type Text = Arc<str>;

pub use apps::{AppCatalog, AppKind};
pub use classify::{AndroidMode, Enrollment, Platform};
pub use count_check::CountCheck;
pub use near_miss::{NearMiss, NearMisses};
pub use record::DeviceRecord;
pub use tenant::TenantFacts;

/// One managed device, normalised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Device {
    pub id: String,
    pub name: String,
    /// The user a group send would reach on this device: lower-cased UPN, else the user id.
    /// Interned: a user's devices share one copy.
    pub recipient: Option<Text>,
    pub user_id: Option<String>,
    pub user_display_name: Option<String>,
    pub platform: Platform,
    /// The raw `operatingSystem`, kept for `other` platforms.
    pub operating_system: Text,
    /// Only for Android devices.
    pub android_mode: Option<AndroidMode>,
    pub os_version: Text,
    /// The raw ownership value (`company`, `personal`, `unknown`, or anything Graph sends).
    pub ownership: Text,
    pub management_agent: Option<Text>,
    pub management_state: Option<Text>,
    /// The raw `deviceEnrollmentType`.
    pub enrollment_type: Option<Text>,
    /// What the enrollment type means for delivery (Apple User Enrollment, DEM, standard).
    pub enrollment: Enrollment,
    /// `hardwareInformation.isSharedDevice` where the source gives it (a Shared iPad when true).
    pub shared_device: Option<bool>,
    /// `None` when missing, unparseable, or the `0001-01-01` placeholder.
    pub last_sync: Option<DateTime<Utc>>,
    /// `enrolledDateTime`; `None` when missing, unparseable, or the `0001-01-01` placeholder. Whether
    /// the device enrolled recently is decided by the rules, against the audit's clock.
    pub enrolled_at: Option<DateTime<Utc>>,
    /// Whether a missing app can be trusted as really missing (docs/rules.md, "How a device is classified").
    pub inventory_complete: bool,
    /// Whether a missing system app (Google Play services) can be trusted as really missing.
    pub system_apps_complete: bool,
    /// The apps the rules look at, as the source saw them on this device.
    pub apps: Vec<AppEvidence>,
}

/// An app seen on a device: its name, its package/bundle id where the source gives one, its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppEvidence {
    pub name: Text,
    pub id: Option<Text>,
    pub version: Option<Text>,
}

impl AppEvidence {
    /// Equality that is cheap for interned values (the same shared text), exact for the others.
    pub fn same_as(&self, other: &AppEvidence) -> bool {
        fn same(a: &Text, b: &Text) -> bool {
            Arc::ptr_eq(a, b) || a == b
        }
        fn same_opt(a: &Option<Text>, b: &Option<Text>) -> bool {
            match (a, b) {
                (Some(a), Some(b)) => same(a, b),
                (None, None) => true,
                _ => false,
            }
        }
        same(&self.name, &other.name) && same_opt(&self.id, &other.id) && same_opt(&self.version, &other.version)
    }
}

/// A target group with its transitive *user* members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub display_name: Option<String>,
    pub members: Vec<Member>,
}

/// A user member of a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Member {
    pub id: Option<String>,
    pub user_principal_name: Option<String>,
    pub display_name: Option<String>,
}

/// Where the inventory came from and how much of it could be read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceInfo {
    /// `snapshot`, `intune-export`, `graph` or `demo`.
    pub kind: String,
    /// A human description: the file, the tenant, the Graph URL.
    pub description: String,
    /// True only when every page of every listing was read.
    pub complete: bool,
    /// What could not be read or verified, one sentence each.
    pub gaps: Vec<String>,
    /// Anything else the reader should know (duplicates dropped, counts that differ).
    pub warnings: Vec<String>,
    /// App names that look like a receiving app or Google Play services but match no configured name
    /// (sources fill it through [`NearMisses`]), most devices first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub near_misses: Vec<NearMiss>,
    /// Per-phase timings and request counts (Graph sources only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<serde_json::Value>,
    /// The devices read beside the source's own counter (Graph sources, when the counter was read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count_check: Option<CountCheck>,
}

/// Everything a source produces.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub devices: Vec<Device>,
    /// Target groups, when the source knows them (snapshot, demo, Graph with `--group`).
    pub groups: Vec<Group>,
    /// Users named by a members export (`--members-export`): a scope like a group.
    pub scoped_members: Option<Vec<Member>>,
    pub source: SourceInfo,
    /// The tenant-wide prerequisites, as far as the source read them.
    pub tenant: TenantFacts,
    /// Device ids that appeared more than once in the source: kept once, counted as a warning.
    pub duplicate_ids: Vec<String>,
}
