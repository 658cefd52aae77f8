import { memo } from "react";
import { Badge, Card, StaleBadge } from "../../components/States";
import { SyncLine } from "../../components/SyncBadge";
import { useNav, useVenue } from "../../context";
import { breakerLabel, breakerTone, socketTone, syncText } from "../../lib/labels";
import type { Health } from "../../types";

// Memoised: a re-read that changed another card leaves this one alone (see sameOrNew).
export const HealthCard = memo(function HealthCard({ health }: { health: Health }) {
  const { fmt } = useVenue();
  const { go } = useNav();
  const s = health.sensors;
  return (
    <Card title="Health" className="card-health" actions={<button type="button" className="btn-link" onClick={() => go("connections")}>Connections</button>}>
      <div className="health-row">
        <span className="health-label">Sales connectors</span>
        <div className="chips" data-testid="connector-health">
          {health.connectors.length === 0 && <span className="dim">None configured</span>}
          {health.connectors.map((c) => (
            <span key={c.name} className={`chip chip-${breakerTone(c.breaker)}`} title={c.last_error ?? `Last run ${fmt.dateTime(c.last_snapshot?.finished_at ?? c.last_snapshot?.started_at)}`}>
              <span data-testid={`connector-${c.name}`}>{`${c.name}: ${breakerLabel(c.breaker)}`}</span>
              {c.stale && <StaleBadge title={`No finished run within 2 × ${c.interval_minutes} min`} testId={`connector-stale-${c.name}`} />}
            </span>
          ))}
        </div>
      </div>
      <div className="health-row">
        <span className="health-label">PMS</span>
        {health.pms ? (
          <span className={`chip chip-${socketTone(health.pms.socket)}`}>
            <span data-testid="pms-socket">{`${health.pms.name}: ${health.pms.socket}`}</span>
          </span>
        ) : (
          <span className="dim">Not configured</span>
        )}
        {health.pms && health.pms.failed_charges > 0 && (
          <Badge tone="crit" testId="pms-failed-charges">{`${health.pms.failed_charges} failed charge${health.pms.failed_charges === 1 ? "" : "s"}`}</Badge>
        )}
      </div>
      <div className="health-row">
        <span className="health-label">Sensors</span>
        {s.total === 0 ? (
          <span className="dim">None configured</span>
        ) : (
          <span data-testid="sensors-health">
            {`${s.online} online`}
            {s.offline > 0 && ` · ${s.offline} offline`}
            {s.auth_failed > 0 && ` · ${s.auth_failed} sign-in failed`}
            {s.unknown > 0 && ` · ${s.unknown} unknown`}
          </span>
        )}
        {s.offline + s.auth_failed > 0 && <Badge tone="crit">attention</Badge>}
      </div>
      <div className="health-row">
        <span className="health-label">Sync</span>
        {health.sync.hub_configured ? (
          <SyncLine fallback={syncText(health.sync, fmt.count)} />
        ) : (
          <span data-testid="sync-status">{syncText(health.sync, fmt.count)}</span>
        )}
      </div>
    </Card>
  );
});
