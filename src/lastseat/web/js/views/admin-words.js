// The server's refusals of the admin forms said in the units the admin typed: the API counts
// money in minor units and percent codes in basis points, and words its limits that way (for
// API clients, unchanged); this page says "Fare must be at most €1,000,000.00" and "A percent
// discount is 0.01% to 100%". Every such rewording is here, keyed by the field a 422 names,
// its rule's type and limits, or a known problem detail.
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

const fieldName = (loc) => [...loc].reverse().find((part) => Number.isNaN(Number(part)));

/** One field error of a 422 in the form's words (or the server's when this page has none).
 *  `currency`: the form's; `percent`: the discount's value is a percent, not an amount. */
function fieldRule(item, { currency, percent }) {
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
