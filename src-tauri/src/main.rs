//! Venue Console desktop shell: one window over `venue_core`. Every command is a one-line call
//! into the core API, so the desktop app and the `venue` CLI cannot drift apart. The core's live
//! work (connectors, PMS socket, sensors) runs in this process and reaches the UI as events.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod background;
mod commands;
mod events;
mod memory;
mod notifications;
mod shell;
mod tray;
mod updater;
mod webview;

use std::process::ExitCode;
use tauri::Manager;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    memory::return_freed_memory();
    webview::prefer_software_painting();
    webview::skip_optimising_script_tiers();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let (listener, topics) = events::channel();
    let (fetch_now_tx, fetch_now_rx) = tokio::sync::mpsc::unbounded_channel();
    let background_listener = listener.clone();
    #[allow(
        clippy::disallowed_methods,
        reason = "the generated code exits when the embedded tauri.conf.json cannot be read: a broken build, before any store is open"
    )]
    let mut context = tauri::generate_context!();
    let update_endpoint = updater::configure(
        context.config_mut(),
        std::env::var(updater::ENDPOINT_ENV).ok().as_deref(),
    );
    let app = tauri::Builder::default()
        // A second launch focuses the running window instead of opening another store writer.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_main_window(app);
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        // Managers' alert notifications, shown from Rust (src-tauri/src/notifications.rs); the
        // window gets none of the plugin's commands.
        .plugin(tauri_plugin_notification::init())
        // Signed updates; the window reaches them only through check_update/install_update.
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(update_endpoint)
        .manage(shell::Shell::start(listener, fetch_now_tx))
        .setup(move |app| {
            // The main window is made here (not from the config) so that WebKit's memory
            // settings are in place before its web process starts.
            webview::limit_web_process_memory();
            let config = app
                .config()
                .app
                .windows
                .iter()
                .find(|w| w.label == "main")
                .cloned()
                .ok_or("tauri.conf.json has no window labelled main")?;
            let window =
                tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?.build()?;
            webview::light_page_settings(&window);
            tray::install(app.handle())?;
            let handle = app.handle().clone();
            std::thread::Builder::new()
                .name("venue-events".into())
                .spawn(move || events::forward(handle, topics))?;
            notifications::start(app.handle())?;
            let background = background::Background::start(background_listener, fetch_now_rx)?;
            app.manage(std::sync::Mutex::new(background));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::venue,
            commands::app_info,
            commands::sign_in,
            commands::sign_out,
            commands::session,
            commands::today,
            commands::stays,
            commands::search,
            commands::guest,
            commands::reservation,
            commands::post_charge,
            commands::set_desk_note,
            commands::sales,
            commands::export_sales_csv,
            commands::sensors,
            commands::traffic,
            commands::connections,
            commands::fetch_now,
            commands::alerts,
            commands::acknowledge_alert,
            commands::resolve_alert,
            commands::alert_rules,
            commands::save_alert_rule,
            commands::delete_alert_rule,
            commands::settings,
            commands::update_venue,
            commands::sync_status,
            commands::sync_now,
            commands::hub_join,
            commands::hub_leave,
            commands::set_secret,
            commands::secrets_status,
            commands::staff_list,
            commands::staff_create,
            commands::staff_set_pin,
            commands::staff_set_active,
            commands::notification_prefs,
            commands::set_notification_prefs,
            commands::check_update,
            commands::install_update,
        ])
        .build(context);
    let app = match app {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "the desktop shell could not start");
            return ExitCode::FAILURE;
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            // Let the background work finish its current write before the process ends.
            if let Some(background) = handle.try_state::<std::sync::Mutex<background::Background>>()
            {
                background
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .stop();
            }
        }
    });
    ExitCode::SUCCESS
}
