import { describe, expect, it } from "vitest";
import { chartKey, type ChartConfig } from "../components/Chart";
import { sameOrNew } from "./useView";

describe("sameOrNew", () => {
  it("keeps the held object when a re-read brings the same content", () => {
    const held = { occupancy: { now: 12, zones: [{ id: "bar", count: 4 }] } };
    const fresh = { occupancy: { now: 12, zones: [{ id: "bar", count: 4 }] } };
    expect(sameOrNew(held, fresh)).toBe(held);
  });

  it("takes the fresh object when anything changed, however deep", () => {
    const held = { occupancy: { now: 12, zones: [{ id: "bar", count: 4 }] } };
    const fresh = { occupancy: { now: 12, zones: [{ id: "bar", count: 5 }] } };
    expect(sameOrNew(held, fresh)).toBe(fresh);
    expect(sameOrNew(null, fresh)).toBe(fresh);
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
