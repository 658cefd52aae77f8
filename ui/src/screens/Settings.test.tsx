// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { DEMO_VENUE } from "../dev/fixtures";
import { demoApiAs, renderScreen } from "../test/render";
import { Settings } from "./Settings";
import { venuePatch } from "./settings/VenueSection";

describe("Settings", () => {
  it("shows the app version and venue; a manager cannot edit", async () => {
    renderScreen(<Settings />, { role: "manager" });
    expect((await screen.findByTestId("app-version")).textContent).toBe("0.1.0-demo");
    expect((screen.getByTestId("venue-name") as HTMLInputElement).readOnly).toBe(true);
    expect(screen.queryByTestId("venue-save")).toBeNull();
  });

  it("lets an admin set a secret, then forgets the value", async () => {
    const api = demoApiAs("admin");
    const setSecret = vi.spyOn(api, "setSecret");
    renderScreen(<Settings />, { api, role: "admin" });
    fireEvent.click(await screen.findByTestId("settings-tab-credentials"));
    const input = (await screen.findByTestId("secret-input-toast-bar-client-secret")) as HTMLInputElement;
    expect(input.type).toBe("password");
    expect(screen.getByTestId("secret-status-toast-bar-client-secret").textContent).toBe("Missing");
    fireEvent.change(input, { target: { value: "s3cret" } });
    fireEvent.click(screen.getByTestId("secret-save-toast-bar-client-secret"));
    await waitFor(() => expect(setSecret).toHaveBeenCalledWith("toast-bar-client-secret", "s3cret"));
    expect(await screen.findByTestId("secret-saved-toast-bar-client-secret")).toBeTruthy();
    expect((screen.getByTestId("secret-input-toast-bar-client-secret") as HTMLInputElement).value).toBe("");
    await waitFor(() => expect(screen.getByTestId("secret-status-toast-bar-client-secret").textContent).toBe("Set · OS keyring"));
    expect(document.body.textContent).not.toContain("s3cret");
  });

  it("shows a manager the secret status but no way to set one", async () => {
    renderScreen(<Settings />, { role: "manager" });
    fireEvent.click(await screen.findByTestId("settings-tab-credentials"));
    expect(await screen.findByTestId("secret-status-mews-access-token")).toBeTruthy();
    expect(screen.queryByTestId("secret-input-mews-access-token")).toBeNull();
  });

  it("lets an admin add staff and deactivate them", async () => {
    const api = demoApiAs("admin");
    const create = vi.spyOn(api, "staffCreate");
    renderScreen(<Settings />, { api, role: "admin" });
    fireEvent.click(await screen.findByTestId("settings-tab-staff"));
    await screen.findByTestId("staff-table");
    fireEvent.change(screen.getByTestId("staff-add-name"), { target: { value: "Rita Bar" } });
    fireEvent.change(screen.getByTestId("staff-add-role"), { target: { value: "manager" } });
    fireEvent.change(screen.getByTestId("staff-add-pin"), { target: { value: "4321" } });
    fireEvent.click(screen.getByTestId("staff-add-submit"));
    await waitFor(() => expect(create).toHaveBeenCalledWith({ name: "Rita Bar", role: "manager", pin: "4321" }));
    expect(await screen.findByText("Rita Bar")).toBeTruthy();
    fireEvent.click(screen.getByTestId("staff-active-s-1"));
    await waitFor(() => expect(screen.getByTestId("staff-active-s-1").textContent).toBe("Reactivate"));
  });

  it("resets a PIN in a dialog that Esc closes", async () => {
    const api = demoApiAs("admin");
    const setPin = vi.spyOn(api, "staffSetPin");
    renderScreen(<Settings />, { api, role: "admin" });
    fireEvent.click(await screen.findByTestId("settings-tab-staff"));
    fireEvent.click(await screen.findByTestId("staff-pin-s-1"));
    expect(await screen.findByTestId("pin-dialog")).toBeTruthy();
    fireEvent.keyDown(document.activeElement ?? document.body, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("pin-dialog")).toBeNull());
    fireEvent.click(screen.getByTestId("staff-pin-s-1"));
    fireEvent.change(await screen.findByTestId("staff-pin-input"), { target: { value: "5555" } });
    fireEvent.click(screen.getByTestId("staff-pin-save"));
    await waitFor(() => expect(setPin).toHaveBeenCalledWith("s-1", "5555"));
  });

  it("shows a manager only their own PIN change", async () => {
    renderScreen(<Settings />, { role: "manager" });
    fireEvent.click(await screen.findByTestId("settings-tab-staff"));
    await screen.findByTestId("staff-table");
    expect(screen.getByTestId("staff-pin-s-2").textContent).toBe("Change my PIN");
    expect(screen.queryByTestId("staff-pin-s-1")).toBeNull();
    expect(screen.queryByTestId("staff-add-name")).toBeNull();
    expect(screen.queryByTestId("staff-active-s-1")).toBeNull();
  });

  it("checks venue edits and sends only what changed", () => {
    expect(venuePatch(DEMO_VENUE, { name: "Harbour Hotel & Bar", timezone: "Europe/Lisbon", currency: "eur", capacity: "200", shareGuestContacts: false })).toEqual({ capacity: 200 });
    expect(venuePatch(DEMO_VENUE, { name: " ", timezone: "Europe/Lisbon", currency: "EUR", capacity: "200", shareGuestContacts: false })).toMatch(/name/);
    expect(venuePatch(DEMO_VENUE, { name: "X", timezone: "Mars/Base", currency: "EUR", capacity: "200", shareGuestContacts: false })).toMatch(/timezone/);
    expect(venuePatch(DEMO_VENUE, { name: "X", timezone: "Europe/Lisbon", currency: "EURO", capacity: "200", shareGuestContacts: false })).toMatch(/currency/);
    expect(venuePatch(DEMO_VENUE, { name: "X", timezone: "Europe/Lisbon", currency: "EUR", capacity: "-1", shareGuestContacts: false })).toMatch(/Capacity/);
    const keep = { name: DEMO_VENUE.name, timezone: DEMO_VENUE.timezone, currency: DEMO_VENUE.currency, capacity: String(DEMO_VENUE.capacity) };
    expect(venuePatch(DEMO_VENUE, { ...keep, shareGuestContacts: true })).toEqual({ shareGuestContacts: true });
    expect(venuePatch({ ...DEMO_VENUE, share_guest_contacts: true }, { ...keep, shareGuestContacts: true })).toEqual({});
  });

  it("shows guest-contact sharing to everyone and lets only an admin change it", async () => {
    renderScreen(<Settings />, { api: demoApiAs("manager"), role: "manager" });
    const box = (await screen.findByTestId("venue-share-guest-contacts")) as HTMLInputElement;
    expect(box.checked).toBe(false);
    expect(box.disabled).toBe(true);
    cleanup();
    const api = demoApiAs("admin");
    const update = vi.spyOn(api, "updateVenue");
    renderScreen(<Settings />, { api, role: "admin" });
    const adminBox = (await screen.findByTestId("venue-share-guest-contacts")) as HTMLInputElement;
    expect(adminBox.disabled).toBe(false);
    fireEvent.click(adminBox);
    fireEvent.click(screen.getByTestId("venue-save"));
    await waitFor(() => expect(update).toHaveBeenCalledWith({ shareGuestContacts: true }));
  });

  it("lets a manager make a custom alert rule, names a bad field, turns it off and deletes it", async () => {
    const api = demoApiAs("manager");
    const save = vi.spyOn(api, "saveAlertRule");
    renderScreen(<Settings />, { api, role: "manager" });
    fireEvent.click(await screen.findByTestId("settings-tab-alerts"));
    await screen.findByTestId("rules-table");
    // Built-ins are listed but not editable here.
    expect(screen.getByTestId("rule-occupancy.warning").textContent).toContain("Occupancy, share of capacity at or above 80 %");
    expect(screen.queryByTestId("rule-edit-occupancy.warning")).toBeNull();

    fireEvent.click(screen.getByTestId("rule-new"));
    fireEvent.change(await screen.findByTestId("rule-id"), { target: { value: "bar-packed" } });
    fireEvent.change(screen.getByTestId("rule-metric"), { target: { value: "occupancy_share" } });
    fireEvent.change(screen.getByTestId("rule-threshold"), { target: { value: "abc" } });
    fireEvent.click(screen.getByTestId("rule-save"));
    expect((await screen.findByTestId("rule-dialog")).textContent).toContain("The threshold must be a number.");
    expect(save).not.toHaveBeenCalled();

    fireEvent.change(screen.getByTestId("rule-threshold"), { target: { value: "90" } });
    fireEvent.change(screen.getByTestId("rule-window"), { target: { value: "5" } });
    fireEvent.change(screen.getByTestId("rule-severity"), { target: { value: "critical" } });
    fireEvent.click(screen.getByTestId("rule-save"));
    await waitFor(() =>
      expect(save).toHaveBeenCalledWith({ id: "bar-packed", metric: "occupancy_share", condition: ">=", threshold: 0.9, window_seconds: 300, severity: "critical", cool_down_seconds: 900, enabled: true }),
    );
    const row = await screen.findByTestId("rule-bar-packed");
    expect(row.textContent).toContain("at or above 90 % for 5 min");
    expect(screen.queryByTestId("rule-dialog")).toBeNull();

    fireEvent.click(screen.getByTestId("rule-toggle-bar-packed"));
    await waitFor(() => expect(screen.getByTestId("rule-bar-packed").textContent).toContain("Off"));
    fireEvent.click(screen.getByTestId("rule-delete-bar-packed"));
    await waitFor(() => expect(screen.queryByTestId("rule-bar-packed")).toBeNull());
  });

  it("shows the core's error when a rule clashes with a built-in", async () => {
    renderScreen(<Settings />, { role: "admin" });
    fireEvent.click(await screen.findByTestId("settings-tab-alerts"));
    fireEvent.click(await screen.findByTestId("rule-new"));
    fireEvent.change(await screen.findByTestId("rule-id"), { target: { value: "occupancy.warning" } });
    fireEvent.change(screen.getByTestId("rule-threshold"), { target: { value: "50" } });
    fireEvent.click(screen.getByTestId("rule-save"));
    expect(await screen.findByText(/built-in or venue.toml rule/)).toBeTruthy();
  });

  it("has a Notifications tab with the signed-in manager's own preferences", async () => {
    renderScreen(<Settings />, { role: "manager" });
    fireEvent.click(await screen.findByTestId("settings-tab-notifications"));
    expect(await screen.findByTestId("notify-form")).toBeTruthy();
    expect(screen.getByTestId("notify-severity")).toBeTruthy();
  });
});
