// A flight on sale through a waiting room: the countdown to the opening, then the
// traveller's place in line and the wait, live over the WebSocket; at their turn, on to the
// seat map with the admission every hold there needs. Reloading keeps the place: joining
// again is answered with the same one.
import { admissionFor, keepAdmission } from "../admission.js";
import { api, ApiError, waitWords } from "../api.js";
import { h } from "../dom.js";
import { countdown, secondsUntil, yourTime } from "../time.js";

const GONE = 4404;
const BAD_REQUEST = 4400;
const BUSY_RETRIES = 5;

/** A place in the line (the same one again, if the traveller has one): at the first rush
 * of a sale the server may be busy a moment (503), and joining again loses nothing. */
async function joinLine(flightId) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api("POST", `/api/v1/flights/${flightId}/queue`);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 503) || attempt >= BUSY_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * (error.retryAfter || 1)));
    }
  }
}

export async function render(main, [id], ctx) {
  const flightId = Number(id);
  if (!ctx.requireUser("Sign in or create an account to join the line for this flight.")) return null;
  if (admissionFor(flightId)) {
    ctx.navigate(`#/flights/${flightId}`);
    return null;
  }
  // The flight says whether and when its sale opens, from what the server keeps in memory:
  // no read of the line, which may be busy at the first rush.
  const flight = await api("GET", `/api/v1/flights/${flightId}`);
  const sale = flight.sale;
  if (!sale) {
    ctx.navigate(`#/flights/${flightId}`); // no sale (any more): the seat map is open to all
    return null;
  }
  let place;
  try {
    place = await joinLine(flightId);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    ctx.navigate(`#/flights/${flightId}`); // the sale ended meanwhile
    return null;
  }

  const opening = h("p", { class: "sale-opens" });
  const timer = h("strong", { class: "countdown", role: "timer", "aria-live": "off" });
  const position = h("p", { class: "line-position", role: "status", "aria-live": "polite" });
  const wait = h("p", { class: "line-wait" });
  main.append(
    h("h1", {}, `Waiting room: ${flight.code} ${flight.origin} → ${flight.destination}`),
    opening,
    position,
    wait,
    h(
      "p",
      { class: "line-note" },
      "Keep this page open: when it is your turn you go straight to the seat map. Reloading keeps your place in line.",
    ),
  );

  let stopped = false;
  let socket = null; // the one socket following the current place
  let retry = null;
  let backoff = 1000; // after a dropped socket, doubled up to 30 s, reset by a message
  function paint() {
    const untilOpen = secondsUntil(sale.opens_at);
    if (untilOpen > 0) {
      timer.textContent = countdown(untilOpen);
      opening.replaceChildren(`The sale opens at ${yourTime(sale.opens_at)}, in `, timer, ".");
    } else {
      opening.textContent = "The sale is open: travellers are let in a few at a time, in the order they arrived.";
    }
    if (place.state === "waiting") {
      position.textContent =
        untilOpen > 0
          ? `You are in line. Everyone who arrives before the opening gets a place drawn at random when it opens, so there is no need to hurry. For now you are number ${place.position}.`
          : `You are number ${place.position} in line.`;
      wait.textContent = place.sold_out
        ? "Every seat is taken for now. Seats held but not paid for come back, so you keep your place in case."
        : `Estimated wait: ${waitWords(place.wait_seconds)}.`;
    }
  }

  /** The place as the server says it now: on to the seat map, back in line, or shown. */
  function arrived(next) {
    const moved = next.place_id !== place.place_id;
    place = next;
    if (place.state === "admitted") {
      keepAdmission(flightId, place.admission);
      stop();
      ctx.navigate(
        `#/flights/${flightId}`,
        `It is your turn: choose your seats and hold them before ${yourTime(place.admission.expires_at)}.`,
      );
      return;
    }
    if (place.state === "expired") {
      rejoin();
      return;
    }
    paint();
    if (moved || !socket) follow();
  }

  async function rejoin() {
    try {
      arrived(await joinLine(flightId));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) ctx.navigate(`#/flights/${flightId}`);
      else ctx.fail(error);
    }
  }

  function closeQuietly(old) {
    if (old.readyState === WebSocket.OPEN) old.close(1000);
    else if (old.readyState === WebSocket.CONNECTING) old.addEventListener("open", () => old.close(1000));
  }

  // Told over the WebSocket; if it drops, asked again by HTTP after a backoff (or when the
  // server suggests, if later), then followed anew. One socket at a time.
  function follow() {
    if (stopped) return;
    clearTimeout(retry);
    if (socket) closeQuietly(socket);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const opened = new WebSocket(`${scheme}://${location.host}/ws/flights/${flightId}/queue?place=${place.place_id}`);
    socket = opened;
    opened.addEventListener("message", (event) => {
      if (stopped || opened !== socket) return;
      backoff = 1000;
      arrived(JSON.parse(event.data));
    });
    opened.addEventListener("close", (event) => {
      if (stopped || opened !== socket) return;
      socket = null;
      if (place.state !== "waiting") return;
      if (event.code === GONE || event.code === BAD_REQUEST) {
        rejoin(); // the sale ended, or this place did: joining says which
        return;
      }
      const wait = Math.max(backoff, 1000 * (place.poll_after_seconds || 1));
      retry = setTimeout(poll, wait * (1 + Math.random() / 2));
      backoff = Math.min(backoff * 2, 30_000);
    });
  }

  async function poll() {
    try {
      arrived(await api("GET", `/api/v1/flights/${flightId}/queue`));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        rejoin(); // no place (the sale ended, or it did): joining says which
        return;
      }
    }
    if (!socket) follow();
  }

  const ticking = setInterval(paint, 1000);
  function stop() {
    stopped = true;
    clearInterval(ticking);
    clearTimeout(retry);
    if (socket) closeQuietly(socket);
    socket = null;
  }

  arrived(place);
  return stop;
}
