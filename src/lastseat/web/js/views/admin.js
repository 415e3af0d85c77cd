// Admin: create flights and discount codes, and read a flight's manifest. The server checks
// the admin role on every call; hiding this page from others is only a courtesy. Money is
// typed in major units (150.00) and sent as exact integer minor units; a refusal is shown
// next to the form's button and under each field it names, in the form's words.
import { api, ApiError } from "../api.js";
import { h, clear, field, select } from "../dom.js";
import { clearFieldErrors, fieldPath, messageSlot, showFieldErrors } from "../message.js";
import { money, scaled } from "../money.js";
import { arrival, departure, departureText } from "../time.js";
import { SURCHARGE_NAMES } from "../words.js";
import { amountInput, amountOf, amountsFollow, followCurrency, FormProblem, hintOf, sayRule } from "./admin-amounts.js";
import { inAdminWords } from "./admin-words.js";

const CURRENCIES = ["EUR", "GBP", "USD", "CHF", "SEK", "NOK", "DKK", "PLN", "CAD", "AUD", "JPY"].map((c) => [c, c]);
const MAX_ROW = 99;
const NEW_CABIN_ROWS = 10; // an added cabin starts with this many rows after the last one
// The server's TYPED_CODE_PATTERN, written for the `v` flag Chromium compiles `pattern`
// with: there a "-" inside a class must be escaped.
const DISCOUNT_CODE_PATTERN = String.raw`[A-Za-z0-9][A-Za-z0-9_\-]{2,31}`;
// Percent off, to hundredths (kept in basis points).
const PERCENT_PATTERN = String.raw`\d{1,3}(\.\d{0,2})?`;
const CABIN_NAME_PATTERN = String.raw`[A-Za-z0-9][A-Za-z0-9 _\-]{0,31}`;

function utc(local) {
  // <input type=datetime-local> has no zone: the form says its times are UTC.
  return local ? `${local.length === 16 ? `${local}:00` : local}Z` : undefined;
}

function integer(input) {
  return input.value === "" ? undefined : Number.parseInt(input.value, 10);
}

/** "body.cabins.1.rows" → "Cabin 2, rows": where the server found a problem, in form words. */
function where(loc) {
  const parts = fieldPath(loc);
  const words = [];
  for (let i = 0; i < parts.length; i += 1) {
    if (parts[i] === "cabins" && /^\d+$/.test(parts[i + 1] || "")) {
      words.push(`cabin ${Number(parts[i + 1]) + 1}`);
      i += 1;
    } else {
      words.push(parts[i].replaceAll("_", " "));
    }
  }
  const text = words.join(", ");
  return text ? text[0].toUpperCase() + text.slice(1) : "The form";
}

/** "Cabin 2: " for a field of the second cabin, else nothing. */
function cabinOf(loc) {
  const at = loc.indexOf("cabins");
  return at >= 0 && /^\d+$/.test(loc[at + 1] || "") ? `Cabin ${Number(loc[at + 1]) + 1}: ` : "";
}

/**
 * The control a 422's `loc` names: within the cabin it names (cabins.1.fare.amount is the
 * second cabin's fare), the deepest part that names a control; the API's `rows` pair is
 * two fields here, and a fare's currency is the flight's.
 */
function controlFor(form, loc) {
  const parts = fieldPath(loc);
  const at = parts.indexOf("cabins");
  const index = at >= 0 && /^\d+$/.test(parts[at + 1] || "") ? Number(parts[at + 1]) : null;
  const cabin = index === null ? null : form.querySelectorAll("fieldset.cabin-fields")[index];
  const rest = index === null ? parts : parts.slice(at + 2);
  for (let i = rest.length - 1; i >= 0; i -= 1) {
    if (/^\d+$/.test(rest[i])) continue;
    const name = rest[i] === "rows" ? (rest[i + 1] === "1" ? "last_row" : "first_row") : rest[i];
    for (const scope of [cabin, form]) {
      const control = scope?.querySelector(`[name="${CSS.escape(name)}"]`);
      if (control) return control;
    }
  }
  return null;
}

/** The field a loc names as the form labels it ("Redemption cap", "Cabin 2, letters"), not
 *  as the API does ("max_redemptions"); the API's words where no control is found. */
function fieldName(form, loc) {
  const label = controlFor(form, loc)?.labels?.[0]?.textContent.replace(/\s*\(.*\)$/, "").trim();
  if (!label) return where(loc);
  const cabin = cabinOf(loc);
  return cabin ? `${cabin.slice(0, -2)}, ${label.toLowerCase()}` : label;
}

/** The server's reason, shown next to the form that was refused (never a generic line). */
function refusalText(form, error) {
  if (error instanceof FormProblem) return error.message;
  if (!(error instanceof ApiError)) return "Something went wrong in this page. Please reload and try again.";
  const fields = error.problem.errors;
  if (Array.isArray(fields) && fields.length) {
    // A rule said in this page's words names its field already: only the cabin is added.
    // One refusal of two fields (a flight that already departs then) is said once.
    const each = fields.map((f) => (f.worded ? `${cabinOf(f.loc || [])}${f.message}` : `${fieldName(form, f.loc || [])}: ${f.message}`));
    return `${[...new Set(each.map((text) => text.replace(/\.$/, "")))].join(". ")}.`;
  }
  if (error.status === 422 || error.status === 409) return error.problem.detail || error.plain;
  return error.plain;
}

/** What happened to a form's last try, in the shared message slot after its submit button:
 *  a refusal the API tied to fields is also shown under each of those fields. `units()`
 *  says what the form's amounts were typed in ({currency, percent}), for admin-words.js. */
function formMessage(form, submit, units) {
  const slot = messageSlot(submit, { urgent: false });
  return {
    done(...content) {
      clearFieldErrors(form);
      slot.show(h("span", {}, ...content), "info");
    },
    refused(refusal) {
      clearFieldErrors(form);
      const error = refusal instanceof ApiError ? inAdminWords(refusal, units()) : refusal;
      if (error instanceof FormProblem) {
        slot.show(error.message);
        error.control.focus();
        return;
      }
      // Each field the server named is marked where it is (a cabin's fare far up the form),
      // and the slot by the button, the one place that is announced, says them all.
      showFieldErrors(form, error, { controlFor: (loc) => controlFor(form, loc) });
      slot.show(refusalText(form, error));
    },
  };
}

function cabinFields(currency, { name: cabinName = "economy", first = 1, last = 10, letters: seatLetters = "ABCDEF", aisle: aisleAfter = "C", fare: fareWhole = 150 } = {}) {
  const name = h("input", { name: "cabin", required: true, value: cabinName, maxlength: 32, pattern: CABIN_NAME_PATTERN });
  const firstRow = h("input", { type: "number", name: "first_row", min: 1, max: MAX_ROW, required: true, value: first });
  const lastRow = h("input", { type: "number", name: "last_row", min: 1, max: MAX_ROW, required: true, value: last });
  const letters = h("input", { name: "letters", required: true, pattern: "[A-Z]{1,12}", value: seatLetters });
  const aisle = h("input", { name: "aisle_after", pattern: "[A-Z]{0,12}", value: aisleAfter });
  const exits = h("input", { name: "exit_rows", pattern: "[0-9, ]*", value: "" });
  const fare = amountInput("fare", currency, { whole: fareWhole, required: true, hint: "Per seat, in the flight's currency, e.g. {example}" });
  const legend = h("legend", {});
  const remove = h("button", { type: "button", class: "remove-cabin" }, "Remove this cabin");
  const fieldset = h(
    "fieldset",
    { class: "cabin-fields" },
    legend,
    field("Cabin name", name),
    field("First row", firstRow),
    field("Last row", lastRow),
    field("Seat letters", letters, "Capital letters, left to right, e.g. ABCDEF"),
    field("Aisle after", aisle, "Letters with an aisle on their right, e.g. C"),
    field("Exit rows", exits, "Row numbers, comma-separated; their seats cost the exit row price"),
    field("Fare", fare, hintOf(fare, currency)),
    remove,
  );
  fieldset.lastRow = () => integer(lastRow) || 0;
  fieldset.number = (n, only) => {
    legend.textContent = `Cabin ${n}`;
    remove.setAttribute("aria-label", `Remove cabin ${n}`);
    remove.disabled = only;
  };
  fieldset.onRemove = (handler) => remove.addEventListener("click", handler);
  fieldset.read = (currency) => ({
    cabin: name.value.trim(),
    rows: [integer(firstRow), integer(lastRow)],
    letters: letters.value.trim(),
    aisle_after: aisle.value.trim(),
    exit_rows: exits.value.split(",").map((s) => s.trim()).filter(Boolean).map(Number),
    fare: { amount: amountOf(fare, currency, `${legend.textContent}, fare`), currency },
  });
  return fieldset;
}

/** The flight's seat surcharges, in the words travellers read on the seat map. */
function surchargeFields(currency) {
  const exitRow = amountInput("exit_row", currency, { example: 25, hint: "Added to seats in each cabin's exit rows, e.g. {example}" });
  const frontRow = amountInput("front_row", currency);
  const frontRows = h("input", { type: "number", name: "front_rows", min: 0, max: MAX_ROW, value: "" });
  const windowSeat = amountInput("window", currency);
  const aisleSeat = amountInput("aisle", currency);
  const fieldset = h(
    "fieldset",
    { class: "surcharge-fields" },
    h("legend", {}, "Seat surcharges (optional, for every cabin)"),
    field(`${SURCHARGE_NAMES.exit_row} price`, exitRow, hintOf(exitRow, currency)),
    field(`${SURCHARGE_NAMES.front_row} price`, frontRow, "Added to seats in a cabin's first rows"),
    field("Front rows per cabin", frontRows, "How many rows count as front rows"),
    field(`${SURCHARGE_NAMES.window} price`, windowSeat),
    field(`${SURCHARGE_NAMES.aisle} price`, aisleSeat),
  );
  fieldset.read = (currency) => ({
    exit_row: amountOf(exitRow, currency, `${SURCHARGE_NAMES.exit_row} price`, 0),
    front_row: amountOf(frontRow, currency, `${SURCHARGE_NAMES.front_row} price`, 0),
    front_rows: integer(frontRows) ?? 0,
    window: amountOf(windowSeat, currency, `${SURCHARGE_NAMES.window} price`, 0),
    aisle: amountOf(aisleSeat, currency, `${SURCHARGE_NAMES.aisle} price`, 0),
  });
  return fieldset;
}

function flightForm(ctx, onCreated) {
  const code = h("input", { name: "code", required: true, minlength: 3, maxlength: 8 });
  const origin = h("input", { name: "origin", required: true, pattern: "[A-Z]{3}", maxlength: 3 });
  const destination = h("input", { name: "destination", required: true, pattern: "[A-Z]{3}", maxlength: 3 });
  const departs = h("input", { type: "datetime-local", name: "departs_at", required: true });
  const arrives = h("input", { type: "datetime-local", name: "arrives_at" });
  const currency = select({ name: "currency" }, CURRENCIES);
  const cabins = h("div", { class: "cabins" });
  const renumber = () => [...cabins.children].forEach((c, i, all) => c.number(i + 1, all.length === 1));
  const addCabin = (proposal) => {
    const cabin = cabinFields(currency.value, proposal);
    cabin.onRemove(() => {
      const next = cabin.nextElementSibling || cabin.previousElementSibling;
      cabin.remove();
      renumber();
      next?.querySelector("input")?.focus();
    });
    cabins.append(cabin);
    renumber();
    return cabin;
  };
  addCabin({ name: "business", first: 1, last: 2, letters: "AC", aisle: "A", fare: 1200 });
  addCabin({ name: "economy", first: 3, last: 20, letters: "ABCDEF", aisle: "C", fare: 150 });
  const add = h("button", { type: "button", class: "add-cabin" }, "Add a cabin");
  add.addEventListener("click", () => {
    // Rows after every cabin's last one: the new cabin overlaps none of them.
    const first = Math.min(Math.max(0, ...[...cabins.children].map((c) => c.lastRow())) + 1, MAX_ROW);
    addCabin({ first, last: Math.min(first + NEW_CABIN_ROWS - 1, MAX_ROW) }).querySelector("input").focus();
  });
  const surcharges = surchargeFields(currency.value);
  const submit = h("button", { type: "submit", class: "primary" }, "Create flight");
  const form = h(
    "form",
    { class: "admin-flight", "aria-label": "Create a flight" },
    field("Flight code", code),
    field("From (airport code)", origin),
    field("To (airport code)", destination),
    field("Departs (UTC)", departs),
    field("Arrives (UTC)", arrives),
    field("Currency", currency),
    cabins,
    h("div", { class: "form-actions" }, add),
    surcharges,
    h("div", { class: "form-actions" }, submit),
  );
  let sent = {}; // the last flight sent, whose refusals name its code, airports and times
  const message = formMessage(form, submit, () => ({ currency: currency.value, percent: false, sent }));
  currency.addEventListener("change", () => amountsFollow(form, currency.value));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ctx.clearMessages();
    try {
      sent = {
        code: code.value.trim(),
        origin: origin.value.trim(),
        destination: destination.value.trim(),
        departs_at: utc(departs.value),
        arrives_at: utc(arrives.value), // undefined, so left out, when not given: unknown
        cabins: [...cabins.children].map((c) => c.read(currency.value)),
        surcharges: surcharges.read(currency.value),
      };
      const made = await api("POST", "/api/v1/admin/flights", { body: sent });
      message.done(`Flight ${made.code} created with ${made.seats} seats. `, h("a", { href: `#/flights/${made.id}` }, "Open its seat map"));
      onCreated(made);
    } catch (error) {
      message.refused(error);
    }
  });
  return form;
}

function discountForm(ctx) {
  const code = h("input", { name: "code", required: true, pattern: DISCOUNT_CODE_PATTERN, maxlength: 32, title: "3 to 32 letters, digits, _ or -, starting with a letter or digit" });
  const kind = select({ name: "kind" }, [["percent", "Percent off"], ["fixed", "Fixed amount off"]]);
  const value = amountInput("value", "EUR", { required: true });
  const currency = select({ name: "currency" }, [["", "any (percent codes)"], ...CURRENCIES]);
  const until = h("input", { type: "datetime-local", name: "valid_until" });
  const minSpend = amountInput("min_spend", "EUR");
  const cap = h("input", { type: "number", name: "max_redemptions", min: 1 });
  const submit = h("button", { type: "submit", class: "primary" }, "Create code");
  const form = h(
    "form",
    { class: "admin-discount", "aria-label": "Create a discount code" },
    field("Code", code, "3 to 32 letters, digits, _ or -"),
    field("Kind", kind),
    field("Value", value, "Percent off (e.g. 10 or 12.5), or the amount off in the currency (e.g. 5.00)"),
    field("Currency", currency),
    field("Valid until (UTC, optional)", until),
    field("Minimum spend (optional)", minSpend, "In the currency, e.g. 100.00"),
    field("Redemption cap (optional)", cap),
    h("div", { class: "form-actions" }, submit),
  );
  // A code for any currency has two decimals, as EUR.
  const message = formMessage(form, submit, () => ({ currency: currency.value || "EUR", percent: kind.value === "percent" }));
  const follow = () => {
    followCurrency(minSpend, currency.value || "EUR");
    if (kind.value === "fixed") followCurrency(value, currency.value || "EUR");
    else {
      Object.assign(value, { pattern: PERCENT_PATTERN, title: "Enter a percentage such as 10 or 12.5.", inputMode: "decimal" });
      sayRule(value);
    }
  };
  kind.addEventListener("change", follow);
  currency.addEventListener("change", follow);
  follow();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ctx.clearMessages();
    try {
      const fixed = kind.value === "fixed";
      if (fixed && !currency.value) throw new FormProblem("A fixed amount off needs a currency.", currency);
      // Percent codes are kept in basis points (12.5% is 1250); amounts in minor units.
      const percent = scaled(value.value, 2);
      if (!fixed && percent === null) throw new FormProblem("Value: enter a percentage such as 10 or 12.5.", value);
      const spendCurrency = currency.value || "EUR"; // a code for any currency: two decimals
      const made = await api("POST", "/api/v1/admin/discounts", {
        body: {
          code: code.value.trim(),
          kind: kind.value,
          value: fixed ? amountOf(value, currency.value, "Value") : percent,
          currency: currency.value || undefined,
          valid_until: utc(until.value),
          min_spend: amountOf(minSpend, spendCurrency, "Minimum spend", 0),
          max_redemptions: integer(cap),
        },
      });
      message.done(`Code ${made.code} created.`);
    } catch (error) {
      message.refused(error);
    }
  });
  return form;
}

function manifestPanel(ctx) {
  const flight = select({ name: "flight" }, []);
  const show = h("button", { type: "submit" }, "Show manifest");
  const out = h("div", { class: "manifest", "aria-live": "polite" });
  const form = h("form", { class: "admin-manifest", "aria-label": "Flight manifest" }, field("Flight", flight), show);
  async function load(selectId) {
    const found = await api("GET", "/api/v1/flights", { query: { limit: 200 } });
    clear(flight).append(...found.items.map((f) => h("option", { value: f.id }, `${f.code} ${f.origin}→${f.destination} ${departureText(f)}`)));
    if (selectId) flight.value = String(selectId);
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ctx.clearMessages();
    try {
      const m = await api("GET", `/api/v1/admin/flights/${flight.value}/manifest`);
      clear(out).append(
        h("h3", {}, `${m.code}: ${m.seats_booked} seats in ${m.bookings} bookings, revenue ${money(m.revenue)}`),
        h("p", { class: "departs" }, "Departs ", departure(m), ", arrives ", arrival(m)),
        m.redemptions.length
          ? h("p", {}, `Discounts: ${m.redemptions.map((r) => `${r.code} used ${r.uses}× (${money(r.discounted)})`).join("; ")}`)
          : null,
        h(
          "table",
          {},
          h("caption", {}, "Passengers"),
          h("thead", {}, h("tr", {}, ...["Seat", "Passenger", "Reference"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, ...m.passengers.map((p) => h("tr", {}, h("td", {}, p.seat), h("td", {}, passengerName(p)), h("td", {}, p.reference)))),
        ),
      );
    } catch (error) {
      ctx.fail(error);
    }
  });
  return { element: h("div", {}, form, out), load };
}

export async function render(main, _params, ctx) {
  if (!ctx.requireUser()) return;
  if (ctx.user.role !== "admin") {
    main.append(h("h1", {}, "Admin"), h("p", {}, "This page is for lastseat's staff. Your account is not an admin account."));
    return;
  }
  const manifest = manifestPanel(ctx);
  main.append(
    h("h1", {}, "Admin"),
    h("section", { "aria-labelledby": "admin-flight" }, h("h2", { id: "admin-flight" }, "Create a flight"), flightForm(ctx, (made) => manifest.load(made.id).catch(ctx.fail))),
    h("section", { "aria-labelledby": "admin-discount" }, h("h2", { id: "admin-discount" }, "Create a discount code"), discountForm(ctx)),
    h("section", { "aria-labelledby": "admin-manifest" }, h("h2", { id: "admin-manifest" }, "Manifest"), manifest.element),
  );
  await manifest.load();
}

// Family name first, as a manifest is read; bookings made before names were asked have none.
function passengerName(p) {
  return p.family_name ? `${p.family_name}, ${p.given_name}` : "(not named)";
}
