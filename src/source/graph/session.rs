//! The signed-in Graph client kept for more than one read: the `doctor` (the overview's counter, any
//! collection read whole, one request to see whether Graph accepts it, the tenant checks, the token's
//! permissions) and `send` (the audit's read, then the sends, on one sign-in: an admin signs in once),
//! with the same transport, retries, rate limit and paging.

use super::devices::{read_overview, Overview};
use super::http::GraphClient;
use super::notifications::Sender;
use super::paging::{read_all, Listing};
use super::retry::RetryPolicy;
use super::{client_for, read_with, Fetched, GraphError, GraphOptions, TokenPermissions};
use crate::error::Error;
use crate::inventory::TenantFacts;
use crate::source::progress::{Phase, ProgressObserver};

/// A signed-in client.
#[derive(Debug, Clone)]
pub struct GraphSession {
    client: GraphClient,
}

impl GraphSession {
    /// Checks the options ([`Error::Usage`]) and signs in ([`Error::Graph`]).
    pub async fn connect(options: &GraphOptions) -> Result<GraphSession, Error> {
        let client = client_for(options, RetryPolicy::default())?;
        client.sign_in().await?;
        Ok(GraphSession { client })
    }

    /// Reads the tenant as [`super::fetch`] does, on this session's sign-in.
    pub async fn fetch(
        &self,
        options: &GraphOptions,
        progress: std::sync::Arc<dyn ProgressObserver>,
    ) -> Result<Fetched, Error> {
        read_with(&self.client, options, progress).await
    }

    /// A sender of notifications on this session's sign-in, whose requests wait at most `timeout` for
    /// their answer.
    pub fn sender(&self, timeout: std::time::Duration) -> Sender {
        Sender::new(self.client.clone(), timeout)
    }

    /// The Graph base URL (no `/beta`).
    pub fn graph_url(&self) -> &str {
        self.client.graph()
    }

    /// `beta/deviceManagement/managedDeviceOverview`'s counter.
    pub async fn overview(&self) -> Result<Overview, Error> {
        read_overview(&self.client).await
    }

    /// Reads every page of the collection at `url` (see the Graph client's paging); `on_page` parses a
    /// page, keeps its items and returns its `@odata.nextLink`. `name` says what is read, in errors.
    pub async fn read_collection<F>(&self, name: &str, url: &str, on_page: F) -> Result<(), Error>
    where
        F: FnMut(&[u8]) -> Result<Option<String>, serde_json::Error>,
    {
        read_all(&self.client, &Listing::new(name, None), url, on_page).await
    }

    /// Sends one GET (with the usual retries) and says how it ended; the answer itself is dropped.
    pub async fn probe(&self, url: &str) -> Result<(), Box<GraphError>> {
        self.client.get(url).await.map(|_| ())
    }

    /// The tenant checks, as an audit reads them.
    pub async fn tenant_checks(&self) -> TenantFacts {
        super::tenant::read_tenant(&self.client, &Phase::unobserved()).await.facts
    }

    /// The permissions the token names; `None` when it is not a readable JWT.
    pub async fn token_permissions(&self) -> Result<Option<TokenPermissions>, Error> {
        self.client.token_permissions().await.map_err(Error::Graph)
    }

    /// HTTP requests sent so far, sign-in and retries included.
    pub fn requests(&self) -> u64 {
        self.client.stats().requests.load(std::sync::atomic::Ordering::Relaxed)
    }
}
