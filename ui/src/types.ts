// The JSON shapes the Rust side sends. They mirror venue_core::StatusReport and venue_core::ApiError;
// keep them in step with crates/venue-core.

export interface ApiError {
  /** venue_core::ErrorCode in snake_case (bad_input, not_initialized, store_refused, io, ...),
   * or ui.invoke_failed when the IPC call itself failed. */
  code: string;
  message: string;
}

export interface VenueInfo {
  id: string;
  name: string;
  timezone: string;
  currency: string;
  /** Maximum people allowed inside at once. */
  capacity: number;
}

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

/** One connector run (venue_domain::Snapshot). */
export interface SnapshotInfo {
  id: string;
  venue_id: string;
  connector: string;
  correlation_id: string;
  started_at: string;
  finished_at: string | null;
  status: "running" | "ok" | "partial" | "failed";
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
