//! A device spec and a user made into a `managedDevice` as Graph returns it: its id, its user fields,
//! its sync and enrollment times (RFC 3339 as Graph writes them, or one of its placeholders), its
//! `hardwareInformation` where the spec has one and, unless the spec fixes it, a name made up from
//! the platform and the user.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use rand::Rng;

use super::spec::{Family, Name, Spec, When, Who};
use super::{guid, Generator, DOMAIN, FIELD, HAS_ANDROID, HAS_IOS};
use crate::inventory::classify::NIL_USER_ID;
use crate::sim::names;
use crate::source::wire::{GraphDevice, HardwareInformation};

/// Upper-case letters and digits without the look-alikes (serial numbers, Windows names).
const SERIAL_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

impl Generator {
    /// Makes the device of `spec` (owned by `user` when the spec has one) and appends it.
    pub(super) fn push_device(&mut self, spec: &Spec, user: Option<usize>) {
        let index = self.devices.len();
        let id = guid(&mut self.rng, Some(index as u32 ^ self.device_mask));
        let name: Cow<'static, str> = match spec.name {
            Name::Fixed(name) => Cow::Borrowed(name),
            Name::Auto => Cow::Owned(self.auto_name(spec, user)),
        };
        let owned = |s: &str| Some(Cow::Owned(s.to_owned()));
        let (user_id, upn, display) = match (spec.who, user) {
            (Who::User, Some(u)) => {
                let user = &self.users[u];
                (owned(&user.id), owned(&user.user_principal_name), owned(&user.display_name))
            }
            (Who::UpnShouting, Some(u)) => {
                let user = &self.users[u];
                (owned(&user.id), Some(Cow::Owned(user.user_principal_name.to_uppercase())), owned(&user.display_name))
            }
            (Who::IdOnly, Some(u)) => {
                (owned(&self.users[u].id), if index.is_multiple_of(2) { None } else { Some(Cow::Borrowed("")) }, None)
            }
            (Who::Nil, _) => (Some(Cow::Borrowed(NIL_USER_ID)), Some(Cow::Borrowed("")), Some(Cow::Borrowed(""))),
            (Who::Empty, _) => (Some(Cow::Borrowed("")), Some(Cow::Borrowed("")), Some(Cow::Borrowed(""))),
            _ => (None, None, None),
        };
        if let Some(u) = user {
            self.user_flags[u] |= match spec.family {
                Family::Ios => HAS_IOS,
                Family::FullyManaged | Family::Dedicated | Family::Aosp => HAS_ANDROID | FIELD,
                Family::PersonalWorkProfile
                | Family::CorporateWorkProfile
                | Family::DeviceAdmin
                | Family::AndroidUnknown => HAS_ANDROID,
                Family::Windows | Family::Mac | Family::Other => 0,
            };
        } else if matches!(spec.family, Family::Dedicated | Family::Aosp) {
            self.kiosks.push(index as u32);
        }
        let sync = self.time(spec.sync);
        let enrolled = self.time(spec.enrolled);
        self.devices.push(GraphDevice {
            id: Some(Cow::Owned(id)),
            device_name: Some(name),
            user_id,
            user_principal_name: upn,
            user_display_name: display,
            enrolled_by_user_principal_name: None,
            operating_system: spec.os.map(Cow::Borrowed),
            os_version: spec.os_version.map(Cow::Borrowed),
            device_type: spec.device_type.map(Cow::Borrowed),
            device_enrollment_type: spec.enrollment.map(Cow::Borrowed),
            management_agent: spec.agent.map(Cow::Borrowed),
            management_state: spec.state.map(Cow::Borrowed),
            managed_device_owner_type: spec.owner.map(Cow::Borrowed),
            owner_type: spec.owner_beta.map(Cow::Borrowed),
            last_sync_date_time: sync,
            enrolled_date_time: enrolled,
            hardware_information: spec.shared.map(|shared| HardwareInformation { is_shared_device: Some(shared) }),
            enrolled_by_user_id: None,
        });
    }

    fn time(&mut self, when: When) -> Option<Cow<'static, str>> {
        match when {
            When::Missing => None,
            When::Zero => Some(Cow::Borrowed("0001-01-01T00:00:00Z")),
            When::Exact(secs) => Some(Cow::Owned(rfc3339(self.now - TimeDelta::seconds(secs), 9))),
            When::Within(from, to) => {
                let secs = self.rng.random_range(from..to);
                let nanos = self.rng.random_range(0..1_000_000_000);
                let time = self.now - TimeDelta::seconds(secs) - TimeDelta::nanoseconds(nanos);
                Some(Cow::Owned(rfc3339(time, 7)))
            }
        }
    }

    /// A device name as users, Apple, Intune's naming templates and OEMs make them.
    fn auto_name(&mut self, spec: &Spec, user: Option<usize>) -> String {
        let mut name = String::with_capacity(40);
        let first = user.map(|u| names::FIRST_NAMES[self.user_first[u] as usize].0);
        let r = self.rng.random_range(0..100u32);
        match spec.family {
            Family::Ios => {
                let kind = if spec.device_type == Some("iPad") { "iPad" } else { "iPhone" };
                match (r, first) {
                    (0..55, Some(first)) => {
                        name.push_str(first);
                        name.push_str(if r < 45 { "’s " } else { "'s " });
                        name.push_str(kind);
                    }
                    (55..70, _) => name.push_str(kind),
                    (70..80, Some(_)) => self.push_template_name(&mut name, user, kind),
                    _ => self.push_serial(&mut name, 12),
                }
            }
            Family::Windows => self.push_windows_name(&mut name, r),
            Family::Mac => match (r, first) {
                (0..60, Some(first)) => {
                    name.push_str(first);
                    name.push_str("’s MacBook Pro");
                }
                (60..80, _) => name.push_str("MacBook Air"),
                _ => self.push_serial(&mut name, 12),
            },
            Family::Other => {
                name.push_str(if spec.os == Some("ChromeOS") { "Chromebook-" } else { "ubuntu-" });
                self.push_serial(&mut name, 6);
            }
            Family::Dedicated | Family::Aosp if user.is_none() => {
                if r < 50 {
                    let n = self.rng.random_range(0..10_000u32);
                    let _ = write!(name, "KIOSK-{n:04}");
                } else {
                    name.push_str(self.pick(names::ANDROID_MODELS));
                    name.push('-');
                    self.push_serial(&mut name, 6);
                }
            }
            _ => {
                let kind = match spec.family {
                    Family::PersonalWorkProfile => "AndroidForWork",
                    Family::DeviceAdmin => "Android",
                    Family::Aosp => "AndroidAOSP",
                    _ => "AndroidEnterprise",
                };
                if r < 80 {
                    self.push_template_name(&mut name, user, kind);
                } else {
                    name.push_str(self.pick(names::ANDROID_MODELS));
                }
            }
        }
        name
    }

    /// A name of Intune's enrolment template, `{UPN prefix}_{kind}_{M/D/YYYY}_{H:MM AM}`, enrolled at
    /// a random minute of the last three years.
    fn push_template_name(&mut self, name: &mut String, user: Option<usize>, kind: &str) {
        // Every UPN ends with `@` DOMAIN: the part before it, without searching for the `@`.
        let prefix = user.map_or("device", |u| {
            let upn = self.users[u].user_principal_name.as_str();
            &upn[..upn.len() - DOMAIN.len() - 1]
        });
        name.push_str(prefix);
        name.push('_');
        name.push_str(kind);
        name.push('_');
        let minutes = self.rng.random_range(0..3 * 365 * 24 * 60);
        let t = self.now - TimeDelta::minutes(minutes);
        let (pm, hour) = t.hour12();
        let _ = write!(
            name,
            "{}/{}/{}_{}:{:02} {}",
            t.month(),
            t.day(),
            t.year(),
            hour,
            t.minute(),
            if pm { "PM" } else { "AM" }
        );
    }

    /// A Windows name from the percentile `r`: `DESKTOP-`, `LAPTOP-`, `CONTOSO-` or Cloud PC `CPC-`.
    fn push_windows_name(&mut self, name: &mut String, r: u32) {
        match r {
            0..45 => {
                name.push_str("DESKTOP-");
                self.push_serial(name, 7);
            }
            45..65 => {
                name.push_str("LAPTOP-");
                self.push_serial(name, 8);
            }
            65..95 => {
                let n = self.rng.random_range(0..100_000u32);
                let _ = write!(name, "CONTOSO-{n:05}");
            }
            _ => {
                name.push_str("CPC-");
                self.push_serial(name, 5);
            }
        }
    }

    fn push_serial(&mut self, out: &mut String, len: usize) {
        let mut bits: u64 = self.rng.random();
        for _ in 0..len {
            out.push(SERIAL_CHARS[(bits % SERIAL_CHARS.len() as u64) as usize] as char);
            bits /= SERIAL_CHARS.len() as u64;
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.fffffffZ` with `digits` fractional digits (7 like Graph, or 9 to be exact).
fn rfc3339(t: DateTime<Utc>, digits: u32) -> String {
    let mut s = String::with_capacity(32);
    push_digits(&mut s, t.year().max(0) as u32, 4);
    s.push('-');
    push_digits(&mut s, t.month(), 2);
    s.push('-');
    push_digits(&mut s, t.day(), 2);
    s.push('T');
    push_digits(&mut s, t.hour(), 2);
    s.push(':');
    push_digits(&mut s, t.minute(), 2);
    s.push(':');
    push_digits(&mut s, t.second(), 2);
    s.push('.');
    let nanos = t.nanosecond().min(999_999_999);
    push_digits(&mut s, nanos / 10u32.pow(9 - digits), digits);
    s.push('Z');
    s
}

fn push_digits(s: &mut String, n: u32, width: u32) {
    let mut div = 10u32.pow(width - 1);
    for _ in 0..width {
        s.push((b'0' + (n / div % 10) as u8) as char);
        div /= 10;
    }
}
