//! The app's screens share one console behind a lock. A charge posted from a screen is recorded
//! under that lock and sent to the PMS after letting go of it, so while the PMS takes its time
//! answering, every other screen still gets its answer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use venue_core::domain::ChargeState;
use venue_core::{Access, Console, Role};
use venue_sim::{Fault, MewsEndpoint, Times};

const FRONT_DESK_PIN: &str = "4711";

#[test]
fn a_charge_waiting_on_a_slow_pms_holds_up_no_other_screen() {
    let sim = support::mews_sim(23, 20);
    let dir = support::init_venue(
        &sim.currency(),
        "Europe/Prague",
        &format!(
            "[pms]\nkind = \"mews\"\nname = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\nrequests_per_window = 100000\n",
            sim.base_url(),
            sim.ws_url()
        ),
    );
    let mut operator = support::open(dir.path(), &sim);
    operator.pms_sync(true).expect("first sync");
    operator
        .staff_create("Sam Front Desk", Role::Staff, FRONT_DESK_PIN)
        .expect("account");
    drop(operator);
    let mut screens = support::open(dir.path(), &sim).with_access(Access::desktop());
    screens.sign_in(FRONT_DESK_PIN).expect("sign in");
    let screens: Arc<Mutex<Console>> = Arc::new(Mutex::new(screens));
    let stay = sim
        .reservations()
        .into_iter()
        .find(|r| r.state == "Started")
        .expect("an in-house guest");

    // The PMS holds the charge's post until it is released below.
    sim.inject(MewsEndpoint::OrdersAdd, Fault::Timeout, Times::ONCE);
    let charging = {
        let screens = Arc::clone(&screens);
        let number = stay.number.clone();
        std::thread::spawn(move || {
            // What the app's post_charge command does: record under the lock, send after it.
            let recorded = screens
                .lock()
                .expect("lock")
                .record_charge(&number, "Minibar", 1250)?;
            recorded.send()
        })
    };
    let asked = Instant::now();
    while sim.requests(MewsEndpoint::OrdersAdd) == 0 {
        assert!(
            asked.elapsed() < Duration::from_secs(60) && !charging.is_finished(),
            "the charge never reached the PMS"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    // While the PMS has not answered, the other screens read through the same console.
    {
        let console = screens.lock().expect("lock");
        let detail = console.reservation(&stay.number).expect("reservation");
        assert_eq!(detail.charges.len(), 1, "{:?}", detail.charges);
        assert_eq!(detail.charges[0].state, ChargeState::Pending);
        console.today().expect("today");
        console.connections().expect("connections");
    }
    assert!(
        !charging.is_finished(),
        "the screens answered while the charge still waited on the PMS"
    );

    // Released, the PMS takes the charge; the screen that posted it hears it was sent.
    sim.shutdown();
    let charge = charging
        .join()
        .expect("the charging thread")
        .expect("charge");
    assert_eq!(charge.state, ChargeState::Sent, "{charge:?}");
    let posted = sim
        .orders()
        .iter()
        .flat_map(|o| o.items.clone())
        .filter(|i| i.external_identifier.as_deref() == Some(charge.id.to_string().as_str()))
        .count();
    assert_eq!(posted, 1, "posted exactly once");
    let detail = screens
        .lock()
        .expect("lock")
        .reservation(&stay.number)
        .expect("reservation");
    assert_eq!(detail.charges, vec![charge]);
}
