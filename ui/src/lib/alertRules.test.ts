import { describe, expect, it } from "vitest";
import { demoAlertRules } from "../dev/fixtures";
import { describeRule, duration, EMPTY_FORM, formFromRule, inputFromForm } from "./alertRules";

describe("alert rules", () => {
  const rules = demoAlertRules();
  const byId = (id: string) => rules.find((r) => r.id === id)!;

  it("describes a rule in the units people think in", () => {
    expect(describeRule(byId("occupancy.warning"))).toBe("Occupancy, share of capacity at or above 80 %");
    expect(describeRule(byId("pms.socket_down"))).toBe("PMS live connection down above 2 min");
    expect(describeRule(byId("terrace-busy"))).toBe("People inside above 60 people for 5 min, 18:00-02:00");
    expect(duration(5400)).toBe("1 h 30 min");
  });

  it("round-trips a rule through the form, shares as percentages", () => {
    for (const rule of rules) {
      const result = inputFromForm(formFromRule(rule));
      expect("rule" in result, rule.id).toBe(true);
      if (!("rule" in result)) continue;
      expect(result.rule.threshold).toBeCloseTo(rule.threshold, 9);
      expect(result.rule.window_seconds).toBe(rule.window_seconds);
      expect(result.rule.cool_down_seconds).toBe(rule.cool_down_seconds);
      expect(result.rule.active_hours ?? null).toBe(rule.active_hours);
    }
    const form = { ...formFromRule(byId("occupancy.warning")), threshold: "90" };
    expect(inputFromForm(form)).toMatchObject({ rule: { threshold: 0.9 } });
  });

  it("names the first problem instead of sending a bad rule", () => {
    expect(inputFromForm(EMPTY_FORM)).toEqual({ problem: "Give the rule a short id, e.g. terrace-busy." });
    expect(inputFromForm({ ...EMPTY_FORM, id: "x", threshold: "lots" })).toEqual({ problem: "The threshold must be a number." });
    expect(inputFromForm({ ...EMPTY_FORM, id: "x", threshold: "3", windowMinutes: "-1" })).toEqual({ problem: "The window must be a number of minutes, 0 or more." });
    expect(inputFromForm({ ...EMPTY_FORM, id: "x", threshold: "3", activeFrom: "18:00" })).toEqual({
      problem: "Active hours need both a start and an end, or neither for all day.",
    });
  });
});
