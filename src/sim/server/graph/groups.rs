//! Group members, `GET /v1.0/groups/{id}/transitiveMembers`: every user, device and group reached
//! through nested groups (cycles included, each member once), paged by offset, with `$select` of
//! `userPrincipalName` and `displayName`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::http::StatusCode;

use super::paging::{decode_token, encode_token};
use crate::sim::server::wire::{
    bad_request, collection, encode, graph_error, push_opt, push_str, Ctx, Out, Query, SKIPTOKEN_MESSAGE,
};
use crate::sim::server::Shared;
use crate::sim::tenant::{SimMember, SimTenant};

/// Page sizes of `transitiveMembers` (the wire spec's): the default and the largest `$top`.
const MEMBER_PAGE: usize = 100;
const MEMBER_PAGE_MAX: usize = 999;

/// What the group endpoint precomputes (read-only after start, but for the lazy member lists).
pub(super) struct GroupIndex {
    by_id: HashMap<Box<str>, usize>,
    /// Per group: its transitive members, built on first use.
    members: Vec<OnceLock<Arc<[SimMember]>>>,
}

impl GroupIndex {
    pub(super) fn build(tenant: &SimTenant) -> GroupIndex {
        let mut by_id = HashMap::with_capacity(tenant.groups.len());
        for (g, group) in tenant.groups.iter().enumerate() {
            by_id.entry(Box::from(group.id.as_str())).or_insert(g);
        }
        GroupIndex { by_id, members: (0..tenant.groups.len()).map(|_| OnceLock::new()).collect() }
    }

    fn members(&self, tenant: &SimTenant, g: usize) -> Arc<[SimMember]> {
        self.members[g].get_or_init(|| tenant.transitive_members(g).into()).clone()
    }
}

/// `$top` of `transitiveMembers`: 1..=999 (anything else is refused, as Graph does), default 100.
fn member_page_size(ctx: &Ctx, top: Option<&str>) -> Result<usize, Out> {
    match top.map(str::trim) {
        None => Ok(MEMBER_PAGE),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MEMBER_PAGE_MAX).contains(&n) => Ok(n),
            _ => Err(bad_request(
                ctx,
                &format!("Invalid page size specified: '{text}'. Must be between 1 and 999 inclusive."),
            )),
        },
    }
}

/// The `directoryObject` of `member`, with `userPrincipalName` (users only) and `displayName` when
/// `$select` asks for them.
fn write_member(buf: &mut Vec<u8>, tenant: &SimTenant, member: SimMember, upn: bool, name: bool) {
    let (kind, id, display, principal) = match member {
        SimMember::User(u) => {
            let user = &tenant.users[u];
            (
                "#microsoft.graph.user",
                Some(user.id.as_str()),
                Some(user.display_name.as_str()),
                Some(user.user_principal_name.as_str()),
            )
        }
        SimMember::Device(d) => {
            let device = &tenant.devices[d];
            ("#microsoft.graph.device", device.id.as_deref(), device.device_name.as_deref(), None)
        }
        SimMember::Group(x) => {
            let group = &tenant.groups[x];
            ("#microsoft.graph.group", Some(group.id.as_str()), Some(group.display_name.as_str()), None)
        }
    };
    buf.extend_from_slice(b"{\"@odata.type\":");
    push_str(buf, kind);
    buf.extend_from_slice(b",\"id\":");
    push_opt(buf, id);
    if let (true, Some(principal)) = (upn, principal) {
        buf.extend_from_slice(b",\"userPrincipalName\":");
        push_str(buf, principal);
    }
    if name {
        buf.extend_from_slice(b",\"displayName\":");
        push_opt(buf, display);
    }
    buf.push(b'}');
}

impl Shared {
    /// `GET /v1.0/groups/{id}/transitiveMembers`.
    pub(super) fn members(&self, ctx: &Ctx, group_id: &str, query: &Query) -> Result<Out, Out> {
        let Some(&g) = self.index.groups.by_id.get(group_id) else {
            return Err(graph_error(
                ctx,
                StatusCode::NOT_FOUND,
                "Request_ResourceNotFound",
                &format!(
                    "Resource '{group_id}' does not exist or one of its queried reference-property objects are \
                     not present."
                ),
            ));
        };
        let top = member_page_size(ctx, query.top.as_deref())?;
        let key = format!("groups/{group_id}/transitiveMembers");
        let tenant = &self.index.tenant;
        let members = self.index.groups.members(tenant, g);
        let (issue, page, start) = match &query.skiptoken {
            None => (self.listings.new_issue(), 1, 0),
            Some(raw) => {
                let cursor = decode_token(raw, &key).ok_or_else(|| bad_request(ctx, SKIPTOKEN_MESSAGE))?;
                let offset = cursor.last.parse::<usize>().map_err(|_| bad_request(ctx, SKIPTOKEN_MESSAGE))?;
                (cursor.issue, cursor.page, offset.min(members.len()))
            }
        };
        let end = start.saturating_add(top).min(members.len());
        let link = (end < members.len()).then(|| {
            let token = encode_token(&key, issue, page.saturating_add(1), &end.to_string());
            format!(
                "{}/v1.0/groups/{}/transitiveMembers?{}",
                self.index.base,
                encode(group_id),
                query.next_query(&token)
            )
        });

        let wanted = |name: &str| match query.select.as_deref().filter(|s| !s.trim().is_empty()) {
            None => true,
            Some(select) => select.split(',').any(|s| s.trim().eq_ignore_ascii_case(name)),
        };
        let (upn, name) = (wanted("userPrincipalName"), wanted("displayName"));
        let context = format!("{}/v1.0/$metadata#directoryObjects", self.index.base);
        Ok(Out::json(collection(&context, (end - start) * 200, link.as_deref(), |buf| {
            for (n, &member) in members[start..end].iter().enumerate() {
                if n > 0 {
                    buf.push(b',');
                }
                write_member(buf, tenant, member, upn, name);
            }
        })))
    }
}
