//! The deterministic generator of a realistic Intune tenant: users, managed devices, detected apps and
//! groups, from a device count, a seed and the time "now".
//!
//! Same arguments, same tenant, byte for byte: everything comes from one [`ChaCha8Rng`] seeded with
//! `seed`, consumed in a fixed order, and no hash map decides any order. The work per device is a
//! handful of random draws, a few small strings (ids, name, user fields, sync time) and one push per
//! detected app into a per-app device list; enum-like values are borrowed `'static` strings. A million
//! devices take about two seconds in a release build (on a busy two-core machine) and about 800 MB,
//! nearly all of it the devices' and users' own strings and structs.
//!
//! One random device in 61 that names its user was enrolled by the owner of an earlier device and then
//! reassigned (`enrolledByUserPrincipalName` names the enrolling user; Graph's listings leave it empty,
//! the `Devices` report gives it), with no draw of its own.
//!
//! The generator makes Graph-shaped data only: it knows the wire fields, not the delivery rules. The
//! rule outcomes each catalogue device exists for are written down, and checked, in its tests.
//!
//! Layout:
//! - `catalogue`: the first devices, hand-written edge cases (data);
//! - `random`: every device after the catalogue, drawn from platform and field distributions;
//! - `spec`: what a device is made from (family, wire fields, user, sync time, name), shared by both;
//! - `devices`: a spec and a user into a `managedDevice`, its name and its sync time;
//! - `apps`: the detected apps the tenant knows and which devices have them;
//! - `directory`: the users and the groups.

mod apps;
mod catalogue;
mod devices;
mod directory;
mod random;
mod spec;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::tenant::{SimTenant, SimUser};
use crate::source::wire::GraphDevice;
use apps::{APPS, APP_PLATFORMS};
use spec::Who;

/// The tenant's verified domain (a reserved name: it resolves nowhere).
pub const DOMAIN: &str = "contoso.example";

/// Generates a tenant of exactly `devices` managed devices; the same `seed` and `now` give the same
/// tenant. The modules `catalogue` and `random` say what it holds.
pub fn generate(devices: usize, seed: u64, now: DateTime<Utc>) -> SimTenant {
    let mut gen = Generator::new(devices, seed, now);
    let catalogue = catalogue::catalogue();
    let mut catalogue_users = 0;
    // The user of the last random device that named its user in full (for reassigned devices).
    let mut last_user = None;
    gen.devices.reserve_exact(devices);
    for index in 0..devices {
        match catalogue.get(index) {
            Some(edge) => {
                let user = edge.spec.who.has_user().then(|| {
                    catalogue_users += 1;
                    (catalogue_users - 1) % gen.eligible
                });
                gen.push_edge(edge, user);
            }
            None => {
                let spec = gen.random_spec();
                let user = spec.who.has_user().then(|| gen.rng.random_range(0..gen.eligible));
                gen.push_device(&spec, user);
                gen.random_apps(&spec, index as u32);
                if spec.who == Who::User {
                    gen.reassign(index, user, &mut last_user);
                }
            }
        }
    }
    let groups = gen.groups(catalogue_users.min(gen.eligible));
    let apps = gen.apps();
    SimTenant { tenant_id: gen.tenant_id, devices: gen.devices, apps, users: gen.users, groups }
}

/// One random device in this many (that names its user in full) was enrolled by another user, then
/// reassigned: its `enrolledByUserPrincipalName` is that user's. No draw decides it, so the rest of the
/// tenant is the same as without.
const REASSIGNED_EVERY: usize = 61;

/// Per-user flags, for the groups built from device facts.
const HAS_IOS: u8 = 1;
const HAS_ANDROID: u8 = 2;
const FIELD: u8 = 4;

/// The state of the generator while it makes one tenant.
struct Generator {
    rng: ChaCha8Rng,
    now: DateTime<Utc>,
    tenant_id: String,
    users: Vec<SimUser>,
    /// Index into [`crate::sim::names::FIRST_NAMES`] of each user (for device names).
    user_first: Vec<u16>,
    user_flags: Vec<u8>,
    guests: Vec<usize>,
    /// Users `0..eligible` may own devices; the others never do.
    eligible: usize,
    devices: Vec<GraphDevice<'static>>,
    /// XOR mask over the device index written into each device id, so ids are unique by construction.
    device_mask: u32,
    /// Device lists per app version and platform: `[(APPS offset + version) * platforms + platform]`.
    buckets: Vec<Vec<u32>>,
    /// First bucket row of each app of [`APPS`].
    app_offsets: Vec<usize>,
    /// Userless dedicated and AOSP devices (members of "Kiosk devices").
    kiosks: Vec<u32>,
}

impl Generator {
    fn new(devices: usize, seed: u64, now: DateTime<Utc>) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let tenant_id = guid(&mut rng, None);
        let device_mask = rng.random();
        let mut app_offsets = Vec::with_capacity(APPS.len());
        let mut rows = 0;
        for def in &APPS {
            app_offsets.push(rows);
            rows += def.versions.len();
        }
        let user_count = (devices * 7 / 10).max(60);
        let reserved = (user_count / 25).max(5);
        let mut gen = Generator {
            rng,
            now,
            tenant_id,
            users: Vec::with_capacity(user_count),
            user_first: Vec::with_capacity(user_count),
            user_flags: vec![0; user_count],
            guests: Vec::new(),
            eligible: user_count - reserved,
            devices: Vec::new(),
            device_mask,
            buckets: vec![Vec::new(); rows * APP_PLATFORMS.len()],
            app_offsets,
            kiosks: Vec::new(),
        };
        gen.make_users(user_count);
        gen
    }

    /// Makes device `index` (just pushed, owned by `user`) a reassigned one when its turn comes: enrolled
    /// by `last_user`, the owner of an earlier device. `last_user` becomes `user`.
    fn reassign(&mut self, index: usize, user: Option<usize>, last_user: &mut Option<usize>) {
        if let (true, Some(enroller), Some(owner)) = (index.is_multiple_of(REASSIGNED_EVERY), *last_user, user) {
            if enroller != owner {
                let upn = self.users[enroller].user_principal_name.clone();
                if let Some(device) = self.devices.last_mut() {
                    device.enrolled_by_user_principal_name = Some(upn.into());
                }
            }
        }
        *last_user = user.or(*last_user);
    }

    /// Draws true `bp` times in 10,000.
    fn chance(&mut self, bp: u32) -> bool {
        self.rng.random_range(0..10_000) < bp
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }
}

/// A GUID from the rng, lower-case and hyphenated. With `unique`, its last four bytes are a bijection
/// of that number (murmur3's finaliser), so GUIDs made with distinct numbers are distinct and still
/// look random.
fn guid(rng: &mut ChaCha8Rng, unique: Option<u32>) -> String {
    let mut bytes: [u8; 16] = rng.random();
    if let Some(mut n) = unique {
        n ^= n >> 16;
        n = n.wrapping_mul(0x85eb_ca6b);
        n ^= n >> 13;
        n = n.wrapping_mul(0xc2b2_ae35);
        n ^= n >> 16;
        bytes[12..].copy_from_slice(&n.to_be_bytes());
    }
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().encode_lower(&mut buf).to_owned()
}
