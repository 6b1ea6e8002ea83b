/**
 * Data frames are Arquero tables. Arquero 8.0.1 is pinned: 8.0.2 and later
 * take `@uwdata/flechette` 2.x, whose newest release depends on a package the
 * npm registry does not have.
 *
 * Arquero is loaded from its single-file build: its ~170 modules cost 50 to
 * 190 ms at every start of a process, the bundle about 15 ms. The bundle is
 * a UMD script, which defines `globalThis.aq` when loaded as a module.
 *
 * @module
 */

import type * as Arquero from "npm:arquero@8.0.1";
import "npm:arquero@8.0.1/dist/arquero.min.js";

const aq = (globalThis as unknown as { aq: typeof Arquero }).aq;

/** An Arquero table, as `df()` returns it. */
export type DataFrame = ReturnType<typeof Arquero.table>;

/** A data frame of named columns, in the order given. */
export function dataFrame(
  columns: Record<string, ArrayLike<unknown>>,
): DataFrame {
  return aq.table(columns);
}
