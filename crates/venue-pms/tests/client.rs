//! The client and the websocket against the Mews simulator (real HTTP and websockets on
//! loopback): paging, by-id fetches, charges posted once and found again, 429s, and socket
//! reconnects.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{Duration, Utc};
use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;
use tokio::sync::mpsc;
use uuid::Uuid;
use venue_domain::{ChargeState, PmsCharge};
use venue_http::http::{ConnectorError, RunContext};
use venue_http::secrets::Secret;
use venue_pms::normalize::{self, MewsContext};
use venue_pms::{
    run_socket, MewsClient, MewsCredentials, MewsEvent, PmsConfig, SocketSettings, SocketSignal,
};
use venue_sim::{
    Fault, MewsEndpoint, MewsSimConfig, MewsSimHandle, MewsSimulator, RetryAfter, SimChange, Times,
};

async fn sim(history_days: i64) -> MewsSimHandle {
    MewsSimulator::start(MewsSimConfig {
        seed: 11,
        history_days,
        ..MewsSimConfig::default()
    })
    .await
    .expect("simulator")
}

fn config(sim: &MewsSimHandle) -> PmsConfig {
    PmsConfig::mews(&sim.base_url(), &sim.ws_url())
}

fn credentials(sim: &MewsSimHandle) -> MewsCredentials {
    MewsCredentials {
        client_token: Secret::new(sim.config().client_token.clone()),
        access_token: Secret::new(sim.config().access_token.clone()),
    }
}

fn client(sim: &MewsSimHandle) -> MewsClient {
    MewsClient::new(&config(sim), credentials(sim)).expect("client")
}

fn run() -> RunContext {
    RunContext::new(&config_retry())
}

fn config_retry() -> venue_http::retry::RetryPolicy {
    venue_http::retry::RetryPolicy {
        base_ms: 10,
        max_delay_ms: 100,
        ..Default::default()
    }
}

fn ctx() -> MewsContext {
    MewsContext {
        venue_id: Uuid::from_u128(7),
        source: "mews".into(),
    }
}

#[tokio::test]
async fn paging_by_updated_time_reads_every_reservation_exactly_once() {
    let sim = sim(120).await;
    let client = client(&sim).with_page_size(50);
    let now = Utc::now();
    let mut pages = 0;
    let mut seen: Vec<String> = Vec::new();
    let mut rejected = Vec::new();
    // 400 days: five windows of at most three months.
    client
        .reservations_updated(
            &run(),
            now - Duration::days(400),
            now + Duration::hours(1),
            &mut |page| {
                pages += 1;
                for r in &page {
                    match normalize::reservation(&ctx(), r) {
                        Ok(row) => seen.push(row.external_id),
                        Err(e) => rejected.push(e),
                    }
                }
                Ok(())
            },
        )
        .await
        .expect("fetch");
    assert!(rejected.is_empty(), "{rejected:?}");
    let expected: HashSet<String> = sim.reservations().into_iter().map(|r| r.id).collect();
    assert!(expected.len() > 100, "enough to page: {}", expected.len());
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no reservation twice");
    assert_eq!(unique, expected);
    assert!(pages > expected.len() / 50, "{pages} pages");
    assert_eq!(client.metrics().snapshot().failures, 0);
}

/// The first sync's read of the stays on the books: every reservation whose dates overlap
/// the configured window, once, however long ago it was booked or last changed; every window
/// is one the simulator accepts (it refuses any over three months).
#[tokio::test]
async fn the_stay_window_reads_every_stay_on_the_books_once() {
    let sim = sim(14).await;
    let client = client(&sim).with_page_size(50);
    let (from, to) = config(&sim).stay_window(Utc::now());
    let mut seen: Vec<String> = Vec::new();
    client
        .reservations_colliding(&run(), from, to, &mut |page| {
            seen.extend(page.into_iter().map(|r| r.id));
            Ok(())
        })
        .await
        .expect("fetch");
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no reservation twice");
    let all = sim.reservations();
    let expected: HashSet<String> = all
        .iter()
        .filter(|r| r.scheduled_start_utc < to && r.end_utc > from)
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(unique, expected);
    let untouched_for_months = all
        .iter()
        .filter(|r| r.updated_utc < from && r.end_utc > Utc::now())
        .count();
    assert!(
        untouched_for_months >= 2,
        "the long stay and early bookings"
    );
    assert_eq!(client.metrics().snapshot().failures, 0);
    // 455 days in windows of at most 89: six, each paged.
    assert!(sim.requests(MewsEndpoint::ReservationsGetAll) >= 6);
}

#[tokio::test]
async fn by_ids_fetches_return_those_records_and_normalise() {
    let sim = sim(14).await;
    let client = client(&sim);
    let run = run();
    let wanted: Vec<_> = sim.reservations().into_iter().take(5).collect();
    let mut ids: Vec<String> = wanted.iter().map(|r| r.id.clone()).collect();
    ids.push(ids[0].clone()); // duplicates are asked for once
    let got = client.reservations_by_ids(&run, &ids).await.expect("fetch");
    assert_eq!(got.len(), 5);
    for r in &got {
        let row = normalize::reservation(&ctx(), r).expect("valid");
        let sim_r = wanted.iter().find(|w| w.id == r.id).expect("asked for");
        assert_eq!(row.person_count, sim_r.person_count);
        assert_eq!(row.number.as_deref(), Some(sim_r.number.as_str()));
        assert_eq!(row.state.to_string(), sim_r.state);
        assert_eq!(
            row.customer_id,
            Some(ctx().row_id(venue_domain::EntityKind::Customer, &sim_r.account_id))
        );
    }

    let accounts: Vec<String> = wanted.iter().map(|r| r.account_id.clone()).collect();
    let customers = client
        .customers_by_ids(&run, &accounts)
        .await
        .expect("customers");
    let customer_ids: HashSet<_> = customers.iter().map(|c| c.id.clone()).collect();
    assert_eq!(customer_ids, accounts.into_iter().collect());
    for c in &customers {
        normalize::customer(&ctx(), c).expect("valid customer");
    }

    let rooms = client.resources_all(&run).await.expect("resources");
    assert_eq!(rooms.len(), sim.resources().len());
    let by_name: HashMap<String, _> = rooms
        .iter()
        .map(|r| normalize::resource(&ctx(), r).expect("valid room"))
        .map(|r| (r.name.clone(), r))
        .collect();
    let sim_room = &sim.resources()[0];
    let room = &by_name[&sim_room.name];
    assert_eq!(room.kind, "Space");
    assert_eq!(room.floor, sim_room.floor);
    assert_eq!(room.state.as_deref(), Some(sim_room.state.as_str()));
    let one = client
        .resources_by_ids(&run, std::slice::from_ref(&sim_room.id))
        .await
        .expect("by id");
    assert_eq!(one.len(), 1);

    let services = client.services_all(&run).await.expect("services");
    assert_eq!(services.len(), sim.services().len());
    for s in &services {
        normalize::service(&ctx(), s).expect("valid service");
    }
    let charge_to = normalize::charge_service(None, &services).expect("an additional service");
    assert!(sim
        .services()
        .iter()
        .any(|s| s.id == charge_to && s.kind == "Additional"));
}

#[tokio::test]
async fn a_rate_limited_request_waits_and_succeeds() {
    let sim = sim(14).await;
    let client = client(&sim);
    sim.inject(
        MewsEndpoint::ServicesGetAll,
        Fault::RateLimited(RetryAfter::Seconds(1)),
        Times::ONCE,
    );
    sim.inject(
        MewsEndpoint::ResourcesGetAll,
        Fault::RateLimited(RetryAfter::Absent),
        Times::ONCE,
    );
    let started = std::time::Instant::now();
    client.services_all(&run()).await.expect("after the wait");
    assert!(
        started.elapsed() >= StdDuration::from_secs(1),
        "Retry-After honoured"
    );
    client.resources_all(&run()).await.expect("after a backoff");
    assert_eq!(client.metrics().snapshot().rate_limit_hits, 2);
}

#[tokio::test]
async fn refused_credentials_carry_the_mews_message() {
    let sim = sim(1).await;
    let wrong = MewsCredentials {
        client_token: Secret::new(sim.config().client_token.clone()),
        access_token: Secret::new("not-the-token".into()),
    };
    let client = MewsClient::new(&config(&sim), wrong).expect("client");
    let err = client.services_all(&run()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("AccessToken"), "{err}");
    assert!(!err.to_string().contains("not-the-token"), "{err}");
}

fn charge(reservation_external_id: &str, amount_minor: i64) -> PmsCharge {
    PmsCharge {
        id: venue_domain::new_id(),
        venue_id: ctx().venue_id,
        source: "mews".into(),
        reservation_id: Uuid::from_u128(1),
        reservation_external_id: reservation_external_id.into(),
        item: "Minibar".into(),
        amount_minor,
        currency: "EUR".parse().expect("EUR"),
        state: ChargeState::Pending,
        attempts: 0,
        last_error: None,
        external_order_id: None,
        requested_by: "front-desk".into(),
        requested_at: Utc::now(),
        sent_at: None,
    }
}

#[tokio::test]
async fn a_charge_is_posted_once_and_found_again_after_a_lost_answer() {
    let sim = sim(14).await;
    let client = client(&sim);
    let run = run();
    let stay = sim
        .reservations()
        .into_iter()
        .find(|r| r.state == "Started")
        .expect("a guest in house");
    let services = client.services_all(&run).await.expect("services");
    let service = normalize::charge_service(None, &services).expect("service");

    let first = charge(&stay.id, 1250);
    let order = client
        .add_charge(&run, &first, &service, &stay.account_id)
        .await
        .expect("posted");
    let posted = sim.orders();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].order_id, order);
    assert_eq!(
        posted[0].linked_reservation_id.as_deref(),
        Some(stay.id.as_str())
    );
    let item = &posted[0].items[0];
    assert_eq!(item.unit_amount_minor, 1250, "12.50 EUR exactly");
    assert_eq!(item.external_identifier, Some(first.id.to_string()));
    assert!(client
        .find_charge(&run, &stay.id, &first.id.to_string())
        .await
        .expect("search")
        .is_some());
    assert_eq!(
        client
            .find_charge(&run, &stay.id, &Uuid::nil().to_string())
            .await
            .expect("search"),
        None
    );

    // The answer is lost: one attempt only, and the charge is found in Mews afterwards.
    sim.inject_orders_add_lost_response(Times::ONCE);
    let before = sim.requests(MewsEndpoint::OrdersAdd);
    let second = charge(&stay.id, 399);
    let err = client
        .add_charge(&run, &second, &service, &stay.account_id)
        .await
        .unwrap_err();
    assert!(err.is_transient(), "ambiguous: {err}");
    assert_eq!(
        sim.requests(MewsEndpoint::OrdersAdd),
        before + 1,
        "not retried"
    );
    assert!(client
        .find_charge(&run, &stay.id, &second.id.to_string())
        .await
        .expect("search")
        .is_some());
    assert_eq!(sim.orders().len(), 2);
}

async fn next(rx: &mut mpsc::Receiver<SocketSignal>) -> SocketSignal {
    tokio::time::timeout(StdDuration::from_secs(15), rx.recv())
        .await
        .expect("a signal in time")
        .expect("the socket is running")
}

/// The next signal that is not a batch of events (which churn may still be sending).
async fn next_state(rx: &mut mpsc::Receiver<SocketSignal>) -> SocketSignal {
    loop {
        match next(rx).await {
            SocketSignal::Events(_) => continue,
            other => return other,
        }
    }
}

#[tokio::test]
async fn the_socket_delivers_changes_and_reconnects_after_a_drop() {
    let sim = sim(14).await;
    let mut settings = SocketSettings::from_config(&config(&sim), &credentials(&sim));
    settings.backoff = settings
        .backoff
        .with_min_delay(StdDuration::from_millis(50));
    let (tx, mut rx) = mpsc::channel(64);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run_socket(settings, tx, async move {
        let _ = stop_rx.await;
    }));
    assert!(matches!(
        next(&mut rx).await,
        SocketSignal::Connected { attempt: 1, .. }
    ));
    while sim.connected_sockets() == 0 {
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }

    let room = sim.resources()[0].clone();
    let target = if room.state == "Dirty" {
        "Clean"
    } else {
        "Dirty"
    };
    sim.set_resource_state(&room.id, target).expect("room");
    let wanted = MewsEvent::Resource {
        id: room.id.clone(),
        state: Some(target.into()),
    };
    // The simulator also sends price updates and device commands now and then.
    loop {
        let SocketSignal::Events(events) = next(&mut rx).await else {
            panic!("events expected");
        };
        if events.contains(&wanted) {
            break;
        }
    }

    // A burst of changes: every touched reservation or room arrives, in few batches.
    let changed = sim.churn(10);
    let mut expected: HashSet<String> = changed
        .iter()
        .filter_map(|c| match c {
            SimChange::Reservation(id) | SimChange::Resource(id) => Some(id.clone()),
            SimChange::Customer(_) => None,
        })
        .collect();
    let mut batches = 0;
    while !expected.is_empty() {
        let SocketSignal::Events(events) = next(&mut rx).await else {
            panic!("only events while connected");
        };
        batches += 1;
        for e in events {
            if let MewsEvent::Reservation { id, .. } | MewsEvent::Resource { id, .. } = e {
                expected.remove(&id);
            }
        }
    }
    assert!(batches <= 10, "{batches} batches");

    sim.send_raw_frame("{not json");
    assert!(matches!(
        next_state(&mut rx).await,
        SocketSignal::BadFrame(_)
    ));

    sim.drop_sockets();
    assert!(matches!(
        next_state(&mut rx).await,
        SocketSignal::Disconnected { .. }
    ));
    assert!(matches!(
        next_state(&mut rx).await,
        SocketSignal::Connected { .. }
    ));

    let _ = stop_tx.send(());
    tokio::time::timeout(StdDuration::from_secs(5), task)
        .await
        .expect("stops when told")
        .expect("no panic");
}
