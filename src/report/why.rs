//! The words that say why: a device's `details` (its rules' reason sentences) and a user's
//! `next_step` (the fix of what keeps their closest device from ready). Shared by the CSV files, the
//! HTML report and the terminal, so they all say the same thing.

use crate::audit::{DeviceResult, UserResult, Verdict};
use crate::rules::RuleId;

use super::Report;

/// The next step of a user in scope without any managed device.
pub const ENROLL_A_DEVICE: &str =
    "Enroll an iOS/iPadOS or Android device in Intune for this user (they have no managed device).";

/// Writes into `out` (cleared first) the reason sentences of the device's failed and unknown rules
/// except `push-permission` (never observable, so it says the same on every device), each prefixed
/// by its rule id and `;`-separated. A `;` inside a sentence becomes `,`, so the list splits cleanly.
pub fn details_into(out: &mut String, result: &DeviceResult) {
    out.clear();
    // `reasons` holds the failed and unknown rules only.
    for (rule, reason) in result.reasons.iter().filter(|(rule, _)| *rule != RuleId::PushPermission) {
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(rule.as_str());
        out.push_str(": ");
        if reason.contains(';') {
            out.push_str(&reason.replace(';', ","));
        } else {
            out.push_str(reason);
        }
    }
}

/// The device's details as a new string.
pub fn details(result: &DeviceResult) -> String {
    let mut out = String::new();
    details_into(&mut out, result);
    out
}

/// The user's device closest to ready, when they have one.
pub fn closest_device<'a>(report: Report<'a>, user: &UserResult) -> Option<&'a DeviceResult> {
    user.closest_device.map(|position| &report.audit.devices[position])
}

/// The name of the user's closest device (empty without one).
pub fn closest_device_name<'a>(report: Report<'a>, user: &UserResult) -> &'a str {
    closest_device(report, user).map(|device| report.inventory.devices[device.device].name.as_str()).unwrap_or("")
}

/// Writes into `out` (cleared first) what the user or IT does next: nothing for a ready user;
/// enrolling a device for a user without one; else the fix of each rule that keeps the closest
/// device from ready, in table order.
pub fn next_step_into(out: &mut String, report: Report<'_>, user: &UserResult) {
    out.clear();
    if user.verdict == Verdict::Ready {
        return;
    }
    let Some(device) = closest_device(report, user) else {
        out.push_str(ENROLL_A_DEVICE);
        return;
    };
    for rule in device.blocking.iter() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(rule.rule().fix);
    }
}

/// The user's next step as a new string.
pub fn next_step(report: Report<'_>, user: &UserResult) -> String {
    let mut out = String::new();
    next_step_into(&mut out, report, user);
    out
}
