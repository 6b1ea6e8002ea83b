import {
  CorruptRecordError,
  decodeHParamsPluginData,
  type EventRecord,
  readEvents,
  SummaryWriter,
} from "../../src/tensorboard/mod.ts";
import { heldCount as registeredCount } from "../../src/run/exit_hooks.ts";
import { decodePng } from "./_png_decode.ts";
import { assert, assertEquals, assertThrows } from "./_util.ts";

function tmp(): string {
  return Deno.makeTempDirSync({ prefix: "cox_tb_" });
}

function eventFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].filter((e) =>
    e.isFile && e.name.includes("tfevents")
  ).map((e) => e.name).sort();
}

function writeEverything(dir: string): SummaryWriter {
  const w = new SummaryWriter(dir, { flushMs: Infinity });
  w.addScalar("train/loss", 0.25, 3, 100.5);
  w.addScalar("mx^2", 1e10, 2n ** 60n, 101);
  w.addScalar("neg", -1, -1, 102);
  w.addHistogram("weights", [0, 0, 1], 4);
  w.addHistogram(
    "t",
    { dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
    5,
    2,
  );
  w.addText("note", "hello **cox**", 6);
  w.addImage("img", {
    dtype: "uint8",
    shape: [3, 2, 2],
    data: new Uint8Array(12).map((_, i) => i * 20),
  }, 7);
  w.addImage(
    "gray",
    {
      dtype: "float32",
      shape: [2, 3],
      data: new Float32Array([0, 0.5, 1, 2, -1, NaN]),
    },
    8,
    {
      dataformats: "HW",
    },
  );
  w.addEvent({
    wallTime: 103,
    step: 9,
    sessionLog: { status: 1, checkpointPath: "", msg: "" },
  });
  return w;
}

function checkEverything(events: EventRecord[]): void {
  assertEquals(events[0].fileVersion, "brain.Event:2");
  assertEquals(events[0].step, 0);
  const values = events.slice(1).map((e) => [e.step, e.summary?.[0]]);
  assertEquals(values[0], [3, { tag: "train/loss", simpleValue: 0.25 }]);
  assertEquals(events[1].wallTime, 100.5);
  assertEquals(values[1], [2n ** 60n, {
    tag: "mx_2",
    simpleValue: Math.fround(1e10),
  }]);
  assertEquals(values[2], [-1, { tag: "neg", simpleValue: -1 }]);
  const h = events[4].summary![0];
  assertEquals([
    h.tag,
    h.histogram!.bucket.length,
    h.histogram!.num,
    h.metadata,
  ], ["weights", 292, 3, undefined]);
  const t = events[5].summary![0].histogram!;
  assertEquals([t.bucketLimit, t.bucket, t.sum, t.sumSquares], [
    [1, 2.5, 4],
    [0, 2, 2],
    10,
    30,
  ]);
  const text = events[6].summary![0];
  assertEquals(
    [events[6].step, text.tag, text.text, text.metadata!.pluginName],
    [
      6,
      "note/text_summary",
      "hello **cox**",
      "text",
    ],
  );
  assertEquals(text.tensor!.tensorShape, { dim: [{ size: 1 }] });
  const img = events[7].summary![0];
  assertEquals([
    img.tag,
    img.image!.width,
    img.image!.height,
    img.image!.colorspace,
  ], ["img", 2, 2, 3]);
  assertEquals(img.metadata!.pluginName, "images");
  // CHW [3, 2, 2] -> HWC: pixel (0,0) is channels 0, 4, 8 -> 0, 80, 160.
  assertEquals(Array.from(decodePng(img.image!.encoded).pixels), [
    0,
    80,
    160,
    20,
    100,
    180,
    40,
    120,
    200,
    60,
    140,
    220,
  ]);
  const gray = decodePng(events[8].summary![0].image!.encoded);
  assertEquals([gray.width, gray.height, gray.channels], [3, 2, 1]);
  assertEquals(Array.from(gray.pixels), [0, 127, 255, 255, 0, 0]);
  assertEquals(events[9].sessionLog!.status, 1);
  assertEquals(events.length, 10);
}

Deno.test("SummaryWriter writes every kind of summary and readEvents() reads them back", () => {
  const dir = tmp();
  const w = writeEverything(dir);
  w.close();
  assert(w.closed);
  const { events, files, truncated } = readEvents(dir);
  assertEquals(truncated, []);
  assertEquals(files.length, 1);
  assertEquals(files[0].file, w.path);
  checkEverything(events);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("SummaryWriter names files events.out.tfevents.<10 digits>.<host>.<pid>.<n><suffix>, never colliding", () => {
  const dir = tmp();
  const a = new SummaryWriter(dir);
  const b = new SummaryWriter(dir, { filenameSuffix: ".v2" });
  const c = new SummaryWriter(dir);
  a.addScalar("x", 1);
  b.addScalar("x", 2);
  c.addScalar("x", 3);
  a.close(), b.close(), c.close();
  const names = eventFiles(dir);
  assertEquals(names.length, 3);
  for (const n of names) {
    assert(
      /^events\.out\.tfevents\.\d{10}\.[^/]+\.\d+\.\d+(\.v2)?$/.test(n),
      n,
    );
  }
  assert(names.some((n) => n.endsWith(".v2")));
  assertEquals(readEvents(dir).events.filter((e) => e.summary).length, 3);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("a file truncated at every byte of its last record reads the prefix and reports truncation", () => {
  const dir = tmp();
  const w = writeEverything(dir);
  w.close();
  const bytes = Deno.readFileSync(w.path);
  const full = readEvents(w.path).events;
  const lastStart = full[full.length - 1].offset;
  const cut = `${dir}/cut.tfevents`;
  for (let n = lastStart; n < bytes.length; n++) {
    Deno.writeFileSync(cut, bytes.subarray(0, n));
    const { events, truncated, files } = readEvents(cut);
    assertEquals(events.length, full.length - 1, `cut at ${n}`);
    if (n === lastStart) assertEquals(truncated, []);
    else {
      assertEquals(truncated.length, 1);
      assertEquals(files[0].truncated!.offset, lastStart);
      assertEquals(files[0].truncated!.have, n - lastStart);
    }
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("a flipped byte gives a CorruptRecordError naming the file and the record's offset", () => {
  const dir = tmp();
  const w = writeEverything(dir);
  w.close();
  const bytes = Deno.readFileSync(w.path);
  const events = readEvents(w.path).events;
  const target = events[6]; // the text event
  const bad = bytes.slice();
  bad[target.offset + 20] ^= 0x40;
  const path = `${dir}/bad.tfevents`;
  Deno.writeFileSync(path, bad);
  const err = assertThrowsReturn(() => readEvents(path));
  assert(err instanceof CorruptRecordError);
  assertEquals([err.file, err.offset, err.kind], [
    path,
    target.offset,
    "data-crc",
  ]);
  assert(
    err.message.includes(path) &&
      err.message.includes(`byte offset ${target.offset}`),
    err.message,
  );
  Deno.removeSync(dir, { recursive: true });
});

function assertThrowsReturn(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

Deno.test("addScalars() writes one sub-run per key with the main tag, as tensorboardX", () => {
  const dir = tmp();
  const w = new SummaryWriter(dir);
  w.addScalars("run_14h", { xsinx: 1, xcosx: 2 }, 1, 50);
  w.addScalars("run_14h", { xsinx: 3, xcosx: 4 }, 2, 51);
  w.close();
  for (const [k, vals] of [["xsinx", [1, 3]], ["xcosx", [2, 4]]] as const) {
    const { events } = readEvents(`${dir}/run_14h/${k}`);
    const s = events.filter((e) => e.summary).map((
      e,
    ) => [e.step, e.wallTime, e.summary![0].tag, e.summary![0].simpleValue]);
    assertEquals(s, [[1, 50, "run_14h", vals[0]], [2, 51, "run_14h", vals[1]]]);
  }
  assertEquals(readEvents(dir).events.length, 1); // the main file holds only its file version
  assertEquals(
    readEvents(dir, { recursive: true }).files.map((f) => f.run).sort(),
    [
      ".",
      "run_14h/xcosx",
      "run_14h/xsinx",
    ],
  );
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("addHparams() writes a sub-run with experiment, session start/end and metric scalars", () => {
  const dir = tmp();
  const w = new SummaryWriter(dir);
  const sub = w.addHparams({ lr: 0.1, opt: "adam", bn: true, skip: null }, {
    "hparam/acc": 0.9,
  }, { name: "trial1" });
  const auto = w.addHparams({ lr: 0.2 }, { "hparam/acc": 0.8 });
  w.close();
  assertEquals(sub, `${dir}/trial1`);
  assert(/\/\d{10}(\.\d+)?$/.test(auto), auto);
  const { events } = readEvents(sub);
  const vals = events.slice(1).map((e) => e.summary![0]);
  assertEquals(vals.map((v) => v.tag), [
    "_hparams_/experiment",
    "_hparams_/session_start_info",
    "_hparams_/session_end_info",
    "hparam/acc",
  ]);
  assertEquals(vals[0].hparams, {
    experiment: {
      hparamInfos: [{ name: "lr", type: 3 }, { name: "opt", type: 1 }, {
        name: "bn",
        type: 2,
      }],
      metricInfos: [{ name: { tag: "hparam/acc" } }],
    },
  });
  assertEquals(vals[1].hparams, {
    sessionStartInfo: { hparams: { lr: 0.1, opt: "adam", bn: true } },
  });
  assertEquals(decodeHParamsPluginData(vals[2].metadata!.content), {
    sessionEndInfo: { status: 1 },
  });
  assertEquals([events[4].step, vals[3].simpleValue], [0, Math.fround(0.9)]);
  assertEquals(readEvents(auto).events.length, 5);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("SummaryWriter buffers events and writes them on the flushMs timer", async () => {
  const dir = tmp();
  const w = new SummaryWriter(dir, { flushMs: 30 });
  const size0 = Deno.statSync(w.path).size;
  assertEquals(size0, 40); // the file-version record is written at once
  w.addScalar("x", 1, 1);
  assert(w.bufferedBytes > 0);
  assertEquals(Deno.statSync(w.path).size, size0);
  await new Promise((r) => setTimeout(r, 80));
  assertEquals(w.bufferedBytes, 0);
  assert(Deno.statSync(w.path).size > size0);
  w.close();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("SummaryWriter writes at once with flushMs 0 and when the buffer is full", () => {
  const dir = tmp();
  const a = new SummaryWriter(dir, { flushMs: 0 });
  a.addScalar("x", 1);
  assertEquals(a.bufferedBytes, 0);
  const b = new SummaryWriter(dir, { flushMs: Infinity, maxBufferBytes: 1000 });
  for (let i = 0; i < 100; i++) b.addScalar("x", i, i);
  assert(b.bufferedBytes < 1000);
  assert(Deno.statSync(b.path).size > 1000);
  a.close();
  b.close();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("SummaryWriter rejects bad input with clear errors and nothing half-written", () => {
  const dir = tmp();
  const w = new SummaryWriter(dir, { flushMs: Infinity });
  const before = w.bufferedBytes;
  assertThrows(() => w.addScalar("x", 1, 1.5), TypeError);
  assertThrows(() => w.addScalar("x", 1, 0, NaN), RangeError);
  assertThrows(() => w.addScalar("x", "1" as unknown as number), TypeError);
  assertThrows(() => w.addHistogram("h", []), RangeError);
  assertThrows(
    () =>
      w.addImage("i", {
        dtype: "uint8",
        shape: [2, 2],
        data: new Uint8Array(4),
      }),
    RangeError,
  );
  assertThrows(
    () =>
      w.addImage("i", {
        dtype: "uint8",
        shape: [5, 1, 1],
        data: new Uint8Array(5),
      }),
    RangeError,
  );
  assertThrows(
    () => w.addHparams({ f: (() => 1) as unknown as string }, {}),
    TypeError,
  );
  assertEquals(w.bufferedBytes, before);
  w.close();
  w.close();
  assertThrows(() => w.addScalar("x", 1), TypeError);
  assertEquals(readEvents(dir).events.length, 1);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("writers register for exit hooks while open and leave the registry on close", () => {
  const dir = tmp();
  const before = registeredCount();
  const w = new SummaryWriter(dir);
  w.addScalars("m", { a: 1, b: 2 });
  assertEquals(registeredCount(), before + 3);
  w.close();
  assertEquals(registeredCount(), before);
  Deno.removeSync(dir, { recursive: true });
});

async function runChild(
  code: string,
  dir: string,
): Promise<Deno.CommandOutput> {
  const mod = new URL("../../src/tensorboard/mod.ts", import.meta.url).href;
  const script = `${dir}/child.ts`;
  Deno.writeTextFileSync(
    script,
    `import { SummaryWriter } from ${JSON.stringify(mod)};\nconst dir = ${
      JSON.stringify(dir)
    };\n${code}\n`,
  );
  return await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
}

const WRITE_50 =
  `const w = new SummaryWriter(dir + "/run", { flushMs: Infinity });
for (let i = 0; i < 50; i++) w.addScalar("x", i, i);`;

function scalarsIn(dir: string): number {
  const { events, truncated } = readEvents(dir);
  assertEquals(truncated, []);
  return events.filter((e) => e.summary).length;
}

const exits: [string, string, number][] = [
  ["the script ends without close()", "", 0],
  [
    "SIGTERM arrives",
    `Deno.kill(Deno.pid, "SIGTERM"); await new Promise((r) => setTimeout(r, 10000));`,
    143,
  ],
  [
    "SIGINT arrives",
    `Deno.kill(Deno.pid, "SIGINT"); await new Promise((r) => setTimeout(r, 10000));`,
    130,
  ],
  ["an uncaught error is thrown", `throw new Error("boom");`, 1],
];
for (const [when, code, status] of exits) {
  Deno.test(`buffered events reach the file when ${when}`, async () => {
    const dir = tmp();
    const out = await runChild(`${WRITE_50}\n${code}`, dir);
    assertEquals(out.code, status, new TextDecoder().decode(out.stderr));
    assertEquals(scalarsIn(`${dir}/run`), 50);
    Deno.removeSync(dir, { recursive: true });
  });
}

Deno.test("a process killed with SIGKILL while writing leaves only whole records", async () => {
  const dir = tmp();
  const mod = new URL("../../src/tensorboard/mod.ts", import.meta.url).href;
  const script = `${dir}/child.ts`;
  Deno.writeTextFileSync(
    script,
    `import { SummaryWriter } from ${JSON.stringify(mod)};
const w = new SummaryWriter(${JSON.stringify(dir + "/run")}, { flushMs: 0 });
for (let i = 0; ; i++) { w.addScalar("x", i, i); if (i % 1000 === 0) w.addText("t", "y".repeat(i % 5000), i); }`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    stdout: "null",
    stderr: "null",
  })
    .spawn();
  const deadline = Date.now() + 20000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const files = (() => {
      try {
        return eventFiles(`${dir}/run`);
      } catch {
        return [];
      }
    })();
    if (
      files.length && Deno.statSync(`${dir}/run/${files[0]}`).size > 200_000
    ) break;
    if (Date.now() > deadline) throw new Error("child wrote too little");
  }
  child.kill("SIGKILL");
  await child.status;
  const { events, truncated } = readEvents(`${dir}/run`);
  assert(events.length > 1000);
  assertEquals(truncated, []);
  const steps = events.filter((e) => e.summary?.[0].tag === "x").map((e) =>
    e.step
  );
  steps.forEach((s, i) => assertEquals(s, i));
  Deno.removeSync(dir, { recursive: true });
});
