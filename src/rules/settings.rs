//! What a rule may read besides the device: rule levels, the audit clock, the stale threshold and
//! the app catalogue. Defaults come from the rule catalogue; `--config FILE` (read on the app side) and
//! `--level RULE=LEVEL` override them, in that order.

use chrono::{DateTime, Utc};

use super::{Level, RuleId, REGISTRY};
use crate::error::Error;
use crate::inventory::AppCatalog;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_override() {
        let mut s = Settings::new(Utc::now());
        s.apply_level_override("company-portal=warn").unwrap();
        assert_eq!(s.level(RuleId::CompanyPortal), Level::Warn);
        assert!(s.apply_level_override("company-portal").is_err());
        assert!(s.apply_level_override("company-portal=block").is_err());
        assert!(s.apply_level_override("nope=warn").is_err());
    }
}
