import { useMemo, useState } from "react";
import { toApiError } from "../api";
import { Chart } from "../components/Chart";
import { Card, ErrorBanner, Loading } from "../components/States";
import { useApi, useVenue } from "../context";
import { useView } from "../hooks/useView";
import { dayBars, hourBars } from "../lib/charts";
import { daysInRange, presetRange, RANGE_PRESETS, zonedDate, type RangePreset } from "../lib/time";
import { TOPICS } from "../lib/topics";
import type { ApiError, CsvExport, SalesView } from "../types";

export const MAX_RANGE_DAYS = 366;

/** Why a range cannot be asked for, or null. */
export function rangeProblem(from: string, to: string): string | null {
  if (!from || !to) return "Pick both dates.";
  if (from > to) return "The start date is after the end date.";
  if (daysInRange(from, to) > MAX_RANGE_DAYS) return `Pick at most ${MAX_RANGE_DAYS} days.`;
  return null;
}

/** Sales for a venue-local date range: totals, by hour, by day, by location, CSV export. */
export function Sales() {
  const { venue } = useVenue();
  const today = zonedDate(new Date(), venue.timezone);
  const [preset, setPreset] = useState<RangePreset | null>("today");
  const [range, setRange] = useState(() => presetRange("today", today));
  const problem = rangeProblem(range.from, range.to);

  const choose = (p: RangePreset) => {
    setPreset(p);
    setRange(presetRange(p, zonedDate(new Date(), venue.timezone)));
  };
  const edit = (field: "from" | "to", value: string) => {
    setPreset(null);
    setRange((r) => ({ ...r, [field]: value }));
  };

  return (
    <div className="screen screen-sales">
      <div className="screen-head">
        <h2 className="screen-title">Sales</h2>
      </div>
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Date range">
          {RANGE_PRESETS.map((p) => (
            <button key={p.id} type="button" className={preset === p.id ? "seg active" : "seg"} aria-pressed={preset === p.id} onClick={() => choose(p.id)} data-testid={`preset-${p.id}`}>
              {p.label}
            </button>
          ))}
        </div>
        <label className="field field-inline">
          <span className="field-label">From</span>
          <input type="date" value={range.from} max={range.to} onChange={(e) => edit("from", e.target.value)} data-testid="sales-from" />
        </label>
        <label className="field field-inline">
          <span className="field-label">To</span>
          <input type="date" value={range.to} min={range.from} onChange={(e) => edit("to", e.target.value)} data-testid="sales-to" />
        </label>
        {!problem && <ExportButton from={range.from} to={range.to} />}
      </div>
      {problem ? <p className="field-error">{problem}</p> : <SalesBody from={range.from} to={range.to} />}
    </div>
  );
}

function ExportButton({ from, to }: { from: string; to: string }) {
  const api = useApi();
  const { fmt } = useVenue();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<CsvExport | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.exportSalesCsv(from, to));
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="export">
      <button type="button" className="btn-secondary" onClick={() => void run()} disabled={busy} data-testid="export-csv">
        {busy ? "Exporting…" : "Export CSV"}
      </button>
      {result && (
        <span className="export-result small" role="status">
          Saved {fmt.count(result.rows)} rows to <code data-testid="export-path">{result.path}</code>
        </span>
      )}
      {error && (
        <span className="field-error small" role="alert">
          Export failed: {error.message} ({error.code})
        </span>
      )}
    </div>
  );
}

function SalesBody({ from, to }: { from: string; to: string }) {
  const view = useView((api) => api.sales(from, to), TOPICS.sales, [from, to]);
  if (!view.data) {
    return view.error ? <ErrorBanner error={view.error} onRetry={() => void view.reload()} /> : <Loading label="Adding up sales…" lines={5} />;
  }
  return (
    <>
      {view.error && <ErrorBanner error={view.error} title="Could not refresh; showing the last figures" />}
      <SalesFigures sales={view.data} />
    </>
  );
}

function SalesFigures({ sales }: { sales: SalesView }) {
  const { fmt } = useVenue();
  const money = (minor: number) => fmt.money(minor, sales.currency);
  const t = sales.totals;
  const hours = useMemo(() => hourBars(sales.by_hour, sales.currency, fmt), [sales, fmt]);
  const days = useMemo(() => dayBars(sales.by_day, sales.currency, fmt), [sales, fmt]);
  const kpis: Array<[string, string, string]> = [
    ["Net", money(t.net_minor), "sales-net"],
    ["Gross", money(t.gross_minor), "sales-gross"],
    ["Transactions", fmt.count(t.transactions), "sales-transactions"],
    ["Average ticket", t.transactions ? money(t.average_ticket_minor) : "—", "sales-average"],
    ["Refunds", money(t.refunded_minor), "sales-refunds"],
    ["Tips", money(t.tip_minor), "sales-tips"],
    ["Tax", money(t.tax_minor), "sales-tax"],
    ["Discounts", money(t.discount_minor), "sales-discounts"],
  ];
  return (
    <div className="sales-grid">
      <section className="card card-kpis" aria-label="Totals" data-testid="sales-totals">
        <div className="kpis kpis-wide">
          {kpis.map(([label, value, id]) => (
            <div key={id} className={id === "sales-net" ? "kpi kpi-main" : "kpi"}>
              <span className="kpi-label">{label}</span>
              <span className="kpi-value">
                <span data-testid={id}>{value}</span>
              </span>
            </div>
          ))}
        </div>
        <p className="dim small">
          {fmt.date(sales.from)}
          {sales.to !== sales.from && ` – ${fmt.date(sales.to)}`} · venue time ({fmt.timeZone})
        </p>
      </section>
      {t.transactions === 0 ? (
        <p className="empty card" data-testid="sales-empty">
          No sales in this range. Sales arrive from the connectors; see Connections if you expected some.
        </p>
      ) : (
        <>
          <Card title="By hour" className="card-hours">
            <Chart config={hours} label="Net sales by hour of day" />
          </Card>
          <Card title="By day" className="card-days">
            {sales.by_day.length > 1 ? <Chart config={days} label="Net sales and refunds by day" /> : <p className="empty">Pick more than one day to compare days.</p>}
          </Card>
        </>
      )}
      <Card title="By location" className="card-locations">
        {sales.by_location.length === 0 ? (
          <p className="empty">No locations in this range.</p>
        ) : (
          <table className="table" data-testid="sales-locations">
            <thead>
              <tr>
                <th>Location</th>
                <th>Source</th>
                <th className="num">Transactions</th>
                <th className="num">Net</th>
                <th className="num">Refunds</th>
                <th className="num">Tips</th>
              </tr>
            </thead>
            <tbody>
              {sales.by_location.map((l) => (
                <tr key={`${l.source}/${l.location_id ?? ""}`}>
                  <td title={l.location_id ?? undefined}>{l.location}</td>
                  <td>{l.source}</td>
                  <td className="num">{fmt.count(l.transactions)}</td>
                  <td className="num">{money(l.net_minor)}</td>
                  <td className="num">{money(l.refunded_minor)}</td>
                  <td className="num">{money(l.tip_minor)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
