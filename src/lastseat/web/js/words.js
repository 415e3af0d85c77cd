// Travellers' words: the one place that turns the API's names (surcharge kinds, demand in
// permille, cabin names) into what a page says. Every view that names a seat extra or a
// price part imports it from here, so the checkout, the seat map and its legend all say
// "Exit row seat", never `exit_row`; the seat map also says what a seat is from here. Amounts stay the server's: nothing here prices.
// The bill's words (surcharge names, fare and demand labels) are the server's, the ones its
// mail and CLI use, read from server-words.js (written from domain/price_words.py).
import { money } from "./money.js";
import { FARE_LABEL, HIGH_DEMAND, LOW_DEMAND, SURCHARGE_NAMES, UNKNOWN_SURCHARGE } from "./server-words.js";

export { SURCHARGE_NAMES };

/** "Exit row seat"; a kind this page does not know yet is still said in words. */
export function surchargeName(kind) {
  return SURCHARGE_NAMES[kind] || UNKNOWN_SURCHARGE;
}

/** Where a seat is in its row, by the features the API lists (`features`). */
export const PLACE_NAMES = Object.freeze({ window: "window seat", aisle: "aisle seat", middle: "middle seat" });

/** What kind of seat it is, from its features: "window seat, exit row with extra legroom". */
export function seatType(info) {
  const has = (feature) => info.features.includes(feature);
  const places = Object.keys(PLACE_NAMES).filter(has).map((p) => PLACE_NAMES[p]);
  const words = [places.join(" and ")];
  if (has("exit_row")) words.push(has("extra_legroom") ? "exit row with extra legroom" : "exit row");
  if (has("front_row")) words.push("front row");
  return words.filter(Boolean).join(", ");
}

/** "Exit row seat, Window seat": the kinds given, in this table's order, in words. */
export function surchargeNames(kinds) {
  return Object.keys(SURCHARGE_NAMES).filter((k) => kinds.has(k)).map(surchargeName).join(", ");
}

/** "+€25.00": an amount added to a price. */
export function plus(amount) {
  return amount.amount < 0 ? `−${money({ ...amount, amount: -amount.amount })}` : `+${money(amount)}`;
}

/** "Exit row seat +€25.00" */
export function surchargeText(surcharge) {
  return `${surchargeName(surcharge.kind)} ${plus(surcharge)}`;
}

/** "economy" → "Economy", for headings and labels that start with the cabin. */
export function cabinName(cabin) {
  return cabin ? cabin[0].toUpperCase() + cabin.slice(1) : "";
}

/** "Seat 12A, economy fare" */
export function fareLabel(line) {
  return FARE_LABEL.replace(/\{(seat|cabin)\}/g, (_, name) => line[name]);
}

/**
 * The part of a quote line's price that demand added (or took off), as the server priced
 * it: the line's price less its fare and its surcharges, all three the server's. Null when
 * demand changed nothing.
 */
export function demandPart(line) {
  const extras = line.surcharges.reduce((sum, s) => sum + s.amount, 0);
  const amount = line.price.amount - line.fare.amount - extras;
  if (!amount) return null;
  return {
    label: amount > 0 ? HIGH_DEMAND : LOW_DEMAND,
    amount: { amount, currency: line.price.currency },
  };
}

/** Each part of one seat's price, in the order a traveller reads a bill:
 * [{label, amount, added}], the fare first, then seat extras, then demand. */
export function priceParts(line) {
  const parts = [{ label: fareLabel(line), amount: line.fare, added: false }];
  for (const s of line.surcharges) {
    parts.push({ label: surchargeName(s.kind), amount: { amount: s.amount, currency: s.currency }, added: true });
  }
  const demand = demandPart(line);
  if (demand) parts.push({ ...demand, added: true });
  return parts;
}

/** "confirmed" → "Confirmed": a booking's status as a page shows it. */
export const STATUS_NAMES = Object.freeze({ confirmed: "Confirmed", cancelled: "Cancelled" });

export function statusName(status) {
  return STATUS_NAMES[status] || cabinName(status);
}

/** `one` for a count of 1, `many` otherwise: plural(1, "is", "are") is "is". */
export function plural(count, one, many) {
  return count === 1 ? one : many;
}

/** "1 seat", "24 seats" */
export function seats(count) {
  return `${count} ${plural(count, "seat", "seats")}`;
}

/** "Seat 2A", "Seats 2A, 2B": a list of seats named. */
export function seatList(names) {
  return `${plural(names.length, "Seat", "Seats")} ${names.join(", ")}`;
}
