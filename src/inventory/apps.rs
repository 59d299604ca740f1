//! The app catalogue: which app records are a receiving app (Company Portal, the Microsoft Intune app)
//! or Google Play services, and the minimum versions of the receiving apps (Android Company Portal,
//! the Intune app, iOS Company Portal).
//!
//! Tenants show localized or renamed entries, so names, ids and versions are configuration with the
//! defaults of the rule catalogue. It lives on the inventory side because sources use it too: the
//! Graph client and the export reader keep only the app records that it recognises.

use serde::Serialize;

use super::{AppEvidence, Device, Platform};

/// What app evidence can prove, true of every audit (the app-inventory coverage of Intune).
pub const APP_INVENTORY_CAVEAT: &str = "App inventory on personally-owned devices lists managed apps only, \
Android Enterprise inventories list few system apps, and inventory refreshes every 7 days from enrollment: a \
missing Company Portal or Google Play services there, or on a device enrolled less than 7 days ago, is \
unknown, not a fail.";

/// Which receiving app (or Google Play services) an app record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppKind {
    CompanyPortal,
    IntuneApp,
    GooglePlayServices,
}

impl AppKind {
    /// The app's name in sentences.
    pub fn label(self) -> &'static str {
        match self {
            AppKind::CompanyPortal => "Company Portal",
            AppKind::IntuneApp => "Microsoft Intune app",
            AppKind::GooglePlayServices => "Google Play services",
        }
    }

    /// The `--config` key (table `[apps]`) that lists this app's names.
    pub fn config_key(self) -> &'static str {
        match self {
            AppKind::CompanyPortal => "apps.company_portal",
            AppKind::IntuneApp => "apps.intune_app",
            AppKind::GooglePlayServices => "apps.google_play_services",
        }
    }
}

/// Names and ids of one app, matched case-insensitively after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppIdentity {
    pub names: Vec<String>,
    pub ids: Vec<String>,
}

impl AppIdentity {
    fn new(names: &[&str], ids: &[&str]) -> Self {
        AppIdentity {
            names: names.iter().map(|s| s.to_string()).collect(),
            ids: ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Names and ids are stored trimmed ([`AppIdentity::new`], the configuration), so only the app's
    /// side is trimmed here, once.
    pub fn matches(&self, app: &AppEvidence) -> bool {
        let name = app.name.trim();
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
            || app.id.as_deref().map(str::trim).is_some_and(|id| self.ids.iter().any(|i| i.eq_ignore_ascii_case(id)))
    }
}

/// The apps the rules look for, with the minimum versions of the receiving apps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCatalog {
    pub company_portal: AppIdentity,
    pub intune_app: AppIdentity,
    pub google_play_services: AppIdentity,
    /// Android Company Portal.
    pub company_portal_min_version: String,
    pub intune_app_min_version: String,
    pub ios_company_portal_min_version: String,
}

impl Default for AppCatalog {
    fn default() -> Self {
        AppCatalog {
            company_portal: AppIdentity::new(
                // `Comp Portal` is how iOS devices report it.
                &["Company Portal", "Comp Portal", "Intune Company Portal", "Microsoft Intune Company Portal"],
                &["com.microsoft.windowsintune.companyportal", "com.microsoft.CompanyPortal"],
            ),
            intune_app: AppIdentity::new(&["Microsoft Intune", "Intune"], &["com.microsoft.intune"]),
            google_play_services: AppIdentity::new(
                &["Google Play services", "Google Play Services"],
                &["com.google.android.gms"],
            ),
            company_portal_min_version: "5.0.5291.0".to_owned(),
            intune_app_min_version: "2021.09.04".to_owned(),
            ios_company_portal_min_version: "5.2311.1".to_owned(),
        }
    }
}

impl AppCatalog {
    /// What an app record is, if the rules care about it.
    pub fn kind_of(&self, app: &AppEvidence) -> Option<AppKind> {
        if self.company_portal.matches(app) {
            Some(AppKind::CompanyPortal)
        } else if self.intune_app.matches(app) {
            Some(AppKind::IntuneApp)
        } else if self.google_play_services.matches(app) {
            Some(AppKind::GooglePlayServices)
        } else {
            None
        }
    }

    /// The receiving apps found on a device: Company Portal anywhere, the Intune app on Android only.
    pub fn receiving_apps<'a>(&'a self, device: &'a Device) -> impl Iterator<Item = (AppKind, &'a AppEvidence)> + 'a {
        let android = device.platform == Platform::Android;
        device.apps.iter().filter_map(move |app| match self.kind_of(app) {
            Some(AppKind::CompanyPortal) => Some((AppKind::CompanyPortal, app)),
            Some(AppKind::IntuneApp) if android => Some((AppKind::IntuneApp, app)),
            _ => None,
        })
    }

    /// Whether Google Play services is among the device's apps.
    pub fn has_google_play_services(&self, device: &Device) -> bool {
        device.apps.iter().any(|app| self.google_play_services.matches(app))
    }

    /// The minimum version of a receiving app on a platform (`None` where there is none).
    pub fn min_version(&self, kind: AppKind, platform: Platform) -> Option<&str> {
        match (kind, platform) {
            (AppKind::CompanyPortal, Platform::Android) => Some(&self.company_portal_min_version),
            (AppKind::IntuneApp, Platform::Android) => Some(&self.intune_app_min_version),
            (AppKind::CompanyPortal, Platform::Ios) => Some(&self.ios_company_portal_min_version),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_matching_is_trimmed_and_case_insensitive() {
        let catalog = AppCatalog::default();
        let app =
            |name: &str, id: Option<&str>| AppEvidence { name: name.into(), id: id.map(Into::into), version: None };
        assert_eq!(catalog.kind_of(&app(" company portal ", None)), Some(AppKind::CompanyPortal));
        assert_eq!(catalog.kind_of(&app("Comp Portal", None)), Some(AppKind::CompanyPortal));
        assert_eq!(catalog.kind_of(&app("x", Some("com.microsoft.intune"))), Some(AppKind::IntuneApp));
        assert_eq!(catalog.kind_of(&app("GOOGLE PLAY SERVICES", None)), Some(AppKind::GooglePlayServices));
        assert_eq!(catalog.kind_of(&app("Outlook", None)), None);
    }

    #[test]
    fn minimum_versions_by_app_and_platform() {
        let catalog = AppCatalog::default();
        assert_eq!(catalog.min_version(AppKind::CompanyPortal, Platform::Android), Some("5.0.5291.0"));
        assert_eq!(catalog.min_version(AppKind::IntuneApp, Platform::Android), Some("2021.09.04"));
        assert_eq!(catalog.min_version(AppKind::CompanyPortal, Platform::Ios), Some("5.2311.1"));
        assert_eq!(catalog.min_version(AppKind::IntuneApp, Platform::Ios), None);
        assert_eq!(catalog.min_version(AppKind::GooglePlayServices, Platform::Android), None);
        assert_eq!(catalog.min_version(AppKind::CompanyPortal, Platform::Other), None);
    }
}
