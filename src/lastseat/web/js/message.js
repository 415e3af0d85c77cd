// Messages where the eye is: a refusal caused by an action is shown right beside the control
// that caused it, in a live region (so a screen reader announces it) and scrolled into view,
// not at the top of a page the traveller has scrolled away from.
import { describe } from "./api.js";
import { clear, h } from "./dom.js";

/**
 * A message slot placed just after `anchor` (the button or field an action starts from).
 * `show(errorTextOrNode, tone)` fills it and brings it into view; `clear()` empties it. The live
 * region is in the page from the start, empty, so what is put in it later is announced; an
 * error inside it is also an alert (role), an "info" tone is not.
 */
export function messageSlot(anchor, { urgent = true } = {}) {
  const region = h("div", { class: "action-message", "aria-live": urgent ? "assertive" : "polite", "aria-atomic": "true" });
  anchor.after(region);
  return {
    element: region,
    show(message, tone = "error") {
      const content = typeof message === "string" || message instanceof Node ? message : describe(message);
      clear(region).append(h("p", { role: tone === "error" ? "alert" : undefined, "data-tone": tone }, content));
      region.scrollIntoView({ block: "nearest" });
    },
    clear() {
      clear(region);
    },
  };
}

/** A 422's `loc` as a path within the request's body: ["cabins", "1", "fare"]. */
export function fieldPath(loc) {
  return (loc || []).filter((part) => part !== "body").map(String);
}

/** The one control of `form` named by the last name in `loc` (none if several share it). */
function namedControl(form, loc) {
  const name = fieldPath(loc).reverse().find((part) => Number.isNaN(Number(part)));
  return name ? form.elements.namedItem(name) : null;
}

/**
 * Per-field errors of a 422 (`errors: [{loc, message}]` from the API), each shown under the
 * form control `controlFor(loc)` finds (by default the one named by the last part of its
 * `loc`), with aria-invalid and aria-describedby set. Returns how many were placed; what
 * matched no control is left to the caller.
 */
export function showFieldErrors(form, error, { controlFor = (loc) => namedControl(form, loc) } = {}) {
  clearFieldErrors(form);
  let placed = 0;
  for (const item of error?.problem?.errors || []) {
    const control = controlFor(item.loc || []);
    if (!(control instanceof HTMLElement)) continue;
    // Unique: two refusals of one field are two notes, each its own description.
    // A sentence under its field ("Seat 16B: the given name ..."), as the message by the
    // button says it; the field's next edit takes its mark away (it may be put right).
    const text = String(item.message);
    const note = h("small", { class: "field-error", id: `${control.id || control.name}-error-${placed}` }, text.charAt(0).toUpperCase() + text.slice(1));
    control.addEventListener("input", () => clearFieldError(control, note), { once: true });
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), note.id].filter(Boolean).join(" "));
    control.after(note);
    if (!placed) control.scrollIntoView({ block: "nearest" });
    placed += 1;
  }
  return placed;
}

export function clearFieldErrors(form) {
  for (const note of form.querySelectorAll(".field-error")) {
    clearFieldError(form.querySelector(`[aria-describedby~="${note.id}"]`), note);
  }
}

function clearFieldError(control, note) {
  if (control && note.isConnected) {
    const rest = (control.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== note.id);
    if (rest.length) control.setAttribute("aria-describedby", rest.join(" "));
    else control.removeAttribute("aria-describedby");
    // still invalid while another of the server's notes describes it
    if (!rest.some((id) => document.getElementById(id)?.classList.contains("field-error"))) control.removeAttribute("aria-invalid");
  }
  note.remove();
}
