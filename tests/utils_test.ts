// Parameters and overrideJson, as cox's utils.
import { join } from "node:path";
import { assertEquals, assertOk, assertThrows } from "./assert.ts";
import { overrideJson, Parameters } from "../mod.ts";

Deno.test("Parameters reads and writes attributes whatever their case", () => {
  const ps = new Parameters({ a: 1, b: 3, LR: 0.1 });
  assertEquals(ps.A, 1);
  assertEquals(ps.b, 3);
  assertEquals(ps.lr, 0.1);
  assertEquals(ps.missing, undefined);
  ps.Epochs = 10;
  ps.lR = 0.2;
  assertEquals(ps.asDict(), { a: 1, b: 3, LR: 0.2, epochs: 10 });
  assertOk("EPOCHS" in ps);
  assertOk(ps.has("a") && !ps.has("z"));
  delete ps.A;
  assertEquals([...ps], ["b", "LR", "epochs"]);
  assertEquals(ps.size, 3);
  assertEquals(Object.keys(ps), ["b", "LR", "epochs"]);
  assertEquals(
    String(ps),
    JSON.stringify({ b: 3, LR: 0.2, epochs: 10 }, null, 2),
  );
  assertEquals(JSON.stringify(ps), '{"b":3,"LR":0.2,"epochs":10}');
  assertOk(ps instanceof Parameters);
});

Deno.test("Parameters refuses keys that differ only in case", () => {
  assertThrows(
    () => new Parameters({ lr: 1, LR: 2 }),
    TypeError,
    '"lr" and "LR"',
  );
});

Deno.test("overrideJson fills unset arguments from the file and keeps the set ones", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "config.json");
  await Deno.writeTextFile(
    path,
    JSON.stringify({ lr: 0.1, epochs: 10, arch: "resnet" }),
  );
  const args = new Parameters({
    lr: 0.5,
    epochs: null,
    out_dir: null,
    seed: 3,
  });
  const merged = overrideJson(args, path);
  assertEquals(merged.asDict(), {
    lr: 0.5,
    epochs: 10,
    arch: "resnet",
    out_dir: null,
    seed: 3,
  });
  assertEquals(args.asDict(), {
    lr: 0.5,
    epochs: null,
    out_dir: null,
    seed: 3,
  });
  assertEquals(overrideJson({ epochs: undefined }, path).epochs, 10);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("overrideJson with checkConsistency wants the same keys (config_path aside)", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "config.json");
  await Deno.writeTextFile(path, JSON.stringify({ lr: 0.1, epochs: 10 }));
  assertThrows(
    () => overrideJson(new Parameters({ lr: null }), path, true),
    TypeError,
    "keys not in args: epochs",
  );
  assertThrows(
    () =>
      overrideJson(
        new Parameters({ lr: null, epochs: 1, seed: 1 }),
        path,
        true,
      ),
    TypeError,
    "keys not in the JSON file: seed",
  );
  const ok = overrideJson(
    new Parameters({ lr: null, epochs: 1, config_path: path }),
    path,
    true,
  );
  assertEquals(ok.asDict(), { lr: 0.1, epochs: 1, config_path: path });
  await Deno.writeTextFile(path, "[1]");
  assertThrows(
    () => overrideJson({}, path),
    TypeError,
    "expected a JSON object",
  );
  await Deno.remove(dir, { recursive: true });
});
