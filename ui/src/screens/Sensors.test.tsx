// @vitest-environment happy-dom
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { demoApiAs, renderScreen } from "../test/render";
import { Sensors, trafficWindow } from "./Sensors";

describe("Sensors", () => {
  it("lists devices with status and zones, and asks for traffic by resolution", async () => {
    const api = demoApiAs("staff");
    const traffic = vi.spyOn(api, "traffic");
    renderScreen(<Sensors />, { api });
    expect((await screen.findByTestId("sensor-status-door-terrace")).textContent).toBe("Offline");
    expect(screen.getByTestId("sensor-status-door-main").textContent).toBe("Online");
    expect(screen.getByTestId("sensor-zones").textContent).toMatch(/Lobby/);
    await waitFor(() => expect(traffic).toHaveBeenCalledWith("15m", expect.any(String), expect.any(String)));
    fireEvent.click(screen.getByTestId("resolution-hour"));
    await waitFor(() => expect(traffic).toHaveBeenLastCalledWith("hour", expect.any(String), expect.any(String)));
    fireEvent.change(screen.getByTestId("traffic-range"), { target: { value: "30d" } });
    await waitFor(() => expect(traffic).toHaveBeenLastCalledWith("day", expect.any(String), expect.any(String)));
  });

  it("explains how to add a sensor when there is none", async () => {
    const api = demoApiAs("staff");
    api.sensors = async () => ({ devices: [], zones: [] });
    renderScreen(<Sensors />, { api });
    expect((await screen.findByTestId("sensors-empty")).textContent).toBe("No sensors configured — add a [[sensor]] block to venue.toml.");
  });

  it("turns ranges into UTC from venue-local midnight", () => {
    const now = new Date("2026-07-10T12:00:00Z");
    expect(trafficWindow("today", "Europe/Lisbon", now)).toEqual({ from: "2026-07-09T23:00:00Z", to: "2026-07-10T12:00:00Z" });
    expect(trafficWindow("7d", "Asia/Tokyo", now).from).toBe("2026-07-03T15:00:00Z");
    expect(trafficWindow("24h", "Asia/Tokyo", now).from).toBe("2026-07-09T12:00:00Z");
  });
});
