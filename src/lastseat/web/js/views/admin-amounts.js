// Amounts the admin types, in major units of a currency that can change while the form is
// open: a yen has no decimals, a euro two, a Kuwaiti dinar three (ISO 4217, as money.js
// reads it). Each amount field's pattern, keyboard, hint and proposed value follow the
// form's currency, so a proposal the form itself made is never refused for its digits.
import { h } from "../dom.js";
import { amountPattern, fractionDigits, minorUnits, retyped, wholeAmount } from "../money.js";

/** A problem with what was typed, found before anything is sent; `control` gets focus. */
export class FormProblem extends Error {
  constructor(message, control) {
    super(message);
    this.control = control;
  }
}

/** "150.00", "150" or "150.000": an example amount in the currency's digits. */
const example = (currency) => wholeAmount(150, currency);

function rule(currency) {
  const digits = fractionDigits(currency);
  return `an amount in ${currency} such as ${example(currency)} (${digits ? `up to ${digits} decimals` : "no decimals"})`;
}

/**
 * A text field for an amount of `currency`. `hint` may name `{example}`, said in the
 * currency's digits; `whole` proposes that many major units (150 → "150.00" in EUR).
 */
export function amountInput(name, currency, { whole, required = false, hint } = {}) {
  const input = h("input", { name, required, autocomplete: "off", maxlength: 16, "data-amount": "" });
  if (hint) input.dataset.hint = hint;
  if (whole !== undefined) input.value = wholeAmount(whole, currency);
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
  return input.dataset.hint?.replace("{example}", example(currency));
}

/**
 * Make an amount field (made by amountInput) say and accept `currency`'s digits, and
 * re-write what it holds in them when that keeps its value ("150.00" becomes "150" for
 * JPY); an amount the new currency cannot hold is left as typed, for the pattern to flag.
 */
export function followCurrency(input, currency) {
  input.pattern = amountPattern(currency);
  input.title = `Enter ${rule(currency)}.`;
  // A phone offers a decimal point only where the currency has one.
  input.inputMode = fractionDigits(currency) ? "decimal" : "numeric";
  const again = input.value && retyped(input.value, currency);
  if (again) input.value = again;
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
