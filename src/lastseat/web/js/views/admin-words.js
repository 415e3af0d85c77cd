// The server's refusals of the admin forms said in the units the admin typed: the API counts
// money in minor units and percent codes in basis points, and words its limits that way (for
// API clients, unchanged); this page says "Fare must be at most €1,000,000.00" and "A percent
// discount is 0.01% to 100%". The flight rules the domain refuses a field for (rows that
// overlap, an arrival before the departure) are named by their `type` and said as the form
// labels its fields, with times as typed in it rather than in ISO 8601. Every such rewording
// is here, keyed by the field a refusal names, its rule's type and limits, or a known detail.
import { money } from "../money.js";
import { SURCHARGE_NAMES } from "../words.js";

// Fields typed as money, by the last name of their `loc`.
const MONEY_FIELDS = {
  amount: "Fare", // cabins.N.fare.amount
  exit_row: `${SURCHARGE_NAMES.exit_row} price`,
  front_row: `${SURCHARGE_NAMES.front_row} price`,
  window: `${SURCHARGE_NAMES.window} price`,
  aisle: `${SURCHARGE_NAMES.aisle} price`,
  min_spend: "Minimum spend",
  value: "Value",
};
export const PERCENT_RULE = "A percent discount is 0.01% to 100%";
// The domain's refusal of a percent code out of range (its words count basis points).
const PERCENT_DETAIL = /^a percent discount is /;

// The form's times are typed in UTC: said back the same way, readably.
const utcTime = new Intl.DateTimeFormat("en-GB", {
  weekday: "short", day: "numeric", month: "short", year: "numeric",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC",
});

/** "Thu, 24 Dec 2026, 10:00 UTC" for an instant in RFC 3339 (what the form sent). */
export function timeText(iso) {
  const moment = new Date(iso || "");
  return Number.isNaN(moment.getTime()) ? "the time given" : `${utcTime.format(moment)} UTC`;
}

const cabin = (index) => `cabin ${Number(index) + 1}`;
const count = (n) => Number(n).toLocaleString("en-GB");

/**
 * A flight's field refused by a domain rule, in the form's words, by the rule's `type`;
 * `sent` is the flight as the form sent it (its code, airports and times).
 */
const FLIGHT_RULES = {
  "cabins-missing": () => "A flight needs at least one cabin",
  "cabin-name-missing": () => "Cabin name is required",
  "cabin-name-taken": ({ context }) => `Cabin name is already the name of ${cabin(context.other)}`,
  "currency-mixed": () => "Every cabin's fare must be in the flight's currency",
  "rows-out-of-order": ({ loc, context }) =>
    String(loc.at(-1)) === "1"
      ? "Last row cannot be before the first row"
      : `Rows must be between ${context.ge} and ${context.le}`,
  "rows-overlap": ({ context }) => `Its rows overlap those of ${cabin(context.other)}`,
  "letters-invalid": () => "Seat letters must be capital letters A to Z",
  "letters-repeat": () => "Seat letters must not repeat",
  "fare-not-positive": () => "Fare must be more than 0",
  "exit-rows-outside": ({ context }) => `Exit rows must be rows of this cabin, ${context.ge} to ${context.le}`,
  "aisle-misplaced": () => "Aisle after must be seat letters of this cabin other than the last one",
  "too-many-seats": ({ context }) => `A flight has at most ${count(context.le)} seats, and these cabins have ${count(context.seats)}`,
  "code-invalid": () => "Flight code must be an airline designator and a number, such as LS101",
  "airport-invalid": ({ loc }, sent) => `${sent[loc[0]] || "The airport"} is not an airport code: enter three capital letters, such as LHR`,
  "airport-unknown": ({ loc }, sent) => `No airport in use has the code ${sent[loc[0]]}`,
  "route-same": () => "The flight must land at another airport than the one it leaves from",
  "departure-past": (_, sent) => `The flight must depart in the future: ${timeText(sent.departs_at)} has passed`,
  "arrival-before-departure": (_, sent) => `The flight must arrive after it departs, ${timeText(sent.departs_at)}`,
  "flight-too-long": ({ context }, sent) => `The flight must arrive at most ${context.hours} hours after it departs, ${timeText(sent.departs_at)}`,
  "flight-exists": (_, sent) => `Flight ${sent.code} already departs at ${timeText(sent.departs_at)}`,
};

const fieldName = (loc) => [...loc].reverse().find((part) => Number.isNaN(Number(part)));

/** One field error of a 422 in the form's words (or the server's when this page has none).
 *  `currency`: the form's; `percent`: the discount's value is a percent, not an amount;
 *  `sent`: the flight the flight form sent, for its rules' words. */
function fieldRule(item, { currency, percent, sent }) {
  const flightRule = sent && FLIGHT_RULES[item.type];
  if (flightRule) return flightRule({ loc: item.loc || [], context: item.context || {} }, sent);
  const name = fieldName(item.loc || []);
  const limits = item.limits || {};
  if (!Object.keys(limits).length) return item.message;
  if (name === "value" && percent) return PERCENT_RULE;
  const label = MONEY_FIELDS[name];
  if (!label) return item.message;
  const amount = (minor) => money({ amount: minor, currency });
  if ("gt" in limits) return `${label} must be more than ${limits.gt === 0 ? "0" : amount(limits.gt)}`;
  if ("ge" in limits) return limits.ge === 0 ? `${label} cannot be negative` : `${label} must be at least ${amount(limits.ge)}`;
  if ("le" in limits) return `${label} must be at most ${amount(limits.le)}`;
  if ("lt" in limits) return `${label} must be less than ${amount(limits.lt)}`;
  return item.message;
}

/**
 * The API error as this page words it: its field errors' messages and a known detail
 * reworded; the error's class and status kept (a copy: the original is the server's).
 */
export function inAdminWords(error, context) {
  if (!error?.problem) return error;
  const problem = { ...error.problem };
  if (Array.isArray(problem.errors)) {
    problem.errors = problem.errors.map((item) => {
      const message = fieldRule(item, context);
      return { ...item, message, worded: message !== item.message };
    });
  }
  if (context.percent && PERCENT_DETAIL.test(problem.detail || "")) problem.detail = PERCENT_RULE;
  return Object.assign(Object.create(Object.getPrototypeOf(error)), error, { problem });
}
