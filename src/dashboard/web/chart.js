// A line chart on a canvas: many series, each with its own x values, linear
// or log axes, shaded bands, and a hover lookup of the nearest point.

const PAD = { left: 58, right: 12, top: 8, bottom: 26 };

function niceTicks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

function logTicks(lo, hi) {
  const out = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    if (e >= lo - 1e-9 && e <= hi + 1e-9) out.push(e);
  }
  return out.length >= 2 ? out : niceTicks(lo, hi, 4);
}

function label(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/**
 * A chart: call `draw(spec)` to draw, `nearest(px, py)` to find what is under the mouse.
 * spec: {lines: [{label, color, x, y, width?}], bands: [{color, x, lo, hi}], logX, logY}
 */
export class LineChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.spec = { lines: [], bands: [] };
    this.scale = null;
  }

  draw(spec) {
    this.spec = spec;
    const canvas = this.canvas;
    const dpr = globalThis.devicePixelRatio || 1;
    const w = canvas.clientWidth || 400;
    const hgt = canvas.clientHeight || 220;
    if (canvas.width !== Math.round(w * dpr)) {
      canvas.width = Math.round(w * dpr);
    }
    if (canvas.height !== Math.round(hgt * dpr)) {
      canvas.height = Math.round(hgt * dpr);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, hgt);
    const tx = spec.logX ? (v) => (v > 0 ? Math.log10(v) : NaN) : (v) => v;
    const ty = spec.logY ? (v) => (v > 0 ? Math.log10(v) : NaN) : (v) => v;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    const extend = (xs, ys) => {
      for (let i = 0; i < xs.length; i++) {
        const a = tx(xs[i]), b = ty(ys[i]);
        if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
        if (a < x0) x0 = a;
        if (a > x1) x1 = a;
        if (b < y0) y0 = b;
        if (b > y1) y1 = b;
      }
    };
    for (const l of spec.lines) extend(l.x, l.y);
    for (const b of spec.bands) {
      extend(b.x, b.lo);
      extend(b.x, b.hi);
    }
    const plotW = w - PAD.left - PAD.right;
    const plotH = hgt - PAD.top - PAD.bottom;
    if (!(x1 >= x0)) {
      ctx.fillStyle = "#888";
      ctx.font = "12px sans-serif";
      ctx.fillText(spec.empty ?? "no data", PAD.left + 8, PAD.top + 20);
      this.scale = null;
      return;
    }
    if (x1 === x0) {
      x0 -= 0.5;
      x1 += 0.5;
    }
    if (y1 === y0) {
      y0 -= Math.abs(y0) * 0.1 || 0.5;
      y1 += Math.abs(y1) * 0.1 || 0.5;
    }
    const ypad = (y1 - y0) * 0.04;
    y0 -= ypad;
    y1 += ypad;
    const sx = (v) => PAD.left + ((tx(v) - x0) / (x1 - x0)) * plotW;
    const sy = (v) => PAD.top + plotH - ((ty(v) - y0) / (y1 - y0)) * plotH;
    this.scale = { sx, sy, tx, ty, x0, x1, y0, y1, plotW, plotH };

    // grid and axes
    ctx.font = "11px sans-serif";
    ctx.strokeStyle = "#e6e6e6";
    ctx.fillStyle = "#555";
    ctx.lineWidth = 1;
    const xt = spec.logX
      ? logTicks(x0, x1)
      : niceTicks(x0, x1, Math.max(2, Math.floor(plotW / 70)));
    const yt = spec.logY
      ? logTicks(y0, y1)
      : niceTicks(y0, y1, Math.max(2, Math.floor(plotH / 40)));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of xt) {
      const px = PAD.left + ((t - x0) / (x1 - x0)) * plotW;
      ctx.beginPath();
      ctx.moveTo(px, PAD.top);
      ctx.lineTo(px, PAD.top + plotH);
      ctx.stroke();
      ctx.fillText(spec.logX ? `1e${t}` : label(t), px, PAD.top + plotH + 5);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of yt) {
      const py = PAD.top + plotH - ((t - y0) / (y1 - y0)) * plotH;
      ctx.beginPath();
      ctx.moveTo(PAD.left, py);
      ctx.lineTo(PAD.left + plotW, py);
      ctx.stroke();
      ctx.fillText(spec.logY ? `1e${t}` : label(t), PAD.left - 5, py);
    }
    ctx.strokeStyle = "#999";
    ctx.strokeRect(PAD.left, PAD.top, plotW, plotH);

    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD.left, PAD.top, plotW, plotH);
    ctx.clip();
    for (const b of spec.bands) {
      ctx.fillStyle = b.color;
      ctx.globalAlpha = 0.18;
      ctx.beginPath();
      let started = false;
      for (let i = 0; i < b.x.length; i++) {
        const px = sx(b.x[i]), py = sy(b.hi[i]);
        if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
        if (!started) {
          ctx.moveTo(px, py);
          started = true;
        } else ctx.lineTo(px, py);
      }
      for (let i = b.x.length - 1; i >= 0; i--) {
        const px = sx(b.x[i]), py = sy(b.lo[i]);
        if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
        ctx.lineTo(px, py);
      }
      ctx.closePath();
      ctx.fill();
    }
    ctx.globalAlpha = spec.lines.length > 200
      ? 0.5
      : spec.lines.length > 50
      ? 0.75
      : 1;
    // with many lines, one device pixel wide: Skia draws such hairlines about
    // ten times faster than wider strokes (1,000 lines x 200 points: 50 ms
    // instead of 500 ms in headless Chromium), and they overlap anyway
    const hairline = spec.lines.length > 100 ? 1 / dpr : 0;
    for (const l of spec.lines) {
      if (l.x.length === 1) {
        const px = sx(l.x[0]), py = sy(l.y[0]);
        if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
        ctx.fillStyle = l.color;
        ctx.beginPath();
        ctx.arc(px, py, 3, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.strokeStyle = l.color;
      ctx.lineWidth = l.width ?? (hairline || 1.25);
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < l.x.length; i++) {
        const px = sx(l.x[i]), py = sy(l.y[i]);
        if (!Number.isFinite(px) || !Number.isFinite(py)) {
          pen = false;
          continue;
        }
        if (pen) ctx.lineTo(px, py);
        else {
          ctx.moveTo(px, py);
          pen = true;
        }
      }
      ctx.stroke();
    }
    ctx.restore();
    ctx.globalAlpha = 1;
  }

  /** The point nearest to the mouse at (px, py) in CSS pixels: {line, i, x, y} or null. */
  nearest(px, py) {
    const s = this.scale;
    if (s === null) return null;
    let best = null;
    let bestD = 15 * 15;
    for (const line of this.spec.lines) {
      const xs = line.x, ys = line.y;
      if (xs.length === 0) continue;
      // x mostly grows: binary search, then look at neighbours
      let lo = 0, hi = xs.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (s.sx(xs[mid]) < px) lo = mid + 1;
        else hi = mid;
      }
      for (
        let i = Math.max(0, lo - 2);
        i <= Math.min(xs.length - 1, lo + 2);
        i++
      ) {
        const dx = s.sx(xs[i]) - px, dy = s.sy(ys[i]) - py;
        const d = dx * dx + dy * dy;
        if (d < bestD) {
          bestD = d;
          best = { line, i, x: xs[i], y: ys[i] };
        }
      }
    }
    return best;
  }
}
