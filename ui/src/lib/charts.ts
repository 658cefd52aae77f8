// Chart.js configurations for the console's charts, built from view data. Pure functions:
// labels are formatted in the venue's timezone by the Formatter.
import type { ChartConfig } from "../components/Chart";
import { currencyFractionDigits } from "../format";
import type { CurvePoint, DaySales, HourSales, TrafficPoint, TrafficResolution } from "../types";
import type { Formatter } from "./formatter";
import { PALETTE } from "./palette";

const toMajor = (minor: number, currency: string) => minor / 10 ** currencyFractionDigits(currency, "en-US");

/** Today's occupancy by 15 minutes against the same weekday last week (already on today's axis). */
export function curveChart(today: CurvePoint[], lastWeek: CurvePoint[], fmt: Formatter): ChartConfig {
  const times = [...new Set([...lastWeek.map((p) => p.at), ...today.map((p) => p.at)])].sort();
  const index = (points: CurvePoint[]) => new Map(points.map((p) => [p.at, p.occupancy]));
  const t = index(today);
  const w = index(lastWeek);
  return {
    type: "line",
    data: {
      labels: times.map((at) => fmt.time(at)),
      datasets: [
        { label: "Today", data: times.map((at) => t.get(at) ?? null), borderColor: PALETTE.accent, backgroundColor: PALETTE.accentFill, fill: true, borderWidth: 2, pointRadius: 0, tension: 0.25 },
        { label: "Same day last week", data: times.map((at) => w.get(at) ?? null), borderColor: PALETTE.compare, borderDash: [5, 4], borderWidth: 1.5, pointRadius: 0, tension: 0.25 },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: { x: { ticks: { maxTicksLimit: 8, autoSkip: true, autoSkipPadding: 16, maxRotation: 0 } }, y: { beginAtZero: true, title: { display: true, text: "People inside" } } },
      plugins: { legend: { position: "top", align: "end", labels: { boxWidth: 12 } } },
    },
  };
}

/** Net sales per venue-local hour. */
export function hourBars(byHour: HourSales[], currency: string, fmt: Formatter): ChartConfig {
  const rows = [...byHour].sort((a, b) => a.hour - b.hour);
  return {
    type: "bar",
    data: {
      labels: rows.map((h) => fmt.hourOfDay(h.hour)),
      datasets: [{ label: "Net sales", data: rows.map((h) => toMajor(h.net_minor, currency)), backgroundColor: PALETTE.bar, borderRadius: 2 }],
    },
    options: {
      scales: { x: { ticks: { maxTicksLimit: 12, maxRotation: 0 } }, y: { beginAtZero: true } },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (item) => {
              const row = rows[item.dataIndex];
              return row ? `${fmt.money(row.net_minor, currency)} · ${fmt.count(row.transactions)} transactions` : "";
            },
          },
        },
      },
    },
  };
}

/** Net sales and refunds per day. */
export function dayBars(byDay: DaySales[], currency: string, fmt: Formatter): ChartConfig {
  return {
    type: "bar",
    data: {
      labels: byDay.map((d) => fmt.date(d.date, "short")),
      datasets: [
        { label: "Net", data: byDay.map((d) => toMajor(d.net_minor, currency)), backgroundColor: PALETTE.bar, borderRadius: 2 },
        { label: "Refunds", data: byDay.map((d) => toMajor(d.refunded_minor, currency)), backgroundColor: PALETTE.negative, borderRadius: 2 },
      ],
    },
    options: {
      scales: { x: { ticks: { maxRotation: 0, autoSkip: true } }, y: { beginAtZero: true } },
      plugins: {
        legend: { position: "top", align: "end", labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const row = byDay[item.dataIndex];
              if (!row) return "";
              return item.datasetIndex === 0 ? `Net ${fmt.money(row.net_minor, currency)} · ${fmt.count(row.transactions)} tx` : `Refunds ${fmt.money(row.refunded_minor, currency)}`;
            },
          },
        },
      },
    },
  };
}

/** Entries and exits per bucket, with occupancy as a line where the sensors report it. */
export function trafficChart(points: TrafficPoint[], resolution: TrafficResolution, multiDay: boolean, fmt: Formatter): ChartConfig {
  const day = (at: string) => fmt.dayOf(at, "short");
  const label = (at: string) => (resolution === "day" ? day(at) : multiDay ? `${day(at)} ${fmt.time(at)}` : fmt.time(at));
  const hasOccupancy = points.some((p) => p.occupancy !== null);
  return {
    type: "bar",
    data: {
      labels: points.map((p) => label(p.at)),
      datasets: [
        { type: "bar", label: "Entries", data: points.map((p) => p.entries), backgroundColor: PALETTE.bar, borderRadius: 2 },
        { type: "bar", label: "Exits", data: points.map((p) => p.exits), backgroundColor: PALETTE.compare, borderRadius: 2 },
        ...(hasOccupancy
          ? [{ type: "line" as const, label: "Occupancy", data: points.map((p) => p.occupancy), borderColor: PALETTE.positive, borderWidth: 2, pointRadius: 0, tension: 0.25 }]
          : []),
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: { x: { ticks: { maxTicksLimit: 12, autoSkip: true, autoSkipPadding: 16, maxRotation: 0 } }, y: { beginAtZero: true } },
      plugins: { legend: { position: "top", align: "end", labels: { boxWidth: 12 } } },
    },
  };
}
