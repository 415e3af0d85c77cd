// The traveller's current hold, cached for this tab only (an id, seats and an expiry:
// nothing secret, nothing priced). The server is the truth: signed in, a page asks it for
// the traveller's live hold (liveHold), so another tab or browser sees the same seats as theirs.
import { api } from "./api.js";
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
 * cached), or null; if the server cannot be asked, the tab's cached one. */
export async function liveHold(flightId) {
  let found;
  try {
    found = await api("GET", "/api/v1/holds", { query: { flight_id: flightId, limit: 1 } });
  } catch {
    return currentHold(flightId);
  }
  const [hold] = found.items;
  if (hold) rememberHold(hold);
  else if (currentHold(flightId)) forgetHold(); // ended elsewhere: released, booked or expired
  return hold || null;
}

// More than a traveller could have made by hand; the web client itself keeps one per flight.
const EARLIER_HOLDS_LIMIT = 20;

/** Every live hold the signed-in traveller has on this flight, newest first (made in any
 * tab, on any device); null if the server cannot be asked. */
export async function liveHolds(flightId) {
  try {
    const found = await api("GET", "/api/v1/holds", { query: { flight_id: flightId, limit: EARLIER_HOLDS_LIMIT } });
    return found.items;
  } catch {
    return null;
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
