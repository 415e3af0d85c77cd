// A tiny element builder. Text always goes in as text nodes, never as HTML: nothing a
// server or a user typed can become markup (and the CSP forbids inline script anyway).

/** h("button", {type: "button", onclick: f}, "Hold seats") */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "style") {
      Object.assign(el.style, value); // CSSOM, which the CSP allows; style="" it does not
    } else if (key in el && typeof value !== "string") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** A labelled form field: every control gets a <label for>, and a hint if given. */
let fieldCount = 0;
export function field(label, control, hint) {
  if (!control.id) control.id = `f${++fieldCount}`;
  const hintEl = hint ? h("small", { id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintEl);
}

/** A <select> from [value, text] pairs. */
export function select(attrs, options) {
  return h("select", attrs, ...options.map(([value, text]) => h("option", { value }, text)));
}
