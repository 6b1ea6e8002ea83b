/**
 * A progress bar on stderr for an export, redrawn at most every 100 ms.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Counts steps done out of a total and draws `[####    ] done/total what`. */
export class ProgressBar {
  readonly #total: number;
  readonly #what: string;
  #last = 0;

  /** A bar for `total` steps, each called `what` in the text. */
  constructor(total: number, what: string) {
    this.#total = total;
    this.#what = what;
  }

  /** Redraws the bar for `done` steps (always at the end). */
  update(done: number): void {
    const now = performance.now();
    if (done < this.#total && now - this.#last < 100) return;
    this.#last = now;
    const width = 30;
    const filled = this.#total === 0
      ? width
      : Math.round((done / this.#total) * width);
    const bar = `\r[${"#".repeat(filled)}${
      " ".repeat(width - filled)
    }] ${done}/${this.#total} ${this.#what}`;
    Deno.stderr.writeSync(
      encoder.encode(done >= this.#total ? `${bar}\n` : bar),
    );
  }
}
