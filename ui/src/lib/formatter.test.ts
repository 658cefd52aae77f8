import { describe, expect, it } from "vitest";
import { createFormatter } from "./formatter";

const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("createFormatter", () => {
  it("shows times in the venue's timezone, not the machine's", () => {
    const instant = "2026-07-01T22:30:00Z";
    expect(createFormatter("Europe/Lisbon", "EUR", "en-GB").time(instant)).toBe("23:30");
    expect(createFormatter("Asia/Tokyo", "JPY", "en-GB").time(instant)).toBe("07:30");
    expect(createFormatter("America/New_York", "USD", "en-GB").time(instant)).toBe("18:30");
    // Winter: Lisbon is on UTC.
    expect(createFormatter("Europe/Lisbon", "EUR", "en-GB").time("2026-01-15T22:30:00Z")).toBe("22:30");
    expect(createFormatter("Asia/Tokyo", "JPY", "en-GB").short(instant)).toBe("2 Jul, 07:30");
  });

  it("labels a venue-local hour as the clock reads times, whatever the venue's timezone", () => {
    expect(createFormatter("Asia/Tokyo", "JPY", "en-GB").hourOfDay(15)).toBe("15:00");
    expect(createFormatter("Asia/Tokyo", "JPY", "en-GB").hourOfDay(0)).toBe("00:00");
    const us = createFormatter("America/New_York", "USD", "en-US");
    expect(plain(us.hourOfDay(15))).toBe("03:00 PM");
    // The same style as the occupancy curve's axis, which formats instants with `time`.
    expect(plain(us.hourOfDay(15))).toBe(plain(us.time("2026-07-01T19:00:00Z")));
    expect(us.hourOfDay(24)).toBe("—");
  });

  it("puts an instant on the venue-local calendar day", () => {
    const tokyo = createFormatter("Asia/Tokyo", "JPY", "en-GB");
    expect(tokyo.dayOf("2026-07-01T22:30:00Z", "short")).toBe("2 Jul");
    const ny = createFormatter("America/New_York", "USD", "en-GB");
    expect(ny.dayOf("2026-07-02T02:00:00Z", "short")).toBe("1 Jul");
  });

  it("formats venue-local dates without shifting them", () => {
    const f = createFormatter("Pacific/Auckland", "NZD", "en-GB");
    expect(f.date("2026-11-29", "short")).toBe("29 Nov");
    expect(f.date("2026-11-29", "full")).toMatch(/^Sunday,? 29 November 2026$/);
  });

  it("formats money in the venue currency and says — for missing values", () => {
    const f = createFormatter("Europe/Lisbon", "EUR", "en-GB");
    expect(f.money(123456)).toBe("€1,234.56");
    expect(f.money(1200, "JPY")).toMatch(/^(JP)?¥1,200$/);
    expect(f.time(null)).toBe("—");
    expect(f.count(null)).toBe("—");
    expect(f.percent(0.789)).toBe("79%");
    expect(plain(createFormatter("Europe/Berlin", "EUR", "de-DE").money(123456))).toBe("1.234,56 €");
  });

  it("says how long ago", () => {
    const f = createFormatter("Europe/Lisbon", "EUR", "en-GB");
    const now = new Date("2026-11-29T12:00:00Z");
    expect(f.ago("2026-11-29T11:57:00Z", now)).toBe("3 min ago");
    expect(f.ago("2026-11-29T11:59:50Z", now)).toBe("now");
    expect(f.ago(null, now)).toBe("never");
  });
});
