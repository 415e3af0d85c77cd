// One flight: its seat map per cabin, live over the WebSocket; choose seats and hold them.
import { api, ApiError, newIdempotencyKey } from "../api.js";
import { h, clear } from "../dom.js";
import { currentHold, forgetHold, rememberHold } from "../hold.js";
import { watchFlight } from "../live.js";
import { money } from "../money.js";
import { drawSeatMap, legend, paintSeat } from "../seatmap.js";
import { countdownTimer, departure } from "../time.js";

function rowOf(seat) {
  return Number.parseInt(seat, 10);
}

export async function render(main, [id], ctx) {
  const flightId = Number(id);
  const [flight, map] = await Promise.all([
    api("GET", `/api/v1/flights/${flightId}`),
    api("GET", `/api/v1/flights/${flightId}/seats`),
  ]);
  const seats = new Map(map.seats.map((s) => [s.seat, s]));
  const selected = new Set();
  let hold = currentHold(flightId);
  let stopCountdown = () => {};

  const liveState = h("span", { class: "live", "data-state": "connecting" }, "connecting…");
  const holdBox = h("section", { class: "hold-box", "aria-label": "Your hold", hidden: true });
  const summary = h("div", { class: "summary" });
  const holdButton = h("button", { type: "button", class: "primary", disabled: true }, "Hold seats");
  const mapRoot = h("div", { class: "seatmap" });

  main.append(
    h("h1", {}, `${flight.code} ${flight.origin} → ${flight.destination}`),
    h("p", { class: "departs" }, "Departs ", departure(flight), " · seat map ", liveState),
    legend(seats),
    holdBox,
    mapRoot,
    h("section", { class: "selection", "aria-label": "Your selection" }, summary, holdButton),
  );

  function mine(seat) {
    return hold !== null && hold.seats.includes(seat);
  }

  function statusOf(seat) {
    return mine(seat) ? "mine" : seats.get(seat).status;
  }

  function paint(seat) {
    paintSeat(buttons.get(seat), seats.get(seat), statusOf(seat), selected.has(seat));
  }

  function paintSummary() {
    clear(summary);
    const count = selected.size;
    if (!count) {
      summary.append(h("p", {}, hold ? "You have seats on hold; choose more to make a new hold." : "Choose up to 9 seats."));
    } else {
      const chosen = [...selected].sort((a, b) => rowOf(a) - rowOf(b) || a.localeCompare(b));
      summary.append(
        h("p", {}, `Selected: ${chosen.map((s) => `${s} (${money(seats.get(s).price)})`).join(", ")}`),
        h("p", { class: "hint" }, "The price is fixed when you hold the seats, on the next page."),
      );
    }
    holdButton.disabled = count === 0;
    holdButton.textContent = count ? `Hold ${count} seat${count === 1 ? "" : "s"}` : "Hold seats";
  }

  function paintHold() {
    stopCountdown();
    clear(holdBox);
    holdBox.hidden = hold === null;
    if (!hold) return;
    const timer = countdownTimer(hold.expires_at, () => {
      hold = null;
      forgetHold();
      paintHold();
      for (const seat of seats.keys()) paint(seat);
      ctx.notify("Your hold expired and the seats were released.");
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
        ctx.fail(error);
      }
    });
    holdBox.append(
      h("p", {}, `You are holding ${hold.seats.join(", ")}. Time left: `, left),
      h("a", { class: "button primary", href: `#/checkout/${hold.id}` }, "Continue to checkout"),
      release,
    );
  }

  function toggle(seat) {
    if (statusOf(seat) !== "available") return;
    if (selected.has(seat)) selected.delete(seat);
    else if (selected.size >= ctx.config.max_seats_per_hold) {
      ctx.notify(`You can hold up to ${ctx.config.max_seats_per_hold} seats at a time.`);
      return;
    } else selected.add(seat);
    paint(seat);
    paintSummary();
  }

  const buttons = drawSeatMap(mapRoot, flight, seats, toggle);
  for (const seat of buttons.keys()) paint(seat);

  holdButton.addEventListener("click", async () => {
    if (!ctx.requireUser()) return;
    const wanted = [...selected];
    holdButton.disabled = true;
    try {
      const made = await api("POST", "/api/v1/holds", {
        body: { flight_id: flightId, seats: wanted },
        idempotencyKey: newIdempotencyKey(),
      });
      rememberHold(made);
      ctx.navigate(`#/checkout/${made.id}`);
    } catch (error) {
      if (error instanceof ApiError && error.kind === "seats-unavailable") {
        const taken = error.problem.seats || [];
        for (const seat of taken) {
          selected.delete(seat);
          if (seats.has(seat)) seats.get(seat).status = "held";
          if (buttons.has(seat)) paint(seat);
        }
        paintSummary();
        const named = taken.length
          ? `seat ${taken.join(", ")} ${taken.length === 1 ? "was" : "were"}`
          : "a seat you chose was";
        ctx.fail(`Sorry, ${named} just taken by someone else. Please choose another seat.`);
      } else {
        ctx.fail(error);
      }
      holdButton.disabled = selected.size === 0;
    }
  });

  function apply(seat, status) {
    if (!seats.has(seat)) return;
    seats.get(seat).status = status;
    if (status !== "available" && selected.has(seat)) {
      selected.delete(seat);
      paintSummary();
      ctx.notify(`Seat ${seat} was just taken by another traveller.`);
    }
    paint(seat);
  }

  paintHold();
  paintSummary();
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
    },
  });
  return () => {
    stop();
    stopCountdown();
  };
}
