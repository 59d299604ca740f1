//! Paging shared by the listings: `$top`, the opaque `$skiptoken` and keyset pages, with the listing
//! faults (expired skip tokens, a repeated next link).
//!
//! Listings page by keyset, so a page boundary never shifts. The `$skiptoken` is base64url of
//! `"{listing key}|{issue}|{page}|{last key}"` where the listing key is the path plus the raw
//! `$filter`, the issue numbers each run of a listing (a first page), the page is the number of the
//! page the token fetches, and the last key is the id of the last item returned (for group members,
//! the offset reached).

use std::ops::Range;
use std::sync::atomic::Ordering;

use base64::Engine as _;

use crate::sim::server::wire::{bad_request, Ctx, Out, Query, SKIPTOKEN_MESSAGE};
use crate::sim::server::Shared;

/// A decoded `$skiptoken`.
pub(super) struct Cursor {
    pub(super) issue: u64,
    pub(super) page: u32,
    pub(super) last: String,
}

pub(super) fn encode_token(key: &str, issue: u64, page: u32, last: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{key}|{issue}|{page}|{last}"))
}

/// Decodes a token of listing `key`; `None` when it is not one (garbled, or of another listing).
pub(super) fn decode_token(raw: &str, key: &str) -> Option<Cursor> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw.trim().trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix(key)?.strip_prefix('|')?;
    let mut parts = rest.splitn(3, '|');
    let issue = parts.next()?.parse().ok()?;
    let page = parts.next()?.parse().ok()?;
    let last = parts.next()?.to_owned();
    Some(Cursor { issue, page, last })
}

/// `$top`: a page size of 1..=`max` (larger values are capped), default `default`.
pub(super) fn page_size(ctx: &Ctx, top: Option<&str>, default: usize, max: usize) -> Result<usize, Out> {
    match top.map(str::trim) {
        None => Ok(default),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if n >= 1 => Ok((n.min(max as u64)) as usize),
            _ => Err(bad_request(ctx, &format!("Invalid value '{text}' for $top: a positive integer is expected."))),
        },
    }
}

/// Which faults a listing takes part in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Faults {
    /// Device and app listings: `expire_skiptokens_after`.
    Expire,
    /// `managedDevices`: `expire_skiptokens_after` and `repeat_next_link`.
    ExpireAndRepeat,
}

impl Shared {
    /// The keyset page of `list` (ordered by `key_of`) that the request's `$skiptoken` asks for, and the
    /// next link. Applies the listing faults.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn keyset<'s>(
        &'s self,
        ctx: &Ctx,
        query: &Query,
        key: &str,
        path: &str,
        list: &[u32],
        key_of: impl Fn(u32) -> &'s str,
        top: usize,
        faults: Faults,
    ) -> Result<(Range<usize>, Option<String>), Out> {
        let cursor = match &query.skiptoken {
            None => None,
            Some(raw) => Some(decode_token(raw, key).ok_or_else(|| bad_request(ctx, SKIPTOKEN_MESSAGE))?),
        };
        if cursor.is_some() && self.listings.expires(key) {
            self.stats.skiptokens_expired.fetch_add(1, Ordering::Relaxed);
            return Err(bad_request(ctx, SKIPTOKEN_MESSAGE));
        }
        let (issue, page, start) = match &cursor {
            None => (self.listings.new_issue(), 1, 0),
            Some(c) => (c.issue, c.page, list.partition_point(|&item| key_of(item) <= c.last.as_str())),
        };
        let end = start.saturating_add(top).min(list.len());
        let mut next =
            (end < list.len()).then(|| encode_token(key, issue, page.saturating_add(1), key_of(list[end - 1])));
        if faults == Faults::ExpireAndRepeat {
            if page == 1 && next.is_some() {
                self.listings.claim_repeat(issue);
            } else if page == 2 && self.listings.repeats(issue) {
                self.stats.repeated_next_links.fetch_add(1, Ordering::Relaxed);
                next = query.skiptoken.clone();
            }
        }
        let link = next.map(|token| format!("{}{path}?{}", self.index.base, query.next_query(&token)));
        Ok((start..end, link))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_belong_to_their_listing() {
        let token = encode_token("managedDevices|operatingSystem eq 'iOS'", 7, 2, "id|with|bars");
        let cursor = decode_token(&token, "managedDevices|operatingSystem eq 'iOS'").unwrap();
        assert_eq!((cursor.issue, cursor.page, cursor.last.as_str()), (7, 2, "id|with|bars"));
        assert!(decode_token(&token, "managedDevices|").is_none());
        assert!(decode_token("not base64!", "managedDevices|").is_none());
        assert!(decode_token("", "managedDevices|").is_none());
    }
}
