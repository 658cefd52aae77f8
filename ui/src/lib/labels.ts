import type { Tone } from "../components/States";
import type { BreakerState, ChargeState, SensorStatus, Severity, SnapshotStatus, SyncHealth } from "../types";

export function breakerLabel(state: BreakerState | string): string {
  return state.replace(/_/g, " ").toUpperCase();
}

export function breakerTone(state: BreakerState | string): Tone {
  return state === "closed" ? "ok" : state === "half_open" ? "warn" : "crit";
}

export function snapshotTone(status: SnapshotStatus | string): Tone {
  return status === "ok" ? "ok" : status === "running" ? "info" : status === "partial" ? "warn" : "crit";
}

export function severityTone(severity: Severity | string): Tone {
  return severity === "critical" ? "crit" : severity === "warning" ? "warn" : "info";
}

export function chargeTone(state: ChargeState | string): Tone {
  return state === "sent" ? "ok" : state === "pending" ? "warn" : "crit";
}

export function socketTone(socket: string): Tone {
  return socket === "connected" ? "ok" : socket === "connecting" ? "warn" : socket === "disconnected" ? "crit" : "muted";
}

export const SENSOR_STATUS_LABEL: Record<SensorStatus, string> = {
  online: "Online",
  offline: "Offline",
  auth_failed: "Sign-in failed",
  unknown: "Unknown",
};

/** A sensor status as shown; a status the labels do not know yet is shown as it comes. */
export function sensorStatusLabel(status: string): string {
  return (SENSOR_STATUS_LABEL as Record<string, string | undefined>)[status] ?? status;
}

export function sensorTone(status: SensorStatus | string): Tone {
  return status === "online" ? "ok" : status === "auth_failed" ? "crit" : status === "offline" ? "crit" : "muted";
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The sync line from the Today view alone: without a hub the data is local, with how much waits. A
 * console that joined a hub shows the hub's own status line instead (SyncLine). */
export function syncText(sync: SyncHealth, count: (n: number) => string = String): string {
  if (!sync.hub_configured || sync.state === "local_only") {
    return sync.pending_changes === 0
      ? "Local only · nothing waiting for the hub"
      : `Local only · ${count(sync.pending_changes)} ${sync.pending_changes === 1 ? "change" : "changes"} waiting for the hub`;
  }
  return `${sync.state.replace(/_/g, " ")} · ${plural(sync.pending_changes, "change", "changes")} pending`;
}
