// Venue-local calendar and clock. Everything here takes the venue's IANA timezone explicitly;
// nothing reads the machine's timezone.

/** Wall-clock parts of an instant in `timeZone`. */
export function zonedParts(instant: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? "0");
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour") % 24,
    minute: get("minute"),
    second: get("second"),
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The venue-local date (YYYY-MM-DD) of an instant. */
export function zonedDate(instant: Date, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds (Lisbon summer: +3 600 000). */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

function parseYmd(date: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The instant of venue-local midnight starting `date` (handles DST, incl. days starting at 01:00). */
export function zonedMidnight(date: string, timeZone: string): Date {
  const [y, m, d] = parseYmd(date);
  const wall = Date.UTC(y, m - 1, d);
  let guess = wall - zoneOffsetMs(new Date(wall), timeZone);
  // A second pass settles the offset when midnight is near a DST change.
  guess = wall - zoneOffsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

/** Calendar arithmetic on YYYY-MM-DD. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = parseYmd(date);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

export function startOfMonth(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

export type RangePreset = "today" | "yesterday" | "last7" | "month";

export const RANGE_PRESETS: ReadonlyArray<{ id: RangePreset; label: string }> = [
  { id: "today", label: "Today" },
  { id: "yesterday", label: "Yesterday" },
  { id: "last7", label: "Last 7 days" },
  { id: "month", label: "This month" },
];

/** Inclusive venue-local date range of a preset, relative to the venue's today. */
export function presetRange(preset: RangePreset, today: string): { from: string; to: string } {
  switch (preset) {
    case "today":
      return { from: today, to: today };
    case "yesterday": {
      const y = addDays(today, -1);
      return { from: y, to: y };
    }
    case "last7":
      return { from: addDays(today, -6), to: today };
    case "month":
      return { from: startOfMonth(today), to: today };
  }
}

/** Number of days in an inclusive range. */
export function daysInRange(from: string, to: string): number {
  const [fy, fm, fd] = parseYmd(from);
  const [ty, tm, td] = parseYmd(to);
  return Math.round((Date.UTC(ty, tm - 1, td) - Date.UTC(fy, fm - 1, fd)) / 86_400_000) + 1;
}
