import { useState, type FormEvent } from "react";
import { toApiError } from "../../api";
import { Badge, ErrorBanner } from "../../components/States";
import { useApi, useVenue } from "../../context";
import { chargeTone } from "../../lib/labels";
import { parseMajorToMinor } from "../../lib/money";
import type { ApiError, ChargeView } from "../../types";

function ChargeState({ charge }: { charge: ChargeView }) {
  return (
    <span className="charge-state">
      <Badge tone={chargeTone(charge.state)} testId={`charge-state-${charge.id}`}>
        {charge.state}
      </Badge>
      {charge.attempts > 1 && <span className="dim small"> {charge.attempts} attempts</span>}
      {charge.last_error && <span className="charge-error small">{charge.last_error}</span>}
    </span>
  );
}

/** Merges charges posted here (the answer to post_charge) into the loaded list until it has them. */
export function mergeCharges(loaded: ChargeView[], posted: ChargeView[]): ChargeView[] {
  const known = new Set(loaded.map((c) => c.id));
  return [...posted.filter((c) => !known.has(c.id)), ...loaded];
}

/** Charges on the reservation, and the form that posts a new one to the PMS. */
export function Charges({ reservationId, charges, onPosted }: { reservationId: string; charges: ChargeView[]; onPosted: () => void }) {
  const api = useApi();
  const { fmt, venue } = useVenue();
  const [item, setItem] = useState("");
  const [amount, setAmount] = useState("");
  const [posted, setPosted] = useState<ChargeView[]>([]);
  const [last, setLast] = useState<ChargeView | null>(null);
  const [invalid, setInvalid] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const currency = venue.currency;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const name = item.trim();
    if (!name) {
      setInvalid("Say what the charge is for.");
      return;
    }
    const parsed = parseMajorToMinor(amount, currency);
    if (!parsed.ok) {
      setInvalid(parsed.message);
      return;
    }
    setInvalid(null);
    setBusy(true);
    try {
      const charge = await api.postCharge(reservationId, name, parsed.minor);
      setPosted((p) => [charge, ...p.filter((c) => c.id !== charge.id)]);
      setLast(charge);
      setItem("");
      setAmount("");
      onPosted();
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  // The newest state of the charge just posted: from the reloaded list once it has it.
  const rows = mergeCharges(charges, posted);
  const lastNow = last ? (rows.find((c) => c.id === last.id) ?? last) : null;

  return (
    <section className="detail-section">
      <h3>Charges</h3>
      {rows.length === 0 ? (
        <p className="empty">No charges posted from the console.</p>
      ) : (
        <ul className="charges" data-testid="charges">
          {rows.map((c) => (
            // Two ids on purpose: charge-row-<id> for the row, charge-<id> for its text.
            <li key={c.id} data-testid={`charge-row-${c.id}`}>
              <div className="charge" data-testid={`charge-${c.id}`}>
                <span className="charge-item">{c.item}</span>
                <span className="charge-amount num">{fmt.money(c.amount_minor, c.currency)}</span>
                <ChargeState charge={c} />
                <span className="charge-time dim small">{fmt.short(c.created_at)}</span>
              </div>
            </li>
          ))}
        </ul>
      )}
      <form className="charge-form" onSubmit={submit} noValidate>
        <label className="field field-grow">
          <span className="field-label">Item</span>
          <input value={item} onChange={(e) => setItem(e.target.value)} maxLength={120} placeholder="e.g. Minibar" data-testid="charge-item" />
        </label>
        <label className="field field-amount">
          <span className="field-label">Amount ({currency})</span>
          <input value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="decimal" placeholder="0.00" data-testid="charge-amount" />
        </label>
        <button type="submit" disabled={busy} data-testid="charge-submit">
          {busy ? "Posting…" : "Post charge"}
        </button>
      </form>
      {invalid && (
        <p className="field-error" role="alert">
          <span data-testid="charge-invalid">{invalid}</span>
        </p>
      )}
      {error && <ErrorBanner error={error} title="The charge was not posted" onDismiss={() => setError(null)} />}
      {lastNow && (
        <p className="charge-result" role="status" data-testid="charge-result">
          Posted {lastNow.item} {fmt.money(lastNow.amount_minor, lastNow.currency)}: <ChargeState charge={lastNow} />
        </p>
      )}
    </section>
  );
}
