import { describe, expect, it } from "vitest";
import { chartKey, type ChartConfig } from "../components/Chart";
import { sameOrNew } from "./useView";

describe("sameOrNew", () => {
  it("keeps the held object when a re-read brings the same content", () => {
    const held = { occupancy: { now: 12, zones: [{ id: "bar", count: 4 }] } };
    const fresh = { occupancy: { now: 12, zones: [{ id: "bar", count: 4 }] } };
    expect(sameOrNew(held, fresh)).toBe(held);
  });

  it("brings what changed, however deep, and keeps every part that did not", () => {
    const held = { occupancy: { now: 12, zones: [{ id: "bar", count: 4 }, { id: "hall", count: 8 }] }, sales: { total: 900, by_hour: [1, 2] } };
    const fresh = { occupancy: { now: 12, zones: [{ id: "bar", count: 5 }, { id: "hall", count: 8 }] }, sales: { total: 900, by_hour: [1, 2] } };
    const shared = sameOrNew(held, fresh);
    expect(shared).toEqual(fresh);
    expect(shared).not.toBe(held);
    expect(shared.sales).toBe(held.sales);
    expect(shared.occupancy.zones[1]).toBe(held.occupancy.zones[1]);
    expect(shared.occupancy.zones[0]).toEqual({ id: "bar", count: 5 });
    expect(shared.occupancy.zones[0]).not.toBe(held.occupancy.zones[0]);
    expect(sameOrNew(null, fresh)).toBe(fresh);
  });

  it("notices rows added, removed or renamed", () => {
    const held = { rows: [{ id: 1 }], flags: { a: 1 } as Record<string, number> };
    expect(sameOrNew(held, { rows: [{ id: 1 }, { id: 2 }], flags: { a: 1 } }).rows).toHaveLength(2);
    expect(sameOrNew(held, { rows: [], flags: { a: 1 } }).rows).toHaveLength(0);
    const renamed = sameOrNew(held, { rows: [{ id: 1 }], flags: { b: 1 } });
    expect(renamed.flags).toEqual({ b: 1 });
    expect(renamed.rows).toBe(held.rows);
  });
});

describe("chartKey", () => {
  const config = (points: number[], label: (n: number) => string): ChartConfig => ({
    type: "line",
    data: { labels: points.map((_, i) => `${i}`), datasets: [{ label: "Today", data: points }] },
    options: { plugins: { tooltip: { callbacks: { label: (item) => label(item.dataIndex) } } } },
  });

  it("is equal for the same points drawn with rebuilt callbacks, so the canvas is not redrawn", () => {
    expect(chartKey(config([1, 2, 3], (n) => `${n}`))).toBe(chartKey(config([1, 2, 3], (n) => `#${n}`)));
  });

  it("differs when a point moves or the chart type changes", () => {
    expect(chartKey(config([1, 2, 3], String))).not.toBe(chartKey(config([1, 2, 4], String)));
    expect(chartKey(config([1, 2, 3], String))).not.toBe(chartKey({ ...config([1, 2, 3], String), type: "bar" }));
  });
});
