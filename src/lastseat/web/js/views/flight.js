// One flight: its seat map per cabin, live over the WebSocket; choose seats and hold them
// (choosing more while holding some grows that hold).
import { admissionFor, forgetAdmission, needsTurn, withAdmission } from "../admission.js";
import { api, ApiError, describe, isReachable, writer } from "../api.js";
import { h, clear } from "../dom.js";
import { bookedAlready, currentHold, fateOf, forgetHold, keepSelection, liveHold, liveHolds, rememberHold, takeSelection } from "../hold.js";
import { watchFlight } from "../live.js";
import { messageSlot } from "../message.js";
import { money } from "../money.js";
import { drawSeatMap, legend, paintSeat } from "../seatmap.js";
import { arrival, countdownTimer, departure } from "../time.js";
import { plural, seatList } from "../words.js";
import { earlierHoldsSlot } from "./earlier-holds.js";

function rowOf(seat) {
  return Number.parseInt(seat, 10);
}

export async function render(main, [id], ctx) {
  const flightId = Number(id);
  // Signed in, the server says which seats are already the traveller's (held in another
  // tab or browser too); the tab's cache only stands in when it cannot be asked.
  const [flight, map, held] = await Promise.all([
    api("GET", `/api/v1/flights/${flightId}`),
    api("GET", `/api/v1/flights/${flightId}/seats`),
    ctx.user ? liveHold(flightId) : { hold: currentHold(flightId), read: true },
  ]);
  // A flight on sale through a waiting room is held only at one's turn: wait for it first.
  if (flight.sale && !admissionFor(flightId)) {
    ctx.navigate(`#/flights/${flightId}/wait`);
    return null;
  }
  const seats = new Map(map.seats.map((s) => [s.seat, s]));
  const selected = new Set();
  let hold = held.hold;
  // Signed in, the account's live holds here could not be read: a hold made now could
  // strand one made in another tab or on another device, so none is made until they are.
  let unread = !held.read;
  let checking = false; // reading them again, on the way to holding
  let stopCountdown = () => {};

  const liveState = h("span", { class: "live", "data-state": "connecting" }, "connecting…");
  const holdBox = h("section", { class: "hold-box", "aria-label": "Your hold", hidden: true });
  const summary = h("div", { class: "summary" });
  const holdButton = h("button", { type: "button", class: "primary", disabled: true }, "Hold seats");
  const mapRoot = h("div", { class: "seatmap" });
  const offline = h("p", { class: "offline", role: "status", "aria-live": "polite" });
  const postHold = writer("POST", "/api/v1/holds");
  const sendHold = (body) => postHold(withAdmission(flightId, body));
  // Best-available: the server chooses the seats for a group, together (POST /holds with
  // a count), instead of the traveller picking them one by one on the map.
  const groupSize = h("input", { id: "group-size", type: "number", min: "1", max: "9", value: "2", inputmode: "numeric" });
  const groupCabin = flight.cabins.length > 1
    ? h("select", { id: "group-cabin" }, h("option", { value: "" }, "the lowest fare"), ...flight.cabins.map((c) => h("option", { value: c.cabin }, c.cabin)))
    : null;
  const findButton = h("button", { type: "button" }, "Find seats together");
  const findBox = h(
    "section",
    { class: "find-together", "aria-label": "Find seats together" },
    h("label", { for: "group-size" }, "Seats for your group "),
    groupSize,
    ...(groupCabin ? [h("label", { for: "group-cabin" }, " in "), groupCabin] : []),
    " ",
    findButton,
  );
  let holding = false; // a hold request is on its way
  let reachable = true; // the last API call and the WebSocket both reached lastseat

  main.append(
    h("h1", {}, `${flight.code} ${flight.origin} → ${flight.destination}`),
    h("p", { class: "departs" }, "Departs ", departure(flight), ", arrives ", arrival(flight), " · seat map ", liveState),
    legend(seats),
    holdBox,
    mapRoot,
    h("section", { class: "selection", "aria-label": "Your selection" }, summary, offline, holdButton),
    findBox,
  );
  // What the Hold button and seat choices lead to is said right under the button.
  const holdMessage = messageSlot(holdButton);
  // Where seats chosen before signing in meet the account's earlier holds (and the question
  // what to hold) is said in the same place.
  const earlierHolds = earlierHoldsSlot(holdButton);
  const findMessage = messageSlot(findButton);

  // Seats of the account's other live holds here, found when it is asked what to hold: the
  // map shows them as the traveller's too, until the server says they are free.
  const earlierSeats = new Set();

  function mine(seat) {
    return (hold !== null && hold.seats.includes(seat)) || earlierSeats.has(seat);
  }

  function statusOf(seat) {
    return mine(seat) ? "mine" : seats.get(seat).status;
  }

  function paint(seat) {
    paintSeat(buttons.get(seat), seats.get(seat), statusOf(seat), selected.has(seat));
  }

  function seatsLeftToChoose() {
    return ctx.config.max_seats_per_hold - (hold ? hold.seats.length : 0);
  }

  function paintSummary() {
    clear(summary);
    const count = selected.size;
    if (!count) {
      summary.append(
        h(
          "p",
          {},
          hold
            ? `You hold ${hold.seats.join(", ")}; choose more seats to add them to your hold.`
            : `Choose up to ${ctx.config.max_seats_per_hold} seats.`,
        ),
      );
    } else {
      const chosen = chosenSeats();
      summary.append(
        h("p", {}, `Selected: ${chosen.map((s) => `${s} (${money(seats.get(s).price)})`).join(", ")}`),
        h("p", { class: "hint" }, "The price is fixed when you hold the seats, on the next page."),
      );
    }
    holdButton.disabled = count === 0 || holding || checking || !reachable;
    const seatsWord = `${count} seat${count === 1 ? "" : "s"}`;
    if (checking) holdButton.textContent = "Checking your holds…";
    else if (holding) holdButton.textContent = "Holding…";
    else if (!count) holdButton.textContent = "Hold seats";
    else holdButton.textContent = hold ? `Add ${seatsWord} to your hold` : `Hold ${seatsWord}`;
  }

  function paintHold() {
    stopCountdown();
    clear(holdBox);
    paintSummary(); // the Hold button's words depend on whether there is a hold to grow
    holdBox.hidden = hold === null;
    if (!hold) return;
    const shown = hold;
    const timer = countdownTimer(hold.expires_at, () => {
      holdEnded(shown, () => ctx.notify("Your hold expired and the seats were released."));
    });
    stopCountdown = timer.stop;
    const left = timer.element;
    if (!hold) return; // it ran out just now: onEnd has already repainted
    const release = h("button", { type: "button" }, "Release");
    release.addEventListener("click", async () => {
      try {
        await api("DELETE", `/api/v1/holds/${hold.id}`);
        forgetHold();
        hold = null;
        paintHold();
        for (const seat of seats.keys()) paint(seat);
        ctx.notify("Your seats were released.");
      } catch (error) {
        // Refused as already a booking (paid for in another tab meanwhile): the hold box
        // goes, and this button's message with it, so the outcome is said by Hold.
        if (error instanceof ApiError && error.status === 409) holdEnded(hold, () => holdMessage.show(error));
        else releaseMessage.show(error);
      }
    });
    holdBox.append(
      h("p", {}, `You are holding ${hold.seats.join(", ")}. Time left: `, left),
      h("a", { class: "button primary", href: `#/checkout/${hold.id}` }, "Continue to checkout"),
      release,
    );
    const releaseMessage = messageSlot(release);
  }

  function toggle(seat) {
    if (statusOf(seat) !== "available") return;
    holdMessage.clear();
    if (earlierHolds.asking) stopAsking(); // a changed choice is held with the button's words
    if (selected.has(seat)) selected.delete(seat);
    else if (selected.size >= seatsLeftToChoose()) {
      holdMessage.show(`You can hold up to ${ctx.config.max_seats_per_hold} seats at a time.`, "info");
      return;
    } else selected.add(seat);
    paint(seat);
    paintSummary();
  }

  const buttons = drawSeatMap(mapRoot, flight, seats, toggle);
  for (const seat of buttons.keys()) paint(seat);

  // Signed out, the choice is kept through sign-in or sign-up and held on the way back.
  async function holdSelected() {
    if (!selected.size || holding || checking || !reachable) return;
    if (!ctx.user) {
      keepSelection(flightId, [...selected]);
      ctx.requireUser("Sign in or create an account to hold your seats: your choice is kept.");
      return;
    }
    if (unread) {
      carryOn(); // read them first; the traveller is asked if there are any
      return;
    }
    const body = { flight_id: flightId, seats: [...new Set([...(hold ? hold.seats : []), ...selected])] };
    if (hold) body.replaces = hold.id; // grow the hold, never strand it beside a second one
    await holdThenCheckOut(body, holdMessage, (error) => refused(error, body.replaces ? hold : null));
  }

  /** Asks for the hold `body` describes and goes on to its checkout; `message` is where
   * the request's outcome is said, `onRefused(error)` says why it was not held. */
  async function holdThenCheckOut(body, message, onRefused) {
    holding = true;
    message.clear();
    paintSummary();
    try {
      const made = await sendHold(body);
      rememberHold(made);
      ctx.navigate(`#/checkout/${made.id}`);
    } catch (error) {
      if (needsTurn(error)) {
        forgetAdmission(flightId);
        ctx.navigate(`#/flights/${flightId}/wait`, describe(error));
        return;
      }
      onRefused(error);
    } finally {
      holding = false;
      paintSummary();
    }
  }

  /**
   * `gone`, a hold this page counted as the traveller's, has ended under it: its time ran
   * out, or in another tab or window it was released or paid for. Paid for, its seats are
   * booked and the traveller is shown the booking (`lead` says what that means for what
   * they did); otherwise `otherwise(fate)` says so.
   */
  async function holdEnded(gone, otherwise, lead = "") {
    if (hold?.id === gone.id) {
      hold = null;
      forgetHold();
      paintHold();
    }
    for (const seat of gone.seats) earlierSeats.delete(seat);
    const fate = await fateOf(gone.id);
    if (fate.status === "booked") {
      for (const seat of gone.seats) if (seats.has(seat)) seats.get(seat).status = "booked";
      const said = `${seatList(gone.seats)} ${plural(gone.seats.length, "is", "are")} booked already, paid for in another tab or window.${lead}`;
      holdMessage.show(bookedAlready(fate.booking, said), "info");
    } else otherwise(fate);
    for (const seat of seats.keys()) paint(seat);
  }

  function refused(error, replaced = null) {
    if (error instanceof ApiError && error.kind === "seats-unavailable") {
      const taken = error.problem.seats || [];
      for (const seat of taken) {
        selected.delete(seat);
        if (seats.has(seat) && !mine(seat)) seats.get(seat).status = "held";
        if (buttons.has(seat)) paint(seat);
      }
      const named = taken.length ? `seat ${taken.join(", ")} ${taken.length === 1 ? "was" : "were"}` : "a seat you chose was";
      const kept = hold ? ` Your hold on ${hold.seats.join(", ")} is unchanged.` : "";
      holdMessage.show(`Sorry, ${named} just taken by someone else. Please choose another seat.${kept}`);
    } else if (error instanceof ApiError && error.kind === "hold-gone" && replaced) {
      // Not an expiry for certain: the hold to grow may have been paid for elsewhere.
      holdEnded(
        replaced,
        () => holdMessage.show("Your earlier hold has ended, so its seats were released. Hold your choice again."),
        " Your new choice was not held: hold it on its own.",
      );
    } else {
      holdMessage.show(error);
    }
  }

  holdButton.addEventListener("click", holdSelected);

  // The group's seats chosen by the server: held whole or not at all, then paid for.
  async function findTogether() {
    if (holding || checking || !reachable) return;
    const count = Number(groupSize.value);
    if (!Number.isInteger(count) || count < 1 || count > 9) {
      findMessage.show("Choose 1 to 9 seats.");
      return;
    }
    if (!ctx.user) {
      ctx.requireUser("Sign in or create an account to hold seats for your group.");
      return;
    }
    if (hold || unread) {
      findMessage.show(hold ? `You hold ${seatList(hold.seats)} already: continue to checkout, or release it first.` : "Your earlier holds could not be read yet: try again in a moment.");
      return;
    }
    const body = { flight_id: flightId, count, together: "close" };
    if (groupCabin?.value) body.cabin = groupCabin.value;
    await holdThenCheckOut(body, findMessage, (error) => {
      if (error instanceof ApiError && error.kind === "seats-unavailable") {
        const free = (error.problem.available || []).length;
        findMessage.show(
          error.problem.sold_out
            ? "Sorry, the flight is sold out."
            : `Sorry, there are no ${count} seats free together: ${free} ${plural(free, "seat is", "seats are")} free. Try fewer, or choose them on the map.`,
        );
      } else findMessage.show(error);
    });
  }

  findButton.addEventListener("click", findTogether);

  function apply(seat, status) {
    if (!seats.has(seat)) return;
    seats.get(seat).status = status;
    if (status === "available") earlierSeats.delete(seat);
    // A seat of the hold shown here booked: paid for in another tab. Asked once, as each
    // of its seats arrives booked.
    if (status === "booked" && hold?.seats.includes(seat) && !holding) {
      holdEnded(hold, () => {});
    }
    // While a hold is on its way, its own seats turn held on the live feed before its answer
    // arrives: that answer says whether they are the traveller's (on to checkout) or were
    // taken by someone else (refused, and said so then).
    if (status !== "available" && selected.has(seat) && !holding) {
      selected.delete(seat);
      paintSummary();
      holdMessage.show(`Seat ${seat} was just taken by another traveller.`);
    }
    paint(seat);
  }

  // With lastseat out of reach the map says so, and offers no Hold until it is back.
  let socketUp = true;
  let callsUp = isReachable();
  function paintReachability() {
    reachable = socketUp && callsUp;
    offline.textContent = reachable ? "" : "We cannot reach lastseat right now. You can hold seats again as soon as we are back.";
    paintSummary();
  }
  // While calls fail, ask now and then (any answer means lastseat is back).
  const PROBE_MS = 3000;
  let probe = null;
  function probeWhileDown() {
    clearInterval(probe);
    if (!callsUp) probe = setInterval(() => api("GET", `/api/v1/flights/${flightId}`).catch(() => {}), PROBE_MS);
  }
  const onReachability = (event) => {
    callsUp = event.detail.reachable;
    probeWhileDown();
    paintReachability();
  };
  window.addEventListener("lastseat:reachability", onReachability);
  // Out of reach already while this page was drawn (a read failed on the way): no change
  // of reachability will come to start the asking, so it starts now.
  probeWhileDown();

  /** Back from signing in with seats chosen before: straight on to checkout, unless the
   * account already holds seats here; then the traveller says what to hold. */
  async function carryOn() {
    checking = true;
    holdMessage.clear();
    paintSummary();
    const earlier = await liveHolds(flightId);
    checking = false;
    paintSummary();
    if (earlier === null) {
      unread = true;
      holdMessage.show(
        "We could not check whether you already hold seats on this flight, so nothing was held yet. Press Hold to check again.",
      );
      return;
    }
    unread = false;
    if (!earlier.length) {
      if (hold) {
        // The tab's cached hold has ended elsewhere: nothing to grow.
        hold = null;
        forgetHold();
        paintHold();
      }
      holdSelected();
      return;
    }
    for (const seat of earlier.flatMap((other) => other.seats)) {
      earlierSeats.add(seat);
      if (buttons.has(seat)) paint(seat);
    }
    holdButton.hidden = true;
    earlierHolds.ask({
      earlier,
      chosen: chosenSeats(),
      maxSeats: ctx.config.max_seats_per_hold,
      together: () => holdBeside(earlier, true),
      onlyNew: () => holdBeside(earlier, false),
    });
    // The question continues what the traveller pressed before signing in: it has the focus.
    main.querySelector(".earlier-holds button:not(:disabled)")?.focus();
  }

  function stopAsking() {
    earlierHolds.dismiss();
    holdButton.hidden = false;
  }

  /** Hold the chosen seats with the earlier holds' seats (`keep`) or instead of them. */
  async function holdBeside(earlier, keep) {
    if (holding) return;
    const [newest, ...older] = earlier;
    const chosen = chosenSeats();
    holding = true;
    earlierHolds.busy(true);
    holdMessage.clear();
    let made = null;
    try {
      // `replaces` releases the newest earlier hold in the new hold's own transaction: if a
      // chosen seat is taken, nothing changes.
      const first = keep ? [...newest.seats, ...chosen] : chosen;
      made = await sendHold({ flight_id: flightId, seats: first, replaces: newest.id });
      for (const other of older) {
        // One hold is replaced per request: each further one is released, and (kept) its
        // seats are taken into the new hold at once.
        await api("DELETE", `/api/v1/holds/${other.id}`);
        if (keep) made = await sendHold({ flight_id: flightId, seats: [...made.seats, ...other.seats], replaces: made.id });
      }
      rememberHold(made);
      ctx.navigate(`#/checkout/${made.id}`);
    } catch (error) {
      if (made) {
        // Part of it was done: the new hold stands; say what could not follow it.
        rememberHold(made);
        const missed = keep
          ? "Not all of your earlier seats could be added to this hold."
          : "Some of your earlier seats could not be released yet: they are released when their hold ends.";
        ctx.navigate(`#/checkout/${made.id}`, `${missed} ${describe(error)}`);
        return;
      }
      stopAsking();
      refused(error, newest);
    } finally {
      holding = false;
      earlierHolds.busy(false);
      paintSummary();
    }
  }

  function chosenSeats() {
    return [...selected].sort((a, b) => rowOf(a) - rowOf(b) || a.localeCompare(b));
  }

  paintHold();
  paintSummary();
  // A choice made before signing in is not cut to fit beside a hold the account had: the
  // traveller may want it on its own.
  const kept = takeSelection(flightId).filter((seat) => seats.has(seat) && statusOf(seat) === "available");
  for (const seat of kept.slice(0, ctx.config.max_seats_per_hold)) {
    selected.add(seat);
    paint(seat);
  }
  paintSummary();
  if (kept.length && ctx.user) carryOn();
  const stop = watchFlight(flightId, {
    onSnapshot(snapshot) {
      for (const s of snapshot.seats) apply(s.seat, s.status);
    },
    onSeat(change) {
      apply(change.seat, change.status);
    },
    onState(state) {
      liveState.dataset.state = state;
      liveState.textContent = { live: "live", reconnecting: "reconnecting…", closed: "not live" }[state];
      socketUp = state !== "reconnecting";
      paintReachability();
    },
  });
  return () => {
    stop();
    stopCountdown();
    window.removeEventListener("lastseat:reachability", onReachability);
    clearInterval(probe);
  };
}
