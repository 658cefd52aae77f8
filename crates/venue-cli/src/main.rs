//! `venue`: the console without a window. Exit codes: see [`exit`] (0 ok, 1 runtime failure,
//! 2 bad usage or input, 3 partial, 4 store unavailable).

// First, so its `say!` macro is seen by the modules after it.
#[macro_use]
mod output;
#[cfg(feature = "sim")]
mod demo;
mod exit;
mod hub;
mod sim;
mod staff;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use venue_core::{
    ApiError, Config, Console, ExportEntity, ExportFormat, InitOptions, LogFormat, OsKeyring,
    TimeBound,
};

#[derive(Parser)]
#[command(name = "venue", version, about = "Venue Console from the command line")]
struct Cli {
    /// Where the venue's database and venue.toml live.
    #[arg(long, global = true, env = "VENUE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Log as JSON lines instead of text (overrides venue.toml).
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set up a venue in the data dir (with --demo: a demo hotel and bar with data).
    Init(InitArgs),
    /// Show the venue, the store and today's numbers.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Write an entity as CSV or JSON to stdout or a file.
    Export(ExportArgs),
    /// Write a consistent copy of the store to FILE (while it stays in use); restore by putting
    /// a copy back as venue.sqlite3 while nothing runs.
    Backup {
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
    /// Change the venue's settings (admin): name, timezone, currency, capacity, and whether
    /// guests' email and phone are shared with the hub and the venue's other consoles.
    #[command(name = "venue")]
    VenueSet(VenueArgs),
    /// Reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Run one snapshot of every connector (or one) now and print what it did.
    Fetch {
        /// Only this connector.
        #[arg(long)]
        connector: Option<String>,
        /// Fetch from this RFC 3339 time instead of the last high-water mark.
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Keep running until Ctrl-C or SIGTERM: every connector fetches at its interval and the PMS mirror
    /// stays live over its websocket.
    Run,
    /// Door counters: their state, or one poll of each now.
    #[command(subcommand)]
    Sensors(SensorsCommand),
    /// Alerts raised by the alert rules (built-in, venue.toml and custom).
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// The property-management system: sync, charges to stays, front-desk notes.
    #[command(subcommand)]
    Pms(PmsCommand),
    /// Secrets in the OS keyring (never in venue.toml, the database or logs).
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Staff accounts that sign in to the desktop app with a PIN.
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// Serve the vendor simulators (Square, Toast, Mews, door counters) on loopback until Ctrl-C,
    /// for demos and tests (in builds with the `sim` feature).
    Sim(sim::SimArgs),
    /// The hub this console syncs with: join it with a one-time code, or leave it.
    #[command(subcommand)]
    Hub(hub::HubCommand),
    /// One push-and-pull pass with the hub (`venue sync status`: where the console stands).
    Sync(hub::SyncArgs),
    /// Search guests and reservations by name, email, phone, room or reservation number.
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct InitArgs {
    /// Fill the store with a demo venue's data (no network or account needed).
    #[arg(long)]
    demo: bool,
    #[arg(long, required_unless_present = "demo")]
    name: Option<String>,
    /// IANA timezone, e.g. Europe/London.
    #[arg(long, required_unless_present = "demo")]
    timezone: Option<String>,
    /// ISO 4217 code, e.g. GBP.
    #[arg(long, required_unless_present = "demo")]
    currency: Option<String>,
    /// Maximum number of people allowed inside.
    #[arg(long, required_unless_present = "demo")]
    capacity: Option<u32>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct VenueArgs {
    #[arg(long)]
    name: Option<String>,
    /// IANA timezone, e.g. Europe/London (moves every business date).
    #[arg(long)]
    timezone: Option<String>,
    /// ISO 4217 code, e.g. GBP.
    #[arg(long)]
    currency: Option<String>,
    #[arg(long)]
    capacity: Option<u32>,
    /// on: guests' email and phone travel to the hub and the venue's other consoles; off:
    /// they stay on this console (names and stays travel either way).
    #[arg(long, value_parser = ["on", "off"])]
    share_guest_contacts: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ExportArgs {
    /// transactions, reservations, customers, resources, sensor-readings, snapshots, alerts, audit or changes.
    entity: String,
    #[arg(long, value_parser = ["csv", "json"])]
    format: String,
    /// From this venue-local date (YYYY-MM-DD) or RFC 3339 time, inclusive.
    #[arg(long)]
    since: Option<String>,
    /// Up to this date or time, exclusive.
    #[arg(long)]
    until: Option<String>,
    /// sensor-readings only: rolled up per 15m, 1h or 1d (venue-local days) instead of raw.
    #[arg(long, value_parser = ["1m", "15m", "1h", "1d"])]
    resolution: Option<String>,
    /// Write to a file instead of stdout (never over the store or venue.toml; an existing file
    /// only when it is an earlier export of the same entity and format, or with --force).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Replace an existing output file that is not an earlier export of the same kind.
    #[arg(long, requires = "output")]
    force: bool,
}

#[derive(Subcommand)]
enum AlertsCommand {
    /// Unresolved alerts, critical first, then newest (with --all, then the resolved ones).
    List {
        #[arg(long)]
        json: bool,
        /// Resolved alerts too.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
enum SensorsCommand {
    /// The configured sensors and their last state (online, offline, auth_failed).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Poll every HTTP sensor now and store what changed: status, in/out, occupancy, error.
    Poll {
        /// One round, then exit (`venue run` keeps polling).
        #[arg(long, required = true)]
        once: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PmsCommand {
    /// One pass now: reservations, guests, rooms and services changed since the last pass,
    /// then any charges still waiting to be sent.
    Sync {
        /// Re-read everything within first_sync_days instead of only what changed.
        #[arg(long)]
        full: bool,
        #[arg(long)]
        json: bool,
    },
    /// Post a charge to a stay's bill. Recorded here first; sent now if the PMS can be
    /// reached, otherwise with the next sync, exactly once either way.
    Charge {
        /// The reservation: its confirmation number, the PMS's id or ours.
        #[arg(long)]
        reservation: String,
        /// In currency units, e.g. 12.50.
        #[arg(long)]
        amount: String,
        /// ISO 4217 code, e.g. EUR.
        #[arg(long)]
        currency: String,
        /// What was bought, e.g. "Minibar".
        #[arg(long)]
        item: String,
        #[arg(long)]
        json: bool,
    },
    /// Charges posted to stays and their state (pending, sent, failed and why).
    Charges {
        #[arg(long, value_parser = ["pending", "sent", "failed"])]
        state: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Set the front-desk note on a reservation (kept locally; PMS updates never touch it).
    Note {
        #[arg(long)]
        reservation: String,
        /// The note; one to 4,000 characters, no control characters.
        #[arg(required_unless_present = "clear", conflicts_with = "clear")]
        text: Option<String>,
        /// Remove the note instead.
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Subcommand)]
enum SecretCommand {
    /// Store a secret read from standard input, e.g. `venue secret set square-main-access-token`.
    Set { name: String },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Sales, stays and foot traffic for one venue-local day.
    Daily {
        /// YYYY-MM-DD; default today at the venue.
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn pms(data_dir: &Path, command: PmsCommand) -> Result<(), Failure> {
    let mut console = Console::open(data_dir)?.with_secret_store(Box::new(OsKeyring));
    match command {
        PmsCommand::Sync { full, json } => {
            let report = console.pms_sync(full)?;
            output::pms_sync(&report, json)?;
            if report.snapshot.status == venue_core::domain::SnapshotStatus::Failed {
                return Err(Failure {
                    code: exit::PARTIAL,
                    message: format!(
                        "PMS sync failed: {}",
                        report.snapshot.error.as_deref().unwrap_or("unknown error")
                    ),
                });
            }
            let c = &report.charges;
            if c.failed + c.pending > 0 {
                return Err(Failure {
                    code: exit::PARTIAL,
                    message: format!(
                        "{} charges failed and {} are still pending (see `venue pms charges`)",
                        c.failed, c.pending
                    ),
                });
            }
        }
        PmsCommand::Charge {
            reservation,
            amount,
            currency,
            item,
            json,
        } => {
            let charge = console.pms_charge(&reservation, &amount, &currency, &item)?;
            output::charges(std::slice::from_ref(&charge), json)?;
            let why = || output::shown(charge.last_error.as_deref().unwrap_or("no reason given"));
            match charge.state {
                venue_core::domain::ChargeState::Failed => {
                    return Err(Failure {
                        code: exit::PARTIAL,
                        message: format!("the charge is recorded but failed: {}", why()),
                    })
                }
                venue_core::domain::ChargeState::Pending => {
                    return Err(Failure {
                        code: exit::PARTIAL,
                        message: format!(
                            "the charge is recorded but not sent yet (it goes out with the next sync): {}",
                            why()
                        ),
                    })
                }
                venue_core::domain::ChargeState::Sent => {}
            }
        }
        PmsCommand::Charges { state, json } => {
            let state = state
                .as_deref()
                .map(str::parse::<venue_core::domain::ChargeState>)
                .transpose()
                .map_err(|e| ApiError::bad_input(e.to_string()))?;
            output::charges(&console.pms_charges(state)?, json)?;
        }
        PmsCommand::Note {
            reservation,
            text,
            clear,
        } => {
            let shown_reservation = output::shown(&reservation);
            match text {
                Some(text) if !clear => {
                    let note = console.set_desk_note(&reservation, &text)?;
                    say!(
                        "note saved on reservation {shown_reservation}: {}",
                        output::shown(&note.text)
                    );
                }
                _ => match console.clear_desk_note(&reservation)? {
                    Some(_) => say!("note cleared on reservation {shown_reservation}"),
                    None => say!("reservation {shown_reservation} had no note"),
                },
            }
        }
    }
    Ok(())
}

/// A failure with the exit code it maps to (see [`exit`]).
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// Standard output's reader went away during an export (its only work): the command ends
    /// quietly with [`exit::OK`], like `cat` under `head`.
    fn closed_pipe() -> Self {
        Failure {
            code: exit::OK,
            message: String::new(),
        }
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let code = if e.code.is_store_unavailable() {
            exit::STORE_UNAVAILABLE
        } else if e.code.is_usage() {
            exit::USAGE
        } else {
            exit::FAILURE
        };
        Failure {
            code,
            message: e.message,
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure {
            code: exit::FAILURE,
            message: format!("{e:#}"),
        }
    }
}

fn init_logging(data_dir: &Path, force_json: bool) {
    // A broken venue.toml is reported by the command itself; logging just falls back to defaults.
    let config = Config::load(data_dir).unwrap_or_default();
    // `[log] level` was checked when the config loaded; a bad VENUE_LOG is said, not hidden.
    let configured = || {
        tracing_subscriber::EnvFilter::try_new(&config.log.level)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
    };
    let filter = match std::env::var("VENUE_LOG") {
        Ok(value) => tracing_subscriber::EnvFilter::try_new(&value).unwrap_or_else(|e| {
            eprintln!("venue: warning: VENUE_LOG={value:?} is not a log filter ({e}); using [log] level {:?}", config.log.level);
            configured()
        }),
        Err(_) => configured(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if force_json || config.log.format == LogFormat::Json {
        builder.json().init();
    } else {
        builder.compact().init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) if failure.code == exit::OK => ExitCode::SUCCESS,
        Err(failure) => {
            // One line, and nothing in it (input echoed back, a vendor's message) may steer the
            // terminal.
            eprintln!(
                "venue: error: {}",
                output::shown(&failure.message.replace('\n', " "))
            );
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let data_dir = venue_core::resolve_data_dir(cli.data_dir.as_deref())?;
    init_logging(&data_dir, cli.log_json);
    match cli.command {
        Command::Init(args) => {
            let defaults = InitOptions::demo();
            let options = InitOptions {
                name: args.name.unwrap_or(defaults.name),
                timezone: args.timezone.unwrap_or(defaults.timezone),
                currency: args.currency.unwrap_or(defaults.currency),
                capacity: args.capacity.unwrap_or(defaults.capacity),
                demo: args.demo,
                // With the simulators built in, the demo's sales come from the POS simulator
                // through the real connectors and its stays from the PMS simulator through the
                // real PMS sync; without them, from the built-in demo data.
                demo_sales: !cfg!(feature = "sim"),
                demo_stays: !cfg!(feature = "sim"),
            };
            let (console, report) = Console::init(&data_dir, &options)?;
            drop(console);
            #[cfg(feature = "sim")]
            let report = if args.demo {
                demo::live(&data_dir, report)?
            } else {
                report
            };
            #[cfg(not(feature = "sim"))]
            if args.demo {
                eprintln!(
                    "venue: the demo's data is built in; for the live demo (its POS, PMS and door counters served by `venue sim`) build venue with `--features sim`"
                );
            }
            output::init(&report, args.json)?;
        }
        Command::Status { json } => {
            let console = Console::open_for_reading(&data_dir)?;
            let status = console.status()?;
            output::status(&status, json)?;
            if let Some(damage) = status.store.damage {
                return Err(Failure {
                    code: exit::STORE_UNAVAILABLE,
                    message: format!(
                        "{} is damaged ({damage}); writes are refused — restore it from a backup",
                        status.store.path
                    ),
                });
            }
        }
        Command::Backup { file, force, json } => {
            let console = Console::open_for_reading(&data_dir)?;
            output::backup(&console.backup(&file, force)?, json)?;
        }
        Command::Export(args) => {
            let entity: ExportEntity = args.entity.parse()?;
            let format: ExportFormat = args.format.parse()?;
            let since = args
                .since
                .as_deref()
                .map(str::parse::<TimeBound>)
                .transpose()?;
            let until = args
                .until
                .as_deref()
                .map(str::parse::<TimeBound>)
                .transpose()?;
            let console = Console::open_for_reading(&data_dir)?;
            let count = match &args.output {
                // Checked, written beside the file and renamed into place (see export_to_file).
                Some(path) => console.export_to_file(
                    entity,
                    format,
                    since,
                    until,
                    args.resolution.as_deref(),
                    path,
                    args.force,
                )?,
                None => {
                    console.venue()?;
                    let mut stdout = venue_core::PipeWatch::new(std::io::stdout().lock());
                    let mut out = std::io::BufWriter::new(&mut stdout);
                    let written = console
                        .export_at(
                            entity,
                            format,
                            since,
                            until,
                            args.resolution.as_deref(),
                            &mut out,
                        )
                        .map_err(Failure::from)
                        .and_then(|count| {
                            out.flush().context("cannot write to stdout")?;
                            Ok(count)
                        });
                    drop(out);
                    match written {
                        Err(_) if stdout.closed => return Err(Failure::closed_pipe()),
                        written => written?,
                    }
                }
            };
            tracing::info!(count, entity = args.entity, "exported");
        }
        Command::Report(ReportCommand::Daily { date, json }) => {
            let date = date
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                        ApiError::bad_input(format!("invalid --date {d:?}: expected YYYY-MM-DD"))
                    })
                })
                .transpose()?;
            let console = Console::open_for_reading(&data_dir)?;
            output::daily(&console.daily_report(date)?, json)?;
        }
        Command::Fetch {
            connector,
            since,
            json,
        } => {
            let since = since
                .as_deref()
                .map(|s| {
                    chrono::DateTime::parse_from_rfc3339(s)
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .map_err(|_| ApiError::bad_input(format!("invalid --since {s:?}: expected an RFC 3339 time such as 2026-07-01T00:00:00Z")))
                })
                .transpose()?;
            let mut console = Console::open(&data_dir)?.with_secret_store(Box::new(OsKeyring));
            let reports = console.fetch(connector.as_deref(), since)?;
            output::fetch(&reports, json)?;
            // Exit PARTIAL (3) when any connector did not finish ok, so cron jobs and scripts
            // notice; what the others fetched is kept.
            let unfinished: Vec<String> = reports
                .iter()
                .filter(|r| r.snapshot.status != venue_core::domain::SnapshotStatus::Ok)
                .map(|r| {
                    format!(
                        "connector {} ended {}: {}",
                        r.connector,
                        r.snapshot.status,
                        r.snapshot.error.as_deref().unwrap_or("no reason given")
                    )
                })
                .collect();
            if !unfinished.is_empty() {
                return Err(Failure {
                    code: exit::PARTIAL,
                    message: unfinished.join("; "),
                });
            }
        }
        Command::Pms(command) => pms(&data_dir, command)?,
        Command::Alerts(AlertsCommand::List { json, all }) => {
            let console = Console::open_for_reading(&data_dir)?;
            print_alerts(&console.alerts_list(all)?, json)?;
        }
        Command::Sensors(SensorsCommand::List { json }) => {
            let console = Console::open_for_reading(&data_dir)?;
            output::sensors(&console.sensors_list()?, json)?;
        }
        Command::Sensors(SensorsCommand::Poll { once: _, json }) => {
            let mut console = Console::open(&data_dir)?.with_secret_store(Box::new(OsKeyring));
            let rounds = console.sensors_poll_once()?;
            output::sensor_rounds(&rounds, json)?;
        }
        Command::Run => {
            let console = Console::open(&data_dir)?.with_secret_store(Box::new(OsKeyring));
            tracing::info!(
                connectors = console.config().connector.len(),
                "running until Ctrl-C or SIGTERM"
            );
            console.run_scheduler(stop_requested())?;
        }
        Command::Secret(SecretCommand::Set { name }) => {
            let mut value = String::new();
            std::io::stdin()
                .read_line(&mut value)
                .context("cannot read the secret from standard input")?;
            let value = value.trim_end_matches(['\r', '\n']);
            if value.is_empty() {
                return Err(
                    ApiError::bad_input(format!("no value for {name} on standard input")).into(),
                );
            }
            // Through the core: validated, stored in the keyring, audited by name (never value);
            // before `venue init` (no store to audit in, and none is created) only stored.
            let saved = match Console::open(&data_dir) {
                Ok(console) => console
                    .with_secret_store(Box::new(OsKeyring))
                    .set_secret(&name, value)?,
                Err(e) if e.code == venue_core::ErrorCode::NotInitialized => {
                    venue_core::store_secret(Some(&OsKeyring), &name, value)?
                }
                Err(e) => return Err(e.into()),
            };
            eprintln!("stored {} in the OS keyring", saved.name);
        }
        Command::Staff(command) => staff::run(&data_dir, command)?,
        Command::Sim(args) => sim::serve(&data_dir, args)?,
        Command::VenueSet(args) => {
            let mut console = Console::open(&data_dir)?;
            let venue = console.update_venue(
                args.name.as_deref(),
                args.timezone.as_deref(),
                args.currency.as_deref(),
                args.capacity,
                args.share_guest_contacts.as_deref().map(|v| v == "on"),
            )?;
            output::venue(&venue, args.json)?;
        }
        Command::Hub(command) => hub::hub(&data_dir, command)?,
        Command::Sync(args) => hub::sync(&data_dir, args)?,
        Command::Search { query, limit, json } => {
            let console = Console::open_for_reading(&data_dir)?;
            output::search(&console.search(&query, limit)?, json)?;
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM (what `systemctl stop` and `kill` send): `venue run`
/// then stops its tasks cleanly, closing its runs, and exits 0. A signal that cannot be
/// listened for is waited for never (the process runs until killed).
async fn stop_requested() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: stopping"),
        () = terminate => tracing::info!("SIGTERM: stopping"),
    }
}

/// `venue alerts list`: JSON for scripts, one line per alert for people.
fn print_alerts(alerts: &[venue_core::views::AlertView], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        say!(
            "{}",
            serde_json::to_string_pretty(alerts).context("cannot render JSON")?
        );
        return Ok(());
    }
    if alerts.is_empty() {
        say!("No alerts.");
        return Ok(());
    }
    for a in alerts {
        let by = a
            .acknowledged_by
            .as_deref()
            .map(|who| format!(" by {}", output::shown(who)))
            .unwrap_or_default();
        say!(
            "{:<8}  {:<12}  {}  {}{by}",
            a.severity.as_str(),
            a.state.as_str(),
            a.opened_at.format("%F %H:%M"),
            output::shown(&a.title)
        );
    }
    Ok(())
}
