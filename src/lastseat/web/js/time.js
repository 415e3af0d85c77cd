// Dates from the server are RFC 3339 UTC; travellers read them in their own time zone.
import { serverClockOffset } from "./api.js";

const long = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" });

export function when(iso) {
  return long.format(new Date(iso));
}

/** Seconds left until an RFC 3339 instant, by the server's clock. */
export function secondsUntil(iso) {
  return Math.max(0, Math.floor((Date.parse(iso) - (Date.now() + serverClockOffset)) / 1000));
}

export function countdown(seconds) {
  const m = Math.floor(seconds / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return `${m}:${s}`;
}
