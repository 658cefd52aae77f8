//! Managers' desktop notifications for alerts. The core decides what is due and records it
//! (`Console::due_notifications`); this module asks it after each store change that touches
//! alerts, staff or preferences, and once a minute (quiet hours ending, reminders coming due),
//! then shows the answers through tauri-plugin-notification.
//!
//! Clicks: from 2.8 the plugin reports a click on a desktop notification to `on_action` handlers
//! (on Linux it offers the notification's `default` action over D-Bus and listens for
//! `ActionInvoked`, reported as `tap`), so no second notification client is needed. A click
//! shows and focuses the window and tells the UI which screen to open (`navigate`).

use crate::shell::Shell;
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::{ActionPerformed, NotificationExt};
use venue_core::desktop::{self, Navigate};
use venue_core::notifications::DesktopNotification;
use venue_core::ErrorCode;

/// How often the core is asked without a change: quiet hours end and reminders fall due with time.
const TICK: Duration = Duration::from_secs(60);
/// Lets a burst of alert writes (an evaluation opening several) land before one round.
const SETTLE: Duration = Duration::from_millis(300);
/// Store topics after which something may have become due: alerts, a sign-in (the recipient
/// changes), preferences.
const WAKE_TOPICS: &[&str] = &["alert", "staff", "notification_prefs"];
/// The screens a click may open (the UI's screen ids).
const SCREENS: &[&str] = &["today", "reservations", "sensors", "connections"];

/// Wakes the notification thread.
struct Wake(Mutex<mpsc::Sender<()>>);

/// Registers the click handler and starts the thread that shows due notifications.
pub fn start(app: &AppHandle) -> Result<(), Box<dyn std::error::Error>> {
    let handle = app.clone();
    app.notification()
        .on_action(move |performed| clicked(&handle, performed))?;
    let (wake, woken) = mpsc::channel();
    app.manage(Wake(Mutex::new(wake)));
    let handle = app.clone();
    std::thread::Builder::new()
        .name("venue-notifications".into())
        .spawn(move || run(&handle, &woken))?;
    Ok(())
}

/// Called with each coalesced batch of store topics (see `events::forward`).
pub fn store_changed(app: &AppHandle, topics: &[&'static str]) {
    if !topics.iter().any(|t| WAKE_TOPICS.contains(t)) {
        return;
    }
    if let Some(wake) = app.try_state::<Wake>() {
        // The thread is gone only while the app quits.
        let _ = wake
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(());
    }
}

fn run(app: &AppHandle, woken: &mpsc::Receiver<()>) {
    loop {
        round(app);
        match woken.recv_timeout(TICK) {
            Ok(()) => {
                std::thread::sleep(SETTLE);
                while woken.try_recv().is_ok() {}
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Asks the core what is due now (it records them as shown) and shows each.
fn round(app: &AppHandle) {
    let Some(shell) = app.try_state::<Shell>() else {
        return;
    };
    let due = tauri::async_runtime::block_on(
        shell.run(|console| console.due_notifications(chrono::Utc::now())),
    );
    match due {
        Ok(notifications) => {
            for notification in &notifications {
                show(app, notification);
            }
        }
        // No venue yet: nothing can be due.
        Err(error) if error.code == ErrorCode::NotInitialized => {}
        Err(error) => {
            tracing::warn!(code = ?error.code, %error, "could not work out the due notifications")
        }
    }
}

fn show(app: &AppHandle, notification: &DesktopNotification) {
    let shown = app
        .notification()
        .builder()
        .title(&notification.title)
        .body(&notification.body)
        .extra("screen", notification.screen)
        .extra("alert_id", notification.alert_id.to_string())
        .show();
    // On Linux the plugin sends on a background task and drops D-Bus errors; this only catches
    // a notification it could not prepare.
    match shown {
        Ok(()) => {
            tracing::info!(alert = %notification.alert_id, severity = %notification.severity, reminder = notification.reminder, "desktop notification shown")
        }
        Err(error) => {
            tracing::warn!(alert = %notification.alert_id, %error, "desktop notification failed")
        }
    }
}

/// A click on one of our notifications: show the window on the alert's screen.
fn clicked(app: &AppHandle, performed: &ActionPerformed) {
    if performed.action_id() != "tap" {
        return;
    }
    let Some(notification) = performed.notification() else {
        return;
    };
    let text = |key: &str| {
        notification
            .extra()
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    // Only our own screen ids reach the UI, whatever the payload says.
    let screen = text("screen")
        .filter(|s| SCREENS.contains(&s.as_str()))
        .unwrap_or_else(|| "today".to_string());
    crate::tray::show_main_window(app);
    let event = Navigate {
        screen,
        alert_id: text("alert_id"),
    };
    if let Err(error) = app.emit(desktop::NAVIGATE, &event) {
        tracing::warn!(%error, "could not tell the window to open the alert's screen");
    }
}
