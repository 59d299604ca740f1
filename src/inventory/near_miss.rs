//! Near misses: app names that look like a receiving app or Google Play services but match no
//! configured name, such as a localized `Google Play-Dienste` or a renamed
//! `Microsoft Intune Company Portal (Preview)`. The rules never count them, so a tenant whose devices
//! report such a name would see `company-portal` or `google-play-services` fail or stay unknown; the
//! summary lists them with the `--config` key that would accept each.
//!
//! Sources see every app name before they keep the ones the catalogue recognises, so they collect
//! near misses with one call per app record ([`NearMisses::observe`]) and hand the list to
//! [`super::SourceInfo::near_misses`] ([`NearMisses::into_list`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::apps::{AppCatalog, AppKind};
use super::AppEvidence;

/// One app name that looks like `kind` but matches none of its configured names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NearMiss {
    /// The name as the source reported it (trimmed).
    pub name: String,
    /// Devices reporting it, summed over the records observed (versions, platforms).
    pub devices: usize,
    pub kind: AppKind,
    /// The `--config` key whose list would accept it (`apps.google_play_services`).
    pub config_key: &'static str,
}

/// Words that mean "services" in the names Google Play services shows in other languages.
const SERVICES_WORDS: &[&str] = &[
    "servic",
    "dienst",
    "servizi",
    "serviç",
    "usług",
    "tjenest",
    "tjänst",
    "palvelu",
    "szolgáltatás",
    "služb",
    "hizmet",
    "サービス",
    "서비스",
    "服务",
    "服務",
];

/// Words that, beside "portal", mark a Company Portal under another name or language.
const PORTAL_WORDS: &[&str] = &[
    "company",
    "comp ",
    "intune",
    "microsoft",
    "entreprise",
    "unternehmen",
    "empresa",
    "aziendale",
    "bedrijf",
    "firma",
    "företag",
];

/// Microsoft apps with "Intune" in their name that receive no custom notification, and apps made for
/// Intune by others (`... for Intune`).
const NOT_RECEIVING: &[&str] = &["for intune", "browser", "tunnel", "app sdk", "wrapping"];

impl AppCatalog {
    /// The app whose configured names would accept `name` when it looks like one of them but matches
    /// none (a near miss); `None` when it matches a configured name or looks like none of them.
    /// `publisher`, where the source gives one, must be Microsoft (receiving apps) or Google
    /// (Google Play services).
    pub fn near_miss(&self, name: &str, publisher: Option<&str>) -> Option<AppKind> {
        let name = name.trim();
        let evidence = AppEvidence { name: name.into(), id: None, version: None };
        if name.is_empty() || self.kind_of(&evidence).is_some() {
            return None;
        }
        let lower = name.to_lowercase();
        let publisher = publisher.map(str::trim).filter(|p| !p.is_empty()).map(str::to_lowercase);
        let published_by = |who: &str| publisher.as_deref().is_none_or(|p| p.contains(who));
        let microsoft = publisher.as_deref().is_some_and(|p| p.contains("microsoft"));

        if lower.contains("play") && SERVICES_WORDS.iter().any(|w| lower.contains(w)) && !lower.contains(" for ar") {
            return published_by("google").then_some(AppKind::GooglePlayServices);
        }
        if NOT_RECEIVING.iter().any(|w| lower.contains(w)) || !published_by("microsoft") {
            return None;
        }
        let portal = ["portal", "portail", "ポータル"].iter().any(|w| lower.contains(w));
        if portal && (microsoft || PORTAL_WORDS.iter().any(|w| lower.contains(w))) {
            Some(AppKind::CompanyPortal)
        } else if lower.contains("intune") {
            Some(AppKind::IntuneApp)
        } else {
            None
        }
    }
}

/// Collects near misses while a source reads app records.
#[derive(Debug, Clone)]
pub struct NearMisses {
    catalog: AppCatalog,
    by_name: BTreeMap<String, NearMiss>,
}

impl NearMisses {
    /// Near misses of the names configured in `catalog`.
    pub fn new(catalog: &AppCatalog) -> Self {
        NearMisses { catalog: catalog.clone(), by_name: BTreeMap::new() }
    }

    /// Looks at one app record (a name, its publisher where the source gives one, and how many
    /// devices report it); returns whether it is a near miss. Records of one name add up.
    pub fn observe(&mut self, name: &str, publisher: Option<&str>, devices: usize) -> bool {
        let Some(kind) = self.catalog.near_miss(name, publisher) else { return false };
        let name = name.trim();
        match self.by_name.get_mut(name) {
            Some(seen) => seen.devices += devices,
            None => {
                let miss = NearMiss { name: name.to_owned(), devices, kind, config_key: kind.config_key() };
                self.by_name.insert(name.to_owned(), miss);
            }
        }
        true
    }

    /// The near misses, most devices first, then by name.
    pub fn into_list(self) -> Vec<NearMiss> {
        let mut list: Vec<NearMiss> = self.by_name.into_values().collect();
        list.sort_by(|a, b| b.devices.cmp(&a.devices).then_with(|| a.name.cmp(&b.name)));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(name: &str, publisher: Option<&str>) -> Option<AppKind> {
        AppCatalog::default().near_miss(name, publisher)
    }

    #[test]
    fn localized_and_renamed_entries_are_near_misses() {
        use AppKind::*;
        assert_eq!(near("Google Play-Dienste", None), Some(GooglePlayServices));
        assert_eq!(near("Google Play-Dienste", Some("Google LLC")), Some(GooglePlayServices));
        assert_eq!(near("Services Google Play", None), Some(GooglePlayServices));
        assert_eq!(near("Usługi Google Play", None), Some(GooglePlayServices));
        assert_eq!(near("Google Play 開発者サービス", None), Some(GooglePlayServices));
        assert_eq!(
            near("Microsoft Intune Company Portal (Preview)", Some("Microsoft Corporation")),
            Some(CompanyPortal)
        );
        assert_eq!(near("Microsoft Intune Company Portal (Preview)", None), Some(CompanyPortal));
        assert_eq!(near("Portail d'entreprise", None), Some(CompanyPortal));
        assert_eq!(near("Unternehmensportal", None), Some(CompanyPortal));
        assert_eq!(near("Portal", Some("Microsoft Corporation")), Some(CompanyPortal), "any Microsoft Portal app");
        assert_eq!(near("Microsoft Intune (Beta)", None), Some(IntuneApp));
        assert_eq!(near("Intune App", Some("Microsoft Corporation")), Some(IntuneApp));
    }

    #[test]
    fn configured_names_and_other_apps_are_not_near_misses() {
        for name in [
            "Company Portal",
            " comp portal ",
            "Intune Company Portal",
            "Microsoft Intune",
            "Google Play services",
            "Google Play Services",
            "Google Play Store",
            "Google Play Games",
            "Google Play Services for AR",
            "Microsoft Outlook",
            "Portal",
            "Citrix Secure Portal",
            "KeePassium for Intune",
            "Microsoft Intune Managed Browser",
            "Microsoft Tunnel",
            "",
        ] {
            assert_eq!(near(name, None), None, "{name:?}");
        }
        // A publisher other than the app's maker is no near miss.
        assert_eq!(near("Google Play-Dienste", Some("Contoso Apps")), None);
        assert_eq!(near("Company Portal Pro", Some("Contoso Apps")), None);
        assert_eq!(near("Intune Helper", Some("Contoso Apps")), None);
    }

    #[test]
    fn near_misses_are_configurable_away() {
        let mut catalog = AppCatalog::default();
        catalog.google_play_services.names.push("Google Play-Dienste".to_owned());
        assert_eq!(catalog.near_miss("google play-dienste", None), None, "now a configured name");
    }

    #[test]
    fn observations_add_up_per_name_and_sort_by_devices() {
        let mut misses = NearMisses::new(&AppCatalog::default());
        assert!(misses.observe("Google Play-Dienste", Some("Google LLC"), 3));
        assert!(misses.observe(" Google Play-Dienste ", None, 2));
        assert!(misses.observe("Microsoft Intune Company Portal (Preview)", None, 7));
        assert!(!misses.observe("Company Portal", None, 100));
        assert!(!misses.observe("Outlook", None, 100));
        let list = misses.into_list();
        assert_eq!(list.len(), 2);
        assert_eq!(
            list[0],
            NearMiss {
                name: "Microsoft Intune Company Portal (Preview)".into(),
                devices: 7,
                kind: AppKind::CompanyPortal,
                config_key: "apps.company_portal",
            }
        );
        assert_eq!(
            (list[1].name.as_str(), list[1].devices, list[1].config_key),
            ("Google Play-Dienste", 5, "apps.google_play_services")
        );
        let json = serde_json::to_value(&list[1]).unwrap();
        assert_eq!(json["kind"], "google-play-services");
    }
}
