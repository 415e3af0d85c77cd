// Dates from the server are RFC 3339 UTC. A departure or an arrival is read on its airport's
// clocks, in the zone the server names (departure_zone, arrival_zone); other moments (when a booking was made) in
// the traveller's own zone.
import { serverClockOffset } from "./api.js";
import { h } from "./dom.js";

const byZone = new Map();

// dateStyle and timeStyle cannot be combined with timeZoneName, hence the parts spelled out.
function zoned(zone) {
  if (!byZone.has(zone)) {
    byZone.set(
      zone,
      new Intl.DateTimeFormat("en-GB", {
        weekday: "short", day: "numeric", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone, timeZoneName: "short",
      }),
    );
  }
  return byZone.get(zone);
}

/** "Sun, 29 Nov 2026, 11:50 CET (your time)": a moment tied to no airport (when a booking
 * was made, until when a hold lasts) on the traveller's own clocks, their zone named as a
 * departure's is, so it is never read as an airport's time. */
export function yourTime(iso) {
  let format;
  try {
    format = zoned(Intl.DateTimeFormat().resolvedOptions().timeZone);
  } catch {
    format = zoned("UTC"); // a browser that names no zone of its own: still the right instant
  }
  return `${format.format(new Date(iso))} (your time)`;
}

/** "Thu, 10 Jan 2030, 10:00 CET (Europe/Madrid)": an instant on an airport's clocks, with
 * the zone's abbreviation (or offset) and its name. */
function onAirportClocks(iso, zone) {
  if (!zone) return yourTime(iso);
  let format;
  try {
    format = zoned(zone);
  } catch {
    format = zoned("UTC"); // a zone this browser's data lacks: still the right instant
  }
  return `${format.format(new Date(iso))} (${zone})`;
}

/** A <time> element, its datetime the local ISO 8601 with offset, its title the UTC instant. */
function airportTime(className, iso, local, zone) {
  return h(
    "time",
    { class: className, datetime: local || iso, title: `${iso.replace("T", " ").replace("Z", "")} UTC` },
    onAirportClocks(iso, zone),
  );
}

/** A flight's departure on its origin airport's clocks. */
export function departureText(flight) {
  return onAirportClocks(flight.departs_at, flight.departure_zone);
}

export function departure(flight) {
  return airportTime("departure", flight.departs_at, flight.departs_local, flight.departure_zone);
}

/** A flight's arrival on its destination airport's clocks; a flight created before arrival
 * times were kept has none (null), said so rather than guessed. */
export function arrival(flight) {
  if (!flight.arrives_at) return h("span", { class: "arrival unknown" }, "arrival time not known");
  return airportTime("arrival", flight.arrives_at, flight.arrives_local, flight.arrival_zone);
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

/**
 * A hold's countdown: an element showing the time left, ticking each second; `onEnd` runs
 * once when it reaches 0 (at once, if it already has). Returns the element and a stop.
 */
export function countdownTimer(iso, onEnd) {
  const element = h("strong", { class: "countdown", role: "timer", "aria-live": "off" });
  let timer = null;
  const tick = () => {
    const seconds = secondsUntil(iso);
    element.textContent = countdown(seconds);
    if (seconds > 0) return true;
    clearInterval(timer);
    onEnd();
    return false;
  };
  if (tick()) timer = setInterval(tick, 1000);
  return { element, stop: () => clearInterval(timer) };
}
