// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { demoApiAs, renderScreen } from "../test/render";
import { Connections } from "./Connections";

describe("Connections", () => {
  it("shows each connector's breaker, failures and last error", async () => {
    renderScreen(<Connections />);
    const card = await screen.findByTestId("connection-toast-bar");
    expect(within(card).getByTestId("breaker-toast-bar").textContent).toBe("OPEN");
    expect(within(card).getByTestId("failures-toast-bar").textContent).toBe("5");
    expect(within(card).getByTestId("last-error-toast-bar").textContent).toMatch(/HTTP 503/);
    expect(screen.getByTestId("breaker-square-main").textContent).toBe("CLOSED");
    expect(screen.getByTestId("pms-socket-state").textContent).toBe("connected");
    expect(screen.getByTestId("recent-runs").textContent).toMatch(/c-toast-bar-/);
  });

  it("asks the scheduler to fetch now", async () => {
    const api = demoApiAs("staff");
    const fetchNow = vi.spyOn(api, "fetchNow");
    renderScreen(<Connections />, { api });
    fireEvent.click(await screen.findByTestId("fetch-now-toast-bar"));
    await waitFor(() => expect(fetchNow).toHaveBeenCalledWith("toast-bar"));
    expect(await screen.findByTestId("fetch-asked-toast-bar")).toBeTruthy();
  });

  it("reloads on connector_state", async () => {
    const api = demoApiAs("staff");
    const spy = vi.spyOn(api, "connections");
    const { bus } = renderScreen(<Connections />, { api });
    await screen.findByTestId("connection-toast-bar");
    bus.publish(["connector_state"]);
    await waitFor(() => expect(spy).toHaveBeenCalledTimes(2));
  });

  it("explains the empty state", async () => {
    const api = demoApiAs("staff");
    api.connections = async () => ({ connectors: [], pms: null, recent_runs: [] });
    renderScreen(<Connections />, { api });
    expect((await screen.findByTestId("connections-empty")).textContent).toMatch(/\[\[connector\]\]/);
  });
});
