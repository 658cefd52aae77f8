// @vitest-environment happy-dom
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { agoText, syncState } from "../../lib/syncText";
import { demoApiAs, renderScreen } from "../../test/render";
import type { SyncStatus } from "../../types";
import { Settings } from "../Settings";

const joined: SyncStatus = {
  joined: true,
  hub_url: "https://hub.example",
  venue_id: "v-1",
  last_success: "2026-12-07 10:00:00.000+00:00",
  changes_waiting: 3,
  oldest_unsynced_age_seconds: 600,
  clock_skew_ms: 120,
  last_error: null,
  last_error_at: null,
};

describe("Settings > Hub", () => {
  it("is only for admins", async () => {
    renderScreen(<Settings />, { role: "manager" });
    expect(await screen.findByTestId("settings-tab-venue")).toBeTruthy();
    expect(screen.queryByTestId("settings-tab-hub")).toBeNull();
  });

  it("joins with a code, shows the status, syncs and leaves", async () => {
    const api = demoApiAs("admin");
    const join = vi.spyOn(api, "hubJoin");
    renderScreen(<Settings />, { api, role: "admin" });
    fireEvent.click(await screen.findByTestId("settings-tab-hub"));
    fireEvent.change(await screen.findByTestId("hub-url"), { target: { value: " https://hub.demo " } });
    fireEvent.change(screen.getByTestId("hub-code"), { target: { value: "0000-0000-0000" } });
    fireEvent.click(screen.getByTestId("hub-join"));
    expect((await screen.findByTestId("error-code")).textContent).toBe("hub_refused");
    fireEvent.change(screen.getByTestId("hub-code"), { target: { value: "7KQ2-M9XD-4HTR" } });
    fireEvent.click(screen.getByTestId("hub-join"));
    await waitFor(() => expect(join).toHaveBeenLastCalledWith("https://hub.demo", "7KQ2-M9XD-4HTR"));
    expect((await screen.findByTestId("hub-joined")).textContent).toMatch(/Joined as Harbour Hotel & Bar/);
    expect((await screen.findByTestId("hub-state")).textContent).toMatch(/synced \d+ s ago/);
    fireEvent.click(screen.getByTestId("hub-sync-now"));
    expect((await screen.findByTestId("hub-notice")).textContent).toMatch(/Synced: 0 sent, 0 received/);
    fireEvent.click(screen.getByTestId("hub-leave"));
    fireEvent.click(await screen.findByTestId("hub-leave-confirm"));
    expect(await screen.findByTestId("hub-join")).toBeTruthy();
    expect(screen.getByTestId("hub-notice").textContent).toMatch(/Left https:\/\/hub.demo/);
  });
});

describe("sync state", () => {
  const now = Date.parse("2026-12-07T10:00:30Z");
  it("is synced, with how long ago, while the last pass succeeded", () => {
    expect(syncState(joined, now)).toEqual({ kind: "synced", secondsAgo: 30 });
    expect(agoText(30)).toBe("synced 30 s ago");
    expect(agoText(600)).toBe("synced 10 min ago");
    expect(agoText(null)).toBe("not synced yet");
  });
  it("is offline since the last success once a pass failed after it", () => {
    const failing = { ...joined, last_error: "the hub cannot be reached", last_error_at: "2026-12-07 10:00:20.000+00:00" };
    expect(syncState(failing, now)).toEqual({ kind: "offline", since: "2026-12-07T10:00:00.000+00:00" });
    const recovered = { ...failing, last_success: "2026-12-07 10:00:25.000+00:00" };
    expect(syncState(recovered, now).kind).toBe("synced");
    expect(syncState({ ...failing, last_success: null }, now)).toEqual({ kind: "offline", since: null });
    expect(syncState({ ...joined, joined: false }, now)).toEqual({ kind: "alone" });
  });
});
