//! The plan: from the audit of the targeted users (the transitive user members of the target groups),
//! who a send would reach, the requests it takes, and one `send-plan.csv` row per targeted user's
//! device (one with an empty device for a user with none), each saying whether it is planned and why.
//!
//! - `--to groups`: one group send, as the admin center makes it. Intune then delivers to every
//!   iOS/iPadOS and Android device enrolled by the group's users; `planned` says whether Intune sends
//!   there at all (an iOS/iPadOS or Android device that `supported-platform` does not fail: not a
//!   Shared iPad, fully managed, dedicated or AOSP device), and `why` whether it will show (the device's
//!   verdict and the rules that keep it from ready).
//! - `--to ready-devices`: one device send per ready device (and per at-risk device with
//!   `--include-at-risk`), so that devices the audit knows cannot show it are not sent to. An at-risk
//!   device that is not an iOS/iPadOS or Android device (its platform unknown) is never sent to:
//!   Intune refuses the device action there.

use crate::audit::{Audit, DeviceResult, Verdict};
use crate::inventory::{Inventory, Platform};
use crate::rules::{Level, RuleId, Settings, Status};

use super::ledger::Kind;
use super::limits::Request;

/// How the notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One group send to the target groups.
    Groups,
    /// One device send per ready device of the targeted users (and per at-risk one when asked).
    ReadyDevices { include_at_risk: bool },
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Groups => "groups",
            Mode::ReadyDevices { .. } => "ready-devices",
        }
    }
}

/// One row of `send-plan.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub recipient: String,
    /// Empty for a user without a managed device.
    pub device_id: String,
    pub device_name: String,
    /// The device's verdict (the user's, on a row without a device).
    pub verdict: Verdict,
    pub planned: bool,
    pub why: String,
}

/// What a send would do.
#[derive(Debug, Clone)]
pub struct Plan {
    pub mode: Mode,
    /// Sorted by recipient, then device id (the audit's order).
    pub rows: Vec<PlanRow>,
    /// The requests, in the order they are sent.
    pub requests: Vec<Request>,
    pub users: usize,
    pub ready_users: usize,
    pub at_risk_users: usize,
    pub unreachable_users: usize,
    /// Devices with `planned` yes.
    pub planned_devices: usize,
    /// Users with at least one planned device.
    pub users_reached: usize,
    /// Devices not planned, by verdict: at risk, unreachable.
    pub left_out: (usize, usize),
}

/// The plan of sending in `mode` to the audit's users (`groups`: the target group ids).
pub fn build(audit: &Audit, inventory: &Inventory, settings: &Settings, groups: &[String], mode: Mode) -> Plan {
    let recipient_of =
        |result: &DeviceResult| -> &str { inventory.devices[result.device].recipient.as_deref().unwrap_or("") };
    // The audit sorts devices by recipient, so each user's devices are one run.
    let mut by_recipient: std::collections::HashMap<&str, Vec<&DeviceResult>> = std::collections::HashMap::new();
    for result in &audit.devices {
        by_recipient.entry(recipient_of(result)).or_default().push(result);
    }
    let mut rows = Vec::new();
    let mut requests = Vec::new();
    let mut users_reached = 0;
    for user in &audit.users {
        let devices = by_recipient.get(&*user.recipient).map(Vec::as_slice).unwrap_or(&[]);
        if devices.is_empty() {
            rows.push(PlanRow {
                recipient: user.recipient.to_string(),
                device_id: String::new(),
                device_name: String::new(),
                verdict: user.verdict,
                planned: false,
                why: "no managed device: nothing to send to".to_owned(),
            });
        }
        let mut reached = false;
        for result in devices {
            let device = &inventory.devices[result.device];
            let (planned, why) = decide(result, device.platform, settings, mode);
            if planned && mode != Mode::Groups {
                requests.push(Request { kind: Kind::Device, targets: vec![device.id.clone()] });
            }
            reached |= planned;
            rows.push(PlanRow {
                recipient: user.recipient.to_string(),
                device_id: device.id.clone(),
                device_name: device.name.to_string(),
                verdict: result.verdict,
                planned,
                why,
            });
        }
        users_reached += usize::from(reached);
    }
    if mode == Mode::Groups {
        requests.push(Request { kind: Kind::Group, targets: groups.to_vec() });
    }
    let not_planned = |verdict: Verdict| {
        rows.iter().filter(|r| !r.planned && !r.device_id.is_empty() && r.verdict == verdict).count()
    };
    Plan {
        mode,
        planned_devices: rows.iter().filter(|r| r.planned).count(),
        left_out: (not_planned(Verdict::AtRisk), not_planned(Verdict::Unreachable)),
        requests,
        users: audit.users.len(),
        ready_users: audit.users_with(Verdict::Ready),
        at_risk_users: audit.users_with(Verdict::AtRisk),
        unreachable_users: audit.users_with(Verdict::Unreachable),
        users_reached,
        rows,
    }
}

/// Whether a device (on `platform`) is sent to in `mode`, and why. Intune sends only to iOS/iPadOS
/// and Android devices of kinds it supports: any other device is never planned, in either mode (a
/// device send to it is refused, and a group send skips it).
fn decide(result: &DeviceResult, platform: Platform, settings: &Settings, mode: Mode) -> (bool, String) {
    let verdict = result.verdict;
    let blockers = blockers(result, settings);
    let state = match verdict {
        Verdict::Ready => "ready".to_owned(),
        _ => format!("{}: {blockers}", verdict.as_str()),
    };
    if result.statuses[RuleId::SupportedPlatform.index()] == Status::Fail {
        return (false, format!("{state}; Intune does not send to this kind of device"));
    }
    if !matches!(platform, Platform::Ios | Platform::Android) {
        return (false, format!("{state}; Intune sends only to iOS/iPadOS and Android devices"));
    }
    match (mode, verdict) {
        (_, Verdict::Ready) => (true, "ready".to_owned()),
        (Mode::Groups, Verdict::AtRisk) => (true, format!("{state}; Intune sends to it, it may not show")),
        (Mode::Groups, Verdict::Unreachable) => (true, format!("{state}; Intune sends to it, it will not show")),
        (Mode::ReadyDevices { include_at_risk: true }, Verdict::AtRisk) => {
            (true, format!("{state}; sent with --include-at-risk"))
        }
        (Mode::ReadyDevices { include_at_risk: false }, Verdict::AtRisk) => {
            (false, format!("{state}; not sent (--include-at-risk sends to it)"))
        }
        (Mode::ReadyDevices { .. }, Verdict::Unreachable) => (false, format!("{state}; not sent")),
    }
}

/// The rules that keep a device from ready, with their status: `company-portal fail, portal-version unknown`.
fn blockers(result: &DeviceResult, settings: &Settings) -> String {
    let blocking = RuleId::ALL.into_iter().filter_map(|rule| {
        let status = result.statuses[rule.index()];
        let blocks = matches!(
            (settings.level(rule), status),
            (Level::Deny, Status::Fail | Status::Unknown) | (Level::Warn, Status::Fail)
        );
        blocks.then(|| format!("{rule} {}", status.as_str()))
    });
    blocking.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Device, Group, Member};
    use crate::rules::test_support::{as_of, ready_ios, settings};

    fn ready(id: &str, recipient: &str) -> Device {
        Device { name: format!("{id}-name"), ..ready_ios(id, recipient) }
    }

    fn stale(id: &str, recipient: &str) -> Device {
        Device { last_sync: Some(as_of() - chrono::Duration::days(90)), ..ready(id, recipient) }
    }

    fn no_portal(id: &str, recipient: &str) -> Device {
        Device { apps: vec![], ..ready(id, recipient) }
    }

    fn windows(id: &str, recipient: &str) -> Device {
        Device { operating_system: "Windows".into(), platform: Platform::Other, ..ready(id, recipient) }
    }

    fn no_os(id: &str, recipient: &str) -> Device {
        Device { operating_system: "".into(), platform: Platform::Unknown, ..ready(id, recipient) }
    }

    fn member(upn: &str) -> Member {
        Member { id: Some(format!("id-{upn}")), user_principal_name: Some(upn.to_owned()), display_name: None }
    }

    fn plan(mode: Mode) -> Plan {
        let devices = vec![
            ready("a1", "ann@x"),
            stale("a2", "ann@x"),
            stale("b1", "bob@x"),
            no_portal("c1", "cy@x"),
            windows("c2", "cy@x"),
            no_os("c3", "cy@x"),
            ready("z1", "zed@x"), // not in the group
        ];
        let group = Group {
            id: "g1".into(),
            display_name: Some("G".into()),
            members: ["ann@x", "bob@x", "cy@x", "dee@x"].into_iter().map(member).collect(),
        };
        let inventory = Inventory { devices, groups: vec![group], ..Default::default() };
        let settings = settings();
        let groups = vec!["g1".to_owned()];
        let audit = crate::audit::run(&inventory, &settings, &groups).unwrap();
        build(&audit, &inventory, &settings, &groups, mode)
    }

    fn rows(plan: &Plan) -> Vec<(&str, &str, &str, bool)> {
        plan.rows.iter().map(|r| (r.recipient.as_str(), r.device_id.as_str(), r.verdict.as_str(), r.planned)).collect()
    }

    #[test]
    fn ready_devices_are_the_only_targets() {
        let plan = plan(Mode::ReadyDevices { include_at_risk: false });
        assert_eq!(
            rows(&plan),
            [
                ("ann@x", "a1", "ready", true),
                ("ann@x", "a2", "at-risk", false),
                ("bob@x", "b1", "at-risk", false),
                ("cy@x", "c1", "unreachable", false),
                ("cy@x", "c2", "unreachable", false),
                ("cy@x", "c3", "at-risk", false),
                ("dee@x", "", "unreachable", false),
            ]
        );
        assert_eq!(plan.requests, [Request { kind: Kind::Device, targets: vec!["a1".into()] }]);
        assert_eq!((plan.users, plan.ready_users, plan.at_risk_users, plan.unreachable_users), (4, 1, 2, 1));
        assert_eq!((plan.planned_devices, plan.users_reached, plan.left_out), (1, 1, (3, 2)));
        assert_eq!(plan.rows[1].why, "at-risk: recent-check-in fail; not sent (--include-at-risk sends to it)");
        assert_eq!(plan.rows[3].why, "unreachable: company-portal fail; not sent");
        assert_eq!(plan.rows[6].why, "no managed device: nothing to send to");
        assert_eq!(plan.rows[0].device_name, "a1-name");
    }

    #[test]
    fn at_risk_devices_are_added_when_asked() {
        let plan = plan(Mode::ReadyDevices { include_at_risk: true });
        let targets: Vec<&str> = plan.requests.iter().map(|r| r.targets[0].as_str()).collect();
        assert_eq!(targets, ["a1", "a2", "b1"], "never a device Intune does not send to");
        assert_eq!((plan.users_reached, plan.left_out), (2, (1, 2)));
        assert_eq!(
            plan.rows[5].why,
            "at-risk: supported-platform unknown; Intune sends only to iOS/iPadOS and Android devices"
        );
        assert!(plan.rows[2].why.ends_with("sent with --include-at-risk"));
    }

    #[test]
    fn a_group_send_is_one_request_and_plans_every_supported_device() {
        let plan = plan(Mode::Groups);
        assert_eq!(plan.requests, [Request { kind: Kind::Group, targets: vec!["g1".into()] }]);
        let planned: Vec<(&str, bool)> = plan.rows.iter().map(|r| (r.device_id.as_str(), r.planned)).collect();
        assert_eq!(
            planned,
            [("a1", true), ("a2", true), ("b1", true), ("c1", true), ("c2", false), ("c3", false), ("", false)]
        );
        assert_eq!(plan.rows[3].why, "unreachable: company-portal fail; Intune sends to it, it will not show");
        assert!(plan.rows[4].why.starts_with("unreachable: supported-platform fail"), "{}", plan.rows[4].why);
        assert!(plan.rows[4].why.ends_with("Intune does not send to this kind of device"));
        assert_eq!(
            plan.rows[5].why,
            "at-risk: supported-platform unknown; Intune sends only to iOS/iPadOS and Android devices"
        );
        assert_eq!(plan.users_reached, 3);
    }
}
