import { describe, expect, it } from "vitest";
import { isApiError, toApiError } from "./api";

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
