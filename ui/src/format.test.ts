import { describe, expect, it } from "vitest";
import { currencyFractionDigits, displayLocale, formatBytes, formatCount, formatMinor } from "./format";

// Intl output uses narrow/non-breaking spaces in some locales; compare on normalised spaces.
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("currencyFractionDigits", () => {
  it("uses the currency's own minor unit", () => {
    expect(currencyFractionDigits("USD", "en-US")).toBe(2);
    expect(currencyFractionDigits("EUR", "de-DE")).toBe(2);
    expect(currencyFractionDigits("JPY", "en-US")).toBe(0);
    expect(currencyFractionDigits("KRW", "en-US")).toBe(0);
    expect(currencyFractionDigits("BHD", "en-US")).toBe(3);
    expect(currencyFractionDigits("KWD", "en-US")).toBe(3);
  });
});

describe("formatMinor", () => {
  it("formats cents as dollars", () => {
    expect(formatMinor(123456, "USD", "en-US")).toBe("$1,234.56");
    expect(formatMinor(5, "USD", "en-US")).toBe("$0.05");
    expect(formatMinor(100, "USD", "en-US")).toBe("$1.00");
  });

  it("treats yen as having no minor unit", () => {
    expect(formatMinor(1234, "JPY", "en-US")).toBe("¥1,234");
  });

  it("uses three decimals for Bahraini dinar", () => {
    expect(plain(formatMinor(1234, "BHD", "en-US"))).toBe("BHD 1.234");
    expect(plain(formatMinor(5, "BHD", "en-US"))).toBe("BHD 0.005");
  });

  it("follows the locale's separators and symbol placement", () => {
    expect(plain(formatMinor(123456, "EUR", "de-DE"))).toBe("1.234,56 €");
    expect(plain(formatMinor(123456, "EUR", "fr-FR"))).toBe("1 234,56 €");
    expect(formatMinor(999, "GBP", "en-GB")).toBe("£9.99");
  });

  it("formats negative amounts (refunds) and zero without a minus sign on zero", () => {
    expect(formatMinor(-2550, "USD", "en-US")).toBe("-$25.50");
    expect(formatMinor(0, "USD", "en-US")).toBe("$0.00");
    expect(formatMinor(-0, "USD", "en-US")).toBe("$0.00");
  });

  it("stays exact for large safe integers", () => {
    expect(formatMinor(900719925474099, "USD", "en-US")).toBe("$9,007,199,254,740.99");
    expect(formatMinor(1005, "USD", "en-US")).toBe("$10.05");
    expect(formatMinor(1015, "USD", "en-US")).toBe("$10.15");
  });

  it("rejects non-integer minor units", () => {
    expect(() => formatMinor(12.5, "USD", "en-US")).toThrow(RangeError);
    expect(() => formatMinor(Number.NaN, "USD", "en-US")).toThrow(RangeError);
  });

  it("rejects unknown currency codes", () => {
    expect(() => formatMinor(100, "usd!", "en-US")).toThrow(RangeError);
  });
});

describe("formatBytes", () => {
  it("picks a binary unit", () => {
    expect(formatBytes(0, "en-US")).toBe("0 B");
    expect(formatBytes(512, "en-US")).toBe("512 B");
    expect(formatBytes(4096, "en-US")).toBe("4.0 KiB");
    expect(formatBytes(1536 * 1024, "en-US")).toBe("1.5 MiB");
  });

  it("says unknown for nonsense", () => {
    expect(formatBytes(-1, "en-US")).toBe("unknown");
  });
});

describe("formatCount", () => {
  it("groups thousands", () => {
    expect(formatCount(1234567, "en-US")).toBe("1,234,567");
  });
});

describe("displayLocale", () => {
  it("keeps the runtime locale", () => {
    expect(displayLocale("en-GB")).toBeUndefined();
    expect(displayLocale("de-DE")).toBeUndefined();
    expect(displayLocale("ja-JP-u-ca-japanese")).toBeUndefined();
  });

  it("replaces the POSIX variant a C locale resolves to", () => {
    expect(displayLocale("en-US-u-va-posix")).toBe("en-US");
  });
});
