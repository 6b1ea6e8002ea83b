// Runs grouped by a metadata column: each group's mean curve and its band
// (min to max, or mean +- one standard deviation), on a common grid of x.

/**
 * @param {{x: ArrayLike<number>, y: ArrayLike<number>}[]} lines the group's runs
 * @param {number} bins grid size
 * @param {boolean} logX whether the grid is spaced in log x
 * @param {"minmax"|"std"} band
 */
export function aggregate(lines, bins, logX, band) {
  const tx = logX ? (v) => (v > 0 ? Math.log10(v) : NaN) : (v) => v;
  let lo = Infinity, hi = -Infinity;
  for (const l of lines) {
    for (let i = 0; i < l.x.length; i++) {
      const v = tx(l.x[i]);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi >= lo)) return null;
  const n = hi > lo ? bins : 1;
  const span = hi > lo ? hi - lo : 1;
  const sum = new Float64Array(n),
    sq = new Float64Array(n),
    cnt = new Float64Array(n);
  const mn = new Float64Array(n).fill(Infinity),
    mx = new Float64Array(n).fill(-Infinity);
  const runSum = new Float64Array(n), runCnt = new Float64Array(n);
  for (const l of lines) {
    runSum.fill(0);
    runCnt.fill(0);
    for (let i = 0; i < l.x.length; i++) {
      const v = l.y[i];
      const xv = tx(l.x[i]);
      if (!Number.isFinite(v) || !Number.isFinite(xv)) continue;
      const b = Math.min(n - 1, Math.floor(((xv - lo) / span) * n));
      runSum[b] += v;
      runCnt[b]++;
    }
    // each run counts once per bin: its mean there
    for (let b = 0; b < n; b++) {
      if (runCnt[b] === 0) continue;
      const v = runSum[b] / runCnt[b];
      sum[b] += v;
      sq[b] += v * v;
      cnt[b]++;
      if (v < mn[b]) mn[b] = v;
      if (v > mx[b]) mx[b] = v;
    }
  }
  const x = [], mean = [], low = [], high = [];
  for (let b = 0; b < n; b++) {
    if (cnt[b] === 0) continue;
    const m = sum[b] / cnt[b];
    const sd = Math.sqrt(Math.max(0, sq[b] / cnt[b] - m * m));
    const centre = lo + ((b + 0.5) / n) * span;
    x.push(logX ? Math.pow(10, centre) : centre);
    mean.push(m);
    low.push(band === "std" ? m - sd : mn[b]);
    high.push(band === "std" ? m + sd : mx[b]);
  }
  return { x, mean, lo: low, hi: high };
}
