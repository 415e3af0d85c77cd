// Amounts the admin types, in major units of a currency that can change while the form is
// open: a yen has no decimals, a euro two, a Kuwaiti dinar three (ISO 4217, as money.js
// reads it). Each amount field's pattern, keyboard, hint and proposed value follow the
// form's currency, so a proposal the form itself made is never refused for its digits; and
// what it proposes and gives as an example is sized for the currency (a ¥150 fare is not a
// fare), by the one table below.
import { h } from "../dom.js";
import { amountPattern, fractionDigits, minorUnits, retyped, wholeAmount } from "../money.js";

/** A problem with what was typed, found before anything is sent; `control` gets focus. */
export class FormProblem extends Error {
  constructor(message, control) {
    super(message);
    this.control = control;
  }
}

// An everyday economy fare in each currency the form offers, in whole units: every amount
// the form proposes or gives as an example is written for EUR and scaled by this (its EUR
// 150, JPY 20,000). A currency not here is sized as EUR.
const EVERYDAY_FARE = {
  EUR: 150, GBP: 130, USD: 160, CHF: 140, SEK: 1700, NOK: 1800, DKK: 1100,
  PLN: 650, CAD: 220, AUD: 250, JPY: 20000,
};
const EUR_FARE = EVERYDAY_FARE.EUR;

/** `euros` whole EUR said as much in whole units of `currency`, to two significant digits
 *  (1200 → 160000 for JPY): a plausible amount, not a conversion. */
export function sized(euros, currency) {
  const amount = (euros * (EVERYDAY_FARE[currency] ?? EUR_FARE)) / EUR_FARE;
  if (amount < 100) return Math.round(amount);
  const step = 10 ** (Math.floor(Math.log10(amount)) - 1);
  return Math.round(amount / step) * step;
}

/** "150.00", "20000" or "150.000": an example amount of `euros` (by default an everyday
 *  fare) sized and written for the currency. */
const example = (currency, euros = EUR_FARE) => wholeAmount(sized(euros, currency), currency);

function rule(currency) {
  const digits = fractionDigits(currency);
  return `an amount in ${currency} such as ${example(currency)} (${digits ? `up to ${digits} decimals` : "no decimals"})`;
}

/**
 * A text field for an amount of `currency`. `hint` may name `{example}`: `example` EUR (an
 * everyday fare if not given) sized and written for the currency; `whole` proposes that
 * many EUR sized for the currency (150 → "150.00" in EUR, "20000" in JPY).
 */
export function amountInput(name, currency, { whole, example: euros, required = false, hint } = {}) {
  const input = h("input", { name, required, autocomplete: "off", maxlength: 16, "data-amount": "" });
  if (hint) input.dataset.hint = hint;
  if (euros !== undefined) input.dataset.example = String(euros);
  if (whole !== undefined) {
    input.dataset.whole = String(whole);
    input.value = input.dataset.proposed = wholeAmount(sized(whole, currency), currency);
  }
  input.addEventListener("input", () => sayRule(input));
  followCurrency(input, currency);
  return input;
}

/** A field refused for its pattern says the field's rule (its title), not the browser's
 *  "Please match the requested format". */
export function sayRule(input) {
  input.setCustomValidity("");
  if (input.validity.patternMismatch) input.setCustomValidity(input.title);
}

/** The hint an amount field's `field()` shows, in the currency's digits. */
export function hintOf(input, currency) {
  const euros = input.dataset.example ? Number(input.dataset.example) : undefined;
  return input.dataset.hint?.replace("{example}", example(currency, euros));
}

/**
 * Make an amount field (made by amountInput) say and accept `currency`'s digits. What it
 * still proposes untouched becomes the new currency's proposal ("150.00" EUR, "20000"
 * JPY); what was typed is re-written in the new digits when that keeps its value ("150.00"
 * becomes "150" for JPY), or else left as typed, for the pattern to flag.
 */
export function followCurrency(input, currency) {
  input.pattern = amountPattern(currency);
  input.title = `Enter ${rule(currency)}.`;
  // A phone offers a decimal point only where the currency has one.
  input.inputMode = fractionDigits(currency) ? "decimal" : "numeric";
  const proposal = input.dataset.proposed !== undefined && input.value === input.dataset.proposed;
  if (proposal) {
    input.value = input.dataset.proposed = wholeAmount(sized(Number(input.dataset.whole), currency), currency);
  } else {
    delete input.dataset.proposed; // typed over: the admin's amount from now on
    const again = input.value && retyped(input.value, currency);
    if (again) input.value = again;
  }
  sayRule(input);
  const hint = input.id && input.parentElement?.querySelector(`#${input.id}-hint`);
  if (hint && input.dataset.hint) hint.textContent = hintOf(input, currency);
}

/** Every amount field inside `root` follows `currency` (see followCurrency). */
export function amountsFollow(root, currency) {
  for (const input of root.querySelectorAll("input[data-amount]")) followCurrency(input, currency);
}

/** A typed amount in major units as minor units of `currency` (blank: `blank`). */
export function amountOf(input, currency, what, blank = undefined) {
  if (input.value.trim() === "" && blank !== undefined) return blank;
  const amount = minorUnits(input.value, currency);
  if (amount === null) throw new FormProblem(`${what}: enter ${rule(currency)}.`, input);
  return amount;
}
