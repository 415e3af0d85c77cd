// The shell: who is signed in, the hash router, and the notice/alert regions every view
// reports through. Views live in views/ and know nothing of each other.
import { api, ApiError, CSRF_COOKIE, cookie, describe } from "./api.js";
import { clear, h } from "./dom.js";
import { setupPathPanel } from "./path.js";
import * as search from "./views/search.js";
import * as flight from "./views/flight.js";
import * as checkout from "./views/checkout.js";
import * as bookings from "./views/bookings.js";
import * as account from "./views/account.js";
import * as admin from "./views/admin.js";
import * as manage from "./views/manage.js";
import * as waiting from "./views/waiting.js";

const routes = [
  [/^\/?$/, search.render],
  [/^\/flights\/(\d+)$/, flight.render],
  [/^\/flights\/(\d+)\/wait$/, waiting.render],
  [/^\/checkout\/([0-9a-f-]{36})$/, checkout.render],
  [/^\/bookings$/, bookings.renderList],
  [/^\/bookings\/([0-9a-f-]{36})$/, bookings.renderOne],
  [/^\/login$/, account.renderLogin],
  [/^\/signup$/, account.renderSignup],
  [/^\/admin$/, admin.render],
  [/^\/manage$/, manage.render],
];

const main = document.getElementById("main");
let cleanup = null;
let pendingNotice = null;
// Which route() call is current: one still waiting for the server when the traveller moved
// on is stale, and must neither draw into the page nor keep anything running.
let rendering = 0;

const ctx = {
  user: null,
  config: { hold_ttl_seconds: 600, max_seats_per_hold: 9 },

  /** Go to a page; `notice` is shown there (a notice set before navigating is cleared). */
  navigate(hash, notice) {
    pendingNotice = notice || null;
    if (location.hash === hash) route();
    else location.hash = hash;
  },

  notify(message) {
    const notice = document.getElementById("notice");
    notice.textContent = message;
  },

  /** Show an error in words a traveller understands (and its reference, for support). */
  fail(error) {
    const alert = document.getElementById("alert");
    alert.textContent = typeof error === "string" ? error : describe(error);
    alert.hidden = false;
  },

  /** Mark where the traveller is in booking: one of STEPS; null hides the indicator. */
  step(name) {
    paintSteps(name);
  },

  clearMessages() {
    const alert = document.getElementById("alert");
    alert.hidden = true;
    alert.textContent = "";
    document.getElementById("notice").textContent = "";
  },

  /** Send a signed-out traveller to sign in (or up), and back here afterwards. */
  requireUser(notice) {
    if (ctx.user) return true;
    sessionStorage.setItem("lastseat.returnTo", location.hash || "#/");
    ctx.navigate("#/login", notice);
    return false;
  },

  async refreshUser() {
    // The CSRF cookie comes and goes with the session: without it there is no session to
    // ask about (and no 401 to log in the console on every page load).
    if (!cookie(CSRF_COOKIE)) {
      ctx.user = null;
      showUser();
      return;
    }
    try {
      ctx.user = await api("GET", "/api/v1/me");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) throw error;
      ctx.user = null;
    }
    showUser();
  },
};

// The booking journey, shown above the pages that are part of it.
const STEPS = ["Seats", "Passengers", "Pay", "Done"];
const stepsNav = h("nav", { class: "steps", "aria-label": "Booking steps", hidden: true });
main.before(stepsNav);

function paintSteps(current) {
  clear(stepsNav);
  stepsNav.hidden = !STEPS.includes(current);
  if (stepsNav.hidden) return;
  const at = STEPS.indexOf(current);
  stepsNav.append(
    h(
      "ol",
      {},
      ...STEPS.map((name, i) =>
        h(
          "li",
          { "data-state": i < at ? "done" : i === at ? "current" : "next", "aria-current": i === at ? "step" : undefined },
          h("span", { class: "visually-hidden" }, i < at ? "Done: " : i === at ? "Current step: " : ""),
          name,
        ),
      ),
    ),
  );
}

// Which step each page is (the confirmation is "Done" only when just booked).
function stepOf(path, query) {
  if (/^\/flights\/\d+$/.test(path)) return "Seats";
  if (path.startsWith("/checkout/")) return "Passengers";
  if (/^\/bookings\/[0-9a-f-]{36}$/.test(path) && query.get("new")) return "Done";
  return null;
}

function showUser() {
  const state = ctx.user ? "signed-in" : "signed-out";
  for (const el of document.querySelectorAll("[data-when]")) {
    const when = el.dataset.when;
    el.hidden = !(when === state || (when === "admin" && ctx.user?.role === "admin"));
  }
  document.getElementById("who").textContent = ctx.user ? ctx.user.email : "";
}

/** The shell's ctx for one render: a stale view's messages, steps and moves are dropped. */
function viewContext(token) {
  const current = () => token === rendering;
  const only = (action) => ({ value: (...args) => (current() ? action(...args) : undefined) });
  return Object.create(ctx, {
    navigate: only(ctx.navigate),
    notify: only(ctx.notify),
    fail: only(ctx.fail),
    step: only(ctx.step),
    clearMessages: only(ctx.clearMessages),
    requireUser: { value: (notice) => (current() ? ctx.requireUser(notice) : false) },
  });
}

async function route() {
  const token = ++rendering;
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  ctx.clearMessages();
  if (pendingNotice) ctx.notify(pendingNotice);
  pendingNotice = null;
  const drawing = location.hash;
  const [rawPath, rawQuery] = drawing.replace(/^#/, "").split("?");
  const path = decodeURIComponent(rawPath);
  clear(main);
  // Which address main shows, once it shows it whole: a move within the page (only the
  // hash changes) gives no load event to wait for, so tools and tests wait for this.
  delete main.dataset.shows;
  paintSteps(stepOf(path, new URLSearchParams(rawQuery || "")));
  for (const [pattern, view] of routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    // Each view draws into its own element: when the traveller moves on, the next route
    // empties main, and whatever a stale view appends after its awaits lands nowhere.
    const page = h("div", { class: "view" });
    // A page waiting for the server says so, rather than standing empty.
    const loading = h("p", { class: "loading", role: "status" }, "Loading…");
    main.append(page, loading);
    main.setAttribute("aria-busy", "true");
    let stop = null;
    try {
      stop = (await view(page, match.slice(1), viewContext(token))) || null;
    } catch (error) {
      if (token === rendering) ctx.fail(error);
    } finally {
      loading.remove();
    }
    if (token !== rendering) {
      if (stop) stop(); // its timers and live feeds end with it
      return;
    }
    cleanup = stop;
    main.removeAttribute("aria-busy");
    main.dataset.shows = drawing;
    // Each page is titled by its heading, and after a move between pages the keyboard and
    // screen-reader focus starts at the new content, not on a control that is gone.
    const heading = main.querySelector("h1");
    document.title = heading ? `${heading.textContent} · lastseat` : "lastseat";
    if (document.body.dataset.ready) main.focus({ preventScroll: true });
    return;
  }
  main.append(document.createTextNode("There is no such page."));
  main.dataset.shows = drawing;
}

async function start() {
  document.getElementById("logout").addEventListener("click", async () => {
    try {
      await api("POST", "/api/v1/auth/logout");
    } catch (error) {
      ctx.fail(error);
    }
    sessionStorage.removeItem("lastseat.hold");
    ctx.user = null;
    showUser();
    ctx.navigate("#/", "You are signed out.");
  });
  window.addEventListener("hashchange", route);
  try {
    ctx.config = { ...ctx.config, ...(await api("GET", "/api/v1/config")) };
    await ctx.refreshUser();
  } catch (error) {
    ctx.fail(error);
  }
  setupPathPanel(ctx.config);
  await route();
  document.body.dataset.ready = "true";
}

start();
