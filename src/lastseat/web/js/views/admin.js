// Admin: create flights and discount codes, and read a flight's manifest. The server checks
// the admin role on every call; hiding this page from others is only a courtesy.
import { api } from "../api.js";
import { h, clear, field, select } from "../dom.js";
import { money } from "../money.js";
import { departure, departureText } from "../time.js";

const CURRENCIES = ["EUR", "GBP", "USD", "CHF", "SEK", "NOK", "DKK", "PLN", "CAD", "AUD", "JPY"].map((c) => [c, c]);

function utc(local) {
  // <input type=datetime-local> has no zone: the form says its times are UTC.
  return local ? `${local.length === 16 ? `${local}:00` : local}Z` : undefined;
}

function integer(input) {
  return input.value === "" ? undefined : Number.parseInt(input.value, 10);
}

function cabinFields(index) {
  const name = h("input", { name: "cabin", required: true, value: index ? "economy" : "business", maxlength: 32 });
  const first = h("input", { type: "number", name: "first_row", min: 1, max: 99, required: true, value: index ? 3 : 1 });
  const last = h("input", { type: "number", name: "last_row", min: 1, max: 99, required: true, value: index ? 20 : 2 });
  const letters = h("input", { name: "letters", required: true, pattern: "[A-Z]{1,12}", value: index ? "ABCDEF" : "AC" });
  const aisle = h("input", { name: "aisle_after", pattern: "[A-Z]{0,12}", value: index ? "C" : "A" });
  const exits = h("input", { name: "exit_rows", pattern: "[0-9, ]*", value: "" });
  const fare = h("input", { type: "number", name: "fare", min: 1, required: true, value: index ? 15000 : 120000 });
  const fieldset = h(
    "fieldset",
    { class: "cabin-fields" },
    h("legend", {}, `Cabin ${index + 1}`),
    field("Cabin name", name),
    field("First row", first),
    field("Last row", last),
    field("Seat letters", letters, "Capital letters, left to right, e.g. ABCDEF"),
    field("Aisle after", aisle, "Letters with an aisle on their right, e.g. C"),
    field("Exit rows", exits, "Row numbers, comma-separated"),
    field("Fare (minor units)", fare, "In cents or the currency's smallest unit: 15000 is 150.00"),
  );
  fieldset.read = (currency) => ({
    cabin: name.value.trim(),
    rows: [integer(first), integer(last)],
    letters: letters.value.trim(),
    aisle_after: aisle.value.trim(),
    exit_rows: exits.value.split(",").map((s) => s.trim()).filter(Boolean).map(Number),
    fare: { amount: integer(fare), currency },
  });
  return fieldset;
}

function flightForm(ctx, onCreated) {
  const code = h("input", { name: "code", required: true, minlength: 3, maxlength: 8 });
  const origin = h("input", { name: "origin", required: true, pattern: "[A-Z]{3}", maxlength: 3 });
  const destination = h("input", { name: "destination", required: true, pattern: "[A-Z]{3}", maxlength: 3 });
  const departs = h("input", { type: "datetime-local", name: "departs_at", required: true });
  const currency = select({ name: "currency" }, CURRENCIES);
  const cabins = h("div", { class: "cabins" }, cabinFields(0), cabinFields(1));
  const add = h("button", { type: "button" }, "Add a cabin");
  add.addEventListener("click", () => cabins.append(cabinFields(cabins.children.length)));
  const result = h("p", { role: "status" });
  const form = h(
    "form",
    { class: "admin-flight", "aria-label": "Create a flight" },
    field("Flight code", code),
    field("From (airport code)", origin),
    field("To (airport code)", destination),
    field("Departs (UTC)", departs),
    field("Currency", currency),
    cabins,
    add,
    h("button", { type: "submit", class: "primary" }, "Create flight"),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ctx.clearMessages();
    try {
      const made = await api("POST", "/api/v1/admin/flights", {
        body: {
          code: code.value.trim(),
          origin: origin.value.trim(),
          destination: destination.value.trim(),
          departs_at: utc(departs.value),
          cabins: [...cabins.children].map((c) => c.read(currency.value)),
        },
      });
      clear(result).append(
        `Flight ${made.code} created with ${made.seats} seats. `,
        h("a", { href: `#/flights/${made.id}` }, "Open its seat map"),
      );
      onCreated(made);
    } catch (error) {
      ctx.fail(error);
    }
  });
  return form;
}

function discountForm(ctx) {
  const code = h("input", { name: "code", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_-]{2,31}" });
  const kind = select({ name: "kind" }, [["percent", "Percent off"], ["fixed", "Fixed amount off"]]);
  const value = h("input", { type: "number", name: "value", min: 1, required: true });
  const currency = select({ name: "currency" }, [["", "any (percent codes)"], ...CURRENCIES]);
  const until = h("input", { type: "datetime-local", name: "valid_until" });
  const minSpend = h("input", { type: "number", name: "min_spend", min: 0, value: 0 });
  const cap = h("input", { type: "number", name: "max_redemptions", min: 1 });
  const result = h("p", { role: "status" });
  const form = h(
    "form",
    { class: "admin-discount", "aria-label": "Create a discount code" },
    field("Code", code),
    field("Kind", kind),
    field("Value", value, "Percent: basis points (1000 is 10%). Fixed: minor units (500 is 5.00)."),
    field("Currency", currency),
    field("Valid until (UTC, optional)", until),
    field("Minimum spend (minor units)", minSpend),
    field("Redemption cap (optional)", cap),
    h("button", { type: "submit", class: "primary" }, "Create code"),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ctx.clearMessages();
    try {
      const made = await api("POST", "/api/v1/admin/discounts", {
        body: {
          code: code.value.trim(),
          kind: kind.value,
          value: integer(value),
          currency: currency.value || undefined,
          valid_until: utc(until.value),
          min_spend: integer(minSpend) ?? 0,
          max_redemptions: integer(cap),
        },
      });
      result.textContent = `Code ${made.code} created.`;
    } catch (error) {
      ctx.fail(error);
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
        h("p", { class: "departs" }, "Departs ", departure(m)),
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
