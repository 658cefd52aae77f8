//! Simulators of vendor APIs over real HTTP on 127.0.0.1, for the demo venue and for connector
//! tests: a point-of-sale simulator serving Square- and Toast-shaped APIs, and a hotel PMS
//! simulator serving the Mews Connector API (see [Mews](#mews-hotel-pms) below).
//!
//! It generates a deterministic (seeded), believable venue — Square locations and Toast
//! restaurants (a café, a restaurant, bars) with lunch and evening peaks, weekday differences,
//! tips, discounts, cancellations, split bills and refunds — and serves it with the vendors'
//! pagination, authentication and error shapes. Tests can add or change orders, move the data
//! clock, inject faults per endpoint, and read request counters, all at run time.
//!
//! | endpoint | parameters | pages |
//! | --- | --- | --- |
//! | `GET /v2/locations` | — | — |
//! | `GET /v2/payments` | `begin_time`/`end_time` (created_at, [begin, end), default the last year), `updated_at_begin_time`/`updated_at_end_time`, `sort_field` (CREATED_AT, UPDATED_AT), `sort_order` (DESC), `location_id` (default: the main location only), `total`, `last_4`, `card_brand` | `limit` 1..=100 (100), `cursor` |
//! | `POST /v2/orders/search` | `location_ids` (1..=10), `query.filter.state_filter.states`, `query.filter.date_time_filter.{created_at,updated_at,closed_at}.{start_at,end_at}` (inclusive), `query.sort.{sort_field,sort_order}` (CREATED_AT, DESC; must match the filtered field), `return_entries` | `limit` 1..=1000 (500), `cursor` |
//! | `POST /authentication/v1/authentication/login` | `{clientId, clientSecret, userAccessType: "TOAST_MACHINE_CLIENT"}` | — |
//! | `GET /orders/v2/ordersBulk` | `startDate`/`endDate` (modified time, [start, end), ≤ 31 days) or `businessDate=yyyyMMdd`; headers `Authorization: Bearer`, `Toast-Restaurant-External-ID` | `pageSize` 1..=100 (100), `page` from 1, `Link` headers (`rel="next"` while more follow) |
//! | `GET /restaurants/v1/restaurants/{guid}` | `includeArchived`; headers `Authorization: Bearer`, `Toast-Restaurant-External-ID` (the same GUID) | — (`RestaurantInfo`: `general.name` names it) |
//!
//! Square requests need `Authorization: Bearer` and `Square-Version`; cursors are keyset cursors
//! bound to their query (another query's cursor is a 400 `INVALID_CURSOR`). Bad requests get the
//! vendor's 400 body, never a panic.
//!
//! ```no_run
//! use venue_sim::{Endpoint, Fault, PosSimulator, RetryAfter, SimConfig, Times, Vendor};
//!
//! # async fn demo() -> Result<(), venue_sim::SimError> {
//! let sim = PosSimulator::start(SimConfig { seed: 7, days: 3, ..Default::default() }).await?;
//! let base = sim.base_url(); // http://127.0.0.1:PORT — Square and Toast paths on one server
//! let token = sim.config().square_access_token.clone();
//! let locations = sim.locations(Vendor::Square);
//!
//! // The next two payment pages answer 429 with `Retry-After: 2`.
//! sim.inject(Endpoint::SquarePayments, Fault::RateLimited(RetryAfter::Seconds(2)), Times::Next(2));
//! // ... run a client against `base` ...
//! assert!(sim.requests(Endpoint::SquarePayments) >= 3);
//!
//! // New sales arrive: the data clock moves on two hours.
//! sim.advance(chrono::TimeDelta::hours(2));
//! sim.restart().await?; // same port, same data
//! sim.shutdown().await;
//! # let _ = (base, token, locations); Ok(()) }
//! ```
//!
//! # Mews (hotel PMS)
//!
//! [`MewsSimulator`] serves a Mews Connector API on a port of its own: a seeded hotel in
//! Amsterdam (EUR; 40 rooms "101".."410" on floors 1–4, guests from many countries with a few
//! VIPs, reservations from `history_days` ago to 30 days ahead in states that fit their dates,
//! housekeeping states). Some stays are on the books without any recent change: arrivals of the
//! coming weeks booked four to eight months ahead and never touched since, and one long stay in
//! house (the last room) since three to four months, untouched since check-in; only a read by
//! the stays' dates (`CollidingUtc`, `ScheduledStartUtc`) finds them. Time filters are half-open
//! and refused past three months (`CollidingUtc` selects stays whose scheduled start to end
//! overlaps it). Every operation is `POST {base}/api/connector/v1/...` with
//! `ClientToken`, `AccessToken` and `Client` in the JSON body (else 401 / 400 with Mews' error
//! body `{"Message","RequestId","Details"}`); past `requests_per_window` per AccessToken in the
//! sliding `window` it answers 429 with `Retry-After` (seconds).
//!
//! | operation | filters | notes |
//! | --- | --- | --- |
//! | `reservations/getAll/2023-06-06` | `ReservationIds`, `ServiceIds`, `ReservationGroupIds`, `AccountIds`, `Numbers`, `ChannelNumbers`, `AssignedResourceIds`, `States`, `CreatedUtc`, `UpdatedUtc`, `CollidingUtc`, `ScheduledStartUtc` xor `ActualStartUtc`, `ScheduledEndUtc` xor `ActualEndUtc`, `EnterpriseIds` | full 2023-06-06 reservation shape |
//! | `customers/getAll` | at least one of `CustomerIds`, `Emails`, `FirstNames`, `LastNames`, `LoyaltyCodes`, `CompanyIds`, `CreatedUtc`, `UpdatedUtc`, `DeletedUtc`; `ActivityStates`, `Extent` | VIPs are classified `VeryImportant` / `Important` |
//! | `resources/getAll` | `ResourceIds`, `Names`, `CreatedUtc`, `UpdatedUtc`, `EnterpriseIds`, `Extent` | categories and assignments on request |
//! | `services/getAll` | `ServiceIds`, `ServiceType`, `UpdatedUtc`, `EnterpriseIds` | Accommodation (Bookable), Breakfast, Minibar & Extras, Restaurant & Bar |
//! | `orders/add` | `ServiceId` (an Additional service), `AccountId`, `Items` (`UnitAmount` in the enterprise currency, `GrossValue` or `NetValue`, at most one of the tax codes `NL-2019-S` 21 %, `NL-2019-L` 9 %, `NL-2019-Z` 0 %), `LinkedReservationId` (not Canceled), `ConsumptionUtc`, `Notes` | `{"OrderId"}`; not idempotent, like Mews |
//! | `orderItems/getAll` | at least one of `OrderItemIds`, `AccountIds`, `ServiceOrderIds`, `ServiceIds`, `BillIds`, `CreatedUtc`, `UpdatedUtc`, `ConsumedUtc`, `CanceledUtc`, `ClosedUtc`; `AccountingStates`, `Types`, `Currency` | items of a linked order carry the reservation id as `ServiceOrderId`; `ServiceOrderIds` also matches the `OrderId` |
//!
//! Time filters are half-open `[StartUtc, EndUtc)`, at most 3 months long, `EndUtc` after
//! `StartUtc`. Paging: `Limitation {Count 1..=1000, Cursor}`; the response's `Cursor` is the id
//! of the last item (null on an empty page); a page shorter than `Count` is the last. Pages are
//! ordered by `(CreatedUtc, Id)`, or by `(UpdatedUtc, Id)` when filtering by `UpdatedUtc`; a
//! cursor resumes where its page ended even if that item changed since, so unchanged items are
//! never repeated or skipped (an item updated while a client pages by `UpdatedUtc` is served
//! again, with its new state). Empty filter arrays count as absent.
//!
//! `GET /ws/connector` (cookie `ClientToken=...;AccessToken=...`) pushes
//! `{"Events":[{"Type":"Reservation","Id","State","StartUtc","EndUtc","AssignedResourceId"?},
//! {"Type":"Resource","Id","State"}]}` for every change made through the handle (a guest
//! profile edit, which has no Mews event, pushes the `Reservation` event of the guest's current
//! reservation), and now and then `PriceUpdate` / `DeviceCommand` events clients must skip.
//!
//! ```no_run
//! use venue_sim::{Fault, MewsEndpoint, MewsSimConfig, MewsSimulator, RetryAfter, Times};
//!
//! # async fn demo() -> Result<(), venue_sim::SimError> {
//! let sim = MewsSimulator::start(MewsSimConfig { seed: 7, ..Default::default() }).await?;
//! let (base, ws) = (sim.base_url(), sim.ws_url());
//! sim.inject(MewsEndpoint::ReservationsGetAll, Fault::RateLimited(RetryAfter::Seconds(1)), Times::ONCE);
//! sim.inject_orders_add_lost_response(Times::ONCE); // recorded, but answered 500
//! let changed = sim.churn(10); // pushed over the websocket too
//! sim.drop_sockets();
//! sim.restart().await?; // same port, same hotel
//! # let _ = (base, ws, changed); Ok(()) }
//! ```
//!
//! # People counters (door sensors)
//!
//! [`SensorSimulator`] serves any number of fake people counters from **one** listener on
//! 127.0.0.1, each under its own prefix: [`SensorSimHandle::base_url`] is
//! `http://127.0.0.1:PORT/dev/<name>` and the device's vendor paths follow it. Every device
//! accepts [`SensorSimConfig::username`] / [`SensorSimConfig::password`].
//!
//! | kind | paths (after the base URL) | auth |
//! | --- | --- | --- |
//! | [`CounterKind::AxisPeopleCounter`] | `GET /local/tvpc/.api?live-sum.json` (older firmware `/local/people-counter/.api?live-sum.json`) → `{"serial","name","timestamp":"YYYYMMDDhhmmss" (device-local),"in","out"}`, counts since local midnight | Digest (MD5, `qop="auth"`, realm `AXIS_<serial>`) |
//! | [`CounterKind::Axis3d`] | `GET /a3dpc/api/occupancy` → `{"occupancy","serial","timestamp" (ISO with offset),"total_in","total_out"}`; `GET /a3dpc/api/export/json?start=&end=&resolution=minute\|hour\|day` → `{"data":[{"start","end" (local "YYYY-MM-DD hh:mm:ss"),"in","out"}]}`, buckets over `[start, end)`; bad parameters: 400 `{"error":{"message":"Validation failed","error":[{"field","reason"}]}}` | Digest |
//! | [`CounterKind::Xovis`] | `GET /api/v5/logics` → `{"time","logics":[{"id","name","info","counts":[{"id","name","value"}]}]}` (epoch ms; zone logic 1 counts `balance`, people inside; line logic 2 counts `fw` in and `bw` out); `GET /api/v5/logics/{id}/records?from=&to=` (epoch ms) → the logic with one record per minute whose start is in `[from, to)`; 404/400 `{"message"}` | Basic (realm `xovis`) |
//!
//! Export dates may be `YYYYMMDD`, `YYYYMMDDhhmm[ss]`, `YYYY-MM-DD[Thh:mm[:ss]]` (device-local),
//! RFC 3339, epoch seconds or milliseconds, `now`, `today` or `yesterday`. The cumulative
//! counters reset at device-local midnight ([`SensorSimConfig::timezone`]) and on
//! [`SensorSimHandle::reset_counter`]; [`SensorSimHandle::totals`] is the ground truth since the
//! start. History (A3DPC export, Xovis records) answers from a per-minute ring of the last three
//! days on the device's clock, so buckets over `[a, b)` sum to exactly what was walked in
//! `[a, b)`. [`SensorSimHandle::publish_mqtt`] sends the counts since the device's last publish
//! as one Xovis v5 push (`{"logics_data":{"package_info","logics"}}`) at QoS 1. Faults
//! ([`SensorFault`]: `Timeout`, `Unauthorized`, `Malformed`, `ServerError`, `Offline` — the
//! connection is dropped unanswered) are queued per device; request counters and the most
//! requests served at once per device ([`SensorSimHandle::max_in_flight`]) show how a poller
//! behaves. [`SensorSimHandle::start_traffic`] runs realistic foot traffic (open 07:00–23:00,
//! lunch and evening peaks, weekday differences) that goes on while the server is down.
//!
//! ```no_run
//! use venue_sim::{CounterKind, SensorFault, SensorSimConfig, SensorSimulator, SimDeviceSpec, Times};
//!
//! # async fn demo() -> Result<(), venue_sim::SimError> {
//! let sim = SensorSimulator::start(SensorSimConfig {
//!     devices: vec![
//!         SimDeviceSpec::new("door", CounterKind::AxisPeopleCounter, "Lobby", 240),
//!         SimDeviceSpec::new("terrace", CounterKind::Xovis, "Terrace", 90),
//!     ],
//!     ..Default::default()
//! })
//! .await?;
//! let live = format!("{}/local/tvpc/.api?live-sum.json", sim.base_url("door").unwrap_or_default());
//! sim.walk("door", 5, 2); // people pass now
//! sim.inject("door", SensorFault::Offline, Times::ONCE);
//! sim.reset_counter("door"); // the live counters drop to 0; totals() keeps (5, 2)
//! sim.publish_mqtt("127.0.0.1:1883", "venue/terrace", "terrace").await?;
//! sim.start_traffic();
//! sim.restart().await?; // same port, same counts
//! # let _ = live; Ok(()) }
//! ```

mod config;
pub mod control;
mod faults;
mod gen;
mod mews;
mod model;
mod sensors;
mod server;
mod square;
mod store;
mod toast;
mod util;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::task::JoinHandle;

pub use config::{SimClock, SimConfig};
pub use faults::{Endpoint, Fault, RetryAfter, Times};
pub use mews::{
    BackgroundMewsSim, MewsEndpoint, MewsSimConfig, MewsSimHandle, MewsSimulator, SimChange,
    SimCustomer, SimOrderItem, SimPostedOrder, SimReservation, SimResource, SimService,
};
pub use model::{
    OrderSpec, OrderState, PaymentMethod, PaymentStatus, Profile, SimDiscount, SimLine,
    SimLocation, SimOrder, SimPayment, SimRefund, Vendor,
};
pub use sensors::{
    BackgroundSensorSim, CounterKind, SensorFault, SensorSimConfig, SensorSimHandle,
    SensorSimulator, SimDeviceSpec,
};

use server::{lock, Shared};

/// What can go wrong starting or driving the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration is out of range.
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for (0: any).
        port: u16,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// An order named a location the simulator does not have.
    #[error("unknown location: {0}")]
    UnknownLocation(String),
    /// Not called from within a tokio runtime, or a runtime could not be built.
    #[error("tokio runtime: {0}")]
    Runtime(String),
    /// The people-counter simulator has no device of that name.
    #[error("unknown device: {0}")]
    UnknownDevice(String),
    /// Publishing to the MQTT broker failed (unreachable, refused, no acknowledgement).
    #[error("mqtt: {0}")]
    Mqtt(String),
}

/// The runtime a simulator started from synchronous code runs on (two worker threads), so
/// tests and the CLI need no runtime of their own.
pub(crate) fn background_runtime(name: &str) -> Result<tokio::runtime::Runtime, SimError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .map_err(|e| SimError::Runtime(e.to_string()))
}

/// Starts simulators.
pub struct PosSimulator;

impl PosSimulator {
    /// Generates the data and starts serving both vendors on 127.0.0.1 (`config.port`, 0 for any
    /// free port) on the current tokio runtime.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        config.validate()?;
        let rt =
            tokio::runtime::Handle::try_current().map_err(|e| SimError::Runtime(e.to_string()))?;
        let listener = server::bind(config.port).await?;
        let addr = listener.local_addr().map_err(|e| SimError::Bind {
            port: config.port,
            source: e,
        })?;
        let base_url = format!("http://{addr}");
        let shared = Arc::new(Shared::new(config, base_url));
        let task = server::spawn(&rt, shared.clone(), listener);
        Ok(SimHandle {
            shared,
            addr,
            rt,
            server: Mutex::new(Some(task)),
        })
    }

    /// Like [`PosSimulator::start`], for synchronous code: runs on a runtime of its own (two
    /// worker threads) that lives as long as the returned [`BackgroundSim`].
    pub fn start_in_background(config: SimConfig) -> Result<BackgroundSim, SimError> {
        let rt = crate::background_runtime("venue-sim")?;
        let handle = rt.block_on(PosSimulator::start(config))?;
        Ok(BackgroundSim {
            handle,
            rt: Some(rt),
        })
    }
}

/// A running (or stopped, restartable) simulator. Dropping it stops the server.
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    rt: tokio::runtime::Handle,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, the base URL of both vendors' APIs (no trailing slash).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it runs with (tokens and credentials included).
    pub fn config(&self) -> &SimConfig {
        &self.shared.cfg
    }

    /// Whether the server is accepting requests.
    pub fn is_running(&self) -> bool {
        lock(&self.server).is_some()
    }

    /// Stops accepting requests and waits for in-flight ones (a request held by a `Timeout` or
    /// `Latency` fault is released at once). Idempotent. Data, faults and counters are kept.
    pub async fn shutdown(&self) {
        self.shared.stopping.send_replace(true);
        let task = lock(&self.server).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    /// Stops (if running) and serves again on the same port with the same data, faults, counters
    /// and Toast tokens, as a restarted vendor would.
    pub async fn restart(&self) -> Result<(), SimError> {
        self.shutdown().await;
        let mut attempt = 0;
        let listener = loop {
            match server::bind(self.addr.port()).await {
                Ok(l) => break l,
                Err(e) if attempt >= 40 => return Err(e),
                Err(_) => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let task = server::spawn(&self.rt, self.shared.clone(), listener);
        *lock(&self.server) = Some(task);
        Ok(())
    }

    // ------------------------------------------------------------ data

    /// The locations of a vendor (Square locations / Toast restaurants), in configured order; the
    /// first Square location is the "main" one ListPayments defaults to.
    pub fn locations(&self, vendor: Vendor) -> Vec<SimLocation> {
        lock(&self.shared.store)
            .locations(vendor)
            .cloned()
            .collect()
    }

    /// Renames a location (a Square location, a Toast restaurant) as its owner would in the
    /// vendor's back office: the APIs serve the new name from now on. `None` for an unknown id.
    pub fn rename_location(&self, vendor: Vendor, id: &str, name: &str) -> Option<SimLocation> {
        lock(&self.shared.store).rename_location(vendor, id, name)
    }

    /// Every order of a vendor as it stands at `now` (what the API serves), oldest first.
    pub fn orders(&self, vendor: Vendor) -> Vec<SimOrder> {
        lock(&self.shared.store).visible(vendor)
    }

    /// One order as it stands at `now`.
    pub fn order(&self, id: &str) -> Option<SimOrder> {
        lock(&self.shared.store).get(id)
    }

    /// The data clock.
    pub fn now(&self) -> DateTime<Utc> {
        lock(&self.shared.store).now()
    }

    /// Moves the data clock on: sales opened, closed or refunded in between appear (orders
    /// closing change from open to completed, with a later `updated_at`), and the following days
    /// are generated as their time comes.
    pub fn advance(&self, by: TimeDelta) {
        lock(&self.shared.store).advance(by);
    }

    /// Adds an order (a new sale arriving). It is served as given, at once, whatever the clock.
    pub fn add_order(&self, spec: OrderSpec) -> Result<SimOrder, SimError> {
        lock(&self.shared.store).add(spec)
    }

    /// Changes a visible order in place. Its `version` goes up and its `updated_at` moves past
    /// the previous one (to `now` at least) unless `f` set a later one; its id and vendor stay.
    /// `None` if no such order is visible.
    pub fn update_order(&self, id: &str, f: impl FnOnce(&mut SimOrder)) -> Option<SimOrder> {
        lock(&self.shared.store).update(id, f)
    }

    /// Refunds part of an order's first captured payment now (capped at what is left to refund).
    /// `None` if the order is not visible or has no captured payment.
    pub fn refund_order(&self, id: &str, amount_minor: i64) -> Option<SimOrder> {
        lock(&self.shared.store).refund(id, amount_minor)
    }

    // ------------------------------------------------------------ faults

    /// Queues a fault on an endpoint; see [`Fault`] and [`Times`].
    pub fn inject(&self, endpoint: Endpoint, fault: Fault, times: Times) {
        lock(&self.shared.faults).push(endpoint, fault, times);
    }

    /// Queues the same fault on every endpoint.
    pub fn inject_everywhere(&self, fault: Fault, times: Times) {
        let mut book = lock(&self.shared.faults);
        for ep in Endpoint::ALL {
            book.push(ep, fault.clone(), times);
        }
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Removes the faults queued on one endpoint.
    pub fn clear_faults_on(&self, endpoint: Endpoint) {
        lock(&self.shared.faults).clear_endpoint(endpoint);
    }

    /// Faults still queued on an endpoint.
    pub fn pending_faults(&self, endpoint: Endpoint) -> usize {
        lock(&self.shared.faults).pending(endpoint)
    }

    /// Expires every Toast token issued so far (the next ordersBulk call with one gets 401).
    pub fn expire_toast_tokens(&self) {
        lock(&self.shared.tokens).clear();
    }

    // ------------------------------------------------------------ counters

    /// Requests that reached an endpoint (faulted, rejected and successful alike).
    pub fn requests(&self, endpoint: Endpoint) -> u64 {
        self.shared.counters[endpoint.index()].load(Ordering::Relaxed)
    }

    /// Requests over all endpoints.
    pub fn total_requests(&self) -> u64 {
        Endpoint::ALL.iter().map(|e| self.requests(*e)).sum()
    }

    /// Successful Toast logins (tokens issued).
    pub fn toast_logins(&self) -> u64 {
        self.shared.logins.load(Ordering::Relaxed)
    }

    /// Sets every counter, logins included, back to 0.
    pub fn reset_counters(&self) {
        for c in &self.shared.counters {
            c.store(0, Ordering::Relaxed);
        }
        self.shared.logins.store(0, Ordering::Relaxed);
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shared.stopping.send_replace(true);
    }
}

/// A simulator on a runtime of its own, for synchronous tests; derefs to [`SimHandle`].
pub struct BackgroundSim {
    handle: SimHandle,
    rt: Option<tokio::runtime::Runtime>,
}

impl BackgroundSim {
    /// Stops serving (blocking until in-flight requests are done).
    pub fn shutdown(&self) {
        if let Some(rt) = &self.rt {
            rt.block_on(self.handle.shutdown());
        }
    }

    /// Serves again on the same port with the same state.
    pub fn restart(&self) -> Result<(), SimError> {
        match &self.rt {
            Some(rt) => rt.block_on(self.handle.restart()),
            None => Err(SimError::Runtime("the runtime is gone".to_string())),
        }
    }
}

impl std::ops::Deref for BackgroundSim {
    type Target = SimHandle;

    fn deref(&self) -> &SimHandle {
        &self.handle
    }
}

impl Drop for BackgroundSim {
    fn drop(&mut self) {
        self.handle.shared.stopping.send_replace(true);
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}
