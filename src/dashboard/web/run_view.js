// One run: its tables as `cox show` prints them (paged), its text
// summaries (markdown, rendered safely), images and histograms over steps.

import { getJson } from "./api.js";
import { h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const PAGE = 25;

async function tablePage(box, id, table, offset) {
  const page = await getJson("/api/run/table", {
    id,
    table: table.name,
    offset,
    limit: PAGE,
  });
  const pre = h("pre", { class: "frame" }, page.text);
  const last = Math.max(0, Math.ceil(page.nrows / PAGE) - 1);
  const at = Math.floor(offset / PAGE);
  const nav = h(
    "div",
    { class: "pager" },
    h("button", {
      disabled: at === 0,
      onclick: () => tablePage(box, id, table, (at - 1) * PAGE),
    }, "‹ previous"),
    ` rows ${page.nrows === 0 ? 0 : offset}–${
      Math.min(page.nrows, offset + PAGE) - 1
    } of ${page.nrows} `,
    h("button", {
      disabled: at >= last,
      onclick: () => tablePage(box, id, table, (at + 1) * PAGE),
    }, "next ›"),
  );
  box.replaceChildren(nav, pre);
}

function drawHistograms(canvas, steps) {
  const w = canvas.clientWidth || 600, hgt = canvas.clientHeight || 240;
  const dpr = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(hgt * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, hgt);
  if (steps.length === 0) return;
  let lo = Infinity, hi = -Infinity;
  for (const s of steps) {
    if (Number.isFinite(s.min)) lo = Math.min(lo, s.min);
    if (Number.isFinite(s.max)) hi = Math.max(hi, s.max);
  }
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const n = steps.length;
  const rowH = (hgt - 40) / Math.max(1, n);
  const ridge = Math.min(60, rowH * 4);
  ctx.font = "11px sans-serif";
  steps.forEach((s, k) => {
    const base = 20 + (k + 1) * rowH;
    const peak = Math.max(...s.counts, 1e-12);
    ctx.beginPath();
    ctx.moveTo(30, base);
    let left = s.min;
    s.counts.forEach((c, j) => {
      const right = Math.min(s.limits[j], s.max);
      const mid = (Math.max(left, lo) + Math.min(right, hi)) / 2;
      const px = 30 + ((mid - lo) / (hi - lo)) * (w - 60);
      ctx.lineTo(px, base - (c / peak) * ridge);
      left = right;
    });
    ctx.lineTo(w - 30, base);
    ctx.fillStyle = `hsla(${20 + (k / n) * 200} 70% 50% / 0.35)`;
    ctx.strokeStyle = `hsl(${20 + (k / n) * 200} 70% 35%)`;
    ctx.fill();
    ctx.stroke();
    if (k % Math.max(1, Math.ceil(n / 8)) === 0) {
      ctx.fillStyle = "#333";
      ctx.fillText(String(s.step), 2, base);
    }
  });
  ctx.fillStyle = "#333";
  ctx.fillText(String(Number(lo.toPrecision(3))), 30, hgt - 4);
  ctx.textAlign = "right";
  ctx.fillText(String(Number(hi.toPrecision(3))), w - 30, hgt - 4);
}

/** Fills `root` with the view of run `id`. */
export async function showRun(root, id) {
  root.replaceChildren(h("p", {}, "loading…"));
  const info = await getJson("/api/run", { id });
  const parts = [
    h("h2", {}, info.name),
    h("p", { class: "muted" }, `exp_id ${info.id}`),
  ];
  if (info.broken) {
    parts.push(
      h(
        "p",
        { class: "broken" },
        `This run cannot be read fully: ${info.broken}`,
      ),
    );
  }
  root.replaceChildren(...parts);
  for (const table of info.tables) {
    const box = h("div", { class: "table-page" });
    root.append(h("h3", {}, `-- Table: ${table.name} --`), box);
    tablePage(box, id, table, 0).catch((e) =>
      box.replaceChildren(h("p", { class: "broken" }, String(e.message)))
    );
  }
  const events = await getJson("/api/run/events", { id });
  if (events.texts.length) {
    root.append(h("h3", {}, "Text"));
    for (const t of events.texts) {
      root.append(
        h(
          "div",
          { class: "text-summary" },
          h("div", { class: "muted" }, `${t.tag} · step ${t.step}`),
          renderMarkdown(t.text),
        ),
      );
    }
  }
  if (events.images.length) {
    root.append(h("h3", {}, "Images"));
    const grid = h("div", { class: "images" });
    for (const im of events.images) {
      grid.append(
        h(
          "figure",
          {},
          h("img", {
            src: `/api/run/image?${new URLSearchParams({
              id,
              n: String(im.n),
            })}`,
            alt: `${im.tag} step ${im.step}`,
            width: Math.min(im.width, 256),
          }),
          h("figcaption", {}, `${im.tag} · step ${im.step}`),
        ),
      );
    }
    root.append(grid);
  }
  if (events.histograms.length) {
    root.append(h("h3", {}, "Histograms"));
    for (const hist of events.histograms) {
      const canvas = h("canvas", { class: "hist" });
      root.append(h("div", { class: "muted" }, hist.tag), canvas);
      requestAnimationFrame(() => drawHistograms(canvas, hist.steps));
    }
  }
}
