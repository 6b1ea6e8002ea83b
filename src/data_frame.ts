/**
 * Data frames are Arquero tables. Arquero 8.0.2 and later take
 * `@uwdata/flechette` ^2, whose newest release (2.7.0) depends on a package
 * the npm registry does not have (`@uwdata/wk-geojson`); importing
 * flechette 2.6.0 here puts it in the module graph, so that Arquero's
 * `^2` resolves to it, for a checkout and for an import by URL alike. Only
 * its `package.json` is imported: that pins the package without running
 * its ~40 modules (the bundle below has its own copy of what it needs).
 *
 * Arquero is loaded from its single-file build: its ~170 modules cost 50 to
 * 190 ms at every start of a process, the bundle about 15 ms. The bundle is
 * a UMD script, which defines `globalThis.aq` when loaded as a module.
 *
 * @module
 */

import type * as Arquero from "npm:arquero@8.0.3";
import "npm:@uwdata/flechette@2.6.0/package.json" with { type: "json" };
import "npm:arquero@8.0.3/dist/arquero.min.js";

/** Arquero, from its single-file build (the one instance every part uses). */
export const arquero: typeof Arquero =
  (globalThis as unknown as { aq: typeof Arquero }).aq;
const aq = arquero;

/** An Arquero table, as `df()` returns it. */
export type DataFrame = Arquero.ColumnTable;

/** A data frame of named columns, in the order given. */
export function dataFrame(
  columns: Record<string, ArrayLike<unknown>>,
): DataFrame {
  return aq.table(columns);
}
