// Flight search and list.
import { api } from "../api.js";
import { h, clear, field } from "../dom.js";
import { arrival, departure } from "../time.js";
import { seats } from "../words.js";

export async function render(main, _params, ctx) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const origin = h("input", { name: "origin", maxlength: 3, autocomplete: "off", placeholder: "LHR", value: params.get("origin") || "", pattern: "[A-Za-z]{3}", title: "Three-letter airport code" });
  const destination = h("input", { name: "destination", maxlength: 3, autocomplete: "off", placeholder: "JFK", value: params.get("destination") || "", pattern: "[A-Za-z]{3}", title: "Three-letter airport code" });
  const date = h("input", { name: "date", type: "date", value: params.get("date") || "" });
  const results = h("div", { id: "results", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "search", role: "search", "aria-label": "Search flights" },
    field("From", origin),
    field("To", destination),
    field("Date", date),
    h("button", { type: "submit" }, "Search"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    if (origin.value) query.set("origin", origin.value.toUpperCase());
    if (destination.value) query.set("destination", destination.value.toUpperCase());
    if (date.value) query.set("date", date.value);
    ctx.navigate(`#/?${query}`);
  });
  main.append(h("h1", {}, "Find a flight"), form, results);

  const query = Object.fromEntries(params);
  if (query.origin) query.origin = query.origin.toUpperCase();
  if (query.destination) query.destination = query.destination.toUpperCase();
  const found = await api("GET", "/api/v1/flights", { query: { ...query, limit: 100 } });
  clear(results);
  if (!found.items.length) {
    results.append(h("p", {}, "No flights match. Try another date or airport."));
    return;
  }
  results.append(
    h("h2", {}, `${found.items.length} flight${found.items.length === 1 ? "" : "s"}`),
    h(
      "ul",
      { class: "flights" },
      ...found.items.map((f) =>
        h(
          "li",
          { class: "flight", "data-flight": f.id },
          h("span", { class: "code" }, f.code),
          h("span", { class: "route" }, `${f.origin} → ${f.destination}`),
          departure(f),
          h("span", { class: "arrives" }, "arrives ", arrival(f)),
          h("span", { class: "left" }, f.seats_available ? `${seats(f.seats_available)} left` : "Full"),
          h("a", { class: "button", href: `#/flights/${f.id}`, "aria-label": `Choose seats on ${f.code} from ${f.origin} to ${f.destination}` }, "Choose seats"),
        ),
      ),
    ),
  );
}
