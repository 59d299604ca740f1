//! Least privilege, in one place: the Microsoft Graph permissions each feature needs, which request
//! paths need which, and what an access token says it was granted. Everything that speaks of
//! permissions reads this table: the `permissions` command prints it, a delegated sign-in asks for
//! its scopes from it ([`delegated_audit_scopes`]), a 403 names the missing permission from it
//! ([`forbidden_hint`]), and a send checks its permission with [`token_grants`] before sending.
//!
//! Graph's Intune and directory permissions carry the same name as an application permission (app-only
//! sign-in: secret, certificate, federated token, managed identity) and as a delegated scope (an admin
//! signing in with `--interactive` or `--device-code`). A delegated read is also limited by the admin's
//! Intune role: Intune checks its own role-based access on top of the scope.
//!
//! Tokens are never validated here: the payload of a JWT access token is decoded only to read its
//! `roles` (application permissions) or `scp` (delegated scopes), for a message or a pre-check. Graph
//! decides. A token that is not a JWT, or carries neither claim, gives "unknown" (`None`).

use base64::Engine as _;
use serde::Serialize;

/// One feature's permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Need {
    /// The feature as the command line names it: `audit`, `--group`, `tenant checks`, `send`, ...
    pub feature: &'static str,
    /// What it reads or does.
    pub purpose: &'static str,
    /// The least-privileged permission (the same name as application permission and delegated scope).
    pub permission: &'static str,
    /// Broader permissions that include it: any one of them is enough too.
    pub also_granted_by: &'static [&'static str],
    /// Whether `--interactive` and `--device-code` ask for it (the audit's reads).
    pub requested_by_delegated_sign_in: bool,
    /// The Intune role an admin signing in also needs for it, if Intune checks one.
    pub intune_role: Option<&'static str>,
    /// Anything else to know.
    pub note: Option<&'static str>,
    /// What to grant when Graph refuses a request although the token has `permission` (a 403 says it).
    #[serde(skip)]
    pub refused_anyway: Option<&'static str>,
    /// Pieces of the request paths that need it (matched case-insensitively; the longest match wins).
    #[serde(skip)]
    pub paths: &'static [&'static str],
}

const MANAGED_DEVICES_READ: &str = "DeviceManagementManagedDevices.Read.All";
/// The permission of the `send` command.
pub const SEND_PERMISSION: &str = "DeviceManagementServiceConfig.ReadWrite.All";

/// Every permission intune-reach may need, feature by feature.
pub const NEEDS: &[Need] = &[
    Need {
        feature: "audit",
        purpose: "managed devices, detected apps and the device overview",
        permission: MANAGED_DEVICES_READ,
        also_granted_by: &["DeviceManagementManagedDevices.ReadWrite.All"],
        requested_by_delegated_sign_in: true,
        intune_role: Some("one that reads managed devices and apps (e.g. Read Only Operator)"),
        note: None,
        refused_anyway: None,
        paths: &[
            "/deviceManagement/managedDevices",
            "/deviceManagement/managedDeviceOverview",
            "/deviceManagement/detectedApps",
            "/$batch",
        ],
    },
    Need {
        feature: "--group",
        purpose: "the transitive user members of the target groups",
        permission: "GroupMember.Read.All",
        also_granted_by: &["Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
        requested_by_delegated_sign_in: true,
        intune_role: None,
        note: None,
        refused_anyway: None,
        paths: &["/groups/"],
    },
    Need {
        feature: "tenant checks",
        purpose: "the Apple MDM push certificate (apple-mdm-push)",
        permission: "DeviceManagementServiceConfig.Read.All",
        also_granted_by: &["DeviceManagementServiceConfig.ReadWrite.All"],
        requested_by_delegated_sign_in: true,
        intune_role: Some("one that reads the tenant's settings (e.g. Read Only Operator)"),
        note: Some("without it the rule is unknown, never a failure"),
        refused_anyway: None,
        paths: &["/deviceManagement/applePushNotificationCertificate"],
    },
    Need {
        feature: "tenant checks",
        purpose: "the managed Google Play binding (managed-google-play)",
        permission: "DeviceManagementConfiguration.Read.All",
        also_granted_by: &["DeviceManagementConfiguration.ReadWrite.All"],
        requested_by_delegated_sign_in: true,
        intune_role: Some("one that reads the tenant's settings (e.g. Read Only Operator)"),
        note: Some("without it the rule is unknown, never a failure"),
        refused_anyway: None,
        paths: &["/deviceManagement/androidManagedStoreAccountEnterpriseSettings"],
    },
    Need {
        feature: "--devices-via export",
        purpose: "Intune's Devices report (and AppInvRawData, --apps-via export) through report export jobs",
        permission: MANAGED_DEVICES_READ,
        also_granted_by: &["DeviceManagementManagedDevices.ReadWrite.All"],
        requested_by_delegated_sign_in: false,
        intune_role: Some("one that reads managed devices (e.g. Read Only Operator)"),
        note: Some(
            "reading a job takes Read.All, but Graph's reference page for creating one lists only ReadWrite \
             permissions (DeviceManagementManagedDevices.ReadWrite.All, DeviceManagementConfiguration.ReadWrite.All, \
             DeviceManagementApps.ReadWrite.All): if the tenant refuses to create a job with Read.All, grant \
             DeviceManagementManagedDevices.ReadWrite.All",
        ),
        refused_anyway: Some(
            "Graph's reference page for creating an export job lists only ReadWrite permissions: grant \
             DeviceManagementManagedDevices.ReadWrite.All, or read the devices with --devices-via list",
        ),
        paths: &["/deviceManagement/reports/exportJobs"],
    },
    Need {
        feature: "send",
        purpose: "sending the custom notification (to groups or devices)",
        permission: SEND_PERMISSION,
        also_granted_by: &["DeviceManagementManagedDevices.ReadWrite.All"],
        requested_by_delegated_sign_in: false,
        intune_role: Some(
            "with Organization > Update (group sends) or Remote tasks > Send custom notifications (device sends), \
             e.g. Intune Administrator",
        ),
        note: Some(
            "checked in the token before the first send, and asked for by a delegated sign-in of `send` only; an \
             audit never needs it. Graph's reference pages of the two send actions list \
             DeviceManagementManagedDevices.ReadWrite.All, so it is accepted too",
        ),
        refused_anyway: None,
        paths: &["/sendCustomNotificationToCompanyPortal"],
    },
];

/// The scope that asks Entra for a refresh token.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// The scopes of a delegated sign-in: the audit's read permissions on the `graph` host, then
/// `offline_access` (a refresh token, kept in memory only).
pub fn delegated_audit_scopes(graph: &str) -> Vec<String> {
    delegated_scopes(graph, &[])
}

/// The audit's delegated scopes and the permissions `also` (`send` asks for its own), then
/// `offline_access`.
pub fn delegated_scopes(graph: &str, also: &[&str]) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    let audit = NEEDS.iter().filter(|n| n.requested_by_delegated_sign_in).map(|n| n.permission);
    for permission in audit.chain(also.iter().copied()) {
        let scope = format!("{}/{}", graph.trim_end_matches('/'), permission);
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes.push(OFFLINE_ACCESS.to_owned());
    scopes
}

/// The need of a Graph request path (with or without `/beta`, `/v1.0` and a query), if any.
pub fn need_for_path(path: &str) -> Option<&'static Need> {
    let path = path.split(['?', '#']).next().unwrap_or("").to_ascii_lowercase();
    NEEDS
        .iter()
        .flat_map(|need| need.paths.iter().map(move |piece| (need, piece)))
        .filter(|(_, piece)| path.contains(&piece.to_ascii_lowercase()))
        .max_by_key(|(_, piece)| piece.len())
        .map(|(need, _)| need)
}

/// What an access token says it was granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grants {
    /// An app-only token's `roles` (application permissions).
    Roles(Vec<String>),
    /// A delegated token's `scp` (the scopes the signed-in person consented to).
    Scopes(Vec<String>),
}

impl Grants {
    /// Reads the `roles` or `scp` claim of a JWT access token; `None` when it is not a JWT or has neither.
    pub fn of_token(token: &str) -> Option<Grants> {
        let payload = token.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        if let Some(roles) = claims.get("roles").and_then(|r| r.as_array()) {
            return Some(Grants::Roles(roles.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect()));
        }
        let scopes = claims.get("scp")?.as_str()?;
        Some(Grants::Scopes(scopes.split_whitespace().map(str::to_owned).collect()))
    }

    fn names(&self) -> &[String] {
        match self {
            Grants::Roles(names) | Grants::Scopes(names) => names,
        }
    }

    /// Whether these grants include `permission` or a broader permission the table names for it.
    pub fn include(&self, permission: &str) -> bool {
        let broader =
            NEEDS.iter().filter(|n| n.permission.eq_ignore_ascii_case(permission)).flat_map(|n| n.also_granted_by);
        let wanted: Vec<&str> = std::iter::once(permission).chain(broader.copied()).collect();
        self.names().iter().any(|name| wanted.iter().any(|w| w.eq_ignore_ascii_case(name)))
    }

    /// `roles: a, b` or `scopes: a, b`, for a message (the names only, never the token).
    fn describe(&self) -> String {
        let (label, names) = match self {
            Grants::Roles(names) => ("its application permissions", names),
            Grants::Scopes(names) => ("its delegated scopes", names),
        };
        let names: Vec<&str> = names.iter().map(|n| n.rsplit('/').next().unwrap_or(n)).collect();
        match names.is_empty() {
            true => format!("{label}: none"),
            false => format!("{label}: {}", names.join(", ")),
        }
    }
}

/// Whether `token` grants `permission` (or a broader one): `Some(true)` or `Some(false)` from its
/// `roles` or `scp` claim, `None` when the token does not say (not a JWT, neither claim). For messages
/// and pre-checks only: Graph decides.
pub fn token_grants(token: &str, permission: &str) -> Option<bool> {
    Grants::of_token(token).map(|grants| grants.include(permission))
}

/// What the user can do about a 403 on `path`: the permission it needs, whether the `token` lacks it,
/// or, for an admin's own token that has it (or Graph's message says the user is not authorized),
/// that the admin's Intune role limits it.
pub fn forbidden_hint(path: &str, token: Option<&str>, message: Option<&str>) -> Option<String> {
    let need = need_for_path(path)?;
    let permission = need.permission;
    let grants = token.and_then(Grants::of_token);
    let user_refused = message.is_some_and(|m| m.contains("User is not authorized"));
    // Where the token has (or may have) the permission, what else Graph may want.
    let or_else = |hint: String| match need.refused_anyway {
        Some(advice) => format!("{hint}; {advice}"),
        None => hint,
    };
    Some(match grants {
        Some(grants @ Grants::Scopes(_)) if grants.include(permission) || user_refused => or_else(role_hint(need)),
        Some(grants) if !grants.include(permission) => {
            let how = match grants {
                Grants::Roles(_) => "grant it to the app registration as an application permission, with admin consent",
                Grants::Scopes(_) => {
                    "add it to the app registration as a delegated permission, consent, and sign in again"
                }
            };
            format!("the token lacks {permission} ({}): {how}", grants.describe())
        }
        Some(_) => or_else(format!(
            "Graph refused although the token has {permission}: check that the tenant has an Intune license and \
             that admin consent is current"
        )),
        None => or_else(format!(
            "missing permission {permission}: grant it to the app as an application permission, with admin consent \
             (or as a delegated permission for an admin's sign-in)"
        )),
    })
}

/// A 403 to an admin whose token has the permission: Intune's own role check refused it.
fn role_hint(need: &Need) -> String {
    let permission = need.permission;
    match need.intune_role {
        Some(role) => format!(
            "the signed-in admin's Intune role does not allow this: the token has {permission}, but Intune also \
             checks the admin's own role; ask for an Intune role {role} (Intune admin center > Tenant \
             administration > Roles)"
        ),
        None => format!("Graph refused although the token has {permission}: check the admin's directory role"),
    }
}

/// The `permissions` command's table, wrapped to the terminal's width when there is one.
pub fn table(terminal: bool) -> String {
    use comfy_table::{presets, ContentArrangement, Table};
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(match terminal {
        true => ContentArrangement::Dynamic,
        false => ContentArrangement::Disabled,
    });
    table.set_header(vec![
        "feature",
        "what it reads or does",
        "permission",
        "also enough",
        "an admin signing in also needs an Intune role",
    ]);
    let mut notes = String::from("\nNotes:");
    for need in NEEDS {
        table.add_row(vec![
            need.feature.to_owned(),
            need.purpose.to_owned(),
            need.permission.to_owned(),
            need.also_granted_by.join("\n"),
            need.intune_role.unwrap_or("-").to_owned(),
        ]);
        if let Some(note) = need.note {
            notes.push_str(&format!("\n- {} ({}): {note}", need.feature, need.permission));
        }
    }
    let scopes: Vec<String> = delegated_audit_scopes("").iter().map(|s| s.trim_start_matches('/').to_owned()).collect();
    format!(
        "{table}\nEach permission has the same name as an application permission (app-only sign-in: secret, \
         certificate, federated token, managed identity; grant it with admin consent) and as a delegated \
         permission (an admin's sign-in: --interactive, --device-code).\nAn admin's sign-in asks for: {}.{notes}",
        scopes.join(" ")
    )
}

/// The `permissions` command's JSON: the table, and the scopes a delegated sign-in asks for.
pub fn json() -> serde_json::Value {
    serde_json::json!({
        "features": NEEDS,
        "delegated_sign_in_scopes": delegated_audit_scopes("https://graph.microsoft.com"),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An unsigned JWT-shaped token with these claims (tests only).
    pub(crate) fn token_with(claims: serde_json::Value) -> String {
        let part = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", part(&serde_json::json!({"alg": "RS256", "typ": "JWT"})), part(&claims))
    }

    #[test]
    fn paths_map_to_their_feature_the_longest_match_winning() {
        let feature = |path: &str| need_for_path(path).map(|n| (n.feature, n.permission));
        assert_eq!(feature("/beta/deviceManagement/managedDevices?$top=1"), Some(("audit", MANAGED_DEVICES_READ)));
        assert_eq!(
            feature("/beta/deviceManagement/detectedApps/x/managedDevices"),
            Some(("audit", MANAGED_DEVICES_READ))
        );
        assert_eq!(feature("/beta/$batch"), Some(("audit", MANAGED_DEVICES_READ)));
        assert_eq!(feature("/v1.0/groups/g/transitiveMembers"), Some(("--group", "GroupMember.Read.All")));
        assert_eq!(
            feature("/beta/deviceManagement/applePushNotificationCertificate"),
            Some(("tenant checks", "DeviceManagementServiceConfig.Read.All"))
        );
        assert_eq!(
            feature("/beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings"),
            Some(("tenant checks", "DeviceManagementConfiguration.Read.All"))
        );
        assert_eq!(
            feature("/beta/deviceManagement/reports/exportJobs('x')").map(|f| f.0),
            Some("--devices-via export")
        );
        let send = Some(("send", "DeviceManagementServiceConfig.ReadWrite.All"));
        assert_eq!(feature("/beta/deviceManagement/managedDevices/d1/sendCustomNotificationToCompanyPortal"), send);
        assert_eq!(feature("/beta/deviceManagement/sendCustomNotificationToCompanyPortal"), send);
        assert_eq!(feature("/tenant/oauth2/v2.0/token"), None);
    }

    #[test]
    fn delegated_scopes_are_the_audit_reads_plus_offline_access() {
        assert_eq!(
            delegated_audit_scopes("https://graph.microsoft.us/"),
            [
                "https://graph.microsoft.us/DeviceManagementManagedDevices.Read.All",
                "https://graph.microsoft.us/GroupMember.Read.All",
                "https://graph.microsoft.us/DeviceManagementServiceConfig.Read.All",
                "https://graph.microsoft.us/DeviceManagementConfiguration.Read.All",
                "offline_access",
            ]
        );
        let send = delegated_scopes("https://graph.microsoft.com", &[SEND_PERMISSION]);
        assert_eq!(send[send.len() - 2], "https://graph.microsoft.com/DeviceManagementServiceConfig.ReadWrite.All");
        assert_eq!(send.last().map(String::as_str), Some(OFFLINE_ACCESS));
    }

    #[test]
    fn token_claims_tell_what_was_granted() {
        let app = token_with(serde_json::json!({"roles": ["DeviceManagementManagedDevices.ReadWrite.All"]}));
        assert_eq!(token_grants(&app, MANAGED_DEVICES_READ), Some(true), "ReadWrite includes Read");
        assert_eq!(token_grants(&app, "GroupMember.Read.All"), Some(false));
        assert_eq!(token_grants(&app, SEND_PERMISSION), Some(true), "what the send actions' pages list");
        let reader =
            token_with(serde_json::json!({"roles": [MANAGED_DEVICES_READ, "DeviceManagementServiceConfig.Read.All"]}));
        assert_eq!(token_grants(&reader, SEND_PERMISSION), Some(false), "reading is not sending");
        let admin = token_with(serde_json::json!({"scp": "Directory.Read.All offline_access", "roles": null}));
        assert_eq!(token_grants(&admin, "groupmember.read.all"), Some(true), "a broader scope, any case");
        assert_eq!(token_grants(&admin, MANAGED_DEVICES_READ), Some(false));
        assert_eq!(token_grants("opaque-token", MANAGED_DEVICES_READ), None);
        assert_eq!(token_grants(&token_with(serde_json::json!({"aud": "x"})), MANAGED_DEVICES_READ), None);
        assert_eq!(token_grants("a.!!!.c", MANAGED_DEVICES_READ), None);
    }

    #[test]
    fn a_403_names_the_missing_permission_or_the_intune_role() {
        let path = "/beta/deviceManagement/managedDevices";
        let app = token_with(serde_json::json!({"roles": ["GroupMember.Read.All"]}));
        let hint = forbidden_hint(path, Some(&app), None).unwrap();
        assert!(hint.starts_with("the token lacks DeviceManagementManagedDevices.Read.All"), "{hint}");
        assert!(hint.contains("its application permissions: GroupMember.Read.All") && hint.contains("admin consent"));
        let delegated = token_with(serde_json::json!({"scp": "GroupMember.Read.All"}));
        let hint = forbidden_hint(path, Some(&delegated), None).unwrap();
        assert!(hint.contains("delegated permission") && hint.contains("sign in again"), "{hint}");
        let admin = token_with(serde_json::json!({"scp": "DeviceManagementManagedDevices.Read.All offline_access"}));
        let hint = forbidden_hint(path, Some(&admin), None).unwrap();
        assert!(hint.starts_with("the signed-in admin's Intune role does not allow this"), "{hint}");
        assert!(hint.contains("Read Only Operator"), "{hint}");
        let message = "{\"Message\": \"User is not authorized to perform this operation\"}";
        let hint = forbidden_hint(path, Some(&delegated), Some(message)).unwrap();
        assert!(hint.contains("Intune role"), "Graph's own words win over the token's scopes: {hint}");
        let hint = forbidden_hint(path, Some("opaque"), None).unwrap();
        assert!(hint.starts_with("missing permission DeviceManagementManagedDevices.Read.All"), "{hint}");
        assert_eq!(forbidden_hint("/v1.0/me", Some(&app), None), None);
    }

    #[test]
    fn a_refused_export_job_with_read_all_points_to_read_write() {
        let jobs = "/beta/deviceManagement/reports/exportJobs";
        let read_all = token_with(serde_json::json!({"roles": [MANAGED_DEVICES_READ]}));
        let hint = forbidden_hint(jobs, Some(&read_all), None).unwrap();
        assert!(hint.starts_with("Graph refused although the token has DeviceManagementManagedDevices.Read.All"));
        assert!(
            hint.ends_with(
                "grant DeviceManagementManagedDevices.ReadWrite.All, or read the devices with --devices-via list"
            ),
            "{hint}"
        );
        let without = forbidden_hint(jobs, Some(&token_with(serde_json::json!({"roles": []}))), None).unwrap();
        assert!(without.starts_with("the token lacks") && !without.contains("ReadWrite"), "{without}");
        let devices = forbidden_hint("/beta/deviceManagement/managedDevices", Some(&read_all), None).unwrap();
        assert!(!devices.contains("export"), "{devices}");
        let apps_only = token_with(serde_json::json!({"roles": ["DeviceManagementApps.ReadWrite.All"]}));
        assert_eq!(token_grants(&apps_only, MANAGED_DEVICES_READ), Some(false), "no broader permission of devices");
    }
}
