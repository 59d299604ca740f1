//! The simulated tenant's model: what the generator makes and the simulated Graph serves.
//!
//! It holds more than a snapshot does (every detected app, not only the ones the rules read; groups
//! with their direct members, nested groups and device members), so the server can answer the same
//! requests Graph answers, and [`SimTenant::to_snapshot`] gives the truth a complete read must equal.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::inventory::{AppCatalog, NearMiss, NearMisses};
use crate::source::snapshot::{Snapshot, SnapshotSource};
use crate::source::wire::{DeviceRef, GraphDetectedApp, GraphDevice, GraphGroup, GraphMember};

/// A user of the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimUser {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
}

/// A direct member of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimMember {
    /// Index into [`SimTenant::users`].
    User(usize),
    /// Index into [`SimTenant::devices`] (Intune ignores device members for notifications).
    Device(usize),
    /// Index into [`SimTenant::groups`] (nested group).
    Group(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimGroup {
    pub id: String,
    pub display_name: String,
    pub members: Vec<SimMember>,
}

/// A detected app (one name + version + platform) and the devices that have it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimApp {
    /// `managed_devices` is left empty here; see `devices`.
    pub app: GraphDetectedApp,
    /// Indices into [`SimTenant::devices`].
    pub devices: Vec<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimTenant {
    pub tenant_id: String,
    pub devices: Vec<GraphDevice<'static>>,
    pub apps: Vec<SimApp>,
    pub users: Vec<SimUser>,
    pub groups: Vec<SimGroup>,
}

impl SimTenant {
    /// The transitive members of a group: every user, device and group reachable from it, each once,
    /// in a stable order (users, then devices, then groups; each by index).
    pub fn transitive_members(&self, group: usize) -> Vec<SimMember> {
        let mut users = BTreeSet::new();
        let mut devices = BTreeSet::new();
        let mut groups = BTreeSet::new();
        let mut stack = vec![group];
        let mut seen = BTreeSet::from([group]);
        while let Some(g) = stack.pop() {
            for member in &self.groups[g].members {
                match *member {
                    SimMember::User(u) => {
                        users.insert(u);
                    }
                    SimMember::Device(d) => {
                        devices.insert(d);
                    }
                    SimMember::Group(n) => {
                        groups.insert(n);
                        if seen.insert(n) {
                            stack.push(n);
                        }
                    }
                }
            }
        }
        groups.remove(&group);
        users
            .into_iter()
            .map(SimMember::User)
            .chain(devices.into_iter().map(SimMember::Device))
            .chain(groups.into_iter().map(SimMember::Group))
            .collect()
    }

    /// The snapshot a complete read of this tenant gives: every device, the detected apps the rules
    /// look at (by the default app names) with their devices, and every group with its transitive
    /// user members.
    pub fn to_snapshot(&self, captured_at: String, graph_url: &str) -> Snapshot {
        let catalog = AppCatalog::default();
        let mut snapshot = Snapshot::new(
            captured_at,
            SnapshotSource {
                cloud: Some("simulated".to_owned()),
                tenant_id: Some(self.tenant_id.clone()),
                graph: Some(graph_url.to_owned()),
            },
        );
        snapshot.managed_devices = self.devices.clone();
        snapshot.detected_apps = self
            .apps
            .iter()
            .filter(|app| {
                let name = app.app.display_name.as_deref().unwrap_or("");
                let evidence = crate::inventory::AppEvidence { name: name.into(), id: None, version: None };
                catalog.kind_of(&evidence).is_some()
            })
            .map(|app| {
                let mut graph_app = app.app.clone();
                graph_app.managed_devices =
                    app.devices.iter().map(|&d| DeviceRef { id: self.devices[d as usize].id.clone() }).collect();
                graph_app
            })
            .collect();
        snapshot.groups = (0..self.groups.len())
            .map(|g| GraphGroup {
                id: Some(Cow::Owned(self.groups[g].id.clone())),
                display_name: Some(Cow::Owned(self.groups[g].display_name.clone())),
                members: self
                    .transitive_members(g)
                    .into_iter()
                    .filter_map(|m| match m {
                        SimMember::User(u) => Some(self.user_member(u)),
                        _ => None,
                    })
                    .collect(),
            })
            .collect();
        snapshot
    }

    /// The detected-app names that look like a receiving app or Google Play services but match no
    /// name of `catalog` (what a complete read of this tenant reports as near misses).
    pub fn near_misses(&self, catalog: &AppCatalog) -> Vec<NearMiss> {
        let mut misses = NearMisses::new(catalog);
        for app in &self.apps {
            misses.observe(
                app.app.display_name.as_deref().unwrap_or(""),
                app.app.publisher.as_deref(),
                app.devices.len(),
            );
        }
        misses.into_list()
    }

    /// A user as `transitiveMembers` returns it.
    pub fn user_member(&self, user: usize) -> GraphMember {
        let u = &self.users[user];
        GraphMember {
            odata_type: Some("#microsoft.graph.user".to_owned()),
            id: Some(Cow::Owned(u.id.clone())),
            user_principal_name: Some(Cow::Owned(u.user_principal_name.clone())),
            display_name: Some(Cow::Owned(u.display_name.clone())),
        }
    }
}
