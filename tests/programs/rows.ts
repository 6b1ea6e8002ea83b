// The rows that the writer programs log: row i is the same in every process.

/** The schema of those rows. */
export const ROW_SCHEMA = {
  i: "int",
  x: "float",
  s: "str",
  ok: "bool",
} as const;
export function rowAt(
  i: number,
): { i: number; x: number; s: string; ok: boolean } {
  // now and then a string longer than any before, so that columns are widened mid-run
  const long = i % 211 === 0 ? "w".repeat(i % 700) : "";
  return { i, x: i * 0.5 - 1, s: `row ${i}${long}`, ok: i % 3 === 0 };
}
