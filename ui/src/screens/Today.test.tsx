// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { demoToday } from "../dev/fixtures";
import { demoApiAs, plain, renderScreen } from "../test/render";
import type { TodayView } from "../types";
import { Today } from "./Today";

const NOW = new Date("2026-11-29T21:30:00Z");

function todayWith(patch: (v: TodayView) => void): TodayView {
  const view = demoToday(NOW);
  patch(view);
  return view;
}

describe("Today", () => {
  it("shows occupancy now against capacity, with the gauge level", async () => {
    const api = demoApiAs("staff");
    api.today = vi.fn(async () =>
      todayWith((v) => {
        v.occupancy.now = 150;
        v.occupancy.share = 150 / 180;
      }),
    );
    renderScreen(<Today />, { api });
    expect((await screen.findByTestId("occupancy-now")).textContent).toBe("150");
    expect(screen.getByTestId("capacity").textContent).toBe("180");
    expect(screen.getByTestId("occupancy-gauge").getAttribute("data-level")).toBe("warning");
    expect(screen.getByTestId("occupancy-share").textContent).toBe("83%");
    expect(screen.getByText("Near capacity")).toBeTruthy();
  });

  it("shows sales, stays, health chips and the honest sync line", async () => {
    renderScreen(<Today />);
    await screen.findByTestId("occupancy-now");
    expect(plain(screen.getByTestId("sales-today").textContent)).toMatch(/^€[\d,]+\.\d\d$/);
    // Stays, alerts and health follow the numbers in a deferred render.
    expect((await screen.findByTestId("arrivals-today")).textContent).toBe("3");
    expect(screen.getByTestId("departures-today").textContent).toBe("2");
    expect(screen.getByTestId("in-house").textContent).toBe("4");
    expect(screen.getByTestId("connector-toast-bar").textContent).toBe("toast-bar: OPEN");
    expect(screen.getByTestId("connector-square-main").textContent).toBe("square-main: CLOSED");
    expect(within(screen.getByTestId("connector-health")).getAllByText(/: (OPEN|CLOSED)/)).toHaveLength(2);
    expect(screen.getByTestId("sync-status").textContent).toBe("Local only · 42 changes waiting for the hub");
    expect(screen.getByTestId("pms-socket").textContent).toBe("mews: connected");
    // toast-bar is stale in the demo data.
    expect(screen.getByTestId("stale-badge")).toBeTruthy();
  });

  it("says when there is no sensor data", async () => {
    const api = demoApiAs("staff");
    api.today = async () =>
      todayWith((v) => {
        v.occupancy = { ...v.occupancy, now: null, share: null, updated_at: null, zones: [] };
        v.health.connectors = v.health.connectors.map((c) => ({ ...c, stale: false }));
      });
    renderScreen(<Today />, { api });
    expect((await screen.findByTestId("occupancy-now")).textContent).toBe("—");
    expect(screen.getByText(/No sensor data yet/)).toBeTruthy();
    expect(screen.getByTestId("occupancy-gauge").getAttribute("data-level")).toBe("unknown");
    expect(screen.queryByTestId("stale-badge")).toBeNull();
  });

  it("flags stale occupancy", async () => {
    const api = demoApiAs("staff");
    api.today = async () => todayWith((v) => (v.occupancy.stale = true));
    renderScreen(<Today />, { api });
    expect(await screen.findByTestId("occupancy-stale")).toBeTruthy();
  });

  it("acknowledges an alert and reloads", async () => {
    const api = demoApiAs("staff");
    const ack = vi.spyOn(api, "acknowledgeAlert");
    renderScreen(<Today />, { api });
    const list = await screen.findByTestId("alerts-list");
    expect(within(list).getAllByRole("listitem")).toHaveLength(2);
    // Staff cannot resolve; only acknowledge.
    expect(screen.queryByTestId("resolve-al-1")).toBeNull();
    fireEvent.click(screen.getByTestId("ack-al-1"));
    await waitFor(() => expect(ack).toHaveBeenCalledWith("al-1"));
    await waitFor(() => expect(screen.queryByTestId("ack-al-1")).toBeNull());
    expect(screen.getByTestId("alert-state-al-1").textContent).toMatch(/Acknowledged by Sam Front Desk \(staff\)/);
  });

  it("shows a forbidden answer clearly", async () => {
    const api = demoApiAs("manager");
    api.resolveAlert = () => Promise.reject({ code: "forbidden", message: "Morgan Manager (manager) may not resolve this alert." });
    renderScreen(<Today />, { api, role: "manager" });
    fireEvent.click(await screen.findByTestId("resolve-al-1"));
    expect((await screen.findByTestId("error-code")).textContent).toBe("forbidden");
    expect(screen.getByText("Your role does not allow this")).toBeTruthy();
  });

  it("reloads on its topics only, coalescing a burst", async () => {
    const api = demoApiAs("staff");
    let release: () => void = () => {};
    const today = vi.fn(
      () =>
        new Promise<TodayView>((resolve) => {
          release = () => resolve(demoToday(NOW));
        }),
    );
    api.today = today;
    const { bus } = renderScreen(<Today />, { api });
    await waitFor(() => expect(today).toHaveBeenCalledTimes(1));
    act(() => release());
    await screen.findByTestId("occupancy-now");

    act(() => bus.publish(["audit", "customer"]));
    expect(today).toHaveBeenCalledTimes(1);

    act(() => {
      for (let i = 0; i < 10; i += 1) bus.publish(["sensor_reading"]);
    });
    await waitFor(() => expect(today).toHaveBeenCalledTimes(2));
    act(() => release());
    await waitFor(() => expect(today).toHaveBeenCalledTimes(3));
    act(() => release());
    await new Promise((r) => setTimeout(r, 20));
    expect(today).toHaveBeenCalledTimes(3);
  });

  it("re-reads today() at most once a minute without events", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"], shouldAdvanceTime: true });
    try {
      const api = demoApiAs("staff");
      const today = vi.spyOn(api, "today");
      renderScreen(<Today />, { api });
      await screen.findByTestId("occupancy-now");
      expect(today).toHaveBeenCalledTimes(1);
      act(() => {
        vi.advanceTimersByTime(30_000);
      });
      expect(today).toHaveBeenCalledTimes(1);
      act(() => {
        vi.advanceTimersByTime(30_000);
      });
      await waitFor(() => expect(today).toHaveBeenCalledTimes(2));
    } finally {
      vi.useRealTimers();
    }
  });

  it("shows an error with its code and retries", async () => {
    const api = demoApiAs("staff");
    const original = api.today.bind(api);
    let fail = true;
    api.today = () => (fail ? Promise.reject({ code: "store_refused", message: "database is locked" }) : original());
    renderScreen(<Today />, { api });
    expect((await screen.findByTestId("error-code")).textContent).toBe("store_refused");
    fail = false;
    fireEvent.click(screen.getByText("Try again"));
    expect(await screen.findByTestId("occupancy-now")).toBeTruthy();
  });
});
