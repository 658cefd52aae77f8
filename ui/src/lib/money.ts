import { currencyFractionDigits } from "../format";

export type ParsedAmount = { ok: true; minor: number } | { ok: false; message: string };

/**
 * Parses an amount typed in major units ("12.50", "12,5", "1200") into integer minor units of
 * `currency`, using the currency's own exponent (GBP/EUR/USD 2, JPY 0, BHD 3). Works on the
 * digits as text, so there is no floating-point rounding. Either "." or "," is taken as the
 * decimal separator; grouping separators, signs and zero are refused with a message a person can act on.
 */
export function parseMajorToMinor(input: string, currency: string): ParsedAmount {
  const text = input.trim().replace(/\s+/g, "");
  if (text === "") {
    return { ok: false, message: "Enter an amount." };
  }
  if (text.startsWith("-")) {
    return { ok: false, message: "The amount must be more than zero." };
  }
  const match = /^(\d+)(?:[.,](\d*))?$/.exec(text);
  if (!match) {
    return { ok: false, message: `“${input.trim()}” is not an amount; type digits, e.g. 12.50.` };
  }
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  let exponent: number;
  try {
    exponent = currencyFractionDigits(currency, "en-US");
  } catch {
    return { ok: false, message: `Unknown currency ${currency}.` };
  }
  if (fraction.length > exponent) {
    return {
      ok: false,
      message:
        exponent === 0
          ? `${currency} has no minor unit; type a whole amount.`
          : `${currency} has ${exponent} decimal places at most.`,
    };
  }
  const digits = `${whole}${fraction.padEnd(exponent, "0")}`.replace(/^0+(?=\d)/, "");
  const minor = Number(digits);
  if (!Number.isSafeInteger(minor)) {
    return { ok: false, message: "That amount is too large." };
  }
  if (minor === 0) {
    return { ok: false, message: "The amount must be more than zero." };
  }
  return { ok: true, minor };
}
