//! `venue sim`: every vendor simulator on loopback (Square and Toast, Mews REST and websocket,
//! the door counters), for the demo and the tests. The simulators are not part of the shipped
//! `venue`: they are built in with the `sim` feature (`make demo` and `make test` build with
//! it), and without it `venue sim` says how to get them.

use crate::Failure;
use clap::Args;
use std::path::Path;

/// Where `venue sim` listens by default, and the demo's venue.toml points.
pub const SIM_PORT: u16 = 8787;
/// Where the Mews simulator listens by default.
pub const MEWS_SIM_PORT: u16 = 8788;
/// Where the door counters listen by default.
pub const SENSOR_SIM_PORT: u16 = 8789;

#[derive(Args)]
#[cfg_attr(
    not(feature = "sim"),
    allow(dead_code, reason = "parsed so `venue sim` is known, then refused")
)]
pub struct SimArgs {
    /// Where the Square and Toast simulators listen.
    #[arg(long, default_value_t = SIM_PORT)]
    port: u16,
    /// Where the Mews (PMS) simulator listens.
    #[arg(long, default_value_t = MEWS_SIM_PORT)]
    mews_port: u16,
    /// Where the door counters (AXIS, Xovis) listen, one path per device.
    #[arg(long, default_value_t = SENSOR_SIM_PORT)]
    sensor_port: u16,
    /// Where a test harness drives the simulators (people walk in, the POS fails); 0 = off.
    #[arg(long, default_value_t = 0)]
    control_port: u16,
    /// Same seed, same sales.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Days of sales, ending today (the demo fetches 28).
    #[arg(long, default_value_t = 28)]
    days: u32,
}

/// Why `venue sim` cannot run in a build without the simulators, and how to get them.
#[cfg(not(feature = "sim"))]
fn not_built() -> Failure {
    Failure {
        code: crate::exit::USAGE,
        message: "this venue was built without the simulators; build it with them: \
                  `cargo build -p venue-cli --features sim` (`make demo` and `make test` do)"
            .into(),
    }
}

#[cfg(not(feature = "sim"))]
pub fn serve(_data_dir: &Path, _args: SimArgs) -> Result<(), Failure> {
    Err(not_built())
}

#[cfg(feature = "sim")]
pub fn serve(data_dir: &Path, args: SimArgs) -> Result<(), Failure> {
    use crate::demo;
    use anyhow::Context as _;
    use venue_core::Console;
    let SimArgs {
        port,
        mews_port,
        sensor_port,
        control_port,
        seed,
        days,
    } = args;
    // Serve in the venue's currency and timezone when there is one (the demo's data),
    // read without creating, migrating or locking anything in the data dir.
    let venue = Console::peek_venue(data_dir);
    let (currency, timezone) = venue.map_or(("GBP".to_string(), chrono_tz::Europe::London), |v| {
        (v.currency.code().to_string(), v.timezone)
    });
    let config = demo::sim_config(port, seed, days, &currency, timezone);
    let sim = std::sync::Arc::new(
        venue_sim::PosSimulator::start_in_background(config).map_err(|e| Failure {
            code: 1,
            message: format!("the simulator did not start: {e}"),
        })?,
    );
    say!("Square and Toast simulators on {}", sim.base_url());
    say!("  Square token:      {}", sim.config().square_access_token);
    say!(
        "  Toast credentials: {} / {}",
        sim.config().toast_client_id,
        sim.config().toast_client_secret
    );
    for vendor in [venue_sim::Vendor::Square, venue_sim::Vendor::Toast] {
        for location in sim.locations(vendor) {
            say!("  {vendor:?} location {} ({})", location.id, location.name);
        }
    }
    let mews = venue_sim::MewsSimulator::start_in_background(demo::mews_sim_config(
        mews_port, seed, &currency,
    ))
    .map_err(|e| Failure {
        code: 1,
        message: format!("the Mews simulator did not start: {e}"),
    })?;
    say!(
        "Mews simulator on {} and {}",
        mews.base_url(),
        mews.ws_url()
    );
    say!(
        "  Mews tokens:       {} / {}",
        mews.config().client_token,
        mews.config().access_token
    );
    let doors = std::sync::Arc::new(
        venue_sim::SensorSimulator::start_in_background(demo::sensor_sim_config(
            sensor_port,
            seed,
            timezone,
        ))
        .map_err(|e| Failure {
            code: 1,
            message: format!("the door counter simulator did not start: {e}"),
        })?,
    );
    doors.start_traffic();
    for name in doors.device_names() {
        say!(
            "Door counter {name} on {}",
            doors.base_url(&name).unwrap_or_default()
        );
    }
    say!(
        "  Door counters:     {} / {}",
        doors.config().username,
        doors.config().password
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if control_port != 0 {
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", control_port)))
            .with_context(|| {
                format!("cannot listen on 127.0.0.1:{control_port} for the simulator control")
            })?;
        say!("Simulator control on http://127.0.0.1:{control_port}");
        let targets = venue_sim::control::ControlTargets {
            pos: std::sync::Arc::clone(&sim),
            doors: std::sync::Arc::clone(&doors),
        };
        runtime.spawn(async move {
            if let Err(error) = venue_sim::control::serve(listener, targets).await {
                eprintln!("the simulator control stopped: {error}");
            }
        });
    }
    // The hotel lives on: a check-in, a check-out, a room cleaned every half minute.
    runtime.block_on(async {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
        every.tick().await;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = every.tick() => {
                    mews.churn(1);
                }
            }
        }
    });
    doors.shutdown();
    mews.shutdown();
    sim.shutdown();
    Ok(())
}

#[cfg(all(test, not(feature = "sim")))]
mod tests {
    use super::*;

    #[test]
    fn without_the_simulators_venue_sim_is_a_usage_error_naming_the_feature() {
        let failure = not_built();
        assert_eq!(failure.code, crate::exit::USAGE);
        assert!(
            failure.message.contains("--features sim"),
            "{}",
            failure.message
        );
    }
}
