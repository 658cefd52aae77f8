// The JSON shapes the Rust side sends (see contract.md). They mirror the `Serialize` structs in
// crates/venue-core: snake_case fields, `Option` as null, enums as snake_case strings. Times are
// ISO-8601 UTC strings, dates are venue-local `YYYY-MM-DD`, money is integer minor units.

export interface ApiError {
  /** venue_core::ErrorCode in snake_case (bad_input, not_signed_in, forbidden, bad_pin, locked_out,
   * not_found, store_refused, ...), or ui.invoke_failed when the IPC call itself failed. */
  code: string;
  message: string;
}

export interface VenueInfo {
  id: string;
  name: string;
  /** IANA timezone name; every time on screen is shown in it. */
  timezone: string;
  /** ISO 4217 code; every amount on screen is shown in it. */
  currency: string;
  /** Maximum people allowed inside at once. */
  capacity: number;
}

// ---------------------------------------------------------------------------------------------
// Status (existing `status` command)

export interface StoreInfo {
  path: string;
  schema_version: number;
  latest_schema_version: number;
  journal_mode: string;
  size_bytes: number;
  node_id: string;
}

export interface RecordCounts {
  transactions: number;
  customers: number;
  reservations: number;
  resources: number;
  sensor_readings: number;
  snapshots: number;
  alerts_open: number;
  audit_entries: number;
}

export interface ChangeLogInfo {
  total: number;
  pending_sync: number;
  last_hlc: string | null;
}

export type SnapshotStatus = "running" | "ok" | "partial" | "failed";

/** One connector run (venue_domain::Snapshot). */
export interface SnapshotInfo {
  id: string;
  venue_id: string;
  connector: string;
  correlation_id: string;
  started_at: string;
  finished_at: string | null;
  status: SnapshotStatus;
  error: string | null;
  records_seen: number;
  records_written: number;
  high_water_mark: string | null;
  cursor: string | null;
}

export interface TodaySales {
  venue_id: string;
  date: string;
  currency: string;
  transactions: number;
  gross_minor: number;
  tax_minor: number;
  tip_minor: number;
  discount_minor: number;
  refunded_minor: number;
  net_minor: number;
}

export interface StatusReport {
  venue: VenueInfo | null;
  store: StoreInfo;
  counts: RecordCounts;
  change_log: ChangeLogInfo;
  last_snapshot: SnapshotInfo | null;
  today: TodaySales | null;
}

export interface AppInfo {
  version: string;
  data_dir: string;
}

/** A newer version the update server offers (check_update); not yet downloaded or verified. */
export interface UpdateOffer {
  version: string;
  current_version: string;
  notes: string | null;
  /** RFC 3339, as the server published it. */
  date: string | null;
}

// ---------------------------------------------------------------------------------------------
// Sign-in and staff

export type Role = "staff" | "manager" | "admin";

export interface StaffAccount {
  id: string;
  name: string;
  role: Role;
  active: boolean;
  created_at: string;
  last_sign_in_at: string | null;
}

export interface SessionInfo {
  staff_id: string;
  name: string;
  role: Role;
  signed_in_at: string;
  /** Inactivity lock, from venue.toml [console] lock_after_seconds (default 300). */
  lock_after_seconds: number;
}

export type SecretSource = "os_keyring" | "environment" | "missing" | "unavailable";

export interface SecretStatus {
  name: string;
  purpose: string;
  set: boolean;
  source: SecretSource;
  message: string | null;
}

export interface SecretSaved {
  name: string;
  stored_in: "os_keyring";
}

// ---------------------------------------------------------------------------------------------
// Today

export interface CurvePoint {
  at: string;
  occupancy: number | null;
  entries: number;
}

export interface ZoneOccupancy {
  zone: string;
  occupancy: number | null;
  updated_at: string | null;
}

export interface OccupancyNow {
  now: number | null;
  capacity: number;
  share: number | null;
  updated_at: string | null;
  stale: boolean;
  zones: ZoneOccupancy[];
}

export interface HourSales {
  hour: number;
  transactions: number;
  net_minor: number;
}

export interface TodaySalesView {
  currency: string;
  transactions: number;
  gross_minor: number;
  net_minor: number;
  refunded_minor: number;
  tip_minor: number;
  average_ticket_minor: number;
  by_hour: HourSales[];
}

export interface StaysSummary {
  arrivals: number;
  departures: number;
  in_house: number;
  rooms_dirty: number;
}

export type BreakerState = "closed" | "open" | "half_open";
export type Severity = "info" | "warning" | "critical";
export type AlertState = "open" | "acknowledged" | "resolved";

export interface AlertView {
  id: string;
  rule: string;
  severity: Severity;
  title: string;
  body: string;
  state: AlertState;
  opened_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
}

/** The signed-in manager's desktop notification preferences (notification_prefs). */
export interface NotificationPrefs {
  enabled: boolean;
  /** Alerts at or above this severity are shown. */
  min_severity: Severity;
  /** Venue-local "HH:MM", both or neither; the range may wrap midnight (22:00 to 07:00). */
  quiet_hours_start: string | null;
  quiet_hours_end: string | null;
}

/** The `navigate` event: a desktop notification was clicked. */
export interface NavigateTarget {
  screen: string;
  alert_id: string | null;
}

export type AlertMetric =
  | "occupancy_share"
  | "occupancy"
  | "breaker_open"
  | "snapshot_failed"
  | "rate_limit_ratio"
  | "pms_socket_down_seconds"
  | "sensor_offline"
  | "sensor_auth_failed"
  | "charge_failed"
  | "vip_arrival"
  | "task_failing_seconds";
export type AlertCondition = ">=" | ">" | "<=" | "<" | "==";
/** Where a rule comes from: built in, venue.toml, or made in the app (only those are edited here). */
export type RuleSource = "builtin" | "config" | "custom";

/** A checked alert rule (`alert_rules`). */
export interface AlertRuleView {
  id: string;
  metric: AlertMetric;
  condition: AlertCondition;
  threshold: number;
  window_seconds: number;
  severity: Severity;
  cool_down_seconds: number;
  clear_after_seconds: number;
  /** Venue-local "HH:MM-HH:MM", or null for all day. */
  active_hours: string | null;
  enabled: boolean;
  title: string | null;
  source: RuleSource;
}

/** A custom rule as saved (`save_alert_rule`); the core checks and names any bad field. */
export interface AlertRuleInput {
  id: string;
  metric: AlertMetric;
  condition: AlertCondition;
  threshold: number;
  window_seconds?: number;
  severity?: Severity;
  cool_down_seconds?: number;
  clear_after_seconds?: number;
  active_hours?: string;
  enabled?: boolean;
  title?: string;
}

export interface ConnectorHealth {
  name: string;
  /** "square" | "toast" */
  kind: string;
  interval_minutes: number;
  breaker: BreakerState;
  consecutive_failures: number;
  opened_at: string | null;
  last_error: string | null;
  last_snapshot: SnapshotInfo | null;
  requests: number;
  failures: number;
  retries: number;
  rate_limit_hits: number;
  latency_p95_ms: number | null;
  /** rate_limit_hits / max(requests, 1), 0..1 */
  rate_limit_pressure: number;
  /** No finished snapshot within 2 x interval. */
  stale: boolean;
  updated_at: string | null;
}

export type SocketState = "connected" | "connecting" | "disconnected" | "unknown";

export interface PmsHealth {
  name: string;
  kind: string;
  /** "connected" | "connecting" | "disconnected" | "unknown" (kept open: the core may add states). */
  socket: SocketState | (string & {});
  socket_since: string | null;
  breaker: BreakerState;
  last_error: string | null;
  last_snapshot: SnapshotInfo | null;
  pending_charges: number;
  failed_charges: number;
}

export interface SensorsHealth {
  total: number;
  online: number;
  offline: number;
  auth_failed: number;
  unknown: number;
}

export interface SyncHealth {
  pending_changes: number;
  total_changes: number;
  last_hlc: string | null;
  hub_configured: boolean;
  state: "local_only" | (string & {});
}

export interface Health {
  connectors: ConnectorHealth[];
  pms: PmsHealth | null;
  sensors: SensorsHealth;
  sync: SyncHealth;
}

export interface TodayView {
  venue: VenueInfo;
  date: string;
  generated_at: string;
  occupancy: OccupancyNow;
  curve: { bucket_minutes: number; today: CurvePoint[]; last_week: CurvePoint[] };
  sales: TodaySalesView;
  stays: StaysSummary;
  alerts: AlertView[];
  health: Health;
}

// ---------------------------------------------------------------------------------------------
// Reservations and guests

export type StayKind = "arrivals" | "departures" | "in_house";

export interface StayRow {
  reservation_id: string;
  number: string | null;
  guest_name: string | null;
  email: string | null;
  phone: string | null;
  room: string | null;
  /** Mews state, e.g. Confirmed, Started, Processed. */
  state: string;
  start_utc: string;
  end_utc: string;
  person_count: number;
  vip: boolean;
  has_note: boolean;
}

export interface SearchHit {
  entity: "customer" | "reservation";
  id: string;
  name: string;
  /** The store sends "" when unknown; null is tolerated too. */
  email: string | null;
  room: string | null;
  number: string | null;
}

export interface GuestDetail {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  reservations: StayRow[];
}

export interface DeskNote {
  text: string;
  written_by: string;
  written_at: string;
}

export type ChargeState = "pending" | "sent" | "failed";

export interface ChargeView {
  id: string;
  item: string;
  amount_minor: number;
  currency: string;
  state: ChargeState;
  attempts: number;
  last_error: string | null;
  created_at: string | null;
}

export interface ReservationDetail {
  stay: StayRow;
  notes_from_pms: string | null;
  desk_note: DeskNote | null;
  charges: ChargeView[];
}

// ---------------------------------------------------------------------------------------------
// Sales

export interface SalesTotals {
  transactions: number;
  gross_minor: number;
  net_minor: number;
  refunded_minor: number;
  tip_minor: number;
  tax_minor: number;
  discount_minor: number;
  average_ticket_minor: number;
}

export interface DaySales {
  date: string;
  transactions: number;
  net_minor: number;
  refunded_minor: number;
  tip_minor: number;
}

export interface LocationSales {
  /** The location's name (configured, else its vendor's), its id when no name is known, or "—" when the sales have no location. */
  location: string;
  /** The vendor's id of the location, if any. */
  location_id: string | null;
  source: string;
  transactions: number;
  net_minor: number;
  refunded_minor: number;
  tip_minor: number;
}

export interface SalesView {
  currency: string;
  from: string;
  to: string;
  totals: SalesTotals;
  by_hour: HourSales[];
  by_day: DaySales[];
  by_location: LocationSales[];
}

export interface ExportResult {
  path: string;
  rows: number;
}

// ---------------------------------------------------------------------------------------------
// Sensors

export type SensorStatus = "online" | "offline" | "auth_failed" | "unknown";

export interface SensorDevice {
  name: string;
  kind: string;
  zone: string;
  address: string | null;
  interval_seconds: number;
  status: SensorStatus;
  occupancy: number | null;
  failures: number;
  last_error: string | null;
  status_since: string | null;
  updated_at: string | null;
}

export interface SensorsView {
  devices: SensorDevice[];
  zones: ZoneOccupancy[];
}

export type TrafficResolution = "minute" | "15m" | "hour" | "day";

export interface TrafficPoint {
  at: string;
  entries: number;
  exits: number;
  occupancy: number | null;
}

// ---------------------------------------------------------------------------------------------
// Connections

export interface ConnectionsView {
  connectors: ConnectorHealth[];
  pms: PmsHealth | null;
  /** Last 50 snapshots across connectors, newest first. */
  recent_runs: SnapshotInfo[];
}

// ---------------------------------------------------------------------------------------------
// Settings

export interface ConnectorConfig {
  name: string;
  kind: string;
  base_url: string;
  interval_minutes: number;
  location_ids: string[];
}

export interface PmsConfig {
  name: string;
  kind: string;
  api_url: string;
  ws_url: string;
}

export interface SensorConfig {
  name: string;
  kind: string;
  zone: string;
  url: string | null;
  interval_seconds: number;
}

export interface SettingsView {
  venue: VenueInfo;
  data_dir: string;
  config_path: string;
  connectors: ConnectorConfig[];
  pms: PmsConfig | null;
  sensors: SensorConfig[];
  secrets: SecretStatus[];
}

export interface VenuePatch {
  name?: string;
  timezone?: string;
  currency?: string;
  capacity?: number;
}
