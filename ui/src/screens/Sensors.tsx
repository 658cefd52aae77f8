import { useMemo, useState } from "react";
import { Chart } from "../components/Chart";
import { Badge, Card, ErrorBanner, Loading } from "../components/States";
import { useVenue } from "../context";
import { useView } from "../hooks/useView";
import { trafficChart } from "../lib/charts";
import { sensorStatusLabel, sensorTone } from "../lib/labels";
import { addDays, zonedDate, zonedMidnight } from "../lib/time";
import { TOPICS } from "../lib/topics";
import type { SensorsView, TrafficResolution } from "../types";

export type TrafficRange = "today" | "24h" | "7d" | "30d";

const RANGES: ReadonlyArray<{ id: TrafficRange; label: string; resolution: TrafficResolution }> = [
  { id: "today", label: "Today", resolution: "15m" },
  { id: "24h", label: "Last 24 hours", resolution: "15m" },
  { id: "7d", label: "Last 7 days", resolution: "hour" },
  { id: "30d", label: "Last 30 days", resolution: "day" },
];

const RESOLUTIONS: ReadonlyArray<{ id: TrafficResolution; label: string }> = [
  { id: "15m", label: "15 min" },
  { id: "hour", label: "Hour" },
  { id: "day", label: "Day" },
];

/** 2026-11-29T07:45:00Z: whole seconds, as the contract writes instants. */
const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** UTC instants for a traffic range, from venue-local midnights. */
export function trafficWindow(range: TrafficRange, timeZone: string, now: Date): { from: string; to: string } {
  const today = zonedDate(now, timeZone);
  const start =
    range === "24h"
      ? new Date(now.getTime() - 86_400_000)
      : zonedMidnight(range === "today" ? today : addDays(today, range === "7d" ? -6 : -29), timeZone);
  return { from: isoSeconds(start), to: isoSeconds(now) };
}

/** Door counters: their status, occupancy per zone, and traffic history. */
export function Sensors() {
  const view = useView((api) => api.sensors(), TOPICS.sensors, []);
  return (
    <div className="screen screen-sensors">
      <div className="screen-head">
        <h2 className="screen-title">Sensors</h2>
      </div>
      {!view.data ? (
        view.error ? (
          <ErrorBanner error={view.error} onRetry={() => void view.reload()} />
        ) : (
          <Loading label="Reading sensors…" />
        )
      ) : view.data.devices.length === 0 ? (
        <div className="empty card" data-testid="sensors-empty">
          <strong>No sensors configured</strong> — add a <code>[[sensor]]</code> block to <code>venue.toml</code>.
        </div>
      ) : (
        <>
          {view.error && <ErrorBanner error={view.error} title="Could not refresh; showing the last reading" />}
          <SensorTables data={view.data} />
          <Traffic />
        </>
      )}
    </div>
  );
}

function SensorTables({ data }: { data: SensorsView }) {
  const { fmt } = useVenue();
  return (
    <div className="sensor-grid">
      <Card title="Devices" className="card-devices">
        <table className="table" data-testid="sensor-devices">
          <thead>
            <tr>
              <th>Device</th>
              <th>Zone</th>
              <th>Status</th>
              <th className="num">Inside</th>
              <th>Last reading</th>
              <th className="num">Failures</th>
              <th>Last error</th>
            </tr>
          </thead>
          <tbody>
            {data.devices.map((d) => (
              <tr key={d.name} data-testid="sensor-row" data-sensor={d.name}>
                <td>
                  <strong>{d.name}</strong>
                  <div className="dim small">
                    {d.kind}
                    {d.address && ` · ${d.address}`} · every {d.interval_seconds} s
                  </div>
                </td>
                <td>{d.zone}</td>
                <td>
                  <Badge tone={sensorTone(d.status)} testId={`sensor-status-${d.name}`}>
                    {sensorStatusLabel(d.status)}
                  </Badge>
                  {d.status_since && <div className="dim small">since {fmt.time(d.status_since)}</div>}
                </td>
                <td className="num">{fmt.count(d.occupancy)}</td>
                <td>{fmt.dateTime(d.updated_at)}</td>
                <td className="num">{d.failures}</td>
                <td className="small wrap">{d.last_error ?? <span className="dim">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      <Card title="Zones" className="card-zones">
        {data.zones.length === 0 ? (
          <p className="empty">No zone readings yet.</p>
        ) : (
          <ul className="zones zones-large" data-testid="sensor-zones">
            {data.zones.map((z) => (
              <li key={z.zone}>
                <span className="zone-name">{z.zone}</span>
                <span className="zone-value">{fmt.count(z.occupancy)}</span>
                <span className="dim small">{z.updated_at ? fmt.time(z.updated_at) : "no reading"}</span>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

function Traffic() {
  const { fmt, venue } = useVenue();
  const [range, setRange] = useState<TrafficRange>("today");
  const [resolution, setResolution] = useState<TrafficResolution>("15m");
  const view = useView((api) => {
    const w = trafficWindow(range, venue.timezone, new Date());
    return api.traffic(resolution, w.from, w.to);
  }, TOPICS.traffic, [range, resolution, venue.timezone]);
  const points = view.data;
  const chart = useMemo(() => (points ? trafficChart(points, resolution, range !== "today", fmt) : null), [points, resolution, range, fmt]);
  const totals = points?.reduce((s, p) => ({ entries: s.entries + p.entries, exits: s.exits + p.exits }), { entries: 0, exits: 0 });

  return (
    <Card
      title="Traffic"
      className="card-traffic"
      actions={
        <div className="toolbar toolbar-tight">
          <label className="field field-inline">
            <span className="field-label">Range</span>
            <select
              value={range}
              onChange={(e) => {
                const r = RANGES.find((x) => x.id === e.target.value)!;
                setRange(r.id);
                setResolution(r.resolution);
              }}
              data-testid="traffic-range"
            >
              {RANGES.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
          <div className="segmented" role="group" aria-label="Resolution" data-testid="traffic-resolution">
            {RESOLUTIONS.map((r) => (
              <button key={r.id} type="button" className={resolution === r.id ? "seg active" : "seg"} aria-pressed={resolution === r.id} onClick={() => setResolution(r.id)} data-testid={`resolution-${r.id}`}>
                {r.label}
              </button>
            ))}
          </div>
        </div>
      }
    >
      {!points || !chart ? (
        view.error ? (
          <ErrorBanner error={view.error} onRetry={() => void view.reload()} />
        ) : (
          <Loading label="Reading traffic…" />
        )
      ) : points.length === 0 ? (
        <p className="empty" data-testid="traffic-empty">
          No traffic recorded in this range.
        </p>
      ) : (
        <>
          <p className="dim small" data-testid="traffic-totals">
            {fmt.count(totals?.entries ?? 0)} entries · {fmt.count(totals?.exits ?? 0)} exits
          </p>
          <Chart config={chart} label="Entries and exits over time" tall />
        </>
      )}
    </Card>
  );
}
