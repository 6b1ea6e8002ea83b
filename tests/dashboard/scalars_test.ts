// The dashboard's reader of event files keeps the scalars readEvents reads.

import { readEvents } from "../../src/tensorboard/read_events.ts";
import { SummaryWriter } from "../../src/tensorboard/summary_writer.ts";
import { CorruptRecordError } from "../../src/tensorboard/record.ts";
import { newScalarColumns, readScalars } from "../../src/dashboard/scalars.ts";
import type { SeriesColumns } from "../../src/dashboard/series.ts";
import { assert, assertEquals } from "../tensorboard/_util.ts";

/** Every scalar of a file by tag, as readEvents gives them. */
function expected(file: string, from = 0) {
  const out = new Map<
    string,
    { y: number[]; step: number[]; wall: number[] }
  >();
  const read = readEvents(file, { startOffsets: { [file]: from } });
  for (const e of read.events) {
    for (const v of e.summary ?? []) {
      if (v.simpleValue === undefined) continue;
      const s = out.get(v.tag) ?? { y: [], step: [], wall: [] };
      out.set(v.tag, s);
      s.y.push(v.simpleValue);
      s.step.push(Number(e.step));
      s.wall.push(e.wallTime);
    }
  }
  return { tags: out, end: read.files[0].end };
}

function scalars(
  file: string,
  from = 0,
  into = new Map<string, SeriesColumns>(),
) {
  const read = readScalars(file, from, (tag) => {
    let s = into.get(tag);
    if (s === undefined) {
      s = newScalarColumns();
      into.set(tag, s);
    }
    return s;
  });
  const tags = new Map(
    [...into].map(([tag, s]) => [tag, {
      y: [...s.y.values],
      step: [...s.x.step.values],
      wall: [...s.x.wall.values],
    }]),
  );
  return { read, tags, into };
}

function writeMixed(dir: string): string {
  const w = new SummaryWriter(dir);
  for (let s = 0; s < 50; s++) {
    w.addScalar("loss", 1 / (s + 1), s, 1000 + s);
    if (s % 5 === 0) w.addScalar("eval/acc", s / 50, s, 1000.5 + s);
    if (s === 10) {
      w.addHistogram("weights", [1, 2, 3, 4], s, "tensorflow", {
        walltime: 1010.25,
      });
    }
    if (s === 20) w.addText("notes", "**hello**", s, 1020.25);
  }
  // two values in one event; a step too big for the fast path; a value named
  // by its node_name only
  w.addEvent({
    wallTime: 2000,
    step: 60,
    summary: {
      value: [{ tag: "a", simpleValue: 1 }, { tag: "b", simpleValue: 2 }],
    },
  });
  w.addEvent({
    wallTime: 2001,
    step: 2n ** 52n,
    summary: { value: [{ tag: "loss", simpleValue: 0.5 }] },
  });
  w.addEvent({
    wallTime: 2002,
    step: 61,
    summary: { value: [{ tag: "", nodeName: "old", simpleValue: 3 }] },
  });
  w.close();
  return w.path;
}

Deno.test("dashboard scalars: the scalars readEvents reads, by tag, from any offset", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = writeMixed(dir);
    const want = expected(file);
    const got = scalars(file);
    assertEquals(got.tags, want.tags);
    assertEquals(got.read.end, want.end);
    assertEquals(got.read.end, Deno.statSync(file).size);
    assertEquals(
      got.read.values,
      [...want.tags.values()].reduce((n, s) => n + s.y.length, 0),
    );
    assertEquals(got.read.firstWall, 1000);
    assert(want.tags.has("old") && want.tags.get("loss")!.y.length === 51);

    // a half-written last record is left for the next read, which appends the rest
    const bytes = Deno.readFileSync(file);
    const cut = `${dir}/cut.tfevents.1`;
    Deno.writeFileSync(cut, bytes.subarray(0, bytes.length - 3));
    const first = scalars(cut);
    assertEquals(first.read.end, expected(cut).end);
    assert(first.read.end < bytes.length - 3);
    assertEquals(first.tags.has("old"), false);
    Deno.writeFileSync(cut, bytes);
    const rest = scalars(cut, first.read.end, first.into);
    assertEquals(rest.read.values, 1);
    assertEquals(rest.tags, want.tags);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("dashboard scalars: a damaged record names the file and offset", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = writeMixed(dir);
    const bytes = Deno.readFileSync(file);
    bytes[bytes.length - 10] ^= 0xff;
    Deno.writeFileSync(file, bytes);
    let error: unknown;
    try {
      scalars(file);
    } catch (e) {
      error = e;
    }
    assert(error instanceof CorruptRecordError, String(error));
    assert(error.message.includes(file), error.message);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
