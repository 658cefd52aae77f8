// Demo data shaped exactly like the contract: used by the tests' fake API and by `npm run dev`
// outside Tauri. Deterministic for a given `now`.
import { addDays, daysInRange, zonedDate, zonedMidnight } from "../lib/time";
import type {
  AlertRuleView,
  AlertView,
  ConnectorHealth,
  PmsHealth,
  SalesView,
  DeviceView,
  Snapshot,
  StaffAccount,
  StatusReport,
  StayRow,
  TodayView,
  TrafficPoint,
  TrafficResolution,
  Venue,
} from "../types";

export const DEMO_VENUE: Venue = {
  id: "0190a3c4-0000-7000-8000-000000000001",
  name: "Harbour Hotel & Bar",
  timezone: "Europe/Lisbon",
  currency: "EUR",
  capacity: 180,
  share_guest_contacts: false,
};

export const DEMO_STAFF: (StaffAccount & { pin: string })[] = [
  { id: "s-1", name: "Sam Front Desk", role: "staff", active: true, created_at: "2026-01-05T09:00:00Z", last_sign_in_at: "2026-11-28T07:02:00Z", pin: "1111" },
  { id: "s-2", name: "Morgan Manager", role: "manager", active: true, created_at: "2026-01-05T09:00:00Z", last_sign_in_at: "2026-11-27T18:40:00Z", pin: "2222" },
  { id: "s-3", name: "Alex Admin", role: "admin", active: true, created_at: "2026-01-05T09:00:00Z", last_sign_in_at: null, pin: "3333" },
];

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const MIN = 60_000;

function snapshot(connector: string, finishedMs: number, status: Snapshot["status"], error: string | null, n: number): Snapshot {
  return {
    id: `snap-${connector}-${n}`,
    venue_id: DEMO_VENUE.id,
    connector,
    correlation_id: `c-${connector}-${(finishedMs / 1000).toString(36)}`,
    started_at: iso(finishedMs - 4_000),
    finished_at: status === "running" ? null : iso(finishedMs),
    status,
    error,
    records_seen: status === "failed" ? 0 : 40 + n,
    records_written: status === "failed" ? 0 : 38 + n,
    high_water_mark: null,
    cursor: null,
  };
}

export function demoConnectors(now: Date): ConnectorHealth[] {
  const t = now.getTime();
  return [
    {
      name: "square-main", kind: "square", interval_minutes: 5, breaker: "closed", consecutive_failures: 0, opened_at: null,
      last_error: null, last_snapshot: snapshot("square-main", t - 3 * MIN, "ok", null, 1), requests: 184, failures: 2, retries: 3,
      rate_limit_hits: 9, latency_p95_ms: 412, rate_limit_pressure: 9 / 184, stale: false, updated_at: iso(t - 3 * MIN),
    },
    {
      name: "toast-bar", kind: "toast", interval_minutes: 10, breaker: "open", consecutive_failures: 5, opened_at: iso(t - 34 * MIN),
      last_error: "HTTP 503 from https://ws-api.toasttab.com/orders/v2/ordersBulk (service unavailable)",
      last_snapshot: snapshot("toast-bar", t - 36 * MIN, "failed", "HTTP 503 service unavailable", 2), requests: 61, failures: 12,
      retries: 20, rate_limit_hits: 22, latency_p95_ms: 2380, rate_limit_pressure: 22 / 61, stale: true, updated_at: iso(t - 34 * MIN),
    },
  ];
}

export function demoPms(now: Date): PmsHealth {
  return {
    name: "mews", kind: "mews", socket: "connected", socket_since: iso(now.getTime() - 95 * MIN), breaker: "closed", last_error: null,
    last_snapshot: snapshot("mews", now.getTime() - 8 * MIN, "ok", null, 3), pending_charges: 1, failed_charges: 1,
  };
}

/** The core's built-in rules (crates/venue-core/src/alerts/builtin.rs) and one custom rule. */
export function demoAlertRules(): AlertRuleView[] {
  const rule = (id: string, metric: AlertRuleView["metric"], condition: AlertRuleView["condition"], threshold: number, severity: AlertRuleView["severity"], cool: number, clear = 60): AlertRuleView => ({
    id, metric, condition, threshold, window_seconds: 0, severity, cool_down_seconds: cool, clear_after_seconds: clear, active_hours: null, enabled: true, title: null, source: "builtin",
  });
  return [
    rule("occupancy.warning", "occupancy_share", ">=", 0.8, "warning", 900),
    rule("occupancy.critical", "occupancy_share", ">=", 0.95, "critical", 900),
    rule("connector.breaker_open", "breaker_open", ">=", 1, "critical", 600),
    rule("connector.snapshot_failed", "snapshot_failed", ">=", 1, "warning", 600),
    rule("connector.rate_limited", "rate_limit_ratio", ">=", 0.2, "warning", 1800),
    rule("pms.socket_down", "pms_socket_down_seconds", ">", 120, "critical", 600),
    rule("sensor.offline", "sensor_offline", ">=", 1, "warning", 600),
    rule("sensor.auth_failed", "sensor_auth_failed", ">=", 1, "critical", 600),
    rule("pms.charge_failed", "charge_failed", ">=", 1, "warning", 3600, 0),
    rule("pms.vip_arrival", "vip_arrival", ">=", 1, "info", 86_400, 0),
    rule("console.task_failing", "task_failing_seconds", ">", 60, "critical", 0, 0),
    { ...rule("terrace-busy", "occupancy", ">", 60, "warning", 900), window_seconds: 300, active_hours: "18:00-02:00", title: "Terrace is filling up", source: "custom" },
  ];
}

export function demoAlerts(now: Date): AlertView[] {
  const t = now.getTime();
  return [
    {
      id: "al-1", rule: "connector_breaker_open", severity: "critical", title: "toast-bar is not answering",
      body: "The circuit breaker opened after 5 failed runs. Sales from the bar are not up to date.", state: "open",
      opened_at: iso(t - 34 * MIN), acknowledged_at: null, acknowledged_by: null, resolved_at: null,
    },
    {
      id: "al-2", rule: "occupancy_high", severity: "warning", title: "Occupancy near capacity",
      body: "The venue reached 82 % of capacity.", state: "acknowledged", opened_at: iso(t - 80 * MIN),
      acknowledged_at: iso(t - 75 * MIN), acknowledged_by: "Morgan Manager (manager)", resolved_at: null,
    },
  ];
}

/** Visitors inside over the day: quiet morning, lunch, evening peak. */
function occupancyAt(minuteOfDay: number, scale = 1): number {
  const h = minuteOfDay / 60;
  const bump = (c: number, w: number, a: number) => a * Math.exp(-((h - c) ** 2) / (2 * w * w));
  return Math.round(scale * (8 + bump(13, 1.5, 70) + bump(20.5, 2, 150)));
}

export function demoToday(now: Date, venue: Venue = DEMO_VENUE): TodayView {
  const date = zonedDate(now, venue.timezone);
  const midnight = zonedMidnight(date, venue.timezone).getTime();
  const today = [];
  const lastWeek = [];
  for (let i = 0; i < 96; i += 1) {
    const at = midnight + i * 15 * MIN;
    if (at <= now.getTime()) today.push({ at: iso(at), occupancy: occupancyAt(i * 15), entries: Math.round(occupancyAt(i * 15) / 3) });
    lastWeek.push({ at: iso(at), occupancy: occupancyAt(i * 15, 0.9), entries: Math.round(occupancyAt(i * 15, 0.9) / 3) });
  }
  const nowOcc = occupancyAt((now.getTime() - midnight) / MIN);
  const byHour = Array.from({ length: 24 }, (_, hour) => {
    const current = midnight + hour * 60 * MIN <= now.getTime();
    const tx = current ? Math.round(occupancyAt(hour * 60) / 6) : 0;
    return { hour, transactions: tx, net_minor: tx * 2350 };
  });
  const transactions = byHour.reduce((s, h) => s + h.transactions, 0);
  const net = byHour.reduce((s, h) => s + h.net_minor, 0);
  return {
    venue,
    date,
    generated_at: iso(now.getTime()),
    occupancy: {
      now: nowOcc,
      capacity: venue.capacity,
      share: nowOcc / venue.capacity,
      updated_at: iso(now.getTime() - 40_000),
      stale: false,
      zones: [
        { zone: "Bar", occupancy: Math.round(nowOcc * 0.6), updated_at: iso(now.getTime() - 40_000) },
        { zone: "Lobby", occupancy: nowOcc - Math.round(nowOcc * 0.6), updated_at: iso(now.getTime() - 70_000) },
      ],
    },
    curve: { bucket_minutes: 15, today, last_week: lastWeek },
    sales: {
      currency: venue.currency, transactions, gross_minor: Math.round(net * 1.23), net_minor: net, refunded_minor: 1850,
      tip_minor: Math.round(net * 0.06), average_ticket_minor: transactions ? Math.round(net / transactions) : 0, by_hour: byHour,
    },
    stays: { arrivals: 3, departures: 2, in_house: 4, rooms_dirty: 2 },
    alerts: demoAlerts(now),
    health: {
      connectors: demoConnectors(now),
      pms: demoPms(now),
      sensors: { total: 3, online: 2, offline: 1, auth_failed: 0, unknown: 0 },
      sync: { pending_changes: 42, total_changes: 1280, last_hlc: "0001000000000000-0000-node-a1b2", hub_configured: false, state: "local_only" },
    },
  };
}

export function demoStays(now: Date, venue: Venue = DEMO_VENUE): StayRow[] {
  const date = zonedDate(now, venue.timezone);
  const at = (d: string, hour: number) => iso(zonedMidnight(d, venue.timezone).getTime() + hour * 60 * MIN);
  const row = (n: number, guest: string, room: string | null, state: string, from: string, to: string, extra: Partial<StayRow> = {}): StayRow => ({
    reservation_id: `res-${n}`, number: `H-${1040 + n}`, guest_name: guest, email: `${guest.split(" ")[0]!.toLowerCase()}@example.com`,
    phone: "+351 21 000 0000", room, state, start_utc: at(from, 15), end_utc: at(to, 11), person_count: 2, vip: false, has_note: false, ...extra,
  });
  return [
    row(1, "Lucía García", "204", "Confirmed", date, addDays(date, 3), { vip: true }),
    row(2, "Tom Becker", "112", "Confirmed", date, addDays(date, 1)),
    row(3, "Aiko Tanaka", null, "Confirmed", date, addDays(date, 2), { person_count: 1 }),
    row(4, "Oliver Smith", "301", "Started", addDays(date, -2), date, { has_note: true }),
    row(5, "Inês Costa", "118", "Started", addDays(date, -3), date),
    row(6, "Priya Shah", "207", "Started", addDays(date, -1), addDays(date, 2), { vip: true, has_note: true }),
    row(7, "Jonas Weber", "305", "Started", addDays(date, -4), addDays(date, 1)),
  ];
}

export function demoSales(from: string, to: string, currency = DEMO_VENUE.currency): SalesView {
  const days = Math.max(1, daysInRange(from, to));
  const byDay = Array.from({ length: days }, (_, i) => {
    const date = addDays(from, i);
    const tx = 80 + ((i * 37) % 45);
    return { date, transactions: tx, net_minor: tx * 2350, refunded_minor: (i % 3) * 1200, tip_minor: tx * 140 };
  });
  const sum = (k: "transactions" | "net_minor" | "refunded_minor" | "tip_minor") => byDay.reduce((s, d) => s + d[k], 0);
  const transactions = sum("transactions");
  const net = sum("net_minor");
  const shape = Array.from({ length: 24 }, (_, h) => Math.max(0, occupancyAt(h * 60) - 10));
  const shapeTotal = shape.reduce((a, b) => a + b, 0);
  return {
    currency, from, to,
    totals: {
      transactions, gross_minor: Math.round(net * 1.23), net_minor: net, refunded_minor: sum("refunded_minor"), tip_minor: sum("tip_minor"),
      tax_minor: Math.round(net * 0.23), discount_minor: Math.round(net * 0.02), average_ticket_minor: transactions ? Math.round(net / transactions) : 0,
    },
    by_hour: shape.map((v, hour) => ({ hour, transactions: Math.round((transactions * v) / shapeTotal), net_minor: Math.round((net * v) / shapeTotal) })),
    by_day: byDay,
    by_location: [
      { location: "Rooftop Bar", location_id: "L-BAR-1", source: "square-main", transactions: Math.round(transactions * 0.7), net_minor: Math.round(net * 0.7), refunded_minor: 0, tip_minor: Math.round(sum("tip_minor") * 0.8) },
      { location: "—", location_id: null, source: "toast-bar", transactions: transactions - Math.round(transactions * 0.7), net_minor: net - Math.round(net * 0.7), refunded_minor: sum("refunded_minor"), tip_minor: sum("tip_minor") - Math.round(sum("tip_minor") * 0.8) },
    ],
  };
}

export function demoDevices(now: Date): DeviceView[] {
  const t = now.getTime();
  return [
    { name: "door-main", kind: "axis_3d", zone: "Lobby", address: "10.0.0.21", interval_seconds: 60, status: "online", occupancy: 41, failures: 0, last_error: null, status_since: iso(t - 300 * MIN), updated_at: iso(t - 40_000) },
    { name: "door-bar", kind: "xovis", zone: "Bar", address: "10.0.0.22", interval_seconds: 60, status: "online", occupancy: 63, failures: 0, last_error: null, status_since: iso(t - 300 * MIN), updated_at: iso(t - 55_000) },
    { name: "door-terrace", kind: "axis_people_counter", zone: "Terrace", address: "10.0.0.23", interval_seconds: 900, status: "offline", occupancy: null, failures: 4, last_error: "connect timeout after 5 s", status_since: iso(t - 50 * MIN), updated_at: iso(t - 52 * MIN) },
  ];
}

export function demoTraffic(resolution: TrafficResolution, from: string, to: string): TrafficPoint[] {
  const step = { minute: MIN, "15m": 15 * MIN, hour: 60 * MIN, day: 1440 * MIN }[resolution];
  const start = Math.ceil(new Date(from).getTime() / step) * step;
  const end = new Date(to).getTime();
  const points: TrafficPoint[] = [];
  for (let at = start; at < end && points.length < 3000; at += step) {
    const minute = Math.floor((at % 86_400_000) / MIN);
    const scale = step / (15 * MIN);
    const entries = resolution === "day" ? 1400 : Math.round((occupancyAt(minute) / 4) * scale);
    points.push({ at: iso(at), entries, exits: Math.round(entries * 0.92), occupancy: resolution === "day" ? null : occupancyAt(minute) });
  }
  return points;
}

export function demoRuns(now: Date): Snapshot[] {
  const t = now.getTime();
  const runs: Snapshot[] = [];
  for (let i = 0; i < 12; i += 1) {
    runs.push(snapshot("square-main", t - (3 + i * 5) * MIN, i === 6 ? "partial" : "ok", i === 6 ? "2 records skipped: unknown location" : null, i));
    if (i % 2 === 0) runs.push(snapshot("toast-bar", t - (6 + i * 10) * MIN, i < 6 ? "failed" : "ok", i < 6 ? "HTTP 503 service unavailable" : null, i));
  }
  return runs.sort((a, b) => b.started_at.localeCompare(a.started_at));
}

export function demoStatus(venue: Venue | null = DEMO_VENUE): StatusReport {
  return {
    venue,
    store: { path: "/var/lib/venue/venue.sqlite3", schema_version: 3, latest_schema_version: 3, journal_mode: "wal", size_bytes: 204800, node_id: "node-a1b2", damage: null },
    counts: { transactions: 42, customers: 7, reservations: 5, resources: 12, sensor_readings: 288, snapshots: 1, alerts_open: 1, audit_entries: 30 },
    change_log: { total: 1280, pending_sync: 42, last_hlc: "0001000000000000-0000-node-a1b2", parked: 0, conflicts: 0 },
    last_snapshot: null,
    connectors: [],
    today: null,
    future_stamps: { tolerance_seconds: 300, snapshots: 0, newest_snapshot_time: null, change_log_rows: 0, newest_change_hlc: null },
    clock: { refused_jump: null, last_repair: null },
  };
}
