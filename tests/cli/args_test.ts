// The command line's grammar, parsed in-process.
import { assertEquals, assertThrows } from "../assert.ts";
import { parseCommandLine } from "../../src/cli/args.ts";
import { UsageError } from "../../src/cli/io.ts";
import { parseFormatString, safeRunName } from "../../src/sweep/run_namer.ts";

Deno.test("tensorboard options: repeated --filter-param pairs, defaults for table and port", () => {
  assertEquals(
    parseCommandLine([
      "tensorboard",
      "--logdir",
      "out",
      "--format-str=slope-{slope}",
      "--filter-param",
      "slope",
      "[1-3]",
      "--filter-param=opt",
      "sgd|adam",
      "--dry-run",
    ]),
    {
      command: "tensorboard",
      args: {
        logdir: "out",
        formatStr: "slope-{slope}",
        filters: [["slope", "[1-3]"], ["opt", "sgd|adam"]],
        metadataTable: "metadata",
        port: 6006,
        dryRun: true,
      },
    },
  );
});

Deno.test("tensorboard options: a REGEX starting with '-' after '--'", () => {
  const parsed = parseCommandLine([
    "tensorboard",
    "--logdir",
    "out",
    "--format-str",
    "x",
    "--port",
    "7000",
    "--metadata-table",
    "hparams",
    "--filter-param",
    "offset",
    "--",
    "-1",
  ]);
  assertEquals(parsed.command === "tensorboard" && parsed.args, {
    logdir: "out",
    formatStr: "x",
    filters: [["offset", "-1"]],
    metadataTable: "hparams",
    port: 7000,
    dryRun: false,
  });
});

Deno.test("mistakes in the command line are UsageErrors naming the command", () => {
  const cases: [string[], string, string | undefined][] = [
    [[], "no command given", undefined],
    [["lss"], 'unknown command "lss"', undefined],
    [["--logdir"], "options come after the command", undefined],
    [["ls"], "missing DIR", "ls"],
    [["ls", "a", "b"], 'unexpected argument "b"', "ls"],
    [["df", "a"], "missing TABLE", "df"],
    [["show", "--all", "x"], "Unknown option '--all'", "show"],
    [
      [
        "tensorboard",
        "--logdir",
        "a",
        "--format-str",
        "x",
        "--filter-param",
        "slope",
      ],
      "needs a REGEX",
      "tensorboard",
    ],
    [
      ["tensorboard", "--logdir", "a", "--format-str", "x", "stray"],
      'unexpected argument "stray"',
      "tensorboard",
    ],
    [
      ["tensorboard", "--logdir", "a", "--format-str", "x", "--port", "0"],
      "from 1 to 65535",
      "tensorboard",
    ],
    [
      ["tensorboard", "--logdir", "a"],
      "--format-str is required",
      "tensorboard",
    ],
  ];
  for (const [argv, fragment, command] of cases) {
    const error = assertThrows(
      () => parseCommandLine(argv),
      UsageError,
      fragment,
    );
    assertEquals((error as UsageError).command, command, argv.join(" "));
  }
});

Deno.test("help: --help anywhere in a command, and help COMMAND", () => {
  assertEquals(parseCommandLine(["--help"]), { command: "help" });
  assertEquals(parseCommandLine(["help", "df"]), {
    command: "help",
    topic: "df",
  });
  assertEquals(parseCommandLine(["ls", "-h"]), {
    command: "help",
    topic: "ls",
  });
  assertEquals(parseCommandLine(["tensorboard", "--help"]), {
    command: "help",
    topic: "tensorboard",
  });
});

Deno.test("format strings: {name} placeholders and {{ }} braces, as Python's str.format", () => {
  assertEquals(parseFormatString("slope-{slope}"), [{ text: "slope-" }, {
    field: "slope",
  }]);
  assertEquals(parseFormatString("{{x}}{mx^2}"), [{ text: "{x}" }, {
    field: "mx^2",
  }]);
  assertThrows(
    () => parseFormatString("{lr:.2f}"),
    UsageError,
    "not supported",
  );
  assertThrows(
    () => parseFormatString("{0}"),
    UsageError,
    "names no parameter",
  );
  assertThrows(() => parseFormatString("{lr"), UsageError, "not closed");
  assertThrows(() => parseFormatString("lr}"), UsageError, 'single "}"');
});

Deno.test("run names lose what --logdir_spec cannot hold: ':' ',' and a leading '/'", () => {
  assertEquals(safeRunName("a:b,c---id"), "a_b_c---id");
  assertEquals(safeRunName("/tmp/---id"), "_tmp/---id");
  assertEquals(safeRunName("slope-1---id"), "slope-1---id");
});
