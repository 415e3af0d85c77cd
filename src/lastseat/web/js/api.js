// Every call to the lastseat API goes through here: same-origin fetch with the session
// cookie, the CSRF header on writes, problem+json turned into ApiError, and each call's
// hop-by-hop timing handed to the request-path panel.
import { recordCall } from "./path.js";

const PROBLEM_BASE = "urn:lastseat:problem:";

// What a traveller is told for each problem type. Any other refusal shows the server's own
// detail ("password must be 8 to 256 characters"), which is written for people: a generic
// "not valid" would hide what to fix.
const PLAIN_WORDS = {
  "seats-unavailable": "Sorry, someone else just took that seat.",
  "unknown-seats": "That seat does not exist on this flight.",
  "admission-required": "This flight is on sale through a waiting room: please wait for your turn.",
  "admission-refused": "Your turn to choose seats has ended: please join the line again.",
  // Gone is not always expired: a hold may have been paid for or released in another tab
  // (pages that hold one ask the server which, js/hold.js fateOf).
  "hold-gone": "This hold has ended: it expired, was released, or was booked already. Check My bookings, or choose seats again.",
  "flight-closed": "This flight is no longer open for booking.",
  "cancellation-closed": "This booking can no longer be cancelled: cancelling closes shortly before departure.",
  "email-taken": "An account with this email already exists. Try signing in.",
  "authentication-failed": "The email or password is not right.",
  "too-many-attempts": "Too many attempts. Please wait {wait} and try again.",
  "payment-declined": "Your card was declined. No money was taken; try another card.",
  "payment-provider-error": "The payment provider had a problem. No money was taken; please try again.",
  "payment-unavailable": "Payments are unavailable right now. No money was taken; please try again shortly.",
  "idempotency-in-progress": "Your previous attempt is still being processed. Please wait.",
  "not-found": "We could not find that.",
  "forbidden": "You are not allowed to do that.",
  "rate-limited": "You are going too fast. Please wait {wait} and try again.",
  "firewall-blocked": "Our firewall refused this request. If you think that is a mistake, contact us with the reference below.",
  "database-busy": "We are very busy right now. Please try again.",
  "database-unavailable": "We are having trouble right now. Please try again shortly.",
};

export class ApiError extends Error {
  constructor(status, problem, requestId, retryAfter = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.retryAfter = retryAfter; // seconds, from a 429's or 503's Retry-After
    this.kind = (problem.type || "").startsWith(PROBLEM_BASE)
      ? problem.type.slice(PROBLEM_BASE.length)
      : "";
    this.problem = problem;
    this.requestId = requestId;
  }

  /** The message a traveller reads. */
  get plain() {
    if (this.status === 401 && this.kind !== "authentication-failed") {
      return "Please sign in to continue.";
    }
    const words = PLAIN_WORDS[this.kind];
    // A throttled traveller is told how long, from the server's Retry-After.
    if (words) return words.replace("{wait}", waitWords(this.retryAfter));
    if (this.status >= 500) return "Something went wrong on our side. Please try again.";
    if (this.kind === "validation-failed" && this.problem.errors?.length) {
      return sentence(this.problem.errors.map(fieldMessage).join("; "));
    }
    return sentence(this.problem.detail || this.problem.title || `The request failed (HTTP ${this.status})`);
  }
}

/** "30 seconds", "about 5 minutes": how long a throttled traveller waits, from a 429's
 * Retry-After (seconds); "a moment" when the server did not say. */
export function waitWords(seconds) {
  if (!seconds || seconds < 1) return "a moment";
  if (seconds < 120) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  return `about ${Math.ceil(seconds / 60)} minutes`;
}

/** "password: String should have at most 256 characters" from a 422's per-field error. */
function fieldMessage({ loc, message }) {
  const name = [...(loc || [])].reverse().find((part) => part !== "body" && Number.isNaN(Number(part)));
  return name ? `${name.replaceAll("_", " ")}: ${message}` : message;
}

function sentence(text) {
  const trimmed = String(text).trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** The words for any error a page meets: an API refusal, or a failure of the page itself. */
export function describe(error) {
  if (error instanceof ApiError) {
    const reference = error.requestId && (error.status >= 500 || error.status === 403);
    return reference ? `${error.plain} (reference ${error.requestId})` : error.plain;
  }
  console.warn(error);
  return "Something went wrong in this page. Please reload and try again.";
}

/** Set with the session at sign-in, readable by the page; echoed on writes as X-CSRF-Token. */
export const CSRF_COOKIE = "lastseat_csrf";

export function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

/** The difference between the server's clock and ours, from the Date header (ms). */
export let serverClockOffset = 0;

/**
 * Call the API. `path` starts with /api/; `body` is sent as JSON; `idempotencyKey` makes a
 * retried POST safe. Resolves to the parsed JSON (or null for 204), rejects with ApiError.
 */
export async function api(method, path, { body, query, idempotencyKey } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") {
    const csrf = cookie(CSRF_COOKIE);
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  const started = performance.now();
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-cache",
    });
  } catch (error) {
    reachable(false);
    throw new ApiError(0, { detail: "We could not reach lastseat. Check your connection and try again." });
  }
  reachable(true);
  const text = await response.text();
  const requestId = response.headers.get("x-request-id") || "";
  const date = Date.parse(response.headers.get("date") || "");
  if (!Number.isNaN(date)) serverClockOffset = date - Date.now();
  recordCall({ method, url: url.href, status: response.status, requestId, headers: response.headers, started });
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text.slice(0, 200) };
    }
  }
  if (!response.ok) {
    const retryAfter = Number.parseInt(response.headers.get("retry-after") || "", 10);
    throw new ApiError(response.status, data || {}, requestId, Number.isNaN(retryAfter) ? null : retryAfter);
  }
  return data;
}

export function newIdempotencyKey() {
  return crypto.randomUUID();
}

// Whether the last call reached lastseat; pages that offer actions listen to this
// ("lastseat:reachability" on window, detail {reachable}) and stop offering them meanwhile.
let lastReachable = true;
export function isReachable() {
  return lastReachable;
}

function reachable(now) {
  if (now === lastReachable) return;
  lastReachable = now;
  window.dispatchEvent(new CustomEvent("lastseat:reachability", { detail: { reachable: now } }));
}

const RETRY_DELAYS_MS = [400, 1200, 3000];

/**
 * A write the traveller asks for once, however often it must be sent: the same request
 * (method, path and body) keeps its Idempotency-Key until it gets an answer, kept in this
 * tab's storage so a reload does not lose it; a network failure (no answer at all: the
 * request may have been carried out) is retried a few times with that key, so the server
 * replays what the lost answer said instead of doing it twice; and a second call while one
 * is in flight joins it instead of sending another.
 */
export function writer(method, path) {
  const storageKey = `lastseat.pending ${method} ${path}`;
  let inFlight = null;

  function keyFor(text) {
    const pending = JSON.parse(sessionStorage.getItem(storageKey) || "null");
    if (pending && pending.text === text) return pending.key;
    const key = newIdempotencyKey();
    sessionStorage.setItem(storageKey, JSON.stringify({ text, key }));
    return key;
  }

  async function sendWithRetries(body) {
    const idempotencyKey = keyFor(JSON.stringify(body));
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await api(method, path, { body, idempotencyKey });
        sessionStorage.removeItem(storageKey); // answered: the next request is a new one
        return answer;
      } catch (error) {
        const unanswered = error instanceof ApiError && error.status === 0;
        if (!unanswered || attempt >= RETRY_DELAYS_MS.length) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
      }
    }
  }

  return function send(body) {
    if (!inFlight) inFlight = sendWithRetries(body).finally(() => (inFlight = null));
    return inFlight;
  };
}
