// The traveller's current hold, cached for this tab only (an id, seats and an expiry:
// nothing secret, nothing priced). The server is the truth: signed in, a page asks it for
// the traveller's live hold (liveHold), so another tab or browser sees the same seats as theirs.
import { api, ApiError } from "./api.js";
import { h } from "./dom.js";
import { secondsUntil } from "./time.js";

const KEY = "lastseat.hold";

export function currentHold(flightId) {
  const hold = JSON.parse(sessionStorage.getItem(KEY) || "null");
  if (!hold || secondsUntil(hold.expires_at) <= 0) return null;
  if (flightId !== undefined && hold.flight_id !== flightId) return null;
  return hold;
}

export function rememberHold(hold) {
  const { id, flight_id, seats, expires_at } = hold;
  sessionStorage.setItem(KEY, JSON.stringify({ id, flight_id, seats, expires_at }));
}

export function forgetHold() {
  sessionStorage.removeItem(KEY);
}

/** The signed-in traveller's newest live hold on this flight as the server knows it (and
 * cached): {hold (or null), read: true}. If the server cannot be asked, the tab's cached one
 * and read: false: a hold made in another tab or on another device may then be unknown here. */
export async function liveHold(flightId) {
  const found = await liveHolds(flightId);
  if (found === null) return { hold: currentHold(flightId), read: false };
  const [hold] = found;
  if (hold) rememberHold(hold);
  else if (currentHold(flightId)) forgetHold(); // ended elsewhere: released, booked or expired
  return { hold: hold || null, read: true };
}

/**
 * What became of a hold the server no longer takes ("hold-gone"): a hold ends by expiring,
 * by being released, or by being paid for (in another tab, where its Idempotency-Key is
 * another), and only the server knows which. Resolves to {status: "booked", booking}
 * (booking: the caller's booking of its seats, null if it cannot be found), {status:
 * "active", hold} (still live: refused for another reason), {status: "released"} (let go,
 * or replaced by a bigger hold, maybe in another tab), {status: "ended"} (expired), or
 * {status: "unknown"} if the server cannot be asked.
 */
export async function fateOf(holdId) {
  let now;
  try {
    now = await api("GET", `/api/v1/holds/${holdId}`);
  } catch (error) {
    return { status: error instanceof ApiError && error.status === 404 ? "ended" : "unknown" };
  }
  if (now.status === "booked") return { status: "booked", booking: await bookingOf(now) };
  if (now.status === "active" && secondsUntil(now.expires_at) > 0) return { status: "active", hold: now };
  return { status: now.status === "released" ? "released" : "ended" };
}

// A hold names no booking; the booking made from it has its flight and exactly its seats,
// and among the caller's bookings (newest first) the newest such is the one.
const BOOKINGS_LOOKED_AT = 200;

async function bookingOf(hold) {
  const wanted = [...hold.seats].sort().join(" ");
  try {
    const found = await api("GET", "/api/v1/bookings", { query: { limit: BOOKINGS_LOOKED_AT } });
    return found.items.find((b) => b.flight_id === hold.flight_id && [...b.seats].sort().join(" ") === wanted) || null;
  } catch {
    return null;
  }
}

/** "These seats are booked already. See your booking": said wherever a hold turns out to
 * have been paid for elsewhere, with the way to that booking (or to all of them). */
export function bookedAlready(booking, lead = "These seats are booked already.") {
  const link = booking
    ? h("a", { href: `#/bookings/${booking.id}` }, `See booking ${booking.reference}`)
    : h("a", { href: "#/bookings" }, "See my bookings");
  return h("span", {}, `${lead} `, link);
}

// More than a traveller could have made by hand; the web client itself keeps one per flight.
const EARLIER_HOLDS_LIMIT = 20;

// A read that got no answer, or a server error, is tried again a few times: holding
// without it could leave an earlier hold stranded beside the new one.
const READ_RETRY_DELAYS_MS = [500, 1500];

/** Every live hold the signed-in traveller has on this flight, newest first (made in any
 * tab, on any device); null if the server cannot be asked, after a few tries. */
export async function liveHolds(flightId) {
  for (let attempt = 0; ; attempt++) {
    try {
      const found = await api("GET", "/api/v1/holds", { query: { flight_id: flightId, limit: EARLIER_HOLDS_LIMIT } });
      return found.items;
    } catch (error) {
      const passing = error instanceof ApiError && (error.status === 0 || error.status >= 500);
      if (!passing || attempt >= READ_RETRY_DELAYS_MS.length) return null;
      await new Promise((resolve) => setTimeout(resolve, READ_RETRY_DELAYS_MS[attempt]));
    }
  }
}

// Seats chosen while signed out, kept through sign-in or sign-up so the map can hold them
// on the way back.
const SELECTION_KEY = "lastseat.selection";

export function keepSelection(flightId, seats) {
  sessionStorage.setItem(SELECTION_KEY, JSON.stringify({ flight_id: flightId, seats }));
}

/** The seats kept for this flight (and forget them), or none. */
export function takeSelection(flightId) {
  const kept = JSON.parse(sessionStorage.getItem(SELECTION_KEY) || "null");
  if (!kept || kept.flight_id !== flightId) return [];
  sessionStorage.removeItem(SELECTION_KEY);
  return kept.seats;
}
