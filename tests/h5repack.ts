// HDF5's own h5repack (Debian's hdf5-tools), for stores in a layout or
// filter we do not write ourselves.
import { assertOk } from "./assert.ts";

/**
 * Copies the store at `from` to `to` with the filter `filter` (h5repack's
 * `-f`, e.g. `/log/table:NBIT`, which the fast reader hands to h5wasm).
 */
export async function repack(
  from: string,
  to: string,
  filter: string,
): Promise<void> {
  const out = await new Deno.Command("h5repack", {
    args: ["-f", filter, from, to],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertOk(
    out.success,
    `h5repack -f ${filter} ${from}: ${new TextDecoder().decode(out.stderr)}`,
  );
}
