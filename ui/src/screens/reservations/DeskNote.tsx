import { useEffect, useRef, useState } from "react";
import { toApiError } from "../../api";
import { ErrorBanner } from "../../components/States";
import { useApi, useVenue } from "../../context";
import type { ApiError, DeskNoteView } from "../../types";

/** The front desk's own note on a reservation (kept locally, never sent to the PMS). */
export function DeskNoteEditor({ reservationId, note }: { reservationId: string; note: DeskNoteView | null }) {
  const api = useApi();
  const { fmt } = useVenue();
  const [saved, setSaved] = useState<DeskNoteView | null>(note);
  const [draft, setDraft] = useState(note?.text ?? "");
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  // Whether someone is editing, read when a reload lands. A ref, not the render's `dirty`: a
  // reload's effect can run just after a keystroke was handled, and the render it belongs to
  // still thinks nobody is typing (it replaced the draft being typed, seen on a loaded machine).
  const editing = useRef(false);

  // A reload brings the stored note; it replaces the text only while nobody is editing it.
  useEffect(() => {
    setSaved(note);
    setDraft((current) => (editing.current ? current : (note?.text ?? "")));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [note?.text, note?.written_at]);

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await api.setDeskNote(reservationId, draft);
      setSaved(result);
      setDraft(result.text);
      editing.current = false;
      setDirty(false);
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="detail-section">
      <h3>Desk note</h3>
      <textarea
        className="note-input"
        rows={3}
        value={draft}
        placeholder="A note for the front desk (not sent to the PMS)"
        onChange={(e) => {
          editing.current = true;
          setDraft(e.target.value);
          setDirty(true);
        }}
        data-testid="note-input"
      />
      <div className="row-actions">
        <button type="button" onClick={() => void save()} disabled={busy || !dirty} data-testid="note-save">
          {busy ? "Saving…" : "Save note"}
        </button>
        <span className="dim small" data-testid="note-meta">
          {dirty ? "Unsaved changes" : saved ? `Written by ${saved.written_by}, ${fmt.dateTime(saved.written_at)}` : "No note yet"}
        </span>
      </div>
      {error && <ErrorBanner error={error} onDismiss={() => setError(null)} />}
    </section>
  );
}
