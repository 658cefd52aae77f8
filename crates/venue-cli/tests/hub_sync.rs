//! The console's hub sync end to end: a real `venue-hub` (on SQLite and on PostgreSQL, on 127.0.0.1:0,
//! in-process) and the real `venue` binary. Two consoles of one venue and one of another join with one-time
//! codes, write, and sync: the two of one venue end with the same rows, the third holds none of
//! theirs (nor they its), a second pass moves nothing, and `venue sync status` says so.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

#[path = "../../venue-hub/tests/support/postgres.rs"]
mod postgres;
mod support;

use serde_json::Value;
use support::hub::{enrolment_code, external_ids, Console};
use support::{ok_json, stderr};
use venue_hub::database::Database;
use venue_hub::server::{spawn_on_loopback, HubSettings};
use venue_hub::store::{AnyHub, HubStore, NewVenue};

#[test]
fn on_sqlite_two_consoles_of_a_venue_converge_through_the_hub_and_a_third_venue_stays_apart() {
    two_consoles_of_a_venue_converge_and_a_third_venue_stays_apart(false);
}

#[test]
fn on_postgres_two_consoles_of_a_venue_converge_through_the_hub_and_a_third_venue_stays_apart() {
    two_consoles_of_a_venue_converge_and_a_third_venue_stays_apart(true);
}

fn two_consoles_of_a_venue_converge_and_a_third_venue_stays_apart(on_postgres: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // Each PostgreSQL run gets a database of its own, dropped with the test.
    let pg = on_postgres.then(|| runtime.block_on(postgres::TestDatabase::create()));
    let database = match &pg {
        Some(db) => db.url.clone(),
        None => dir.path().join("hub.sqlite3").display().to_string(),
    };
    let (url, stop, harbour, hill, codes) = runtime.block_on(async {
        let hub = AnyHub::open(&Database::from_arg(Some(&database)).expect("database"))
            .await
            .expect("hub store");
        let org = hub.create_org("Coast Group").await.expect("org");
        let harbour = hub
            .add_venue(
                org,
                NewVenue {
                    name: "Harbour Hotel".into(),
                    timezone: "Europe/London".into(),
                    currency: "GBP".into(),
                    capacity: Some(120),
                },
            )
            .await
            .expect("venue");
        let hill = hub
            .add_venue(
                org,
                NewVenue {
                    name: "Hill Bar".into(),
                    timezone: "Europe/Paris".into(),
                    currency: "EUR".into(),
                    capacity: Some(40),
                },
            )
            .await
            .expect("venue");
        let codes = [
            enrolment_code(&hub, harbour).await,
            enrolment_code(&hub, harbour).await,
            enrolment_code(&hub, hill).await,
        ];
        let (url, stop) = spawn_on_loopback(hub, HubSettings::default())
            .await
            .expect("hub");
        (url, stop, harbour, hill, codes)
    });

    let mut front = Console::new(dir.path(), "front", "Front desk");
    let mut back = Console::new(dir.path(), "back", "Back office");
    let mut other = Console::new(dir.path(), "other", "Elsewhere");
    front.write_guest("front-1", "Ada");
    back.write_guest("back-1", "Bea");
    other.write_guest("other-1", "Cem");

    for (console, code, venue) in [
        (&mut front, &codes[0], harbour),
        (&mut back, &codes[1], harbour),
        (&mut other, &codes[2], hill),
    ] {
        let joined = console.join(&url, code);
        assert_eq!(joined["venue_id"], venue.to_string(), "{joined}");
        assert!(joined["rekeyed"]["changes_queued"].as_u64().unwrap() > 0);
    }
    // A code works once.
    let fourth = Console::new(dir.path(), "fourth", "Late");
    let reused = fourth.run(&["hub", "join", &url, "--code", &codes[0]]);
    assert_eq!(reused.status.code(), Some(1), "{}", stderr(&reused));
    // Joined is joined: another join says how to leave first.
    let again = front.run(&["hub", "join", &url, "--code", &codes[0]]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("venue hub leave"),
        "{}",
        stderr(&again)
    );

    let first = front.sync();
    assert!(first["pushed"].as_u64().unwrap() > 0, "{first}");
    assert_eq!(first["rejected"], 0, "{first}");
    let second = back.sync();
    assert!(second["pushed"].as_u64().unwrap() > 0, "{second}");
    assert!(
        second["pulled"].as_u64().unwrap() > 0,
        "front's changes come down: {second}"
    );
    let third = front.sync();
    assert_eq!(third["pushed"], 0, "{third}");
    assert!(
        third["pulled"].as_u64().unwrap() > 0,
        "back's changes come down: {third}"
    );
    let apart = other.sync();
    assert!(apart["pushed"].as_u64().unwrap() > 0, "{apart}");
    assert_eq!(
        apart["pulled"], 0,
        "nothing of another venue comes down: {apart}"
    );
    for report in [&first, &second, &third, &apart] {
        let moved = report["pushed"].as_u64().unwrap() + report["pulled"].as_u64().unwrap();
        let counted: u64 = ["applied", "duplicates", "conflicts", "rejected"]
            .iter()
            .map(|k| report[k].as_u64().unwrap())
            .sum();
        assert_eq!(moved, counted, "each change counted once: {report}");
    }

    // The two consoles of the harbour hold the same rows, with the hub's venue.
    let (front_guests, back_guests) = (front.guests(), back.guests());
    assert_eq!(front_guests, back_guests);
    assert_eq!(external_ids(&front_guests), ["back-1", "front-1"]);
    assert_eq!(external_ids(&other.guests()), ["other-1"]);
    let venue_row = front.venue_row();
    assert_eq!(venue_row, back.venue_row());
    assert_eq!(venue_row["id"], harbour.to_string());
    assert_eq!(venue_row["name"], "Harbour Hotel");
    assert_eq!(other.venue_row()["id"], hill.to_string());

    // Exactly once: another pass moves nothing, anywhere.
    for console in [&front, &back, &other] {
        let report = console.sync();
        assert_eq!(report["pushed"], 0, "{report}");
        assert_eq!(report["pulled"], 0, "{report}");
    }
    assert_eq!(front.guests(), front_guests);

    let status = ok_json(front.run(&["sync", "status", "--json"]));
    assert_eq!(status["joined"], true, "{status}");
    assert_eq!(status["hub_url"], url.as_ref() as &str);
    assert_eq!(status["venue_id"], harbour.to_string());
    assert_eq!(status["changes_waiting"], 0);
    assert_eq!(status["oldest_unsynced_age_seconds"], Value::Null);
    assert!(status["last_success"].is_string(), "{status}");
    assert!(status["clock_skew_ms"].is_i64(), "{status}");
    assert_eq!(status["last_error"], Value::Null);

    // A token the hub does not know is refused, and the status keeps the error.
    let mut forged = Console {
        data: back.data.clone(),
        token: Some("not-a-token".into()),
        env: Vec::new(),
        clock_off_ms: 0,
    };
    let refused = forged.run(&["sync"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("device token was refused"),
        "{}",
        stderr(&refused)
    );
    forged.token = back.token.take();
    let status = ok_json(forged.run(&["sync", "status", "--json"]));
    assert!(
        status["last_error"]
            .as_str()
            .unwrap()
            .contains("device token was refused"),
        "{status}"
    );

    // With the hub gone, changes wait here, and the status says how many and why.
    drop(stop);
    runtime.shutdown_background();
    front.write_guest("front-2", "Dan");
    let offline = front.run(&["sync"]);
    assert_eq!(offline.status.code(), Some(1), "{}", stderr(&offline));
    assert!(
        stderr(&offline).contains("cannot be reached"),
        "{}",
        stderr(&offline)
    );
    let status = ok_json(front.run(&["sync", "status", "--json"]));
    assert_eq!(
        status["changes_waiting"], 2,
        "the guest and its audit line: {status}"
    );
    assert!(status["oldest_unsynced_age_seconds"].is_i64(), "{status}");
    assert!(status["last_error"]
        .as_str()
        .unwrap()
        .contains("cannot be reached"));

    // Leaving keeps every row and forgets the hub.
    let left = ok_json(front.run(&["hub", "leave", "--json"]));
    assert_eq!(left["hub_url"], url.as_ref() as &str, "{left}");
    let status = ok_json(front.run(&["sync", "status", "--json"]));
    assert_eq!(status["joined"], false, "{status}");
    assert_eq!(
        external_ids(&front.guests()),
        ["back-1", "front-1", "front-2"]
    );
    let not_joined = front.run(&["sync"]);
    assert_eq!(not_joined.status.code(), Some(2), "{}", stderr(&not_joined));
    if let Some(db) = pg {
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(db.drop_now());
    }
}
