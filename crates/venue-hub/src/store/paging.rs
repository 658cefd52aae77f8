//! Reading one pull page out of a venue's log, the same on both backends: the backend fetches
//! windows of rows in `seq` order, with the body already left out (`None`) for rows the caller
//! may not have (its own node's, or ones that do not go down); this keeps reading past them so
//! a page of filtered rows never looks like the end of the log.

use super::{HubStoreError, PulledPage, Result, MAX_BATCH};

/// At most this many rows are looked at for one page; beyond it the page ends early with
/// `more` set, and the next pull carries on from `last_seq`.
const SCAN_BUDGET: usize = 20_000;
/// The fewest rows fetched at once while filling a page: filtered rows cost a round trip each
/// window, not each row.
const MIN_WINDOW: usize = 256;

/// One row of the log as a pull looks at it.
pub(crate) struct ScannedRow {
    pub seq: i64,
    /// The change's JSON text, or `None` when the caller may not have it.
    pub body: Option<String>,
}

pub(crate) struct PageScan {
    limit: usize,
    changes: Vec<serde_json::Value>,
    last_seq: i64,
    scanned: usize,
    /// Known once the page is finished.
    more: Option<bool>,
}

impl PageScan {
    /// A page of at most `limit` changes (clamped to 1..=[`MAX_BATCH`]) after `after_seq`.
    pub fn new(after_seq: i64, limit: u32) -> Self {
        let limit = usize::try_from(limit)
            .unwrap_or(MAX_BATCH)
            .clamp(1, MAX_BATCH);
        PageScan {
            limit,
            changes: Vec::new(),
            last_seq: after_seq,
            scanned: 0,
            more: None,
        }
    }

    /// Where the next window starts (exclusive).
    pub fn cursor(&self) -> i64 {
        self.last_seq
    }

    /// How many rows to fetch next, or `None` once the page is finished. With the page full,
    /// one row is fetched to learn whether more follow.
    pub fn next_window(&self) -> Option<i64> {
        if self.more.is_some() {
            return None;
        }
        let wanted = if self.changes.len() == self.limit {
            1
        } else {
            (self.limit - self.changes.len() + 1).max(MIN_WINDOW)
        };
        i64::try_from(wanted).ok()
    }

    /// Take a window of `requested` rows fetched after [`PageScan::cursor`]; fewer than asked
    /// means the log ends there.
    pub fn feed(&mut self, rows: Vec<ScannedRow>, requested: i64) -> Result<()> {
        let complete = i64::try_from(rows.len()).map_or(true, |n| n >= requested);
        for row in rows {
            if self.changes.len() == self.limit {
                // A row follows a full page: it is the next page's.
                self.more = Some(true);
                return Ok(());
            }
            self.last_seq = row.seq;
            self.scanned += 1;
            if let Some(body) = row.body {
                let value = serde_json::from_str(&body).map_err(|error| {
                    HubStoreError::Unavailable(format!(
                        "change at seq {} is not JSON: {error}",
                        row.seq
                    ))
                })?;
                self.changes.push(value);
            }
        }
        if !complete {
            self.more = Some(false);
        } else if self.changes.len() < self.limit && self.scanned >= SCAN_BUDGET {
            self.more = Some(true);
        }
        Ok(())
    }

    pub fn into_page(self) -> PulledPage {
        PulledPage {
            changes: self.changes,
            last_seq: self.last_seq,
            more: self.more.unwrap_or(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run a scan over an in-memory log of (seq, visible) rows.
    fn page(log: &[(i64, bool)], after: i64, limit: u32) -> PulledPage {
        let mut scan = PageScan::new(after, limit);
        while let Some(window) = scan.next_window() {
            let cursor = scan.cursor();
            let rows: Vec<ScannedRow> = log
                .iter()
                .filter(|(seq, _)| *seq > cursor)
                .take(usize::try_from(window).unwrap())
                .map(|(seq, visible)| ScannedRow {
                    seq: *seq,
                    body: visible.then(|| seq.to_string()),
                })
                .collect();
            scan.feed(rows, window).unwrap();
        }
        scan.into_page()
    }

    #[test]
    fn a_full_page_at_the_end_of_the_log_says_no_more() {
        let log: Vec<(i64, bool)> = (1..=4).map(|s| (s, true)).collect();
        let first = page(&log, 0, 2);
        assert_eq!(
            (first.changes.len(), first.last_seq, first.more),
            (2, 2, true)
        );
        let second = page(&log, 2, 2);
        assert_eq!(
            (second.changes.len(), second.last_seq, second.more),
            (2, 4, false)
        );
        let after = page(&log, 4, 2);
        assert_eq!(
            (after.changes.len(), after.last_seq, after.more),
            (0, 4, false)
        );
    }

    #[test]
    fn filtered_rows_are_read_past_and_counted_in_last_seq() {
        // 600 rows of the caller's own, then two it may have, then its own again.
        let mut log: Vec<(i64, bool)> = (1..=600).map(|s| (s, false)).collect();
        log.extend([(601, true), (602, true), (603, false)]);
        let first = page(&log, 0, 1);
        assert_eq!(first.changes, vec![serde_json::json!(601)]);
        assert_eq!((first.last_seq, first.more), (601, true));
        let second = page(&log, 601, 5);
        assert_eq!(second.changes, vec![serde_json::json!(602)]);
        assert_eq!((second.last_seq, second.more), (603, false));
    }
}
