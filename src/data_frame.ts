/**
 * Data frames are Arquero tables. Arquero 8.0.2 and later take
 * `@uwdata/flechette` ^2, whose newest release (2.7.0) depends on a package
 * the npm registry does not have (`@uwdata/wk-geojson`); importing
 * flechette 2.6.0 here puts it in the module graph, so that Arquero's
 * `^2` resolves to it, for a checkout and for an import by URL alike.
 *
 * @module
 */

import "npm:@uwdata/flechette@2.6.0";
import * as aq from "npm:arquero@8.0.3";

/** An Arquero table, as `df()` returns it. */
export type DataFrame = aq.ColumnTable;

/** A data frame of named columns, in the order given. */
export function dataFrame(
  columns: Record<string, ArrayLike<unknown>>,
): DataFrame {
  return aq.table(columns);
}
