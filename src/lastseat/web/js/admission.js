// A traveller's admission to a flight on sale through a waiting room: kept in this tab's
// storage until it expires, and sent with every hold on that flight.
import { secondsUntil } from "./time.js";

const key = (flightId) => `lastseat.admission ${flightId}`;

export function keepAdmission(flightId, admission) {
  sessionStorage.setItem(key(flightId), JSON.stringify(admission));
}

/** The admission to `flightId` still in force, or null. */
export function admissionFor(flightId) {
  const kept = JSON.parse(sessionStorage.getItem(key(flightId)) || "null");
  if (kept && secondsUntil(kept.expires_at) > 0) return kept;
  sessionStorage.removeItem(key(flightId));
  return null;
}

export function forgetAdmission(flightId) {
  sessionStorage.removeItem(key(flightId));
}

/** A hold's body with the admission it needs, if the traveller has one. */
export function withAdmission(flightId, body) {
  const admission = admissionFor(flightId);
  return admission ? { ...body, admission: admission.token } : body;
}

/** Whether a refusal means the traveller must (again) wait for a turn. */
export function needsTurn(error) {
  return error?.kind === "admission-required" || error?.kind === "admission-refused";
}
