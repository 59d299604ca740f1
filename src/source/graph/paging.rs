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

use super::error::GraphError;
use super::http::GraphClient;
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
pub(crate) fn is_expired_skip_token(failure: &GraphError) -> bool {
    let message = failure.message.as_deref().unwrap_or("").to_ascii_lowercase();
    failure.graph_status() == Some(400) && (message.contains("skip token") || message.contains("skiptoken"))
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
                Err(mut failure) if page > 1 && is_expired_skip_token(&failure) => {
                    if restarts >= MAX_RESTARTS {
                        failure.hint = Some(format!(
                            "the listing was already restarted {MAX_RESTARTS} times after expired skip tokens"
                        ));
                        return Err(failure.into_error(listing.at_page(page)));
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
            let unusable = |message: String| Error::Graph(reply.unusable(listing.at_page(page), "GET", &url, message));
            let next =
                on_page(&reply.body).map_err(|e| unusable(format!("the answer is not a Graph collection ({e})")))?;
            let Some(next) = next else { return Ok(()) };
            if !client.is_graph_url(&next) {
                let host = url::Url::parse(&next).ok().and_then(|u| u.host_str().map(str::to_owned));
                return Err(unusable(format!(
                    "Graph returned an @odata.nextLink to another host ({}); not following it",
                    host.as_deref().unwrap_or("no host")
                )));
            }
            if !seen.insert(next.clone()) {
                return Err(unusable(
                    "Graph returned an @odata.nextLink that this listing had already followed (a paging loop); \
                     stopping rather than reading the same pages forever"
                        .to_owned(),
                ));
            }
            url = next;
            page += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::error::FailureKind;
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
        let err = testkit::expect_graph_error(collect_ids(&client, &format!("{}/beta/things", server.uri())).await);
        assert_eq!((err.kind, err.status), (FailureKind::Unusable, Some(200)));
        assert_eq!((err.context.as_str(), err.path.as_str()), ("reading things (test, page 2)", "/beta/things"));
        assert!(err.message.as_deref().is_some_and(|m| m.contains("already followed")), "{err}");
        assert!(!err.to_string().contains("p2"), "no skip token in the message: {err}");
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
        let err = testkit::expect_graph_error(collect_ids(&client, &format!("{}/beta/things", server.uri())).await);
        assert_eq!(err.kind, FailureKind::Unusable);
        let message = err.message.as_deref().unwrap_or("");
        assert!(message.contains("another host (evil.example)") && !message.contains("skiptoken"), "{message}");
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
        let err = testkit::expect_graph_error(collect_ids(&client, &format!("{}/beta/things", server.uri())).await);
        assert_eq!((err.status, err.code.as_deref()), (Some(400), Some("BadRequest")));
        assert_eq!(err.hint.as_deref(), Some("the listing was already restarted 3 times after expired skip tokens"));
        assert_eq!(err.context, "reading things (test, page 2)");
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
        let err = testkit::expect_graph_error(collect_ids(&client, &format!("{}/beta/things", server.uri())).await);
        assert_eq!((err.kind, err.status), (FailureKind::Unusable, Some(200)));
        assert!(err.message.as_deref().is_some_and(|m| m.starts_with("the answer is not a Graph collection")), "{err}");
    }
}
