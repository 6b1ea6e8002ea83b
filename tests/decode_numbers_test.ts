// decodeNumbers (the dashboard's numeric columns) gives, for every numeric
// encoding and both byte orders, what decodeColumn's cells give as numbers:
// bools 0/1, 64-bit ints past 2^53 rounded as Number(bigint) rounds.
import { assertEquals } from "./assert.ts";
import {
  type ColumnSlot,
  decodeColumn,
  decodeNumbers,
  type Encoding,
  type RowLayout,
} from "../src/h5/frame_table.ts";

const SIZES: Record<string, number> = {
  f8: 8,
  f4: 4,
  i8: 8,
  u8: 8,
  i4: 4,
  u4: 4,
  i2: 2,
  u2: 2,
  i1: 1,
  u1: 1,
  b1: 1,
};

Deno.test("decodeNumbers equals Number() of decodeColumn's cells for every numeric encoding, both byte orders", () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff;
  for (const [encoding, size] of Object.entries(SIZES)) {
    for (const littleEndian of [true, false]) {
      for (const kind of encoding[0] === "f" ? ["float"] : ["int", "bool"]) {
        if (kind === "bool" && size !== 1) continue;
        const rowSize = 3 + size + 5; // the column at an odd offset
        const slot = {
          name: "x",
          kind,
          dtype: "",
          offset: 3,
          size,
          encoding: encoding as Encoding,
          littleEndian,
          field: "x",
        } as ColumnSlot;
        const layout = {
          columns: [slot],
          rowSize,
          indexOffset: 0,
        } as unknown as RowLayout;
        const n = 500;
        const bytes = new Uint8Array(n * rowSize).map(random);
        // values around 2^53 and the extremes, for the 64-bit ints
        const view = new DataView(bytes.buffer);
        if (size === 8 && encoding[0] !== "f") {
          const edge = [
            2n ** 53n,
            2n ** 53n + 1n,
            -(2n ** 53n) - 3n,
            2n ** 63n - 1n,
            -(2n ** 63n),
            0n,
            -1n,
          ];
          edge.forEach((v, i) => {
            const o = i * rowSize + 3;
            if (encoding === "i8") view.setBigInt64(o, v, littleEndian);
            else view.setBigUint64(o, BigInt.asUintN(64, v), littleEndian);
          });
        }
        const cells: unknown[] = new Array(n);
        decodeColumn(layout, slot, bytes, cells as never, 0);
        const got = new Float64Array(n);
        decodeNumbers(layout, slot, bytes, got);
        const want = Float64Array.from(cells, (c) => Number(c));
        assertEquals(
          Array.from(got),
          Array.from(want),
          `${encoding} ${kind} ${littleEndian ? "LE" : "BE"}`,
        );
      }
    }
  }
});
