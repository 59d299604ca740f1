//! The app-inventory refresh window: inventory "refreshes every seven days for each device, starting
//! from its enrollment date", so a device enrolled less than 7 days before the audit may not list its
//! apps yet, and a missing app there proves nothing (`company-portal`, `google-play-services`).
//!
//! Decided against the audit's clock (`as_of`), never at load time, so a snapshot audited later
//! gives the answer of that later time.

use chrono::{DateTime, TimeDelta, Utc};

use crate::inventory::Device;

/// How often app inventory refreshes, from enrollment.
pub const REFRESH_DAYS: i64 = 7;

/// How long before `as_of` the device enrolled, when that is less than 7 × 24 h (a time after
/// `as_of` counts as recent, with a negative age); `None` when it is not recent or has no
/// enrollment time.
pub fn recent_enrollment(device: &Device, as_of: DateTime<Utc>) -> Option<TimeDelta> {
    let age = as_of.signed_duration_since(device.enrolled_at?);
    (age < TimeDelta::days(REFRESH_DAYS)).then_some(age)
}

/// The reason sentence for a missing app on a recently enrolled device.
pub fn refresh_reason(age: TimeDelta) -> String {
    let when = if age < TimeDelta::zero() {
        "enrolled after the audit time".to_owned()
    } else {
        match age.num_days() {
            0 => "enrolled less than a day ago".to_owned(),
            1 => "enrolled 1 day ago".to_owned(),
            days => format!("enrolled {days} days ago"),
        }
    };
    format!("{when}: app inventory refreshes every {REFRESH_DAYS} days from enrollment")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::as_of;

    fn enrolled(at: Option<DateTime<Utc>>) -> Device {
        Device { enrolled_at: at, ..Default::default() }
    }

    #[test]
    fn less_than_seven_days_is_recent_exactly_seven_is_not() {
        let recent = |at| recent_enrollment(&enrolled(at), as_of());
        assert_eq!(recent(Some(as_of() - TimeDelta::days(3))), Some(TimeDelta::days(3)));
        assert!(recent(Some(as_of() - TimeDelta::days(7) + TimeDelta::seconds(1))).is_some());
        assert_eq!(recent(Some(as_of() - TimeDelta::days(7))), None);
        assert_eq!(recent(Some(as_of() - TimeDelta::days(400))), None);
        assert_eq!(recent(Some(as_of())), Some(TimeDelta::zero()));
        assert_eq!(recent(Some(as_of() + TimeDelta::hours(5))), Some(TimeDelta::hours(-5)), "the future is recent");
        assert_eq!(recent(None), None);
    }

    #[test]
    fn reasons_say_how_long_ago() {
        let tail = ": app inventory refreshes every 7 days from enrollment";
        assert_eq!(refresh_reason(TimeDelta::days(3) + TimeDelta::hours(4)), format!("enrolled 3 days ago{tail}"));
        assert_eq!(refresh_reason(TimeDelta::days(1)), format!("enrolled 1 day ago{tail}"));
        assert_eq!(refresh_reason(TimeDelta::hours(20)), format!("enrolled less than a day ago{tail}"));
        assert_eq!(refresh_reason(TimeDelta::hours(-2)), format!("enrolled after the audit time{tail}"));
    }
}
