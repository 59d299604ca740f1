//! `mdm-enrolled`: is the device MDM-enrolled in Intune, and not on its way out?
//!
//! Custom notifications go only to MDM-enrolled devices; Exchange-only records (`eas`) and other
//! non-MDM agents are not enrolled, and a device being retired, wiped or deleted is leaving. The
//! agent and the state are judged separately and combined so that fail wins over unknown and unknown
//! over pass (docs/rules.md; values from the Graph
//! `managementAgentType` and `managementState` enums).

use std::borrow::Cow;

use super::{Level, Outcome, Rule, RuleContext, RuleId, Status};
use crate::inventory::Device;

pub const RULE: Rule = Rule {
    id: RuleId::MdmEnrolled,
    default_level: Level::Deny,
    checks: "The device is MDM-enrolled in Intune and is not being retired, wiped or deleted.",
    fail_means: "Intune sends custom notifications only to MDM-enrolled devices; this one gets none.",
    fix: "Enroll the device in Intune MDM; Exchange-only or app-protection management is not enough.",
    decision: &[
        (Status::Pass, "`managementAgent` is an MDM agent (mdm, easMdm, configurationManagerClientMdm, configurationManagerClientMdmEas, googleCloudDevicePolicyController, intuneAosp, microsoft365ManagedMdm, google) and `managementState` is absent or `managed`."),
        (Status::Fail, "the agent is a known non-MDM value (eas, easIntuneClient, intuneClient, configurationManagerClient, jamf, msSense, unknown), or the state is retirePending, retireFailed, retireIssued, wipePending, wipeFailed, wipeIssued or deletePending (fail wins over unknown)."),
        (Status::Unknown, "the agent is missing or unrecognised, or the state is any other value (unhealthy, discovered, retireCanceled, wipeCanceled, ...)."),
    ],
    sources: &[
        "Intune custom notifications: MDM-enrolled devices only (memdocs: intune/intune-service/remote-actions/custom-notifications.md)",
        "Graph enums managementAgentType and managementState (msgraph-metadata: schemas/v1.0-Prod.csdl)",
    ],
    caveat: None,
    evaluate,
};

/// `managementAgent` values that are MDM enrollment in Intune.
const MDM_AGENTS: &[&str] = &[
    "mdm",
    "easMdm",
    "configurationManagerClientMdm",
    "configurationManagerClientMdmEas",
    "googleCloudDevicePolicyController",
    "intuneAosp",
    "microsoft365ManagedMdm",
    "google",
];

/// Known `managementAgent` values that are not MDM enrollment in Intune.
const NON_MDM_AGENTS: &[&str] =
    &["eas", "easIntuneClient", "intuneClient", "configurationManagerClient", "jamf", "msSense", "unknown"];

/// `managementState` values of a device that is being retired, wiped or deleted.
const LEAVING_STATES: &[&str] =
    &["retirePending", "retireFailed", "retireIssued", "wipePending", "wipeFailed", "wipeIssued", "deletePending"];

fn is_one_of(value: &str, list: &[&str]) -> bool {
    list.iter().any(|known| known.eq_ignore_ascii_case(value))
}

/// A present, non-blank value, trimmed.
fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn evaluate(device: &Device, _context: &RuleContext<'_>) -> Outcome {
    let agent = present(device.management_agent.as_deref());
    let state = present(device.management_state.as_deref());

    // The common case first, without building a sentence per device.
    if agent.is_some_and(|a| is_one_of(a, MDM_AGENTS)) {
        match state {
            None => return Outcome::pass("the management agent is an MDM enrollment in Intune"),
            Some(s) if s.eq_ignore_ascii_case("managed") => {
                return Outcome::pass("the management agent is an MDM enrollment and the device is managed")
            }
            Some(_) => {}
        }
    }
    let agent_outcome = match agent {
        Some(a) if is_one_of(a, MDM_AGENTS) => Outcome::pass(format!("management agent `{a}` is MDM enrollment")),
        Some(a) if is_one_of(a, NON_MDM_AGENTS) => {
            Outcome::fail(format!("management agent `{a}` is not MDM enrollment in Intune"))
        }
        Some(a) => Outcome::unknown(format!("management agent `{a}` is not a recognised value")),
        None => Outcome::unknown("the device reports no management agent"),
    };
    let state_outcome = match state {
        None => None,
        Some(s) if s.eq_ignore_ascii_case("managed") => Some(Outcome::pass("the device is managed")),
        Some(s) if is_one_of(s, LEAVING_STATES) => {
            Some(Outcome::fail(format!("the device is being retired, wiped or deleted (management state `{s}`)")))
        }
        Some(s) => Some(Outcome::unknown(format!("management state `{s}` does not confirm the device is managed"))),
    };
    match state_outcome {
        None => agent_outcome,
        Some(state_outcome) => combine(agent_outcome, state_outcome),
    }
}

/// Fail wins over unknown, unknown over pass; reasons of the winning status are joined.
fn combine(a: Outcome, b: Outcome) -> Outcome {
    fn rank(status: Status) -> u8 {
        match status {
            Status::Fail => 3,
            Status::Unknown => 2,
            Status::Pass => 1,
            Status::NotApplicable => 0,
        }
    }
    match rank(a.status).cmp(&rank(b.status)) {
        std::cmp::Ordering::Greater => a,
        std::cmp::Ordering::Less => b,
        std::cmp::Ordering::Equal => {
            let joiner = if a.status == Status::Pass { " and " } else { "; " };
            Outcome { status: a.status, reason: Cow::Owned(format!("{}{joiner}{}", a.reason, b.reason)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{check, evaluate_default};

    fn run(agent: Option<&str>, state: Option<&str>) -> Outcome {
        let device = Device {
            management_agent: agent.map(Into::into),
            management_state: state.map(Into::into),
            ..Default::default()
        };
        evaluate_default(evaluate, &device)
    }

    #[test]
    fn every_mdm_agent_passes_with_state_absent_or_managed() {
        for agent in MDM_AGENTS {
            check(run(Some(agent), None), Status::Pass);
            let reason = check(run(Some(agent), Some("managed")), Status::Pass);
            assert!(reason.contains("managed"), "{reason}");
        }
    }

    #[test]
    fn values_are_trimmed_and_case_insensitive() {
        check(run(Some(" MDM "), Some(" Managed ")), Status::Pass);
        check(run(Some("EASMDM"), None), Status::Pass);
        check(run(Some("EAS"), Some("managed")), Status::Fail);
        check(run(Some("mdm"), Some(" WIPEPENDING ")), Status::Fail);
    }

    #[test]
    fn every_known_non_mdm_agent_fails() {
        for agent in NON_MDM_AGENTS {
            let reason = check(run(Some(agent), None), Status::Fail);
            assert!(reason.contains(agent), "{reason}");
            check(run(Some(agent), Some("managed")), Status::Fail);
        }
    }

    #[test]
    fn literal_unknown_agent_is_a_known_non_mdm_value() {
        check(run(Some("unknown"), None), Status::Fail);
    }

    #[test]
    fn leaving_states_fail_whatever_the_agent() {
        for state in LEAVING_STATES {
            let reason = check(run(Some("mdm"), Some(state)), Status::Fail);
            assert!(reason.contains(state), "{reason}");
            check(run(None, Some(state)), Status::Fail);
            check(run(Some("unknownFutureValue"), Some(state)), Status::Fail);
            // Both fail: both reasons are given.
            let reason = check(run(Some("eas"), Some(state)), Status::Fail);
            assert!(reason.contains("eas") && reason.contains(state), "{reason}");
        }
    }

    #[test]
    fn other_states_are_unknown_for_an_mdm_agent() {
        for state in ["unhealthy", "discovered", "retireCanceled", "wipeCanceled", "unknownFutureValue", "zzz"] {
            let reason = check(run(Some("mdm"), Some(state)), Status::Unknown);
            assert!(reason.contains(state), "{reason}");
        }
    }

    #[test]
    fn non_mdm_agent_fails_even_when_the_state_is_unknown() {
        check(run(Some("eas"), Some("unhealthy")), Status::Fail);
    }

    #[test]
    fn missing_or_unrecognised_agent_is_unknown() {
        check(run(None, None), Status::Unknown);
        check(run(Some("   "), None), Status::Unknown);
        check(run(None, Some("managed")), Status::Unknown);
        let reason = check(run(Some("unknownFutureValue"), Some("managed")), Status::Unknown);
        assert!(reason.contains("unknownFutureValue"), "{reason}");
        check(run(Some("somethingNew"), Some("discovered")), Status::Unknown);
    }

    #[test]
    fn blank_state_counts_as_absent() {
        check(run(Some("mdm"), Some("  ")), Status::Pass);
    }
}
