//! The convergence simulation's consoles syncing through a real hub over HTTP: each simulated
//! console is enrolled with a code of its own and pushes and pulls with the same client and
//! protocol as `venue sync` (see `venue_store::convergence`).

use super::client::HubClient;
use super::error::SyncError;
use venue_domain::sync::{ChangeOutcome, SyncBatch, PROTOCOL_VERSION};
use venue_domain::wire::{EnrollRequest, PushRequest};
use venue_domain::{ChangeRecord, NodeId};
use venue_http::retry::RetryPolicy;
use venue_http::secrets::Secret;
use venue_store::convergence::{Exchange, Pulled};
use venue_store::StoreError;

/// One client per simulated console, each with its own device token.
pub struct HubExchange {
    clients: Vec<(NodeId, HubClient)>,
    schema: u32,
}

fn store_error(e: SyncError) -> StoreError {
    StoreError::Invalid(format!("the hub: {e}"))
}

impl HubExchange {
    /// Enrols each of `nodes` at the hub at `url` with the code of the same position.
    pub fn enroll(
        url: &str,
        codes: &[String],
        nodes: &[NodeId],
        schema: u32,
    ) -> Result<HubExchange, SyncError> {
        let runtime = crate::supervisor::runtime::shared().map_err(SyncError::Local)?;
        let mut clients = Vec::new();
        for (code, node) in codes.iter().zip(nodes) {
            let answer = runtime.block_on(HubClient::new(url, None)?.enroll(&EnrollRequest {
                code: code.clone(),
                node: *node,
            }))?;
            // A busy hub is waited for briefly; the simulation's own faults are the point.
            let client = HubClient::new(url, Some(Secret::new(answer.body.token)))?.with_retry(
                RetryPolicy {
                    base_ms: 50,
                    max_delay_ms: 500,
                    max_attempts: 5,
                    ..RetryPolicy::default()
                },
            );
            clients.push((*node, client));
        }
        Ok(HubExchange { clients, schema })
    }

    fn client(&self, site: usize) -> Result<&(NodeId, HubClient), StoreError> {
        self.clients
            .get(site)
            .ok_or_else(|| StoreError::Invalid(format!("no console {site} enrolled")))
    }
}

impl Exchange for HubExchange {
    fn push(
        &mut self,
        site: usize,
        changes: &[ChangeRecord],
    ) -> venue_store::Result<Vec<(ChangeRecord, String)>> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let (node, client) = self.client(site)?;
        let request = PushRequest {
            protocol: PROTOCOL_VERSION,
            schema: self.schema,
            node: *node,
            changes: changes
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?,
        };
        let runtime =
            crate::supervisor::runtime::shared().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let answer = runtime
            .block_on(client.push(&request))
            .map_err(store_error)?;
        Ok(changes
            .iter()
            .filter_map(|c| {
                answer
                    .body
                    .outcomes
                    .iter()
                    .find(|o| o.change_id == c.change_id)
                    .and_then(|o| match &o.outcome {
                        ChangeOutcome::Rejected { reason } => Some((c.clone(), reason.clone())),
                        _ => None,
                    })
            })
            .collect())
    }

    fn pull(
        &mut self,
        site: usize,
        cursor: Option<&str>,
        limit: u32,
    ) -> venue_store::Result<Pulled> {
        let (_, client) = self.client(site)?;
        let runtime =
            crate::supervisor::runtime::shared().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let page = runtime
            .block_on(client.pull(cursor, limit))
            .map_err(store_error)?
            .body;
        let moved = !page.changes.is_empty() || cursor != Some(page.cursor.as_str());
        let changes = SyncBatch {
            protocol: PROTOCOL_VERSION,
            schema: self.schema,
            changes: page.changes,
        }
        .into_changes()
        .map_err(|e| StoreError::Invalid(format!("the hub's page: {e}")))?;
        Ok(Pulled {
            changes,
            cursor: page.cursor,
            moved,
        })
    }
}
