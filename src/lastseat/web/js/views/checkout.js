// Checkout: the held seats with a countdown, the server's quote line by line, a discount
// code (the server says why one does not apply), the traveller in each seat, a test card,
// and pay. Every number shown
// here came from the server; nothing here decides a price.
import { api, ApiError, writer } from "../api.js";
import { h, clear, field, select } from "../dom.js";
import { bookedAlready, fateOf, forgetHold, rememberHold } from "../hold.js";
import { fieldPath, messageSlot, showFieldErrors } from "../message.js";
import { money } from "../money.js";
import { isBookableName } from "../names.js";
import { arrival, countdownTimer, departure, secondsUntil } from "../time.js";
import { plural, plus, priceParts, seatList } from "../words.js";

// The payment sandbox decides by token, as a real provider's test cards do.
const TEST_CARDS = [
  ["tok_ok", "Test card ending 4242 (approved)"],
  ["tok_declined", "Test card ending 0002 (declined)"],
  ["tok_error", "Test card ending 0119 (provider error)"],
];

export async function render(main, [holdId], ctx) {
  if (!ctx.requireUser()) return;
  let hold;
  try {
    hold = await api("GET", `/api/v1/holds/${holdId}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      forgetHold();
      main.append(h("h1", {}, "Checkout"), h("p", {}, "This hold no longer exists. ", h("a", { href: "#/" }, "Find a flight")));
      return;
    }
    throw error;
  }
  if (hold.status !== "active" || secondsUntil(hold.expires_at) <= 0) {
    forgetHold();
    const fate = hold.status === "booked" ? await fateOf(hold.id) : null;
    main.append(
      h("h1", {}, "Checkout"),
      h(
        "p",
        {},
        fate?.status === "booked"
          ? bookedAlready(fate.booking)
          : ["This hold has ended and its seats were released. ", h("a", { href: `#/flights/${hold.flight_id}` }, "Choose seats again")],
      ),
    );
    return;
  }
  rememberHold(hold);
  const flight = await api("GET", `/api/v1/flights/${hold.flight_id}`);
  let quote = hold.quote;
  let appliedCode = null;
  // A retry of the same payment (a lost answer, a second click) reuses its Idempotency-Key.
  const sendBooking = writer("POST", "/api/v1/bookings");

  const breakdown = h("div", { class: "quote", "aria-live": "polite" });
  const code = h("input", { name: "discount", autocomplete: "off", maxlength: 64 });
  const codeStatus = h("p", { class: "code-status", role: "status" });
  const card = select({ name: "card" }, TEST_CARDS);
  const pay = h("button", { type: "submit", class: "primary" }, "Pay");
  const expired = () => secondsUntil(hold.expires_at) <= 0;
  // Deferred: at 0 already, the timer ends at once, before the page below is built.
  // At 0 the hold may also have been paid for in another tab: the server says which.
  const { element: left, stop } = countdownTimer(hold.expires_at, () => setTimeout(endedAtZero));
  const yoursFor = h("span", {}, `, ${plural(hold.seats.length, "is", "are")} yours for `, left, ".");


  // One traveller per seat, named as on the passport; the server checks the names (and says
  // what is wrong), so these fields only ask for something in each. No maxlength: it counts
  // UTF-16 units and would cut a valid name of supplementary-plane characters.
  const travellers = hold.seats.map((seat, i) => {
    const section = i === 0 ? "" : `section-seat${seat} `;
    const given = h("input", { name: `given-${seat}`, autocomplete: `${section}given-name`, required: true });
    const family = h("input", { name: `family-${seat}`, autocomplete: `${section}family-name`, required: true });
    const set = h(
      "fieldset",
      { class: "passenger" },
      h("legend", {}, `Seat ${seat}`),
      field("Given names", given),
      field("Family name", family),
    );
    return { seat, given, family, set };
  });

  /** The field a refusal names: `passengers.<i>.<field>` is the i-th traveller's (the
   *  request lists them in this page's order). */
  function passengerControl(loc) {
    const parts = fieldPath(loc);
    const at = parts.indexOf("passengers");
    const traveller = at >= 0 ? travellers[Number(parts[at + 1])] : undefined;
    return { given_name: traveller?.given, family_name: traveller?.family }[parts[at + 2]] ?? null;
  }

  const discountForm = h("form", { class: "discount", "aria-label": "Discount code" }, field("Discount code", code), h("button", { type: "submit" }, "Apply"), codeStatus);
  const payForm = h(
    "form",
    { class: "pay", "aria-label": "Passengers and payment" },
    h("h2", {}, "Passengers"),
    h("p", { class: "hint" }, "The name of the traveller in each seat, as on their passport."),
    ...travellers.map((t) => t.set),
    field("Card", card, "Test cards only: no real money moves."),
    pay,
  );
  const applyButton = discountForm.querySelector("button");

  main.append(
    h("h1", {}, "Checkout"),
    h("p", {}, `${seatList(hold.seats)} on ${flight.code} ${flight.origin} → ${flight.destination}, departing `, departure(flight), " and arriving ", arrival(flight), yoursFor),
    breakdown,
    discountForm,
    payForm,
    h("p", {}, h("a", { href: `#/flights/${hold.flight_id}` }, "Back to the seat map")),
  );
  const payMessage = messageSlot(pay);
  const codeMessage = messageSlot(applyButton);

  // The step indicator moves on to Pay (Passengers done) only once every seat's traveller
  // has a name the server will take, and back when one is not.
  const named = () => travellers.every((t) => isBookableName(t.given.value) && isBookableName(t.family.value));
  const paintStep = () => ctx.step(named() ? "Pay" : "Passengers");
  payForm.addEventListener("input", paintStep);
  paintStep();

  async function endedAtZero() {
    const fate = await fateOf(hold.id);
    ended(fate.status === "booked" ? fate : { status: "ended" });
  }

  /** The hold has ended (`fate` from fateOf): say how where the traveller is acting, stop
   * the countdown, and offer nothing that cannot work. A hold paid for in another tab is
   * a booking, not an expiry: the traveller is sent to it, not back to the seat map. */
  function ended(fate) {
    if (payForm.dataset.expired) return;
    stop();
    forgetHold();
    for (const control of [pay, applyButton, code, card, ...travellers.flatMap((t) => [t.given, t.family])]) {
      control.disabled = true;
    }
    pay.textContent = `Pay ${money(quote.total)}`;
    payForm.dataset.expired = "true";
    const booked = fate.status === "booked";
    const are = plural(hold.seats.length, "is", "are");
    yoursFor.replaceWith(booked ? `, ${are} booked.` : `, ${are} no longer held.`);
    const toMap = (words) => h("a", { class: "button primary", href: `#/flights/${hold.flight_id}` }, words);
    const [said, next, byPay] = {
      booked: [bookedAlready(fate.booking), null, bookedAlready(fate.booking, "These seats are booked already: there is nothing left to pay.")],
      released: [
        "This hold was released or replaced, in this or another tab or window. The seat map shows what you hold now.",
        toMap("Back to the seat map"),
        "This hold was released or replaced: paying for it is no longer possible.",
      ],
      // Ended, but the server could not be asked how: it may have been paid for elsewhere.
      unknown: [
        ["This hold has ended: it was booked in another tab or window, or released, or it expired. Check ", h("a", { href: "#/bookings" }, "My bookings"), " before choosing seats again."],
        toMap("Choose seats again"),
        "This hold has ended: paying for it is no longer possible.",
      ],
      ended: [
        "Your hold expired and the seats were released.",
        toMap("Choose seats again"),
        "Your hold expired: paying is no longer possible. Choose your seats again on the seat map.",
      ],
    }[fate.status] ?? [];
    main.querySelector("h1").after(h("div", { class: "expired", role: "alert" }, h("p", {}, said), next));
    payMessage.show(byPay, "info");
    if (booked) ctx.step(null);
  }

  /** A refusal because the hold is gone: ended, however it ended; or, still live (refused
   * for another reason, such as seats it no longer has), the server's words. Returns
   * whether the page was ended. */
  async function holdGone(error, message) {
    const fate = await fateOf(hold.id);
    if (fate.status === "active") {
      message.show(error);
      return false;
    }
    ended(fate);
    return true;
  }

  // The server's quote as a bill in travellers' words (js/words.js): each seat's fare, then
  // what each seat extra and demand added, then the sums. Every amount is the server's.
  function paintQuote() {
    clear(breakdown);
    const row = (label, value, { cls, testid } = {}) =>
      h("tr", { class: cls }, h("th", { scope: "row" }, label), h("td", { class: "num", "data-testid": testid }, value));
    const rows = quote.lines.flatMap((line) =>
      priceParts(line).map((part, i) =>
        row(part.label, part.added ? plus(part.amount) : money(part.amount), { cls: i ? "extra" : "seat-fare" }),
      ),
    );
    const discounted = quote.discount.amount > 0;
    breakdown.append(
      h(
        "table",
        {},
        h("caption", {}, "Your price"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "What you pay for"), h("th", { scope: "col", class: "num" }, "Amount"))),
        h("tbody", {}, ...rows),
        h(
          "tfoot",
          {},
          row("Subtotal", money(quote.subtotal), { cls: "sum", testid: "subtotal" }),
          row(quote.discount_code ? `Discount (${quote.discount_code})` : "Discount", discounted ? `−${money(quote.discount)}` : money(quote.discount), { cls: "sum", testid: "discount" }),
          row("Taxes and fees", money(quote.taxes), { cls: "sum", testid: "taxes" }),
          row("Total", money(quote.total), { cls: "sum", testid: "total" }),
        ),
      ),
    );
    pay.textContent = `Pay ${money(quote.total)}`;
  }
  paintQuote();

  discountForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    codeMessage.clear();
    const wanted = code.value.trim();
    try {
      const priced = await api("GET", `/api/v1/holds/${hold.id}/quote`, { query: { discount_code: wanted } });
      quote = priced;
      if (wanted && priced.discount_refused) {
        appliedCode = null;
        codeStatus.textContent = `That code does not apply: ${priced.discount_refused}.`;
        codeStatus.dataset.ok = "false";
      } else {
        appliedCode = wanted || null;
        codeStatus.textContent = wanted ? `Code ${priced.discount_code} applied: you save ${money(priced.discount)}.` : "";
        codeStatus.dataset.ok = "true";
      }
      paintQuote();
    } catch (error) {
      if (error instanceof ApiError && error.kind === "hold-gone") await holdGone(error, codeMessage);
      else codeMessage.show(error);
    }
  });

  payForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    payMessage.clear();
    if (expired()) return;
    const passengers = travellers.map((t) => ({ seat: t.seat, given_name: t.given.value, family_name: t.family.value }));
    const body = { hold_id: hold.id, payment: { token: card.value }, passengers };
    if (appliedCode) body.discount_code = appliedCode;
    pay.disabled = true;
    pay.textContent = "Paying…";
    try {
      const booking = await sendBooking(body);
      stop();
      forgetHold();
      ctx.navigate(`#/bookings/${booking.id}?new=1`);
    } catch (error) {
      if (error instanceof ApiError && error.kind === "hold-gone" && (await holdGone(error, payMessage))) return;
      // Each refused name is marked at its field; the message by Pay (the one announced)
      // gives the server's words for all of them, seat by seat.
      showFieldErrors(payForm, error, { controlFor: passengerControl });
      payMessage.show(error);
      pay.disabled = false;
      pay.textContent = `Pay ${money(quote.total)}`;
    }
  });

  return () => stop();
}
