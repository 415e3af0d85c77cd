// The traveller's current hold, remembered for this tab only (an id, seats and an expiry:
// nothing secret, nothing priced). The server remains the judge of whether it is live.
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
