//! The permissions an access token carries, read from its payload (a JWT: `header.payload.signature`,
//! base64url) for messages only: application permissions in `roles`, delegated scopes in `scp`
//! (space-separated). The signature is not checked and nothing is decided from these claims: Graph
//! itself decides, and its 403 is what counts. No other claim is kept, and the token never leaves.

use base64::Engine as _;

/// The permissions named in a token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenPermissions {
    /// `roles`: application permissions (app-only tokens).
    pub roles: Vec<String>,
    /// `scp`: delegated scopes (a user's token).
    pub scopes: Vec<String>,
}

impl TokenPermissions {
    /// Whether the token names `permission` (case-insensitively), as a role or a scope.
    pub fn has(&self, permission: &str) -> bool {
        self.roles.iter().chain(&self.scopes).any(|p| p.eq_ignore_ascii_case(permission))
    }
}

/// The permissions in `token`'s payload; `None` when the token is not a JWT with a JSON payload (Graph
/// may hand out opaque tokens; a ready token can be anything).
pub fn permissions_of(token: &str) -> Option<TokenPermissions> {
    let mut parts = token.trim().split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let claims = claims.as_object()?;
    let roles = match claims.get("roles") {
        Some(serde_json::Value::Array(roles)) => roles.iter().filter_map(|r| r.as_str()).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let scopes = match claims.get("scp") {
        Some(serde_json::Value::String(scopes)) => scopes.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    Some(TokenPermissions { roles, scopes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: serde_json::Value) -> String {
        let b64 = |v: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!("{}.{}.sig", b64(r#"{"alg":"RS256"}"#.to_owned()), b64(payload.to_string()))
    }

    #[test]
    fn roles_and_scopes_are_read_from_the_payload() {
        let app = permissions_of(&jwt(serde_json::json!({"roles": ["GroupMember.Read.All", 3], "tid": "t"}))).unwrap();
        assert_eq!(app.roles, ["GroupMember.Read.All"]);
        assert!(app.has("groupmember.read.all") && !app.has("User.Read"));
        let user =
            permissions_of(&jwt(serde_json::json!({"scp": "User.Read  DeviceManagementManagedDevices.Read.All"})));
        let user = user.unwrap();
        assert_eq!(user.scopes, ["User.Read", "DeviceManagementManagedDevices.Read.All"]);
        assert!(user.roles.is_empty());
    }

    #[test]
    fn an_opaque_token_has_no_readable_permissions() {
        for token in ["token-1", "a.b", "a.!!!.c", &format!("a.{}.c", "bm90IGpzb24"), ""] {
            assert_eq!(permissions_of(token), None, "{token}");
        }
    }
}
