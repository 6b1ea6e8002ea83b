import {
  decodeEvent,
  decodeHParamsPluginData,
  encodeEvent,
  encodeHParamsPluginData,
  encodeTensor,
  HParamsStatus,
  HParamType,
  ProtoWriter,
  writeSummary,
} from "../../src/tensorboard/mod.ts";
import { encodeRecord } from "../../src/tensorboard/record.ts";
import { assertEquals, hex, toHex, utf8 } from "./_util.ts";

const empty = new Uint8Array(0);

Deno.test("encodeEvent() writes the scalar vector 10.1 and its framed record", () => {
  const e = encodeEvent({
    wallTime: 1.5,
    step: 3,
    summary: { value: [{ tag: "a/b", simpleValue: 0.25 }] },
  });
  assertEquals(toHex(e), "09000000000000f83f10032a0c0a0a0a03612f62150000803e");
  assertEquals(
    toHex(encodeRecord(e)),
    "19000000000000008bf1082809000000000000f83f10032a0c0a0a0a03612f62150000803e1440548c",
  );
  const back = decodeEvent(e);
  assertEquals(back, {
    wallTime: 1.5,
    step: 3,
    summary: { value: [{ tag: "a/b", simpleValue: 0.25 }] },
  });
});

Deno.test("encodeEvent() writes the file-version record 10.2", () => {
  const e = encodeEvent({
    wallTime: 1.5,
    step: 0,
    fileVersion: "brain.Event:2",
  });
  assertEquals(toHex(e), "09000000000000f83f1a0d627261696e2e4576656e743a32");
  assertEquals(
    toHex(encodeRecord(e)),
    "1800000000000000a37f4b22" + toHex(e) + "2a28646c",
  );
});

Deno.test("encodeEvent() handles the edge cases of 10.3", () => {
  assertEquals(
    toHex(
      encodeEvent({
        wallTime: 1.5,
        step: 0,
        summary: { value: [{ tag: "x", simpleValue: 0 }] },
      }),
    ),
    "09000000000000f83f2a0a0a080a01781500000000",
  );
  const neg = hex("09000000000000f83f10ffffffffffffffffff01");
  assertEquals(encodeEvent({ wallTime: 1.5, step: -1 }), neg);
  assertEquals(encodeEvent({ wallTime: 1.5, step: -1n }), neg);
  assertEquals(decodeEvent(neg).step, -1);
  const start = hex("09000000000000f83f10053a020801");
  assertEquals(
    encodeEvent({
      wallTime: 1.5,
      step: 5,
      sessionLog: { status: 1, checkpointPath: "", msg: "" },
    }),
    start,
  );
  assertEquals(decodeEvent(start).sessionLog, {
    status: 1,
    checkpointPath: "",
    msg: "",
  });
});

Deno.test("encodeEvent() writes tensorboardX's text summary (10.4)", () => {
  const tensor = {
    dtype: 7,
    tensorShape: { dim: [{ size: 1 }] },
    stringVal: [utf8("hello")],
  };
  assertEquals(
    toHex(encodeTensor(tensor)),
    "080712041202080142 0568656c6c6f".replace(" ", ""),
  );
  const e = encodeEvent({
    wallTime: 1.5,
    step: 7,
    summary: {
      value: [{
        tag: "note/text_summary",
        tensor,
        metadata: { pluginData: { pluginName: "text", content: empty } },
      }],
    },
  });
  const want =
    "09000000000000f83f10072a300a2e0a116e6f74652f746578745f73756d6d617279" +
    "420f0807120412020801420568656c6c6f4a080a060a0474657874";
  assertEquals(toHex(e), want);
  assertEquals(
    toHex(encodeRecord(e)),
    "3d000000000000006049f1ec" + want + "0d31f030",
  );
});

Deno.test("encodeEvent() writes the rank-0 DT_FLOAT tensor scalar (10.5)", () => {
  const e = encodeEvent({
    wallTime: 1.5,
    step: 3,
    summary: {
      value: [{
        tag: "a/b",
        tensor: { dtype: 1, tensorShape: { dim: [] }, floatVal: [0.25] },
        metadata: {
          pluginData: { pluginName: "scalars", content: empty },
          dataClass: 1,
        },
      }],
    },
  });
  assertEquals(
    toHex(e),
    "09000000000000f83f10032a220a200a03612f62420a080112002a040000803e4a0d0a090a077363616c617273 2001"
      .replace(" ", ""),
  );
});

Deno.test("encodeHParamsPluginData() writes tensorboardX's hparams contents (10.6)", () => {
  const experiment = encodeHParamsPluginData({
    experiment: {
      hparamInfos: [{ name: "lr", type: HParamType.DATA_TYPE_FLOAT64 }],
      metricInfos: [{ name: { tag: "hparam/acc" } }],
    },
  });
  assertEquals(
    toHex(experiment),
    "121822060a026c7220032a0e0a0c120a68706172616d2f616363",
  );
  const start = encodeHParamsPluginData({
    sessionStartInfo: { hparams: { lr: 0.1 } },
  });
  assertEquals(toHex(start), "1a110a0f0a026c721209119a9999999999b93f");
  const end = encodeHParamsPluginData({
    sessionEndInfo: { status: HParamsStatus.STATUS_SUCCESS },
  });
  assertEquals(toHex(end), "22020801");

  const summary = (tag: string, content: Uint8Array) =>
    toHex(
      writeSummary(new ProtoWriter(), {
        value: [{
          tag,
          metadata: { pluginData: { pluginName: "hparams", content } },
        }],
      }).finish(),
    );
  assertEquals(
    summary("_hparams_/experiment", experiment),
    "0a3f0a145f68706172616d735f2f6578706572696d656e744a270a250a0768706172616d73121a" +
      toHex(experiment),
  );
  assertEquals(
    summary("_hparams_/session_start_info", start),
    "0a400a1c5f68706172616d735f2f73657373696f6e5f73746172745f696e666f4a200a1e0a0768706172616d731213" +
      toHex(start),
  );
  assertEquals(
    summary("_hparams_/session_end_info", end),
    "0a2f0a1a5f68706172616d735f2f73657373696f6e5f656e645f696e666f4a110a0f0a0768706172616d731204" +
      toHex(end),
  );

  assertEquals(decodeHParamsPluginData(experiment), {
    experiment: {
      hparamInfos: [{ name: "lr", type: 3 }],
      metricInfos: [{ name: { tag: "hparam/acc" } }],
    },
  });
  assertEquals(decodeHParamsPluginData(start), {
    sessionStartInfo: { hparams: { lr: 0.1 } },
  });
  assertEquals(decodeHParamsPluginData(end), { sessionEndInfo: { status: 1 } });
});

Deno.test("google.protobuf.Value round-trips null, strings, bools, lists and structs", () => {
  const hparams = {
    a: null,
    b: "x",
    c: true,
    d: [1, "y", false],
    e: { f: 2, g: [null] },
  };
  const back = decodeHParamsPluginData(
    encodeHParamsPluginData({ sessionStartInfo: { hparams, groupName: "g" } }),
  );
  assertEquals(back, { sessionStartInfo: { hparams, groupName: "g" } });
});

Deno.test("encodeEvent() writes the raw histogram of 10.7", () => {
  const histo = {
    min: 1,
    max: 3,
    num: 3,
    sum: 6,
    sumSquares: 14,
    bucketLimit: [1, 2, 3],
    bucket: [0, 1, 2],
  };
  const h =
    "09000000000000f03f110000000000000840190000000000000840210000000000001840290000000000002c40" +
    "3218000000000000f03f00000000000000400000000000000840" +
    "3a180000000000000000000000000000f03f0000000000000040";
  const e = encodeEvent({
    wallTime: 1.5,
    step: 1,
    summary: { value: [{ tag: "h", histo }] },
  });
  assertEquals(toHex(e), "09000000000000f83f10012a680a660a01682a61" + h);
  assertEquals(decodeEvent(e).summary!.value[0].histo, histo);
});

Deno.test("decodeEvent() accepts unpacked repeated doubles, unknown fields and any field order", () => {
  // Summary.Value{histo{bucket: 1.0 (unpacked), bucket_limit: 2.0 (unpacked)}, unknown field 15}, tag after.
  const w = new ProtoWriter();
  w.tag(5, 2).fork().tag(1, 2).fork()
    .tag(5, 2).fork().tag(7, 1).double(1).tag(6, 1).double(2).tag(7, 1).double(
      3,
    ).join()
    .tag(15, 0).uint32(99).tag(14, 2).bytes(utf8("junk")).tag(13, 5).fixed32(1)
    .tag(12, 1).fixed64(2n)
    .tag(1, 2).string("late")
    .join().join();
  w.tag(1, 1).double(2.5).tag(2, 0).int64(4).tag(2, 0).int64(9); // last step wins
  const e = decodeEvent(w.finish());
  assertEquals(e.wallTime, 2.5);
  assertEquals(e.step, 9);
  const v = e.summary!.value[0];
  assertEquals(v.tag, "late");
  assertEquals(v.histo!.bucket, [1, 3]);
  assertEquals(v.histo!.bucketLimit, [2]);
});

Deno.test("decodeEvent() merges repeated sub-messages and lets the last oneof member win", () => {
  const w = new ProtoWriter();
  w.tag(3, 2).string("brain.Event:2");
  w.tag(5, 2).fork().tag(1, 2).fork().tag(1, 2).string("a").join().join();
  w.tag(5, 2).fork().tag(1, 2).fork().tag(1, 2).string("b").join().join();
  const e = decodeEvent(w.finish());
  assertEquals(e.fileVersion, undefined);
  assertEquals(e.summary!.value.map((v) => v.tag), ["a", "b"]);
});

Deno.test("decodeEvent() decodes huge steps as bigint", () => {
  const e = decodeEvent(encodeEvent({ wallTime: 0, step: 2n ** 60n }));
  assertEquals(e.step, 2n ** 60n);
  assertEquals(
    decodeEvent(encodeEvent({ wallTime: 0, step: 2 ** 53 - 1 })).step,
    2 ** 53 - 1,
  );
  assertEquals(
    decodeEvent(encodeEvent({ wallTime: 0, step: -(2 ** 40) })).step,
    -(2 ** 40),
  );
  assertEquals(
    decodeEvent(encodeEvent({ wallTime: 0, step: -(2n ** 63n) })).step,
    -(2n ** 63n),
  );
});

Deno.test("tensor fields round-trip through encodeTensor/decodeTensor", async () => {
  const { decodeTensor } = await import("../../src/tensorboard/messages.ts");
  const t = {
    dtype: 9,
    tensorShape: {
      dim: [{ size: 2, name: "n" }, { size: 2n ** 60n }],
      unknownRank: true,
    },
    versionNumber: 1,
    floatVal: [0.5],
    doubleVal: [0.1],
    intVal: [-1, 5],
    stringVal: [utf8("x"), empty],
    int64Val: [-(2n ** 62n), 3],
    boolVal: [true, false],
    halfVal: [15360],
    uint32Val: [4294967295],
    uint64Val: [2n ** 63n],
  };
  assertEquals(decodeTensor(encodeTensor(t)), t);
});
