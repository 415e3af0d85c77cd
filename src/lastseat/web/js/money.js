// Money arrives from the server as integer minor units and a currency; the client formats
// it (exactly, from a decimal string: no float arithmetic) and never computes a price. The
// admin pages read typed amounts back into minor units the same exact way.
const formats = new Map();

function formatter(currency) {
  if (!formats.has(currency)) {
    formats.set(currency, new Intl.NumberFormat("en-GB", { style: "currency", currency }));
  }
  return formats.get(currency);
}

/** How many digits a currency has after the point: 2 for EUR, 0 for JPY (ISO 4217). */
export function fractionDigits(currency) {
  return formatter(currency).resolvedOptions().maximumFractionDigits;
}

/** Non-negative integer minor units in major units, as digits: 15000 EUR → "150.00". */
export function majorUnits(amount, currency) {
  const digits = fractionDigits(currency);
  const text = String(amount).padStart(digits + 1, "0");
  return digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
}

/** Any integer minor units as a signed decimal string for Intl to format: -1250 EUR → "-12.50". */
function signedMajor(amount, currency) {
  return `${amount < 0 ? "-" : ""}${majorUnits(Math.abs(amount), currency)}`;
}

export function money({ amount, currency }) {
  return formatter(currency).format(signedMajor(amount, currency));
}

const DECIMAL = /^(\d{1,12})(?:\.(\d*))?$/;

/** A typed decimal ("12.5") as an integer in units of 10^-digits (digits 2: 1250), read
 * from its digits, never through a float; null if it is not a plain non-negative decimal
 * or has more than `digits` decimals. */
export function scaled(text, digits) {
  const match = DECIMAL.exec(String(text).trim());
  if (!match) return null;
  const fraction = match[2] || "";
  if (fraction.length > digits) return null;
  return Number.parseInt(`${match[1]}${fraction.padEnd(digits, "0")}`, 10);
}

/**
 * An amount typed in major units ("150", "150.5", "150.00") as integer minor units (15000
 * for EUR, 150 for JPY); null if it is not a plain amount or has more decimals than the
 * currency has (0.001 EUR, 1.5 JPY). Admins type money this way; travellers never send
 * amounts at all.
 */
export function minorUnits(text, currency) {
  return scaled(text, fractionDigits(currency));
}

/** `whole` major units written as the currency writes amounts: 150 is "150.00" in EUR,
 *  "150" in JPY, "150.000" in KWD (what a form proposes before anything is typed). */
export function wholeAmount(whole, currency) {
  return majorUnits(whole * 10 ** fractionDigits(currency), currency);
}

/** A typed amount re-written with `currency`'s digits ("150.00" → "150" for JPY, "150" →
 *  "150.000" for KWD), so a form that changes currency keeps what was meant; null when it
 *  has decimals the currency cannot hold ("150.50" in JPY) or is not a plain amount. */
export function retyped(text, currency) {
  const match = DECIMAL.exec(String(text).trim());
  if (!match) return null;
  const digits = fractionDigits(currency);
  const fraction = (match[2] || "").replace(/0+$/, "");
  if (fraction.length > digits) return null;
  return digits ? `${match[1]}.${fraction.padEnd(digits, "0")}` : match[1];
}

/** What an amount field of `currency` accepts, for its `pattern` (written for the `v` flag
 *  Chromium compiles it with): no point at all for JPY, up to 2 decimals for EUR. */
export function amountPattern(currency) {
  const digits = fractionDigits(currency);
  return digits ? String.raw`\d{1,12}(\.\d{0,${digits}})?` : String.raw`\d{1,12}`;
}

/** The same amount, without the minor units when they are zero ("€165", "€104.50"): short
 *  enough to print on a seat. */
export function moneyShort({ amount, currency }) {
  const digits = fractionDigits(currency);
  if (!digits || amount % 10 ** digits !== 0) return money({ amount, currency });
  const whole = new Intl.NumberFormat("en-GB", { style: "currency", currency, minimumFractionDigits: 0, maximumFractionDigits: 0 });
  return whole.format(String(amount / 10 ** digits));
}

// A seat fits about five characters at its price's size: longer prices ("JP¥16,500",
// "US$1,250") are written compactly there ("¥16.5k", "$1.25k"); the seat's label and the
// detail line keep the exact price.
const SEAT_PRICE_CHARS = 5;
const compactFormats = new Map();

function compactFormatter(currency) {
  if (!compactFormats.has(currency)) {
    compactFormats.set(
      currency,
      new Intl.NumberFormat("en-GB", { style: "currency", currency, currencyDisplay: "narrowSymbol", notation: "compact", maximumSignificantDigits: 3 }),
    );
  }
  return compactFormats.get(currency);
}

/** A seat's price as printed on the seat: `moneyShort` when that is short enough, else
 *  compact (rounded to three significant digits: an indication, not the price charged). */
export function moneyOnSeat({ amount, currency }) {
  const short = moneyShort({ amount, currency });
  if (short.length <= SEAT_PRICE_CHARS) return short;
  return compactFormatter(currency).format(signedMajor(amount, currency));
}

/** Whether a price on a seat still needs the smaller type ("CHF 150", "kr 1.5k"). */
export const longOnSeat = (text) => text.length > SEAT_PRICE_CHARS;
