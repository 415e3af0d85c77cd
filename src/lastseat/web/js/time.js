// Dates from the server are RFC 3339 UTC; travellers read them in their own time zone.
import { serverClockOffset } from "./api.js";
import { h } from "./dom.js";

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
