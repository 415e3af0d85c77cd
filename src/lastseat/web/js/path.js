// The "request path" panel: for the last API call, the hops of DESIGN.md's architecture
// (DNS, TCP, TLS, firewall, proxy, app server, database) and the time spent at each.
// Browser-side hops come from the Resource Timing API; the server side from the headers
// the tiers set (Server-Timing from the proxy and the app, X-Upstream, X-Request-ID).
// The arithmetic is the same as `lastseat trace`'s.
import { h, clear } from "./dom.js";

const PROXY = /proxy;desc="upstream (\S+) ([\d.]+) s"/;
const METRIC = /(\w+);dur=([\d.]+)/g;
const panel = () => document.getElementById("path");
let last = null;

function span(start, end) {
  return start > 0 && end >= start ? end - start : 0;
}

/** The hops of one call, in the order a request meets them. */
export function hopsOf(call, timing) {
  const serverTiming = call.headers.get("server-timing") || "";
  const proxy = PROXY.exec(serverTiming);
  const metrics = Object.fromEntries(
    [...serverTiming.matchAll(METRIC)].map((m) => [m[1], Number(m[2])]),
  );
  const upstreamMs = proxy ? Number(proxy[2]) * 1000 : null;
  const hops = [];
  if (timing) {
    const reused = timing.connectStart === timing.connectEnd;
    const dns = span(timing.domainLookupStart, timing.domainLookupEnd);
    hops.push({ tier: "DNS", detail: reused ? "connection reused: no lookup" : `${location.hostname} resolved`, ms: dns });
    const tlsStart = timing.secureConnectionStart;
    hops.push({ tier: "TCP", detail: reused ? "connection reused" : `connect to port ${location.port || 443}`, ms: span(timing.connectStart, tlsStart || timing.connectEnd) });
    hops.push({ tier: "TLS", detail: reused ? "session reused" : "handshake with the firewall", ms: span(tlsStart, timing.connectEnd) });
  }
  const waited = timing ? span(timing.requestStart, timing.responseStart) : null;
  const blocked = call.status === 403 && !metrics.app;
  hops.push({
    tier: "firewall",
    detail: blocked ? "WAF blocked the request (403)" : "WAF passed it; TLS ends here",
    ms: waited !== null && upstreamMs !== null ? Math.max(waited - upstreamMs, 0) : null,
  });
  if (proxy) {
    hops.push({ tier: "proxy", detail: `to app server ${proxy[1]}`, ms: metrics.app !== undefined ? Math.max(upstreamMs - metrics.app, 0) : upstreamMs });
  }
  if (metrics.app !== undefined) {
    const db = metrics.db || 0;
    hops.push({ tier: "app", detail: `${call.headers.get("x-upstream") || "app server"} answered`, ms: Math.max(metrics.app - db, 0) });
    hops.push({ tier: "database", detail: "time in SQL statements", ms: db });
  }
  const total = timing ? timing.responseEnd - timing.startTime : performance.now() - call.started;
  hops.push({ tier: "total", detail: "as the browser saw it", ms: total });
  return hops;
}

export function recordCall(call) {
  // The resource-timing entry is queued after the body is read: look for it a tick later.
  setTimeout(() => {
    const entries = performance.getEntriesByName(call.url, "resource");
    last = { call, hops: hopsOf(call, entries.at(-1)) };
    render();
  }, 0);
}

function fmt(ms) {
  if (ms === null || ms === undefined) return "n/a";
  return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
}

function render() {
  const root = panel();
  if (root.hidden || !last) return;
  const { call, hops } = last;
  const total = hops.at(-1).ms || 1;
  clear(root);
  root.append(
    h("h2", {}, "Request path"),
    h("p", { class: "path-call" }, `${call.method} ${new URL(call.url).pathname} → ${call.status}`),
    h("p", { class: "path-id" }, "request id ", h("code", { "data-testid": "request-id" }, call.requestId || "none")),
    h(
      "ol",
      { class: "hops" },
      ...hops.map((hop) =>
        h(
          "li",
          { "data-tier": hop.tier },
          h("span", { class: "tier" }, hop.tier),
          h("span", { class: "ms" }, fmt(hop.ms)),
          h("span", { class: "bar", style: { width: `${Math.min(100, ((hop.ms || 0) / total) * 100).toFixed(1)}%` } }),
          h("span", { class: "detail" }, hop.detail),
        ),
      ),
    ),
    h("p", { class: "hint" }, "Browser → DNS → firewall (nginx + ModSecurity) → proxy (nginx) → app server → PostgreSQL"),
  );
}

const CHOICE = "lastseat.path"; // "on" or "off" once the visitor has chosen; absent before

/**
 * The panel is for the curious, not in a traveller's way: hidden unless the site's public
 * setting `request_path_panel` shows it, and the footer's toggle overrides that for this
 * browser (remembered). `config` is the server's public settings.
 */
export function setupPathPanel(config = {}) {
  // Calls run in parallel, so entries are looked up by URL (newest last), never cleared
  // one by one; the buffer is emptied only when full.
  performance.setResourceTimingBufferSize(1000);
  performance.addEventListener("resourcetimingbufferfull", () => performance.clearResourceTimings());
  const toggle = document.getElementById("path-toggle");
  const chosen = localStorage.getItem(CHOICE);
  toggle.checked = chosen ? chosen === "on" : Boolean(config.request_path_panel);
  const apply = () => {
    panel().hidden = !toggle.checked;
    render();
  };
  toggle.addEventListener("change", () => {
    localStorage.setItem(CHOICE, toggle.checked ? "on" : "off");
    apply();
  });
  apply();
}
