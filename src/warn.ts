/**
 * The one place where the library speaks to the user outside of errors.
 * Warnings go to stderr; tests silence or capture them with `setWarningSink`.
 *
 * @module
 */

/** Receives every warning the library emits. */
export type WarningSink = (message: string) => void;

const toStderr: WarningSink = (message) =>
  console.error(`cox: warning: ${message}`);
let sink: WarningSink = toStderr;

/** Emits a warning through the current sink. */
export function warn(message: string): void {
  sink(message);
}

/**
 * Replaces where warnings go (pass nothing to restore stderr) and returns the
 * previous sink.
 */
export function setWarningSink(next?: WarningSink): WarningSink {
  const previous = sink;
  sink = next ?? toStderr;
  return previous;
}
