import {
  makeHistogram,
  readEvents,
  SummaryWriter,
} from "../../src/tensorboard/mod.ts";
import { ignoreUnless, runPython } from "../interop/python.ts";
import { assert, assertEquals } from "./_util.ts";

const PROTOBUF = ["google.protobuf"];
const NUMPY = ["numpy"];

function base64(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b));
}

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test({
  name:
    "an independent Python protobuf reader decodes every kind of event SummaryWriter writes",
  ignore: await ignoreUnless(PROTOBUF),
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "cox_tb_interop_" });
    const w = new SummaryWriter(dir);
    w.addScalar("train/loss", 0.1, 3, 1.5);
    w.addScalar("zero", 0, 0, 2);
    w.addScalar("neg/step", -2.5, -7, 3);
    w.addScalar("big", 1, 2n ** 60n, 4);
    w.addHistogram("w", [0, 0, 1, -3.5, 1e6], 5);
    w.addText("note", "héllo **cox** ✓", 6);
    const rgb = new Uint8Array(2 * 3 * 3).map((_, i) => (i * 37) & 0xff);
    w.addImage("img/rgb", { dtype: "uint8", shape: [2, 3, 3], data: rgb }, 7, {
      dataformats: "HWC",
    });
    w.addImage("img/rgba", {
      dtype: "float64",
      shape: [4, 2, 2],
      data: new Float64Array(16).map((_, i) => i / 15),
    }, 8);
    w.addEvent({
      wallTime: 9,
      step: 9,
      sessionLog: { status: 1, checkpointPath: "", msg: "" },
    });
    w.close();
    const hpw = new SummaryWriter(`${dir}/hp`);
    const sub = hpw.addHparams(
      { lr: 0.1, opt: "adam", bn: false, none: null },
      { "hparam/acc": 0.75 },
      { name: "trial", domainDiscrete: { opt: ["adam", "sgd"] } },
    );
    hpw.close();

    const ours = readEvents(w.path).events;
    const py: Json[] = JSON.parse(
      await runPython(PROTOBUF, "tb_read_events.py", [w.path]),
    );
    assertEquals(py.length, ours.length);
    assertEquals(py.map((e) => e.offset), ours.map((e) => e.offset));
    assertEquals(py[0], {
      wall_time: ours[0].wallTime,
      file_version: "brain.Event:2",
      offset: 0,
      what: "file_version",
    });

    const value = (i: number) => py[i].summary.value[0];
    // Python prints float32 fields at float32 precision: compare after rounding.
    assertEquals([py[1].wall_time, py[1].step, value(1).tag, value(1).which], [
      1.5,
      "3",
      "train/loss",
      "simple_value",
    ]);
    assertEquals(
      Math.fround(value(1).simple_value),
      ours[1].summary![0].simpleValue,
    );
    assertEquals([py[2].step, value(2).simple_value, value(2).which], [
      undefined,
      0,
      "simple_value",
    ]);
    assertEquals([py[3].step, value(3).tag], ["-7", "neg/step"]);
    assertEquals(py[4].step, String(2n ** 60n));

    const h = value(5).histo;
    const mine = makeHistogram([0, 0, 1, -3.5, 1e6]);
    assertEquals(
      [h.min, h.max, h.num, h.sum, h.sum_squares, h.bucket_limit, h.bucket],
      [
        mine.min,
        mine.max,
        mine.num,
        mine.sum,
        mine.sumSquares,
        mine.bucketLimit,
        mine.bucket,
      ],
    );

    assertEquals(value(6).tag, "note/text_summary");
    assertEquals(value(6).string_val_utf8, ["héllo **cox** ✓"]);
    assertEquals(value(6).tensor.dtype, 7);
    assertEquals(value(6).tensor.tensor_shape, { dim: [{ size: "1" }] });
    assertEquals(value(6).metadata, { plugin_data: { plugin_name: "text" } });

    const img = value(7);
    assertEquals([img.image.width, img.image.height, img.image.colorspace], [
      3,
      2,
      3,
    ]);
    assertEquals(
      img.image.encoded_image_string,
      base64(ours[7].summary![0].image!.encoded),
    );
    assertEquals(img.png, {
      width: 3,
      height: 2,
      channels: 3,
      pixels: Array.from(rgb),
    });
    if (img.pil !== null) {
      assertEquals([img.pil.mode, img.pil.pixels], ["RGB", Array.from(rgb)]);
    }
    const rgba = value(8);
    // CHW float [4, 2, 2] in 0..1: pixel i, channel c is trunc((c * 4 + i) / 15 * 255).
    const want = [];
    for (let i = 0; i < 4; i++) {
      for (let c = 0; c < 4; c++) {
        want.push(Math.trunc((c * 4 + i) / 15 * 255));
      }
    }
    assertEquals([rgba.image.colorspace, rgba.png.channels, rgba.png.pixels], [
      4,
      4,
      want,
    ]);
    if (rgba.pil !== null) {
      assertEquals([rgba.pil.mode, rgba.pil.pixels], ["RGBA", want]);
    }

    assertEquals([py[9].what, py[9].session_log], ["session_log", {
      status: 1,
    }]);

    const hp: Json[] = JSON.parse(
      await runPython(PROTOBUF, "tb_read_events.py", [
        readEvents(sub).files[0].file,
      ]),
    );
    assertEquals(
      hp.slice(1).map((e) =>
        e.summary.value[0].hparams ?? e.summary.value[0].simple_value
      ),
      [
        {
          experiment: {
            hparam_infos: [
              { name: "lr", type: 3 },
              { name: "opt", type: 1, domain_discrete: ["adam", "sgd"] },
              { name: "bn", type: 2 },
            ],
            metric_infos: [{ name: { tag: "hparam/acc" } }],
          },
        },
        {
          session_start_info: { hparams: { lr: 0.1, opt: "adam", bn: false } },
        },
        { session_end_info: { status: 1 } },
        0.75,
      ],
    );
    assert(hp.slice(1, 4).every((e) => e.summary.value[0].which === null));
    Deno.removeSync(dir, { recursive: true });
  },
});

Deno.test({
  name: "makeHistogram() matches tensorboardX's make_histogram run with numpy",
  ignore: await ignoreUnless(NUMPY),
  async fn() {
    let seed = 7;
    const rand = () =>
      (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const cases: {
      values: number[];
      bins: "tensorflow" | number | number[];
      max_bins?: number;
    }[] = [
      { values: [0, 0, 1], bins: "tensorflow" },
      {
        values: Array.from({ length: 10001 }, () => (rand() - 0.5) * 1e4),
        bins: "tensorflow",
      },
      {
        values: Array.from({ length: 500 }, () => rand() ** 8),
        bins: "tensorflow",
        max_bins: 100,
      },
      { values: Array.from({ length: 300 }, (_, i) => i % 7), bins: 7 },
      { values: [1, 2, 2, 3, 3, 3, 10], bins: [0, 1, 2, 3, 4, 5] },
      { values: [-1e-12, 1e-12, 1.1e-12, 2], bins: "tensorflow" },
    ];
    for (const c of cases) {
      const want = JSON.parse(
        await runPython(NUMPY, "tb_histogram.py", [], JSON.stringify(c)),
      );
      const got = makeHistogram(c.values, {
        bins: c.bins,
        maxBins: c.max_bins,
      });
      assertEquals(got.bucketLimit, want.bucket_limit);
      assertEquals(got.bucket, want.bucket);
      assertEquals([got.min, got.max, got.num, got.sum], [
        want.min,
        want.max,
        want.num,
        want.sum,
      ]);
      assert(
        Math.abs(got.sumSquares - want.sum_squares) <=
          1e-12 * Math.abs(want.sum_squares),
      );
    }
  },
});
