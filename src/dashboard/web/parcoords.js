// Parallel coordinates of the runs: one vertical axis per metadata column
// and one for a metric; drag on an axis to brush a range, which filters the
// runs table (a click on an axis clears its brush).

const PAD = { top: 30, bottom: 22, side: 90 };

function scaleFor(values) {
  const nums = values.filter((v) =>
    typeof v === "number" && Number.isFinite(v)
  );
  if (
    nums.length ===
      values.filter((v) => v !== null && v !== undefined).length &&
    nums.length > 0
  ) {
    let lo = Math.min(...nums), hi = Math.max(...nums);
    // positive values spread over decades (learning rates): a log axis
    if (lo > 0 && hi / lo >= 1000) {
      const a = Math.log10(lo), b = Math.log10(hi);
      return {
        kind: "num",
        log: true,
        lo,
        hi,
        pos: (
          v,
        ) => (typeof v === "number" && v > 0
          ? (Math.log10(v) - a) / (b - a)
          : NaN),
      };
    }
    if (lo === hi) {
      lo -= 1;
      hi += 1;
    }
    return {
      kind: "num",
      lo,
      hi,
      pos: (v) => (typeof v === "number" ? (v - lo) / (hi - lo) : NaN),
    };
  }
  const cats = [
    ...new Set(values.filter((v) => v !== null && v !== undefined).map(String)),
  ].sort();
  const index = new Map(cats.map((c, i) => [c, i]));
  return {
    kind: "cat",
    cats,
    pos: (
      v,
    ) => (v === null || v === undefined
      ? NaN
      : cats.length === 1
      ? 0.5
      : index.get(String(v)) / (cats.length - 1)),
  };
}

export class ParallelCoordinates {
  /** onBrush(axisKey, range|null) where range is {lo, hi} in axis position (0..1, bottom to top). */
  constructor(canvas, onBrush) {
    this.canvas = canvas;
    this.onBrush = onBrush;
    this.axes = [];
    this.drag = null;
    canvas.addEventListener("mousedown", (e) => this.#down(e));
    globalThis.addEventListener("mousemove", (e) => this.#move(e));
    globalThis.addEventListener("mouseup", (e) => this.#up(e));
  }

  /** axes: [{key, label, get(run)}]; runs: all runs to draw; active(run): passes the filters; brushes: Map key -> {lo, hi}. */
  draw(axes, runs, active, brushes, colorOf) {
    this.axes = axes.map((a) => ({ ...a, scale: scaleFor(runs.map(a.get)) }));
    this.runs = runs;
    this.active = active;
    this.brushes = brushes;
    this.colorOf = colorOf;
    this.#render();
  }

  #geometry() {
    const w = this.canvas.clientWidth || 800;
    const hgt = this.canvas.clientHeight || 320;
    const n = this.axes.length;
    const gap = n > 1 ? (w - 2 * PAD.side) / (n - 1) : 0;
    return {
      w,
      hgt,
      x: (i) => (n > 1 ? PAD.side + i * gap : w / 2),
      y: (p) => PAD.top + (1 - p) * (hgt - PAD.top - PAD.bottom),
      plotH: hgt - PAD.top - PAD.bottom,
    };
  }

  #render() {
    const c = this.canvas;
    const g = this.#geometry();
    const dpr = globalThis.devicePixelRatio || 1;
    c.width = Math.round(g.w * dpr);
    c.height = Math.round(g.hgt * dpr);
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, g.w, g.hgt);
    const drawRun = (run, color, alpha) => {
      ctx.strokeStyle = color;
      ctx.globalAlpha = alpha;
      ctx.beginPath();
      let pen = false;
      this.axes.forEach((a, i) => {
        const p = a.scale.pos(a.get(run));
        if (!Number.isFinite(p)) {
          pen = false;
          return;
        }
        const px = g.x(i), py = g.y(p);
        if (pen) ctx.lineTo(px, py);
        else {
          ctx.moveTo(px, py);
          pen = true;
        }
      });
      ctx.stroke();
    };
    ctx.lineWidth = 1;
    const on = [], off = [];
    for (const r of this.runs) (this.active(r) ? on : off).push(r);
    for (const r of off) drawRun(r, "#bbb", 0.25);
    const alpha = on.length > 300 ? 0.35 : 0.8;
    for (const r of on) drawRun(r, this.colorOf(r), alpha);
    ctx.globalAlpha = 1;
    ctx.font = "11px sans-serif";
    this.axes.forEach((a, i) => {
      const px = g.x(i);
      ctx.strokeStyle = "#333";
      ctx.beginPath();
      ctx.moveTo(px, g.y(0));
      ctx.lineTo(px, g.y(1));
      ctx.stroke();
      ctx.fillStyle = "#222";
      ctx.textAlign = "center";
      ctx.fillText(
        a.label.length > 22 ? `${a.label.slice(0, 21)}…` : a.label,
        px,
        14,
      );
      ctx.fillStyle = "#666";
      if (a.scale.kind === "num") {
        ctx.fillText(
          String(Number(a.scale.hi.toPrecision(3))) +
            (a.scale.log ? " (log)" : ""),
          px,
          g.y(1) - 4,
        );
        ctx.fillText(
          String(Number(a.scale.lo.toPrecision(3))),
          px,
          g.y(0) + 13,
        );
      } else {
        ctx.textAlign = "left";
        const cats = a.scale.cats;
        const step = Math.max(1, Math.ceil(cats.length / 12));
        cats.forEach((cat, k) => {
          if (k % step) return;
          const t = cat.length > 12 ? `${cat.slice(0, 11)}…` : cat;
          const ty = g.y(a.scale.pos(cat)) + 3;
          ctx.fillStyle = "rgba(255,255,255,0.85)";
          ctx.fillRect(px + 3, ty - 10, ctx.measureText(t).width + 2, 13);
          ctx.fillStyle = "#333";
          ctx.fillText(t, px + 4, ty);
        });
      }
      const b = this.brushes.get(a.key);
      if (b) {
        ctx.fillStyle = "rgba(30,110,220,0.25)";
        ctx.strokeStyle = "rgb(30,110,220)";
        const top = g.y(b.hi), bottom = g.y(b.lo);
        ctx.fillRect(px - 8, top, 16, bottom - top);
        ctx.strokeRect(px - 8, top, 16, bottom - top);
      }
    });
  }

  #axisAt(e) {
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    const g = this.#geometry();
    for (let i = 0; i < this.axes.length; i++) {
      if (Math.abs(g.x(i) - x) <= 12) return { i, y, g };
    }
    return null;
  }

  #down(e) {
    const hit = this.#axisAt(e);
    if (hit === null) return;
    e.preventDefault();
    this.drag = { axis: this.axes[hit.i], start: hit.y, end: hit.y, g: hit.g };
  }

  #pos(y, g) {
    return Math.min(1, Math.max(0, 1 - (y - PAD.top) / g.plotH));
  }

  #move(e) {
    if (this.drag === null) return;
    const rect = this.canvas.getBoundingClientRect();
    this.drag.end = e.clientY - rect.top;
    const { axis, start, end, g } = this.drag;
    if (Math.abs(end - start) < 3) return;
    const a = this.#pos(start, g), b = this.#pos(end, g);
    this.brushes.set(axis.key, { lo: Math.min(a, b), hi: Math.max(a, b) });
    this.#render();
  }

  #up() {
    if (this.drag === null) return;
    const { axis, start, end, g } = this.drag;
    this.drag = null;
    if (Math.abs(end - start) < 3) {
      this.onBrush(axis.key, null, axis);
      return;
    }
    const a = this.#pos(start, g), b = this.#pos(end, g);
    this.onBrush(axis.key, { lo: Math.min(a, b), hi: Math.max(a, b) }, axis);
  }

  /** Whether `run` lies inside every brush. */
  static passes(axes, brushes, run) {
    for (const a of axes) {
      const b = brushes.get(a.key);
      if (!b) continue;
      const p = a.scale.pos(a.get(run));
      if (!(p >= b.lo - 1e-9 && p <= b.hi + 1e-9)) return false;
    }
    return true;
  }
}
