/**
 * Min/max-per-pixel downsampling: of the points falling in each pixel
 * column, keep the lowest and the highest (and the first and last point of
 * the series), so a curve drawn from them has the same extremes as the full
 * one. Cost: O(n) for n points, output at most 2 x width + 2 points.
 *
 * @module
 */

/** Points kept from a series: indexes into its arrays, in order. */
export function downsampleIndexes(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  from: number,
  to: number,
  width: number,
  logX = false,
): Uint32Array {
  const n = to - from;
  if (n <= 0) return new Uint32Array(0);
  if (n <= 2 * width + 2) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = from + i;
    return all;
  }
  let lo = Infinity;
  let hi = -Infinity;
  if (logX) {
    for (let i = from; i < to; i++) {
      const v = x[i] > 0 ? Math.log10(x[i]) : NaN;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  } else {
    for (let i = from; i < to; i++) {
      const v = x[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const scale = width / (hi > lo ? hi - lo : 1);
  const minAt = new Int32Array(width).fill(-1);
  const maxAt = new Int32Array(width).fill(-1);
  for (let i = from; i < to; i++) {
    const v = y[i];
    if (v !== v) continue;
    const xv = logX ? (x[i] > 0 ? Math.log10(x[i]) : NaN) : x[i];
    if (xv !== xv) continue;
    let b = Math.floor((xv - lo) * scale);
    if (b >= width) b = width - 1;
    const m = minAt[b];
    if (m < 0 || v < y[m]) minAt[b] = i;
    const M = maxAt[b];
    if (M < 0 || v > y[M]) maxAt[b] = i;
  }
  const keep = new Uint32Array(2 * width + 2);
  let n2 = 0;
  keep[n2++] = from;
  for (let b = 0; b < width; b++) {
    const a = minAt[b];
    const c = maxAt[b];
    if (a < 0) continue;
    if (a === c) keep[n2++] = a;
    else if (a < c) {
      keep[n2++] = a;
      keep[n2++] = c;
    } else {
      keep[n2++] = c;
      keep[n2++] = a;
    }
  }
  keep[n2++] = to - 1;
  // x need not grow with the index (a step column can go back): order by
  // index (the buckets are in index order already when x grows)
  let sorted = true;
  for (let i = 1; i < n2; i++) {
    if (keep[i] < keep[i - 1]) {
      sorted = false;
      break;
    }
  }
  const kept = keep.subarray(0, n2);
  if (!sorted) kept.sort();
  let k = 0;
  for (let i = 0; i < n2; i++) {
    if (k > 0 && kept[k - 1] === kept[i]) continue;
    kept[k++] = kept[i];
  }
  return kept.subarray(0, k);
}
