//! TODO: the deterministic tenant generator (being written).

use chrono::{DateTime, Utc};

use super::tenant::SimTenant;

/// Generates a tenant of about `devices` devices; the same `seed` and `now` give the same tenant.
pub fn generate(_devices: usize, _seed: u64, _now: DateTime<Utc>) -> SimTenant {
    SimTenant::default()
}
