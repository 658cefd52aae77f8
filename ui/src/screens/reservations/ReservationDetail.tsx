import { Badge, ErrorBanner, Loading } from "../../components/States";
import { useVenue } from "../../context";
import { useView } from "../../hooks/useView";
import { TOPICS } from "../../lib/topics";
import { Charges } from "./Charges";
import { DeskNoteEditor } from "./DeskNote";

/** One reservation: guest, room, dates, state, notes, desk note and charges. */
export function ReservationDetail({ id, onClose }: { id: string; onClose?: () => void }) {
  const { fmt } = useVenue();
  const view = useView((api) => api.reservation(id), TOPICS.reservation, [id]);
  const data = view.data;

  if (!data) {
    return (
      <div className="detail" data-testid="reservation-loading">
        {view.error ? <ErrorBanner error={view.error} onRetry={() => void view.reload()} /> : <Loading label="Reading the reservation…" />}
      </div>
    );
  }

  const { stay } = data;
  return (
    <article className="detail" data-testid="reservation-detail" aria-label="Reservation">
      <header className="detail-head">
        <div>
          <h2 className="detail-title">
            <span data-testid="detail-guest">{stay.guest_name ?? "Unnamed guest"}</span>
          </h2>
          <p className="dim">
            {stay.number ? `Reservation #${stay.number}` : "Reservation"} · <span data-testid="detail-state">{stay.state}</span>
            {stay.vip && (
              <>
                {" "}
                <Badge tone="info">VIP</Badge>
              </>
            )}
          </p>
        </div>
        {onClose && (
          <button type="button" className="btn-link" onClick={onClose} aria-label="Close the reservation" data-testid="detail-close">
            Close ✕
          </button>
        )}
      </header>
      {view.error && <ErrorBanner error={view.error} title="Could not refresh; showing the last reading" />}
      <dl className="facts">
        <div>
          <dt>Room</dt>
          <dd>
            <span data-testid="detail-room">{stay.room ?? "Unassigned"}</span>
          </dd>
        </div>
        <div>
          <dt>Arrival</dt>
          <dd>{fmt.dateTime(stay.start_utc)}</dd>
        </div>
        <div>
          <dt>Departure</dt>
          <dd>{fmt.dateTime(stay.end_utc)}</dd>
        </div>
        <div>
          <dt>Guests</dt>
          <dd>{stay.person_count}</dd>
        </div>
        <div>
          <dt>Email</dt>
          <dd>{stay.email ?? "—"}</dd>
        </div>
        <div>
          <dt>Phone</dt>
          <dd>{stay.phone ?? "—"}</dd>
        </div>
      </dl>
      <section className="detail-section">
        <h3>Notes from the PMS</h3>
        {data.notes_from_pms ? <p className="pms-notes">{data.notes_from_pms}</p> : <p className="empty">None.</p>}
      </section>
      <DeskNoteEditor reservationId={stay.reservation_id} note={data.desk_note} />
      <Charges reservationId={stay.reservation_id} charges={data.charges} onPosted={() => void view.reload()} />
    </article>
  );
}
