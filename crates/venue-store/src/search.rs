//! Instant search over guests and reservations (FTS5): every word is a prefix, all must match.

use crate::record::get_id;
use crate::{Result, Store};
use serde::Serialize;
use uuid::Uuid;
use venue_domain::EntityKind;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    pub entity: EntityKind,
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub room: String,
    pub number: String,
}

/// Turns what a person typed into a safe FTS5 query: words become quoted prefix terms, so
/// punctuation or FTS syntax in the input can never cause a syntax error.
pub(crate) fn fts_query(input: &str) -> Option<String> {
    let terms: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.' && c != '_')
        .flat_map(|w| w.split(['.', '@']))
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

impl Store {
    pub fn search(&self, venue_id: Uuid, input: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let Some(query) = fts_query(input) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT entity, entity_id, name, email, room, number FROM search_index
             WHERE search_index MATCH ?1 AND venue_id = ?2 ORDER BY rank LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            rusqlite::params![query, venue_id.to_string(), limit],
            |row| {
                let number: String = row.get(5)?;
                Ok(SearchHit {
                    entity: crate::record::get_parsed(row, 0)?,
                    id: get_id(row, 1)?,
                    name: row.get(2)?,
                    email: row.get(3)?,
                    room: row.get(4)?,
                    number: number
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_become_prefix_terms_and_syntax_is_neutralised() {
        assert_eq!(fts_query("ann smi").as_deref(), Some("\"ann\"* \"smi\"*"));
        assert_eq!(
            fts_query("  \"OR\" NEAR(").as_deref(),
            Some("\"OR\"* \"NEAR\"*")
        );
        assert_eq!(
            fts_query("ann@example.com").as_deref(),
            Some("\"ann\"* \"example\"* \"com\"*")
        );
        assert_eq!(fts_query(" -*- "), None);
    }

    proptest! {
        #[test]
        fn any_input_gives_a_query_sqlite_accepts(input in "\\PC{0,40}") {
            if let Some(q) = fts_query(&input) {
                let conn = rusqlite::Connection::open_in_memory().expect("memory db");
                conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'unicode61 remove_diacritics 2')").expect("fts5");
                let result: rusqlite::Result<i64> = conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&q], |r| r.get(0));
                prop_assert!(result.is_ok(), "query {q:?} from {input:?}: {result:?}");
            }
        }
    }
}
