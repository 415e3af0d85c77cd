// The seat map's drawing: per cabin a grid of seat buttons with their prices, exit rows
// marked at both ends, a legend of states and seat types, and a detail line saying what the
// seat in focus is and why it costs what it costs. Every state has a pattern or an icon as
// well as a colour. What a click does (selection, holds) stays with the page.
import { h, clear } from "./dom.js";
import { money, moneyShort } from "./money.js";
import { cabinName, seatType, surchargeName, surchargeNames } from "./words.js";

const STATUS_WORDS = { available: "available", held: "held by another traveller", booked: "booked", mine: "held by you" };
const DETAIL_HINT = "Focus or tap a seat to see what it is and why it costs what it does.";

const has = (info, feature) => info.features.includes(feature);

/** Why the seat costs its price: "Economy fare €150.00 + Exit row seat €25.00". */
export function priceReason(info) {
  const parts = info.price_parts;
  const extras = parts.surcharges.map((s) => ` + ${surchargeName(s.kind)} ${money(s)}`);
  return `${cabinName(info.cabin)} fare ${money(parts.fare)}${extras.join("")}`;
}

/** Give a seat's button the look and label of its state (`status`: available, held,
 *  booked or mine) and whether the traveller has chosen it. */
export function paintSeat(button, info, status, chosen) {
  button.dataset.status = status;
  button.disabled = status !== "available";
  button.setAttribute("aria-pressed", chosen ? "true" : "false");
  button.setAttribute(
    "aria-label",
    `Seat ${info.seat}, ${info.cabin}, ${seatType(info)}, ${STATUS_WORDS[status]}${chosen ? ", selected" : ""}, ${money(info.price)}`,
  );
}

function seatButton(info, onChoose, explain) {
  const button = h(
    "button",
    {
      type: "button",
      class: "seat",
      "data-seat": info.seat,
      "data-premium": has(info, "premium_cabin"),
      "data-legroom": has(info, "extra_legroom"),
      "data-surcharged": info.price_parts.surcharges.length > 0,
      onclick: () => onChoose(info.seat),
      onfocus: () => explain(info),
      onpointerenter: () => explain(info),
    },
    h("span", { class: "seat-icon", "aria-hidden": "true" }),
    info.price_parts.surcharges.length ? h("span", { class: "seat-extra", "aria-hidden": "true" }, "+") : null,
    h("span", { class: "seat-name" }, info.seat),
    h("span", { class: "seat-price" }, moneyShort(info.price)),
  );
  return button;
}

function exitLabel(exit, side) {
  return exit ? h("span", { class: `exit-label ${side}`, "aria-hidden": "true" }, "EXIT") : h("span", { "aria-hidden": "true" });
}

/** Draw every cabin of `flight` into `root`, front of the aircraft first; `seats` maps seat
 *  names to the API's seats. Returns the seat buttons by seat name; `onChoose(seat)` runs
 *  when one is pressed. */
export function drawSeatMap(root, flight, seats, onChoose) {
  const buttons = new Map();
  const detail = h("p", { class: "seat-detail" }, DETAIL_HINT);
  const explain = (info) => {
    clear(detail).append(
      h("strong", {}, `${info.seat}: ${seatType(info)}`),
      ` · ${money(info.price)} = ${priceReason(info)}`,
    );
  };
  root.append(detail, h("p", { class: "nose" }, h("span", { class: "nose-tip", "aria-hidden": "true" }), "Front of the aircraft"));
  // Per cabin: a header of seat letters with the aisles where the layout puts them, then a
  // row of seat buttons per row number, between the EXIT marks of an exit row. Buttons are
  // in reading order, so Tab walks the map.
  for (const cabin of flight.cabins) {
    const letters = [...cabin.letters];
    const columns = letters.flatMap((l) => (cabin.aisle_after.includes(l) && l !== letters.at(-1) ? [l, "aisle"] : [l]));
    const grid = h("div", { class: "cabin-grid", role: "group", "aria-label": `${cabin.cabin} cabin seats` });
    grid.style.setProperty("--columns", String(columns.length));
    const blank = () => h("span", { "aria-hidden": "true" });
    grid.append(blank(), h("span", { class: "row-no", "aria-hidden": "true" }), ...columns.map((c) => h("span", { class: "letter", "aria-hidden": "true" }, c === "aisle" ? "" : c)), blank());
    for (let row = cabin.rows[0]; row <= cabin.rows[1]; row++) {
      const exit = cabin.exit_rows.includes(row);
      grid.append(exitLabel(exit, "left"), h("span", { class: exit ? "row-no exit" : "row-no", "aria-hidden": "true" }, String(row)));
      for (const column of columns) {
        const seat = `${row}${column}`;
        if (column === "aisle") grid.append(h("span", { class: "aisle", "aria-hidden": "true" }));
        else if (!seats.has(seat)) grid.append(h("span", { class: "no-seat", "aria-hidden": "true" }));
        else {
          const button = seatButton(seats.get(seat), onChoose, explain);
          buttons.set(seat, button);
          grid.append(button);
        }
      }
      grid.append(exitLabel(exit, "right"));
    }
    root.append(h("section", { class: "cabin" }, h("h2", {}, cabin.cabin), grid));
  }
  return buttons;
}

/** The legend: each state's swatch (with its pattern or icon) and, of the seat types on this
 *  flight, how each is drawn. */
export function legend(seats) {
  const all = [...seats.values()];
  const some = (test) => all.some(test);
  const state = (status, text) =>
    h("li", {}, h("span", { class: "swatch", "data-status": status, "aria-hidden": "true" }, h("span", { class: "seat-icon" })), text);
  const type = (mark, text) => h("li", {}, mark, text);
  const kinds = new Set(all.flatMap((s) => s.price_parts.surcharges.map((x) => x.kind)));
  const extras = surchargeNames(kinds);
  return h(
    "div",
    { class: "legends" },
    h(
      "ul",
      { class: "legend", "aria-label": "Seat states" },
      state("available", "Available"),
      state("selected", "Selected"),
      state("mine", "Held by you"),
      state("held", "Held by others"),
      state("booked", "Booked"),
    ),
    h(
      "ul",
      { class: "legend", "aria-label": "Seat types" },
      all.length > 0 && type(h("span", { class: "price-mark", "aria-hidden": "true" }, moneyShort(all[0].price)), "Price of the seat, before taxes"),
      some((s) => has(s, "premium_cabin")) && type(h("span", { class: "swatch wide", "aria-hidden": "true" }), "Wider seat: premium cabin"),
      some((s) => has(s, "exit_row")) && type(h("span", { class: "exit-label", "aria-hidden": "true" }, "EXIT"), "Exit row"),
      some((s) => has(s, "extra_legroom")) && type(h("span", { class: "swatch legroom", "aria-hidden": "true" }), "Extra legroom"),
      kinds.size > 0 && type(h("span", { class: "seat-extra legend-extra", "aria-hidden": "true" }, "+"), `Extra charge (${extras})`),
    ),
  );
}
