/**
 * The `cox` command: `tensorboard`, `ls`, `show` and `df` on a sweep of runs.
 * Run it with `deno run -A cli.ts <command>`, or install it as `cox` with
 * `deno install --global -A -n cox cli.ts`.
 *
 * @module
 */

import { main } from "./src/cli/main.ts";

export { main };

if (import.meta.main) Deno.exit(await main(Deno.args));
