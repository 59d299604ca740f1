//! What to fix first: per rule, how many users would become ready if that rule passed on all their
//! devices.
//!
//! It comes from the rules that keep each device from ready (its [`RuleSet`] of blockers). A user
//! becomes ready when one of their devices does, and a device becomes ready when a rule passes only
//! if that rule is its one blocker. So the exact counterfactual of a rule, per user, is "one of the
//! user's devices is blocked by that rule alone": no sum of device counts, and no re-run of the rules.

use rayon::prelude::*;

use super::{UserResult, Verdict};
use crate::rules::RuleId;

/// A set of rules, one bit per rule in [`RuleId::ALL`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RuleSet(u16);

const _: () = assert!(RuleId::COUNT <= 16, "a RuleSet holds at most 16 rules");

impl RuleSet {
    pub const EMPTY: RuleSet = RuleSet(0);

    pub fn insert(&mut self, rule: RuleId) {
        self.0 |= 1 << rule.index();
    }

    pub fn contains(self, rule: RuleId) -> bool {
        self.0 & (1 << rule.index()) != 0
    }

    pub fn union(self, other: RuleSet) -> RuleSet {
        RuleSet(self.0 | other.0)
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The rule, when the set holds exactly one.
    pub fn single(self) -> Option<RuleId> {
        (self.len() == 1).then(|| RuleId::ALL[self.0.trailing_zeros() as usize])
    }

    /// The rules of the set, in table order.
    pub fn iter(self) -> impl Iterator<Item = RuleId> {
        RuleId::ALL.into_iter().filter(move |rule| self.contains(*rule))
    }
}

impl FromIterator<RuleId> for RuleSet {
    fn from_iter<I: IntoIterator<Item = RuleId>>(rules: I) -> Self {
        let mut set = RuleSet::EMPTY;
        for rule in rules {
            set.insert(rule);
        }
        set
    }
}

/// One rule's weight: how many users would become ready if it passed on all their devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocker {
    pub rule: RuleId,
    pub users: usize,
}

/// Every rule's blocker count, largest first (ties in table order), counted over the users in parallel.
pub fn rank(users: &[UserResult]) -> Vec<Blocker> {
    let counts = users
        .par_iter()
        .filter(|user| user.verdict != Verdict::Ready)
        .fold(
            || [0usize; RuleId::COUNT],
            |mut counts, user| {
                for rule in user.ready_if_passed.iter() {
                    counts[rule.index()] += 1;
                }
                counts
            },
        )
        .reduce(|| [0usize; RuleId::COUNT], |a, b| std::array::from_fn(|i| a[i] + b[i]));
    let mut blockers: Vec<Blocker> =
        RuleId::ALL.into_iter().map(|rule| Blocker { rule, users: counts[rule.index()] }).collect();
    blockers.sort_by(|a, b| b.users.cmp(&a.users).then(a.rule.cmp(&b.rule)));
    blockers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_sets_hold_rules_in_table_order() {
        let set: RuleSet = [RuleId::RecentCheckIn, RuleId::CompanyPortal].into_iter().collect();
        assert_eq!(set.len(), 2);
        assert!(set.contains(RuleId::CompanyPortal) && !set.contains(RuleId::MdmEnrolled));
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![RuleId::CompanyPortal, RuleId::RecentCheckIn]);
        assert_eq!(set.single(), None);
        assert_eq!(RuleSet::EMPTY.single(), None);
        let one: RuleSet = [RuleId::PushPermission].into_iter().collect();
        assert_eq!(one.single(), Some(RuleId::PushPermission));
        assert_eq!(one.union(set).len(), 3);
    }
}
