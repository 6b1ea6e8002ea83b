import {
  decodeEvent,
  type EventRecord,
  readEvents,
  SummaryWriter,
} from "../../src/tensorboard/mod.ts";
import { RecordReader } from "../../src/tensorboard/record.ts";
import { assert, assertEquals } from "./_util.ts";

function scalars(events: EventRecord[]): [string, number | bigint, number][] {
  return events.flatMap((e) =>
    (e.summary ?? []).map((v) =>
      [v.tag, e.step, v.simpleValue!] as [string, number | bigint, number]
    )
  );
}

Deno.test("readEvents() with startOffsets reads only what a growing file gained, and returns where it ended", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cox_tb_inc_" });
  const w = new SummaryWriter(dir, { flushMs: Infinity });
  for (let i = 0; i < 3; i++) w.addScalar("loss", 1 / (i + 1), i);
  w.flush();
  const first = readEvents(dir);
  assertEquals(first.events.length, 4); // file version + 3 scalars
  const [info] = first.files;
  assertEquals(info.start, 0);
  assertEquals(info.end, Deno.statSync(w.path).size);

  for (let i = 3; i < 5; i++) w.addScalar("acc", i / 10, i);
  w.flush();
  const offsets = { [info.file]: info.end };
  const second = readEvents(dir, { startOffsets: offsets });
  assertEquals(scalars(second.events), [["acc", 3, Math.fround(0.3)], [
    "acc",
    4,
    Math.fround(0.4),
  ]]);
  assertEquals(second.files[0].start, info.end);
  assert(second.events.every((e) => e.offset >= info.end));
  // the same records, at the same offsets, as a full read gives
  const full = readEvents(dir).events;
  assertEquals(second.events, full.slice(4));

  // a half-written record: not returned, and `end` stays before it
  const bytes = Deno.readFileSync(w.path);
  const end = second.files[0].end;
  w.addScalar("late", 7, 9);
  w.close();
  const all = Deno.readFileSync(w.path);
  Deno.writeFileSync(w.path, all.subarray(0, all.length - 3));
  const third = readEvents(w.path, {
    startOffsets: new Map([[w.path, end]]),
  });
  assertEquals(third.events.length, 0);
  assertEquals(third.files[0].end, end);
  assertEquals(third.truncated[0].truncated?.offset, bytes.length);
  Deno.writeFileSync(w.path, all);
  const fourth = readEvents(w.path, { startOffsets: { [w.path]: end } });
  assertEquals(scalars(fourth.events), [["late", 9, 7]]);
  assertEquals(fourth.files[0].end, all.length);

  // past the end: nothing, no error
  const past = readEvents(w.path, { startOffsets: { [w.path]: all.length } });
  assertEquals(past.events.length, 0);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("readEvents()'s fast path for scalar events gives what the general decoder gives", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cox_tb_fast_" });
  const w = new SummaryWriter(dir, { flushMs: Infinity });
  const tags = ["a", "b/c", "ünï", "x".repeat(100)];
  for (let i = 0; i < 200; i++) {
    w.addScalar(tags[i % 4], Math.sin(i) * 1e6, i * 1_000_003, 1e9 + i / 7);
  }
  w.addScalar("big", 1, 2n ** 60n); // a step beyond 2^53: the general path
  w.addText("note", "hello", 3);
  w.close();
  const { events } = readEvents(dir);
  const data = Deno.readFileSync(w.path);
  const reader = new RecordReader();
  reader.push(data);
  const general = [...reader.records()].map(({ payload }) =>
    decodeEvent(payload)
  );
  assertEquals(events.length, general.length);
  events.forEach((e, i) => {
    const g = general[i];
    assertEquals(e.wallTime, g.wallTime);
    assertEquals(e.step, g.step);
    assertEquals(e.fileVersion, g.fileVersion);
    assertEquals(
      e.summary?.map((v) => [v.tag, v.simpleValue]),
      g.summary?.value.map((v) => [v.tag, v.simpleValue]),
    );
  });
  assertEquals(events.at(-2)!.step, 2n ** 60n);
  assertEquals(events.at(-1)!.summary![0].text, "hello");
  Deno.removeSync(dir, { recursive: true });
});
