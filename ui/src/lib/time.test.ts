import { describe, expect, it } from "vitest";
import { addDays, daysInRange, presetRange, zonedDate, zonedMidnight } from "./time";

describe("venue calendar", () => {
  it("finds the venue-local date of an instant", () => {
    expect(zonedDate(new Date("2026-11-29T23:30:00Z"), "Europe/Lisbon")).toBe("2026-11-29");
    expect(zonedDate(new Date("2026-11-29T23:30:00Z"), "Asia/Tokyo")).toBe("2026-11-30");
    expect(zonedDate(new Date("2026-11-30T03:00:00Z"), "America/Los_Angeles")).toBe("2026-11-29");
  });

  it("finds venue-local midnight, across DST changes", () => {
    expect(zonedMidnight("2026-07-01", "Europe/Lisbon").toISOString()).toBe("2026-06-30T23:00:00.000Z");
    expect(zonedMidnight("2026-01-15", "Europe/Lisbon").toISOString()).toBe("2026-01-15T00:00:00.000Z");
    expect(zonedMidnight("2026-03-29", "Europe/Lisbon").toISOString()).toBe("2026-03-29T00:00:00.000Z");
    expect(zonedMidnight("2026-10-25", "Europe/Lisbon").toISOString()).toBe("2026-10-24T23:00:00.000Z");
    expect(zonedMidnight("2026-11-29", "Asia/Tokyo").toISOString()).toBe("2026-11-28T15:00:00.000Z");
    expect(zonedMidnight("2026-03-08", "America/New_York").toISOString()).toBe("2026-03-08T05:00:00.000Z");
  });

  it("does date arithmetic on YYYY-MM-DD", () => {
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(daysInRange("2026-11-23", "2026-11-29")).toBe(7);
    expect(daysInRange("2026-03-28", "2026-03-30")).toBe(3);
  });

  it("turns presets into inclusive ranges", () => {
    expect(presetRange("today", "2026-11-29")).toEqual({ from: "2026-11-29", to: "2026-11-29" });
    expect(presetRange("yesterday", "2026-12-01")).toEqual({ from: "2026-11-30", to: "2026-11-30" });
    expect(presetRange("last7", "2026-11-29")).toEqual({ from: "2026-11-23", to: "2026-11-29" });
    expect(presetRange("month", "2026-11-29")).toEqual({ from: "2026-11-01", to: "2026-11-29" });
  });
});
