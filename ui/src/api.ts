import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { EVENTS } from "./types";
import type {
  AlertRuleConfig,
  AlertRuleView,
  AlertView,
  ApiError,
  AppInfo,
  ChargeView,
  ConnectionsView,
  DeskNoteView,
  CsvExport,
  GuestDetail,
  JoinReport,
  LeaveReport,
  ReservationDetail,
  Role,
  SalesView,
  SearchHit,
  SecretSaved,
  SecretStatus,
  SensorsView,
  Navigate,
  NotificationPrefsView,
  SessionInfo,
  SettingsView,
  StaffAccount,
  StatusReport,
  StayKind,
  StayRow,
  SyncReport,
  SyncStatus,
  TodayView,
  TrafficPoint,
  TrafficResolution,
  UpdateOffer,
  Venue,
  VenuePatch,
} from "./types";

/** True when the value already has the `{code, message}` shape the core sends. */
export function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/**
 * Turns whatever a rejected `invoke` produced into an ApiError. The core rejects with
 * `{code, message}`; the IPC layer itself rejects with a string (unknown command, not running
 * inside Tauri) or an Error.
 */
export function toApiError(reason: unknown): ApiError {
  if (isApiError(reason)) {
    return { code: reason.code, message: reason.message || reason.code };
  }
  if (reason instanceof Error) {
    return { code: "ui.invoke_failed", message: reason.message || "The desktop shell did not answer." };
  }
  if (typeof reason === "string" && reason !== "") {
    return { code: "ui.invoke_failed", message: reason };
  }
  return { code: "ui.invoke_failed", message: "The desktop shell did not answer." };
}

export type Unlisten = () => void;

/**
 * Everything the UI asks of the desktop shell: one method per Tauri command (contract.md) plus
 * the two events. Screens get it from ApiContext, so tests render them with a fake.
 * Every method rejects with an ApiError.
 */
export interface Api {
  status(): Promise<StatusReport>;
  /** The venue (null before `venue init`): cheap, for the first paint. */
  venue(): Promise<Venue | null>;
  appInfo(): Promise<AppInfo>;
  /** A newer signed version on the update server, or null when up to date. */
  checkUpdate(): Promise<UpdateOffer | null>;
  /** Downloads, verifies and installs `version` (manager+), then the app restarts. */
  installUpdate(version: string): Promise<null>;

  signIn(pin: string): Promise<SessionInfo>;
  signOut(): Promise<null>;
  session(): Promise<SessionInfo | null>;
  staffList(): Promise<StaffAccount[]>;
  staffCreate(args: { name: string; role: Role; pin: string }): Promise<StaffAccount>;
  staffSetPin(staffId: string, pin: string): Promise<StaffAccount>;
  staffSetActive(staffId: string, active: boolean): Promise<StaffAccount>;
  /** The signed-in manager's (or admin's) own desktop notification preferences. */
  notificationPrefs(): Promise<NotificationPrefsView>;
  setNotificationPrefs(prefs: NotificationPrefsView): Promise<NotificationPrefsView>;
  setSecret(name: string, value: string): Promise<SecretSaved>;
  secretsStatus(): Promise<SecretStatus[]>;

  today(): Promise<TodayView>;
  stays(kind: StayKind, date?: string): Promise<StayRow[]>;
  search(query: string, limit?: number): Promise<SearchHit[]>;
  guest(customerId: string): Promise<GuestDetail>;
  reservation(id: string): Promise<ReservationDetail>;
  postCharge(reservationId: string, item: string, amountMinor: number): Promise<ChargeView>;
  setDeskNote(reservationId: string, text: string): Promise<DeskNoteView>;

  sales(from: string, to: string): Promise<SalesView>;
  exportSalesCsv(from: string, to: string): Promise<CsvExport>;

  sensors(): Promise<SensorsView>;
  traffic(resolution: TrafficResolution, from: string, to: string): Promise<TrafficPoint[]>;

  connections(): Promise<ConnectionsView>;
  fetchNow(connector: string): Promise<null>;

  alerts(includeResolved?: boolean): Promise<AlertView[]>;
  acknowledgeAlert(id: string): Promise<AlertView>;
  resolveAlert(id: string): Promise<AlertView>;
  alertRules(): Promise<AlertRuleView[]>;
  saveAlertRule(rule: AlertRuleConfig): Promise<AlertRuleView>;
  deleteAlertRule(id: string): Promise<null>;

  settings(): Promise<SettingsView>;
  updateVenue(patch: VenuePatch): Promise<Venue>;

  /** Where this console stands with its hub (any signed-in staff). */
  syncStatus(): Promise<SyncStatus>;
  /** One push-and-pull pass now. */
  syncNow(): Promise<SyncReport>;
  /** Join a hub with a one-time code (admin). */
  hubJoin(url: string, code: string): Promise<JoinReport>;
  /** Leave the hub; the data stays (admin). */
  hubLeave(): Promise<LeaveReport>;

  /** `store-changed`: the topics (entity kinds, connector_state, sensor_state) that changed. */
  onStoreChanged(handler: (topics: string[]) => void): Promise<Unlisten>;
  /** `session-locked`: the shell signed the session out. */
  onSessionLocked(handler: () => void): Promise<Unlisten>;
  /** `navigate`: a desktop notification was clicked; open its screen. */
  onNavigate(handler: (target: Navigate) => void): Promise<Unlisten>;
}

/** Calls one Tauri command; rejects with an ApiError. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toApiError(reason);
  }
}

/** Drops undefined values, so optional arguments reach Rust as absent (`None`). */
function defined(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
}

async function listenTo<T>(event: string, handler: (payload: T) => void): Promise<Unlisten> {
  try {
    return await listen<T>(event, (e) => handler(e.payload));
  } catch (reason) {
    throw toApiError(reason);
  }
}

/** The real API: Tauri commands, args camelCase (Tauri maps them to the snake_case Rust params). */
export const tauriApi: Api = {
  status: () => call("status"),
  venue: () => call("venue"),
  appInfo: () => call("app_info"),
  checkUpdate: () => call("check_update"),
  installUpdate: (version) => call("install_update", { version }),

  signIn: (pin) => call("sign_in", { pin }),
  signOut: () => call("sign_out"),
  session: () => call("session"),
  staffList: () => call("staff_list"),
  staffCreate: ({ name, role, pin }) => call("staff_create", { name, role, pin }),
  staffSetPin: (staffId, pin) => call("staff_set_pin", { staffId, pin }),
  staffSetActive: (staffId, active) => call("staff_set_active", { staffId, active }),
  notificationPrefs: () => call("notification_prefs"),
  setNotificationPrefs: (prefs) => call("set_notification_prefs", { prefs }),
  setSecret: (name, value) => call("set_secret", { name, value }),
  secretsStatus: () => call("secrets_status"),

  today: () => call("today"),
  stays: (kind, date) => call("stays", defined({ kind, date })),
  search: (query, limit) => call("search", defined({ query, limit })),
  guest: (customerId) => call("guest", { customerId }),
  reservation: (id) => call("reservation", { id }),
  postCharge: (reservationId, item, amountMinor) => call("post_charge", { reservationId, item, amountMinor }),
  setDeskNote: (reservationId, text) => call("set_desk_note", { reservationId, text }),

  sales: (from, to) => call("sales", { from, to }),
  exportSalesCsv: (from, to) => call("export_sales_csv", { from, to }),

  sensors: () => call("sensors"),
  traffic: (resolution, from, to) => call("traffic", { resolution, from, to }),

  connections: () => call("connections"),
  fetchNow: (connector) => call("fetch_now", { connector }),

  alerts: (includeResolved) => call("alerts", defined({ includeResolved })),
  acknowledgeAlert: (id) => call("acknowledge_alert", { id }),
  resolveAlert: (id) => call("resolve_alert", { id }),
  alertRules: () => call("alert_rules"),
  saveAlertRule: (rule) => call("save_alert_rule", { rule: defined({ ...rule }) }),
  deleteAlertRule: (id) => call("delete_alert_rule", { id }),

  settings: () => call("settings"),
  updateVenue: (patch) => call("update_venue", defined({ ...patch })),

  syncStatus: () => call("sync_status"),
  syncNow: () => call("sync_now"),
  hubJoin: (url, code) => call("hub_join", { url, code }),
  hubLeave: () => call("hub_leave"),

  onStoreChanged: (handler) =>
    listenTo<{ topics?: unknown } | null>(EVENTS.storeChanged, (payload) => {
      const topics = payload && Array.isArray(payload.topics) ? payload.topics.filter((t) => typeof t === "string") : [];
      handler(topics as string[]);
    }),
  onSessionLocked: (handler) => listenTo<unknown>(EVENTS.sessionLocked, () => handler()),
  onNavigate: (handler) =>
    listenTo<{ screen?: unknown; alert_id?: unknown } | null>(EVENTS.navigate, (payload) => {
      if (!payload || typeof payload.screen !== "string") return;
      handler({ screen: payload.screen, alert_id: typeof payload.alert_id === "string" ? payload.alert_id : null });
    }),
};

/** Calls the `status` command of the desktop shell. Rejects with an ApiError. */
export function fetchStatus(): Promise<StatusReport> {
  return tauriApi.status();
}

/**
 * Wraps an Api so that a `not_signed_in` answer from any command but sign-in tells the app the
 * session has ended (signed out elsewhere, or the shell restarted); the error still reaches the
 * caller.
 */
export function guardSession(api: Api, onSignedOut: (error: ApiError) => void): Api {
  const guarded = { ...api } as Record<string, unknown>;
  for (const [key, value] of Object.entries(api)) {
    if (typeof value !== "function" || key === "signIn" || key.startsWith("on")) continue;
    guarded[key] = async (...args: unknown[]) => {
      try {
        return await (value as (...a: unknown[]) => Promise<unknown>).apply(api, args);
      } catch (reason) {
        const error = toApiError(reason);
        if (error.code === "not_signed_in") onSignedOut(error);
        throw error;
      }
    };
  }
  return guarded as unknown as Api;
}
