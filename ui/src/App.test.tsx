// @vitest-environment happy-dom
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { createDemoApi } from "./dev/demoApi";
import { PIN_FOCUS_MS } from "./screens/SignIn";
import { demoApiAs, LOCALE } from "./test/render";

const renderApp = (api = createDemoApi()) => ({ api, ...render(<App api={api} locale={LOCALE} initialScreen="today" />) });

async function signIn(pin: string) {
  fireEvent.change(await screen.findByTestId("signin-pin"), { target: { value: pin } });
  fireEvent.click(screen.getByTestId("signin-submit"));
}

describe("App", () => {
  afterEach(() => vi.useRealTimers());

  it("shows the venue on the PIN screen without reading the store's row counts", async () => {
    const { api } = renderApp();
    expect(await screen.findByTestId("signin-pin")).toHaveProperty("type", "password");
    expect(screen.getByTestId("signin-pin").getAttribute("inputmode")).toBe("numeric");
    await waitFor(() => expect(screen.getByTestId("venue-name").textContent).toBe("Harbour Hotel & Bar"));
    expect(api.calls).toContain("venue");
    expect(api.calls).not.toContain("status");
  });

  it("says why a wrong PIN was refused", async () => {
    const { api } = renderApp();
    await signIn("9999");
    expect((await screen.findByTestId("signin-error")).textContent).toMatch(/Wrong PIN\. 4 attempts left/);
    expect((screen.getByTestId("signin-pin") as HTMLInputElement).value).toBe("");
    expect(api.calls).toContain("signIn");
    expect(screen.queryByTestId("lock")).toBeNull();
  });

  it("lets go of the PIN field after a quiet spell (no caret blinking all night) and still takes a PIN typed anywhere", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"], shouldAdvanceTime: true });
    renderApp();
    const pin = (await screen.findByTestId("signin-pin")) as HTMLInputElement;
    // The field takes focus in an effect React runs after the screen is on the page: on a
    // loaded machine that is a moment after the field appears.
    await waitFor(() => expect(document.activeElement).toBe(pin));
    act(() => vi.advanceTimersByTime(PIN_FOCUS_MS - 1000));
    fireEvent.keyDown(pin, { key: "1" });
    act(() => vi.advanceTimersByTime(PIN_FOCUS_MS - 1000));
    expect(document.activeElement).toBe(pin);
    act(() => vi.advanceTimersByTime(1500));
    expect(document.activeElement).not.toBe(pin);
    const restThenPress = (key: string) => {
      act(() => vi.advanceTimersByTime(PIN_FOCUS_MS + 1));
      expect(document.activeElement).not.toBe(pin);
      fireEvent.keyDown(document.body, { key });
    };
    restThenPress("1");
    expect(pin.value).toBe("1");
    expect(document.activeElement).toBe(pin);
    fireEvent.change(pin, { target: { value: "112" } });
    restThenPress("Backspace");
    expect(pin.value).toBe("11");
    restThenPress("x");
    expect(pin.value).toBe("11");
    fireEvent.keyDown(document.body, { key: "1" });
    restThenPress("1");
    expect(pin.value).toBe("1111");
    restThenPress("Enter");
    expect(await screen.findByTestId("occupancy-now", {}, { timeout: 3000 })).toBeTruthy();
  });

  it("checks the PIN's shape before asking", async () => {
    const { api } = renderApp();
    await signIn("12");
    expect((await screen.findByTestId("signin-error")).textContent).toMatch(/4 to 8 digits/);
    expect(api.calls).not.toContain("signIn");
  });

  it("signs staff in to Today, with name, role and no Settings", async () => {
    renderApp();
    await signIn("1111");
    expect((await screen.findByTestId("session-name")).textContent).toBe("Sam Front Desk");
    expect(screen.getByTestId("session-role").textContent).toBe("Staff");
    expect(await screen.findByTestId("occupancy-now")).toBeTruthy();
    expect(screen.queryByTestId("nav-settings")).toBeNull();
    expect(screen.getByTestId("nav-connections")).toBeTruthy();
  });

  it("shows Settings to a manager", async () => {
    renderApp();
    await signIn("2222");
    expect(await screen.findByTestId("nav-settings")).toBeTruthy();
  });

  it("locks on the Lock button", async () => {
    const { api } = renderApp(demoApiAs("staff"));
    fireEvent.click(await screen.findByTestId("lock"));
    expect(await screen.findByTestId("signin-pin")).toBeTruthy();
    expect(api.calls).toContain("signOut");
  });

  it("locks when the shell sends session-locked", async () => {
    const api = demoApiAs("manager");
    renderApp(api);
    await screen.findByTestId("lock");
    act(() => api.emitSessionLocked());
    expect(await screen.findByTestId("signin-pin")).toBeTruthy();
    expect(screen.getByTestId("signin-notice").textContent).toMatch(/locked/);
  });

  it("locks after the session's idle time without input", async () => {
    // Only timeouts and the clock are faked, so React's scheduler still runs effects.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"], shouldAdvanceTime: true });
    const api = demoApiAs("staff", { lockAfterSeconds: 60 });
    renderApp(api);
    await screen.findByTestId("occupancy-now");
    act(() => {
      vi.advanceTimersByTime(45_000);
    });
    fireEvent.keyDown(window, { key: "Shift" });
    act(() => {
      vi.advanceTimersByTime(45_000);
    });
    expect(screen.queryByTestId("signin-pin")).toBeNull();
    act(() => {
      vi.advanceTimersByTime(16_000);
    });
    expect(await screen.findByTestId("signin-pin")).toBeTruthy();
    expect(screen.getByTestId("signin-notice").textContent).toBe("Locked after 1 minute without input.");
    expect(api.calls).toContain("signOut");
  });

  it("goes back to the PIN screen when a command says not_signed_in", async () => {
    const api = demoApiAs("staff");
    api.today = () => Promise.reject({ code: "not_signed_in", message: "Sign in to use the console." });
    renderApp(api);
    expect(await screen.findByTestId("signin-pin")).toBeTruthy();
    expect(screen.getByTestId("signin-notice").textContent).toBe("Sign in to use the console.");
  });

  it("shows the store error with its code", async () => {
    const api = createDemoApi();
    api.venue = () => Promise.reject({ code: "store_refused", message: "/data/venue.db is not a Venue Console database" });
    renderApp(api);
    expect((await screen.findByTestId("error-code")).textContent).toBe("store_refused");
    expect(screen.getByTestId("error-message").textContent).toBe("/data/venue.db is not a Venue Console database");
    expect(screen.getByTestId("venue-name").textContent).toBe("Store unavailable");
  });

  it("moves between screens with Alt+digit and focuses search with /", async () => {
    renderApp(demoApiAs("manager"));
    await screen.findByTestId("occupancy-now");
    fireEvent.keyDown(window, { key: "3", code: "Digit3", altKey: true });
    expect(await screen.findByTestId("preset-today")).toBeTruthy();
    fireEvent.keyDown(window, { key: "/", code: "Slash" });
    const search = await screen.findByTestId("guest-search");
    await waitFor(() => expect(document.activeElement).toBe(search));
    fireEvent.keyDown(document.body, { key: "g", code: "KeyG" });
    fireEvent.keyDown(document.body, { key: "x", code: "KeyX" });
    expect(await screen.findByTestId("settings-tab-venue")).toBeTruthy();
  });
});
