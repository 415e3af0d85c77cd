// My bookings (list, cancel) and one booking (the confirmation page after paying).
import { api } from "../api.js";
import { h, clear } from "../dom.js";
import { money } from "../money.js";
import { arrival, departure, yourTime } from "../time.js";
import { seatList, statusName } from "../words.js";

/** "LS100 MAD → CDG": a booking carries its flight's code, route and departure. */
function flightName(b) {
  return `${b.code} ${b.origin} → ${b.destination}`;
}

function describe(b) {
  return [
    h("span", { class: "reference" }, b.reference),
    h("span", {}, flightName(b)),
    departure(b),
    h("span", { class: "arrives" }, "arrives ", arrival(b)),
    h("span", {}, seatList(b.seats)),
    h("span", { class: "num" }, money(b.total)),
    h("span", { class: `status ${b.status}` }, statusName(b.status)),
  ];
}

function cancelControl(booking, ctx, onDone) {
  const box = h("span", { class: "cancel" });
  const ask = h("button", { type: "button", "aria-label": `Cancel booking ${booking.reference}` }, "Cancel");
  ask.addEventListener("click", () => {
    clear(box);
    const yes = h("button", { type: "button", class: "danger" }, "Yes, cancel it");
    const no = h("button", { type: "button" }, "Keep it");
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        await api("POST", `/api/v1/bookings/${booking.id}/cancel`);
        onDone(`Booking ${booking.reference} is cancelled.`);
      } catch (error) {
        ctx.fail(error);
        yes.disabled = false;
      }
    });
    no.addEventListener("click", () => {
      clear(box).append(ask);
      ask.focus();
    });
    box.append(h("span", {}, `Cancel ${booking.reference}? `), yes, no);
    yes.focus();
  });
  box.append(ask);
  return box;
}

export async function renderList(main, _params, ctx) {
  if (!ctx.requireUser()) return;
  const list = h("ul", { class: "bookings" });
  main.append(h("h1", {}, "My bookings"), list);
  async function load() {
    const found = await api("GET", "/api/v1/bookings");
    clear(list);
    if (!found.items.length) {
      list.replaceWith(h("p", {}, "You have no bookings yet. ", h("a", { href: "#/" }, "Find a flight")));
      return;
    }
    for (const b of found.items) {
      list.append(
        h(
          "li",
          { "data-reference": b.reference },
          h("a", { href: `#/bookings/${b.id}` }, ...describe(b)),
          b.status === "confirmed" ? cancelControl(b, ctx, (done) => load().then(() => ctx.notify(done), ctx.fail)) : null,
        ),
      );
    }
  }
  await load();
}

export async function renderOne(main, [id], ctx) {
  if (!ctx.requireUser()) return;
  const booking = await api("GET", `/api/v1/bookings/${id}`);
  const fresh = location.hash.includes("new=1") && booking.status === "confirmed";
  main.append(
    h("h1", {}, fresh ? "Booking confirmed" : `Booking ${booking.reference}`),
    h(
      "dl",
      { class: "booking" },
      h("dt", {}, "Reference"), h("dd", { "data-testid": "reference" }, booking.reference),
      h("dt", {}, "Flight"), h("dd", {}, h("a", { href: `#/flights/${booking.flight_id}` }, flightName(booking))),
      h("dt", {}, "Departs"), h("dd", { "data-testid": "departs" }, departure(booking)),
      h("dt", {}, "Arrives"), h("dd", { "data-testid": "arrives" }, arrival(booking)),
      h("dt", {}, "Seats"), h("dd", {}, booking.seats.join(", ")),
      h("dt", {}, "Passengers"),
      h(
        "dd",
        { "data-testid": "passengers" },
        booking.passengers.length
          ? h("ul", {}, ...booking.passengers.map((p) => h("li", {}, `${p.seat}: ${p.given_name} ${p.family_name}`)))
          : "not named",
      ),
      h("dt", {}, "Paid"), h("dd", { "data-testid": "paid" }, money(booking.total)),
      h("dt", {}, "Discount code"), h("dd", {}, booking.discount_code || "none"),
      h("dt", {}, "Status"), h("dd", { "data-testid": "status" }, statusName(booking.status)),
      h("dt", {}, "Booked"), h("dd", { "data-testid": "booked" }, yourTime(booking.created_at)),
    ),
    booking.status === "confirmed" ? cancelControl(booking, ctx, (done) => ctx.navigate(`#/bookings/${booking.id}`, done)) : null,
    h("p", {}, h("a", { href: "#/bookings" }, "All my bookings")),
  );
  if (fresh) ctx.notify(`Booking confirmed. Your reference is ${booking.reference}.`);
}
