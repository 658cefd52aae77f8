import { useState } from "react";
import { toApiError } from "../api";
import { MeterBar } from "../components/Meter";
import { Badge, Card, ErrorBanner, Loading, StaleBadge } from "../components/States";
import { useApi, useVenue } from "../context";
import { useView } from "../hooks/useView";
import { breakerLabel, breakerTone, snapshotTone, socketTone } from "../lib/labels";
import { TOPICS } from "../lib/topics";
import type { ApiError, ConnectorHealth, PmsHealth, Snapshot } from "../types";

/** Sales connectors, the PMS link and recent runs: breakers, errors, rate limits, latency. */
export function Connections() {
  const view = useView((api) => api.connections(), TOPICS.connections, []);
  const data = view.data;
  return (
    <div className="screen screen-connections">
      <div className="screen-head">
        <h2 className="screen-title">Connections</h2>
      </div>
      {!data ? (
        view.error ? (
          <ErrorBanner error={view.error} onRetry={() => void view.reload()} />
        ) : (
          <Loading label="Reading connections…" lines={5} />
        )
      ) : (
        <>
          {view.error && <ErrorBanner error={view.error} title="Could not refresh; showing the last reading" />}
          {data.connectors.length === 0 && !data.pms ? (
            <div className="empty card" data-testid="connections-empty">
              <strong>No connectors configured</strong> — add a <code>[[connector]]</code> or <code>[pms]</code> block to <code>venue.toml</code>.
            </div>
          ) : (
            <div className="connection-grid">
              {data.connectors.map((c) => (
                <ConnectorCard key={c.name} connector={c} />
              ))}
              {data.pms && <PmsCard pms={data.pms} />}
            </div>
          )}
          <RecentRuns runs={data.recent_runs} />
        </>
      )}
    </div>
  );
}

function SnapshotLine({ snapshot }: { snapshot: Snapshot | null }) {
  const { fmt } = useVenue();
  if (!snapshot) return <span className="dim">No runs yet</span>;
  return (
    <span>
      <Badge tone={snapshotTone(snapshot.status)}>{snapshot.status}</Badge> {fmt.dateTime(snapshot.finished_at ?? snapshot.started_at)} ·{" "}
      {fmt.count(snapshot.records_written)}/{fmt.count(snapshot.records_seen)} records
    </span>
  );
}

function FetchNow({ name }: { name: string }) {
  const api = useApi();
  const [state, setState] = useState<"idle" | "busy" | "asked">("idle");
  const [error, setError] = useState<ApiError | null>(null);
  const run = async () => {
    setState("busy");
    setError(null);
    try {
      await api.fetchNow(name);
      setState("asked");
    } catch (reason) {
      setError(toApiError(reason));
      setState("idle");
    }
  };
  return (
    <div className="fetch-now">
      <button type="button" className="btn-secondary btn-small" disabled={state === "busy"} onClick={() => void run()} data-testid={`fetch-now-${name}`}>
        {state === "busy" ? "Asking…" : "Fetch now"}
      </button>
      {state === "asked" && (
        <span className="dim small" role="status" data-testid={`fetch-asked-${name}`}>
          Requested; the result appears here when the run finishes.
        </span>
      )}
      {error && <ErrorBanner error={error} onDismiss={() => setError(null)} />}
    </div>
  );
}

function ConnectorCard({ connector: c }: { connector: ConnectorHealth }) {
  const { fmt } = useVenue();
  const pressureTone = c.rate_limit_pressure >= 0.25 ? "crit" : c.rate_limit_pressure >= 0.1 ? "warn" : "ok";
  return (
    <Card
      title={
        <>
          {c.name} <span className="dim small">{c.kind}</span>
        </>
      }
      className={`card-connection tone-${breakerTone(c.breaker)}`}
      testId={`connection-${c.name}`}
      actions={
        <>
          {c.stale && <StaleBadge title={`No finished run within 2 × ${c.interval_minutes} min`} testId={`connection-stale-${c.name}`} />}
          <Badge tone={breakerTone(c.breaker)} testId={`breaker-${c.name}`} title="Circuit breaker">
            {breakerLabel(c.breaker)}
          </Badge>
        </>
      }
    >
      <dl className="kv">
        <div>
          <dt>Every</dt>
          <dd>{c.interval_minutes} min</dd>
        </div>
        <div>
          <dt>Failures in a row</dt>
          <dd>
            <span data-testid={`failures-${c.name}`}>{c.consecutive_failures}</span>
            {c.opened_at && <span className="dim small"> · open since {fmt.time(c.opened_at)}</span>}
          </dd>
        </div>
        <div>
          <dt>Last run</dt>
          <dd>
            <SnapshotLine snapshot={c.last_snapshot} />
          </dd>
        </div>
        <div>
          <dt>Last error</dt>
          <dd className="wrap">{c.last_error ? <span className="error-text" data-testid={`last-error-${c.name}`}>{c.last_error}</span> : <span className="dim">none</span>}</dd>
        </div>
        <div>
          <dt>Rate limit</dt>
          <dd className="meter-row">
            <MeterBar value={c.rate_limit_pressure} tone={pressureTone} label={`Rate-limit pressure ${fmt.percent(c.rate_limit_pressure)}`} />
            <span className="small">
              {fmt.percent(c.rate_limit_pressure)} · {c.rate_limit_hits} of {c.requests} requests
            </span>
          </dd>
        </div>
        <div>
          <dt>Latency p95</dt>
          <dd>{c.latency_p95_ms === null ? "—" : `${fmt.count(Math.round(c.latency_p95_ms))} ms`}</dd>
        </div>
        <div>
          <dt>Requests</dt>
          <dd className="small">
            {fmt.count(c.requests)} · {fmt.count(c.failures)} failed · {fmt.count(c.retries)} retried
          </dd>
        </div>
      </dl>
      <FetchNow name={c.name} />
    </Card>
  );
}

function PmsCard({ pms }: { pms: PmsHealth }) {
  const { fmt } = useVenue();
  return (
    <Card
      title={
        <>
          {pms.name} <span className="dim small">PMS · {pms.kind}</span>
        </>
      }
      className={`card-connection tone-${socketTone(pms.socket)}`}
      testId="connection-pms"
      actions={
        <Badge tone={breakerTone(pms.breaker)} testId={`breaker-${pms.name}`} title="Circuit breaker">
          {breakerLabel(pms.breaker)}
        </Badge>
      }
    >
      <dl className="kv">
        <div>
          <dt>Live socket</dt>
          <dd>
            <Badge tone={socketTone(pms.socket)} testId="pms-socket-state">
              {pms.socket}
            </Badge>
            {pms.socket_since && <span className="dim small"> since {fmt.dateTime(pms.socket_since)}</span>}
          </dd>
        </div>
        <div>
          <dt>Last sync</dt>
          <dd>
            <SnapshotLine snapshot={pms.last_snapshot} />
          </dd>
        </div>
        <div>
          <dt>Charges</dt>
          <dd>
            <span data-testid="pms-pending">{pms.pending_charges} pending</span> ·{" "}
            <span className={pms.failed_charges > 0 ? "error-text" : undefined} data-testid="pms-failed">
              {pms.failed_charges} failed
            </span>
          </dd>
        </div>
        <div>
          <dt>Last error</dt>
          <dd className="wrap">{pms.last_error ? <span className="error-text">{pms.last_error}</span> : <span className="dim">none</span>}</dd>
        </div>
      </dl>
    </Card>
  );
}

function RecentRuns({ runs }: { runs: Snapshot[] }) {
  const { fmt } = useVenue();
  return (
    <Card title="Recent runs" className="card-runs">
      {runs.length === 0 ? (
        <p className="empty">No runs yet.</p>
      ) : (
        <table className="table table-compact" data-testid="recent-runs">
          <thead>
            <tr>
              <th>Started</th>
              <th>Connector</th>
              <th>Status</th>
              <th className="num">Written / seen</th>
              <th>Correlation id</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id}>
                <td>{fmt.dateTime(r.started_at)}</td>
                <td>{r.connector}</td>
                <td>
                  <Badge tone={snapshotTone(r.status)}>{r.status}</Badge>
                </td>
                <td className="num">
                  {fmt.count(r.records_written)} / {fmt.count(r.records_seen)}
                </td>
                <td>
                  <code className="small">{r.correlation_id}</code>
                </td>
                <td className="small wrap">{r.error ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
