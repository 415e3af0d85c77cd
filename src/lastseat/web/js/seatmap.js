// The seat map's drawing: per cabin a grid of seat buttons, their look and labels, and the
// legend. What a click does (selection, holds) stays with the page that draws the map.
import { h } from "./dom.js";
import { money } from "./money.js";

const STATUS_WORDS = { available: "available", held: "held by another traveller", booked: "booked", mine: "held by you" };

/** Give a seat's button the look and label of its state (`status`: available, held,
 *  booked or mine) and whether the traveller has chosen it. */
export function paintSeat(button, info, status, chosen) {
  button.dataset.status = status;
  button.disabled = status !== "available";
  button.setAttribute("aria-pressed", chosen ? "true" : "false");
  button.setAttribute(
    "aria-label",
    `Seat ${info.seat}, ${info.cabin}, ${STATUS_WORDS[status]}, ${money(info.price)}${chosen ? ", selected" : ""}`,
  );
}

/** Draw every cabin of `flight` into `root`; `seats` maps seat names to the API's seats.
 *  Returns the seat buttons by seat name; `onChoose(seat)` runs when one is pressed. */
export function drawSeatMap(root, flight, seats, onChoose) {
  const buttons = new Map();
  // Per cabin: a header of seat letters with the aisles where the layout puts them, then a
  // row of seat buttons per row number. Buttons are in reading order, so Tab walks the map.
  for (const cabin of flight.cabins) {
    const letters = [...cabin.letters];
    const columns = letters.flatMap((l) => (cabin.aisle_after.includes(l) && l !== letters.at(-1) ? [l, "aisle"] : [l]));
    const grid = h("div", { class: "cabin-grid", role: "group", "aria-label": `${cabin.cabin} cabin seats` });
    grid.style.setProperty("--columns", String(columns.length));
    grid.append(h("span", { class: "row-no", "aria-hidden": "true" }), ...columns.map((c) => h("span", { class: "letter", "aria-hidden": "true" }, c === "aisle" ? "" : c)));
    for (let row = cabin.rows[0]; row <= cabin.rows[1]; row++) {
      const exit = cabin.exit_rows.includes(row);
      grid.append(h("span", { class: exit ? "row-no exit" : "row-no", "aria-hidden": "true", title: exit ? "exit row" : undefined }, String(row)));
      for (const column of columns) {
        if (column === "aisle") {
          grid.append(h("span", { class: "aisle", "aria-hidden": "true" }));
          continue;
        }
        const seat = `${row}${column}`;
        if (!seats.has(seat)) {
          grid.append(h("span", { class: "no-seat", "aria-hidden": "true" }));
          continue;
        }
        const button = h("button", { type: "button", class: "seat", "data-seat": seat, onclick: () => onChoose(seat) }, seat);
        buttons.set(seat, button);
        grid.append(button);
      }
    }
    root.append(h("section", { class: "cabin" }, h("h2", {}, cabin.cabin), grid));
  }
  return buttons;
}

export function legend() {
  const item = (status, text) => h("li", {}, h("span", { class: "swatch", "data-status": status, "aria-hidden": "true" }), text);
  return h(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    item("available", "Available"),
    item("selected", "Selected"),
    item("mine", "Held by you"),
    item("held", "Held by others"),
    item("booked", "Booked"),
  );
}
