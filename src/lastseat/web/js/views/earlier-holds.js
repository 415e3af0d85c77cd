// Seats chosen while signed out meet the account's earlier holds on the same flight (made
// in another tab or on another device): the traveller sees both, side by side by the Hold
// button, and says what to hold; nothing is folded into the new choice unasked.
//
// "Only the new seats" releases the earlier holds, as an airline drops an unpaid basket
// when its customer starts over: left alone they would keep seats from other travellers
// until they expire, count against this traveller's own limit of seats per flight, and
// still be theirs to pay on a checkout they have forgotten. The release is part of the new
// hold's request (`replaces`), so if a new seat is taken the earlier hold stays as it was.
import { h, clear } from "../dom.js";
import { yourTime } from "../time.js";

/** "2A, 2B, 10C", as the seat map's own messages list seats: by row, then letter (a hold's
 * seats come in the order they were chosen). */
const listed = (seats) =>
  [...seats].sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || a.localeCompare(b)).join(", ");

const seatWord = (count) => `${count} seat${count === 1 ? "" : "s"}`;

/**
 * The question's place, just after `anchor` (the Hold button), in the page from the start
 * so that what is put in its live part later is announced. `ask` fills it; `dismiss`
 * empties it.
 */
export function earlierHoldsSlot(anchor) {
  const said = h("div", { class: "earlier-said", "aria-live": "polite", "aria-atomic": "true" });
  const actions = h("div", { class: "earlier-actions" });
  // Never hidden itself: a live region shown only as it fills is often not announced.
  const box = h("div", { class: "earlier-holds" }, said, actions);
  anchor.after(box);
  let tooMany = false;
  return {
    /**
     * Ask what to hold: `earlier` the account's live holds on the flight (newest first),
     * `chosen` the seats just chosen; `together()` or `onlyNew()` is called with the choice.
     */
    ask({ earlier, chosen, maxSeats, together, onlyNew }) {
      const old = earlier.flatMap((hold) => hold.seats);
      const all = old.length + chosen.length;
      clear(said).append(
        h("p", {}, `You already hold ${seatWord(old.length)} on this flight from before:`),
        h(
          "ul",
          {},
          ...earlier.map((hold) => h("li", {}, `${listed(hold.seats)}, held until ${yourTime(hold.expires_at)}`)),
        ),
        h("p", {}, `You have just chosen ${listed(chosen)}. Hold them together with your earlier seats, or on their own?`),
      );
      const both = h("button", { type: "button", class: "primary" }, `Hold all ${all} seats together`);
      const mine = h("button", { type: "button" }, `Hold only ${listed(chosen)}, release ${listed(old)}`);
      both.addEventListener("click", together);
      mine.addEventListener("click", onlyNew);
      clear(actions).append(both, mine);
      // One hold is one checkout: beyond its limit the seats cannot be held as one.
      tooMany = all > maxSeats;
      both.disabled = tooMany;
      if (tooMany) said.append(h("p", {}, `One hold can have up to ${maxSeats} seats, so these cannot be held together.`));
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", "Your earlier seats on this flight");
    },
    /** Whether a question is waiting for the traveller. */
    get asking() {
      return actions.childElementCount > 0;
    },
    /** While a choice is on its way, neither can be pressed again. */
    busy(yes) {
      const [both, mine] = actions.querySelectorAll("button");
      if (both) both.disabled = yes || tooMany;
      if (mine) mine.disabled = yes;
    },
    dismiss() {
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
      clear(said);
      clear(actions);
    },
  };
}
