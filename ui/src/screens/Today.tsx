import { useCallback, useDeferredValue, useEffect, useMemo, useState, type ReactNode } from "react";
import { Chart } from "../components/Chart";
import { Card, ErrorBanner, Loading, StaleBadge } from "../components/States";
import { useVenue } from "../context";
import { useView } from "../hooks/useView";
import { curveChart } from "../lib/charts";
import { markOnce } from "../lib/timing";
import { TOPICS } from "../lib/topics";
import { AlertsCard } from "./today/Alerts";
import { HealthCard } from "./today/Health";
import { OccupancyCard } from "./today/Occupancy";
import { StaysCard } from "./today/Stays";
import { SalesCard } from "./today/TodaySales";

/** How often the clock and stale badges are re-evaluated, and the longest a Today view is kept. */
export const TICK_MS = 30_000;
export const MAX_AGE_MS = 60_000;

/** The default screen: occupancy, sales, stays, alerts and health at a glance. */
export function Today() {
  const { fmt } = useVenue();
  const view = useView(
    async (api) => {
      markOnce("today-asked");
      const today = await api.today();
      markOnce("today-answered");
      return today;
    },
    TOPICS.today,
    [],
  );
  const [now, setNow] = useState(() => new Date());

  // No polling of the backend: the view reloads on store-changed. This timer only moves the
  // clock and re-reads today() when the view is older than a minute, so stale badges (which
  // the core decides) catch up even when no event arrives.
  const { loadedAt, reload } = view;
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(new Date());
      if (loadedAt !== null && Date.now() - loadedAt >= MAX_AGE_MS) void reload();
    }, TICK_MS);
    return () => clearInterval(timer);
  }, [loadedAt, reload]);

  const data = view.data;
  // The numbers first: occupancy and sales render with the answer, the curve, stays, alerts
  // and health a moment later in a render React may interrupt (at sign-in they are most of
  // the first render's cost, and on a re-read they never hold up a changed count).
  const settled = useDeferredValue(data);
  const alertsChanged = useCallback(() => void reload(), [reload]);
  // After the DOM holds the numbers (the bench reads this mark).
  useEffect(() => {
    if (data) markOnce("today-data");
  }, [data]);
  const chart = useMemo(() => (settled ? curveChart(settled.curve.today, settled.curve.last_week, fmt) : null), [settled, fmt]);

  if (!data) {
    return (
      <div className="screen">
        <ScreenTitle />
        {view.error ? <ErrorBanner error={view.error} onRetry={() => void reload()} /> : <Loading label="Reading today…" lines={6} />}
      </div>
    );
  }

  const staleConnectors = data.health.connectors.filter((c) => c.stale).map((c) => c.name);
  const stale = data.occupancy.stale || staleConnectors.length > 0;
  const staleWhy = [
    data.occupancy.stale ? `occupancy last read ${fmt.ago(data.occupancy.updated_at, now)}` : null,
    staleConnectors.length ? `no recent run from ${staleConnectors.join(", ")}` : null,
  ]
    .filter(Boolean)
    .join("; ");

  return (
    <div className="screen screen-today">
      <ScreenTitle>
        <span className="dim">{fmt.date(data.date, "full")}</span>
        {stale && <StaleBadge title={`Some data is stale: ${staleWhy}`} />}
        {stale && <span className="dim small">{staleWhy}</span>}
      </ScreenTitle>
      {view.error && <ErrorBanner error={view.error} title="Could not refresh; showing the last reading" onRetry={() => void reload()} />}
      <div className="today-grid">
        <OccupancyCard occupancy={data.occupancy} now={now} />
        <Card title="Occupancy by 15 minutes" className="card-curve">
          {!settled ? (
            <Loading label="Drawing the curve…" lines={4} />
          ) : chart && (settled.curve.today.length > 0 || settled.curve.last_week.length > 0) ? (
            <Chart config={chart} label="Occupancy today against the same weekday last week" tall />
          ) : (
            <p className="empty">No occupancy history yet.</p>
          )}
        </Card>
        <SalesCard sales={data.sales} />
        {settled ? (
          <>
            <StaysCard stays={settled.stays} />
            <AlertsCard alerts={settled.alerts} now={now} onChanged={alertsChanged} />
            <HealthCard health={settled.health} />
          </>
        ) : (
          <Card title="Stays, alerts and health">
            <Loading label="Reading stays, alerts and health…" lines={3} />
          </Card>
        )}
      </div>
    </div>
  );
}

function ScreenTitle({ children }: { children?: ReactNode }) {
  return (
    <div className="screen-head">
      <h2 className="screen-title">Today</h2>
      {children}
    </div>
  );
}
