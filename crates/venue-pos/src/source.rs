//! A POS connector's fetch: pages of normalised sales handed to a sink (the store) as they
//! arrive, so a failure part-way keeps what was already fetched. Its errors and the page limit
//! are venue-http's (`venue_http::fetch`), shared with the PMS.

use venue_domain::Transaction;
use venue_http::fetch::SinkError;

/// One page as the sink receives it.
#[derive(Debug, Default)]
pub struct Page {
    pub transactions: Vec<Transaction>,
    /// Records the vendor sent, readable or not.
    pub seen: u64,
    /// Records that could not be normalised, with the reason (they are skipped, not fatal).
    pub rejected: Vec<String>,
}

/// Receives pages; an error stops the fetch.
pub type PageSink<'a> = dyn FnMut(Page) -> Result<(), SinkError> + 'a;
