//! `venue hub join|restore|leave` and `venue sync [status]`: this console and its hub. The device token
//! goes to the OS keyring (or, on a machine without one, is shown once for
//! `VENUE_SECRET_HUB_TOKEN`); `venue sync` runs one push-and-pull pass.

use crate::{exit, output, Failure};
use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Serialize;
use std::io::IsTerminal as _;
use std::path::Path;
use venue_core::sync::{
    JoinReport, LeaveReport, RestoreEvent, RestoreReport, SyncReport, SyncStatus,
};
use venue_core::{Console, OsKeyring};

#[derive(Subcommand)]
pub enum HubCommand {
    /// Join a hub with a one-time enrolment code from its operator (`venue-hub enroll`): the
    /// console takes the hub's venue id, and its changes go up with the next `venue sync`.
    Join {
        /// The hub's address, e.g. https://hub.example.com
        url: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        json: bool,
    },
    /// Restore a venue from the hub into a new, empty --data-dir (a console whose disk died):
    /// everything its consoles sent up, audit and fetch runs included, with a one-time code from
    /// `venue-hub enroll`. Cut short, run it again: it carries on where it stopped.
    Restore {
        /// The hub's address, e.g. https://hub.example.com
        url: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        json: bool,
    },
    /// Leave the hub: forget its address and this console's device token (the data stays).
    Leave {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SyncArgs {
    #[command(subcommand)]
    command: Option<SyncCommand>,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum SyncCommand {
    /// Joined or not, the last success, the changes waiting and the oldest's age, the clock
    /// skew against the hub, and the last error.
    Status {
        #[arg(long)]
        json: bool,
    },
}

fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    say!(
        "{}",
        serde_json::to_string_pretty(value).context("cannot render JSON")?
    );
    Ok(())
}

pub fn hub(data_dir: &Path, command: HubCommand) -> Result<(), Failure> {
    if let HubCommand::Restore {
        url,
        code,
        json: as_json,
    } = command
    {
        return restore(data_dir, &url, &code, as_json);
    }
    let mut console = Console::open(data_dir)?.with_secret_store(Box::new(OsKeyring));
    match command {
        HubCommand::Join {
            url,
            code,
            json: as_json,
        } => {
            let report = console.hub_join(&url, &code)?;
            if as_json {
                json(&report)?;
            } else {
                print_join(&report)?;
            }
        }
        HubCommand::Restore { .. } => {}
        HubCommand::Leave { json: as_json } => {
            let report = console.hub_leave()?;
            if as_json {
                json(&report)?;
            } else {
                print_leave(&report)?;
            }
        }
    }
    Ok(())
}

pub fn sync(data_dir: &Path, args: SyncArgs) -> Result<(), Failure> {
    match args.command {
        Some(SyncCommand::Status { json: as_json }) => {
            let console = Console::open_for_reading(data_dir)?;
            let status = console.sync_status()?;
            if as_json {
                json(&status)?;
            } else {
                print_status(&status)?;
            }
        }
        None => {
            let mut console = Console::open(data_dir)?.with_secret_store(Box::new(OsKeyring));
            let report = console.sync_now()?;
            if args.json {
                json(&report)?;
            } else {
                print_report(&report)?;
            }
            if report.rejected > 0 {
                return Err(Failure {
                    code: exit::PARTIAL,
                    message: format!(
                        "{} changes were refused and parked with their reasons; the rest went through",
                        report.rejected
                    ),
                });
            }
        }
    }
    Ok(())
}

fn restore(data_dir: &Path, url: &str, code: &str, as_json: bool) -> Result<(), Failure> {
    // Progress on a terminal only: a script reads the summary.
    let show = std::io::stderr().is_terminal();
    let mut progress = |event: &RestoreEvent| match event {
        // Shown at once, on stderr: a run cut short needs it to carry on.
        RestoreEvent::Enrolled {
            token_env,
            token_to_set: Some(token),
        } => {
            eprintln!("The OS keyring is not available: set this for every run of this console, this restore's included if it is cut short (shown once):");
            eprintln!("{token_env}={}", output::shown(token));
        }
        RestoreEvent::Enrolled { .. } => {}
        RestoreEvent::Page(p) if show => {
            eprint!(
                "\rrestoring: {} changes in {} pages (cursor {})   ",
                p.pulled,
                p.pages,
                output::shown(&p.cursor)
            );
        }
        RestoreEvent::Page(_) => {}
    };
    let result = Console::hub_restore(
        data_dir,
        url,
        code,
        Some(Box::new(OsKeyring)),
        &mut progress,
    );
    if show {
        eprintln!();
    }
    let (_console, report) = result?;
    if as_json {
        json(&report)?;
    } else {
        print_restore(&report)?;
    }
    Ok(())
}

fn print_restore(r: &RestoreReport) -> anyhow::Result<()> {
    say!(
        "Restored {} ({}) from the hub at {} into {}{}",
        output::shown(&r.venue_name),
        r.venue_id,
        output::shown(&r.hub_url),
        output::shown(&r.data_dir),
        if r.resumed { " (carried on)" } else { "" }
    );
    say!(
        "{} changes in {} pages, {:.1} s: {} applied, {} duplicates, {} conflicts, {} rejected",
        r.pulled,
        r.pages,
        r.seconds,
        r.outcomes.applied,
        r.outcomes.duplicates,
        r.outcomes.conflicts,
        r.outcomes.rejected
    );
    for (kind, n) in &r.by_kind {
        say!("  {:<18} {n}", output::shown(kind));
    }
    say!(
        "cursor {}; this console is node {}",
        output::shown(&r.cursor),
        r.node
    );
    match (r.resumed, &r.token_to_set) {
        (true, _) => {}
        (false, None) => say!("The device token is in the OS keyring."),
        (false, Some(_)) => say!(
            "The device token is not in the OS keyring: set {} as shown above.",
            r.token_env
        ),
    }
    if !r.pending_charges_elsewhere.is_empty() {
        say!("Pending room charges taken on other consoles (posted by those consoles only; the lost console's stay unposted):");
        for p in &r.pending_charges_elsewhere {
            say!("  node {}: {}", output::shown(&p.node), p.charges);
        }
    }
    say!("Not restored (never on the hub), to set up again:");
    for n in &r.not_restored {
        say!("  - {}: {}", n.what, n.set_up_again);
    }
    say!("Revoke the lost console's device at the hub: `venue-hub devices list`, then `venue-hub devices revoke ID`.");
    Ok(())
}

fn print_join(r: &JoinReport) -> anyhow::Result<()> {
    say!(
        "Joined the hub at {} as venue {} ({})",
        output::shown(&r.hub_url),
        output::shown(&r.venue_name),
        r.venue_id
    );
    say!(
        "{} rows took the hub's venue id; {} changes wait for `venue sync`",
        r.rekeyed.ids_changed,
        r.rekeyed.changes_queued
    );
    match &r.token_to_set {
        None => say!("The device token is in the OS keyring."),
        Some(token) => {
            say!("The OS keyring is not available: set this for every run of this console (shown once):");
            say!("{}={}", r.token_env, output::shown(token));
        }
    }
    Ok(())
}

fn print_leave(r: &LeaveReport) -> anyhow::Result<()> {
    say!(
        "Left the hub at {}; every row stays here",
        output::shown(&r.hub_url)
    );
    if let Some(message) = &r.message {
        say!("{}", output::shown(message));
    }
    Ok(())
}

fn print_report(r: &SyncReport) -> anyhow::Result<()> {
    say!("pushed      {}", r.pushed);
    say!("applied     {}", r.applied);
    say!("duplicates  {}", r.duplicates);
    say!("conflicts   {}", r.conflicts);
    say!("rejected    {}", r.rejected);
    say!("pulled      {}", r.pulled);
    say!(
        "cursor      {}",
        output::shown(r.cursor.as_deref().unwrap_or("-"))
    );
    if let Some(skew) = r.clock_skew_ms {
        say!("clock skew  {skew} ms");
    }
    Ok(())
}

fn print_status(s: &SyncStatus) -> anyhow::Result<()> {
    match &s.hub_url {
        Some(url) => say!("hub              {}", output::shown(url)),
        None => say!("hub              not joined (`venue hub join URL --code CODE`)"),
    }
    if let Some(venue) = s.venue_id {
        say!("venue            {venue}");
    }
    say!(
        "last success     {}",
        output::shown(s.last_success.as_deref().unwrap_or("never"))
    );
    say!("changes waiting  {}", s.changes_waiting);
    if let Some(age) = s.oldest_unsynced_age_seconds {
        say!("oldest waiting   {age} s");
    }
    if let Some(skew) = s.clock_skew_ms {
        say!("clock skew       {skew} ms");
    }
    if let Some(error) = &s.last_error {
        say!(
            "last error       {} ({})",
            output::shown(error),
            output::shown(s.last_error_at.as_deref().unwrap_or("?"))
        );
    }
    Ok(())
}
