// Money arrives from the server as integer minor units and a currency; the client only
// formats it (exactly, from a decimal string: no float arithmetic) and never computes it.
const formats = new Map();

function formatter(currency) {
  if (!formats.has(currency)) {
    formats.set(currency, new Intl.NumberFormat("en-GB", { style: "currency", currency }));
  }
  return formats.get(currency);
}

export function money({ amount, currency }) {
  const f = formatter(currency);
  const digits = f.resolvedOptions().maximumFractionDigits;
  const negative = amount < 0;
  const text = String(Math.abs(amount)).padStart(digits + 1, "0");
  const decimal = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  return f.format(`${negative ? "-" : ""}${decimal}`);
}

/** The same amount, without the minor units when they are zero ("€165", "€104.50"): short
 *  enough to print on a seat. */
export function moneyShort({ amount, currency }) {
  const digits = formatter(currency).resolvedOptions().maximumFractionDigits;
  if (!digits || amount % 10 ** digits !== 0) return money({ amount, currency });
  const whole = new Intl.NumberFormat("en-GB", { style: "currency", currency, minimumFractionDigits: 0, maximumFractionDigits: 0 });
  return whole.format(String(amount / 10 ** digits));
}
