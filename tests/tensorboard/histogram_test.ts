import {
  defaultBucketEdges,
  equalWidthEdges,
  histogramCounts,
  makeHistogram,
} from "../../src/tensorboard/mod.ts";
import { assertEquals, assertThrows } from "./_util.ts";

Deno.test("defaultBucketEdges() has tensorboardX's 1549 edges from repeated multiplication", () => {
  const e = defaultBucketEdges();
  assertEquals(e.length, 1549);
  assertEquals(e[774], 0);
  assertEquals(e[775], 1e-12);
  assertEquals(e[776], 1.1000000000000002e-12);
  assertEquals(e[785], 2.593742460100002e-12);
  assertEquals(e[1548], 9.920775621859783e19);
  assertEquals(e[0], -9.920775621859783e19);
  assertEquals(e[773], -1e-12);
});

Deno.test("makeHistogram([0, 0, 1]) gives 292 buckets as tensorboardX", () => {
  const h = makeHistogram([0, 0, 1]);
  assertEquals(h.bucket.length, 292);
  assertEquals(h.bucketLimit.length, 292);
  assertEquals(h.bucketLimit.slice(0, 3), [0, 1e-12, 1.1000000000000002e-12]);
  assertEquals(h.bucket.slice(0, 2), [0, 2]);
  assertEquals(h.bucketLimit[291], 1.0089710279437536);
  assertEquals(h.bucket[291], 1);
  assertEquals(h.bucket.reduce((a, b) => a + b), 3);
  assertEquals([h.min, h.max, h.num, h.sum, h.sumSquares], [0, 1, 3, 1, 1]);
});

Deno.test("histogramCounts() follows numpy: half-open bins, last bin closed, outside ignored", () => {
  assertEquals(
    Array.from(histogramCounts([0, 1, 1.5, 2, 3, -1, 4, NaN], [0, 1, 2, 3])),
    [1, 2, 2],
  );
  assertThrows(() => histogramCounts([1], [0]), RangeError);
  assertThrows(() => histogramCounts([1], [0, 2, 1]), RangeError);
});

Deno.test("makeHistogram() trims with one empty bucket on the left and keeps out-of-range values in the stats", () => {
  const h = makeHistogram([1.5, 2.5, 10], { bins: [0, 1, 2, 3, 4] });
  assertEquals(h.bucketLimit, [1, 2, 3]);
  assertEquals(h.bucket, [0, 1, 1]);
  assertEquals([h.min, h.max, h.num, h.sum, h.sumSquares], [
    1.5,
    10,
    3,
    14,
    108.5,
  ]);
  const first = makeHistogram([0.5, 3.5], { bins: [0, 1, 2, 3, 4] });
  assertEquals(first.bucketLimit, [0, 1, 2, 3, 4]);
  assertEquals(first.bucket, [0, 1, 0, 0, 1]);
  assertThrows(() => makeHistogram([]), RangeError);
  assertThrows(() => makeHistogram([9], { bins: [0, 1] }), RangeError);
  assertThrows(() => makeHistogram([1], { bins: "auto" as never }), TypeError);
});

Deno.test("makeHistogram() with an integer bins uses numpy's equal-width edges", () => {
  assertEquals(Array.from(equalWidthEdges(0, 1, 4)), [0, 0.25, 0.5, 0.75, 1]);
  assertEquals(Array.from(equalWidthEdges(2, 2, 2)), [1.5, 2, 2.5]);
  const h = makeHistogram([0, 1, 2, 3, 4], { bins: 4 });
  assertEquals(h.bucketLimit, [0, 1, 2, 3, 4]);
  assertEquals(h.bucket, [0, 1, 1, 1, 2]);
});

Deno.test("makeHistogram() merges bins down to maxBins as tensorboardX", () => {
  // 5 bins, maxBins 2: groups of 2 -> [b0+b1, b2+b3, b4], edges [e0, e2, e4, e5].
  const h = makeHistogram([0.5, 1.5, 2.5, 4.5, 4.6], {
    bins: [0, 1, 2, 3, 4, 5],
    maxBins: 2,
  });
  assertEquals(h.bucketLimit, [0, 2, 4, 5]);
  assertEquals(h.bucket, [0, 2, 1, 2]);
});
