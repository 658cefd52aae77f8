import { describe, expect, it } from "vitest";
import { parseMajorToMinor } from "./money";

const minor = (input: string, currency: string) => {
  const r = parseMajorToMinor(input, currency);
  return r.ok ? r.minor : r.message;
};

describe("parseMajorToMinor", () => {
  it("scales by the currency's exponent", () => {
    expect(minor("12.50", "GBP")).toBe(1250);
    expect(minor("12.5", "EUR")).toBe(1250);
    expect(minor("12", "USD")).toBe(1200);
    expect(minor("0.05", "USD")).toBe(5);
    expect(minor("1200", "JPY")).toBe(1200);
    expect(minor("1.234", "BHD")).toBe(1234);
  });

  it("accepts a comma as the decimal separator and surrounding spaces", () => {
    expect(minor(" 12,50 ", "EUR")).toBe(1250);
    expect(minor("7,", "EUR")).toBe(700);
  });

  it("is exact where floats are not", () => {
    expect(minor("0.29", "USD")).toBe(29);
    expect(minor("1.15", "EUR")).toBe(115);
    expect(minor("4.35", "GBP")).toBe(435);
    expect(minor("90071992547409.91", "USD")).toBe(9007199254740991);
  });

  it("refuses too many decimals for the currency", () => {
    expect(minor("12.505", "GBP")).toMatch(/2 decimal places/);
    expect(minor("12.5", "JPY")).toMatch(/no minor unit/);
  });

  it("refuses empty, zero, negative, grouped and non-numeric input", () => {
    expect(minor("", "EUR")).toMatch(/Enter an amount/);
    expect(minor("0", "EUR")).toMatch(/more than zero/);
    expect(minor("0.00", "EUR")).toMatch(/more than zero/);
    expect(minor("-3", "EUR")).toMatch(/more than zero/);
    expect(minor("1,234.56", "USD")).toMatch(/not an amount/);
    expect(minor("12abc", "USD")).toMatch(/not an amount/);
    expect(minor("1e3", "USD")).toMatch(/not an amount/);
  });

  it("refuses amounts beyond safe integers", () => {
    expect(minor("99999999999999999", "USD")).toMatch(/too large/);
  });
});
