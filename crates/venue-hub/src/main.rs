//! `venue-hub`: serve the hub, and its admin commands. Every command takes `--database`
//! (default: the embedded SQLite file in the platform data dir) and most take `--json`.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use uuid::Uuid;
use venue_hub::database::Database;
use venue_hub::server::listen::{Listen, TlsFiles};
use venue_hub::server::{credentials, router, AppState, HubSettings};
use venue_hub::store::{AnyHub, Grant, HubStore, NewVenue};

#[derive(Parser)]
#[command(
    name = "venue-hub",
    version,
    about = "The hub Venue Consoles sync with"
)]
struct Cli {
    /// postgres://… for PostgreSQL, or a SQLite file (default: hub.sqlite3 in the data dir).
    #[arg(long, global = true, env = "VENUE_HUB_DATABASE")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Organisations: a group of venues and its managers.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Venues of an organisation.
    #[command(subcommand)]
    Venue(VenueCommand),
    /// Print a one-time code that enrols one console into a venue.
    Enroll {
        #[arg(long)]
        venue: Uuid,
        /// How long the code works: 30m, 24h, 7d.
        #[arg(long, default_value = "24h")]
        expires: String,
        #[arg(long)]
        json: bool,
    },
    /// Managers: people who see venues across the organisation.
    #[command(subcommand)]
    Manager(ManagerCommand),
    /// Enrolled consoles.
    #[command(subcommand)]
    Devices(DevicesCommand),
    /// Write a consistent copy of the SQLite database to FILE while the hub runs.
    Backup {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// PEM certificate chain for HTTPS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (only behind a proxy that does TLS).
    #[arg(long)]
    insecure_http: bool,
    /// Print the address bound as one JSON line on stdout once listening (port 0 picks one).
    #[arg(long)]
    print_address: bool,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organisation.
    Create {
        name: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum VenueCommand {
    /// Add a venue to an organisation.
    Add {
        #[arg(long)]
        org: Uuid,
        #[arg(long)]
        name: String,
        #[arg(long)]
        timezone: String,
        #[arg(long)]
        currency: String,
        #[arg(long)]
        capacity: Option<u32>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ManagerCommand {
    /// Add a manager; the password is read from stdin, or asked for on a terminal.
    Add {
        #[arg(long)]
        org: Uuid,
        #[arg(long)]
        email: String,
        /// The venues they see, by id, comma separated.
        #[arg(
            long,
            value_delimiter = ',',
            conflicts_with = "all",
            required_unless_present = "all"
        )]
        venues: Vec<Uuid>,
        /// Every venue of the organisation, present and future.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DevicesCommand {
    /// Enrolled consoles, oldest first.
    List {
        #[arg(long)]
        org: Option<Uuid>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a console's device token: its next request is refused.
    Revoke {
        id: Uuid,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    init_logs();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let database = Database::from_arg(cli.database.as_deref())?;
        let store = AnyHub::open(&database)
            .await
            .with_context(|| format!("cannot open {}", database.describe()))?;
        if let Some(warning) = store.row_security_warning() {
            tracing::warn!("{warning}");
        }
        run(store, cli.command, &database).await
    })
}

/// Logs as JSON lines on stderr (RUST_LOG filters; info by default).
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .init();
}

fn print(json: bool, value: serde_json::Value, text: &str) -> Result<()> {
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
    Ok(())
}

async fn run(store: AnyHub, command: Command, database: &Database) -> Result<()> {
    match command {
        Command::Serve(args) => serve(store, args, database).await,
        Command::Org(OrgCommand::Create { name, json }) => {
            let id = store.create_org(&name).await?;
            print(
                json,
                serde_json::json!({"id": id, "name": name}),
                &format!("org {name}: {id}"),
            )
        }
        Command::Venue(VenueCommand::Add {
            org,
            name,
            timezone,
            currency,
            capacity,
            json,
        }) => {
            if timezone.parse::<chrono_tz::Tz>().is_err() {
                bail!("unknown time zone {timezone:?}: use an IANA name such as Europe/Lisbon");
            }
            if currency.parse::<venue_domain::Currency>().is_err() {
                bail!("unknown currency {currency:?}: use an ISO 4217 code such as EUR");
            }
            let id = store
                .add_venue(
                    org,
                    NewVenue {
                        name: name.clone(),
                        timezone,
                        currency: currency.to_uppercase(),
                        capacity,
                    },
                )
                .await?;
            print(
                json,
                serde_json::json!({"id": id, "name": name}),
                &format!("venue {name}: {id}"),
            )
        }
        Command::Enroll {
            venue,
            expires,
            json,
        } => {
            let ttl = parse_duration(&expires)?;
            let code = credentials::new_code()?;
            let hash =
                credentials::hash_code(&code).context("a new code could not be read back")?;
            let expires_at = chrono::Utc::now() + ttl;
            store.create_enrollment(venue, &hash, expires_at).await?;
            print(
                json,
                serde_json::json!({"code": code, "venue": venue, "expires_at": expires_at}),
                &format!("{code}\n(one console, once, until {expires_at}): venue hub join URL --code {code}"),
            )
        }
        Command::Manager(ManagerCommand::Add {
            org,
            email,
            venues,
            all,
            json,
        }) => {
            let password = read_password(&email)?;
            let hash = hash_password(&password)?;
            let grant = if all {
                Grant::All
            } else {
                Grant::Venues(venues)
            };
            let id = store.add_manager(org, &email, &hash, grant).await?;
            print(
                json,
                serde_json::json!({"id": id, "email": email}),
                &format!("manager {email}: {id}"),
            )
        }
        Command::Devices(DevicesCommand::List { org, json }) => {
            let devices = store.list_devices(org).await?;
            if json {
                println!("{}", serde_json::to_string(&devices)?);
            } else {
                for d in &devices {
                    let state = d
                        .revoked_at
                        .map(|t| format!("revoked {t}"))
                        .unwrap_or_else(|| "active".into());
                    println!(
                        "{}  venue {}  console {}  enrolled {}  {state}",
                        d.id, d.venue_id, d.node_id, d.created_at
                    );
                }
            }
            Ok(())
        }
        Command::Devices(DevicesCommand::Revoke { id, json }) => {
            store.revoke_device(id, chrono::Utc::now()).await?;
            print(
                json,
                serde_json::json!({"id": id, "revoked": true}),
                &format!("device {id} revoked"),
            )
        }
        Command::Backup { file, json } => {
            store
                .backup(&file)
                .await
                .with_context(|| format!("cannot write {}", file.display()))?;
            print(
                json,
                serde_json::json!({"file": file}),
                &format!("backup written to {}", file.display()),
            )
        }
    }
}

async fn serve<S: HubStore>(store: S, args: ServeArgs, database: &Database) -> Result<()> {
    let listen = Listen {
        addr: args.listen,
        tls: match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            _ => None,
        },
        insecure_http: args.insecure_http,
    };
    let state = AppState::new(store, HubSettings::default());
    let described = database.describe();
    let print_address = args.print_address;
    let scheme = if listen.tls.is_some() {
        "https"
    } else {
        "http"
    };
    venue_hub::server::listen::serve(
        router(state),
        listen,
        move |bound| {
            tracing::info!(%bound, database = %described, "venue-hub listening");
            if print_address {
                println!(
                    "{}",
                    serde_json::json!({"listening": format!("{scheme}://{bound}")})
                );
            }
        },
        shutdown_signal(),
    )
    .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// `30m`, `24h`, `7d`.
fn parse_duration(text: &str) -> Result<chrono::Duration> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number.parse().ok().filter(|n| *n > 0).with_context(|| {
        format!("--expires {text:?}: a whole number and a unit, like 30m, 24h or 7d")
    })?;
    let d = match unit {
        "m" => chrono::Duration::try_minutes(n),
        "h" => chrono::Duration::try_hours(n),
        "d" => chrono::Duration::try_days(n),
        _ => None,
    };
    d.filter(|d| *d <= chrono::Duration::days(30))
        .with_context(|| {
            format!("--expires {text:?}: minutes (m), hours (h) or days (d), at most 30 days")
        })
}

fn read_password(email: &str) -> Result<String> {
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Password for {email}: "))?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.chars().count() < 12 {
        bail!("a manager's password has at least 12 characters");
    }
    Ok(password)
}

fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}
