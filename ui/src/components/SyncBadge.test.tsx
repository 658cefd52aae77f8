// @vitest-environment happy-dom
import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { demoApiAs, renderScreen } from "../test/render";
import type { SyncStatus } from "../types";
import { SyncBadge, SyncLine } from "./SyncBadge";

const base: SyncStatus = {
  joined: true,
  hub_url: "https://hub.example",
  venue_id: "v-1",
  last_success: null,
  changes_waiting: 0,
  oldest_unsynced_age_seconds: null,
  clock_skew_ms: 0,
  last_error: null,
  last_error_at: null,
};

function withStatus(status: SyncStatus) {
  const api = demoApiAs("staff");
  api.syncStatus = () => Promise.resolve(status);
  return api;
}

describe("SyncBadge", () => {
  it("says nothing while the console works alone", async () => {
    const api = demoApiAs("staff");
    renderScreen(<SyncBadge />, { api });
    await waitFor(() => expect(api.calls).toContain("syncStatus"));
    expect(screen.queryByTestId("sync-badge")).toBeNull();
  });

  it("says how long ago it synced, and what waits", async () => {
    const justNow = new Date(Date.now() - 5_000).toISOString().replace("T", " ");
    renderScreen(<SyncBadge />, { api: withStatus({ ...base, last_success: justNow, changes_waiting: 2 }) });
    expect((await screen.findByTestId("sync-badge")).textContent).toMatch(/^synced \d s ago · 2 changes waiting$/);
  });

  it("says offline since the last success when the last pass failed", async () => {
    const api = withStatus({
      ...base,
      last_success: "2026-12-07 09:42:00.000+00:00",
      last_error: "the hub at https://hub.example cannot be reached",
      last_error_at: "2026-12-07 10:00:00.000+00:00",
      changes_waiting: 1,
    });
    renderScreen(<SyncBadge />, { api });
    const badge = await screen.findByTestId("sync-badge");
    expect(badge.textContent).toMatch(/^Offline since \d\d:\d\d · 1 change waiting$/);
    expect(badge.getAttribute("title")).toMatch(/cannot be reached/);
  });

  it("gives the Today health card the same line, and its fallback until the status is read", async () => {
    const api = withStatus({ ...base, last_success: null, last_error: "refused", last_error_at: "2026-12-07 10:00:00.000+00:00", changes_waiting: 4 });
    renderScreen(<SyncLine fallback="joined · 4 changes pending" />, { api });
    expect(screen.getByTestId("sync-status").textContent).toBe("joined · 4 changes pending");
    await waitFor(() => expect(screen.getByTestId("sync-status").textContent).toBe("Offline · 4 changes waiting"));
  });
});
