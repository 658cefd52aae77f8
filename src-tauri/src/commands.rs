//! The UI's commands: each is one call into `venue_core::Console`, run off the UI thread. Access
//! checks, validation and auditing all live in the core, so the app and the CLI cannot drift.

use crate::shell::Shell;
use tauri::{AppHandle, Emitter, State};
use venue_core::alerts::{AlertRuleConfig, AlertRuleView};
use venue_core::desktop::{self, AppInfo, UpdateOffer};
use venue_core::notifications::NotificationPrefsView;
use venue_core::views::*;
use venue_core::{Action, ApiError, ApiResult, Role, SessionInfo, StatusReport};

type Shl<'a> = State<'a, Shell>;

#[tauri::command]
pub async fn status(shell: Shl<'_>) -> ApiResult<StatusReport> {
    shell.run(|c| c.status()).await
}

#[tauri::command]
pub async fn venue(shell: Shl<'_>) -> ApiResult<Option<venue_core::domain::Venue>> {
    shell.run(|c| c.venue_info()).await
}

#[tauri::command]
pub async fn app_info(app: AppHandle, shell: Shl<'_>) -> ApiResult<AppInfo> {
    let version = app.package_info().version.to_string();
    shell
        .run(move |c| {
            Ok(AppInfo {
                version,
                data_dir: c.data_dir().display().to_string(),
            })
        })
        .await
}

#[tauri::command]
pub async fn sign_in(shell: Shl<'_>, pin: String) -> ApiResult<SessionInfo> {
    shell.run(move |c| c.sign_in(&pin)).await
}

#[tauri::command]
pub async fn sign_out(app: AppHandle, shell: Shl<'_>) -> ApiResult<()> {
    shell.run(|c| c.sign_out()).await?;
    app.emit(desktop::SESSION_LOCKED, ()).map_err(internal)
}

#[tauri::command]
pub async fn session(shell: Shl<'_>) -> ApiResult<Option<SessionInfo>> {
    shell.run(|c| Ok(c.session())).await
}

#[tauri::command]
pub async fn today(shell: Shl<'_>) -> ApiResult<TodayView> {
    shell.run(|c| c.today()).await
}

#[tauri::command]
pub async fn stays(shell: Shl<'_>, kind: String, date: Option<String>) -> ApiResult<Vec<StayRow>> {
    shell.run(move |c| c.stays(&kind, date.as_deref())).await
}

#[tauri::command]
pub async fn search(
    shell: Shl<'_>,
    query: String,
    limit: Option<u32>,
) -> ApiResult<Vec<venue_core::SearchHit>> {
    shell
        .run(move |c| c.search(&query, limit.unwrap_or(20)))
        .await
}

#[tauri::command]
pub async fn guest(shell: Shl<'_>, customer_id: String) -> ApiResult<GuestDetail> {
    shell.run(move |c| c.guest(&customer_id)).await
}

#[tauri::command]
pub async fn reservation(shell: Shl<'_>, id: String) -> ApiResult<ReservationDetail> {
    shell.run(move |c| c.reservation(&id)).await
}

#[tauri::command]
pub async fn post_charge(
    shell: Shl<'_>,
    reservation_id: String,
    item: String,
    amount_minor: i64,
) -> ApiResult<ChargeView> {
    // Recorded under the console's lock; sent to the PMS after it is let go, so a slow PMS never
    // holds up the other screens.
    let recorded = shell
        .run(move |c| c.record_charge(&reservation_id, &item, amount_minor))
        .await?;
    shell.unlocked(move || recorded.send()).await
}

#[tauri::command]
pub async fn set_desk_note(
    shell: Shl<'_>,
    reservation_id: String,
    text: String,
) -> ApiResult<DeskNoteView> {
    shell
        .run(move |c| c.desk_note_write(&reservation_id, &text))
        .await
}

#[tauri::command]
pub async fn sales(shell: Shl<'_>, from: String, to: String) -> ApiResult<SalesView> {
    shell.run(move |c| c.sales(&from, &to)).await
}

#[tauri::command]
pub async fn export_sales_csv(shell: Shl<'_>, from: String, to: String) -> ApiResult<CsvExport> {
    shell.run(move |c| c.export_sales_csv(&from, &to)).await
}

#[tauri::command]
pub async fn sensors(shell: Shl<'_>) -> ApiResult<SensorsView> {
    shell.run(|c| c.sensors_view()).await
}

#[tauri::command]
pub async fn traffic(
    shell: Shl<'_>,
    resolution: String,
    from: String,
    to: String,
) -> ApiResult<Vec<TrafficPoint>> {
    shell.run(move |c| c.traffic(&resolution, &from, &to)).await
}

#[tauri::command]
pub async fn connections(shell: Shl<'_>) -> ApiResult<ConnectionsView> {
    shell.run(|c| c.connections()).await
}

#[tauri::command]
pub async fn fetch_now(shell: Shl<'_>, connector: String) -> ApiResult<()> {
    let name = shell.run(move |c| c.check_fetch_now(&connector)).await?;
    shell.fetch_now.send(name).map_err(|_| {
        ApiError::new(
            venue_core::ErrorCode::Internal,
            "the background sync is not running; restart the app",
        )
    })
}

#[tauri::command]
pub async fn alerts(shell: Shl<'_>, include_resolved: Option<bool>) -> ApiResult<Vec<AlertView>> {
    shell
        .run(move |c| c.alerts(include_resolved.unwrap_or(false)))
        .await
}

#[tauri::command]
pub async fn acknowledge_alert(shell: Shl<'_>, id: String) -> ApiResult<AlertView> {
    shell.run(move |c| c.acknowledge_alert(&id)).await
}

#[tauri::command]
pub async fn resolve_alert(shell: Shl<'_>, id: String) -> ApiResult<AlertView> {
    shell.run(move |c| c.resolve_alert(&id)).await
}

#[tauri::command]
pub async fn alert_rules(shell: Shl<'_>) -> ApiResult<Vec<AlertRuleView>> {
    shell.run(|c| c.alert_rules_list()).await
}

#[tauri::command]
pub async fn save_alert_rule(shell: Shl<'_>, rule: AlertRuleConfig) -> ApiResult<AlertRuleView> {
    shell.run(move |c| c.alert_rule_save(rule)).await
}

#[tauri::command]
pub async fn delete_alert_rule(shell: Shl<'_>, id: String) -> ApiResult<()> {
    shell.run(move |c| c.alert_rule_delete(&id)).await
}

#[tauri::command]
pub async fn settings(shell: Shl<'_>) -> ApiResult<SettingsView> {
    shell.run(|c| c.settings()).await
}

#[tauri::command]
pub async fn update_venue(
    shell: Shl<'_>,
    name: Option<String>,
    timezone: Option<String>,
    currency: Option<String>,
    capacity: Option<u32>,
    share_guest_contacts: Option<bool>,
) -> ApiResult<venue_core::domain::Venue> {
    shell
        .run(move |c| {
            c.update_venue(
                name.as_deref(),
                timezone.as_deref(),
                currency.as_deref(),
                capacity,
                share_guest_contacts,
            )
        })
        .await
}

#[tauri::command]
pub async fn set_secret(
    shell: Shl<'_>,
    name: String,
    value: String,
) -> ApiResult<venue_core::SecretSaved> {
    shell.run(move |c| c.set_secret(&name, &value)).await
}

#[tauri::command]
pub async fn secrets_status(shell: Shl<'_>) -> ApiResult<Vec<venue_core::SecretStatus>> {
    shell.run(|c| c.secrets_status()).await
}

#[tauri::command]
pub async fn staff_list(shell: Shl<'_>) -> ApiResult<Vec<venue_core::StaffAccount>> {
    shell.run(|c| c.staff_list()).await
}

#[tauri::command]
pub async fn staff_create(
    shell: Shl<'_>,
    name: String,
    role: Role,
    pin: String,
) -> ApiResult<venue_core::StaffAccount> {
    shell.run(move |c| c.staff_create(&name, role, &pin)).await
}

#[tauri::command]
pub async fn staff_set_pin(
    shell: Shl<'_>,
    staff_id: String,
    pin: String,
) -> ApiResult<venue_core::StaffAccount> {
    shell.run(move |c| c.staff_set_pin(&staff_id, &pin)).await
}

#[tauri::command]
pub async fn staff_set_active(
    shell: Shl<'_>,
    staff_id: String,
    active: bool,
) -> ApiResult<venue_core::StaffAccount> {
    shell
        .run(move |c| c.staff_set_active(&staff_id, active))
        .await
}

#[tauri::command]
pub async fn notification_prefs(shell: Shl<'_>) -> ApiResult<NotificationPrefsView> {
    shell.run(|c| c.notification_prefs()).await
}

#[tauri::command]
pub async fn set_notification_prefs(
    shell: Shl<'_>,
    prefs: NotificationPrefsView,
) -> ApiResult<NotificationPrefsView> {
    shell.run(move |c| c.set_notification_prefs(prefs)).await
}

#[tauri::command]
pub async fn check_update(app: AppHandle, shell: Shl<'_>) -> ApiResult<Option<UpdateOffer>> {
    shell
        .run(|c| c.authorize_action(Action::CheckForUpdate))
        .await?;
    crate::updater::check(&app).await
}

/// Installs the update offered as `version` and restarts, when the core allows whoever is signed
/// in to (managers and admins).
#[tauri::command]
pub async fn install_update(app: AppHandle, shell: Shl<'_>, version: String) -> ApiResult<()> {
    shell
        .run(|c| c.authorize_action(Action::InstallUpdate))
        .await?;
    crate::updater::install(&app, &version).await
}

fn internal(error: tauri::Error) -> ApiError {
    ApiError::new(venue_core::ErrorCode::Internal, error.to_string())
}

#[tauri::command]
pub async fn sync_status(shell: Shl<'_>) -> ApiResult<venue_core::sync::SyncStatus> {
    shell.run(|c| c.sync_status()).await
}

#[tauri::command]
pub async fn sync_now(shell: Shl<'_>) -> ApiResult<venue_core::sync::SyncReport> {
    shell.run(|c| c.sync_now()).await
}

#[tauri::command]
pub async fn hub_join(
    shell: Shl<'_>,
    url: String,
    code: String,
) -> ApiResult<venue_core::sync::JoinReport> {
    shell.run(move |c| c.hub_join(&url, &code)).await
}

#[tauri::command]
pub async fn hub_leave(shell: Shl<'_>) -> ApiResult<venue_core::sync::LeaveReport> {
    shell.run(|c| c.hub_leave()).await
}
