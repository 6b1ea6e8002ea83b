// Building the page's elements. Text from runs only ever goes in as text
// (textContent, attribute properties), never as HTML.

/**
 * Creates an element with properties and children (strings become text nodes).
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node|string|null|undefined)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === "class") el.className = String(v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), v);
    } else if (k === "style" && typeof v === "object") {
      Object.assign(el.style, v);
    } else if (k in el) el[k] = v;
    else el.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

/** A number as the table shows it: up to 6 significant digits. */
export function formatNumber(v) {
  if (v === null || v === undefined) return "";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e6)) {
    return Number(v.toPrecision(5)).toExponential();
  }
  return String(Number(v.toPrecision(6)));
}

const colors = new Map();

/**
 * A colour for a run id: runs get hues in the order first seen, a golden
 * angle apart, so neighbours differ clearly; the same id keeps its colour.
 */
export function colorOf(key) {
  let c = colors.get(key);
  if (c === undefined) {
    const n = colors.size;
    c = `hsl(${(n * 137.508) % 360} ${n % 2 ? 70 : 55}% ${n % 3 ? 42 : 34}%)`;
    colors.set(key, c);
  }
  return c;
}

/** Group colours, in order. */
export const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** Offers `text` as a file download. */
export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
