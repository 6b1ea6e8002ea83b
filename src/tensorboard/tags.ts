/**
 * Tag clean-up as tensorboardX does it.
 *
 * @module
 */

const INVALID = /[^\-/\p{L}\p{N}_.]/gu;

/**
 * Replaces every character outside `[-/\w.]` (Unicode letters, digits and
 * `_`, as Python's `\w`) with `_` and strips leading `/`: tensorboardX's
 * `_clean_tag`, applied to scalar, histogram, image and hparams metric tags.
 *
 * @example
 * ```ts
 * import { cleanTag } from "./tags.ts";
 * if (cleanTag("line_graphs/mx^2") !== "line_graphs/mx_2") throw new Error();
 * if (cleanTag("//a b") !== "a_b") throw new Error();
 * ```
 */
export function cleanTag(name: string): string {
  return name.replace(INVALID, "_").replace(/^\/+/, "");
}
