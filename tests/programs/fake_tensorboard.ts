// Stands in for `tensorboard` in the CLI tests: writes its arguments as JSON
// to $FAKE_TB_ARGS, prints a line, then exits with $FAKE_TB_EXIT, or (when
// FAKE_TB_WAIT is set) prints "ready" and waits for SIGINT, then exits 0.
const argsFile = Deno.env.get("FAKE_TB_ARGS");
if (argsFile) Deno.writeTextFileSync(argsFile, JSON.stringify(Deno.args));
console.log(`fake tensorboard: ${Deno.args.length} arguments`);
if (Deno.env.get("FAKE_TB_WAIT")) {
  const keepAlive = setInterval(() => {}, 1000);
  Deno.addSignalListener("SIGINT", () => {
    clearInterval(keepAlive);
    console.log("fake tensorboard: got SIGINT");
    Deno.exit(0);
  });
  console.log("ready");
} else {
  Deno.exit(Number(Deno.env.get("FAKE_TB_EXIT") ?? "0"));
}
