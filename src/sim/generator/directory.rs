//! The directory side of the tenant: its users and its groups.
//!
//! - Users: 0.7 per device (at least 60). The last 4% (at least 5) never get a device (group "New hires
//!   (no device yet)"); the others own the devices drawn for them uniformly, so a user has 0 (~27%,
//!   the 4% included), 1 (~33%), 2 (~24%), 3 or more (~17%) devices. UPNs `first.last[N]@contoso.example`,
//!   10% written in mixed case, 0.5% B2B guests (`..._fabrikam.example#EXT#@contoso.example`); display
//!   names with accents and apostrophes, 7% `Last, First`, 2% with a quoted nickname, 3% `(Contractor)`.
//! - Groups (17): "All iOS users", "All Android users", "Sales" > "Sales - EMEA" > "Sales - EMEA -
//!   France" and "Sales - Americas" (with device members), "Field Technicians", "Kiosk devices"
//!   (device members only), "Executives" <-> "Executive Assistants" (a cycle), "New hires (no device
//!   yet)", "Pilot: custom notifications" (the catalogue's users and three users without a device),
//!   "Contractors, external (B2B)", `Ops "on-call"`, "Équipe Support — Montréal", "Empty group",
//!   "Mixed: users and devices".

use std::fmt::Write as _;

use rand::Rng;

use super::{guid, Generator, DOMAIN, FIELD, HAS_ANDROID, HAS_IOS};
use crate::sim::names;
use crate::sim::tenant::{SimGroup, SimMember, SimUser};

impl Generator {
    /// Makes `count` users (see the module documentation for their names and UPNs).
    pub(super) fn make_users(&mut self, count: usize) {
        let (nf, nl) = (names::FIRST_NAMES.len(), names::LAST_NAMES.len());
        let m = nf * nl;
        // A random bijection over name pairs, so the first `m` users have distinct names and the rest
        // repeat them with a number: UPNs are unique without a set.
        let a = loop {
            let a = self.rng.random_range(1..m);
            if gcd(a, m) == 1 {
                break a;
            }
        };
        let b = self.rng.random_range(0..m);
        let mask: u32 = self.rng.random();
        for i in 0..count {
            let p = ((i % m) * a + b) % m;
            let suffix = i / m;
            let (first, last) = (names::FIRST_NAMES[p / nl], names::LAST_NAMES[p % nl]);
            let id = guid(&mut self.rng, Some(i as u32 ^ mask));
            let form = self.rng.random_range(0..10_000u32);
            let style = self.rng.random_range(0..10_000u32);
            let guest = form < 50;
            let mut upn = String::with_capacity(48);
            if form < 1_050 && !guest {
                push_capitalised(&mut upn, first.1);
                upn.push('.');
                push_capitalised(&mut upn, last.1);
            } else {
                upn.push_str(first.1);
                upn.push('.');
                upn.push_str(last.1);
            }
            if suffix > 0 {
                let _ = write!(upn, "{suffix}");
            }
            if guest {
                upn.push_str("_fabrikam.example#EXT#");
                self.guests.push(i);
            }
            upn.push('@');
            upn.push_str(DOMAIN);
            let mut display = String::with_capacity(first.0.len() + last.0.len() + 16);
            if guest {
                let _ = write!(display, "{} {} (Fabrikam)", first.0, last.0);
            } else if style < 700 {
                let _ = write!(display, "{}, {}", last.0, first.0);
            } else if style < 900 {
                let nick = names::NICKNAMES[style as usize % names::NICKNAMES.len()];
                let _ = write!(display, "{} \"{nick}\" {}", first.0, last.0);
            } else if style < 1_200 {
                let _ = write!(display, "{} {} (Contractor)", first.0, last.0);
            } else {
                display.push_str(first.0);
                display.push(' ');
                display.push_str(last.0);
            }
            self.users.push(SimUser { id, user_principal_name: upn, display_name: display });
            self.user_first.push((p / nl) as u16);
        }
    }

    /// About `per_mille` of the users in `from` (at least `min`), ascending.
    fn sample_users(&mut self, from: std::ops::Range<usize>, per_mille: usize, min: usize) -> Vec<SimMember> {
        let len = from.len();
        let k = (len * per_mille / 1000).max(min).min(len);
        let mut picked: Vec<usize> = (0..k).map(|_| self.rng.random_range(from.clone())).collect();
        picked.sort_unstable();
        picked.dedup();
        picked.into_iter().map(SimMember::User).collect()
    }

    fn users_flagged(&self, flag: u8) -> Vec<SimMember> {
        (0..self.users.len()).filter(|&u| self.user_flags[u] & flag != 0).map(SimMember::User).collect()
    }

    fn sample_devices(&mut self, per_mille: usize, min: usize) -> Vec<SimMember> {
        let len = self.devices.len();
        let k = (len * per_mille / 1000).max(min).min(len);
        let mut picked: Vec<usize> = (0..k).map(|_| self.rng.random_range(0..len)).collect();
        picked.sort_unstable();
        picked.dedup();
        picked.into_iter().map(SimMember::Device).collect()
    }

    /// The 17 groups of the module documentation; the first `catalogue_users` users are the pilot's.
    pub(super) fn groups(&mut self, catalogue_users: usize) -> Vec<SimGroup> {
        let all = 0..self.users.len();
        let owners = 0..self.eligible;
        let deviceless = self.eligible..self.users.len();
        let with = |mut members: Vec<SimMember>, more: &[SimMember]| {
            members.extend_from_slice(more);
            members
        };
        let sales = with(self.sample_users(all.clone(), 60, 3), &[SimMember::Group(3), SimMember::Group(4)]);
        let emea = with(self.sample_users(all.clone(), 25, 2), &[SimMember::Group(5)]);
        let americas = self.sample_users(all.clone(), 25, 2);
        let americas = with(americas, &self.sample_devices(2, 2));
        let france = self.sample_users(all.clone(), 10, 2);
        let field = self.users_flagged(FIELD);
        let kiosks: Vec<SimMember> = self.kiosks.iter().map(|&d| SimMember::Device(d as usize)).collect();
        let executives = with(self.sample_users(owners.clone(), 2, 3), &[SimMember::Group(9)]);
        let assistants = with(self.sample_users(owners.clone(), 2, 3), &[SimMember::Group(8)]);
        let new_hires: Vec<SimMember> = deviceless.clone().map(SimMember::User).collect();
        let pilot: Vec<SimMember> =
            (0..catalogue_users).chain(deviceless.clone().take(3)).map(SimMember::User).collect();
        let mut contractors = self.sample_users(all.clone(), 10, 2);
        contractors.extend(self.guests.iter().map(|&u| SimMember::User(u)));
        contractors.sort_unstable_by_key(|m| match m {
            SimMember::User(u) => *u,
            _ => usize::MAX,
        });
        contractors.dedup();
        let on_call = self.sample_users(owners.clone(), 5, 2);
        let support = self.sample_users(all.clone(), 10, 2);
        let mixed = with(self.sample_users(all, 5, 2), &self.sample_devices(5, 2));
        let groups: Vec<(&str, Vec<SimMember>)> = vec![
            ("All iOS users", self.users_flagged(HAS_IOS)),
            ("All Android users", self.users_flagged(HAS_ANDROID)),
            ("Sales", sales),
            ("Sales - EMEA", emea),
            ("Sales - Americas", americas),
            ("Sales - EMEA - France", france),
            ("Field Technicians", field),
            ("Kiosk devices", kiosks),
            ("Executives", executives),
            ("Executive Assistants", assistants),
            ("New hires (no device yet)", new_hires),
            ("Pilot: custom notifications", pilot),
            ("Contractors, external (B2B)", contractors),
            ("Ops \"on-call\"", on_call),
            ("Équipe Support — Montréal", support),
            ("Empty group", Vec::new()),
            ("Mixed: users and devices", mixed),
        ];
        groups
            .into_iter()
            .map(|(name, members)| SimGroup { id: guid(&mut self.rng, None), display_name: name.to_owned(), members })
            .collect()
    }
}

fn push_capitalised(s: &mut String, word: &str) {
    let mut chars = word.chars();
    if let Some(c) = chars.next() {
        s.push(c.to_ascii_uppercase());
        s.push_str(chars.as_str());
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}
