//! The `--config FILE` (TOML): rule levels, `stale_days` and the app catalogue's names, ids and
//! minimum versions (Android Company Portal, Intune app, iOS Company Portal). Unknown keys are errors naming the file and line, so a typo never silently
//! leaves a default in place.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::Error;
use crate::rules::settings::Settings;
use crate::rules::{Level, RuleId};

/// Applies a TOML configuration file to `settings` (see README "Configuration").
pub fn apply_file(settings: &mut Settings, path: &Path) -> Result<(), Error> {
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
    apply(settings, config).map_err(|message| Error::input(path, message))
}

fn apply(settings: &mut Settings, config: ConfigFile) -> Result<(), String> {
    for (rule, level) in config.levels {
        let rule: RuleId = rule.parse().map_err(|e| format!("[levels]: {e}"))?;
        let level: Level = level.parse().map_err(|e| format!("[levels] {rule}: {e}"))?;
        settings.levels[rule.index()] = level;
    }
    if let Some(days) = config.stale_days {
        settings.stale_days = days;
    }
    let apps = config.apps;
    let catalog = &mut settings.apps;
    let replace = |target: &mut Vec<String>, value: Option<Vec<String>>| {
        if let Some(value) = value {
            *target = value.into_iter().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect();
        }
    };
    replace(&mut catalog.company_portal.names, apps.company_portal);
    replace(&mut catalog.company_portal.ids, apps.company_portal_ids);
    replace(&mut catalog.intune_app.names, apps.intune_app);
    replace(&mut catalog.intune_app.ids, apps.intune_app_ids);
    replace(&mut catalog.google_play_services.names, apps.google_play_services);
    replace(&mut catalog.google_play_services.ids, apps.google_play_services_ids);
    if let Some(v) = apps.company_portal_min_version {
        catalog.company_portal_min_version = v;
    }
    if let Some(v) = apps.intune_app_min_version {
        catalog.intune_app_min_version = v;
    }
    if let Some(v) = apps.ios_company_portal_min_version {
        catalog.ios_company_portal_min_version = v;
    }
    Ok(())
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
    ios_company_portal_min_version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use std::io::Write;

    fn settings() -> Settings {
        Settings::new(Utc::now())
    }

    #[test]
    fn config_file_overrides_levels_days_and_names() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "stale_days = 14\n[levels]\nrecent-check-in = \"deny\"\npush-permission = \"warn\"\napple-mdm-push = \"deny\"\n[apps]\ncompany_portal = [\"Portail d'entreprise\"]\nios_company_portal_min_version = \"5.2401.0\""
        )
        .unwrap();
        let mut s = settings();
        apply_file(&mut s, file.path()).unwrap();
        assert_eq!(s.stale_days, 14);
        assert_eq!(s.level(RuleId::RecentCheckIn), Level::Deny);
        assert_eq!(s.level(RuleId::PushPermission), Level::Warn);
        assert_eq!(s.level(RuleId::CompanyPortal), Level::Deny);
        assert_eq!(s.apps.company_portal.names, vec!["Portail d'entreprise".to_owned()]);
        assert_eq!(s.level(RuleId::AppleMdmPush), Level::Deny);
        assert_eq!(s.apps.ios_company_portal_min_version, "5.2401.0");
        assert_eq!(s.apps.company_portal_min_version, "5.0.5291.0", "the Android minimum is untouched");
    }

    #[test]
    fn bad_config_names_file_line_and_rule() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "[levels]\nno-such-rule = \"deny\"").unwrap();
        let err = apply_file(&mut settings(), file.path()).unwrap_err().to_string();
        assert!(err.contains("no-such-rule"), "{err}");
        assert!(err.contains(&file.path().display().to_string()), "{err}");

        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "stale_days = 1\nstale_dayz = 3").unwrap();
        let err = apply_file(&mut settings(), file.path()).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
