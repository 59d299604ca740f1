//! Tests of the generator: determinism, counts and ids, references between devices, apps and groups,
//! and, through the real rules, that every catalogue device gives the outcomes it exists for and that
//! every outcome of every device rule occurs in a tenant of 500 devices or more. The generator makes
//! no tenant-wide objects, so the tenant checks give whatever the inventory's tenant facts say (their
//! outcomes are shown by their own unit tests).

mod expected;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};

use super::apps::{app, APPS, CP_ANDROID_VERSIONS};
use super::catalogue::catalogue;
use super::generate;
use crate::inventory::{AndroidMode, AppCatalog, AppKind, Device, Inventory, Platform, SourceInfo};
use crate::rules::{RuleContext, RuleId, Settings, Status, REGISTRY};
use crate::sim::tenant::{SimMember, SimTenant};
use expected::EXPECTED;

/// A "now" with nanoseconds, so exact-boundary times must be written exactly.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-30T12:34:56.789012345Z").unwrap().with_timezone(&Utc)
}

/// The outcomes each device rule can give (the rules table of the delivery contract); the tenant
/// checks give n/a outside their scope and, inside it, what the inventory's tenant facts decide.
fn possible(rule: RuleId, inventory: &Inventory) -> Vec<Status> {
    use Status::*;
    match rule {
        RuleId::SupportedPlatform | RuleId::MdmEnrolled | RuleId::RecentCheckIn => vec![Pass, Fail, Unknown],
        RuleId::HasRecipient => vec![Pass, Fail],
        RuleId::PushPermission => vec![Unknown],
        RuleId::CompanyPortal | RuleId::PortalVersion | RuleId::GooglePlayServices => {
            vec![Pass, Fail, Unknown, NotApplicable]
        }
        RuleId::AppleMdmPush | RuleId::ManagedGooglePlay => vec![NotApplicable, tenant_outcome(rule, inventory)],
    }
}

/// What a tenant check gives every device in its scope, from the inventory's tenant facts.
fn tenant_outcome(rule: RuleId, inventory: &Inventory) -> Status {
    let in_scope = match rule {
        RuleId::AppleMdmPush => Device { platform: Platform::Ios, ..Default::default() },
        _ => Device {
            platform: Platform::Android,
            android_mode: Some(AndroidMode::PersonalWorkProfile),
            ..Default::default()
        },
    };
    let settings = Settings::new(now());
    (rule.rule().evaluate)(&in_scope, &RuleContext { settings: &settings, tenant: &inventory.tenant }).status
}

fn inventory(tenant: &SimTenant) -> Inventory {
    let snapshot = tenant.to_snapshot(now().to_rfc3339(), "http://127.0.0.1:1/sim");
    snapshot.to_inventory(SourceInfo::default()).unwrap()
}

/// Every device's outcome of every rule, through the registry.
fn outcomes(inventory: &Inventory) -> Vec<[Status; RuleId::COUNT]> {
    let settings = Settings::new(now());
    let context = RuleContext { settings: &settings, tenant: &inventory.tenant };
    inventory
        .devices
        .iter()
        .map(|device| std::array::from_fn(|i| (REGISTRY[i].evaluate)(device, &context).status))
        .collect()
}

#[test]
fn every_outcome_of_every_rule_occurs() {
    for (devices, seed) in [(500, 1), (500, 987_654_321), (2_000, 2)] {
        let tenant = generate(devices, seed, now());
        let inventory = inventory(&tenant);
        assert_eq!(inventory.devices.len(), devices);
        let mut seen: BTreeMap<RuleId, BTreeSet<&str>> = BTreeMap::new();
        for statuses in outcomes(&inventory) {
            for rule in RuleId::ALL {
                seen.entry(rule).or_default().insert(statuses[rule.index()].as_str());
            }
        }
        for rule in RuleId::ALL {
            let possible = possible(rule, &inventory);
            for status in &possible {
                assert!(
                    seen[&rule].contains(status.as_str()),
                    "{devices} devices, seed {seed}: {rule} never gives {}; seen {:?}",
                    status.as_str(),
                    seen[&rule]
                );
            }
            let impossible: Vec<_> =
                seen[&rule].iter().filter(|s| !possible.iter().any(|p| p.as_str() == **s)).collect();
            assert!(impossible.is_empty(), "{rule} gives {impossible:?}, outside the rules table");
        }
    }
}

#[test]
fn tenant_checks_follow_the_inventory_facts_and_their_scope() {
    let list = catalogue();
    let tenant = generate(list.len(), 5, now());
    let inventory = inventory(&tenant);
    let statuses = outcomes(&inventory);
    let label = |what: &str| list.iter().position(|edge| edge.what == what).expect("catalogue label");
    let status = |what: &str, rule: RuleId| statuses[label(what)][rule.index()];
    let apple = tenant_outcome(RuleId::AppleMdmPush, &inventory);
    let google = tenant_outcome(RuleId::ManagedGooglePlay, &inventory);
    assert_eq!(apple, Status::Unknown, "the generator makes no tenant objects: not read");
    assert_eq!(status("healthy corporate iPhone", RuleId::AppleMdmPush), apple);
    assert_eq!(status("healthy corporate iPhone", RuleId::ManagedGooglePlay), Status::NotApplicable);
    let pwp = "personal work profile with current Company Portal and Google Play services";
    assert_eq!(status(pwp, RuleId::ManagedGooglePlay), google);
    assert_eq!(status(pwp, RuleId::AppleMdmPush), Status::NotApplicable);
    for android_enterprise in [
        "fully managed, Microsoft Intune app exactly 2021.09.04",
        "dedicated kiosk: nil-GUID userId, empty UPN",
        "corporate work profile with Company Portal and Google Play services",
        "operatingSystem AndroidForWork without deviceType",
    ] {
        assert_eq!(status(android_enterprise, RuleId::ManagedGooglePlay), google, "{android_enterprise}");
    }
    for outside in [
        "corporate device administrator with nothing installed",
        "AOSP user-owned with the Microsoft Intune app",
        "Android with future enum values (androidFutureMode, androidNext)",
        "Windows with Company Portal",
    ] {
        assert_eq!(status(outside, RuleId::ManagedGooglePlay), Status::NotApplicable, "{outside}");
        assert_eq!(status(outside, RuleId::AppleMdmPush), Status::NotApplicable, "{outside}");
    }
}

#[test]
fn near_miss_app_names_are_in_the_tenant_but_not_its_snapshot() {
    let tenant = generate(3_000, 4, now());
    let misses = tenant.near_misses(&AppCatalog::default());
    let kind = |name: &str| misses.iter().find(|m| m.name == name).map(|m| (m.kind, m.devices > 0));
    assert_eq!(kind("Google Play-Dienste"), Some((AppKind::GooglePlayServices, true)));
    assert_eq!(kind("Microsoft Intune Company Portal (Preview)"), Some((AppKind::CompanyPortal, true)));
    assert_eq!(kind("Portail d’entreprise"), Some((AppKind::CompanyPortal, true)));
    assert_eq!(misses.len(), 3, "no other app of the tenant is a near miss: {misses:?}");
    let snapshot = tenant.to_snapshot(now().to_rfc3339(), "x");
    let names: BTreeSet<_> = snapshot.detected_apps.iter().filter_map(|a| a.display_name.as_deref()).collect();
    assert!(names.contains("Comp Portal"), "Comp Portal is a default name: {names:?}");
    assert!(!names.contains("Google Play-Dienste"), "a near miss is no app the rules look at");
}

#[test]
fn enrollment_times_and_shared_flags_are_generated() {
    let tenant = generate(3_000, 11, now());
    let mut zero = 0;
    let mut missing = 0;
    let mut recent = 0;
    for device in &tenant.devices {
        match device.enrolled_date_time.as_deref() {
            None => missing += 1,
            Some("0001-01-01T00:00:00Z") => zero += 1,
            Some(raw) => {
                let t = DateTime::parse_from_rfc3339(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
                if now() - t.with_timezone(&Utc) < TimeDelta::days(7) {
                    recent += 1;
                }
            }
        }
    }
    assert!(zero > 0 && missing > 0 && recent > 0, "zero {zero}, missing {missing}, recent {recent}");
    let shared = |value: bool| {
        tenant.devices.iter().filter(|d| d.hardware_information.and_then(|h| h.is_shared_device) == Some(value)).count()
    };
    assert!(shared(true) > 0 && shared(false) > 0);
}

/// The label shared by the catalogue's awkward-name devices; every other label names one entry.
const AWKWARD_NAME: &str = "awkward device name";

#[test]
fn every_catalogue_entry_has_expectations_and_every_expectation_an_entry() {
    let list = catalogue();
    let mut entries: BTreeMap<&str, usize> = BTreeMap::new();
    for edge in &list {
        *entries.entry(edge.what).or_default() += 1;
    }
    for (what, count) in &entries {
        assert!(*count == 1 || *what == AWKWARD_NAME, "{count} catalogue entries are labelled {what:?}");
    }
    assert_eq!(entries.get(AWKWARD_NAME), Some(&22), "one entry per awkward name and the long name");
    let mut rows = BTreeSet::new();
    for (what, outcomes) in EXPECTED {
        assert!(rows.insert(*what), "two rows of expectations for {what:?}");
        assert!(entries.contains_key(what), "expectations for {what:?}, which is no catalogue entry");
        assert!(!outcomes.is_empty(), "no outcome expected of {what:?}");
    }
    for what in entries.keys() {
        assert!(rows.contains(what), "catalogue entry {what:?} has no expectations");
    }
}

#[test]
fn catalogue_devices_decide_as_documented() {
    let list = catalogue();
    let expected: BTreeMap<&str, &[(RuleId, Status)]> = EXPECTED.iter().copied().collect();
    let tenant = generate(list.len(), 5, now());
    let statuses = outcomes(&inventory(&tenant));
    let mut wrong = Vec::new();
    for (i, edge) in list.iter().enumerate() {
        for &(rule, status) in expected.get(edge.what).copied().unwrap_or_default() {
            let got = statuses[i][rule.index()];
            if got != status {
                wrong.push(format!(
                    "device {i} ({}): {rule} gave {}, expected {}",
                    edge.what,
                    got.as_str(),
                    status.as_str()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn same_arguments_same_tenant() {
    let a = generate(3_000, 42, now());
    let b = generate(3_000, 42, now());
    assert_eq!(a, b);
    let json = |t: &SimTenant| serde_json::to_string(&t.to_snapshot("x".into(), "y")).unwrap();
    assert_eq!(json(&a), json(&b));
    let c = generate(3_000, 43, now());
    assert_ne!(a.tenant_id, c.tenant_id);
    assert_ne!(a.devices, c.devices);
    assert_ne!(json(&a), json(&c));
}

#[test]
fn exact_device_count_and_unique_ids() {
    for devices in [0, 1, 10, 59, 500, 1_234, 5_000] {
        let tenant = generate(devices, devices as u64, now());
        assert_eq!(tenant.devices.len(), devices);
        let ids: BTreeSet<_> = tenant.devices.iter().map(|d| d.id.as_deref().unwrap()).collect();
        assert_eq!(ids.len(), devices, "device ids repeat");
        let user_ids: BTreeSet<_> = tenant.users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(user_ids.len(), tenant.users.len(), "user ids repeat");
        let upns: BTreeSet<_> = tenant.users.iter().map(|u| u.user_principal_name.to_lowercase()).collect();
        assert_eq!(upns.len(), tenant.users.len(), "UPNs repeat");
        for device in &tenant.devices {
            if let Some(upn) = device.user_principal_name.as_deref().filter(|u| !u.is_empty()) {
                assert!(upn.to_lowercase().ends_with("@contoso.example"), "{upn}");
            }
        }
    }
}

#[test]
fn apps_reference_real_devices() {
    // (3000, 7) once gave a device the same app twice: it must be listed once.
    for (devices, seed) in [(3_000, 7), (2_500, 7), (700, 1)] {
        for app in &generate(devices, seed, now()).apps {
            assert!(app.devices.windows(2).all(|w| w[0] < w[1]), "a device listed twice: {:?}", app.app);
        }
    }
    let tenant = generate(4_000, 9, now());
    let mut combos = BTreeSet::new();
    for app in &tenant.apps {
        assert!(!app.devices.is_empty());
        assert!(app.devices.windows(2).all(|w| w[0] < w[1]), "devices not strictly ascending");
        assert!(app.devices.iter().all(|&d| (d as usize) < tenant.devices.len()));
        assert_eq!(app.app.device_count, Some(app.devices.len() as i64));
        let key = (app.app.display_name.clone(), app.app.version.clone(), app.app.platform.clone());
        assert!(combos.insert(key), "repeated name+version+platform: {:?}", app.app);
    }
    let names: BTreeSet<_> = tenant.apps.iter().filter_map(|a| a.app.display_name.as_deref()).collect();
    for name in ["Company Portal", "Intune Company Portal", "Microsoft Intune", "Google Play services"] {
        assert!(names.contains(name), "{name} missing");
    }
    // The catalogue's app indices name what they claim.
    assert_eq!(APPS[app::CP_ANDROID].versions, CP_ANDROID_VERSIONS);
    assert_eq!(APPS[app::INTUNE].name, "Microsoft Intune");
    assert_eq!(APPS[app::GPS_ALT].name, "Google Play Services");
    assert_eq!(APPS[app::SEVEN_ZIP].publisher, "Igor Pavlov");
}

#[test]
fn groups_nest_cycle_and_hold_users_without_devices() {
    let tenant = generate(2_000, 3, now());
    let by_name = |name: &str| tenant.groups.iter().position(|g| g.display_name == name).unwrap();
    assert!(tenant.groups.len() >= 10);
    let ids: BTreeSet<_> = tenant.groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids.len(), tenant.groups.len());
    // Two levels: Sales > Sales - EMEA > Sales - EMEA - France.
    let sales = tenant.transitive_members(by_name("Sales"));
    assert!(sales.contains(&SimMember::Group(by_name("Sales - EMEA - France"))));
    // The cycle terminates.
    let executives = tenant.transitive_members(by_name("Executives"));
    assert!(executives.contains(&SimMember::Group(by_name("Executive Assistants"))));
    // Users without a device are in a group.
    let with_device: BTreeSet<&str> = tenant.devices.iter().filter_map(|d| d.user_id.as_deref()).collect();
    let pilot = tenant.transitive_members(by_name("Pilot: custom notifications"));
    assert!(pilot
        .iter()
        .any(|m| matches!(m, SimMember::User(u) if !with_device.contains(tenant.users[*u].id.as_str()))));
    // Device members exist, and every member index is valid.
    assert!(tenant.groups[by_name("Kiosk devices")].members.iter().all(|m| matches!(m, SimMember::Device(_))));
    for group in &tenant.groups {
        for member in &group.members {
            match *member {
                SimMember::User(u) => assert!(u < tenant.users.len()),
                SimMember::Device(d) => assert!(d < tenant.devices.len()),
                SimMember::Group(g) => assert!(g < tenant.groups.len()),
            }
        }
    }
}

#[test]
fn sync_times_are_rfc3339_or_placeholders() {
    let tenant = generate(3_000, 11, now());
    let mut stale = 0;
    for device in &tenant.devices {
        let Some(raw) = device.last_sync_date_time.as_deref() else { continue };
        if raw == "0001-01-01T00:00:00Z" {
            continue;
        }
        assert!(raw.ends_with('Z') && raw.contains('.'), "{raw}");
        let t = DateTime::parse_from_rfc3339(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
        if now() - t.with_timezone(&Utc) > TimeDelta::days(30) {
            stale += 1;
        }
    }
    let share = stale * 1000 / tenant.devices.len();
    assert!((50..120).contains(&share), "stale share {share} per mille");
}
