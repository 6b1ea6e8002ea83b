// Test assertions over node:assert (JSR's @std/assert is not reachable from our machines).
import assert from "node:assert/strict";

/** Deep, strict equality (NaN equals NaN; -0 differs from 0). */
export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  assert.deepStrictEqual(actual, expected, message);
}

/** Truthiness. */
export function assertOk(value: unknown, message?: string): asserts value {
  assert.ok(value, message);
}

/** That `fn` throws an instance of `type` whose message includes every fragment. */
export function assertThrows(
  fn: () => unknown,
  type: new (...args: never[]) => Error,
  ...fragments: string[]
): Error {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  return checkError(caught, type, fragments);
}

/** That the promise rejects with an instance of `type` whose message includes every fragment. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  type: new (...args: never[]) => Error,
  ...fragments: string[]
): Promise<Error> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  return checkError(caught, type, fragments);
}

function checkError(
  caught: unknown,
  type: new (...args: never[]) => Error,
  fragments: string[],
): Error {
  if (caught === undefined) {
    assert.fail(`expected ${type.name} to be thrown, nothing was`);
  }
  if (!(caught instanceof type)) {
    assert.fail(
      `expected ${type.name}, got ${(caught as Error)?.constructor?.name}: ${
        (caught as Error)?.message
      }`,
    );
  }
  for (const fragment of fragments) {
    assert.ok(
      caught.message.includes(fragment),
      `message ${JSON.stringify(caught.message)} lacks ${
        JSON.stringify(fragment)
      }`,
    );
  }
  return caught;
}
