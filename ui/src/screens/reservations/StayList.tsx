import { ErrorBanner, Loading } from "../../components/States";
import { useVenue } from "../../context";
import { useView } from "../../hooks/useView";
import { TOPICS } from "../../lib/topics";
import type { StayKind } from "../../types";

const EMPTY: Record<StayKind, string> = {
  arrivals: "No arrivals on this day.",
  departures: "No departures on this day.",
  in_house: "Nobody is in house.",
};

/** Arrivals, departures or in-house guests for a venue-local date. */
export function StayList({ kind, date, selected, onOpen }: { kind: StayKind; date: string; selected: string | null; onOpen: (reservationId: string) => void }) {
  const { fmt } = useVenue();
  const view = useView((api) => api.stays(kind, date), TOPICS.stays, [kind, date]);

  if (view.error && !view.data) return <ErrorBanner error={view.error} onRetry={() => void view.reload()} />;
  if (!view.data) return <Loading label="Reading reservations…" />;
  if (view.data.length === 0) return <p className="empty" data-testid="stays-empty">{EMPTY[kind]}</p>;

  return (
    <>
      {view.error && <ErrorBanner error={view.error} title="Could not refresh the list" />}
      <table className="table table-click" data-testid="stays-table">
        <thead>
          <tr>
            <th>Guest</th>
            <th>Room</th>
            <th>{kind === "departures" ? "Departs" : "Arrives"}</th>
            <th>{kind === "departures" ? "Arrived" : "Departs"}</th>
            <th className="num col-guests">Guests</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {view.data.map((row) => (
            <tr
              key={row.reservation_id}
              className={row.reservation_id === selected ? "selected" : undefined}
              onClick={() => onOpen(row.reservation_id)}
              data-testid={`stay-${row.reservation_id}`}
            >
              <td>
                <button type="button" className="link" onClick={(e) => (e.stopPropagation(), onOpen(row.reservation_id))}>
                  <span data-testid="stay-guest">{row.guest_name ?? "Unnamed guest"}</span>
                </button>
                {row.vip && <span className="badge badge-info">VIP</span>}
                {row.has_note && <span className="badge badge-muted" title="Has a desk note">Note</span>}
              </td>
              <td>{row.room ?? <span className="dim">unassigned</span>}</td>
              <td title={fmt.dateTime(kind === "departures" ? row.end_utc : row.start_utc)}>
                {fmt.short(kind === "departures" ? row.end_utc : row.start_utc)}
              </td>
              <td title={fmt.dateTime(kind === "departures" ? row.start_utc : row.end_utc)}>
                {kind === "departures" ? fmt.dayOf(row.start_utc, "short") : fmt.short(row.end_utc)}
              </td>
              <td className="num col-guests">{row.person_count}</td>
              <td>{row.state}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
