import { useMemo, memo } from "react";
import { Chart } from "../../components/Chart";
import { Card } from "../../components/States";
import { useVenue } from "../../context";
import { hourBars } from "../../lib/charts";
import type { TodaySales } from "../../types";

// Memoised: a re-read that changed another card leaves this one alone (see sameOrNew).
export const SalesCard = memo(function SalesCard({ sales }: { sales: TodaySales }) {
  const { fmt } = useVenue();
  const money = (minor: number) => fmt.money(minor, sales.currency);
  const chart = useMemo(() => hourBars(sales.by_hour, sales.currency, fmt), [sales, fmt]);
  return (
    <Card title="Sales today" className="card-sales">
      <div className="kpis">
        <div className="kpi kpi-main">
          <span className="kpi-label">Net</span>
          <span className="kpi-value">
            <span data-testid="sales-today">{money(sales.net_minor)}</span>
          </span>
        </div>
        <div className="kpi">
          <span className="kpi-label">Transactions</span>
          <span className="kpi-value">
            <span data-testid="transactions-today">{fmt.count(sales.transactions)}</span>
          </span>
        </div>
        <div className="kpi">
          <span className="kpi-label">Average ticket</span>
          <span className="kpi-value">
            <span data-testid="average-ticket">{sales.transactions ? money(sales.average_ticket_minor) : "—"}</span>
          </span>
        </div>
      </div>
      <p className="dim small">
        Gross {money(sales.gross_minor)} · refunds {money(sales.refunded_minor)} · tips {money(sales.tip_minor)}
      </p>
      {sales.transactions === 0 ? (
        <p className="empty">No sales recorded yet today.</p>
      ) : (
        <Chart config={chart} label="Net sales by hour today" summary={`Net sales today ${money(sales.net_minor)} over ${sales.transactions} transactions`} />
      )}
    </Card>
  );
});
