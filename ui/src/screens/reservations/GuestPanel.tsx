import { useState } from "react";
import { ErrorBanner, Loading } from "../../components/States";
import { useVenue } from "../../context";
import { useView } from "../../hooks/useView";
import { TOPICS } from "../../lib/topics";
import type { StayRow } from "../../types";
import { ReservationDetail } from "./ReservationDetail";

/** The reservation to open first: in house, else the next one, else the latest. */
export function mostRelevant(rows: StayRow[], now: Date): StayRow | null {
  if (rows.length === 0) return null;
  const started = rows.find((r) => r.state === "Started");
  if (started) return started;
  const t = now.getTime();
  const upcoming = rows.filter((r) => new Date(r.end_utc).getTime() >= t).sort((a, b) => a.start_utc.localeCompare(b.start_utc));
  if (upcoming[0]) return upcoming[0];
  return [...rows].sort((a, b) => b.start_utc.localeCompare(a.start_utc))[0] ?? null;
}

/** A guest found by search: contact details, their reservations, and the most relevant one opened. */
export function GuestPanel({ customerId, onClose }: { customerId: string; onClose: () => void }) {
  const { fmt } = useVenue();
  const view = useView((api) => api.guest(customerId), TOPICS.reservation, [customerId]);
  const [chosen, setChosen] = useState<string | null>(null);
  const guest = view.data;

  if (!guest) {
    return <div className="detail">{view.error ? <ErrorBanner error={view.error} onRetry={() => void view.reload()} /> : <Loading label="Reading the guest…" />}</div>;
  }
  const open = chosen ?? mostRelevant(guest.reservations, new Date())?.reservation_id ?? null;

  return (
    <div className="guest-panel" data-testid="guest-detail">
      <header className="guest-head">
        <div>
          <strong data-testid="guest-name">{guest.name || "Unnamed guest"}</strong>
          <span className="dim small"> {[guest.email, guest.phone].filter(Boolean).join(" · ")}</span>
        </div>
        {guest.reservations.length > 1 && (
          <div className="segmented" role="group" aria-label="Reservations of this guest">
            {guest.reservations.map((r) => (
              <button key={r.reservation_id} type="button" className={r.reservation_id === open ? "seg active" : "seg"} onClick={() => setChosen(r.reservation_id)}>
                {r.number ?? fmt.dayOf(r.start_utc, "short")}
              </button>
            ))}
          </div>
        )}
      </header>
      {open ? (
        <ReservationDetail key={open} id={open} onClose={onClose} />
      ) : (
        <div className="detail">
          <p className="empty">No reservations for this guest.</p>
          <button type="button" className="btn-link" onClick={onClose}>
            Close
          </button>
        </div>
      )}
    </div>
  );
}
