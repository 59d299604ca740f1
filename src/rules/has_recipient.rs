//! `has-recipient`: TODO (being written).

use super::{Level, Outcome, Rule, RuleId};
use crate::inventory::Device;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    id: RuleId::HasRecipient,
    default_level: Level::Deny,
    checks: "TODO",
    fail_means: "TODO",
    fix: "TODO",
    evaluate,
};

fn evaluate(_device: &Device, _settings: &Settings) -> Outcome {
    Outcome::unknown("TODO")
}
