/**
 * The few path functions the library uses (`join`, `dirname`, `basename`,
 * `isAbsolute`, `resolve`, `relative`, `sep`), with `node:path`'s results.
 * Importing any `node:` module starts Deno's Node compatibility layer, 15 to
 * 40 ms at every start of a process, which a reader otherwise never needs;
 * these are POSIX paths in a few lines. On Windows they are `node:path`'s own
 * (loaded when this module is, through `process.getBuiltinModule`).
 * `tests/path_test.ts` checks them against `node:path`.
 *
 * @module
 */

interface PathModule {
  join(...paths: string[]): string;
  dirname(path: string): string;
  basename(path: string): string;
  isAbsolute(path: string): boolean;
  resolve(...paths: string[]): string;
  relative(from: string, to: string): string;
  sep: string;
}

const native: PathModule | null = Deno.build.os === "windows"
  ? (globalThis as unknown as {
    process: { getBuiltinModule(name: string): PathModule };
  }).process.getBuiltinModule("node:path")
  : null;

/** The path's segments with `.` and `..` applied (`..` kept at the start of a relative path). */
function segments(path: string, absolute: boolean): string[] {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") out.push(part);
    else if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (!absolute) out.push("..");
  }
  return out;
}

function normalize(path: string): string {
  const absolute = path.startsWith("/");
  let out = segments(path, absolute).join("/");
  if (absolute) return `/${out}${out !== "" && path.endsWith("/") ? "/" : ""}`;
  if (out === "") out = ".";
  return path.endsWith("/") ? `${out}/` : out;
}

/** The path separator. */
export const sep: string = native?.sep ?? "/";

/** The paths joined by `/` and normalized (`.` for none). */
export function join(...paths: string[]): string {
  if (native) return native.join(...paths);
  const joined = paths.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** Whether `path` starts at the root. */
export function isAbsolute(path: string): boolean {
  if (native) return native.isAbsolute(path);
  return path.startsWith("/");
}

/** The absolute path the paths lead to, from the working directory. */
export function resolve(...paths: string[]): string {
  if (native) return native.resolve(...paths);
  let resolved = "";
  for (let i = paths.length - 1; i >= 0 && !resolved.startsWith("/"); i--) {
    if (paths[i] !== "") resolved = `${paths[i]}/${resolved}`;
  }
  if (!resolved.startsWith("/")) resolved = `${Deno.cwd()}/${resolved}`;
  return `/${segments(resolved, true).join("/")}`;
}

/** The folder holding `path` (`.` for a bare name, `/` at the root). */
export function dirname(path: string): string {
  if (native) return native.dirname(path);
  if (path === "") return ".";
  let end = path.length;
  while (end > 1 && path[end - 1] === "/") end--;
  const slash = path.lastIndexOf("/", end - 1);
  if (slash === -1) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}

/** The last segment of `path` (trailing slashes ignored). */
export function basename(path: string): string {
  if (native) return native.basename(path);
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  return path.slice(path.lastIndexOf("/", end - 1) + 1, end);
}

/** The path from `from` to `to` ("" when they are the same). */
export function relative(from: string, to: string): string {
  if (native) return native.relative(from, to);
  const a = segments(resolve(from), true);
  const b = segments(resolve(to), true);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) {
    common++;
  }
  return [...a.slice(common).map(() => ".."), ...b.slice(common)].join("/");
}
