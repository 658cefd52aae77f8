//! A Mews Connector API simulator (hotel PMS): REST operations and the websocket on 127.0.0.1,
//! serving a seeded hotel, with fault injection and run-time changes. See the crate docs.

mod churn;
mod faults;
mod gen;
mod model;
mod render;
mod rest;
mod server;
mod ws;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::task::JoinHandle;

pub use faults::MewsEndpoint;
pub use model::{
    SimChange, SimCustomer, SimOrderItem, SimPostedOrder, SimReservation, SimResource, SimService,
};

use crate::faults::{Fault, Times};
use crate::server::lock;
use crate::SimError;
use churn::Outcome;
use faults::MewsFault;
use server::MewsShared;

/// What to simulate and how to serve it. Build with struct-update syntax:
///
/// ```
/// let cfg = venue_sim::MewsSimConfig { seed: 7, rooms: 12, ..Default::default() };
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MewsSimConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Seed of all generated data: the same seed gives the same ids, guests and stays
    /// (times are relative to the hour the simulator starts in).
    pub seed: u64,
    /// Number of rooms, spread over floors 1–4 (1..=396).
    pub rooms: u32,
    /// Reservations start from this many days before now up to 30 days after (0..=365); the
    /// one long stay in house began 100 to 120 days ago whatever this is.
    pub history_days: i64,
    /// The `ClientToken` every request must carry.
    pub client_token: String,
    /// The `AccessToken` every request must carry.
    pub access_token: String,
    /// Requests accepted per AccessToken in any `window` (Mews: 200 per 30 s); past it, 429
    /// with `Retry-After` in seconds.
    pub requests_per_window: u32,
    /// The sliding window of the rate limit.
    pub window: Duration,
    /// ISO 4217 currency of the enterprise (orders must use it).
    pub currency: String,
    /// How long the `Timeout` fault holds a request (or until shutdown).
    pub timeout_hold: Duration,
}

impl Default for MewsSimConfig {
    fn default() -> Self {
        MewsSimConfig {
            port: 0,
            seed: 42,
            rooms: 40,
            history_days: 14,
            client_token: "sim-mews-client-token".to_string(),
            access_token: "sim-mews-access-token".to_string(),
            requests_per_window: 200,
            window: Duration::from_secs(30),
            currency: "EUR".to_string(),
            timeout_hold: Duration::from_secs(120),
        }
    }
}

impl MewsSimConfig {
    fn validate(&self) -> Result<(), SimError> {
        let bad = |m: &str| Err(SimError::Config(m.to_string()));
        if !(1..=396).contains(&self.rooms) {
            return bad("rooms must be from 1 to 396");
        }
        if !(0..=365).contains(&self.history_days) {
            return bad("history_days must be from 0 to 365");
        }
        if self.client_token.is_empty() || self.access_token.is_empty() {
            return bad("tokens must not be empty");
        }
        if self.requests_per_window == 0 || self.window.is_zero() {
            return bad("the rate limit needs requests_per_window >= 1 and a non-zero window");
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return bad("currency must be an ISO 4217 code such as EUR");
        }
        Ok(())
    }
}

/// Starts Mews simulators.
pub struct MewsSimulator;

impl MewsSimulator {
    /// Generates the hotel and serves it on 127.0.0.1 (`config.port`, 0 for any free port) on
    /// the current tokio runtime.
    pub async fn start(config: MewsSimConfig) -> Result<MewsSimHandle, SimError> {
        config.validate()?;
        let rt =
            tokio::runtime::Handle::try_current().map_err(|e| SimError::Runtime(e.to_string()))?;
        let listener = crate::server::bind(config.port).await?;
        let addr = listener.local_addr().map_err(|e| SimError::Bind {
            port: config.port,
            source: e,
        })?;
        let hotel = gen::generate(&config, chrono::Utc::now());
        let shared = Arc::new(MewsShared::new(config, hotel, addr.port()));
        let task = server::spawn(&rt, shared.clone(), listener);
        Ok(MewsSimHandle {
            shared,
            addr,
            rt,
            server: Mutex::new(Some(task)),
            dropper: Mutex::new(None),
        })
    }

    /// Like [`MewsSimulator::start`], for synchronous code: runs on a runtime of its own (two
    /// worker threads) that lives as long as the returned [`BackgroundMewsSim`].
    pub fn start_in_background(config: MewsSimConfig) -> Result<BackgroundMewsSim, SimError> {
        let rt = crate::background_runtime("venue-sim-mews")?;
        let handle = rt.block_on(MewsSimulator::start(config))?;
        Ok(BackgroundMewsSim {
            handle,
            rt: Some(rt),
        })
    }
}

/// A running (or stopped, restartable) Mews simulator. Dropping it stops the server and closes
/// every websocket.
pub struct MewsSimHandle {
    shared: Arc<MewsShared>,
    addr: SocketAddr,
    rt: tokio::runtime::Handle,
    server: Mutex<Option<JoinHandle<()>>>,
    dropper: Mutex<Option<JoinHandle<()>>>,
}

impl MewsSimHandle {
    /// `http://127.0.0.1:PORT`; operations are at `{base}/api/connector/v1/...`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// `ws://127.0.0.1:PORT/ws/connector`.
    pub fn ws_url(&self) -> String {
        self.shared.ws_url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it runs with (tokens included).
    pub fn config(&self) -> &MewsSimConfig {
        &self.shared.cfg
    }

    /// The enterprise (hotel) id.
    pub fn enterprise_id(&self) -> String {
        lock(&self.shared.hotel).enterprise_id.clone()
    }

    /// The enterprise currency, e.g. "EUR".
    pub fn currency(&self) -> String {
        lock(&self.shared.hotel).currency.clone()
    }

    /// The tax codes `orders/add` accepts, with their rates in basis points.
    pub fn tax_codes(&self) -> Vec<(String, u32)> {
        rest::TAX_CODES
            .iter()
            .map(|(code, bp)| (code.to_string(), u32::try_from(*bp).unwrap_or(0)))
            .collect()
    }

    /// Whether the server is accepting requests.
    pub fn is_running(&self) -> bool {
        lock(&self.server).is_some()
    }

    /// Stops accepting requests, closes every websocket, and waits for in-flight requests (a
    /// request held by a `Timeout` or `Latency` fault is released at once). Idempotent; data,
    /// faults and counters are kept.
    pub async fn shutdown(&self) {
        self.shared.stopping.send_replace(true);
        let task = lock(&self.server).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    /// Stops (if running) and serves again on the same port with the same data, faults and
    /// counters; websockets are dropped and clients must reconnect.
    pub async fn restart(&self) -> Result<(), SimError> {
        self.shutdown().await;
        let mut attempt = 0;
        let listener = loop {
            match crate::server::bind(self.addr.port()).await {
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

    // ------------------------------------------------------------ the hotel's state

    /// Every reservation as it stands now.
    pub fn reservations(&self) -> Vec<SimReservation> {
        let h = lock(&self.shared.hotel);
        h.reservations.iter().map(|r| r.sim.clone()).collect()
    }

    /// Every customer profile.
    pub fn customers(&self) -> Vec<SimCustomer> {
        let h = lock(&self.shared.hotel);
        h.customers.iter().map(|c| c.sim.clone()).collect()
    }

    /// Every room.
    pub fn resources(&self) -> Vec<SimResource> {
        let h = lock(&self.shared.hotel);
        h.resources.iter().map(|r| r.sim.clone()).collect()
    }

    /// The services: Accommodation (Bookable), Breakfast, Minibar & Extras, Restaurant & Bar
    /// (Additional).
    pub fn services(&self) -> Vec<SimService> {
        let h = lock(&self.shared.hotel);
        h.services.iter().map(|s| s.sim.clone()).collect()
    }

    /// Every accepted `orders/add`, oldest first, with its items.
    pub fn orders(&self) -> Vec<SimPostedOrder> {
        lock(&self.shared.hotel).orders.clone()
    }

    // ------------------------------------------------------------ driving changes

    fn push(&self, outcomes: &[Outcome]) {
        for o in outcomes.iter().filter(|o| !o.events.is_empty()) {
            self.shared
                .ws
                .broadcast(json!({ "Events": o.events }).to_string());
        }
    }

    /// Makes `n` realistic changes now — check-ins (a room is kept or assigned), check-outs
    /// (the room turns Dirty), cancellations, new bookings (sometimes by a new guest), date and
    /// party-size edits, housekeeping (Dirty → Clean → Inspected; occupied rooms get Dirty) and
    /// guest profile edits (e-mail, phone, VIP, notes) — stamping `UpdatedUtc` with the wall
    /// clock and pushing one websocket message per change. Returns every entity touched. A
    /// profile edit has no Mews event of its own: it pushes a `Reservation` event for the
    /// guest's current reservation (in house, else the next arrival), if any.
    pub fn churn(&self, n: usize) -> Vec<SimChange> {
        let outcomes = lock(&self.shared.hotel).churn(n);
        self.push(&outcomes);
        outcomes.into_iter().flat_map(|o| o.changes).collect()
    }

    /// Sets a reservation's state as the front desk would (Started checks in and assigns a
    /// free room if none; Processed checks out and dirties the room; Canceled cancels) and
    /// pushes the events. `None` for an unknown id or state.
    pub fn set_reservation_state(&self, id: &str, state: &str) -> Option<SimReservation> {
        let (outcome, snapshot) = {
            let mut h = lock(&self.shared.hotel);
            let o = h.set_reservation_state(id, state)?;
            (o, h.reservation(id).map(|r| r.sim.clone()))
        };
        self.push(&[outcome]);
        snapshot
    }

    /// Sets a room's housekeeping state (Dirty, Clean, Inspected, OutOfService, OutOfOrder) and
    /// pushes a Resource event. `None` for an unknown id or state.
    pub fn set_resource_state(&self, id: &str, state: &str) -> Option<SimResource> {
        let (outcome, snapshot) = {
            let mut h = lock(&self.shared.hotel);
            let o = h.set_resource_state(id, state)?;
            (o, h.resource(id).map(|r| r.sim.clone()))
        };
        self.push(&[outcome]);
        snapshot
    }

    // ------------------------------------------------------------ faults

    /// Queues a fault on an endpoint (see [`Fault`] and [`Times`]). Errors use Mews' error
    /// body; `RateLimited` answers 429; `ExpiredToken` 401. `MalformedJson` and `TruncatedJson`
    /// run the operation first, so on `OrdersAdd` the order is recorded and only the answer is
    /// broken; `Timeout` holds the request, then runs it (an order posted under it is recorded
    /// after the client gave up). On `Websocket`, delays and error answers apply to the upgrade
    /// request.
    pub fn inject(&self, endpoint: MewsEndpoint, fault: Fault, times: Times) {
        lock(&self.shared.faults).push(endpoint, MewsFault::Plain(fault), times);
    }

    /// `orders/add` records the order, then answers 500: the client cannot tell whether its
    /// charge went through (it did). For a dropped connection instead, inject
    /// [`Fault::TruncatedJson`] on [`MewsEndpoint::OrdersAdd`].
    pub fn inject_orders_add_lost_response(&self, times: Times) {
        lock(&self.shared.faults).push(MewsEndpoint::OrdersAdd, MewsFault::LostResponse, times);
    }

    /// Removes every queued fault (socket faults included: stalls end, periodic drops stop,
    /// sockets are enabled again).
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
        self.drop_sockets_every(None);
        self.shared.ws.stall_for(Duration::ZERO);
        self.shared.ws.set_enabled(true);
    }

    /// Requests that reached an endpoint (faulted, rejected and successful alike).
    pub fn requests(&self, endpoint: MewsEndpoint) -> u64 {
        self.shared.counters[endpoint.index()].load(std::sync::atomic::Ordering::Relaxed)
    }

    // ------------------------------------------------------------ websocket

    /// Closes every websocket now, abruptly (no close frame).
    pub fn drop_sockets(&self) {
        self.shared.ws.drop_all();
    }

    /// Keeps dropping every websocket each `every` (`None` stops).
    pub fn drop_sockets_every(&self, every: Option<Duration>) {
        let task = every.map(|d| {
            let shared = self.shared.clone();
            let d = d.max(Duration::from_millis(1));
            self.rt.spawn(async move {
                let mut tick = tokio::time::interval(d);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    shared.ws.drop_all();
                }
            })
        });
        if let Some(old) = std::mem::replace(&mut *lock(&self.dropper), task) {
            old.abort();
        }
    }

    /// Websockets keep their TCP connection but send nothing and answer no pings for `for_`
    /// (events pushed meanwhile are delivered afterwards, unless a socket falls too far behind
    /// and is dropped).
    pub fn stall_sockets(&self, for_: Duration) {
        self.shared.ws.stall_for(for_);
    }

    /// Sends `text` as a text frame to every connected websocket, as is (e.g. malformed JSON).
    pub fn send_raw_frame(&self, text: &str) {
        self.shared.ws.broadcast(text.to_string());
    }

    /// Pushes events as given: an array becomes `{"Events": [...]}`, an object is sent as is
    /// (for duplicate, out-of-order or unknown events).
    pub fn push_events(&self, events: Value) {
        let message = match events {
            Value::Array(_) => json!({ "Events": events }),
            other => other,
        };
        self.shared.ws.broadcast(message.to_string());
    }

    /// Websockets open now.
    pub fn connected_sockets(&self) -> usize {
        self.shared.ws.connected()
    }

    /// When false, upgrade requests are refused with 503 (open sockets stay open).
    pub fn set_socket_enabled(&self, on: bool) {
        self.shared.ws.set_enabled(on);
    }
}

impl Drop for MewsSimHandle {
    fn drop(&mut self) {
        self.shared.stopping.send_replace(true);
        if let Some(task) = lock(&self.dropper).take() {
            task.abort();
        }
    }
}

/// A Mews simulator on a runtime of its own, for synchronous code; derefs to
/// [`MewsSimHandle`].
pub struct BackgroundMewsSim {
    handle: MewsSimHandle,
    rt: Option<tokio::runtime::Runtime>,
}

impl BackgroundMewsSim {
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

impl std::ops::Deref for BackgroundMewsSim {
    type Target = MewsSimHandle;

    fn deref(&self) -> &MewsSimHandle {
        &self.handle
    }
}

impl Drop for BackgroundMewsSim {
    fn drop(&mut self) {
        self.handle.shared.stopping.send_replace(true);
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn handles_can_be_shared_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<super::MewsSimHandle>();
        send_sync::<super::BackgroundMewsSim>();
    }
}
