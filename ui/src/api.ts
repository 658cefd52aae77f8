import { invoke } from "@tauri-apps/api/core";
import type { ApiError, StatusReport } from "./types";

/** True when the value already has the `{code, message}` shape the core sends. */
export function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/**
 * Turns whatever a rejected `invoke` produced into an ApiError. The core rejects with
 * `{code, message}`; the IPC layer itself rejects with a string (unknown command, not running
 * inside Tauri) or an Error.
 */
export function toApiError(reason: unknown): ApiError {
  if (isApiError(reason)) {
    return { code: reason.code, message: reason.message };
  }
  if (reason instanceof Error) {
    return { code: "ui.invoke_failed", message: reason.message };
  }
  if (typeof reason === "string") {
    return { code: "ui.invoke_failed", message: reason };
  }
  return { code: "ui.invoke_failed", message: "The desktop shell did not answer." };
}

/** Calls the `status` command of the desktop shell. Rejects with an ApiError. */
export async function fetchStatus(): Promise<StatusReport> {
  try {
    return await invoke<StatusReport>("status");
  } catch (reason) {
    throw toApiError(reason);
  }
}
