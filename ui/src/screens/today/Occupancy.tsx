import { memo } from "react";
import { Gauge } from "../../components/Meter";
import { Card, StaleBadge } from "../../components/States";
import { useVenue } from "../../context";
import { gaugeLevel } from "../../lib/gauge";
import type { OccupancyNow } from "../../types";

const LEVEL_TEXT = { ok: "", warning: "Near capacity", critical: "At capacity", unknown: "" } as const;

// Memoised: a re-read that changed another card leaves this one alone (see sameOrNew).
export const OccupancyCard = memo(function OccupancyCard({ occupancy, now }: { occupancy: OccupancyNow; now: Date }) {
  const { fmt } = useVenue();
  const level = gaugeLevel(occupancy.share);
  return (
    <Card
      title="Inside now"
      className={`card-occupancy level-${level}`}
      testId="occupancy-card"
      actions={occupancy.stale && <StaleBadge title={`No fresh sensor reading since ${fmt.dateTime(occupancy.updated_at)}`} testId="occupancy-stale" />}
    >
      <div className="occupancy">
        <div className="occupancy-figure">
          <p className="big-number">
            <span data-testid="occupancy-now">{occupancy.now === null ? "—" : String(occupancy.now)}</span>
          </p>
          <p className="of-capacity">
            of <span data-testid="capacity">{String(occupancy.capacity)}</span> capacity
          </p>
          {LEVEL_TEXT[level] && <p className={`level-text level-text-${level}`}>{LEVEL_TEXT[level]}</p>}
        </div>
        <div className="occupancy-gauge">
          <Gauge share={occupancy.share} label={occupancy.share === null ? "No occupancy data" : `${fmt.percent(occupancy.share)} of capacity`} />
          <span className="gauge-value" data-testid="occupancy-share">
            {fmt.percent(occupancy.share)}
          </span>
        </div>
      </div>
      {occupancy.now === null ? (
        <p className="dim small">No sensor data yet. Occupancy appears once a door counter reports.</p>
      ) : (
        <p className="dim small" data-testid="occupancy-updated">
          Reading from {fmt.time(occupancy.updated_at)} ({fmt.ago(occupancy.updated_at, now)})
        </p>
      )}
      {occupancy.zones.length > 0 && (
        <ul className="zones">
          {occupancy.zones.map((z) => (
            <li key={z.zone}>
              <span className="zone-name">{z.zone}</span>
              <span className="zone-value">{fmt.count(z.occupancy)}</span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
});
