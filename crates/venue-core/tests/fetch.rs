//! Connectors over real HTTP against the POS simulator: completeness, idempotent re-fetch,
//! Retry-After, the circuit breaker, isolation between connectors, malformed pages, Toast logins.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashMap;
use std::time::Instant;
use support::MapSecrets;
use venue_core::domain::SnapshotStatus;
use venue_core::Console;
use venue_http::breaker::BreakerState;
use venue_sim::{
    BackgroundSim, Endpoint, Fault, PosSimulator, RetryAfter, SimConfig, Times, Vendor,
};

fn sim() -> BackgroundSim {
    PosSimulator::start_in_background(SimConfig {
        days: 2,
        orders_per_day: 60,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

fn since(sim: &BackgroundSim) -> DateTime<Utc> {
    let start = sim.config().start_date;
    Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0).expect("midnight"))
        - chrono::Duration::days(1)
}

/// A venue whose venue.toml has the given connector blocks, with the simulator's credentials.
fn console(sim: &BackgroundSim, connectors: &str) -> (tempfile::TempDir, Console) {
    let dir = support::init_venue("USD", "America/New_York", connectors);
    let c = sim.config();
    let secrets = MapSecrets(HashMap::from([
        ("sq-access-token".to_string(), c.square_access_token.clone()),
        ("tt-client-id".to_string(), c.toast_client_id.clone()),
        (
            "tt-client-secret".to_string(),
            c.toast_client_secret.clone(),
        ),
    ]));
    let console = Console::open(dir.path())
        .expect("open")
        .with_secret_store(Box::new(secrets));
    (dir, console)
}

fn square(sim: &BackgroundSim, extra: &str) -> String {
    format!(
        "[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"{}\"\n{extra}\n[connector.retry]\nbase_ms = 20\nmax_attempts = 3\n",
        sim.base_url()
    )
}

fn toast(sim: &BackgroundSim, base_url: Option<&str>) -> String {
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    format!(
        "[[connector]]\nkind = \"toast\"\nname = \"tt\"\nbase_url = \"{}\"\nrestaurant_guid = \"{restaurant}\"\ncurrency = \"USD\"\n[connector.retry]\nbase_ms = 20\nmax_attempts = 2\n",
        base_url.map_or_else(|| sim.base_url(), str::to_string)
    )
}

fn sales_count(console: &Console) -> usize {
    support::exported_sales(console).len()
}

#[test]
fn square_fetch_is_complete_and_a_refetch_adds_nothing() {
    let sim = sim();
    let (_dir, mut console) = console(&sim, &square(&sim, ""));
    let expected = sim
        .orders(Vendor::Square)
        .iter()
        .filter(|o| o.state != venue_sim::OrderState::Open)
        .count();
    let first = console.fetch(None, Some(since(&sim))).expect("fetch");
    let report = &first[0];
    assert_eq!(
        report.snapshot.status,
        SnapshotStatus::Ok,
        "{:?}",
        report.snapshot.error
    );
    assert_eq!(report.snapshot.records_written as usize, expected);
    assert_eq!(sales_count(&console), expected);
    assert_eq!(report.breaker.state, BreakerState::Closed);
    assert!(report.metrics.requests >= 2);

    // The overlap window re-reads everything: nothing is written twice.
    let again = console.fetch(None, Some(since(&sim))).expect("fetch again");
    assert_eq!(again[0].snapshot.status, SnapshotStatus::Ok);
    assert_eq!(again[0].snapshot.records_written, 0);
    assert_eq!(sales_count(&console), expected);

    // A refund arriving later is picked up as an update, not a new sale.
    let order = sim
        .orders(Vendor::Square)
        .into_iter()
        .find(|o| o.state == venue_sim::OrderState::Completed && o.refunded_minor() == 0)
        .expect("a completed order");
    sim.refund_order(&order.id, 100).expect("refund");
    let third = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch after refund");
    assert_eq!(third[0].snapshot.records_written, 1);
    assert_eq!(sales_count(&console), expected);
}

#[test]
fn square_payments_can_be_the_source() {
    let sim = sim();
    let (_dir, mut console) = console(&sim, &square(&sim, "square_source = \"payments\""));
    let report = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch")
        .remove(0);
    assert_eq!(
        report.snapshot.status,
        SnapshotStatus::Ok,
        "{:?}",
        report.snapshot.error
    );
    let payments: usize = sim
        .orders(Vendor::Square)
        .iter()
        .map(|o| o.payments.len())
        .sum();
    assert_eq!(
        report.snapshot.records_written as usize, payments,
        "one sale per payment"
    );
    let again = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch again")
        .remove(0);
    assert_eq!(again.snapshot.records_written, 0);
}

#[test]
fn retry_after_is_honoured() {
    let sim = sim();
    let (_dir, mut console) = console(&sim, &square(&sim, ""));
    sim.inject(
        Endpoint::SquareSearchOrders,
        Fault::RateLimited(RetryAfter::Seconds(1)),
        Times::Next(1),
    );
    let started = Instant::now();
    let report = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch")
        .remove(0);
    assert_eq!(
        report.snapshot.status,
        SnapshotStatus::Ok,
        "{:?}",
        report.snapshot.error
    );
    assert!(
        started.elapsed().as_millis() >= 1_000,
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(report.metrics.rate_limit_hits, 1);
    assert_eq!(report.metrics.retries, 1);
}

#[test]
fn the_breaker_opens_after_repeated_failures_and_then_spares_the_vendor() {
    let sim = sim();
    let extra = "[connector.breaker]\nfailure_threshold = 2\ncool_down_seconds = 600";
    let (_dir, mut console) = console(&sim, &square(&sim, extra));
    sim.inject(
        Endpoint::SquareLocations,
        Fault::ServerError(503),
        Times::UntilCleared,
    );
    let first = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch")
        .remove(0);
    assert_eq!(first.snapshot.status, SnapshotStatus::Failed);
    assert!(
        first
            .snapshot
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("503"),
        "{:?}",
        first.snapshot.error
    );
    assert_eq!(first.breaker.state, BreakerState::Closed);
    let second = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch")
        .remove(0);
    assert_eq!(second.breaker.state, BreakerState::Open);
    let requests = sim.total_requests();
    let third = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch")
        .remove(0);
    assert!(third
        .snapshot
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("circuit breaker open"));
    assert_eq!(
        sim.total_requests(),
        requests,
        "an open breaker sends nothing"
    );
    // The state outlives the process: status shows it.
    let status = console.status().expect("status");
    assert_eq!(status.connectors[0].breaker["state"], "OPEN");
}

#[test]
fn a_failing_connector_does_not_stop_another() {
    let sim = sim();
    let config = format!(
        "{}\n{}",
        square(&sim, ""),
        toast(&sim, Some("http://127.0.0.1:9"))
    );
    let (_dir, mut console) = console(&sim, &config);
    let reports = console.fetch(None, Some(since(&sim))).expect("fetch");
    let by_name: HashMap<&str, &venue_core::FetchReport> =
        reports.iter().map(|r| (r.connector.as_str(), r)).collect();
    assert_eq!(by_name["sq"].snapshot.status, SnapshotStatus::Ok);
    assert_eq!(by_name["tt"].snapshot.status, SnapshotStatus::Failed);
    assert!(by_name["tt"]
        .snapshot
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("could not reach"));
}

#[test]
fn a_malformed_page_is_reported_and_earlier_data_stays() {
    let sim = sim();
    let (_dir, mut console) = console(&sim, &square(&sim, ""));
    console.fetch(None, Some(since(&sim))).expect("fetch");
    let stored = sales_count(&console);
    sim.inject(
        Endpoint::SquareSearchOrders,
        Fault::MalformedJson,
        Times::UntilCleared,
    );
    let report = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch")
        .remove(0);
    assert_eq!(report.snapshot.status, SnapshotStatus::Failed);
    assert!(
        report
            .snapshot
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("malformed response"),
        "{:?}",
        report.snapshot.error
    );
    assert_eq!(sales_count(&console), stored);
}

#[test]
fn toast_logs_in_once_and_again_only_when_the_token_expires() {
    let sim = sim();
    let (_dir, mut console) = console(&sim, &toast(&sim, None));
    let report = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch")
        .remove(0);
    assert_eq!(
        report.snapshot.status,
        SnapshotStatus::Ok,
        "{:?}",
        report.snapshot.error
    );
    assert!(report.snapshot.records_written > 0);
    assert_eq!(sim.toast_logins(), 1, "one login for every page");
    let again = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch again")
        .remove(0);
    assert_eq!(
        again.snapshot.status,
        SnapshotStatus::Ok,
        "{:?}",
        again.snapshot.error
    );
    assert_eq!(
        again.snapshot.records_written, 0,
        "re-fetch writes nothing new"
    );
    assert_eq!(
        sim.toast_logins(),
        1,
        "the token is reused by the next fetch"
    );
    sim.expire_toast_tokens();
    let third = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch after expiry")
        .remove(0);
    assert_eq!(
        third.snapshot.status,
        SnapshotStatus::Ok,
        "{:?}",
        third.snapshot.error
    );
    assert_eq!(sim.toast_logins(), 2, "a refused token means one new login");
    // Toast allows two logins an hour: a third refusal is an error, not a login storm.
    sim.expire_toast_tokens();
    let fourth = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch")
        .remove(0);
    assert_eq!(fourth.snapshot.status, SnapshotStatus::Failed);
    assert!(
        fourth
            .snapshot
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("2 logins an hour"),
        "{:?}",
        fourth.snapshot.error
    );
    assert_eq!(sim.toast_logins(), 2);
}

/// A console over `connectors` whose secret store holds exactly `secrets`.
fn console_with_secrets(
    connectors: &str,
    secrets: &[(&str, &str)],
) -> (tempfile::TempDir, Console) {
    let dir = support::init_venue("USD", "America/New_York", connectors);
    let secrets = MapSecrets(
        secrets
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    let console = Console::open(dir.path())
        .expect("open")
        .with_secret_store(Box::new(secrets));
    (dir, console)
}

/// Retry-After values past any bound: a day, a date in the 2090s, u64::MAX seconds. Before, a
/// fetch slept through each (forever, for the last) with its snapshot left "running".
#[test]
fn a_retry_after_past_the_bound_ends_the_run_partial_with_the_wait_recorded_and_held() {
    let sim = sim();
    for (retry_after, what) in [
        (RetryAfter::Seconds(86_400), "a day"),
        (
            RetryAfter::HttpDate(std::time::Duration::from_secs(75 * 365 * 86_400)),
            "a date in the 2090s",
        ),
        (RetryAfter::Seconds(u64::MAX), "u64::MAX seconds"),
    ] {
        let (_dir, mut console) = console(&sim, &square(&sim, ""));
        sim.clear_faults();
        sim.inject(
            Endpoint::SquareSearchOrders,
            Fault::RateLimited(retry_after),
            Times::UntilCleared,
        );
        let before = chrono::Utc::now();
        let report = console
            .fetch(None, Some(since(&sim)))
            .expect("fetch")
            .remove(0);
        assert_eq!(report.snapshot.status, SnapshotStatus::Partial, "{what}");
        let error = report.snapshot.error.clone().unwrap_or_default();
        assert!(
            error.contains("asked to wait") && error.contains("scheduled runs resume after"),
            "{what}: the vendor's wait is recorded: {error}"
        );
        let status = console.status().expect("status");
        let last = status.last_snapshot.expect("a snapshot");
        assert_eq!(
            last.status,
            SnapshotStatus::Partial,
            "{what}: not left running"
        );
        let held: chrono::DateTime<Utc> =
            serde_json::from_value(status.connectors[0].breaker["vendor_wait_until"].clone())
                .expect("the vendor's time is kept with the breaker");
        assert!(
            held >= before + chrono::Duration::hours(23)
                && held <= Utc::now() + chrono::Duration::hours(24),
            "{what}: held to at most a day: {held}"
        );
        let next = console.next_fetch_at("sq").expect("next run");
        assert!(
            next >= held,
            "{what}: the schedule waits for the vendor: {next}"
        );
        // Shown on the Connections screen too.
        let connections = console.connections().expect("connections");
        assert!(connections.connectors[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("asked to wait")));
    }
    // Once the vendor answers again, a success lifts the hold.
    let (_dir, mut console) = console(&sim, &square(&sim, ""));
    sim.clear_faults();
    sim.inject(
        Endpoint::SquareSearchOrders,
        Fault::RateLimited(RetryAfter::Seconds(86_400)),
        Times::ONCE,
    );
    console.fetch(None, Some(since(&sim))).expect("fetch");
    let ok = console
        .fetch(None, Some(since(&sim)))
        .expect("fetch")
        .remove(0);
    assert_eq!(
        ok.snapshot.status,
        SnapshotStatus::Ok,
        "{:?}",
        ok.snapshot.error
    );
    assert_eq!(ok.breaker.vendor_wait_until, None);
}

/// A future, pre-2000 `--since` is refused before anything is sent or stored; five of them
/// leave the breaker closed (before, each was sent to Square, refused with a 400 and counted as
/// a vendor failure: five opened the breaker and blocked the scheduled fetches).
#[test]
fn an_impossible_since_is_refused_locally_and_never_reaches_the_vendor_or_the_breaker() {
    let sim = sim();
    let (_dir, mut console) = console(&sim, &square(&sim, ""));
    let now = Utc::now();
    for since in [
        now + chrono::Duration::hours(1),
        Utc.with_ymd_and_hms(2999, 1, 1, 0, 0, 0)
            .single()
            .expect("time"),
        Utc.with_ymd_and_hms(1999, 12, 31, 0, 0, 0)
            .single()
            .expect("time"),
    ] {
        for _ in 0..5 {
            let err = console.fetch(None, Some(since)).expect_err("refused");
            assert_eq!(err.code, venue_core::ErrorCode::BadInput, "{}", err.message);
            assert!(err.message.contains("--since"), "{}", err.message);
        }
    }
    assert_eq!(sim.total_requests(), 0, "nothing was sent");
    let status = console.status().expect("status");
    assert_eq!(status.counts.snapshots, 0, "nothing was stored");
    assert!(
        status.connectors.is_empty(),
        "the breaker was never touched"
    );
    let report = console
        .fetch(None, Some(since(&sim)))
        .expect("a good fetch still runs")
        .remove(0);
    assert_eq!(report.snapshot.status, SnapshotStatus::Ok);
}

/// The class: failures our own request causes (a 400 for a location we configured wrong, a
/// 401 for a token we hold wrong) never count against the breaker; the vendor's (5xx, 429,
/// garbage bodies) do.
#[test]
fn only_the_vendors_failures_count_against_the_breaker() {
    let sim = sim();
    let token = sim.config().square_access_token.clone();
    let location = "[connector.breaker]\nfailure_threshold = 2\ncool_down_seconds = 600";
    let cases: Vec<(&str, String, &str, Option<Fault>, BreakerState)> = vec![
        (
            "a location we configured wrong (400)",
            square(&sim, &format!("location_ids = [\"NOPE\"]\n{location}")),
            token.as_str(),
            None,
            BreakerState::Closed,
        ),
        (
            "a token we hold wrong (401)",
            square(&sim, location),
            "not-the-token",
            None,
            BreakerState::Closed,
        ),
        (
            "the vendor's 503",
            square(&sim, location),
            token.as_str(),
            Some(Fault::ServerError(503)),
            BreakerState::Open,
        ),
        (
            "the vendor's 429s",
            square(&sim, location),
            token.as_str(),
            Some(Fault::RateLimited(RetryAfter::Absent)),
            BreakerState::Open,
        ),
        (
            "the vendor's garbage",
            square(&sim, location),
            token.as_str(),
            Some(Fault::MalformedJson),
            BreakerState::Open,
        ),
    ];
    for (what, block, secret, fault, expected) in cases {
        sim.clear_faults();
        if let Some(fault) = fault {
            sim.inject(Endpoint::SquareLocations, fault, Times::UntilCleared);
        }
        let (_dir, mut console) = console_with_secrets(&block, &[("sq-access-token", secret)]);
        let mut last = None;
        for _ in 0..3 {
            let report = console
                .fetch(None, Some(since(&sim)))
                .expect("fetch")
                .remove(0);
            assert_ne!(report.snapshot.status, SnapshotStatus::Ok, "{what}");
            last = Some(report);
        }
        let last = last.expect("three runs");
        assert_eq!(
            last.breaker.state, expected,
            "{what}: {:?}",
            last.snapshot.error
        );
    }
    sim.clear_faults();
}
