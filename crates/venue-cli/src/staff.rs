//! `venue staff ...`: the desktop app's sign-in accounts, managed by the machine's operator (the
//! CLI is not gated; every change is audited under `[console] actor`). PINs come from
//! `VENUE_STAFF_PIN`, standard input when it is piped, or a no-echo prompt on the terminal; they
//! are never taken as arguments (which other users could see in the process list).

use crate::Failure;
use anyhow::Context as _;
use clap::Subcommand;
use std::io::IsTerminal as _;
use std::path::Path;
use venue_core::{ApiError, Console, Role, StaffAccount};

/// Where `staff add` and `staff set-pin` read the PIN from first.
pub const PIN_ENV: &str = "VENUE_STAFF_PIN";

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Add an account that can sign in to the desktop app. The PIN (4-8 digits) is read from
    /// VENUE_STAFF_PIN, from standard input when piped, or asked for without echo.
    Add {
        #[arg(long)]
        name: String,
        /// staff (front desk), manager (also settings, staff list) or admin (everything).
        #[arg(long, value_parser = ["staff", "manager", "admin"])]
        role: String,
        #[arg(long)]
        json: bool,
    },
    /// Every account, active or not.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Give an account a new PIN (read like `staff add` reads it).
    SetPin {
        /// The account's name (any case) or id.
        staff: String,
        #[arg(long)]
        json: bool,
    },
    /// Stop an account from signing in (the last active admin cannot be deactivated).
    Deactivate {
        /// The account's name (any case) or id.
        staff: String,
        #[arg(long)]
        json: bool,
    },
    /// Let a deactivated account sign in again.
    Activate {
        /// The account's name (any case) or id.
        staff: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(data_dir: &Path, command: StaffCommand) -> Result<(), Failure> {
    let mut console = Console::open(data_dir)?;
    match command {
        StaffCommand::Add { name, role, json } => {
            let role: Role = role.parse()?;
            // Refuse before asking for a PIN when the account cannot be made anyway.
            console.venue()?;
            let pin = read_pin(&format!("PIN for {name} (4-8 digits): "))?;
            let account = console.staff_create(&name, role, &pin)?;
            print_one(&account, "added", json)?;
        }
        StaffCommand::List { json } => print_list(&console.staff_list()?, json)?,
        StaffCommand::SetPin { staff, json } => {
            let account = console.staff_find(&staff)?;
            let pin = read_pin(&format!("New PIN for {} (4-8 digits): ", account.name))?;
            let account = console.staff_set_pin(&account.id.to_string(), &pin)?;
            print_one(&account, "new PIN set for", json)?;
        }
        StaffCommand::Deactivate { staff, json } => {
            let account = console.staff_set_active(&staff, false)?;
            print_one(&account, "deactivated", json)?;
        }
        StaffCommand::Activate { staff, json } => {
            let account = console.staff_set_active(&staff, true)?;
            print_one(&account, "activated", json)?;
        }
    }
    Ok(())
}

/// The PIN from `VENUE_STAFF_PIN`, piped standard input, or a no-echo prompt typed twice.
fn read_pin(prompt: &str) -> Result<String, Failure> {
    if let Some(pin) = std::env::var(PIN_ENV).ok().filter(|p| !p.is_empty()) {
        venue_core::validate_pin(&pin)?;
        return Ok(pin);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .read_line(&mut line)
            .context("cannot read the PIN from standard input")?;
        let pin = line.trim_end_matches(['\r', '\n']).to_string();
        if pin.is_empty() {
            return Err(ApiError::bad_input(format!(
                "no PIN: set {PIN_ENV} or pipe it on standard input"
            ))
            .into());
        }
        venue_core::validate_pin(&pin)?;
        return Ok(pin);
    }
    let pin = rpassword::prompt_password(prompt).context("cannot read the PIN")?;
    venue_core::validate_pin(&pin)?;
    let again = rpassword::prompt_password("Same PIN again: ").context("cannot read the PIN")?;
    if again != pin {
        return Err(ApiError::bad_input("the two PINs differ; nothing was changed").into());
    }
    Ok(pin)
}

fn print_one(account: &StaffAccount, what: &str, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        say!(
            "{}",
            serde_json::to_string_pretty(account).context("cannot render JSON")?
        );
    } else {
        say!(
            "{what} {} ({}){}",
            crate::output::shown(&account.name),
            account.role.as_str(),
            if account.active { "" } else { ", inactive" }
        );
    }
    Ok(())
}

fn print_list(accounts: &[StaffAccount], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        say!(
            "{}",
            serde_json::to_string_pretty(accounts).context("cannot render JSON")?
        );
        return Ok(());
    }
    if accounts.is_empty() {
        say!(
            "No staff accounts yet: `venue staff add --name \"Your Name\" --role admin` creates the first admin."
        );
        return Ok(());
    }
    let width = accounts
        .iter()
        .map(|a| crate::output::shown(&a.name).chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    say!(
        "{:<width$}  {:<7}  {:<8}  LAST SIGN-IN",
        "NAME",
        "ROLE",
        "STATUS"
    );
    for a in accounts {
        say!(
            "{:<width$}  {:<7}  {:<8}  {}",
            crate::output::shown(&a.name),
            a.role.as_str(),
            if a.active { "active" } else { "inactive" },
            a.last_sign_in_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "never".into())
        );
    }
    Ok(())
}
