import { useState, type FormEvent } from "react";
import { toApiError } from "../../api";
import { Dialog } from "../../components/Dialog";
import { Card, ErrorBanner, Loading } from "../../components/States";
import { useApi, useVenue } from "../../context";
import { useView } from "../../hooks/useView";
import { agoText, storeTimeToIso, syncState, waitingText } from "../../lib/syncText";
import type { ApiError, JoinReport } from "../../types";

/** Settings > Hub (admins): join the group's hub with a one-time code, see how sync stands,
 * sync now, leave. Leaving keeps every row here; only the link and the device token go. */
export function HubSection() {
  const api = useApi();
  const { fmt } = useVenue();
  const view = useView((a) => a.syncStatus(), [], []);
  const [url, setUrl] = useState("");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [joined, setJoined] = useState<JoinReport | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmLeave, setConfirmLeave] = useState(false);

  const leave = () => {
    setConfirmLeave(false);
    void act(async () => {
      const r = await api.hubLeave();
      setJoined(null);
      setNotice(r.message ?? `Left ${r.hub_url}.`);
    });
  };

  const act = async (run: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await run();
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setBusy(false);
      void view.reload();
    }
  };

  const join = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      const report = await api.hubJoin(url.trim(), code.trim());
      setJoined(report);
      setCode("");
    });
  };

  const status = view.data;
  if (!status) {
    return (
      <Card title="Hub" testId="settings-hub">
        {view.error ? <ErrorBanner error={view.error} onRetry={() => void view.reload()} /> : <Loading label="Reading the sync status…" />}
      </Card>
    );
  }
  const state = syncState(status, Date.now());
  return (
    <Card title="Hub" className="card-hub" testId="settings-hub">
      {!status.joined ? (
        <form className="form-grid" onSubmit={join} noValidate>
          <p className="dim small">
            This console works on its own. Join your group’s hub to share this venue’s data with its other consoles and your managers: ask
            the hub’s operator for a one-time code (<code>venue-hub enroll</code>).
          </p>
          <label className="field">
            <span className="field-label">Hub address</span>
            <input value={url} placeholder="https://hub.example.com" onChange={(e) => setUrl(e.target.value)} data-testid="hub-url" />
          </label>
          <label className="field">
            <span className="field-label">Enrolment code</span>
            <input value={code} placeholder="ABCD-EFGH-JKMN" autoComplete="off" onChange={(e) => setCode(e.target.value)} data-testid="hub-code" />
          </label>
          <div className="row-actions">
            <button type="submit" disabled={busy || !url.trim() || !code.trim()} data-testid="hub-join">
              {busy ? "Joining…" : "Join hub"}
            </button>
          </div>
        </form>
      ) : (
        <>
          <dl className="kv" data-testid="hub-status">
            <div>
              <dt>Hub</dt>
              <dd>
                <code className="small">{status.hub_url}</code>
              </dd>
            </div>
            <div>
              <dt>Sync</dt>
              <dd data-testid="hub-state">
                {state.kind === "offline" ? (state.since ? `Offline since ${fmt.dateTime(state.since)}` : "Offline: never synced") : state.kind === "synced" ? agoText(state.secondsAgo) : ""}
              </dd>
            </div>
            <div>
              <dt>Waiting</dt>
              <dd data-testid="hub-waiting">
                {status.changes_waiting === 0 ? "nothing" : waitingText(status.changes_waiting)}
                {status.oldest_unsynced_age_seconds !== null && status.changes_waiting > 0 ? ` (oldest ${Math.round(status.oldest_unsynced_age_seconds / 60)} min)` : ""}
              </dd>
            </div>
            {status.clock_skew_ms !== null && (
              <div>
                <dt>Clock</dt>
                <dd data-testid="hub-skew">{Math.abs(status.clock_skew_ms) < 1000 ? "in step with the hub" : `${(status.clock_skew_ms / 1000).toFixed(1)} s ${status.clock_skew_ms > 0 ? "ahead of" : "behind"} the hub`}</dd>
              </div>
            )}
            {status.last_error && (
              <div>
                <dt>Last error</dt>
                <dd className="error-text" data-testid="hub-last-error">
                  {status.last_error} {status.last_error_at ? `(${fmt.dateTime(storeTimeToIso(status.last_error_at))})` : ""}
                </dd>
              </div>
            )}
          </dl>
          <div className="row-actions">
            <button type="button" disabled={busy} onClick={() => void act(async () => {
              const r = await api.syncNow();
              setNotice(`Synced: ${r.pushed} sent, ${r.pulled} received${r.conflicts ? `, ${r.conflicts} conflicts kept` : ""}${r.rejected ? `, ${r.rejected} refused` : ""}.`);
            })} data-testid="hub-sync-now">
              Sync now
            </button>
            <button type="button" className="btn-secondary" disabled={busy} onClick={() => setConfirmLeave(true)} data-testid="hub-leave">
              Leave hub
            </button>
          </div>
        </>
      )}
      {confirmLeave && (
        <Dialog title="Leave the hub?" onClose={() => setConfirmLeave(false)} testId="hub-leave-dialog">
          <p>This console keeps its data and works on its own; its changes stop going to the hub, and the venue’s other consoles stop seeing them.</p>
          <div className="row-actions">
            <button type="button" onClick={leave} data-testid="hub-leave-confirm">
              Leave hub
            </button>
            <button type="button" className="btn-secondary" onClick={() => setConfirmLeave(false)}>
              Stay
            </button>
          </div>
        </Dialog>
      )}
      {joined && (
        <p className="ok-text small" role="status" data-testid="hub-joined">
          Joined as {joined.venue_name}.{" "}
          {joined.token_to_set ? `No keyring here: set ${joined.token_env} to ${joined.token_to_set} for this console's syncs (shown once).` : "The device token is in the OS keyring."}
        </p>
      )}
      {notice && <p className="small" role="status" data-testid="hub-notice">{notice}</p>}
      {error && <ErrorBanner error={error} onDismiss={() => setError(null)} />}
    </Card>
  );
}
