//! `recent-check-in`: has the device synced with Intune recently?
//!
//! A device that stopped checking in is probably unused, reset or gone, so a message sent to it is
//! likely missed. "Within" means `as_of - lastSyncDateTime <= stale_days x 24 h`; a sync in the
//! future passes; a missing time (or the `0001-01-01` placeholder, already `None` in the inventory)
//! is unknown (docs/rules.md).

use chrono::{DateTime, TimeDelta, Utc};

use super::{Level, Outcome, Rule, RuleContext, RuleId, Status};
use crate::inventory::Device;

pub const RULE: Rule = Rule {
    id: RuleId::RecentCheckIn,
    default_level: Level::Warn,
    checks: "The device checked in with Intune within the stale threshold (default 30 days).",
    fail_means: "The device has not synced recently; it may be unused or gone, so the message may be missed.",
    fix: "Have the user open Company Portal and sync the device, or retire the stale device.",
    decision: &[
        (Status::Pass, "`lastSyncDateTime` is within `stale_days` (default 30) of the audit time (`as_of - lastSync <= stale_days x 24 h`), or in the future."),
        (Status::Fail, "the last check-in is older than that."),
        (Status::Unknown, "no check-in time (missing, unreadable or `0001-01-01`)."),
    ],
    sources: &[
        "managedDevice lastSyncDateTime (Graph managedDevice resource)",
    ],
    caveat: None,
    evaluate,
};

fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn evaluate(device: &Device, context: &RuleContext<'_>) -> Outcome {
    let settings = context.settings;
    let Some(last_sync) = device.last_sync else {
        return Outcome::unknown("the device reports no last check-in time");
    };
    let days = settings.stale_days;
    let age = settings.as_of.signed_duration_since(last_sync);
    if age < TimeDelta::zero() {
        return Outcome::pass("the last check-in is after the audit time, so it is recent");
    }
    // A threshold too large for a duration is no limit at all.
    let stale = matches!(TimeDelta::try_days(i64::from(days)), Some(limit) if age > limit);
    if !stale {
        // No timestamp in the passing sentence: formatting one per device is the audit's largest cost.
        Outcome::pass(format!("the last check-in is within {days} days of the audit time"))
    } else {
        Outcome::fail(format!(
            "last check-in {} is more than {days} days before the audit time ({} days)",
            timestamp(last_sync),
            age.num_days()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{as_of, check, evaluate_with, settings};
    use crate::rules::Settings;
    use crate::rules::Status;

    fn run(last_sync: Option<DateTime<Utc>>, settings: &Settings) -> Outcome {
        evaluate_with(evaluate, &Device { last_sync, ..Default::default() }, settings)
    }

    #[test]
    fn recent_sync_passes() {
        let reason = check(run(Some(as_of() - TimeDelta::days(3)), &settings()), Status::Pass);
        assert!(reason.contains("within 30 days"), "{reason}");
        check(run(Some(as_of()), &settings()), Status::Pass);
    }

    #[test]
    fn exactly_stale_days_passes_one_second_more_fails() {
        check(run(Some(as_of() - TimeDelta::days(30)), &settings()), Status::Pass);
        let reason = check(run(Some(as_of() - TimeDelta::days(30) - TimeDelta::seconds(1)), &settings()), Status::Fail);
        assert!(reason.contains("more than 30 days"), "{reason}");
    }

    #[test]
    fn old_sync_fails() {
        let reason = check(run(Some(as_of() - TimeDelta::days(200)), &settings()), Status::Fail);
        assert!(reason.contains("(200 days)"), "{reason}");
    }

    #[test]
    fn future_sync_passes() {
        let reason = check(run(Some(as_of() + TimeDelta::days(2)), &settings()), Status::Pass);
        assert!(reason.contains("after the audit time"), "{reason}");
    }

    #[test]
    fn missing_sync_is_unknown() {
        check(run(None, &settings()), Status::Unknown);
    }

    #[test]
    fn stale_days_is_configurable() {
        let mut s = settings();
        s.stale_days = 7;
        check(run(Some(as_of() - TimeDelta::days(8)), &s), Status::Fail);
        check(run(Some(as_of() - TimeDelta::days(7)), &s), Status::Pass);
        s.stale_days = 0;
        check(run(Some(as_of()), &s), Status::Pass);
        check(run(Some(as_of() - TimeDelta::seconds(1)), &s), Status::Fail);
        s.stale_days = u32::MAX;
        check(run(Some(DateTime::<Utc>::MIN_UTC), &s), Status::Pass);
    }
}
