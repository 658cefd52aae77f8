/**
 * The locale for numbers and dates: the runtime's own, except that a process started under the
 * C/POSIX locale (containers, CI, Xvfb) resolves to en-US-u-va-posix, whose currency pattern
 * puts a space after the symbol ("£ 0.00"); plain en-US reads better there.
 */
export function displayLocale(
  resolved: string = new Intl.NumberFormat().resolvedOptions().locale,
): string | undefined {
  return /-u-(?:.+-)?va-posix\b/i.test(resolved) ? "en-US" : undefined;
}

/** Number of fraction digits Intl uses for a currency (JPY 0, EUR 2, BHD 3). */
export function currencyFractionDigits(currency: string, locale?: string): number {
  const options = new Intl.NumberFormat(locale, { style: "currency", currency }).resolvedOptions();
  return options.maximumFractionDigits ?? 2;
}

/**
 * Formats an amount held in integer minor units (cents, fils, yen) as money in `currency`.
 * The scale comes from the currency's own fraction digits, so 1234 JPY is ¥1,234 and
 * 1234 BHD minor units are BHD 1.234.
 */
export function formatMinor(minor: number, currency: string, locale?: string): string {
  if (!Number.isSafeInteger(minor)) {
    throw new RangeError(`formatMinor expects an integer number of minor units, got ${minor}`);
  }
  const digits = currencyFractionDigits(currency, locale);
  const formatter = new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  // Dividing a safe integer by a power of ten and rounding to the same number of digits is exact.
  // `|| 0` turns -0 into 0 so that zero never prints with a minus sign.
  const major = minor / 10 ** digits || 0;
  return formatter.format(major);
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** Human-readable byte size: 0 B, 512 B, 4.0 KiB, 1.5 MiB. */
export function formatBytes(bytes: number, locale?: string): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    return "unknown";
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : 1;
  const number = new Intl.NumberFormat(locale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
  return `${number} ${BYTE_UNITS[unit]}`;
}

/** Integer counts with grouping separators. */
export function formatCount(n: number, locale?: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}
