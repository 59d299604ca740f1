//! Reading a whole Graph collection: follow every `@odata.nextLink` as the whole URL until there is none
//! (an empty page may still have one), stop with an error on a next link seen before in the listing
//! (Graph can loop), refuse a next link to another host (the token would go there), and restart the
//! listing from its first page when Graph says the skip token expired (at most 3 times per listing).
//!
//! Pages already read are kept: a failed request is retried on its own by the transport, and a
//! restart reads the listing again from the start, so callers deduplicate by id (every reader does).

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;

use super::http::{Failure, GraphClient};
use crate::error::Error;

/// Restarts of one listing after an expired skip token.
pub(crate) const MAX_RESTARTS: u32 = 3;

/// One page of a collection. `value` is required: a 200 without it is not a collection.
#[derive(Debug, Deserialize)]
pub(crate) struct Page<T> {
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
}

/// What a listing is, for messages: "reading managedDevices (shard iOS, page 3)".
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub name: String,
    pub detail: Option<String>,
}

impl Listing {
    pub fn new(name: impl Into<String>, detail: Option<String>) -> Self {
        Listing { name: name.into(), detail }
    }

    pub fn at_page(&self, page: u32) -> impl fmt::Display + '_ {
        AtPage(self, page)
    }
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "reading {} ({detail})", self.name),
            None => write!(f, "reading {}", self.name),
        }
    }
}

struct AtPage<'a>(&'a Listing, u32);

impl fmt::Display for AtPage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let AtPage(listing, page) = self;
        match &listing.detail {
            Some(detail) => write!(f, "reading {} ({detail}, page {page})", listing.name),
            None => write!(f, "reading {} (page {page})", listing.name),
        }
    }
}

/// Whether a failure is Graph's "skip token is either invalid or expired" (400).
pub(crate) fn is_expired_skip_token(failure: &Failure) -> bool {
    match failure {
        Failure::Http(http) if http.status == 400 => {
            let message = http.message.as_deref().unwrap_or("").to_ascii_lowercase();
            message.contains("skip token") || message.contains("skiptoken")
        }
        _ => false,
    }
}

/// Reads every page of the collection at `first_url`. `on_page` parses a page body, keeps its items
/// (deduplicating: a restarted listing repeats them) and returns the page's `@odata.nextLink`.
pub(crate) async fn read_all<F>(
    client: &GraphClient,
    listing: &Listing,
    first_url: &str,
    mut on_page: F,
) -> Result<(), Error>
where
    F: FnMut(&[u8]) -> Result<Option<String>, serde_json::Error>,
{
    let mut restarts = 0;
    'listing: loop {
        let mut seen: HashSet<String> = HashSet::from([first_url.to_owned()]);
        let mut url = first_url.to_owned();
        let mut page: u32 = 1;
        loop {
            let reply = match client.get(&url).await {
                Ok(reply) => reply,
                Err(failure) if page > 1 && is_expired_skip_token(&failure) => {
                    if restarts >= MAX_RESTARTS {
                        return Err(Error::Source(format!(
                            "{}: {failure}; the listing was already restarted {MAX_RESTARTS} times after expired skip tokens",
                            listing.at_page(page)
                        )));
                    }
                    restarts += 1;
                    tracing::warn!(
                        "{}: the skip token expired; reading the listing again from its first page",
                        listing
                    );
                    continue 'listing;
                }
                Err(failure) => return Err(failure.into_error(listing.at_page(page))),
            };
            let next = on_page(&reply.body).map_err(|e| {
                Error::Source(format!(
                    "{}: the answer is not a Graph collection ({e}){}",
                    listing.at_page(page),
                    reply.request_id.as_deref().map(|id| format!(" (request-id {id})")).unwrap_or_default()
                ))
            })?;
            let Some(next) = next else { return Ok(()) };
            if !client.is_graph_url(&next) {
                return Err(Error::Source(format!(
                    "{}: Graph returned an @odata.nextLink to another host ({}); not following it",
                    listing.at_page(page),
                    url::Url::parse(&next).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or(next.clone())
                )));
            }
            if !seen.insert(next.clone()) {
                return Err(Error::Source(format!(
                    "{}: Graph returned an @odata.nextLink that this listing had already followed (a paging loop); \
                     stopping rather than reading the same pages forever",
                    listing.at_page(page)
                )));
            }
            url = next;
            page += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::testkit;
    use serde_json::json;
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    async fn collect_ids(client: &GraphClient, url: &str) -> Result<Vec<String>, Error> {
        #[derive(Deserialize)]
        struct Item {
            id: String,
        }
        let mut ids = Vec::new();
        read_all(client, &Listing::new("things", Some("test".into())), url, |body| {
            let page: Page<Item> = serde_json::from_slice(body)?;
            for item in page.value {
                if !ids.contains(&item.id) {
                    ids.push(item.id);
                }
            }
            Ok(page.next_link)
        })
        .await?;
        Ok(ids)
    }

    async fn page(server: &MockServer, token: Option<&str>, ids: &[&str], next: Option<&str>) {
        let mut body = json!({"value": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()});
        if let Some(next) = next {
            body["@odata.nextLink"] = json!(format!("{}/beta/things?$skiptoken={next}", server.uri()));
        }
        let mock = Mock::given(method("GET")).and(path("/beta/things"));
        let mock = match token {
            Some(token) => mock.and(query_param("$skiptoken", token)),
            None => mock,
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
            .with_priority(if token.is_some() { 2 } else { 5 })
            .mount(server)
            .await;
    }

    #[tokio::test]
    async fn follows_every_next_link_including_after_an_empty_page() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        page(&server, None, &["a", "b"], Some("p2")).await;
        page(&server, Some("p2"), &[], Some("p3")).await;
        page(&server, Some("p3"), &["c"], None).await;
        let ids = collect_ids(&client, &format!("{}/beta/things", server.uri())).await.unwrap();
        assert_eq!(ids, ["a", "b", "c"]);
    }

    #[tokio::test]
    async fn a_repeating_next_link_is_an_error() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        page(&server, None, &["a"], Some("p2")).await;
        page(&server, Some("p2"), &["b"], Some("p2")).await;
        let err = collect_ids(&client, &format!("{}/beta/things", server.uri())).await.unwrap_err();
        assert!(matches!(err, Error::Source(_)));
        let message = err.to_string();
        assert!(message.contains("reading things (test, page 2)") && message.contains("already followed"), "{message}");
    }

    #[tokio::test]
    async fn a_next_link_to_another_host_is_refused() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        Mock::given(method("GET"))
            .and(path("/beta/things"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"value": [], "@odata.nextLink": "https://evil.example/beta/things?$skiptoken=x"}),
            ))
            .mount(&server)
            .await;
        let err = collect_ids(&client, &format!("{}/beta/things", server.uri())).await.unwrap_err().to_string();
        assert!(err.contains("another host") && err.contains("evil.example"), "{err}");
    }

    #[tokio::test]
    async fn an_expired_skip_token_restarts_the_listing_and_the_result_is_exact() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        page(&server, None, &["a", "b"], Some("p2")).await;
        Mock::given(method("GET"))
            .and(path("/beta/things"))
            .and(query_param("$skiptoken", "p2"))
            .respond_with(testkit::graph_error(400, "BadRequest", "The skip token is either invalid or expired."))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        page(&server, Some("p2"), &["c"], None).await;
        let ids = collect_ids(&client, &format!("{}/beta/things", server.uri())).await.unwrap();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(
            server.received_requests().await.unwrap().iter().filter(|r| r.url.path() == "/beta/things").count(),
            4
        );
    }

    #[tokio::test]
    async fn an_always_expiring_skip_token_gives_up_after_three_restarts() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        page(&server, None, &["a"], Some("p2")).await;
        Mock::given(method("GET"))
            .and(path("/beta/things"))
            .and(query_param("$skiptoken", "p2"))
            .respond_with(testkit::graph_error(400, "BadRequest", "The skip token is either invalid or expired."))
            .with_priority(1)
            .mount(&server)
            .await;
        let err = collect_ids(&client, &format!("{}/beta/things", server.uri())).await.unwrap_err().to_string();
        assert!(err.contains("restarted 3 times") && err.contains("HTTP 400 BadRequest"), "{err}");
    }

    #[tokio::test]
    async fn a_page_that_is_not_a_collection_is_an_error() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        Mock::given(method("GET"))
            .and(path("/beta/things"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": []})))
            .mount(&server)
            .await;
        let err = collect_ids(&client, &format!("{}/beta/things", server.uri())).await.unwrap_err().to_string();
        assert!(err.contains("not a Graph collection"), "{err}");
    }
}
