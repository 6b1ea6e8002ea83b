/**
 * TensorBoard event files: write them as tensorboardX does with
 * {@linkcode SummaryWriter}, read them back with {@linkcode readEvents}, and
 * the codecs underneath (TFRecord framing, CRC32C, protobuf messages,
 * histograms, PNG).
 *
 * @example
 * ```ts
 * import { readEvents, SummaryWriter } from "./mod.ts";
 * const dir = Deno.makeTempDirSync();
 * const w = new SummaryWriter(dir);
 * w.addScalar("train/loss", 0.25, 3);
 * w.addText("note", "hello", 3);
 * w.close();
 * const { events } = readEvents(dir);
 * const [loss] = events[1].summary!;
 * if (loss.tag !== "train/loss" || loss.simpleValue !== 0.25 || events[1].step !== 3) throw new Error();
 * if (events[2].summary![0].text !== "hello") throw new Error();
 * Deno.removeSync(dir, { recursive: true });
 * ```
 *
 * @module
 */

export * from "./crc32c.ts";
export * from "./histogram.ts";
export * from "./messages.ts";
export * from "./png.ts";
export * from "./read_events.ts";
export * from "./record.ts";
export * from "./summary_writer.ts";
export * from "./tags.ts";
export * from "./wire.ts";
