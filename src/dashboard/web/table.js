// The runs table, virtualized: only the rows in view are in the DOM, so
// 10,000 runs scroll as smoothly as 10.

import { formatNumber, h } from "./dom.js";

const ROW = 24;
const OVERSCAN = 8;

/**
 * columns: [{key, label, width, get(run), numeric, title?}]
 * callbacks: onSort(key), onToggle(id, checked), onOpen(id), isSelected(id)
 */
export class VirtualTable {
  constructor(root, callbacks) {
    this.root = root;
    this.cb = callbacks;
    this.columns = [];
    this.rows = [];
    this.sort = null;
    this.head = h("div", { class: "vt-head" });
    this.body = h("div", { class: "vt-body", onscroll: () => this.#paint() });
    this.spacer = h("div", { class: "vt-spacer" });
    this.window = h("div", { class: "vt-window" });
    this.spacer.append(this.window);
    this.body.append(this.spacer);
    root.replaceChildren(this.head, this.body);
    this.body.addEventListener("scroll", () => {
      this.head.scrollLeft = this.body.scrollLeft;
    });
    this.window.addEventListener("change", (e) => {
      const t = e.target;
      if (t instanceof HTMLInputElement && t.dataset.id !== undefined) {
        this.cb.onToggle(t.dataset.id, t.checked);
      }
    });
    this.window.addEventListener("click", (e) => {
      const t = e.target;
      if (t instanceof HTMLElement && t.classList.contains("run-link")) {
        e.preventDefault();
        this.cb.onOpen(t.dataset.id);
      }
    });
    this.painted = "";
  }

  set(columns, rows, sort) {
    this.columns = columns;
    this.rows = rows;
    this.sort = sort;
    const total = columns.reduce((n, c) => n + c.width, 30);
    this.width = total;
    const cells = [
      h(
        "div",
        { class: "vt-cell vt-check", style: { width: "30px" } },
        h("input", {
          type: "checkbox",
          title: "select every run shown",
          checked: rows.length > 0 &&
            rows.every((r) => this.cb.isSelected(r.id)),
          onchange: (e) => this.cb.onToggleAll(e.target.checked),
        }),
      ),
    ];
    for (const c of columns) {
      const arrow = sort?.key === c.key ? (sort.dir > 0 ? " ▲" : " ▼") : "";
      cells.push(h("div", {
        class: `vt-cell vt-th${c.numeric ? " num" : ""}`,
        style: { width: `${c.width}px` },
        title: c.title ?? c.label,
        dataset: { key: c.key },
        onclick: () => this.cb.onSort(c.key),
      }, c.label + arrow));
    }
    this.head.replaceChildren(
      h("div", { class: "vt-row", style: { width: `${total}px` } }, ...cells),
    );
    this.spacer.style.height = `${rows.length * ROW}px`;
    // a short table takes the room it needs, a long one scrolls
    this.body.style.height = `${
      Math.min(
        Math.max(rows.length, 3) * ROW + 18,
        Math.round(globalThis.innerHeight * 0.36),
      )
    }px`;
    this.spacer.style.width = `${total}px`;
    this.painted = "";
    this.#paint();
  }

  #paint() {
    const top = this.body.scrollTop;
    const height = this.body.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const last = Math.min(
      this.rows.length,
      Math.ceil((top + height) / ROW) + OVERSCAN,
    );
    const key = `${first}:${last}`;
    if (key === this.painted) return;
    this.painted = key;
    const out = [];
    for (let r = first; r < last; r++) {
      const run = this.rows[r];
      const cells = [
        h(
          "div",
          { class: "vt-cell vt-check", style: { width: "30px" } },
          h("input", {
            type: "checkbox",
            checked: this.cb.isSelected(run.id),
            dataset: { id: run.id },
            title: `select ${run.name}`,
          }),
        ),
      ];
      for (const c of this.columns) {
        const v = c.get(run);
        let content;
        if (c.key === "name") {
          content = h("a", {
            href: "#",
            class: "run-link",
            dataset: { id: run.id },
            title: run.broken ? `broken: ${run.broken}` : run.id,
          }, (run.broken ? "⚠ " : "") + String(v));
        } else {content = c.numeric
            ? formatNumber(v)
            : v === null || v === undefined
            ? ""
            : String(v);}
        cells.push(h("div", {
          class: `vt-cell${c.numeric ? " num" : ""}${
            c.key === "name" && run.broken ? " broken" : ""
          }`,
          style: { width: `${c.width}px` },
          title: c.key === "name"
            ? null
            : typeof content === "string"
            ? content
            : null,
        }, content));
      }
      out.push(h("div", {
        class: `vt-row${this.cb.isSelected(run.id) ? " selected" : ""}`,
        style: { top: `${r * ROW}px`, width: `${this.width}px` },
        dataset: { id: run.id },
      }, ...cells));
    }
    this.window.replaceChildren(...out);
  }

  /** Repaints the rows in view (after a selection change). */
  refresh() {
    this.painted = "";
    this.#paint();
  }
}
