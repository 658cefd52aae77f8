import { gaugeFill, gaugeLevel } from "../lib/gauge";

/**
 * Semicircle occupancy gauge drawn in SVG (attributes only, so nothing conflicts with the
 * `style-src 'self'` CSP). Colour: >= 80 % warning, >= 95 % critical.
 */
export function Gauge({ share, label }: { share: number | null; label: string }) {
  const level = gaugeLevel(share);
  const fill = gaugeFill(share) * 100;
  const arc = "M 10 60 A 50 50 0 0 1 110 60";
  return (
    <svg className={`gauge gauge-${level}`} viewBox="0 0 120 66" role="img" aria-label={label} data-testid="occupancy-gauge" data-level={level}>
      <path className="gauge-track" d={arc} pathLength={100} />
      {fill > 0 && <path className="gauge-fill" d={arc} pathLength={100} strokeDasharray={`${fill} 100`} />}
    </svg>
  );
}

/** Thin horizontal bar for a 0..1 value (rate-limit pressure, zone share). */
export function MeterBar({ value, tone = "ok", label }: { value: number; tone?: "ok" | "warn" | "crit"; label: string }) {
  const width = Math.min(100, Math.max(0, value * 100));
  return (
    <svg className={`meter meter-${tone}`} viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label={label}>
      <rect className="meter-track" x="0" y="0" width="100" height="8" rx="2" />
      {width > 0 && <rect className="meter-fill" x="0" y="0" width={Math.max(width, 1)} height="8" rx="2" />}
    </svg>
  );
}
