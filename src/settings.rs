//! What a run is configured with: rule levels, the audit clock, the stale threshold and the names
//! that identify the receiving apps. Defaults come from PREREQUISITES.md; `--config FILE` (TOML) and
//! `--level RULE=LEVEL` override them, in that order.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::error::Error;
use crate::inventory::{AppEvidence, Device};
use crate::rules::{Level, RuleId, REGISTRY};

/// Which receiving app (or Google Play services) an app record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppKind {
    CompanyPortal,
    IntuneApp,
    GooglePlayServices,
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

/// The apps the rules look for, with the minimum versions of the receiving apps on Android.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCatalog {
    pub company_portal: AppIdentity,
    pub intune_app: AppIdentity,
    pub google_play_services: AppIdentity,
    pub company_portal_min_version: String,
    pub intune_app_min_version: String,
}

impl Default for AppCatalog {
    fn default() -> Self {
        AppCatalog {
            company_portal: AppIdentity::new(
                &["Company Portal", "Intune Company Portal", "Microsoft Intune Company Portal"],
                &["com.microsoft.windowsintune.companyportal", "com.microsoft.CompanyPortal"],
            ),
            intune_app: AppIdentity::new(&["Microsoft Intune", "Intune"], &["com.microsoft.intune"]),
            google_play_services: AppIdentity::new(
                &["Google Play services", "Google Play Services"],
                &["com.google.android.gms"],
            ),
            company_portal_min_version: "5.0.5291.0".to_owned(),
            intune_app_min_version: "2021.09.04".to_owned(),
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
        let android = device.platform == crate::inventory::Platform::Android;
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

    /// The minimum version for a receiving app on Android.
    pub fn min_version(&self, kind: AppKind) -> Option<&str> {
        match kind {
            AppKind::CompanyPortal => Some(&self.company_portal_min_version),
            AppKind::IntuneApp => Some(&self.intune_app_min_version),
            AppKind::GooglePlayServices => None,
        }
    }
}

/// Everything a rule may read besides the device.
#[derive(Debug, Clone)]
pub struct Settings {
    pub levels: [Level; RuleId::COUNT],
    pub stale_days: u32,
    pub as_of: DateTime<Utc>,
    pub apps: AppCatalog,
}

impl Settings {
    pub fn new(as_of: DateTime<Utc>) -> Self {
        Settings {
            levels: std::array::from_fn(|i| REGISTRY[i].default_level),
            stale_days: 30,
            as_of,
            apps: AppCatalog::default(),
        }
    }

    pub fn level(&self, rule: RuleId) -> Level {
        self.levels[rule.index()]
    }

    /// Applies a TOML configuration file (see README "Configuration").
    pub fn apply_config_file(&mut self, path: &Path) -> Result<(), Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
        let config: ConfigFile = toml::from_str(&text).map_err(|e| {
            let location = e
                .span()
                .map(|span| {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}: ")
                })
                .unwrap_or_default();
            Error::input(path, format!("{location}{}", e.message()))
        })?;
        self.apply_config(config).map_err(|message| Error::input(path, message))
    }

    fn apply_config(&mut self, config: ConfigFile) -> Result<(), String> {
        for (rule, level) in config.levels {
            let rule: RuleId = rule.parse().map_err(|e| format!("[levels]: {e}"))?;
            let level: Level = level.parse().map_err(|e| format!("[levels] {rule}: {e}"))?;
            self.levels[rule.index()] = level;
        }
        if let Some(days) = config.stale_days {
            self.stale_days = days;
        }
        let apps = config.apps;
        let replace = |target: &mut Vec<String>, value: Option<Vec<String>>| {
            if let Some(value) = value {
                *target = value.into_iter().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect();
            }
        };
        replace(&mut self.apps.company_portal.names, apps.company_portal);
        replace(&mut self.apps.company_portal.ids, apps.company_portal_ids);
        replace(&mut self.apps.intune_app.names, apps.intune_app);
        replace(&mut self.apps.intune_app.ids, apps.intune_app_ids);
        replace(&mut self.apps.google_play_services.names, apps.google_play_services);
        replace(&mut self.apps.google_play_services.ids, apps.google_play_services_ids);
        if let Some(v) = apps.company_portal_min_version {
            self.apps.company_portal_min_version = v;
        }
        if let Some(v) = apps.intune_app_min_version {
            self.apps.intune_app_min_version = v;
        }
        Ok(())
    }

    /// Applies one `--level RULE=LEVEL` override.
    pub fn apply_level_override(&mut self, spec: &str) -> Result<(), Error> {
        let (rule, level) = spec
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--level {spec}: expected RULE=deny|warn|allow")))?;
        let rule: RuleId = rule.parse().map_err(|e| Error::Usage(format!("--level {spec}: {e}")))?;
        let level: Level = level.parse().map_err(|e| Error::Usage(format!("--level {spec}: {e}")))?;
        self.levels[rule.index()] = level;
        Ok(())
    }
}

/// The `--config` file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    levels: BTreeMap<String, String>,
    stale_days: Option<u32>,
    #[serde(default)]
    apps: AppsConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppsConfig {
    company_portal: Option<Vec<String>>,
    company_portal_ids: Option<Vec<String>>,
    intune_app: Option<Vec<String>>,
    intune_app_ids: Option<Vec<String>>,
    google_play_services: Option<Vec<String>>,
    google_play_services_ids: Option<Vec<String>>,
    company_portal_min_version: Option<String>,
    intune_app_min_version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn settings() -> Settings {
        Settings::new(Utc::now())
    }

    #[test]
    fn config_file_overrides_levels_days_and_names() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "stale_days = 14\n[levels]\nrecent-check-in = \"deny\"\npush-permission = \"warn\"\n[apps]\ncompany_portal = [\"Portail d'entreprise\"]"
        )
        .unwrap();
        let mut s = settings();
        s.apply_config_file(file.path()).unwrap();
        assert_eq!(s.stale_days, 14);
        assert_eq!(s.level(RuleId::RecentCheckIn), Level::Deny);
        assert_eq!(s.level(RuleId::PushPermission), Level::Warn);
        assert_eq!(s.level(RuleId::CompanyPortal), Level::Deny);
        assert_eq!(s.apps.company_portal.names, vec!["Portail d'entreprise".to_owned()]);
    }

    #[test]
    fn bad_config_names_file_line_and_rule() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "[levels]\nno-such-rule = \"deny\"").unwrap();
        let err = settings().apply_config_file(file.path()).unwrap_err().to_string();
        assert!(err.contains("no-such-rule"), "{err}");
        assert!(err.contains(&file.path().display().to_string()), "{err}");

        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "stale_days = 1\nstale_dayz = 3").unwrap();
        let err = settings().apply_config_file(file.path()).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn level_override() {
        let mut s = settings();
        s.apply_level_override("company-portal=warn").unwrap();
        assert_eq!(s.level(RuleId::CompanyPortal), Level::Warn);
        assert!(s.apply_level_override("company-portal").is_err());
        assert!(s.apply_level_override("company-portal=block").is_err());
        assert!(s.apply_level_override("nope=warn").is_err());
    }

    #[test]
    fn app_matching_is_trimmed_and_case_insensitive() {
        let catalog = AppCatalog::default();
        let app =
            |name: &str, id: Option<&str>| AppEvidence { name: name.into(), id: id.map(Into::into), version: None };
        assert_eq!(catalog.kind_of(&app(" company portal ", None)), Some(AppKind::CompanyPortal));
        assert_eq!(catalog.kind_of(&app("x", Some("com.microsoft.intune"))), Some(AppKind::IntuneApp));
        assert_eq!(catalog.kind_of(&app("GOOGLE PLAY SERVICES", None)), Some(AppKind::GooglePlayServices));
        assert_eq!(catalog.kind_of(&app("Outlook", None)), None);
    }
}
