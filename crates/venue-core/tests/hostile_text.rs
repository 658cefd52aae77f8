//! Hostile text at every door where people type it (issue 16, item 16): desk notes, charge
//! items, staff names, the venue's currency and charge amounts. Bad text is refused with an
//! error naming the field and nothing is stored; accepted text is stored exactly as cleaned and
//! is what reaches the PMS; nothing with a control character is ever stored or sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::open;
use venue_core::domain::text::{is_allowed, Lines};
use venue_core::domain::ChargeState;
use venue_core::{Console, ErrorCode, InitOptions};
use venue_sim::BackgroundMewsSim;

/// A venue synced from the simulator, and one in-house stay's number.
fn setup() -> (BackgroundMewsSim, tempfile::TempDir, String) {
    let sim = support::mews_sim(5, 10);
    let dir = support::init_venue(&sim.currency(), "Europe/Amsterdam", &format!(
            "[pms]\nkind = \"mews\"\nname = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\nrequests_per_window = 100000\n[pms.retry]\nbase_ms = 10\nmax_attempts = 2\n",
            sim.base_url(),
            sim.ws_url()
        ));
    open(dir.path(), &sim).pms_sync(true).expect("sync");
    let stay = sim
        .reservations()
        .into_iter()
        .find(|r| r.state == "Started")
        .expect("an in-house stay")
        .number;
    (sim, dir, stay)
}

const HOSTILE: &[&str] = &[
    "",
    "   ",
    " \n\t ",
    "Minibar \u{1b}[2J\u{1b}[31mPAID",
    "Minibar\u{1b}]0;owned\u{7}",
    "nul\0byte",
    "c1 \u{9b}31m",
    "del\u{7f}",
    "Sam \u{202e}nimda",
    "isolate \u{2067}x\u{2069}",
    "line\u{2028}separator",
];

#[test]
fn hostile_notes_and_items_are_refused_naming_the_field_and_nothing_is_stored() {
    let (sim, dir, stay) = setup();
    let mut console = open(dir.path(), &sim);
    let huge = "x".repeat(100_000);
    for text in HOSTILE.iter().copied().chain([huge.as_str()]) {
        let err = console
            .set_desk_note(&stay, text)
            .expect_err("refused note");
        assert_eq!(err.code, ErrorCode::BadInput, "{text:?}");
        assert!(err.message.contains("desk note"), "{}", err.message);
        let err = console
            .pms_charge(&stay, "3.50", &sim.currency(), text)
            .expect_err("refused item");
        assert_eq!(err.code, ErrorCode::BadInput, "{text:?}");
        assert!(err.message.contains("item"), "{}", err.message);
    }
    // A line break is fine in a note, not in a bill line.
    assert!(console
        .pms_charge(&stay, "3.50", &sim.currency(), "Minibar\nextra")
        .is_err());
    assert_eq!(
        console
            .set_desk_note(&stay, "Late arrival\r\nKeep room 12")
            .expect("note")
            .text,
        "Late arrival\nKeep room 12"
    );
    assert!(console.pms_charges(None).expect("charges").is_empty());
    // Refused text never replaces a note already there.
    assert!(console.set_desk_note(&stay, "\u{1b}[2J").is_err());
    let kept = console.desk_note(&stay).expect("read").expect("note");
    assert_eq!(kept.text, "Late arrival\nKeep room 12");
    // Clearing is its own, explicit action.
    assert!(console.clear_desk_note(&stay).expect("clear").is_some());
    assert_eq!(
        console.desk_note(&stay).expect("read").map(|n| n.text),
        Some(String::new())
    );
}

#[test]
fn amounts_and_currencies_the_pms_cannot_take_are_refused_at_entry() {
    let (sim, dir, stay) = setup();
    let mut console = open(dir.path(), &sim);
    let currency = sim.currency();
    for (amount, code, named) in [
        ("12345678901234.56", currency.as_str(), "too large"),
        ("1000000000", currency.as_str(), "too large"),
        ("0.001", currency.as_str(), "decimal places"),
        ("0", currency.as_str(), "more than zero"),
        ("-3", currency.as_str(), "more than zero"),
        ("1e3", currency.as_str(), "amount"),
        ("3", "XTS", "currency"),
        ("3", "XXX", "currency"),
        ("3", "XAU", "currency"),
    ] {
        let err = console
            .pms_charge(&stay, amount, code, "Minibar")
            .expect_err("refused");
        assert_eq!(err.code, ErrorCode::BadInput, "{amount} {code}");
        assert!(
            err.message.contains(named),
            "{amount} {code}: {}",
            err.message
        );
    }
    assert!(console.pms_charges(None).expect("charges").is_empty());
    let biggest = console
        .pms_charge(&stay, "999999999.99", &currency, "Penthouse")
        .expect("the largest charge");
    assert_eq!(biggest.state, ChargeState::Sent, "{biggest:?}");
}

#[test]
fn codes_that_are_not_money_and_bidi_names_are_refused_where_a_venue_and_staff_are_made() {
    for code in ["XXX", "XTS", "XAU", "xdr"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = InitOptions {
            currency: code.into(),
            demo: false,
            ..InitOptions::demo()
        };
        let Err(err) = Console::init(dir.path(), &options) else {
            panic!("{code} accepted as a currency");
        };
        assert_eq!(err.code, ErrorCode::BadInput);
        assert!(err.message.contains("currency"), "{}", err.message);
        // Nothing was made: no venue, and no store (only a successful init creates one).
        let not_made = Console::open(dir.path()).err().map(|e| e.code);
        assert_eq!(
            not_made,
            Some(ErrorCode::NotInitialized),
            "no venue was made"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut console, _) = Console::init(
        dir.path(),
        &InitOptions {
            demo: false,
            ..InitOptions::demo()
        },
    )
    .expect("init");
    for name in ["Sam \u{202e}nimdA", "Kim\u{1b}[8m", "Lee\u{2066}"] {
        let err = console
            .staff_create(name, venue_core::Role::Admin, "4321")
            .expect_err(name);
        assert_eq!(err.code, ErrorCode::BadInput);
        assert!(err.message.contains("staff name"), "{}", err.message);
    }
    assert!(console
        .staff_create("Zoë Ström", venue_core::Role::Admin, "4321")
        .is_ok());
}

fn any_text() -> impl Strategy<Value = String> {
    let hostile = prop::sample::select(vec![
        '\u{0}', '\u{7}', '\u{1b}', '[', '\n', '\r', '\t', ' ', '\u{7f}', '\u{85}', '\u{9b}',
        '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{2028}', 'a', 'é', '🎂',
    ]);
    prop::collection::vec(prop_oneof![3 => hostile, 1 => any::<char>()], 0..24)
        .prop_map(|cs| cs.into_iter().collect())
}

/// Arbitrary text through the real store and the real PMS: refused with an error (nothing
/// changed), or stored exactly as accepted and clean; the PMS never receives a control
/// character or a bidi override.
#[test]
fn any_text_is_refused_or_stored_clean_and_only_clean_text_reaches_the_pms() {
    let (sim, dir, stay) = setup();
    let console = std::cell::RefCell::new(open(dir.path(), &sim));
    let currency = sim.currency();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(&(any_text(), any_text()), |(note, item)| {
            let mut console = console.borrow_mut();
            let before = console.desk_note(&stay).expect("read");
            match console.set_desk_note(&stay, &note) {
                Ok(saved) => {
                    let stored = console.desk_note(&stay).expect("read").expect("note");
                    prop_assert_eq!(&stored.text, &saved.text);
                    prop_assert!(stored.text.chars().all(|c| is_allowed(c, Lines::Many)));
                    prop_assert!(!stored.text.trim().is_empty());
                }
                Err(e) => {
                    prop_assert!(e.code.is_usage());
                    prop_assert_eq!(console.desk_note(&stay).expect("read"), before);
                }
            }
            let count = console.pms_charges(None).expect("charges").len();
            match console.pms_charge(&stay, "1", &currency, &item) {
                Ok(charge) => {
                    prop_assert!(charge.item.chars().all(|c| is_allowed(c, Lines::One)));
                    prop_assert_eq!(charge.item.as_str(), item.trim());
                    prop_assert_eq!(charge.state, ChargeState::Sent);
                }
                Err(e) => {
                    prop_assert!(e.code.is_usage());
                    prop_assert_eq!(console.pms_charges(None).expect("charges").len(), count);
                }
            }
            Ok(())
        })
        .expect("property holds");
    let ours: Vec<String> = console
        .borrow()
        .pms_charges(None)
        .expect("charges")
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    for order in sim.orders() {
        for item in order.items.iter().filter(|i| {
            i.external_identifier
                .as_ref()
                .is_some_and(|k| ours.contains(k))
        }) {
            assert!(
                item.name.chars().all(|c| is_allowed(c, Lines::One)),
                "{:?}",
                item.name
            );
        }
        if let Some(notes) = &order.notes {
            assert!(
                notes.chars().all(|c| is_allowed(c, Lines::One)),
                "{notes:?}"
            );
        }
    }
}
