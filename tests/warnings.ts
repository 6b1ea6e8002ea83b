// Runs code with the library's warnings collected instead of printed.
import { setWarningSink } from "../mod.ts";

/** Runs `body`, returning its value and the warnings it emitted. */
export async function quietly<T>(
  body: () => Promise<T> | T,
): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const previous = setWarningSink((m) => warnings.push(m));
  try {
    return { value: await body(), warnings };
  } finally {
    setWarningSink(previous);
  }
}
