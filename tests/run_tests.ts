// `deno task test`: runs `deno test` with TMPDIR set to a folder of its own,
// removed afterwards, so the runs, stores and exports the tests make in
// temporary folders (and the Python scripts they spawn) leave nothing behind.
// Arguments are passed on to `deno test`; its exit code is this one's.
const root = await Deno.makeTempDir({ prefix: "cox-tests-" });
let code = 1;
try {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--doc", ...Deno.args],
    env: { TMPDIR: root },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Ctrl-C reaches the child too (same process group); wait for its end
  Deno.addSignalListener("SIGINT", () => {});
  code = (await child.status).code;
} finally {
  await Deno.remove(root, { recursive: true }).catch(() => {});
}
Deno.exit(code);
