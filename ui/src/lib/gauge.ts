export type GaugeLevel = "ok" | "warning" | "critical" | "unknown";

/** Occupancy share of capacity -> colour level: >= 95 % critical, >= 80 % warning. */
export function gaugeLevel(share: number | null | undefined): GaugeLevel {
  if (share === null || share === undefined || !Number.isFinite(share)) return "unknown";
  if (share >= 0.95) return "critical";
  if (share >= 0.8) return "warning";
  return "ok";
}

/** Share clamped to 0..1 for drawing (the number itself may exceed capacity). */
export function gaugeFill(share: number | null | undefined): number {
  if (share === null || share === undefined || !Number.isFinite(share)) return 0;
  return Math.min(1, Math.max(0, share));
}
