/**
 * cox's small utilities: {@link Parameters} (a dict of arguments read as
 * attributes, whatever their case) and {@link overrideJson} (fill unset
 * arguments from a JSON file).
 *
 * @module
 */

const METHODS = new Set([
  "asDict",
  "toString",
  "toJSON",
  "has",
  "size",
  "constructor",
]);

/**
 * A dict of arguments read and written as attributes, case-insensitively, as
 * cox's `Parameters`: `new Parameters({ lr: 0.1 }).LR === 0.1`. An absent
 * name reads as `undefined` (cox's `None`). Keys that differ only in case are
 * refused.
 *
 * Unlike cox, a key that is not lower case can be read too (cox lower-cases
 * the attribute name and then looks it up as is). A new attribute is stored
 * under its lower-case name, as in cox.
 *
 * @example
 * ```ts
 * import { Parameters } from "./utils.ts";
 * const ps = new Parameters({ a: 1, b: 3 });
 * if (ps.A !== 1 || ps.c !== undefined) throw new Error("example failed");
 * ps.Epochs = 10;
 * if (ps.asDict().epochs !== 10 || ps.size !== 3) throw new Error("example failed");
 * ```
 */
export class Parameters implements Iterable<string> {
  /** A parameter by name, looked up case-insensitively. */
  [name: string]: unknown;

  /** Wraps `params` (the same object: writes go to it, as in cox). */
  constructor(params: Record<string, unknown>) {
    if (
      params === null || typeof params !== "object" || Array.isArray(params)
    ) {
      throw new TypeError(
        `Cannot make Parameters from ${
          params === null
            ? "null"
            : Array.isArray(params)
            ? "an array"
            : typeof params
        }: expected an object of arguments`,
      );
    }
    const seen = new Map<string, string>();
    for (const key of Object.keys(params)) {
      const other = seen.get(key.toLowerCase());
      if (other !== undefined) {
        throw new TypeError(
          `Cannot make Parameters: keys "${other}" and "${key}" differ only in case`,
        );
      }
      seen.set(key.toLowerCase(), key);
    }
    Object.defineProperty(this, PARAMS, { value: params, configurable: true });
    return new Proxy(this, {
      get(t, name, receiver) {
        if (typeof name === "symbol" || METHODS.has(name)) {
          return Reflect.get(t, name, receiver);
        }
        const key = findKey(params, name);
        return key === undefined ? undefined : params[key];
      },
      set(t, name, value, receiver) {
        if (typeof name === "symbol" || METHODS.has(name)) {
          return Reflect.set(t, name, value, receiver);
        }
        params[findKey(params, name) ?? name.toLowerCase()] = value;
        return true;
      },
      has(_t, name) {
        return typeof name === "string" && findKey(params, name) !== undefined;
      },
      deleteProperty(_t, name) {
        if (typeof name !== "string") return false;
        const key = findKey(params, name);
        if (key !== undefined) delete params[key];
        return true;
      },
      ownKeys() {
        return Reflect.ownKeys(params);
      },
      getOwnPropertyDescriptor(_t, name) {
        if (typeof name !== "string") return undefined;
        const key = findKey(params, name);
        return key === undefined ? undefined : {
          value: params[key],
          writable: true,
          enumerable: true,
          configurable: true,
        };
      },
    });
  }

  /** The underlying object (cox's `as_dict()`). */
  asDict(): Record<string, unknown> {
    return (this as unknown as Record<symbol, Record<string, unknown>>)[PARAMS];
  }

  /** Whether an argument of that name (in any case) is there. */
  has(name: string): boolean {
    return findKey(this.asDict(), name) !== undefined;
  }

  /** How many arguments there are (cox's `len()`). */
  get size(): number {
    return Object.keys(this.asDict()).length;
  }

  /** The argument names (cox's `iter()`). */
  [Symbol.iterator](): Iterator<string> {
    return Object.keys(this.asDict())[Symbol.iterator]();
  }

  /** The arguments as JSON indented by 2, as cox's `str()`. */
  toString(): string {
    return JSON.stringify(this.asDict(), null, 2);
  }

  /** The arguments, for `JSON.stringify`. */
  toJSON(): Record<string, unknown> {
    return this.asDict();
  }
}

const PARAMS = Symbol("params");

function findKey(
  params: Record<string, unknown>,
  name: string,
): string | undefined {
  if (Object.hasOwn(params, name)) return name;
  const lower = name.toLowerCase();
  if (Object.hasOwn(params, lower)) return lower;
  for (const key of Object.keys(params)) {
    if (key.toLowerCase() === lower) return key;
  }
  return undefined;
}

function isUnset(v: unknown): boolean {
  return v === null || v === undefined;
}

/**
 * Fills the unset (`null` or `undefined`) arguments of `args` from the JSON
 * object in `jsonPath`, as cox's `override_json`: values set in `args` win,
 * every other key of the file is taken, and unset arguments absent from the
 * file stay `null`. With `checkConsistency`, the file and `args` must have
 * the same keys (`config_path` may be in `args` only). Returns new
 * Parameters; `args` is not changed.
 *
 * @example
 * ```ts
 * import { overrideJson, Parameters } from "./utils.ts";
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await Deno.writeTextFile(path, JSON.stringify({ lr: 0.1, epochs: 10 }));
 * const args = overrideJson(new Parameters({ lr: 0.5, epochs: null }), path);
 * if (args.lr !== 0.5 || args.epochs !== 10) throw new Error("example failed");
 * ```
 */
export function overrideJson(
  args: Parameters | Record<string, unknown>,
  jsonPath: string,
  checkConsistency = false,
): Parameters {
  const text = Deno.readTextFileSync(jsonPath);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(
      `Cannot read arguments from ${jsonPath}: ${(error as Error).message}`,
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new TypeError(
      `Cannot read arguments from ${jsonPath}: expected a JSON object, got ${
        parsed === null
          ? "null"
          : Array.isArray(parsed)
          ? "an array"
          : typeof parsed
      }`,
    );
  }
  const fromJson = parsed as Record<string, unknown>;
  const params = args instanceof Parameters ? args.asDict() : args;
  if (checkConsistency) {
    const notInArgs = Object.keys(fromJson).filter((k) =>
      !Object.hasOwn(params, k)
    );
    if (notInArgs.length > 0) {
      throw new TypeError(
        `Cannot override arguments from ${jsonPath}: keys not in args: ${
          notInArgs.join(", ")
        }`,
      );
    }
    const notInJson = Object.keys(params).filter((k) =>
      !Object.hasOwn(fromJson, k) && k !== "config_path"
    );
    if (notInJson.length > 0) {
      throw new TypeError(
        `Cannot override arguments from ${jsonPath}: keys not in the JSON file: ${
          notInJson.join(", ")
        }`,
      );
    }
  }
  const merged: Record<string, unknown> = { ...fromJson };
  for (const [key, value] of Object.entries(params)) {
    if (!isUnset(value)) merged[key] = value;
    else if (!Object.hasOwn(merged, key)) merged[key] = null;
  }
  return new Parameters(merged);
}
