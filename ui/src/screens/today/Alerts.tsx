import { useState, memo } from "react";
import { toApiError } from "../../api";
import { Badge, Card, ErrorBanner } from "../../components/States";
import { useApi, useVenue } from "../../context";
import { severityTone } from "../../lib/labels";
import { atLeast } from "../../lib/roles";
import type { AlertView, ApiError } from "../../types";

// Memoised: a re-read that changed another card leaves this one alone (see sameOrNew).
export const AlertsCard = memo(function AlertsCard({ alerts, now, onChanged }: { alerts: AlertView[]; now: Date; onChanged: () => void }) {
  const api = useApi();
  const { fmt, session } = useVenue();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const open = alerts.filter((a) => a.state === "open").length;

  const act = async (id: string, action: "ack" | "resolve") => {
    setBusy(id);
    setError(null);
    try {
      await (action === "ack" ? api.acknowledgeAlert(id) : api.resolveAlert(id));
      onChanged();
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Card title={open ? `Alerts · ${open} open` : "Alerts"} className="card-alerts">
      {error && <ErrorBanner error={error} onDismiss={() => setError(null)} />}
      {/* The list's test id stays on screen when it is empty, so "no alerts" is observable. */}
      <div data-testid="alerts-list">
      {alerts.length === 0 ? (
        <p className="empty" data-testid="alerts-empty">
          No open alerts.
        </p>
      ) : (
        <ul className="alerts">
          {alerts.map((alert) => (
            <li key={alert.id} className={`alert alert-${alert.severity} alert-${alert.state}`} data-testid={`alert-${alert.id}`}>
              <div className="alert-head">
                <Badge tone={severityTone(alert.severity)}>{alert.severity}</Badge>
                <strong className="alert-title">{alert.title}</strong>
                <span className="dim small" title={fmt.dateTime(alert.opened_at)}>
                  {fmt.time(alert.opened_at)} · {fmt.ago(alert.opened_at, now)}
                </span>
              </div>
              {alert.body && <p className="alert-body">{alert.body}</p>}
              <div className="alert-foot">
                {alert.state === "open" ? (
                  <button type="button" className="btn-small" disabled={busy === alert.id} onClick={() => void act(alert.id, "ack")} data-testid={`ack-${alert.id}`}>
                    Acknowledge
                  </button>
                ) : (
                  <span className="dim small" data-testid={`alert-state-${alert.id}`}>
                    {alert.state === "acknowledged"
                      ? `Acknowledged${alert.acknowledged_by ? ` by ${alert.acknowledged_by}` : ""} at ${fmt.time(alert.acknowledged_at)}`
                      : `Resolved at ${fmt.time(alert.resolved_at)}`}
                  </span>
                )}
                {atLeast(session.role, "manager") && alert.state !== "resolved" && (
                  <button type="button" className="btn-small btn-secondary" disabled={busy === alert.id} onClick={() => void act(alert.id, "resolve")} data-testid={`resolve-${alert.id}`}>
                    Resolve
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      </div>
    </Card>
  );
});
