import { useState, type FormEvent } from "react";
import { toApiError } from "../../api";
import { Card, ErrorBanner } from "../../components/States";
import { useApi, useVenue } from "../../context";
import { atLeast } from "../../lib/roles";
import type { ApiError, Venue, VenuePatch } from "../../types";

/** Checks a venue edit; returns the fields that changed, or a message. */
export function venuePatch(current: Venue, form: { name: string; timezone: string; currency: string; capacity: string; shareGuestContacts: boolean }): VenuePatch | string {
  const patch: VenuePatch = {};
  const name = form.name.trim();
  if (!name) return "The venue needs a name.";
  if (name !== current.name) patch.name = name;
  const timezone = form.timezone.trim();
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    return `“${timezone}” is not a timezone; use an IANA name such as Europe/Lisbon.`;
  }
  if (timezone !== current.timezone) patch.timezone = timezone;
  const currency = form.currency.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) return "The currency is a 3-letter ISO code such as EUR.";
  if (currency !== current.currency) patch.currency = currency;
  if (!/^\d+$/.test(form.capacity.trim()) || Number(form.capacity) < 1) return "Capacity is a whole number of people, at least 1.";
  const capacity = Number(form.capacity);
  if (capacity !== current.capacity) patch.capacity = capacity;
  if (form.shareGuestContacts !== current.share_guest_contacts) patch.shareGuestContacts = form.shareGuestContacts;
  return patch;
}

export function VenueSection({ venue, onSaved }: { venue: Venue; onSaved: () => void }) {
  const api = useApi();
  const { session, refreshVenue } = useVenue();
  const admin = atLeast(session.role, "admin");
  const [form, setForm] = useState({
    name: venue.name,
    timezone: venue.timezone,
    currency: venue.currency,
    capacity: String(venue.capacity),
    shareGuestContacts: venue.share_guest_contacts,
  });
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    setError(null);
    const patch = venuePatch(venue, form);
    if (typeof patch === "string") {
      setProblem(patch);
      return;
    }
    setProblem(null);
    if (Object.keys(patch).length === 0) {
      setProblem("Nothing changed.");
      return;
    }
    setBusy(true);
    try {
      await api.updateVenue(patch);
      setSaved(true);
      refreshVenue();
      onSaved();
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  const field = (key: "name" | "timezone" | "currency" | "capacity", label: string, extra: Record<string, unknown> = {}) => (
    <label className="field">
      <span className="field-label">{label}</span>
      <input value={form[key]} readOnly={!admin} onChange={(e) => setForm((f) => ({ ...f, [key]: e.target.value }))} data-testid={`venue-${key}`} {...extra} />
    </label>
  );

  return (
    <Card title="Venue" className="card-venue-settings" testId="settings-venue">
      <form className="form-grid" onSubmit={submit} noValidate>
        {field("name", "Name")}
        {field("timezone", "Timezone (IANA)")}
        {field("currency", "Currency", { maxLength: 3 })}
        {field("capacity", "Capacity (people)", { inputMode: "numeric" })}
        <label className="field field-check">
          <input
            type="checkbox"
            checked={form.shareGuestContacts}
            disabled={!admin}
            onChange={(e) => setForm((f) => ({ ...f, shareGuestContacts: e.target.checked }))}
            data-testid="venue-share-guest-contacts"
          />
          <span className="field-label">Share guests’ email and phone</span>
          <span className="dim small">
            When on, guests’ email addresses and phone numbers go to the hub and this venue’s other consoles. When off, they stay on this
            computer; names and stays are shared either way.
          </span>
        </label>
        {admin ? (
          <div className="row-actions">
            <button type="submit" disabled={busy} data-testid="venue-save">
              {busy ? "Saving…" : "Save venue"}
            </button>
            {saved && <span className="ok-text small" role="status">Saved.</span>}
          </div>
        ) : (
          <p className="dim small">Only an admin can change the venue.</p>
        )}
      </form>
      {problem && <p className="field-error" role="alert">{problem}</p>}
      {error && <ErrorBanner error={error} onDismiss={() => setError(null)} />}
    </Card>
  );
}
