// Every call to the lastseat API goes through here: same-origin fetch with the session
// cookie, the CSRF header on writes, problem+json turned into ApiError, and each call's
// hop-by-hop timing handed to the request-path panel.
import { recordCall } from "./path.js";

const PROBLEM_BASE = "urn:lastseat:problem:";

// What a traveller is told for each problem type; the server's detail is shown beside it
// only where it is written for people (seat names, discount reasons, hold limits).
const PLAIN_WORDS = {
  "seats-unavailable": "Sorry, someone else just took that seat.",
  "unknown-seats": "That seat does not exist on this flight.",
  "hold-gone": "Your seats were released because the hold expired. Please choose them again.",
  "flight-closed": "This flight is no longer open for booking.",
  "cancellation-closed": "This booking can no longer be cancelled: cancelling closes shortly before departure.",
  "email-taken": "An account with this email already exists. Try signing in.",
  "authentication-failed": "The email or password is not right.",
  "too-many-attempts": "Too many attempts. Please wait a moment and try again.",
  "payment-declined": "Your card was declined. No money was taken; try another card.",
  "payment-provider-error": "The payment provider had a problem. No money was taken; please try again.",
  "payment-unavailable": "Payments are unavailable right now. No money was taken; please try again shortly.",
  "idempotency-in-progress": "Your previous attempt is still being processed. Please wait.",
  "not-found": "We could not find that.",
  "forbidden": "You are not allowed to do that.",
  "rate-limited": "You are going too fast. Please wait a second and try again.",
  "firewall-blocked": "Our firewall refused this request. If you think that is a mistake, contact us with the reference below.",
  "validation-failed": "Some of what you entered is not valid.",
  "invalid-request": "That request is not valid.",
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
    if (words) return words;
    if (this.status >= 500) return "Something went wrong on our side. Please try again.";
    return this.problem.detail || this.problem.title || `The request failed (HTTP ${this.status}).`;
  }
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
    throw new ApiError(0, { detail: "We could not reach lastseat. Check your connection and try again." });
  }
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
