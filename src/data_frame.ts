/**
 * Data frames are Arquero tables. Arquero 8.0.1 is pinned: 8.0.2 and later
 * take `@uwdata/flechette` 2.x, whose newest release depends on a package the
 * npm registry does not have.
 *
 * @module
 */

import * as aq from "npm:arquero@8.0.1";

/** An Arquero table, as `df()` returns it. */
export type DataFrame = ReturnType<typeof aq.table>;

/** A data frame of named columns, in the order given. */
export function dataFrame(
  columns: Record<string, ArrayLike<unknown>>,
): DataFrame {
  return aq.table(columns);
}
