import { describe, expect, it, vi } from "vitest";
import { guardSession, isApiError, tauriApi, toApiError } from "./api";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));

describe("toApiError", () => {
  it("passes the core's {code, message} through", () => {
    const err = { code: "store_refused", message: "database is locked" };
    expect(isApiError(err)).toBe(true);
    expect(toApiError(err)).toEqual(err);
  });

  it("wraps IPC strings and Errors", () => {
    expect(toApiError("command status not found")).toEqual({
      code: "ui.invoke_failed",
      message: "command status not found",
    });
    expect(toApiError(new TypeError("window.__TAURI_INTERNALS__ is undefined"))).toEqual({
      code: "ui.invoke_failed",
      message: "window.__TAURI_INTERNALS__ is undefined",
    });
  });

  it("never returns an empty message", () => {
    expect(toApiError(undefined).message).not.toBe("");
    expect(toApiError({ code: 1 }).code).toBe("ui.invoke_failed");
  });
});

describe("tauriApi", () => {
  it("calls each command by its contract name with camelCase args", async () => {
    const { invoke } = await import("@tauri-apps/api/core");
    const mocked = vi.mocked(invoke);
    mocked.mockResolvedValue(null);
    const cases: Array<[() => Promise<unknown>, string, Record<string, unknown> | undefined]> = [
      [() => tauriApi.status(), "status", undefined],
      [() => tauriApi.venue(), "venue", undefined],
      [() => tauriApi.alertRules(), "alert_rules", undefined],
      [() => tauriApi.saveAlertRule({ id: "r", metric: "occupancy", condition: ">", threshold: 5 }), "save_alert_rule", { rule: { id: "r", metric: "occupancy", condition: ">", threshold: 5 } }],
      [() => tauriApi.deleteAlertRule("r"), "delete_alert_rule", { id: "r" }],
      [() => tauriApi.appInfo(), "app_info", undefined],
      [() => tauriApi.signIn("1111"), "sign_in", { pin: "1111" }],
      [() => tauriApi.signOut(), "sign_out", undefined],
      [() => tauriApi.session(), "session", undefined],
      [() => tauriApi.staffList(), "staff_list", undefined],
      [() => tauriApi.staffCreate({ name: "Rita", role: "manager", pin: "4321" }), "staff_create", { name: "Rita", role: "manager", pin: "4321" }],
      [() => tauriApi.staffSetPin("s-1", "5555"), "staff_set_pin", { staffId: "s-1", pin: "5555" }],
      [() => tauriApi.staffSetActive("s-1", false), "staff_set_active", { staffId: "s-1", active: false }],
      [() => tauriApi.setSecret("square-main-access-token", "x"), "set_secret", { name: "square-main-access-token", value: "x" }],
      [() => tauriApi.secretsStatus(), "secrets_status", undefined],
      [() => tauriApi.today(), "today", undefined],
      [() => tauriApi.stays("in_house"), "stays", { kind: "in_house" }],
      [() => tauriApi.stays("arrivals", "2026-11-29"), "stays", { kind: "arrivals", date: "2026-11-29" }],
      [() => tauriApi.search("gar"), "search", { query: "gar" }],
      [() => tauriApi.search("gar", 25), "search", { query: "gar", limit: 25 }],
      [() => tauriApi.guest("c-1"), "guest", { customerId: "c-1" }],
      [() => tauriApi.reservation("r-1"), "reservation", { id: "r-1" }],
      [() => tauriApi.postCharge("r-1", "Minibar", 1250), "post_charge", { reservationId: "r-1", item: "Minibar", amountMinor: 1250 }],
      [() => tauriApi.setDeskNote("r-1", "hi"), "set_desk_note", { reservationId: "r-1", text: "hi" }],
      [() => tauriApi.sales("2026-11-01", "2026-11-29"), "sales", { from: "2026-11-01", to: "2026-11-29" }],
      [() => tauriApi.exportSalesCsv("2026-11-01", "2026-11-29"), "export_sales_csv", { from: "2026-11-01", to: "2026-11-29" }],
      [() => tauriApi.sensors(), "sensors", undefined],
      [() => tauriApi.traffic("15m", "a", "b"), "traffic", { resolution: "15m", from: "a", to: "b" }],
      [() => tauriApi.connections(), "connections", undefined],
      [() => tauriApi.fetchNow("square-main"), "fetch_now", { connector: "square-main" }],
      [() => tauriApi.alerts(), "alerts", {}],
      [() => tauriApi.alerts(true), "alerts", { includeResolved: true }],
      [() => tauriApi.acknowledgeAlert("al-1"), "acknowledge_alert", { id: "al-1" }],
      [() => tauriApi.resolveAlert("al-1"), "resolve_alert", { id: "al-1" }],
      [() => tauriApi.settings(), "settings", undefined],
      [() => tauriApi.updateVenue({ capacity: 200 }), "update_venue", { capacity: 200 }],
    ];
    for (const [run, command, args] of cases) {
      mocked.mockClear();
      await run();
      expect(mocked).toHaveBeenCalledWith(command, args);
    }
  });

  it("rejects with the core's ApiError", async () => {
    const { invoke } = await import("@tauri-apps/api/core");
    vi.mocked(invoke).mockRejectedValueOnce({ code: "bad_pin", message: "Wrong PIN. 4 attempts left." });
    await expect(tauriApi.signIn("0000")).rejects.toEqual({ code: "bad_pin", message: "Wrong PIN. 4 attempts left." });
    vi.mocked(invoke).mockRejectedValueOnce("command today not found");
    await expect(tauriApi.today()).rejects.toEqual({ code: "ui.invoke_failed", message: "command today not found" });
  });

  it("passes store-changed topics and session-locked to handlers", async () => {
    const { listen } = await import("@tauri-apps/api/event");
    const handlers = new Map<string, (e: { payload: unknown }) => void>();
    vi.mocked(listen).mockImplementation(async (event, handler) => {
      handlers.set(event, handler as (e: { payload: unknown }) => void);
      return () => {};
    });
    const topics = vi.fn();
    const locked = vi.fn();
    await tauriApi.onStoreChanged(topics);
    await tauriApi.onSessionLocked(locked);
    handlers.get("store-changed")!({ payload: { topics: ["alert", "pms_charge"] } });
    handlers.get("store-changed")!({ payload: null });
    handlers.get("session-locked")!({ payload: null });
    expect(topics).toHaveBeenNthCalledWith(1, ["alert", "pms_charge"]);
    expect(topics).toHaveBeenNthCalledWith(2, []);
    expect(locked).toHaveBeenCalledTimes(1);
  });
});

describe("guardSession", () => {
  it("reports not_signed_in from any command but sign-in, and still rejects", async () => {
    const onSignedOut = vi.fn();
    const refused = { code: "not_signed_in", message: "Sign in first." };
    const api = guardSession({ ...tauriApi, today: () => Promise.reject(refused), signIn: () => Promise.reject(refused) }, onSignedOut);
    await expect(api.today()).rejects.toEqual(refused);
    expect(onSignedOut).toHaveBeenCalledWith(refused);
    onSignedOut.mockClear();
    await expect(api.signIn("1")).rejects.toEqual(refused);
    expect(onSignedOut).not.toHaveBeenCalled();
  });
});
