import { memo } from "react";
import { Card } from "../../components/States";
import { useNav, useVenue } from "../../context";
import type { StayCounts } from "../../types";

// Memoised: a re-read that changed another card leaves this one alone (see sameOrNew).
export const StaysCard = memo(function StaysCard({ stays }: { stays: StayCounts }) {
  const { fmt } = useVenue();
  const { go } = useNav();
  const cells: Array<[string, number, string]> = [
    ["Arrivals", stays.arrivals, "arrivals-today"],
    ["Departures", stays.departures, "departures-today"],
    ["In house", stays.in_house, "in-house"],
    ["Rooms dirty", stays.rooms_dirty, "rooms-dirty"],
  ];
  return (
    <Card title="Stays" className="card-stays" actions={<button type="button" className="btn-link" onClick={() => go("reservations")}>Open reservations</button>}>
      <dl className="stat-grid">
        {cells.map(([label, value, id]) => (
          <div key={id} className={id === "rooms-dirty" && value > 0 ? "stat stat-warn" : "stat"}>
            <dt>{label}</dt>
            <dd>
              <span data-testid={id}>{fmt.count(value)}</span>
            </dd>
          </div>
        ))}
      </dl>
    </Card>
  );
});
