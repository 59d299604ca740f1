//! The audit: every rule on every device in parallel (rayon), a verdict per device, and the roll-up
//! per user, within the scope of the target groups when there are any (docs/rules.md, "Levels and verdicts").
//!
//! Everything here is decided from the inventory (its devices and tenant-wide facts) and the settings
//! alone; the reports only render it: verdicts, the rules that keep each device from ready, each
//! user's closest device, and the blockers ranked ([`blockers`]).

mod blockers;

use std::borrow::Cow;
use std::str::FromStr;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::error::Error;
use crate::inventory::{Device, Inventory, Member, Text};
use crate::rules::Settings;
use crate::rules::{evaluate_all, evaluate_rule, Level, RuleContext, RuleId, Status};
pub use blockers::{Blocker, RuleSet};

/// How reachable a device or a user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ready,
    AtRisk,
    Unreachable,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [Verdict::Ready, Verdict::AtRisk, Verdict::Unreachable];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::AtRisk => "at-risk",
            Verdict::Unreachable => "unreachable",
        }
    }
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verdict::ALL
            .into_iter()
            .find(|verdict| verdict.as_str() == s)
            .ok_or_else(|| format!("unknown verdict `{s}` (verdicts: ready, at-risk, unreachable)"))
    }
}

/// Why a user is not ready: a rule, or having no managed device at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    Rule(RuleId),
    NoManagedDevice,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rule(rule) => rule.as_str(),
            Reason::NoManagedDevice => "no-managed-device",
        }
    }
}

/// One audited device: its index in the inventory, every rule's status, its verdict, and why the
/// rules that did not pass said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceResult {
    pub device: usize,
    pub statuses: [Status; RuleId::COUNT],
    pub verdict: Verdict,
    /// The rules that keep the device from ready at their levels (deny failed or unknown, warn failed).
    pub blocking: RuleSet,
}

impl DeviceResult {
    /// Judges one device: every rule's outcome and the verdict from the levels. The reason sentences
    /// are not kept: on a large tenant they would cost more memory than the devices' own fields, and
    /// the rules say them again on demand ([`Self::reasons`]), word for word, from the same inputs.
    pub fn evaluate(index: usize, device: &Device, context: &RuleContext<'_>) -> Self {
        let settings = context.settings;
        let statuses = evaluate_all(device, context).map(|outcome| outcome.status);
        let blocking = RuleId::ALL
            .into_iter()
            .filter(|rule| blocks_ready(settings.level(*rule), statuses[rule.index()]))
            .collect();
        DeviceResult { device: index, verdict: device_verdict(&statuses, settings), statuses, blocking }
    }

    /// Rule ids with this status, in table order.
    pub fn rules_with(&self, status: Status) -> impl Iterator<Item = RuleId> + '_ {
        RuleId::ALL.into_iter().filter(move |rule| self.statuses[rule.index()] == status)
    }

    /// The reason sentences of the rules that failed or are unknown on `device` (the one this result
    /// judged, with the audit's context), in table order.
    pub fn reasons<'a>(
        &'a self,
        device: &'a Device,
        context: &'a RuleContext<'a>,
    ) -> impl Iterator<Item = (RuleId, Cow<'static, str>)> + 'a {
        RuleId::ALL
            .into_iter()
            .filter(|rule| matches!(self.statuses[rule.index()], Status::Fail | Status::Unknown))
            .map(|rule| (rule, evaluate_rule(rule, device, context).reason))
    }

    /// Why `rule` failed or is unknown on `device` (`None` when it passed or does not apply).
    pub fn reason(&self, rule: RuleId, device: &Device, context: &RuleContext<'_>) -> Option<Cow<'static, str>> {
        matches!(self.statuses[rule.index()], Status::Fail | Status::Unknown)
            .then(|| evaluate_rule(rule, device, context).reason)
    }
}

/// One user in scope, rolled up from their devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserResult {
    pub recipient: Text,
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    pub verdict: Verdict,
    pub devices: usize,
    pub ready_devices: usize,
    pub at_risk_devices: usize,
    pub unreachable_devices: usize,
    /// In table order, `no-managed-device` last.
    pub reasons: Vec<Reason>,
    /// The user's device closest to ready (index into [`Audit::devices`]): the fewest blockers, then
    /// the most recent check-in. `None` for a user without devices.
    pub closest_device: Option<usize>,
    /// The rules any one of which, passing on all the user's devices, would make the user ready: the
    /// sole blockers of their devices. Empty for a ready user.
    pub ready_if_passed: RuleSet,
}

/// Counts of pass/fail/unknown/n/a for one rule, in [`Status::ALL`] order.
pub type StatusCounts = [usize; 4];

/// The whole audit.
#[derive(Debug)]
pub struct Audit {
    /// Sorted by recipient (devices without one first), then device id.
    pub devices: Vec<DeviceResult>,
    /// Sorted by recipient.
    pub users: Vec<UserResult>,
    /// Per rule (in [`RuleId::ALL`] order), the count of each status.
    pub rule_counts: [StatusCounts; RuleId::COUNT],
    /// The target group ids when the audit was scoped.
    pub groups: Vec<String>,
    /// Every rule with the number of users it alone keeps from ready, largest first.
    pub blockers: Vec<Blocker>,
}

impl Audit {
    pub fn users_with(&self, verdict: Verdict) -> usize {
        self.users.iter().filter(|u| u.verdict == verdict).count()
    }

    pub fn devices_with(&self, verdict: Verdict) -> usize {
        self.devices.iter().filter(|d| d.verdict == verdict).count()
    }

    /// The share of users in scope that are ready, in percent (0 when there are no users).
    pub fn ready_percent(&self) -> f64 {
        percent(self.users_with(Verdict::Ready), self.users.len())
    }
}

pub fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// A device's verdict from its statuses and the rule levels.
pub fn device_verdict(statuses: &[Status; RuleId::COUNT], settings: &Settings) -> Verdict {
    let mut verdict = Verdict::Ready;
    for rule in RuleId::ALL {
        match (settings.level(rule), statuses[rule.index()]) {
            (Level::Deny, Status::Fail) => return Verdict::Unreachable,
            (Level::Deny, Status::Unknown) | (Level::Warn, Status::Fail) => verdict = Verdict::AtRisk,
            _ => {}
        }
    }
    verdict
}

/// Whether this rule's status keeps the device from being ready.
fn blocks_ready(level: Level, status: Status) -> bool {
    matches!((level, status), (Level::Deny, Status::Fail | Status::Unknown) | (Level::Warn, Status::Fail))
}

/// Who a user is, as far as scoping and the report go.
struct UserKey {
    recipient: Text,
    user_id: Option<String>,
    display_name: Option<String>,
}

impl UserKey {
    /// The user of a device: its recipient, user id and display name.
    fn of(device: &Device) -> Self {
        UserKey {
            recipient: device.recipient.clone().unwrap_or_default(),
            user_id: device.user_id.clone(),
            display_name: device.user_display_name.clone(),
        }
    }
}

/// Runs the audit. `groups` are target group ids; they must be among `inventory.groups`. The rules
/// read the inventory's tenant-wide facts beside the settings.
pub fn run(inventory: &Inventory, settings: &Settings, groups: &[String]) -> Result<Audit, Error> {
    let context = RuleContext { settings, tenant: &inventory.tenant };
    let (scope, device_owner) = scope(inventory, groups)?;
    let in_scope = |i: usize| device_owner.as_ref().is_none_or(|owners| owners[i].is_some());

    // Rank the distinct recipients once, in inventory order, so that sorting compares numbers (and ids
    // only within one recipient) and the roll-up finds each user's devices as one run.
    let clock = std::time::Instant::now();
    let ranks = recipient_ranks(inventory, &in_scope);
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "recipients ranked");

    let mut keyed: Vec<(u32, &str, DeviceResult)> = inventory
        .devices
        .par_iter()
        .enumerate()
        .filter(|(i, _)| in_scope(*i))
        .map(|(i, device)| (ranks[i], device.id.as_str(), DeviceResult::evaluate(i, device, &context)))
        .collect();
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "rules evaluated");
    keyed.par_sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "devices sorted");
    let (device_ranks, devices): (Vec<u32>, Vec<DeviceResult>) =
        keyed.into_iter().map(|(rank, _, r)| (rank, r)).unzip();

    let mut rule_counts = [[0usize; 4]; RuleId::COUNT];
    for result in &devices {
        for (counts, status) in rule_counts.iter_mut().zip(result.statuses) {
            counts[status as usize] += 1;
        }
    }

    let scoped = scope.is_some();
    let owners: Vec<Option<usize>>;
    let keys = match (scope, device_owner) {
        (Some(scope), Some(device_owner)) => {
            owners = devices.iter().map(|r| device_owner[r.device]).collect();
            scope
        }
        _ => {
            // Without a scope, users are the recipients found on devices: one per run of equal ranks,
            // and they come out sorted.
            let mut first_devices: Vec<usize> = Vec::new();
            owners = device_ranks
                .iter()
                .zip(&devices)
                .enumerate()
                .map(|(i, (&rank, result))| {
                    if rank == 0 {
                        return None;
                    }
                    if i == 0 || device_ranks[i - 1] != rank {
                        first_devices.push(result.device);
                    }
                    Some(first_devices.len() - 1)
                })
                .collect();
            // Each user's first device is a random read of the inventory: in parallel, so the reads
            // overlap instead of stalling one after the other.
            first_devices.par_iter().map(|&d| UserKey::of(&inventory.devices[d])).collect()
        }
    };
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "users found");
    let users = roll_up(inventory, &devices, keys, &owners, scoped);
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "users rolled up");
    let blockers = blockers::rank(&users);
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "blockers ranked");
    Ok(Audit { devices, users, rule_counts, groups: groups.to_vec(), blockers })
}

/// Gives every device of a user in scope that user's `recipient`, as the users' report writes it:
/// the directory's UPN (from the group or the members export) where the device names the user by id
/// or by another spelling, so that the two reports agree. Without a scope nothing changes. Returns how
/// many devices changed.
pub fn use_directory_spelling(inventory: &mut Inventory, groups: &[String]) -> Result<usize, Error> {
    let (Some(users), Some(owners)) = scope(inventory, groups)? else { return Ok(0) };
    let mut changed = 0;
    for (device, owner) in inventory.devices.iter_mut().zip(owners) {
        let Some(recipient) = owner.map(|owner| &users[owner].recipient) else { continue };
        if device.recipient.as_ref() != Some(recipient) {
            device.recipient = Some(recipient.clone());
            changed += 1;
        }
    }
    Ok(changed)
}

/// Per device (by inventory index), the 1-based rank of its recipient among the distinct recipients
/// of the audited devices in sorted order; 0 for no recipient (sorts first) or out of scope.
fn recipient_ranks(inventory: &Inventory, in_scope: &(dyn Fn(usize) -> bool + Sync)) -> Vec<u32> {
    // One pass numbers the distinct recipients in order of appearance; sorting those numbers by
    // recipient then gives each its rank.
    let mut slots: FxHashMap<&str, u32> = FxHashMap::default();
    slots.reserve(inventory.devices.len() / 2);
    let mut distinct: Vec<&str> = Vec::new();
    let device_slots: Vec<u32> = inventory
        .devices
        .iter()
        .enumerate()
        .map(|(i, device)| match (in_scope(i), device.recipient.as_deref()) {
            (true, Some(recipient)) => *slots.entry(recipient).or_insert_with(|| {
                distinct.push(recipient);
                distinct.len() as u32
            }),
            _ => 0,
        })
        .collect();
    let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
    order.par_sort_unstable_by_key(|&slot| distinct[slot as usize]);
    let mut rank_of_slot = vec![0u32; distinct.len() + 1];
    for (rank, slot) in order.into_iter().enumerate() {
        rank_of_slot[slot as usize + 1] = rank as u32 + 1;
    }
    device_slots.into_iter().map(|slot| rank_of_slot[slot as usize]).collect()
}

/// The users in scope and, when scoped, which user (index into them) owns each device.
type Scope = (Option<Vec<UserKey>>, Option<Vec<Option<usize>>>);

fn scope(inventory: &Inventory, groups: &[String]) -> Result<Scope, Error> {
    let mut members: Vec<&Member> = Vec::new();
    for id in groups {
        let group = inventory.groups.iter().find(|g| g.id.eq_ignore_ascii_case(id.trim())).ok_or_else(|| {
            let known: Vec<_> = inventory.groups.iter().map(|g| g.id.as_str()).collect();
            Error::Usage(format!(
                "group {id} is not in the source's groups ({})",
                if known.is_empty() { "the source has none".to_owned() } else { known.join(", ") }
            ))
        })?;
        members.extend(&group.members);
    }
    if let Some(scoped) = &inventory.scoped_members {
        members.extend(scoped);
    }
    if groups.is_empty() && inventory.scoped_members.is_none() {
        return Ok((None, None));
    }

    let mut users: Vec<UserKey> = Vec::new();
    let mut by_key: FxHashMap<String, usize> = FxHashMap::default();
    for member in members {
        let upn = member.user_principal_name.as_deref().map(|u| u.trim().to_lowercase()).filter(|u| !u.is_empty());
        let id = member.id.as_deref().map(str::trim).filter(|i| !i.is_empty()).map(str::to_owned);
        let Some(recipient) = upn.clone().or_else(|| id.clone()) else { continue };
        let existing = upn.iter().chain(id.iter()).find_map(|k| by_key.get(k).copied());
        let index = existing.unwrap_or_else(|| {
            users.push(UserKey {
                recipient: recipient.into(),
                user_id: id.clone(),
                display_name: member.display_name.clone(),
            });
            users.len() - 1
        });
        for k in upn.into_iter().chain(id) {
            by_key.entry(k).or_insert(index);
        }
    }
    let owners = inventory
        .devices
        .iter()
        .map(|d: &Device| {
            d.recipient
                .as_ref()
                .and_then(|r| by_key.get(&**r))
                .or_else(|| d.user_id.as_ref().and_then(|i| by_key.get(i)))
                .copied()
        })
        .collect();
    Ok((Some(users), Some(owners)))
}

#[derive(Default)]
struct Tally {
    devices: usize,
    per_verdict: [usize; 3],
    blocking: RuleSet,
    sole_blockers: RuleSet,
    /// Position in the audit's devices of the closest device so far.
    closest: Option<usize>,
}

fn roll_up(
    inventory: &Inventory,
    devices: &[DeviceResult],
    mut keys: Vec<UserKey>,
    owners: &[Option<usize>],
    scoped: bool,
) -> Vec<UserResult> {
    let mut tallies: Vec<Tally> = (0..keys.len()).map(|_| Tally::default()).collect();
    for (position, (result, &owner)) in devices.iter().zip(owners).enumerate() {
        let Some(owner) = owner else { continue };
        let tally = &mut tallies[owner];
        let key = &mut keys[owner];
        if key.user_id.is_none() || key.display_name.is_none() {
            let device = &inventory.devices[result.device];
            if key.user_id.is_none() {
                key.user_id = device.user_id.clone();
            }
            if key.display_name.is_none() {
                key.display_name = device.user_display_name.clone();
            }
        }
        tally.devices += 1;
        tally.per_verdict[result.verdict as usize] += 1;
        tally.blocking = tally.blocking.union(result.blocking);
        if let Some(rule) = result.blocking.single() {
            tally.sole_blockers.insert(rule);
        }
        tally.closest = Some(match tally.closest {
            Some(best) if !is_closer(inventory, devices, position, best) => best,
            _ => position,
        });
    }

    let mut users: Vec<UserResult> = keys
        .into_iter()
        .zip(tallies)
        .map(|(key, tally)| {
            let [ready, at_risk, unreachable] = tally.per_verdict;
            let verdict = if ready > 0 {
                Verdict::Ready
            } else if at_risk > 0 {
                Verdict::AtRisk
            } else {
                Verdict::Unreachable
            };
            let user_is_ready = verdict == Verdict::Ready;
            let reasons = if tally.devices == 0 {
                vec![Reason::NoManagedDevice]
            } else if user_is_ready {
                Vec::new()
            } else {
                tally.blocking.iter().map(Reason::Rule).collect()
            };
            UserResult {
                recipient: key.recipient,
                user_id: key.user_id,
                display_name: key.display_name,
                verdict,
                devices: tally.devices,
                ready_devices: ready,
                at_risk_devices: at_risk,
                unreachable_devices: unreachable,
                reasons,
                closest_device: tally.closest,
                ready_if_passed: if user_is_ready { RuleSet::EMPTY } else { tally.sole_blockers },
            }
        })
        .collect();
    if scoped {
        users.par_sort_unstable_by(|a, b| a.recipient.cmp(&b.recipient));
    }
    users
}

/// Whether the device at `candidate` (a position in `devices`, after `best`) is closer to ready than
/// the one at `best`: fewer blockers, then a more recent check-in (a device without one loses); on a
/// full tie the earlier one stays. Check-in times are read only on a tie of blockers, which is rare.
fn is_closer(inventory: &Inventory, devices: &[DeviceResult], candidate: usize, best: usize) -> bool {
    let (a, b) = (&devices[candidate], &devices[best]);
    match a.blocking.len().cmp(&b.blocking.len()) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => inventory.devices[a.device].last_sync > inventory.devices[b.device].last_sync,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Group, Platform};
    use crate::rules::evaluate_all;
    use crate::rules::test_support::{app, as_of, ios, ready_ios, settings};

    /// An iOS device that passes every deny and warn rule.
    fn ready(id: &str, recipient: &str) -> Device {
        ready_ios(id, recipient)
    }

    /// Fails `company-portal` (deny): unreachable.
    fn unreachable(id: &str, recipient: &str) -> Device {
        Device { apps: vec![], ..ready(id, recipient) }
    }

    /// Fails `recent-check-in` (warn): at risk.
    fn stale(id: &str, recipient: &str) -> Device {
        Device { last_sync: Some(as_of() - chrono::Duration::days(90)), ..ready(id, recipient) }
    }

    /// `company-portal` unknown (personal device, inventory not complete): at risk.
    fn unverifiable(id: &str, recipient: &str) -> Device {
        Device { apps: vec![], inventory_complete: false, ownership: "personal".into(), ..ready(id, recipient) }
    }

    fn inventory(devices: Vec<Device>) -> Inventory {
        Inventory { devices, ..Default::default() }
    }

    fn user<'a>(audit: &'a Audit, recipient: &str) -> &'a UserResult {
        audit.users.iter().find(|u| &*u.recipient == recipient).expect("user in audit")
    }

    fn reasons(user: &UserResult) -> Vec<&'static str> {
        user.reasons.iter().map(|r| r.as_str()).collect()
    }

    #[test]
    fn device_verdicts_follow_levels() {
        let s = settings();
        let mut statuses = [Status::Pass; RuleId::COUNT];
        assert_eq!(device_verdict(&statuses, &s), Verdict::Ready);
        statuses[RuleId::PushPermission.index()] = Status::Fail; // allow: never changes the verdict
        assert_eq!(device_verdict(&statuses, &s), Verdict::Ready);
        statuses[RuleId::RecentCheckIn.index()] = Status::Fail; // warn fail
        assert_eq!(device_verdict(&statuses, &s), Verdict::AtRisk);
        statuses[RuleId::RecentCheckIn.index()] = Status::Unknown; // warn unknown: no effect
        assert_eq!(device_verdict(&statuses, &s), Verdict::Ready);
        statuses[RuleId::CompanyPortal.index()] = Status::Unknown; // deny unknown
        assert_eq!(device_verdict(&statuses, &s), Verdict::AtRisk);
        statuses[RuleId::MdmEnrolled.index()] = Status::Fail; // deny fail wins
        assert_eq!(device_verdict(&statuses, &s), Verdict::Unreachable);
        statuses[RuleId::MdmEnrolled.index()] = Status::NotApplicable;
        let mut relaxed = settings();
        relaxed.levels[RuleId::CompanyPortal.index()] = Level::Allow;
        assert_eq!(device_verdict(&statuses, &relaxed), Verdict::Ready);
    }

    #[test]
    fn push_permission_at_its_default_level_keeps_no_device_from_ready() {
        let ready_ios = Device {
            recipient: Some("ann@x".into()),
            management_agent: Some("mdm".into()),
            inventory_complete: true,
            last_sync: Some(as_of()),
            apps: vec![app("Company Portal", Some("5.2409.1"))],
            ..ios()
        };
        let settings = settings();
        let tenant = crate::inventory::TenantFacts::default();
        let context = RuleContext { settings: &settings, tenant: &tenant };
        let statuses = evaluate_all(&ready_ios, &context).map(|outcome| outcome.status);
        assert_eq!(statuses[RuleId::PushPermission.index()], Status::Unknown);
        assert_eq!(device_verdict(&statuses, &settings), Verdict::Ready);
        let mut strict = settings.clone();
        strict.levels[RuleId::PushPermission.index()] = Level::Deny;
        assert_eq!(device_verdict(&statuses, &strict), Verdict::AtRisk, "at deny, never observable means at risk");
    }

    #[test]
    fn a_user_is_as_reachable_as_their_best_device() {
        let inv = inventory(vec![
            ready("d1", "ann@x"),
            unreachable("d2", "ann@x"),
            stale("d3", "bob@x"),
            unreachable("d4", "bob@x"),
            unreachable("d5", "cid@x"),
            unverifiable("d6", "dan@x"),
        ]);
        let audit = run(&inv, &settings(), &[]).unwrap();
        let ann = user(&audit, "ann@x");
        assert_eq!((ann.verdict, ann.devices, ann.ready_devices, ann.unreachable_devices), (Verdict::Ready, 2, 1, 1));
        assert!(ann.reasons.is_empty(), "a ready user has no reasons");
        let bob = user(&audit, "bob@x");
        assert_eq!((bob.verdict, bob.at_risk_devices, bob.unreachable_devices), (Verdict::AtRisk, 1, 1));
        // The union over all devices, in table order.
        assert_eq!(reasons(bob), vec!["company-portal", "recent-check-in"]);
        assert_eq!(user(&audit, "cid@x").verdict, Verdict::Unreachable);
        assert_eq!(reasons(user(&audit, "cid@x")), vec!["company-portal"]);
        let dan = user(&audit, "dan@x");
        assert_eq!((dan.verdict, reasons(dan)), (Verdict::AtRisk, vec!["company-portal"]));
        assert_eq!(audit.users_with(Verdict::Ready), 1);
        assert!((audit.ready_percent() - 25.0).abs() < 1e-9);
    }

    fn device_name<'a>(inv: &'a Inventory, audit: &Audit, user: &UserResult) -> Option<&'a str> {
        user.closest_device.map(|position| inv.devices[audit.devices[position].device].id.as_str())
    }

    #[test]
    fn blockers_count_users_one_rule_alone_keeps_from_ready() {
        let no_portal_and_stale = |id: &str, r: &str| Device { apps: vec![], ..stale(id, r) };
        let inv = inventory(vec![
            // ann: one device blocked by company-portal alone, another by recent-check-in alone: either
            // rule passing makes her ready, so she counts for both.
            unreachable("a1", "ann@x"),
            stale("a2", "ann@x"),
            // bob: both rules on one device: neither alone makes him ready.
            no_portal_and_stale("b1", "bob@x"),
            // cid: company-portal alone on both devices: counted once.
            unreachable("c1", "cid@x"),
            unreachable("c2", "cid@x"),
            // dan is ready: never counted.
            ready("d1", "dan@x"),
            unreachable("d2", "dan@x"),
        ]);
        let audit = run(&inv, &settings(), &[]).unwrap();
        let count = |rule: RuleId| audit.blockers.iter().find(|b| b.rule == rule).map(|b| b.users);
        assert_eq!(count(RuleId::CompanyPortal), Some(2));
        assert_eq!(count(RuleId::RecentCheckIn), Some(1));
        assert_eq!(count(RuleId::PushPermission), Some(0), "an allow rule never blocks");
        assert_eq!(audit.blockers.len(), RuleId::COUNT, "every rule is listed");
        assert_eq!(audit.blockers[0].rule, RuleId::CompanyPortal, "largest first");
        assert_eq!(audit.blockers[1].rule, RuleId::RecentCheckIn);
        assert_eq!(audit.blockers[2].rule, RuleId::SupportedPlatform, "ties in table order");
        let bob = user(&audit, "bob@x");
        assert!(bob.ready_if_passed.is_empty());
        assert_eq!(audit.devices.iter().find(|d| inv.devices[d.device].id == "b1").unwrap().blocking.len(), 2);
        assert!(user(&audit, "dan@x").ready_if_passed.is_empty(), "a ready user needs nothing");
    }

    #[test]
    fn the_closest_device_has_the_fewest_blockers_then_the_latest_check_in() {
        let fresher = |id: &str, r: &str, days: i64| Device {
            last_sync: Some(as_of() - chrono::Duration::days(days)),
            apps: vec![],
            ..ready(id, r)
        };
        let inv = inventory(vec![
            Device { apps: vec![], ..stale("a1", "ann@x") }, // two blockers
            stale("a2", "ann@x"),                            // one blocker
            fresher("b1", "bob@x", 9),
            fresher("b2", "bob@x", 2), // same blockers, later check-in
            fresher("b3", "bob@x", 2), // a full tie: the first stays
            Device { last_sync: None, ..unreachable("c1", "cid@x") },
            fresher("c2", "cid@x", 20),
            ready("d1", "dan@x"),
        ]);
        let audit = run(&inv, &settings(), &[]).unwrap();
        assert_eq!(device_name(&inv, &audit, user(&audit, "ann@x")), Some("a2"));
        assert_eq!(device_name(&inv, &audit, user(&audit, "bob@x")), Some("b2"));
        assert_eq!(device_name(&inv, &audit, user(&audit, "cid@x")), Some("c2"), "no check-in loses a tie");
        assert_eq!(device_name(&inv, &audit, user(&audit, "dan@x")), Some("d1"));
    }

    #[test]
    fn userless_devices_are_reported_but_make_no_user() {
        let inv =
            inventory(vec![Device { recipient: None, user_id: None, ..ready("kiosk", "") }, ready("d1", "ann@x")]);
        let audit = run(&inv, &settings(), &[]).unwrap();
        assert_eq!(audit.devices.len(), 2);
        assert_eq!(audit.users.len(), 1);
        let kiosk = audit.devices.iter().find(|d| inv.devices[d.device].id == "kiosk").unwrap();
        assert_eq!(kiosk.statuses[RuleId::HasRecipient.index()], Status::Fail);
        let context = RuleContext { settings: &settings(), tenant: &inv.tenant };
        let why = kiosk.reason(RuleId::HasRecipient, &inv.devices[kiosk.device], &context);
        assert!(why.as_deref().is_some_and(|r| r.contains("no user")), "{why:?}");
        assert_eq!(kiosk.verdict, Verdict::Unreachable);
    }

    #[test]
    fn devices_sort_by_recipient_then_id_and_users_by_recipient() {
        let inv = inventory(vec![
            ready("b", "zed@x"),
            ready("c", "amy@x"),
            ready("a", "zed@x"),
            Device { recipient: None, ..ready("k", "") },
        ]);
        let audit = run(&inv, &settings(), &[]).unwrap();
        let order: Vec<&str> = audit.devices.iter().map(|d| inv.devices[d.device].id.as_str()).collect();
        assert_eq!(order, vec!["k", "c", "a", "b"]);
        let users: Vec<&str> = audit.users.iter().map(|u| &*u.recipient).collect();
        assert_eq!(users, vec!["amy@x", "zed@x"]);
    }

    #[test]
    fn reasons_are_kept_for_failed_and_unknown_rules_only() {
        let inv = inventory(vec![stale("d1", "a@x")]);
        let audit = run(&inv, &settings(), &[]).unwrap();
        let device = &audit.devices[0];
        let (settings, on) = (settings(), &inv.devices[device.device]);
        let context = RuleContext { settings: &settings, tenant: &inv.tenant };
        let kept: Vec<RuleId> = device.reasons(on, &context).map(|(rule, _)| rule).collect();
        // The tenant checks were not read: unknown, kept with their reason.
        assert_eq!(kept, vec![RuleId::RecentCheckIn, RuleId::PushPermission, RuleId::AppleMdmPush]);
        let why = device.reason(RuleId::RecentCheckIn, on, &context);
        assert!(why.as_deref().is_some_and(|r| r.contains("90 days")), "{why:?}");
        assert_eq!(device.reason(RuleId::CompanyPortal, on, &context), None, "a passed rule has no reason");
    }

    #[test]
    fn rule_counts_cover_every_audited_device() {
        let inv = inventory(vec![ready("d1", "a@x"), unreachable("d2", "b@x"), stale("d3", "c@x")]);
        let audit = run(&inv, &settings(), &[]).unwrap();
        for counts in audit.rule_counts {
            assert_eq!(counts.iter().sum::<usize>(), 3);
        }
        assert_eq!(audit.rule_counts[RuleId::CompanyPortal.index()], [2, 1, 0, 0]);
        assert_eq!(audit.rule_counts[RuleId::RecentCheckIn.index()], [2, 1, 0, 0]);
        assert_eq!(audit.rule_counts[RuleId::PushPermission.index()], [0, 0, 3, 0]);
    }

    #[test]
    fn group_scope_keeps_members_only_and_flags_users_without_devices() {
        let mut inv = inventory(vec![
            ready("d1", "ann@x"),
            unreachable("d2", "out@x"),
            // Known to the group by user id only.
            Device { recipient: Some("bob-guid".into()), user_id: Some("bob-guid".into()), ..stale("d3", "") },
        ]);
        inv.groups = vec![Group {
            id: "G1".into(),
            display_name: Some("Sales".into()),
            members: vec![
                Member { id: Some("ann-guid".into()), user_principal_name: Some("Ann@X".into()), display_name: None },
                Member { id: Some("bob-guid".into()), user_principal_name: None, display_name: Some("Bob".into()) },
                Member { id: Some("eve-guid".into()), user_principal_name: Some("eve@x".into()), display_name: None },
            ],
        }];
        let audit = run(&inv, &settings(), &["g1".to_owned()]).unwrap();
        let ids: Vec<&str> = audit.devices.iter().map(|d| inv.devices[d.device].id.as_str()).collect();
        assert_eq!(ids, vec!["d1", "d3"], "devices of non-members are not audited");
        assert_eq!(audit.users.len(), 3);
        assert_eq!(user(&audit, "ann@x").verdict, Verdict::Ready);
        assert_eq!(user(&audit, "ann@x").user_id.as_deref(), Some("ann-guid"));
        assert_eq!(user(&audit, "bob-guid").verdict, Verdict::AtRisk);
        let eve = user(&audit, "eve@x");
        assert_eq!((eve.verdict, eve.devices, reasons(eve)), (Verdict::Unreachable, 0, vec!["no-managed-device"]));
        assert_eq!(eve.closest_device, None);
        assert_eq!(audit.groups, vec!["g1".to_owned()]);
    }

    #[test]
    fn a_user_matched_by_id_has_one_spelling_in_both_reports() {
        let mut inv = inventory(vec![
            // Named by id only, by a former UPN with the same id, and by the directory's UPN itself.
            Device { recipient: Some("bob-guid".into()), user_id: Some("bob-guid".into()), ..ready("d1", "") },
            Device { recipient: Some("robert@x".into()), user_id: Some("bob-guid".into()), ..ready("d2", "") },
            ready("d3", "bob@x"),
            ready("d4", "out@x"),
        ]);
        inv.scoped_members = Some(vec![Member {
            id: Some("bob-guid".into()),
            user_principal_name: Some("Bob@X".into()),
            display_name: None,
        }]);
        assert_eq!(use_directory_spelling(&mut inv, &[]).unwrap(), 2);
        let recipients: Vec<_> = inv.devices.iter().map(|d| d.recipient.as_deref()).collect();
        assert_eq!(recipients, vec![Some("bob@x"), Some("bob@x"), Some("bob@x"), Some("out@x")], "out of scope: kept");
        let audit = run(&inv, &settings(), &[]).unwrap();
        assert_eq!(audit.users.len(), 1);
        assert_eq!((&*audit.users[0].recipient, audit.users[0].devices), ("bob@x", 3));
        for result in &audit.devices {
            assert_eq!(inv.devices[result.device].recipient.as_deref(), Some("bob@x"));
        }
        let mut unscoped = inventory(vec![ready("d1", "bob-guid")]);
        assert_eq!(use_directory_spelling(&mut unscoped, &[]).unwrap(), 0);
        assert_eq!(unscoped.devices[0].recipient.as_deref(), Some("bob-guid"));
    }

    #[test]
    fn a_group_the_source_does_not_know_is_a_usage_error() {
        let err = run(&inventory(vec![]), &settings(), &["nope".to_owned()]).unwrap_err();
        assert!(matches!(err, Error::Usage(_)));
        assert!(err.to_string().contains("nope"), "{err}");
    }

    #[test]
    fn platform_noise_is_audited_like_any_device() {
        let windows = Device { platform: Platform::Other, operating_system: "Windows".into(), ..ready("w", "ann@x") };
        let audit = run(&inventory(vec![windows]), &settings(), &[]).unwrap();
        assert_eq!(audit.devices[0].verdict, Verdict::Unreachable);
        assert_eq!(audit.devices[0].statuses[RuleId::CompanyPortal.index()], Status::NotApplicable);
    }
}
