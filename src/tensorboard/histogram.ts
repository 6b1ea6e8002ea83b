/**
 * Histograms as tensorboardX builds them: its default exponential bucket
 * edges and numpy.histogram's counting rules, trimmed to the support.
 *
 * @module
 */

import type { HistogramProto } from "./messages.ts";

let defaultEdges: Float64Array | undefined;

/**
 * tensorboardX's default ("tensorflow") bucket edges: `v = 1e-12`, multiplied
 * by 1.1 while below 1e20 (774 positive edges), mirrored through 0, giving
 * 1549 edges (1548 buckets). The returned array is shared: do not modify it.
 *
 * @example
 * ```ts
 * import { defaultBucketEdges } from "./histogram.ts";
 * const e = defaultBucketEdges();
 * if (e.length !== 1549 || e[774] !== 0 || e[775] !== 1e-12) throw new Error();
 * ```
 */
export function defaultBucketEdges(): Float64Array {
  if (defaultEdges === undefined) {
    const pos: number[] = [];
    for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
    const edges = new Float64Array(pos.length * 2 + 1);
    for (let i = 0; i < pos.length; i++) {
      edges[pos.length - 1 - i] = -pos[i];
      edges[pos.length + 1 + i] = pos[i];
    }
    defaultEdges = edges;
  }
  return defaultEdges;
}

/** The binning to use: tensorboardX's default edges, a number of equal-width bins, or explicit edges. */
export type Bins = "tensorflow" | number | ArrayLike<number>;

/** Options for {@linkcode makeHistogram}. */
export interface HistogramOptions {
  /** Binning (default `"tensorflow"`, tensorboardX's default edges). */
  bins?: Bins;
  /** If there are more bins than this, merge neighbours as tensorboardX does (default: no limit). */
  maxBins?: number;
}

/**
 * Counts `values` into the bins delimited by increasing `edges`, as
 * `numpy.histogram(values, bins=edges)`: bins are half-open `[e_j, e_j+1)`
 * except the last, which is closed; values outside (and NaN) are not counted.
 */
export function histogramCounts(
  values: ArrayLike<number>,
  edges: ArrayLike<number>,
): Float64Array {
  const nBins = edges.length - 1;
  if (nBins < 1) {
    throw new RangeError(
      `Cannot build histogram: ${edges.length} edge(s), need at least 2`,
    );
  }
  for (let i = 1; i < edges.length; i++) {
    if (!(edges[i] >= edges[i - 1])) {
      throw new RangeError(
        `Cannot build histogram: bin edges must increase monotonically (edge ${i} is ${
          edges[i]
        })`,
      );
    }
  }
  const counts = new Float64Array(nBins);
  const first = edges[0];
  const last = edges[nBins];
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!(x >= first && x <= last)) continue;
    if (x === last) {
      counts[nBins - 1]++;
      continue;
    }
    // upper_bound(edges, x) - 1
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    counts[lo - 1]++;
  }
  return counts;
}

/** Equal-width edges as numpy builds them for an integer `bins` over `[min, max]`. */
export function equalWidthEdges(
  min: number,
  max: number,
  bins: number,
): Float64Array {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(
      `Cannot build histogram: bins must be a positive integer, got ${bins}`,
    );
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new RangeError(
      `Cannot build histogram: the range [${min}, ${max}] is not finite`,
    );
  }
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  // numpy.linspace(min, max, bins + 1): i * step + start, last edge exact.
  const edges = new Float64Array(bins + 1);
  const step = (max - min) / bins;
  for (let i = 0; i < bins; i++) edges[i] = i * step + min;
  edges[bins] = max;
  return edges;
}

/** numpy's pairwise summation of `a[i]` over `[start, start + n)`, as `ndarray.sum()` does for float64. */
function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let s = 0;
    for (let i = start; i < start + n; i++) s += a[i];
    return s;
  }
  if (n <= 128) {
    const r = [
      a[start],
      a[start + 1],
      a[start + 2],
      a[start + 3],
      a[start + 4],
      a[start + 5],
      a[start + 6],
      a[start + 7],
    ];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let k = 0; k < 8; k++) r[k] += a[start + i + k];
    }
    let res = (r[0] + r[1] + (r[2] + r[3])) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `ndarray.sum()` for float64: pairwise summation over blocks of 8192 (numpy's buffer size). */
function numpySum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 8192) {
    s += pairwiseSum(a, i, Math.min(8192, a.length - i));
  }
  return s;
}

/**
 * Builds a `HistogramProto` from values exactly as tensorboardX's
 * `make_histogram` does: counts per bin, optional merging down to `maxBins`,
 * then trimming to the non-empty range with one empty bucket kept on the left
 * (`bucketLimit[i]` is the right edge of bucket `i`). `min`, `max`, `num`,
 * `sum` and `sumSquares` cover every value, also those outside the edges.
 *
 * `sum` reproduces numpy's summation order (pairwise, in blocks of 8192); `sumSquares` is a plain running sum
 * (numpy's BLAS dot product may differ in the last bits).
 *
 * @throws {RangeError} when there are no values, or none falls inside the edges.
 *
 * @example
 * ```ts
 * import { makeHistogram } from "./histogram.ts";
 * const h = makeHistogram([0, 0, 1]);
 * if (h.bucket.length !== 292 || h.bucket[1] !== 2 || h.bucketLimit[0] !== 0) throw new Error();
 * ```
 */
export function makeHistogram(
  values: ArrayLike<number>,
  options: HistogramOptions = {},
): HistogramProto {
  const n = values.length;
  if (n === 0) {
    throw new RangeError("Cannot build histogram: the input has no element");
  }
  let min = Infinity;
  let max = -Infinity;
  let sumSquares = 0;
  let nan = false;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x !== x) nan = true;
    if (x < min) min = x;
    if (x > max) max = x;
    sumSquares += x * x;
  }
  if (nan) min = max = NaN;
  const bins = options.bins ?? "tensorflow";
  let edges: ArrayLike<number>;
  if (bins === "tensorflow") edges = defaultBucketEdges();
  else if (typeof bins === "number") edges = equalWidthEdges(min, max, bins);
  else if (typeof bins === "string") {
    throw new TypeError(
      `Cannot build histogram: unsupported bins rule "${bins}" (use "tensorflow", a count or edges)`,
    );
  } else edges = bins;
  let counts: ArrayLike<number> = histogramCounts(values, edges);

  const maxBins = options.maxBins;
  if (maxBins !== undefined && counts.length > maxBins) {
    const s = Math.floor(counts.length / maxBins);
    const groups = Math.ceil(counts.length / s);
    const merged = new Float64Array(groups);
    for (let i = 0; i < counts.length; i++) {
      merged[Math.floor(i / s)] += counts[i];
    }
    const newEdges: number[] = [];
    for (let i = 0; i < edges.length - 1; i += s) newEdges.push(edges[i]);
    newEdges.push(edges[edges.length - 1]);
    counts = merged;
    edges = newEdges;
  }

  let start = -1;
  let last = -1;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] !== 0) {
      if (start < 0) start = i;
      last = i;
    }
  }
  if (start < 0) {
    throw new RangeError(
      `Cannot build histogram: none of the ${n} values lies within the bin edges`,
    );
  }
  const end = last + 1;
  const bucket: number[] = start > 0
    ? Array.from(counts).slice(start - 1, end)
    : [0, ...Array.from(counts).slice(0, end)];
  const bucketLimit: number[] = Array.from(edges).slice(start, end + 1);
  return {
    min,
    max,
    num: n,
    sum: numpySum(values),
    sumSquares,
    bucketLimit,
    bucket,
  };
}
