/**
 * `cox dashboard`: serves a sweep as a live web page until Ctrl-C.
 *
 * @module
 */

import { startDashboard } from "../dashboard/server.ts";
import { warn } from "../warn.ts";
import type { DashboardArgs } from "./args.ts";
import { requireDirectory } from "./files.ts";
import type { Io } from "./io.ts";

function openInBrowser(url: string): void {
  const command = Deno.build.os === "darwin"
    ? "open"
    : Deno.build.os === "windows"
    ? "explorer"
    : "xdg-open";
  try {
    new Deno.Command(command, {
      args: [url],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn().status.catch(() => {});
  } catch (error) {
    warn(`cannot open a browser (${command}): ${(error as Error).message}`);
  }
}

/** Runs `cox dashboard`: prints `Serving DIR at URL` on stderr and serves until SIGINT/SIGTERM. */
export async function dashboardCommand(
  args: DashboardArgs,
  io: Io,
): Promise<number> {
  await requireDirectory(args.dir);
  const dashboard = await startDashboard({
    dir: args.dir,
    host: args.host,
    port: args.port,
    formatStr: args.formatStr,
    filters: args.filters,
    metadataTable: args.metadataTable,
  });
  io.err(`Serving ${args.dir} at ${dashboard.url}\n`);
  if (args.open) openInBrowser(dashboard.url);
  const stop = () => dashboard.shutdown();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    await dashboard.finished;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  return 0;
}
