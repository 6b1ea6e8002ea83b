// Smoothing of a series, computed in the page (and imported by the tests).

/**
 * TensorBoard's smoothing: an exponential moving average debiased as
 * TensorBoard does it (`last / (1 - weight^n)`), with non-finite values and
 * constant series passed through unchanged.
 * @param {ArrayLike<number>} y
 * @param {number} weight in [0, 1)
 * @returns {Float64Array}
 */
export function tensorboardEma(y, weight) {
  const out = new Float64Array(y.length);
  let constant = true;
  for (let i = 1; i < y.length; i++) {
    if (y[i] !== y[0]) {
      constant = false;
      break;
    }
  }
  let last = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (constant || !Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    const debias = weight === 1 ? 1 : 1 - Math.pow(weight, n);
    out[i] = last / debias;
  }
  return out;
}

/**
 * A trailing moving average over `window` points (fewer at the start);
 * non-finite values are skipped.
 * @param {ArrayLike<number>} y
 * @param {number} window
 * @returns {Float64Array}
 */
export function movingAverage(y, window) {
  const w = Math.max(1, Math.floor(window));
  const out = new Float64Array(y.length);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
    if (i >= w) {
      const old = y[i - w];
      if (Number.isFinite(old)) {
        sum -= old;
        count--;
      }
    }
    out[i] = count > 0 ? sum / count : NaN;
  }
  return out;
}

/**
 * Applies the chosen smoothing.
 * @param {ArrayLike<number>} y
 * @param {{mode: string, weight: number, window: number}} how
 */
export function smooth(y, how) {
  if (how.mode === "ema" && how.weight > 0) {
    return tensorboardEma(y, how.weight);
  }
  if (how.mode === "ma" && how.window > 1) return movingAverage(y, how.window);
  return y;
}
