import { describe, expect, it } from "vitest";
import { gaugeFill, gaugeLevel } from "./gauge";

describe("gaugeLevel", () => {
  it("warns at 80 % and is critical at 95 %", () => {
    expect(gaugeLevel(0)).toBe("ok");
    expect(gaugeLevel(0.7999)).toBe("ok");
    expect(gaugeLevel(0.8)).toBe("warning");
    expect(gaugeLevel(0.9499)).toBe("warning");
    expect(gaugeLevel(0.95)).toBe("critical");
    expect(gaugeLevel(1.3)).toBe("critical");
  });

  it("is unknown without data", () => {
    expect(gaugeLevel(null)).toBe("unknown");
    expect(gaugeLevel(undefined)).toBe("unknown");
    expect(gaugeLevel(Number.NaN)).toBe("unknown");
  });

  it("clamps what it draws", () => {
    expect(gaugeFill(1.3)).toBe(1);
    expect(gaugeFill(-0.1)).toBe(0);
    expect(gaugeFill(null)).toBe(0);
    expect(gaugeFill(0.5)).toBe(0.5);
  });
});
