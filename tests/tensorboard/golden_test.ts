import {
  encodeTensor,
  type EventRecord,
  makeHistogram,
  readEvents,
} from "../../src/tensorboard/mod.ts";
import { decodePng } from "./_png_decode.ts";
import { assert, assertEquals } from "./_util.ts";

const ROOT = new URL("../../fixtures/cox-0.2/", import.meta.url).pathname;

interface Expected {
  tags: Record<string, string[]>;
  scalars: Record<string, [number, number, number][]>;
  histograms?: Record<string, [number, number, number, number, number][]>;
  images?: Record<string, [number, number, number, number][]>;
  tensors?: Record<string, [number, string, number][]>;
}

function summarize(events: EventRecord[]) {
  const scalars: Record<string, [number, number, number][]> = {};
  const histograms: Record<string, [number, number, number, number, number][]> =
    {};
  const images: Record<string, [number, number, number, number][]> = {};
  const tensors: Record<string, [number, string, number][]> = {};
  for (const e of events) {
    const step = Number(e.step);
    for (const v of e.summary ?? []) {
      if (v.simpleValue !== undefined) {
        (scalars[v.tag] ??= []).push([step, v.simpleValue, e.wallTime]);
      }
      if (v.histogram) {
        const h = v.histogram;
        (histograms[v.tag] ??= []).push([
          step,
          h.num,
          h.min,
          h.max,
          h.bucket.length,
        ]);
      }
      if (v.image) {
        (images[v.tag] ??= []).push([
          step,
          v.image.width,
          v.image.height,
          v.image.encoded.length,
        ]);
      }
      if (v.tensor) {
        (tensors[v.tag] ??= []).push([
          step,
          String(v.tensor.dtype),
          encodeTensor(v.tensor).length,
        ]);
      }
    }
  }
  return { scalars, histograms, images, tensors };
}

const runs: [string, string][] = [];
for (const collection of Deno.readDirSync(`${ROOT}expected/tensorboard`)) {
  for (
    const f of Deno.readDirSync(
      `${ROOT}expected/tensorboard/${collection.name}`,
    )
  ) {
    runs.push([collection.name, f.name.replace(/\.json$/, "")]);
  }
}

Deno.test("the fixture runs with expected TensorBoard output are all found", () => {
  assertEquals(runs.length, 6);
});

for (const [collection, id] of runs.sort()) {
  Deno.test(`readEvents() matches TensorBoard's EventAccumulator on ${collection}/${id}`, () => {
    const expected: Expected = JSON.parse(
      Deno.readTextFileSync(
        `${ROOT}expected/tensorboard/${collection}/${id}.json`,
      ),
    );
    const { events, files, truncated } = readEvents(
      `${ROOT}${collection}/${id}/tensorboard`,
    );
    assertEquals(truncated, []);
    assert(files.length >= 1);
    assertEquals(events[0].fileVersion, "brain.Event:2");
    const got = summarize(events);
    assertEquals(
      Object.keys(got.scalars).sort(),
      [...expected.tags.scalars].sort(),
    );
    assertEquals(got.scalars, expected.scalars);
    assertEquals(
      Object.keys(got.histograms).sort(),
      [...expected.tags.histograms].sort(),
    );
    assertEquals(got.histograms, expected.histograms ?? {});
    assertEquals(
      Object.keys(got.images).sort(),
      [...expected.tags.images].sort(),
    );
    assertEquals(got.images, expected.images ?? {});
    assertEquals(
      Object.keys(got.tensors).sort(),
      [...expected.tags.tensors].sort(),
    );
    assertEquals(got.tensors, expected.tensors ?? {});
  });
}

Deno.test("readEvents() reads walkthrough1's event files (only the file-version record)", () => {
  let n = 0;
  for (const run of Deno.readDirSync(`${ROOT}walkthrough1`)) {
    const { events, truncated } = readEvents(
      `${ROOT}walkthrough1/${run.name}/tensorboard`,
    );
    assertEquals(truncated, []);
    assertEquals(events.length, 1);
    assertEquals(events[0].fileVersion, "brain.Event:2");
    assert(events[0].wallTime > 1.7e9);
    n++;
  }
  assertEquals(n, 9);
});

Deno.test("the all-types fixture's text, image and histogram decode to what tensorboardX wrote", () => {
  const { events } = readEvents(`${ROOT}types/all-types/tensorboard`);
  const values = events.flatMap((e) => e.summary ?? []);
  const text = values.find((v) => v.tag === "notes/text_summary")!;
  assertEquals(text.text, "hello **cox**");
  assertEquals(text.metadata?.pluginName, "text");
  const img = values.find((v) => v.tag === "img")!;
  const png = decodePng(img.image!.encoded);
  assertEquals([png.width, png.height, png.channels, img.image!.colorspace], [
    5,
    4,
    3,
    3,
  ]);
  assertEquals(png.pixels.length, 60);

  // The histogram is numpy.linspace(-1, 1, 101): makeHistogram must reproduce it exactly.
  const h = values.find((v) => v.tag === "weights")!.histogram!;
  const xs = Array.from(
    { length: 101 },
    (_, i) => (i === 100 ? 1 : i * 0.02 + -1),
  );
  const mine = makeHistogram(xs);
  assertEquals(mine.bucketLimit, h.bucketLimit);
  assertEquals(mine.bucket, h.bucket);
  assertEquals([mine.min, mine.max, mine.num, mine.sum], [
    h.min,
    h.max,
    h.num,
    h.sum,
  ]);
  assert(Math.abs(mine.sumSquares - h.sumSquares) < 1e-12);
});
