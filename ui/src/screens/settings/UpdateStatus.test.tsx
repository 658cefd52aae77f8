// @vitest-environment happy-dom
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { demoApiAs, renderScreen } from "../../test/render";
import type { Role, UpdateOffer } from "../../types";
import { Settings } from "../Settings";
import { UpdateStatus } from "./UpdateStatus";

const OFFER: UpdateOffer = { version: "0.2.0", current_version: "0.1.0", notes: "Faster sign-in.", date: "2026-12-01T09:00:00Z" };

function renderRow(role: Role, update: UpdateOffer | null) {
  const api = demoApiAs(role, { update });
  return renderScreen(<dl><UpdateStatus /></dl>, { api, role });
}

describe("UpdateStatus", () => {
  it("shows the current version and offers a newer one to a manager, who can install it", async () => {
    const api = demoApiAs("manager", { update: OFFER });
    const install = vi.spyOn(api, "installUpdate").mockReturnValue(new Promise(() => {})); // the app restarts
    renderScreen(<Settings />, { api, role: "manager" });
    expect((await screen.findByTestId("app-version")).textContent).toBe("0.1.0-demo");
    expect((await screen.findByTestId("update-offer")).textContent).toContain("Version 0.2.0 is available");
    expect(screen.getByTestId("update-notes").textContent).toBe("Faster sign-in.");
    const button = screen.getByTestId("update-install") as HTMLButtonElement;
    expect(button.textContent).toBe("Install update 0.2.0");
    fireEvent.click(button);
    await waitFor(() => expect(install).toHaveBeenCalledWith("0.2.0"));
    expect(button.disabled).toBe(true);
    expect(button.textContent).toContain("Installing 0.2.0");
  });

  it("shows staff the offer without an install button", async () => {
    renderRow("staff", OFFER);
    expect((await screen.findByTestId("update-offer")).textContent).toContain("0.2.0");
    expect(screen.queryByTestId("update-install")).toBeNull();
    expect(screen.getByTestId("update-status").textContent).toContain("A manager or admin can install it.");
  });

  it("offers nothing when the console is up to date", async () => {
    const { api } = renderRow("admin", null);
    expect((await screen.findByTestId("update-none")).textContent).toBe("Up to date.");
    expect(screen.queryByTestId("update-install")).toBeNull();
    expect(screen.queryByTestId("update-offer")).toBeNull();
    fireEvent.click(screen.getByTestId("update-check"));
    await waitFor(() => expect((api as ReturnType<typeof demoApiAs>).calls.filter((c) => c === "checkUpdate")).toHaveLength(2));
  });

  it("shows why an install was refused and lets the manager try again", async () => {
    const api = demoApiAs("manager", { update: OFFER });
    const message = "update 0.2.0 was not installed: its signature was made with a different key than this app's public key";
    vi.spyOn(api, "installUpdate").mockRejectedValue({ code: "update_failed", message });
    renderScreen(<dl><UpdateStatus /></dl>, { api, role: "manager" });
    fireEvent.click(await screen.findByTestId("update-install"));
    expect((await screen.findByTestId("update-install-error")).textContent?.trim()).toBe(message);
    expect((screen.getByTestId("update-install") as HTMLButtonElement).disabled).toBe(false);
  });

  it("shows a failed check with a way to check again", async () => {
    const api = demoApiAs("manager");
    let fail = true;
    vi.spyOn(api, "checkUpdate").mockImplementation(() =>
      fail ? Promise.reject({ code: "update_failed", message: "could not reach the update server: connection refused" }) : Promise.resolve(OFFER),
    );
    renderScreen(<dl><UpdateStatus /></dl>, { api, role: "manager" });
    expect((await screen.findByTestId("update-error")).textContent).toContain("could not reach the update server");
    fail = false;
    fireEvent.click(screen.getByTestId("update-check"));
    expect((await screen.findByTestId("update-install")).textContent).toBe("Install update 0.2.0");
  });
});
