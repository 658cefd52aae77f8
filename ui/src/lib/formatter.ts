import { formatCount, formatMinor } from "../format";
import { zonedDate } from "./time";

/** Formats times in one venue's timezone and money in its currency. */
export interface Formatter {
  locale: string | undefined;
  timeZone: string;
  currency: string;
  money(minor: number, currency?: string): string;
  count(n: number | null | undefined): string;
  percent(share: number | null | undefined): string;
  /** 14:05 */
  time(iso: string | null | undefined): string;
  /** A venue-local hour of the day (0-23) read like `time`: 15:00, or 03:00 PM in 12-hour locales. */
  hourOfDay(hour: number): string;
  /** 29 Nov 2026, 14:05 */
  dateTime(iso: string | null | undefined): string;
  /** 29 Nov, 14:05 (no year: for lists) */
  short(iso: string | null | undefined): string;
  /** Sat, 29 Nov 2026 for a venue-local YYYY-MM-DD */
  date(ymd: string | null | undefined, style?: "medium" | "full" | "short"): string;
  /** The venue-local calendar day of an instant, formatted like `date`. */
  dayOf(iso: string | null | undefined, style?: "medium" | "full" | "short"): string;
  /** 3 min ago, relative to `now` */
  ago(iso: string | null | undefined, now?: Date): string;
}

const DASH = "—";

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function createFormatter(timeZone: string, currency: string, locale?: string): Formatter {
  const time = new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit" });
  // An hour number is already venue-local: formatted as that hour of a UTC day, so no zone shifts it.
  const hourOfDay = new Intl.DateTimeFormat(locale, { timeZone: "UTC", hour: "2-digit", minute: "2-digit" });
  const dateTime = new Intl.DateTimeFormat(locale, { timeZone, dateStyle: "medium", timeStyle: "short" });
  // 12-hour locales read "3:00 PM", 24-hour ones "15:00" / "07:30".
  const twelve = /h1[12]/.test(new Intl.DateTimeFormat(locale, { hour: "numeric" }).resolvedOptions().hourCycle ?? "");
  const short = new Intl.DateTimeFormat(locale, { timeZone, day: "numeric", month: "short", hour: twelve ? "numeric" : "2-digit", minute: "2-digit" });
  const dates = {
    medium: new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "short", day: "numeric", month: "short", year: "numeric" }),
    full: new Intl.DateTimeFormat(locale, { timeZone: "UTC", dateStyle: "full" }),
    short: new Intl.DateTimeFormat(locale, { timeZone: "UTC", day: "numeric", month: "short" }),
  };
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "short" });

  const date = (ymd: string | null | undefined, style: "medium" | "full" | "short" = "medium") => {
    if (!ymd) return DASH;
    const d = parse(`${ymd}T12:00:00Z`);
    return d ? dates[style].format(d) : ymd;
  };

  return {
    locale,
    timeZone,
    currency,
    money: (minor, cur = currency) => {
      try {
        return formatMinor(minor, cur, locale);
      } catch {
        return `${minor} ${cur} (minor units)`;
      }
    },
    count: (n) => (n === null || n === undefined ? DASH : formatCount(n, locale)),
    percent: (share) => (share === null || share === undefined ? DASH : percent.format(share)),
    hourOfDay: (hour) => (Number.isInteger(hour) && hour >= 0 && hour <= 23 ? hourOfDay.format(Date.UTC(2000, 0, 1, hour)) : DASH),
    time: (iso) => {
      const d = parse(iso);
      return d ? time.format(d) : DASH;
    },
    dateTime: (iso) => {
      const d = parse(iso);
      return d ? dateTime.format(d) : DASH;
    },
    short: (iso) => {
      const d = parse(iso);
      return d ? short.format(d) : DASH;
    },
    date,
    dayOf: (iso, style = "medium") => {
      const d = parse(iso);
      return d ? date(zonedDate(d, timeZone), style) : DASH;
    },
    ago: (iso, now = new Date()) => {
      const d = parse(iso);
      if (!d) return "never";
      const seconds = Math.round((d.getTime() - now.getTime()) / 1000);
      const abs = Math.abs(seconds);
      if (abs < 45) return relative.format(0, "second");
      if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
      if (abs < 86_400) return relative.format(Math.round(seconds / 3600), "hour");
      return relative.format(Math.round(seconds / 86_400), "day");
    },
  };
}
