import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Shell } from "./App";
import type { StatusReport } from "./types";

const baseReport: StatusReport = {
  venue: {
    id: "0190a3c4-0000-7000-8000-000000000001",
    name: "Harbour Hotel & Bar",
    timezone: "Europe/Lisbon",
    currency: "EUR",
    capacity: 180,
  },
  store: {
    path: "/var/lib/venue/venue.sqlite3",
    schema_version: 3,
    latest_schema_version: 3,
    journal_mode: "wal",
    size_bytes: 204800,
    node_id: "node-a1b2",
  },
  counts: {
    transactions: 42,
    customers: 7,
    reservations: 5,
    resources: 12,
    sensor_readings: 288,
    snapshots: 1,
    alerts_open: 0,
    audit_entries: 30,
  },
  change_log: { total: 385, pending_sync: 385, last_hlc: "0001000000000000-0000-node-a1b2" },
  last_snapshot: null,
  today: {
    venue_id: "018f0000-0000-7000-8000-000000000002",
    date: "2026-05-01",
    currency: "EUR",
    transactions: 12,
    gross_minor: 123456,
    tax_minor: 20000,
    tip_minor: 1500,
    discount_minor: 500,
    refunded_minor: 0,
    net_minor: 102956,
  },
};

const render = (state: Parameters<typeof Shell>[0]["state"]) =>
  renderToStaticMarkup(<Shell state={state} locale="en-US" />).replace(/[\u00a0\u202f]/g, " ");

const testId = (html: string, id: string): string | undefined => {
  const match = new RegExp(`data-testid="${id}"[^>]*>([^<]*)<`).exec(html);
  return match?.[1];
};

describe("Shell", () => {
  it("shows the venue and the store when ready", () => {
    const html = render({ kind: "ready", report: baseReport, loadedAt: new Date(0) });
    expect(testId(html, "venue-name")).toBe("Harbour Hotel &amp; Bar");
    expect(testId(html, "schema-version")).toBe("3");
    expect(testId(html, "capacity")).toBe("180");
    expect(html).toContain('data-testid="store-status"');
    expect(html).toContain("€1,029.56");
    expect(html).toContain("up to date");
    expect(html).toContain("No connector runs yet.");
    expect(html).toContain("200.0 KiB");
    expect(html).not.toContain('data-testid="no-venue"');
  });

  it("flags a store behind the latest schema", () => {
    const report = { ...baseReport, store: { ...baseReport.store, schema_version: 2 } };
    const html = render({ kind: "ready", report, loadedAt: new Date(0) });
    expect(html).toContain("migration pending");
  });

  it("says no venue is set up yet, and still shows the store", () => {
    const html = render({
      kind: "ready",
      report: { ...baseReport, venue: null, today: null },
      loadedAt: new Date(0),
    });
    expect(testId(html, "venue-name")).toBe("No venue set up yet");
    expect(html).toContain('data-testid="no-venue"');
    expect(testId(html, "schema-version")).toBe("3");
    expect(html).not.toContain('data-testid="capacity"');
  });

  it("shows the last connector run", () => {
    const report: StatusReport = {
      ...baseReport,
      last_snapshot: {
        id: "0190a3c4-0000-7000-8000-000000000009",
        venue_id: baseReport.venue!.id,
        connector: "pos-demo",
        correlation_id: "c-1",
        started_at: "2026-05-01T06:00:00Z",
        finished_at: "2026-05-01T06:00:03Z",
        status: "partial",
        error: "2 records skipped",
        records_seen: 120,
        records_written: 118,
        high_water_mark: null,
        cursor: null,
      },
    };
    const html = render({ kind: "ready", report, loadedAt: new Date(0) });
    expect(html).toContain("pos-demo");
    expect(html).toContain("118 written of 120 seen");
    expect(html).toContain("2 records skipped");
  });

  it("shows the error code and message", () => {
    const html = render({
      kind: "error",
      error: { code: "store_refused", message: "/data/venue.db is not a Venue Console database" },
    });
    expect(html).toContain('role="alert"');
    expect(testId(html, "error-code")).toBe("store_refused");
    expect(html).toContain("/data/venue.db is not a Venue Console database");
    expect(html).not.toContain('data-testid="store-status"');
  });

  it("shows a loading state", () => {
    const html = render({ kind: "loading" });
    expect(html).toContain('data-testid="status-loading"');
    expect(testId(html, "venue-name")).toBe("Loading…");
  });
});
