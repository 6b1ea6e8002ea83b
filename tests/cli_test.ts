// cli.ts spawned as a user runs it, on the cox 0.2 fixture collections.
import { join } from "node:path";
import { assertEquals, assertOk } from "./assert.ts";
import {
  copyCollection,
  expectedCollection,
  FIXTURES,
  jsonValue,
} from "./fixtures.ts";
import { CLI, fakeTensorboardDir, ROOT, runCli } from "./cli/run.ts";

const WT1 = join(FIXTURES, "walkthrough1");
const WT2 = join(FIXTURES, "walkthrough2");

/** The walkthrough2 runs with slope 1 to 3, in exp id order, as cox names them. */
async function slopeRuns(logdir: string) {
  const expected = await expectedCollection("walkthrough2");
  return expected.tables.metadata.rows
    .filter((r) => [1, 2, 3].includes(r.slope as number))
    .map((r) => ({ expId: r.exp_id as string, slope: r.slope as number }))
    .sort((a, b) => a.expId < b.expId ? -1 : 1)
    .map((r) => ({
      name: `slope-${r.slope}---${r.expId}`,
      path: `${logdir}/${r.expId}`,
    }));
}

const SLOPE_ARGS = [
  "tensorboard",
  "--logdir",
  WT2,
  "--format-str",
  "slope-{slope}",
  "--filter-param",
  "slope",
  "[1-3]",
];

Deno.test("tensorboard --dry-run keeps the runs with slopes 1 to 3 and names them as cox does", async () => {
  const runs = await slopeRuns(WT2);
  assertEquals(runs.length, 3);
  const { code, stdout } = await runCli([...SLOPE_ARGS, "--dry-run"]);
  assertEquals(code, 0);
  assertEquals(
    stdout,
    `tensorboard --logdir_spec ${
      runs.map((r) => `${r.name}:${r.path}`).join(",")
    } --port 6006\n`,
  );
  assertOk(stdout.includes("slope-2---2a02c3b9-f357-4a45-b08f-b214ebaaa387:"));
});

Deno.test("tensorboard starts the tensorboard on PATH with exactly those arguments and returns its exit status", async () => {
  const bin = await fakeTensorboardDir();
  const argsFile = join(bin, "args.json");
  try {
    const { code, stdout, stderr } = await runCli(
      [...SLOPE_ARGS, "--port", "7007"],
      {
        env: {
          PATH: `${bin}:${Deno.env.get("PATH")}`,
          FAKE_TB_ARGS: argsFile,
          FAKE_TB_EXIT: "3",
        },
      },
    );
    const runs = await slopeRuns(WT2);
    const spec = runs.map((r) => `${r.name}:${r.path}`).join(",");
    assertEquals(code, 3, stderr);
    assertEquals(stdout, "fake tensorboard: 4 arguments\n");
    assertEquals(
      stderr,
      `Running tensorboard --logdir_spec ${spec} --port 7007\n`,
    );
    assertEquals(JSON.parse(await Deno.readTextFile(argsFile)), [
      "--logdir_spec",
      spec,
      "--port",
      "7007",
    ]);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("tensorboard passes a Ctrl-C sent to cox on to tensorboard and exits with its status", async () => {
  const bin = await fakeTensorboardDir();
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, ...SLOPE_ARGS],
      env: {
        NO_COLOR: "1",
        PATH: `${bin}:${Deno.env.get("PATH")}`,
        FAKE_TB_WAIT: "1",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let seen = "";
    while (!seen.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    assertOk(seen.includes("ready\n"), `no "ready" from tensorboard: ${seen}`);
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    const status = await child.status;
    assertEquals(status.code, 0, await stderr);
    assertOk(seen.includes("fake tensorboard: got SIGINT\n"), seen);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("tensorboard without tensorboard on PATH says how to get it and exits 2", async () => {
  const empty = await Deno.makeTempDir({ prefix: "cox-empty-path-" });
  try {
    const { code, stdout, stderr } = await runCli(SLOPE_ARGS, {
      env: { PATH: empty },
    });
    assertEquals(code, 2);
    assertEquals(stdout, "");
    assertOk(stderr.includes("tensorboard is not on PATH"), stderr);
    assertOk(stderr.includes("pip install tensorboard"), stderr);
    assertOk(stderr.includes("--dry-run"), stderr);
  } finally {
    await Deno.remove(empty);
  }
});

Deno.test("tensorboard skips a run with no metadata row, with a warning naming it, and runs without tensorboard/", async () => {
  const dir = await copyCollection("walkthrough2");
  try {
    await Deno.mkdir(join(dir, "no-store", "tensorboard"), { recursive: true });
    await Deno.remove(
      join(dir, "5cedb051-bd7d-45c1-b1a9-5f6b02ca9744", "tensorboard"),
      { recursive: true },
    );
    const { code, stdout, stderr } = await runCli([
      "tensorboard",
      "--logdir",
      dir,
      "--format-str",
      "s{slope}",
      "--dry-run",
    ]);
    assertEquals(code, 0, stderr);
    assertOk(
      stderr.includes(
        'skipping run no-store: it has a tensorboard/ folder but no row in table "metadata"',
      ),
      stderr,
    );
    const names = stdout.split(" ")[2].split(",").map((s) => s.split(":")[0]);
    assertEquals(names, [
      "s2---2a02c3b9-f357-4a45-b08f-b214ebaaa387",
      "s0---82123fe8-10f6-4739-82ba-a8ee933aadb2",
      "s4---ac1de490-1182-4cef-b103-d366e9a9a4d1",
      "s3---f95de816-4a5f-4d9d-a7a7-bdcfab2c74f2",
    ]);
  } finally {
    await Deno.remove(join(dir, ".."), { recursive: true });
  }
});

Deno.test("tensorboard filters match at the start of the value only, and every filter must match", async () => {
  const names = async (...filters: string[]) => {
    const { code, stdout, stderr } = await runCli([
      "tensorboard",
      "--logdir",
      WT2,
      "--format-str",
      "{slope}",
      ...filters,
      "--dry-run",
    ]);
    if (code !== 0) return { code, stderr };
    return stdout.split(" ")[2].split(",").map((s) => s.split("---")[0]);
  };
  assertEquals(await names("--filter-param", "exp_id", "[a-f]"), ["4", "3"]);
  assertEquals(
    await names(
      "--filter-param",
      "exp_id",
      "[a-f]",
      "--filter-param",
      "slope",
      "4",
    ),
    ["4"],
  );
  // "c1" is inside ac1de490-... but not at its start
  const none = await names("--filter-param", "exp_id", "c1");
  assertEquals((none as { code: number }).code, 1);
  assertOk(
    (none as { stderr: string }).stderr.includes("passes the filters"),
  );
});

Deno.test("tensorboard renders float, bool and str values as Python's str() and replaces ':' and ',' in names", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cox-tb-values-" });
  try {
    const program = `
import { Store } from ${JSON.stringify(join(ROOT, "mod.ts"))};
const rows = [
  { lr: 1e-5, momentum: 3, warm: true, opt: "sgd" },
  { lr: 0.1, momentum: 0.5, warm: false, opt: "a:b,c" },
];
for (const [i, row] of rows.entries()) {
  using store = await Store.open(Deno.args[0], "run" + i);
  store.addTable("metadata", { lr: "float", momentum: "float", warm: "bool", opt: "str" }).appendRow(row);
}
`;
    const script = join(dir, "write.ts");
    await Deno.writeTextFile(script, program);
    const runs = join(dir, "runs");
    const wrote = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, runs],
    }).output();
    assertEquals(wrote.code, 0, new TextDecoder().decode(wrote.stderr));
    const { code, stdout, stderr } = await runCli([
      "tensorboard",
      "--logdir",
      runs,
      "--format-str",
      "lr={lr} m={momentum} {warm} {opt}",
      "--filter-param",
      "lr",
      "1e-05|0[.]1$",
      "--dry-run",
    ]);
    assertEquals(code, 0, stderr);
    assertEquals(
      stdout,
      `tensorboard --logdir_spec 'lr=1e-05 m=3.0 True sgd---run0:${runs}/run0,` +
        `lr=0.1 m=0.5 False a_b_c---run1:${runs}/run1' --port 6006\n`,
    );
    assertOk(stderr.includes("run run1: naming it"), stderr);
    const filtered = await runCli([
      "tensorboard",
      "--logdir",
      runs,
      "--format-str",
      "{exp_id}",
      "--filter-param",
      "warm",
      "True",
      "--filter-param",
      "momentum",
      "3[.]0",
      "--dry-run",
    ]);
    assertEquals(
      filtered.stdout,
      `tensorboard --logdir_spec run0---run0:${runs}/run0 --port 6006\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tensorboard: a placeholder naming no column is an error listing the columns", async () => {
  const { code, stdout, stderr } = await runCli([
    "tensorboard",
    "--logdir",
    WT2,
    "--format-str",
    "lr-{lr}",
    "--dry-run",
  ]);
  assertEquals(code, 1);
  assertEquals(stdout, "");
  assertEquals(
    stderr,
    'cox: --format-str names {lr}, which is no column of table "metadata"; its columns are slope, exp_id\n',
  );
});

Deno.test("tensorboard: missing --logdir, a bad --port and an unknown flag print the usage and exit 2", async () => {
  for (
    const [args, fragment] of [
      [["tensorboard", "--format-str", "x"], "--logdir is required"],
      [
        ["tensorboard", "--logdir", WT2, "--format-str", "x", "--port", "http"],
        "expected a port number",
      ],
      [["tensorboard", "--logdir", WT2, "--bogus"], "Unknown option '--bogus'"],
      [
        ["tensorboard", "--logdir", WT2, "--format-str", "x", "--filter-param"],
        "--filter-param",
      ],
    ] as const
  ) {
    const { code, stderr } = await runCli([...args]);
    assertEquals(code, 2, stderr);
    assertOk(stderr.includes(fragment), stderr);
    assertOk(stderr.includes("Usage: cox tensorboard"), stderr);
  }
});

Deno.test("an unknown command prints the usage and exits 2; --help prints each command's usage", async () => {
  const unknown = await runCli(["frobnicate"]);
  assertEquals(unknown.code, 2);
  assertOk(unknown.stderr.startsWith('cox: unknown command "frobnicate"\n'));
  assertOk(unknown.stderr.includes("Usage: cox <command> [options]"));
  const none = await runCli([]);
  assertEquals(none.code, 2);
  assertOk(none.stderr.includes("Usage: cox <command>"));
  const help = await runCli(["--help"]);
  assertEquals(help.code, 0);
  assertOk(help.stdout.startsWith("Usage: cox <command> [options]\n"));
  for (const command of ["tensorboard", "ls", "show", "df"]) {
    const { code, stdout } = await runCli([command, "--help"]);
    assertEquals(code, 0);
    assertOk(stdout.startsWith(`Usage: cox ${command}`), stdout);
  }
  const lsFlag = await runCli(["ls", WT1, "--bogus"]);
  assertEquals(lsFlag.code, 2);
  assertOk(lsFlag.stderr.includes("Usage: cox ls"));
});

Deno.test("ls prints one aligned line per walkthrough1 run: metadata values and row counts", async () => {
  const { code, stdout, stderr } = await runCli(["ls", WT1]);
  assertEquals(code, 0, stderr);
  assertEquals(
    stdout,
    `exp_id                                step_size  tolerance  initial_x  out_dir  #metadata  #result  #running_log
17eb970f-c58e-40d0-801b-b2c6b9d5d6fc        1.0      1e-05        0.0  /tmp/            1        1             1
2a1c8537-5833-4d7f-9cb3-7e6de573854f      1e-05      1e-05        0.0  /tmp/            1        1             1
5b4f160f-3be8-4ee0-ab4c-d032756f4287   0.500005      1e-05      -15.0  /tmp/            1        1             1
690b7016-3764-456c-b4cd-d98aed3e809a      1e-05      1e-05      -15.0  /tmp/            1        1             1
a95c4722-9ac9-4ed3-becf-c90820ece656   0.500005      1e-05       15.0  /tmp/            1        1            26
abd45172-ca98-418c-b413-9b68edd8756d        1.0      1e-05      -15.0  /tmp/            1        1             1
b74fe5e0-32f4-4c19-bffa-7f567a3ecf0a        1.0      1e-05       15.0  /tmp/            1        1            13
d35b0e63-6620-4f04-b83b-666ed6d18b7b      1e-05      1e-05       15.0  /tmp/            1        1          1000
f855c718-2cb1-4021-95f9-1955542af474   0.500005      1e-05        0.0  /tmp/            1        1             1
`,
  );
  // the counts are those pandas reads
  const expected = await expectedCollection("walkthrough1");
  const lines = stdout.trimEnd().split("\n").slice(1);
  for (const line of lines) {
    const fields = line.split(/\s+/);
    const rows = expected.tables.running_log.rows.filter((r) =>
      r.exp_id === fields[0]
    );
    assertEquals(Number(fields.at(-1)), rows.length);
  }
});

Deno.test("show prints a walkthrough1 run's tables as cox's str(store)", async () => {
  const run = join(WT1, "b74fe5e0-32f4-4c19-bffa-7f567a3ecf0a");
  const { code, stdout, stderr } = await runCli(["show", `${run}/`]);
  assertEquals(code, 0, stderr);
  assertEquals(
    stdout,
    `-- Table: metadata --
   step_size  tolerance  initial_x  out_dir
0        1.0    0.00001       15.0    /tmp/

-- Table: result --
   final_x  final_opt
0      2.0     3.0009

-- Table: running_log --
   current_x  current_f
0       15.0   171.2209
1       14.0   146.2809
2       13.0   123.3409
3       12.0   102.4009
 ... (13 rows hidden)
`,
  );
  const notRun = await runCli(["show", WT1]);
  assertEquals(notRun.code, 1);
  assertOk(notRun.stderr.includes("has no store.h5"), notRun.stderr);
});

Deno.test("df prints walkthrough1's result table across runs as csv, json and jsonl, with exp_id", async () => {
  const expected = await expectedCollection("walkthrough1");
  const want = expected.tables.result.rows
    .map((r) => ({
      final_x: jsonValue(r.final_x),
      final_opt: jsonValue(r.final_opt),
      exp_id: r.exp_id,
    }))
    .sort((a, b) => (a.exp_id as string) < (b.exp_id as string) ? -1 : 1);

  const json = await runCli(["df", WT1, "result", "--format", "json"]);
  assertEquals(json.code, 0, json.stderr);
  assertEquals(JSON.parse(json.stdout), want);

  const jsonl = await runCli(["df", WT1, "result", "--format", "jsonl"]);
  const lines = jsonl.stdout.trimEnd().split("\n");
  assertEquals(lines.map((l) => JSON.parse(l)), want);

  const csv = await runCli(["df", WT1, "result", "--format", "csv"]);
  const [header, ...rows] = csv.stdout.trimEnd().split("\n");
  assertEquals(header, "final_x,final_opt,exp_id");
  assertEquals(
    rows.map((line) => {
      const [x, opt, id] = line.split(",");
      return { final_x: Number(x), final_opt: Number(opt), exp_id: id };
    }),
    want,
  );
  assertEquals(
    rows[0],
    "1.0,4.060899999999999,17eb970f-c58e-40d0-801b-b2c6b9d5d6fc",
  );
});

Deno.test("df prints an aligned table by default, and an unknown table is an error listing the tables", async () => {
  const { code, stdout } = await runCli(["df", WT1, "metadata"]);
  assertEquals(code, 0);
  const lines = stdout.trimEnd().split("\n");
  assertEquals(
    lines[0],
    "      step_size  tolerance  initial_x  out_dir                                exp_id",
  );
  assertEquals(
    lines[1],
    "0  1.000000e+00    0.00001        0.0    /tmp/  17eb970f-c58e-40d0-801b-b2c6b9d5d6fc",
  );
  assertEquals(lines.length, 10);
  const missing = await runCli(["df", WT1, "nope"]);
  assertEquals(missing.code, 1);
  assertEquals(
    missing.stderr,
    `cox: No run under ${WT1} has a table "nope"; the tables are "metadata", "result", "running_log"\n`,
  );
  const badFormat = await runCli(["df", WT1, "result", "--format", "xml"]);
  assertEquals(badFormat.code, 2);
  assertOk(
    badFormat.stderr.includes("expected one of table, csv, json, jsonl"),
  );
});

Deno.test("deno install --global makes a cox command that runs the CLI", async () => {
  const root = await Deno.makeTempDir({ prefix: "cox-install-" });
  try {
    const install = await new Deno.Command(Deno.execPath(), {
      args: ["install", "--global", "-A", "-n", "cox", "--root", root, CLI],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      signal: AbortSignal.timeout(120_000),
    }).output();
    assertEquals(install.code, 0, new TextDecoder().decode(install.stderr));
    const cox = await new Deno.Command(join(root, "bin", "cox"), {
      args: ["ls", WT2],
      env: {
        NO_COLOR: "1",
        PATH: `${join(Deno.execPath(), "..")}:${Deno.env.get("PATH")}`,
      },
      signal: AbortSignal.timeout(120_000),
    }).output();
    const stdout = new TextDecoder().decode(cox.stdout);
    assertEquals(cox.code, 0, new TextDecoder().decode(cox.stderr));
    assertEquals(
      stdout.split("\n")[1],
      "2a02c3b9-f357-4a45-b08f-b214ebaaa387      2           100          1",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
