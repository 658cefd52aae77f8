// An in-memory Api over the demo fixtures. Tests build on it (overriding methods as they need);
// `npm run dev` in a plain browser uses it so the screens can be seen without the Rust side.
import type { Api, Unlisten } from "../api";
import type { AlertRuleView, ApiError, Navigate, NotificationPrefsView, ChargeView, DeskNoteView, ReservationDetail, SecretStatus, SessionInfo, StaffAccount, SyncStatus, UpdateOffer, Venue } from "../types";
import {
  DEMO_STAFF,
  DEMO_VENUE,
  demoAlertRules,
  demoAlerts,
  demoConnectors,
  demoDevices,
  demoPms,
  demoRuns,
  demoSales,
  demoStatus,
  demoStays,
  demoToday,
  demoTraffic,
} from "./fixtures";

export interface DemoApi extends Api {
  /** Sends a store-changed event to the app. */
  emitStoreChanged(topics: string[]): void;
  /** Sends session-locked, as the shell does when it signs out. */
  emitSessionLocked(): void;
  /** Sends navigate, as the shell does when a desktop notification is clicked. */
  emitNavigate(target: Navigate): void;
  /** Names of the methods called, in order. */
  calls: string[];
}

const fail = (code: ApiError["code"], message: string): ApiError => ({ code, message });

export function createDemoApi(
  options: { now?: () => Date; signedInAs?: string | null; lockAfterSeconds?: number; update?: UpdateOffer | null } = {},
): DemoApi {
  const now = options.now ?? (() => new Date());
  const staff: (StaffAccount & { pin: string })[] = DEMO_STAFF.map((s) => ({ ...s }));
  let venue: Venue = { ...DEMO_VENUE };
  let session: SessionInfo | null = null;
  let wrongPins = 0;
  const notes = new Map<string, DeskNoteView>([["res-4", { text: "Late check-out agreed until 13:00.", written_by: "Sam Front Desk (staff)", written_at: "2026-11-28T09:12:00Z" }]]);
  const charges = new Map<string, ChargeView[]>([
    ["res-4", [
      { id: "ch-1", item: "Minibar", amount_minor: 1250, currency: "EUR", state: "sent", attempts: 1, last_error: null, created_at: "2026-11-28T20:10:00Z" },
      { id: "ch-2", item: "Room service", amount_minor: 3480, currency: "EUR", state: "failed", attempts: 3, last_error: "Mews answered 400: the reservation is already checked out", created_at: "2026-11-28T21:40:00Z" },
    ]],
  ]);
  const secrets: SecretStatus[] = [
    { name: "square-main-access-token", purpose: "Square access token for square-main", set: true, source: "os_keyring", message: null },
    { name: "toast-bar-client-secret", purpose: "Toast client secret for toast-bar", set: false, source: "missing", message: "Not set: the connector cannot run until it is." },
    { name: "mews-access-token", purpose: "Mews access token", set: true, source: "environment", message: "Read from VENUE_SECRET_MEWS_ACCESS_TOKEN" },
  ];
  const storeHandlers = new Set<(topics: string[]) => void>();
  const lockHandlers = new Set<() => void>();
  const navigateHandlers = new Set<(target: Navigate) => void>();
  // Desktop notification preferences by staff id; managers and admins start with the core's defaults.
  const notificationPrefs = new Map<string, NotificationPrefsView>();
  // The demo console starts on its own; joining "hub.demo" works with any well-formed code
  // but 0000-0000-0000, which the demo hub refuses like a used one.
  let hub: SyncStatus = { joined: false, hub_url: null, venue_id: null, last_success: null, changes_waiting: 0, oldest_unsynced_age_seconds: null, clock_skew_ms: null, last_error: null, last_error_at: null };
  let alertStates = demoAlerts(now());
  let alertRules = demoAlertRules();
  let nextId = 10;
  const calls: string[] = [];

  if (options.signedInAs) {
    const who = staff.find((s) => s.name === options.signedInAs);
    if (who) session = sessionFor(who);
  }

  function sessionFor(who: StaffAccount): SessionInfo {
    return { staff_id: who.id, name: who.name, role: who.role, signed_in_at: now().toISOString(), lock_after_seconds: options.lockAfterSeconds ?? 300 };
  }

  async function guard<T>(name: string, run: () => T, minRole: "staff" | "manager" | "admin" = "staff"): Promise<T> {
    calls.push(name);
    await Promise.resolve();
    if (!session) throw fail("not_signed_in", "Sign in to use the console.");
    const rank = { staff: 0, manager: 1, admin: 2 };
    if (rank[session.role] < rank[minRole]) throw fail("forbidden", `${session.name} (${session.role}) may not do this: it needs ${minRole}.`);
    return run();
  }

  const emit = (topics: string[]) => storeHandlers.forEach((h) => h(topics));
  const stays = () => demoStays(now(), venue);

  function detail(id: string): ReservationDetail {
    const stay = stays().find((s) => s.reservation_id === id || s.number === id);
    if (!stay) throw fail("not_found", `No reservation ${id}.`);
    const note = notes.get(stay.reservation_id) ?? null;
    return {
      stay: { ...stay, has_note: stay.has_note || note !== null },
      notes_from_pms: stay.vip ? "VIP: champagne on arrival. Allergic to shellfish." : null,
      desk_note: note,
      charges: charges.get(stay.reservation_id) ?? [],
    };
  }

  const api: DemoApi = {
    calls,
    emitStoreChanged: emit,
    emitSessionLocked: () => {
      session = null;
      lockHandlers.forEach((h) => h());
    },
    emitNavigate: (target) => navigateHandlers.forEach((h) => h(target)),
    async status() {
      calls.push("status");
      return { ...demoStatus(venue) };
    },
    async venue() {
      calls.push("venue");
      return { ...venue };
    },
    appInfo: () => guard("appInfo", () => ({ version: "0.1.0-demo", data_dir: "/var/lib/venue" })),
    // No update server in the browser: up to date unless a test offers one; installing one
    // only records the call.
    checkUpdate: () => guard("checkUpdate", () => (options.update ? { ...options.update } : null)),
    installUpdate: (version) =>
      guard("installUpdate", () => {
        if (options.update?.version !== version) throw fail("not_found", `Version ${version} is not offered.`);
        return null;
      }, "manager"),
    async signIn(pin) {
      calls.push("signIn");
      await Promise.resolve();
      if (wrongPins >= 5) throw fail("locked_out", "Too many wrong PINs. Try again in 60 seconds.");
      const who = staff.find((s) => s.active && s.pin === pin);
      if (!who) {
        wrongPins += 1;
        throw fail("bad_pin", `Wrong PIN. ${5 - wrongPins} attempts left before a 60-second pause.`);
      }
      wrongPins = 0;
      who.last_sign_in_at = now().toISOString();
      session = sessionFor(who);
      return session;
    },
    async signOut() {
      calls.push("signOut");
      session = null;
      return null;
    },
    async session() {
      calls.push("session");
      return session;
    },
    staffList: () => guard("staffList", () => staff.map(({ pin: _pin, ...s }) => s), "manager"),
    staffCreate: ({ name, role, pin }) =>
      guard("staffCreate", () => {
        if (!/^\d{4,8}$/.test(pin)) throw fail("bad_input", "The PIN must be 4 to 8 digits.");
        const account = { id: `s-${nextId++}`, name, role, active: true, created_at: now().toISOString(), last_sign_in_at: null, pin };
        staff.push(account);
        emit(["audit"]);
        const { pin: _p, ...rest } = account;
        return rest;
      }, "admin"),
    staffSetPin: (staffId, pin) =>
      guard("staffSetPin", () => {
        if (session!.role !== "admin" && session!.staff_id !== staffId) throw fail("forbidden", "Only an admin can change another person's PIN.");
        if (!/^\d{4,8}$/.test(pin)) throw fail("bad_input", "The PIN must be 4 to 8 digits.");
        const account = staff.find((s) => s.id === staffId);
        if (!account) throw fail("not_found", "No such staff account.");
        account.pin = pin;
        const { pin: _p, ...rest } = account;
        return rest;
      }),
    staffSetActive: (staffId, active) =>
      guard("staffSetActive", () => {
        const account = staff.find((s) => s.id === staffId);
        if (!account) throw fail("not_found", "No such staff account.");
        if (!active && account.role === "admin" && staff.filter((s) => s.active && s.role === "admin").length === 1) {
          throw fail("bad_input", "The last active admin cannot be deactivated.");
        }
        account.active = active;
        emit(["audit"]);
        const { pin: _p, ...rest } = account;
        return rest;
      }, "admin"),
    notificationPrefs: () =>
      guard("notificationPrefs", () => ({
        ...(notificationPrefs.get(session!.staff_id) ?? { enabled: true, min_severity: "warning" as const, quiet_hours_start: null, quiet_hours_end: null }),
      }), "manager"),
    setNotificationPrefs: (prefs) =>
      guard("setNotificationPrefs", () => {
        if (!["info", "warning", "critical"].includes(prefs.min_severity)) throw fail("bad_input", `minimum severity "${prefs.min_severity}" is not one of info, warning, critical`);
        const start = prefs.quiet_hours_start?.trim() || null;
        const end = prefs.quiet_hours_end?.trim() || null;
        if ((start === null) !== (end === null)) throw fail("bad_input", "quiet hours need both a start and an end (or neither)");
        for (const [which, value] of [["start", start], ["end", end]] as const) {
          if (value !== null && !/^([01]\d|2[0-3]):[0-5]\d$/.test(value)) throw fail("bad_input", `quiet hours ${which} "${value}" is not a time of day: use HH:MM, from 00:00 to 23:59`);
        }
        if (start !== null && start === end) throw fail("bad_input", `quiet hours from ${start} to ${end} are empty: leave both out for no quiet hours`);
        const saved = { enabled: prefs.enabled, min_severity: prefs.min_severity, quiet_hours_start: start, quiet_hours_end: end };
        notificationPrefs.set(session!.staff_id, saved);
        emit(["notification_prefs", "audit"]);
        return { ...saved };
      }, "manager"),
    setSecret: (name, value) =>
      guard("setSecret", () => {
        if (value === "") throw fail("bad_input", "The value is empty.");
        const s = secrets.find((x) => x.name === name);
        if (s) Object.assign(s, { set: true, source: "os_keyring", message: null });
        return { name, stored_in: "os_keyring" as const };
      }, "admin"),
    secretsStatus: () => guard("secretsStatus", () => secrets.map((s) => ({ ...s })), "manager"),

    today: () =>
      guard("today", () => {
        const view = demoToday(now(), venue);
        view.alerts = alertStates.filter((a) => a.state !== "resolved");
        return view;
      }),
    stays: (kind) =>
      guard("stays", () => {
        const all = stays();
        if (kind === "arrivals") return all.filter((s) => s.state === "Confirmed");
        if (kind === "departures") return all.filter((s) => s.end_utc.slice(0, 10) === all[3]!.end_utc.slice(0, 10));
        return all.filter((s) => s.state === "Started");
      }),
    search: (query, limit = 20) =>
      guard("search", () => {
        const q = query.trim().toLowerCase();
        if (!q) return [];
        const rows = stays().filter((s) => [s.guest_name, s.room, s.number, s.email].some((v) => v?.toLowerCase().includes(q)));
        return rows
          .flatMap((s) => [
            { entity: "customer" as const, id: `cust-${s.reservation_id}`, name: s.guest_name ?? "", email: s.email ?? "", room: "", number: "" },
            { entity: "reservation" as const, id: s.reservation_id, name: s.guest_name ?? "", email: s.email ?? "", room: s.room ?? "", number: s.number ?? "" },
          ])
          .slice(0, limit);
      }),
    guest: (customerId) =>
      guard("guest", () => {
        const stay = stays().find((s) => `cust-${s.reservation_id}` === customerId);
        if (!stay) throw fail("not_found", `No guest ${customerId}.`);
        return { id: customerId, name: stay.guest_name ?? "", email: stay.email, phone: stay.phone, reservations: [stay] };
      }),
    reservation: (id) => guard("reservation", () => detail(id)),
    postCharge: (reservationId, item, amountMinor) =>
      guard("postCharge", () => {
        detail(reservationId);
        const charge: ChargeView = {
          id: `ch-${nextId++}`, item, amount_minor: amountMinor, currency: venue.currency, state: "pending", attempts: 1,
          last_error: "Mews did not answer within 10 s; will retry", created_at: now().toISOString(),
        };
        charges.set(reservationId, [charge, ...(charges.get(reservationId) ?? [])]);
        setTimeout(() => {
          charge.state = "sent";
          charge.attempts = 2;
          charge.last_error = null;
          emit(["pms_charge"]);
        }, 1500);
        return { ...charge };
      }),
    setDeskNote: (reservationId, text) =>
      guard("setDeskNote", () => {
        const note = { text, written_by: `${session!.name} (${session!.role})`, written_at: now().toISOString() };
        notes.set(reservationId, note);
        return note;
      }),
    sales: (from, to) => guard("sales", () => demoSales(from, to, venue.currency)),
    exportSalesCsv: (from, to) => guard("exportSalesCsv", () => ({ path: `/var/lib/venue/exports/sales-${from}-${to}.csv`, rows: 1234 })),
    sensors: () =>
      guard("sensors", () => {
        const devices = demoDevices(now());
        return { devices, zones: devices.map((d) => ({ zone: d.zone, occupancy: d.occupancy, updated_at: d.updated_at })) };
      }),
    traffic: (resolution, from, to) => guard("traffic", () => demoTraffic(resolution, from, to)),
    connections: () => guard("connections", () => ({ connectors: demoConnectors(now()), pms: demoPms(now()), recent_runs: demoRuns(now()) })),
    fetchNow: (connector) =>
      guard("fetchNow", () => {
        if (!demoConnectors(now()).some((c) => c.name === connector)) throw fail("not_found", `No connector ${connector}.`);
        return null;
      }),
    alerts: (includeResolved = false) => guard("alerts", () => alertStates.filter((a) => includeResolved || a.state !== "resolved")),
    acknowledgeAlert: (id) =>
      guard("acknowledgeAlert", () => {
        alertStates = alertStates.map((a) =>
          a.id === id ? { ...a, state: "acknowledged" as const, acknowledged_at: now().toISOString(), acknowledged_by: `${session!.name} (${session!.role})` } : a,
        );
        emit(["alert"]);
        return alertStates.find((a) => a.id === id)!;
      }),
    resolveAlert: (id) =>
      guard("resolveAlert", () => {
        alertStates = alertStates.map((a) => (a.id === id ? { ...a, state: "resolved" as const, resolved_at: now().toISOString() } : a));
        emit(["alert"]);
        return alertStates.find((a) => a.id === id)!;
      }, "manager"),
    alertRules: () => guard("alertRules", () => alertRules.map((r) => ({ ...r })), "manager"),
    saveAlertRule: (rule) =>
      guard("saveAlertRule", () => {
        const id = rule.id.trim();
        if (!/^[a-z0-9][a-z0-9._-]*$/.test(id)) throw fail("bad_input", `alert_rule "${id}": id: use lower-case letters, digits, '.', '-' and '_'`);
        const existing = alertRules.find((r) => r.id === id);
        if (existing && existing.source !== "custom") throw fail("bad_input", `alert rule "${id}" is a built-in or venue.toml rule: change it in venue.toml`);
        const { metric, condition, threshold } = rule;
        if (metric == null) throw fail("bad_input", `alert_rule "${id}": metric: is required`);
        if (condition == null) throw fail("bad_input", `alert_rule "${id}": condition: is required`);
        if (threshold == null) throw fail("bad_input", `alert_rule "${id}": threshold: is required`);
        if (!Number.isFinite(threshold)) throw fail("bad_input", `alert_rule "${id}": threshold: must be a finite number`);
        const saved: AlertRuleView = {
          id,
          metric,
          condition,
          threshold,
          window_seconds: rule.window_seconds ?? 0,
          severity: rule.severity ?? "warning",
          cool_down_seconds: rule.cool_down_seconds ?? 900,
          clear_after_seconds: rule.clear_after_seconds ?? 60,
          active_hours: rule.active_hours?.trim() ? rule.active_hours.trim() : null,
          enabled: rule.enabled ?? true,
          title: rule.title?.trim() ? rule.title.trim() : null,
          source: "custom",
        };
        alertRules = existing ? alertRules.map((r) => (r.id === id ? saved : r)) : [...alertRules, saved];
        emit(["alert_rules"]);
        return saved;
      }, "manager"),
    deleteAlertRule: (id) =>
      guard("deleteAlertRule", () => {
        if (!alertRules.some((r) => r.id === id && r.source === "custom")) throw fail("not_found", `no custom alert rule "${id}"`);
        alertRules = alertRules.filter((r) => r.id !== id);
        emit(["alert_rules"]);
        return null;
      }, "manager"),
    settings: () =>
      guard("settings", () => ({
        venue,
        data_dir: "/var/lib/venue",
        config_path: "/var/lib/venue/venue.toml",
        connectors: [
          { name: "square-main", kind: "square", base_url: "https://connect.squareup.com", interval_minutes: 5, location_ids: ["L-BAR-1"] },
          { name: "toast-bar", kind: "toast", base_url: "https://ws-api.toasttab.com", interval_minutes: 10, location_ids: [] },
        ],
        pms: { name: "mews", kind: "mews", api_url: "https://api.mews.com", ws_url: "wss://ws.mews.com" },
        sensors: demoDevices(now()).map((d) => ({ name: d.name, kind: d.kind, zone: d.zone, url: d.address ? `https://${d.address}` : null, interval_seconds: d.interval_seconds })),
        secrets: secrets.map((s) => ({ ...s })),
      }), "manager"),
    updateVenue: (patch) =>
      guard("updateVenue", () => {
        // The command's argument is camelCase (Tauri's naming); the venue's field is snake_case.
        const { shareGuestContacts, ...fields } = patch;
        venue = { ...venue, ...fields, ...(shareGuestContacts === undefined ? {} : { share_guest_contacts: shareGuestContacts }) };
        emit(["venue"]);
        return venue;
      }, "admin"),
    syncStatus: () => guard("syncStatus", () => ({ ...hub })),
    syncNow: () =>
      guard("syncNow", () => {
        if (!hub.joined) throw fail("hub_failed", "This console has not joined a hub: Settings > Hub.");
        hub = { ...hub, last_success: now().toISOString(), changes_waiting: 0, oldest_unsynced_age_seconds: null };
        return { pushed: 0, pulled: 0, applied: 0, duplicates: 0, conflicts: 0, rejected: 0, cursor: "0", clock_skew_ms: 0 };
      }),
    hubJoin: (url, code) =>
      guard("hubJoin", () => {
        if (hub.joined) throw fail("bad_input", `Already joined to ${hub.hub_url}: leave it first.`);
        if (!/^https?:\/\/\S+$/.test(url)) throw fail("bad_input", "The hub's address starts with https:// (or http:// on this machine).");
        if (!/^[0-9A-Z]{4}-?[0-9A-Z]{4}-?[0-9A-Z]{4}$/i.test(code.trim())) throw fail("bad_input", "An enrolment code has 12 letters and digits, like ABCD-EFGH-JKMN.");
        if (code.replace(/-/g, "") === "000000000000") throw fail("hub_refused", "The hub refused the code (unknown, expired or already used): ask for a new one.");
        hub = { ...hub, joined: true, hub_url: url, venue_id: "hub-venue-1", last_success: now().toISOString(), clock_skew_ms: 0 };
        return { hub_url: url, venue_id: "hub-venue-1", venue_name: venue.name, token_stored_in: "os_keyring", token_env: "VENUE_SECRET_HUB_TOKEN", token_to_set: null, clock_skew_ms: 0 };
      }, "admin"),
    hubLeave: () =>
      guard("hubLeave", () => {
        if (!hub.joined) throw fail("hub_failed", "This console has not joined a hub.");
        const hubUrl = hub.hub_url ?? "";
        hub = { ...hub, joined: false, hub_url: null, venue_id: null };
        return { hub_url: hubUrl, token_removed: true, message: null };
      }, "admin"),
    async onStoreChanged(handler): Promise<Unlisten> {
      storeHandlers.add(handler);
      return () => storeHandlers.delete(handler);
    },
    async onSessionLocked(handler): Promise<Unlisten> {
      lockHandlers.add(handler);
      return () => lockHandlers.delete(handler);
    },
    async onNavigate(handler): Promise<Unlisten> {
      navigateHandlers.add(handler);
      return () => navigateHandlers.delete(handler);
    },
  };
  return api;
}
