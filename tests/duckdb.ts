// DuckDB (native, through its npm package) as a reader of our Parquet files
// that shares no code with the writer. Needs --allow-ffi.
import { DuckDBInstance } from "npm:@duckdb/node-api@1.5.6-r.1";

/** A query's result: column names, DuckDB type names, rows as arrays. */
export interface QueryResult {
  names: string[];
  types: string[];
  rows: unknown[][];
}

let connection:
  | Promise<Awaited<ReturnType<DuckDBInstance["connect"]>>>
  | undefined;

/** Runs one SQL statement in an in-memory database shared by the test file. */
export async function query(sql: string): Promise<QueryResult> {
  connection ??= DuckDBInstance.create(":memory:").then((db) => db.connect());
  const reader = await (await connection).runAndReadAll(sql);
  return {
    names: reader.columnNames(),
    types: reader.columnTypes().map(String),
    rows: reader.getRows().map((row) => [...row]),
  };
}

/** A path as a SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
