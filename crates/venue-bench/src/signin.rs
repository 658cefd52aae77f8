//! `venue-bench signin`: staff sign-in by PIN alone over N accounts. A PIN names no account, so
//! sign-in checks it against each active account's Argon2id hash (slow on purpose, so a stolen
//! database does not give the PINs away); this measures what that costs at the desk. Baseline:
//! the same sign-in on a venue with one account, in the same run.

use crate::report::line;
use anyhow::Context as _;
use serde_json::json;
use std::time::{Duration, Instant};
use venue_core::{Access, Console, InitOptions, Role};

pub fn run(accounts: u32, runs: usize) -> anyhow::Result<()> {
    let (one, _one_dir) = signed_in_times(1, runs)?;
    let (many, _many_dir) = signed_in_times(accounts, runs)?;
    let one_ms = median_ms(&one);
    let many_ms = median_ms(&many);
    line(
        "signin.pin_over_accounts_median_ms",
        many_ms,
        "ms",
        one_ms,
        many_ms / one_ms.max(f64::EPSILON),
        json!({
            "accounts": accounts,
            "runs": runs,
            "what": "sign-in with the PIN of the account checked last, median of runs",
            "baseline_is": "the same sign-in on a venue with one account",
            "per_account_ms": ((many_ms / f64::from(accounts)) * 10.0).round() / 10.0,
        }),
    )
}

/// Sign-in times with the PIN of the last account made (the worst case: every hash checked).
fn signed_in_times(
    accounts: u32,
    runs: usize,
) -> anyhow::Result<(Vec<Duration>, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let options = InitOptions {
        demo: false,
        ..InitOptions::demo()
    };
    let (mut console, _) = Console::init(dir.path(), &options).context("init a scratch venue")?;
    let mut last_pin = String::new();
    for i in 0..accounts {
        last_pin = format!("{:06}", 100_000 + i);
        console
            .staff_create(&format!("Person {i}"), Role::Staff, &last_pin)
            .with_context(|| format!("create account {i}"))?;
    }
    let mut console: Console = console.with_access(Access::desktop());
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        console.sign_in(&last_pin).context("sign in")?;
        times.push(started.elapsed());
        console.sign_out().context("sign out")?;
    }
    Ok((times, dir))
}

fn median_ms(times: &[Duration]) -> f64 {
    let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    ms.get(ms.len() / 2).copied().unwrap_or(0.0)
}
