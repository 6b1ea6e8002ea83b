/**
 * The `cox` command: `tensorboard`, `ls`, `show` and `df` on a sweep of runs.
 * Run it with `deno run -A cli.ts <command>`, or install it as `cox` with
 * `deno install --global -A -n cox cli.ts`.
 *
 * @module
 */

import { type Io, main } from "./src/cli/main.ts";

export { type Io, main };

if (import.meta.main) Deno.exit(await main(Deno.args));
