// @vitest-environment happy-dom
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { demoApiAs, renderScreen } from "../../test/render";
import { NotificationsSection, prefsFromForm } from "./Notifications";

describe("NotificationsSection", () => {
  it("shows a manager the defaults and saves severity and quiet hours that wrap midnight", async () => {
    const api = demoApiAs("manager");
    const save = vi.spyOn(api, "setNotificationPrefs");
    renderScreen(<NotificationsSection />, { api, role: "manager" });
    const enabled = (await screen.findByTestId("notify-enabled")) as HTMLInputElement;
    expect(enabled.checked).toBe(true);
    expect((screen.getByTestId("notify-severity") as HTMLSelectElement).value).toBe("warning");
    expect((screen.getByTestId("notify-quiet") as HTMLInputElement).checked).toBe(false);
    expect((screen.getByTestId("notify-quiet-start") as HTMLInputElement).disabled).toBe(true);

    fireEvent.change(screen.getByTestId("notify-severity"), { target: { value: "critical" } });
    fireEvent.click(screen.getByTestId("notify-quiet"));
    fireEvent.change(screen.getByTestId("notify-quiet-start"), { target: { value: "23:30" } });
    fireEvent.change(screen.getByTestId("notify-quiet-end"), { target: { value: "06:00" } });
    fireEvent.click(screen.getByTestId("notify-save"));
    await waitFor(() =>
      expect(save).toHaveBeenCalledWith({ enabled: true, min_severity: "critical", quiet_hours_start: "23:30", quiet_hours_end: "06:00" }),
    );
    expect(await screen.findByTestId("notify-saved")).toBeTruthy();
    expect(await api.notificationPrefs()).toEqual({ enabled: true, min_severity: "critical", quiet_hours_start: "23:30", quiet_hours_end: "06:00" });
  });

  it("refuses 25:00 with a clear message and sends nothing", async () => {
    const api = demoApiAs("admin");
    const save = vi.spyOn(api, "setNotificationPrefs");
    renderScreen(<NotificationsSection />, { api, role: "admin" });
    fireEvent.click(await screen.findByTestId("notify-quiet"));
    fireEvent.change(screen.getByTestId("notify-quiet-start"), { target: { value: "25:00" } });
    fireEvent.click(screen.getByTestId("notify-save"));
    expect((await screen.findByTestId("notify-problem")).textContent).toBe("Quiet hours start “25:00” is not a time of day: use HH:MM, from 00:00 to 23:59.");
    expect(save).not.toHaveBeenCalled();
  });

  it("shows the core's refusal", async () => {
    const api = demoApiAs("manager");
    vi.spyOn(api, "setNotificationPrefs").mockRejectedValue({ code: "bad_input", message: "quiet hours start \"24:00\" is not a time of day" });
    renderScreen(<NotificationsSection />, { api, role: "manager" });
    fireEvent.click(await screen.findByTestId("notify-enabled"));
    fireEvent.click(screen.getByTestId("notify-save"));
    expect(await screen.findByText(/quiet hours start "24:00" is not a time of day/)).toBeTruthy();
    expect(screen.queryByTestId("notify-saved")).toBeNull();
  });

  it("tells staff it is for managers and asks nothing", async () => {
    const api = demoApiAs("staff");
    renderScreen(<NotificationsSection />, { api, role: "staff" });
    expect((await screen.findByTestId("settings-notifications")).textContent).toContain("for managers and admins");
    expect(api.calls).not.toContain("notificationPrefs");
  });
});

describe("prefsFromForm", () => {
  const form = { enabled: true, minSeverity: "warning" as const, quiet: true, quietStart: "22:00", quietEnd: "07:00" };
  it("sends quiet hours only when ticked", () => {
    expect(prefsFromForm(form)).toEqual({ enabled: true, min_severity: "warning", quiet_hours_start: "22:00", quiet_hours_end: "07:00" });
    expect(prefsFromForm({ ...form, quiet: false, quietStart: "junk" })).toEqual({ enabled: true, min_severity: "warning", quiet_hours_start: null, quiet_hours_end: null });
  });
  it("checks HH:MM and an empty range", () => {
    expect(prefsFromForm({ ...form, quietEnd: "7:00" })).toMatch(/end “7:00”/);
    expect(prefsFromForm({ ...form, quietStart: "23:60" })).toMatch(/start “23:60”/);
    expect(prefsFromForm({ ...form, quietEnd: "22:00" })).toMatch(/empty/);
  });
});
