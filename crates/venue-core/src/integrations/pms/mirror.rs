//! Mirroring the PMS into the store: pulls by modification window (first sync, gap-fill after a
//! reconnect, polling while the socket is down), the stays on the books by their dates (first
//! and full sync) and fetches of the records events name. PMS-owned
//! fields follow the PMS; an older copy of a record never overwrites a newer one, so duplicate
//! and out-of-order events are harmless.

use crate::console::StoreHandle;
use crate::{ApiError, ApiResult};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::Duration;
use uuid::Uuid;
use venue_domain::{Customer, EntityKind, Origin, Reservation, Resource, Venue};
use venue_http::fetch::{FetchError, SinkError};
use venue_http::http::RunContext;
use venue_pms::client::MewsClient;
use venue_pms::models::{MewsCustomer, MewsReservation, MewsResource};
use venue_pms::normalize::{self, MewsContext};
use venue_store::Record;

/// A failure of the store while mirroring, as the fetch reports it (the store's error kept
/// whole: a busy store is worth another pull soon, a damaged one is not).
fn store_failed(e: impl std::error::Error + Send + Sync + 'static) -> FetchError {
    FetchError::Sink(SinkError::new(e))
}

/// The reservation pages' writer stopped (it failed; its error is reported instead).
#[derive(Debug, thiserror::Error)]
#[error("the store stopped taking pages")]
struct WriterStopped;

/// What one pull or event batch wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MirrorCounts {
    pub seen: u64,
    pub written: u64,
    pub rejected: u64,
}

impl MirrorCounts {
    fn add(&mut self, other: MirrorCounts) {
        self.seen += other.seen;
        self.written += other.written;
        self.rejected += other.rejected;
    }
}

/// Time from a change in the PMS (its UpdatedUtc) to the change committed here, for records
/// fetched because an event named them: the number that says whether "live" is live.
#[derive(Debug, Default)]
pub struct LagRecorder {
    micros: VecDeque<u64>,
}

impl LagRecorder {
    const WINDOW: usize = 1 << 17;

    fn record(&mut self, changed_at: DateTime<Utc>, committed_at: DateTime<Utc>) {
        let lag = (committed_at - changed_at)
            .num_microseconds()
            .unwrap_or(0)
            .max(0) as u64;
        if self.micros.len() == Self::WINDOW {
            self.micros.pop_front();
        }
        self.micros.push_back(lag);
    }

    pub fn len(&self) -> usize {
        self.micros.len()
    }

    /// Nearest-rank percentile of the recorded lags.
    pub fn percentile(&self, q: f64) -> Option<Duration> {
        let mut sorted: Vec<u64> = self.micros.iter().copied().collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_unstable();
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted.get(rank - 1).map(|us| Duration::from_micros(*us))
    }
}

/// Reservations split by whether the guest and room they name are already held, with the
/// vendor ids of those still to read.
struct Prepared {
    ready: Vec<Reservation>,
    deferred: Vec<Reservation>,
    missing_customers: BTreeSet<String>,
    missing_resources: BTreeSet<String>,
}

/// Which reservations a pull reads.
#[derive(Debug, Clone, Copy)]
enum StayQuery {
    /// Those changed in [from, to) (`UpdatedUtc`).
    Updated(DateTime<Utc>, DateTime<Utc>),
    /// Those staying at some time in [from, to) (`CollidingUtc`).
    Colliding(DateTime<Utc>, DateTime<Utc>),
}

/// Reservations of a pull still waiting for their guest or room, with the vendor ids to read.
#[derive(Default)]
struct Unresolved {
    deferred: Vec<Reservation>,
    missing_customers: BTreeSet<String>,
    missing_resources: BTreeSet<String>,
}

pub(crate) struct Mirror<'s> {
    pub store: &'s StoreHandle,
    /// The leases of the runs (snapshots) this process has running.
    pub leases: &'s super::RunLeases,
    pub venue: Venue,
    pub client: MewsClient,
    pub ctx: MewsContext,
    pub lag: LagRecorder,
    pub first_rejection: Option<String>,
}

impl<'s> Mirror<'s> {
    pub fn new(
        store: &'s StoreHandle,
        leases: &'s super::RunLeases,
        venue: Venue,
        client: MewsClient,
        source: &str,
    ) -> Self {
        let ctx = MewsContext {
            venue_id: venue.id,
            source: source.to_string(),
        };
        Mirror {
            store,
            leases,
            venue,
            client,
            ctx,
            lag: LagRecorder::default(),
            first_rejection: None,
        }
    }

    fn reject(&mut self, what: &str, id: &str, why: &str) {
        tracing::warn!(record = what, id, reason = why, "PMS record skipped");
        if self.first_rejection.is_none() {
            self.first_rejection = Some(format!("{what} {id}: {why}"));
        }
    }

    fn ingest<R: Record>(&self, snapshot: Option<Uuid>, rows: &[R]) -> ApiResult<u64> {
        Ok(self
            .store
            .with(|s| s.ingest(Origin::Pms, snapshot, rows))?
            .written())
    }

    /// Services and rooms: small, so read whole on every pull.
    pub async fn pull_catalogue(
        &mut self,
        run: &RunContext,
        snapshot: Uuid,
    ) -> Result<MirrorCounts, FetchError> {
        let mut counts = MirrorCounts::default();
        let services = self.client.services_all(run).await?;
        counts.seen += services.len() as u64;
        let mut rows = Vec::with_capacity(services.len());
        for s in &services {
            match normalize::service(&self.ctx, s) {
                Ok(row) => rows.push(row),
                Err(why) => {
                    counts.rejected += 1;
                    self.reject("service", &s.id, &why.to_string());
                }
            }
        }
        counts.written += self.ingest(Some(snapshot), &rows).map_err(store_failed)?;
        let resources = self.client.resources_all(run).await?;
        counts.add(
            self.write_resources(Some(snapshot), &resources)
                .map_err(store_failed)?,
        );
        Ok(counts)
    }

    fn write_resources(
        &mut self,
        snapshot: Option<Uuid>,
        raw: &[MewsResource],
    ) -> ApiResult<MirrorCounts> {
        let mut counts = MirrorCounts {
            seen: raw.len() as u64,
            ..Default::default()
        };
        let mut rows: Vec<Resource> = Vec::with_capacity(raw.len());
        for r in raw {
            match normalize::resource(&self.ctx, r) {
                Ok(row) => rows.push(row),
                Err(why) => {
                    counts.rejected += 1;
                    self.reject("resource", &r.id, &why.to_string());
                }
            }
        }
        let rows = self.newest_only("resources", rows, |r| (r.id, r.updated_at_source))?;
        counts.written = self.ingest(snapshot, &rows)?;
        Ok(counts)
    }

    fn write_customers(
        &mut self,
        snapshot: Option<Uuid>,
        raw: &[MewsCustomer],
    ) -> ApiResult<MirrorCounts> {
        let mut counts = MirrorCounts {
            seen: raw.len() as u64,
            ..Default::default()
        };
        let mut rows: Vec<Customer> = Vec::with_capacity(raw.len());
        for c in raw {
            match normalize::customer(&self.ctx, c) {
                Ok(row) => rows.push(row),
                Err(why) => {
                    counts.rejected += 1;
                    self.reject("customer", &c.id, &why.to_string());
                }
            }
        }
        let rows = self.newest_only("customers", rows, |c| (c.id, c.updated_at_source))?;
        counts.written = self.ingest(snapshot, &rows)?;
        Ok(counts)
    }

    /// Drops records older than the copy we hold (by the vendor's modification time).
    fn newest_only<R>(
        &self,
        table: &str,
        rows: Vec<R>,
        key: impl Fn(&R) -> (Uuid, Option<DateTime<Utc>>),
    ) -> ApiResult<Vec<R>> {
        let ids: Vec<Uuid> = rows.iter().map(|r| key(r).0).collect();
        let held: HashMap<Uuid, DateTime<Utc>> =
            self.store.with(|s| s.source_versions(table, &ids))?;
        Ok(rows
            .into_iter()
            .filter(|r| {
                let (id, at) = key(r);
                match (held.get(&id), at) {
                    (Some(held), Some(at)) => at >= *held,
                    _ => true,
                }
            })
            .collect())
    }

    /// Normalises reservations and splits them into those whose guest and room we hold and
    /// those that name a guest or room we have not read yet (with the vendor ids to read).
    fn prepare_reservations(
        &mut self,
        raw: &[MewsReservation],
        counts: &mut MirrorCounts,
    ) -> ApiResult<Prepared> {
        counts.seen += raw.len() as u64;
        let mut rows = Vec::with_capacity(raw.len());
        let mut vendor_refs: HashMap<Uuid, (Option<String>, Option<String>)> = HashMap::new();
        for r in raw {
            match normalize::reservation(&self.ctx, r) {
                Ok(row) => {
                    vendor_refs.insert(
                        row.id,
                        (r.account_id.clone(), r.assigned_resource_id.clone()),
                    );
                    rows.push(row);
                }
                Err(why) => {
                    counts.rejected += 1;
                    self.reject("reservation", &r.id, &why.to_string());
                }
            }
        }
        let rows = self.newest_only("reservations", rows, |r| (r.id, r.updated_at_source))?;
        let customer_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.customer_id).collect();
        let resource_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.resource_id).collect();
        let (have_customers, have_resources) = self.store.with(|store| {
            Ok::<_, venue_store::StoreError>((
                store.existing_ids("customers", &customer_ids)?,
                store.existing_ids("resources", &resource_ids)?,
            ))
        })?;
        let mut ready = Vec::new();
        let mut deferred = Vec::new();
        let mut missing_customers = BTreeSet::new();
        let mut missing_resources = BTreeSet::new();
        for row in rows {
            let (account, room) = vendor_refs.get(&row.id).cloned().unwrap_or_default();
            let lacks_customer = row
                .customer_id
                .is_some_and(|c| !have_customers.contains(&c));
            let lacks_resource = row
                .resource_id
                .is_some_and(|r| !have_resources.contains(&r));
            if lacks_customer {
                missing_customers.extend(account);
            }
            if lacks_resource {
                missing_resources.extend(room);
            }
            if lacks_customer || lacks_resource {
                deferred.push(row);
            } else {
                ready.push(row);
            }
        }
        Ok(Prepared {
            ready,
            deferred,
            missing_customers,
            missing_resources,
        })
    }

    /// Reads the guests and rooms `deferred` reservations name, then returns those
    /// reservations ready to write; a reference the PMS does not return is left empty rather
    /// than failing the batch.
    async fn resolve_references(
        &mut self,
        run: &RunContext,
        snapshot: Option<Uuid>,
        deferred: Vec<Reservation>,
        missing_customers: BTreeSet<String>,
        missing_resources: BTreeSet<String>,
        counts: &mut MirrorCounts,
    ) -> Result<Vec<Reservation>, FetchError> {
        if !missing_customers.is_empty() {
            let ids: Vec<String> = missing_customers.into_iter().collect();
            let customers = self.client.customers_by_ids(run, &ids).await?;
            counts.add(
                self.write_customers(snapshot, &customers)
                    .map_err(store_failed)?,
            );
        }
        if !missing_resources.is_empty() {
            let ids: Vec<String> = missing_resources.into_iter().collect();
            let resources = self.client.resources_by_ids(run, &ids).await?;
            counts.add(
                self.write_resources(snapshot, &resources)
                    .map_err(store_failed)?,
            );
        }
        let customer_ids: Vec<Uuid> = deferred.iter().filter_map(|r| r.customer_id).collect();
        let resource_ids: Vec<Uuid> = deferred.iter().filter_map(|r| r.resource_id).collect();
        let (have_customers, have_resources): (HashSet<Uuid>, HashSet<Uuid>) = self
            .store
            .with(|store| {
                Ok::<_, venue_store::StoreError>((
                    store.existing_ids("customers", &customer_ids)?,
                    store.existing_ids("resources", &resource_ids)?,
                ))
            })
            .map_err(store_failed)?;
        Ok(deferred
            .into_iter()
            .map(|mut r| {
                if r.customer_id.is_some_and(|c| !have_customers.contains(&c)) {
                    tracing::warn!(reservation = %r.external_id, "the PMS did not return the reservation's guest");
                    r.customer_id = None;
                }
                if r.resource_id.is_some_and(|x| !have_resources.contains(&x)) {
                    tracing::warn!(reservation = %r.external_id, "the PMS did not return the reservation's room");
                    r.resource_id = None;
                }
                r
            })
            .collect())
    }

    /// Everything modified in `changed` (from, to): catalogue, guests, then reservations page by
    /// page (each page committed as it arrives, so a failure part-way keeps what came); with
    /// `stays`, also every reservation staying at some time in that window, whenever it was
    /// booked or last changed.
    pub async fn pull(
        &mut self,
        run: &RunContext,
        snapshot: Uuid,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        stays: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<MirrorCounts, FetchError> {
        let mut counts = self.pull_catalogue(run, snapshot).await?;
        let mut customer_pages: Vec<MewsCustomer> = Vec::new();
        {
            let mut sink = |page: Vec<MewsCustomer>| -> Result<(), SinkError> {
                customer_pages.extend(page);
                Ok(())
            };
            self.client
                .customers_updated(run, from, to, &mut sink)
                .await?;
        }
        counts.add(
            self.write_customers(Some(snapshot), &customer_pages)
                .map_err(store_failed)?,
        );
        drop(customer_pages);

        let mut unresolved = Unresolved::default();
        let mut queries = vec![StayQuery::Updated(from, to)];
        queries.extend(stays.map(|(start, end)| StayQuery::Colliding(start, end)));
        for query in queries {
            self.pull_reservations(run, snapshot, query, &mut unresolved, &mut counts)
                .await?;
        }
        let rows = self
            .resolve_references(
                run,
                Some(snapshot),
                unresolved.deferred,
                unresolved.missing_customers,
                unresolved.missing_resources,
                &mut counts,
            )
            .await?;
        counts.written += self.ingest(Some(snapshot), &rows).map_err(store_failed)?;
        Ok(counts)
    }

    /// Reads the reservations `query` names page by page, writing those whose guest and room
    /// are held and keeping the others in `unresolved`.
    async fn pull_reservations(
        &mut self,
        run: &RunContext,
        snapshot: Uuid,
        query: StayQuery,
        unresolved: &mut Unresolved,
        counts: &mut MirrorCounts,
    ) -> Result<(), FetchError> {
        let mut page_counts = MirrorCounts::default();
        let client = self.client.clone();
        // Pages travel through a channel so each is committed as it arrives while the client
        // fetches the next (both on this task; the store never leaves it).
        let (pages_tx, mut pages_rx) =
            tokio::sync::mpsc::unbounded_channel::<Vec<MewsReservation>>();
        let fetch = async move {
            let mut sink = |page: Vec<MewsReservation>| -> Result<(), SinkError> {
                pages_tx
                    .send(page)
                    .map_err(|_| SinkError::new(WriterStopped))
            };
            match query {
                StayQuery::Updated(from, to) => {
                    client.reservations_updated(run, from, to, &mut sink).await
                }
                StayQuery::Colliding(from, to) => {
                    client
                        .reservations_colliding(run, from, to, &mut sink)
                        .await
                }
            }
        };
        let write = async {
            while let Some(page) = pages_rx.recv().await {
                let prepared = self.prepare_reservations(&page, &mut page_counts)?;
                page_counts.written += self.ingest(Some(snapshot), &prepared.ready)?;
                unresolved.deferred.extend(prepared.deferred);
                unresolved
                    .missing_customers
                    .extend(prepared.missing_customers);
                unresolved
                    .missing_resources
                    .extend(prepared.missing_resources);
            }
            Ok::<(), ApiError>(())
        };
        let (fetched, written) = tokio::join!(fetch, write);
        counts.add(page_counts);
        written.map_err(store_failed)?;
        fetched
    }

    /// Fetches what events named and writes it. Guests of the named reservations are always
    /// re-read: a guest's edit (a new phone, VIP) reaches us as an event on their stay.
    pub async fn apply_events(
        &mut self,
        run: &RunContext,
        snapshot: Option<Uuid>,
        reservation_ids: &BTreeSet<String>,
        resource_ids: &BTreeSet<String>,
    ) -> Result<MirrorCounts, FetchError> {
        let mut counts = MirrorCounts::default();
        // Rooms and stays are fetched at once: one round trip, not two.
        let room_ids: Vec<String> = resource_ids.iter().cloned().collect();
        let ids: Vec<String> = reservation_ids.iter().cloned().collect();
        let client = &self.client;
        let (rooms, raw) = tokio::join!(
            async {
                if room_ids.is_empty() {
                    Ok(Vec::new())
                } else {
                    client.resources_by_ids(run, &room_ids).await
                }
            },
            async {
                if ids.is_empty() {
                    Ok(Vec::new())
                } else {
                    client.reservations_by_ids(run, &ids).await
                }
            }
        );
        let (rooms, raw) = (rooms?, raw?);
        if !rooms.is_empty() {
            counts.add(
                self.write_resources(snapshot, &rooms)
                    .map_err(store_failed)?,
            );
        }
        if raw.is_empty() {
            return Ok(counts);
        }
        // In Mews a guest's edit (a new email, VIP) reaches us only as an event on their stay, and
        // it may come in the same batch as a change to the stay itself, so the two cannot be told
        // apart: re-read the guests of every stay named, in one request. (Reading only the guests
        // of unchanged stays lost a guest's edit made together with a change to their stay.)
        let ours: Vec<Uuid> = raw
            .iter()
            .map(|r| self.ctx.row_id(EntityKind::Reservation, &r.id))
            .collect();
        let held = self
            .store
            .with(|s| s.source_versions("reservations", &ours))
            .map_err(store_failed)?;
        let accounts: Vec<String> = raw
            .iter()
            .filter_map(|r| r.account_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !accounts.is_empty() {
            let customers = self.client.customers_by_ids(run, &accounts).await?;
            counts.add(
                self.write_customers(snapshot, &customers)
                    .map_err(store_failed)?,
            );
        }
        let Prepared {
            mut ready,
            deferred,
            missing_customers,
            missing_resources,
        } = self
            .prepare_reservations(&raw, &mut counts)
            .map_err(store_failed)?;
        if !deferred.is_empty() {
            ready.extend(
                self.resolve_references(
                    run,
                    snapshot,
                    deferred,
                    missing_customers,
                    missing_resources,
                    &mut counts,
                )
                .await?,
            );
        }
        // Lag is measured on real changes only (`held` was read before this write): an event
        // for a stay that did not change (a duplicate, a guest's edit) says nothing about how
        // fast changes arrive.
        counts.written += self.ingest(snapshot, &ready).map_err(store_failed)?;
        let committed = Utc::now();
        for r in &ready {
            if let Some(changed) = r.updated_at_source {
                if held.get(&r.id).is_none_or(|h| changed > *h) {
                    self.lag.record(changed, committed);
                }
            }
        }
        Ok(counts)
    }
}
