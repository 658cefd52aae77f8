import { useState, type FormEvent } from "react";
import { toApiError } from "../../api";
import { Card, ErrorBanner, Loading } from "../../components/States";
import { useApi, useVenue } from "../../context";
import { useView } from "../../hooks/useView";
import { atLeast } from "../../lib/roles";
import type { ApiError, NotificationPrefsView, Severity } from "../../types";

/** The view reloads when anyone's preferences change (saved here or in another window). */
const PREFS_TOPICS = ["notification_prefs"] as const;

const SEVERITIES: ReadonlyArray<{ value: Severity; label: string }> = [
  { value: "info", label: "Info and above (everything)" },
  { value: "warning", label: "Warning and above" },
  { value: "critical", label: "Critical only" },
];

export interface PrefsForm {
  enabled: boolean;
  minSeverity: Severity;
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Checks the form the way the core does; returns the preferences to send, or a message. */
export function prefsFromForm(form: PrefsForm): NotificationPrefsView | string {
  if (!form.quiet) {
    return { enabled: form.enabled, min_severity: form.minSeverity, quiet_hours_start: null, quiet_hours_end: null };
  }
  const start = form.quietStart.trim();
  const end = form.quietEnd.trim();
  for (const [which, value] of [["start", start], ["end", end]] as const) {
    if (!HHMM.test(value)) return `Quiet hours ${which} “${value}” is not a time of day: use HH:MM, from 00:00 to 23:59.`;
  }
  if (start === end) return "Quiet hours that start and end at the same time are empty: untick quiet hours instead.";
  return { enabled: form.enabled, min_severity: form.minSeverity, quiet_hours_start: start, quiet_hours_end: end };
}

function formFrom(prefs: NotificationPrefsView): PrefsForm {
  return {
    enabled: prefs.enabled,
    minSeverity: prefs.min_severity,
    quiet: prefs.quiet_hours_start !== null && prefs.quiet_hours_end !== null,
    quietStart: prefs.quiet_hours_start ?? "22:00",
    quietEnd: prefs.quiet_hours_end ?? "07:00",
  };
}

function PrefsEditor({ prefs, onSaved }: { prefs: NotificationPrefsView; onSaved: () => void }) {
  const api = useApi();
  const { venue } = useVenue();
  const [form, setForm] = useState<PrefsForm>(() => formFrom(prefs));
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const edit = (patch: Partial<PrefsForm>) => {
    setSaved(false);
    setForm((f) => ({ ...f, ...patch }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const checked = prefsFromForm(form);
    if (typeof checked === "string") {
      setProblem(checked);
      return;
    }
    setProblem(null);
    setBusy(true);
    try {
      await api.setNotificationPrefs(checked);
      setSaved(true);
      onSaved();
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form-grid" onSubmit={submit} noValidate data-testid="notify-form">
      <p className="dim small">
        Alerts pop up on this computer for whoever signed in here last, also while the console is locked. Each alert shows once, and again
        after its rule’s cool-down while nobody has acknowledged it. A click opens the alert’s screen.
      </p>
      <label className="field field-inline">
        <input type="checkbox" checked={form.enabled} onChange={(e) => edit({ enabled: e.target.checked })} data-testid="notify-enabled" />
        <span>Show desktop notifications for alerts</span>
      </label>
      <label className="field">
        <span className="field-label">Minimum severity</span>
        <select value={form.minSeverity} disabled={!form.enabled} onChange={(e) => edit({ minSeverity: e.target.value as Severity })} data-testid="notify-severity">
          {SEVERITIES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field field-inline">
        <input type="checkbox" checked={form.quiet} disabled={!form.enabled} onChange={(e) => edit({ quiet: e.target.checked })} data-testid="notify-quiet" />
        <span>Quiet hours (venue time, {venue.timezone})</span>
      </label>
      <div className="inline-form">
        <label className="field">
          <span className="field-label">From</span>
          <input value={form.quietStart} disabled={!form.enabled || !form.quiet} placeholder="22:00" maxLength={5} inputMode="numeric" onChange={(e) => edit({ quietStart: e.target.value })} data-testid="notify-quiet-start" />
        </label>
        <label className="field">
          <span className="field-label">To</span>
          <input value={form.quietEnd} disabled={!form.enabled || !form.quiet} placeholder="07:00" maxLength={5} inputMode="numeric" onChange={(e) => edit({ quietEnd: e.target.value })} data-testid="notify-quiet-end" />
        </label>
      </div>
      <div className="row-actions">
        <button type="submit" disabled={busy} data-testid="notify-save">
          {busy ? "Saving…" : "Save notifications"}
        </button>
        {saved && (
          <span className="ok-text small" role="status" data-testid="notify-saved">
            Saved.
          </span>
        )}
      </div>
      {problem && (
        <p className="field-error" role="alert" data-testid="notify-problem">
          {problem}
        </p>
      )}
      {error && <ErrorBanner error={error} onDismiss={() => setError(null)} />}
    </form>
  );
}

/**
 * Desktop notification preferences of the signed-in manager or admin (their own account):
 * on/off, minimum severity and quiet hours. Takes no props; reads the session from context.
 */
export function NotificationsSection() {
  const { session } = useVenue();
  const manager = atLeast(session.role, "manager");
  const view = useView((api) => (manager ? api.notificationPrefs() : Promise.resolve(null)), PREFS_TOPICS, [session.staff_id, manager]);

  return (
    <Card title="Desktop notifications" className="card-notifications" testId="settings-notifications">
      {!manager ? (
        <p className="dim">Desktop notifications are for managers and admins.</p>
      ) : view.data ? (
        // Keyed by account, not by the data: a reload after saving keeps the form and its "Saved."
        <PrefsEditor key={session.staff_id} prefs={view.data} onSaved={() => void view.reload()} />
      ) : view.error ? (
        <ErrorBanner error={view.error} onRetry={() => void view.reload()} />
      ) : (
        <Loading label="Reading your notification settings…" lines={3} />
      )}
    </Card>
  );
}
