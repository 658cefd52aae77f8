// The JSON shapes the Rust side sends are generated from the Rust types (ts-rs) into
// ./generated/ — never edit those by hand: change the Rust type, then run `make ui-types`
// (cargo's ui_types test fails while the committed output is stale). Rust's serde conventions
// hold: snake_case fields, `Option` as null, enums as snake_case strings; times are ISO-8601
// UTC strings, dates venue-local `YYYY-MM-DD`, money integer minor units.
//
// What is left here is the UI's own: its error code for a failed IPC call, the arguments some
// commands take as separate values, and the labels' vocabularies for values the core sends
// as plain text.

import type { ApiError as CoreError } from "./generated";

export type * from "./generated";
export { EVENTS } from "./generated";

/** An error as the UI handles it: the core's `{code, message}`, or `ui.invoke_failed` when the
 * IPC call itself failed (unknown command, not running inside Tauri). */
export type ApiError = Omit<CoreError, "code"> & { code: CoreError["code"] | "ui.invoke_failed" };

/** `update_venue`'s arguments: only what changes. */
export interface VenuePatch {
  name?: string;
  timezone?: string;
  currency?: string;
  capacity?: number;
  /** Guests' email and phone travel to the hub and the venue's other consoles (admin only). */
  shareGuestContacts?: boolean;
}

/** The resolutions `traffic` accepts. */
export type TrafficResolution = "minute" | "15m" | "hour" | "day";

/** ConnectorHealth.breaker and PmsHealth.breaker (text in the core; the labels know these). */
export type BreakerState = "closed" | "open" | "half_open";

/** PmsHealth.socket (text in the core, which may add states). */
export type SocketState = "connected" | "connecting" | "disconnected" | "unknown";

/** DeviceView.status (text in the core). */
export type SensorStatus = "online" | "offline" | "auth_failed" | "unknown";
