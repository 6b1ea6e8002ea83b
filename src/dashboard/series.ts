/**
 * A growing column of numbers (a run's values of one column or tag), and the
 * figures the runs table shows of it.
 *
 * @module
 */

/** A Float64Array that grows by doubling: appending costs O(1) amortized. */
export class Growable {
  #data: Float64Array;
  /** Number of values held. */
  length = 0;

  constructor(capacity = 16) {
    this.#data = new Float64Array(capacity);
  }

  /** Appends one value. */
  push(value: number): void {
    if (this.length === this.#data.length) {
      const next = new Float64Array(Math.max(16, this.#data.length * 2));
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.length++] = value;
  }

  /** A column holding `values` (kept, not copied: the caller gives them up). */
  static adopt(values: Float64Array): Growable {
    const g = new Growable(0);
    g.#data = values;
    g.length = values.length;
    return g;
  }

  /** Appends values. */
  append(values: Float64Array): void {
    const need = this.length + values.length;
    if (need > this.#data.length) {
      const next = new Float64Array(Math.max(need, this.#data.length * 2));
      next.set(this.#data.subarray(0, this.length));
      this.#data = next;
    }
    this.#data.set(values, this.length);
    this.length = need;
  }

  /** The values held (a view: valid until the next push). */
  get values(): Float64Array {
    return this.#data.subarray(0, this.length);
  }

  /** Drops every value. */
  clear(): void {
    this.length = 0;
  }
}

/** One series of one run: y values and the x values they may be drawn against. */
export interface SeriesColumns {
  y: Growable;
  /** By x-axis name ("index" is implicit): `step`, `wall`, or an int column of the same table. */
  x: Record<string, Growable>;
}

/** What the runs table shows of a series: `[count, last, min, max, x of min, x of max]` (null when empty). */
export type SeriesStats = [
  number,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
];

/** Count, last, min, max and where min and max are (in `x`, or by row index). NaNs are skipped. */
export function seriesStats(y: Float64Array, x?: Float64Array): SeriesStats {
  let min = Infinity;
  let max = -Infinity;
  let at = -1;
  let atMax = -1;
  let last: number | null = null;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v !== v) continue;
    last = v;
    if (v < min) {
      min = v;
      at = i;
    }
    if (v > max) {
      max = v;
      atMax = i;
    }
  }
  if (at < 0) return [y.length, null, null, null, null, null];
  const where = (i: number) => (x ? x[i] : i);
  return [
    y.length,
    finite(last!),
    finite(min),
    finite(max),
    where(at),
    where(
      atMax,
    ),
  ];
}

/** JSON has no infinities: they are sent as null (shown as such). */
function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
