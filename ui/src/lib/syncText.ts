import type { SyncStatus } from "../types";

/** A time as the store writes it (`2026-12-07 10:00:00.123+00:00`) as an ISO string any
 * browser's Date reads (WebKit does not take the space). */
export function storeTimeToIso(text: string | null | undefined): string | null {
  if (!text) return null;
  return text.includes("T") ? text : text.replace(" ", "T");
}

export type SyncState = { kind: "alone" } | { kind: "synced"; secondsAgo: number | null } | { kind: "offline"; since: string | null };

/** Whether this console is in step with its hub: the last pass failed after the last success
 * means offline (since that success), and changes wait until the next one. */
export function syncState(status: SyncStatus, nowMs: number): SyncState {
  if (!status.joined) return { kind: "alone" };
  const success = storeTimeToIso(status.last_success);
  const error = storeTimeToIso(status.last_error_at);
  const successMs = success ? Date.parse(success) : NaN;
  const errorMs = error ? Date.parse(error) : NaN;
  if (!Number.isNaN(errorMs) && (Number.isNaN(successMs) || errorMs > successMs)) {
    return { kind: "offline", since: success };
  }
  return { kind: "synced", secondsAgo: Number.isNaN(successMs) ? null : Math.max(0, Math.round((nowMs - successMs) / 1000)) };
}

/** "synced 12 s ago", "synced 3 min ago", "not synced yet". */
export function agoText(seconds: number | null): string {
  if (seconds === null) return "not synced yet";
  if (seconds < 90) return `synced ${seconds} s ago`;
  if (seconds < 90 * 60) return `synced ${Math.round(seconds / 60)} min ago`;
  return `synced ${Math.round(seconds / 3600)} h ago`;
}

export function waitingText(n: number): string {
  return n === 1 ? "1 change waiting" : `${n} changes waiting`;
}
