/**
 * Python's regular expressions (the `re` module, on str) as JavaScript
 * ones, so that `--filter-param NAME REGEX` keeps the runs cox's
 * `re.match(REGEX, str(value))` keeps.
 *
 * The translation spells out what the dialects disagree on: `.` is "not
 * `\n`" (JS also stops at `\r`, U+2028, U+2029); `$` is "at the end or before
 * a final `\n`"; `^`, `\A`, `\Z`, `\b` and `\B` are written as lookarounds;
 * `\w`, `\d`, `\s` are Unicode classes as Python's are (JS's are ASCII);
 * `{,n}` is `{0,n}`; a `{` that starts no quantifier is a literal; `(?P<n>)`,
 * `(?P=n)`, `(?#...)`, `(?x)` verbose patterns and the flags `a i m s u x`
 * (global or scoped) are understood. What JavaScript cannot do (atomic
 * groups, possessive quantifiers, conditionals, `\N{...}` names) is
 * refused with an error saying so, as is what Python itself refuses.
 *
 * @module
 */

/** A Python pattern this translation cannot carry over, or that Python refuses. */
export class PythonRegexError extends SyntaxError {
  constructor(pattern: string, message: string) {
    super(
      `cannot use the Python regular expression ${
        JSON.stringify(pattern)
      }: ${message}`,
    );
    this.name = "PythonRegexError";
  }
}

interface Flags {
  ascii: boolean;
  ignoreCase: boolean;
  multiline: boolean;
  dotAll: boolean;
  verbose: boolean;
}

const WORD_U = String.raw`\p{L}\p{N}_`;
const WORD_A = String.raw`A-Za-z0-9_`;
const DIGIT_U = String.raw`\p{Nd}`;
const DIGIT_A = "0-9";
const SPACE_U = String
  .raw`\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000`;
const SPACE_A = String.raw`\t\n\v\f\r `;

/** JS regex syntax characters, escaped wherever they stand for themselves. */
const SYNTAX = new Set("^$\\.*+?()[]{}|/");

function escapeChar(ch: string, inClass = false): string {
  return SYNTAX.has(ch) || (inClass && ch === "-") ? `\\${ch}` : ch;
}

/** `\x{..}` of a code point, as JS writes it in a `u` pattern. */
function codePoint(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/** The translated pattern and the flags to build it with. */
export interface TranslatedRegex {
  source: string;
  flags: string;
}

/**
 * Translates a Python pattern for `re.match` (anchored at the start only):
 * build it with `new RegExp(source, flags)` and test with `lastIndex = 0`
 * (the flags include the sticky `y`). Throws {@link PythonRegexError}.
 */
export function translatePythonRegex(pattern: string): TranslatedRegex {
  return new Translator(pattern).run();
}

/** Compiles a Python pattern into a RegExp that matches where `re.match` does. */
export function compilePythonRegex(pattern: string): RegExp {
  const { source, flags } = translatePythonRegex(pattern);
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new PythonRegexError(pattern, (error as Error).message);
  }
}

/** Whether `re.match(pattern, text)` would match, with `re` compiled by {@link compilePythonRegex}. */
export function pythonMatch(re: RegExp, text: string): boolean {
  re.lastIndex = 0;
  return re.test(text);
}

class Translator {
  private i = 0;
  private readonly chars: string[];
  private groups = 0;
  private readonly names = new Set<string>();
  private flags: Flags = {
    ascii: false,
    ignoreCase: false,
    multiline: false,
    dotAll: false,
    verbose: false,
  };

  constructor(private readonly pattern: string) {
    this.chars = [...pattern];
  }

  private fail(message: string): never {
    throw new PythonRegexError(this.pattern, message);
  }

  private peek(k = 0): string | undefined {
    return this.chars[this.i + k];
  }

  run(): TranslatedRegex {
    this.globalFlags();
    const body = this.alternation(0);
    if (this.i < this.chars.length) this.fail("unbalanced parenthesis");
    return { source: body, flags: this.flags.ignoreCase ? "iuy" : "uy" };
  }

  /** Flags given at the very start (`(?i)`, `(?sx)`...), as Python 3.11 requires them. */
  private globalFlags(): void {
    for (;;) {
      const m = /^\(\?([aiLmsux]+)\)/.exec(this.chars.slice(this.i).join(""));
      if (!m) return;
      for (const f of m[1]) this.setFlag(this.flags, f, true);
      this.i += m[0].length;
    }
  }

  private setFlag(flags: Flags, f: string, on: boolean): void {
    switch (f) {
      case "a":
        flags.ascii = on;
        break;
      case "i":
        flags.ignoreCase = on;
        break;
      case "m":
        flags.multiline = on;
        break;
      case "s":
        flags.dotAll = on;
        break;
      case "x":
        flags.verbose = on;
        break;
      case "u":
        break;
      case "L":
        this.fail("the L (locale) flag is for bytes patterns only");
    }
  }

  /** `a|b|c` up to a `)` at `depth` > 0 or the end. */
  private alternation(depth: number): string {
    const branches = [this.sequence(depth)];
    while (this.peek() === "|") {
      this.i++;
      branches.push(this.sequence(depth));
    }
    return branches.join("|");
  }

  private skipVerbose(): void {
    if (!this.flags.verbose) return;
    for (;;) {
      const ch = this.peek();
      if (ch !== undefined && /\s/.test(ch)) this.i++;
      else if (ch === "#") {
        while (this.peek() !== undefined && this.peek() !== "\n") this.i++;
      } else return;
    }
  }

  private sequence(depth: number): string {
    let out = "";
    for (;;) {
      this.skipVerbose();
      const ch = this.peek();
      if (ch === undefined) {
        if (depth > 0) this.fail("missing ), unterminated subpattern");
        return out;
      }
      if (ch === "|") return out;
      if (ch === ")") {
        if (depth === 0) this.fail("unbalanced parenthesis");
        return out;
      }
      const atom = this.atom(depth);
      if (atom === null) continue; // a comment or flags group
      out += atom.text + (atom.quantifiable ? this.quantifier() : "");
    }
  }

  /** A quantifier after an atom (translated), or "". */
  private quantifier(): string {
    this.skipVerbose();
    const ch = this.peek();
    let q = "";
    if (ch === "*" || ch === "+" || ch === "?") {
      this.i++;
      q = ch;
    } else if (ch === "{") {
      const rest = this.chars.slice(this.i).join("");
      const m = /^\{(\d*)(?:(,)(\d*))?\}/.exec(rest);
      if (!m || (m[1] === "" && m[2] === undefined)) return ""; // a literal "{", read as an atom next
      const min = m[1] === "" ? "0" : m[1];
      if (m[3] !== "" && m[3] !== undefined && Number(m[3]) < Number(min)) {
        this.fail("min repeat greater than max repeat");
      }
      q = m[2] === undefined ? `{${min}}` : `{${min},${m[3] ?? ""}}`;
      this.i += [...m[0]].length;
    } else return "";
    this.skipVerbose();
    const next = this.peek();
    if (next === "?") {
      this.i++;
      q += "?";
    } else if (next === "+") {
      this.fail(
        "possessive quantifiers (*+, ++, ?+) have no JavaScript equivalent",
      );
    } else if (
      next === "*" ||
      next === "{" && /^\{\d*,?\d*\}/.test(this.chars.slice(this.i).join(""))
    ) {
      this.fail("multiple repeat");
    }
    return q;
  }

  private atom(depth: number): { text: string; quantifiable: boolean } | null {
    const ch = this.chars[this.i++];
    const f = this.flags;
    switch (ch) {
      case "*":
      case "+":
      case "?":
        this.fail(`nothing to repeat at position ${this.i - 1}`);
        break;
      case "{": {
        const rest = this.chars.slice(this.i - 1).join("");
        if (/^\{(\d+,?\d*|,\d*)\}/.test(rest) && !/^\{,\}/.test(rest)) {
          this.fail(`nothing to repeat at position ${this.i - 1}`);
        }
        return { text: "\\{", quantifiable: true };
      }
      case "}":
        return { text: "\\}", quantifiable: true };
      case ".":
        return { text: f.dotAll ? "[\\s\\S]" : "[^\\n]", quantifiable: true };
      case "^":
        return {
          text: f.multiline ? "(?:(?<![\\s\\S])|(?<=\\n))" : "(?<![\\s\\S])",
          quantifiable: false,
        };
      case "$":
        return {
          text: f.multiline ? "(?=\\n|(?![\\s\\S]))" : "(?=\\n?(?![\\s\\S]))",
          quantifiable: false,
        };
      case "[":
        return { text: this.charClass(), quantifiable: true };
      case "(":
        return this.group(depth);
      case "\\":
        return this.escape();
      default:
        return { text: escapeChar(ch), quantifiable: true };
    }
  }

  private group(depth: number): { text: string; quantifiable: boolean } | null {
    if (this.peek() !== "?") {
      this.groups++;
      return { text: `(${this.inner(depth)})`, quantifiable: true };
    }
    this.i++;
    const rest = this.chars.slice(this.i).join("");
    let m: RegExpExecArray | null;
    if (rest.startsWith(":")) {
      this.i++;
      return { text: `(?:${this.inner(depth)})`, quantifiable: true };
    }
    if ((m = /^P<([^>]*)>/.exec(rest))) {
      const name = m[1];
      if (!/^[\p{L}_][\p{L}\p{N}_]*$/u.test(name)) {
        this.fail(`bad character in group name ${JSON.stringify(name)}`);
      }
      if (this.names.has(name)) {
        this.fail(`redefinition of group name ${JSON.stringify(name)}`);
      }
      this.names.add(name);
      this.groups++;
      this.i += [...m[0]].length;
      return { text: `(?<${name}>${this.inner(depth)})`, quantifiable: true };
    }
    if ((m = /^P=([^)]*)\)/.exec(rest))) {
      if (!this.names.has(m[1])) {
        this.fail(`unknown group name ${JSON.stringify(m[1])}`);
      }
      this.i += [...m[0]].length;
      return { text: `\\k<${m[1]}>`, quantifiable: true };
    }
    if (rest.startsWith("#")) {
      const end = rest.indexOf(")");
      if (end < 0) this.fail("missing ), unterminated comment");
      this.i += [...rest.slice(0, end + 1)].length;
      return null;
    }
    for (const look of ["=", "!", "<=", "<!"]) {
      if (rest.startsWith(look)) {
        this.i += look.length;
        return { text: `(?${look}${this.inner(depth)})`, quantifiable: false };
      }
    }
    if (rest.startsWith("<")) {
      this.fail("Python's group syntax is (?P<name>...)");
    }
    if (rest.startsWith(">")) {
      this.fail("atomic groups (?>...) have no JavaScript equivalent");
    }
    if (rest.startsWith("(")) {
      this.fail(
        "conditional groups (?(id)yes|no) have no JavaScript equivalent",
      );
    }
    if ((m = /^([aiLmsux]*)(?:-([imsx]+))?(:|\))/.exec(rest))) {
      if (m[3] === ")") {
        this.fail("global flags not at the start of the expression");
      }
      if (m[1] === "" && m[2] === undefined) this.fail("missing flag");
      this.i += m[0].length;
      const saved = { ...this.flags };
      for (const fl of m[1]) this.setFlag(this.flags, fl, true);
      for (const fl of m[2] ?? "") this.setFlag(this.flags, fl, false);
      const caseOn = m[1].includes("i") && !saved.ignoreCase;
      const caseOff = (m[2] ?? "").includes("i") && saved.ignoreCase;
      const body = this.alternation(depth + 1);
      this.close();
      this.flags = saved;
      const mod = caseOn ? "(?i:" : caseOff ? "(?-i:" : "(?:";
      return { text: `${mod}${body})`, quantifiable: true };
    }
    this.fail(`unknown extension ?${rest.slice(0, 1)}`);
  }

  private inner(depth: number): string {
    const body = this.alternation(depth + 1);
    this.close();
    return body;
  }

  private close(): void {
    if (this.peek() !== ")") this.fail("missing ), unterminated subpattern");
    this.i++;
  }

  /** Shorthand classes as class contents: [text, negated]. */
  private shorthand(letter: string): [string, boolean] | null {
    const a = this.flags.ascii;
    switch (letter) {
      case "w":
        return [a ? WORD_A : WORD_U, false];
      case "W":
        return [a ? WORD_A : WORD_U, true];
      case "d":
        return [a ? DIGIT_A : DIGIT_U, false];
      case "D":
        return [a ? DIGIT_A : DIGIT_U, true];
      case "s":
        return [a ? SPACE_A : SPACE_U, false];
      case "S":
        return [a ? SPACE_A : SPACE_U, true];
    }
    return null;
  }

  /** A one-character escape (`\n`, `\x41`, `\u00e9`, octal, `\.`) as JS text, or null. */
  private charEscape(letter: string, inClass: boolean): string | null {
    const simple: Record<string, string> = {
      a: "\\x07",
      b: "\\x08", // only inside a class
      f: "\\f",
      n: "\\n",
      r: "\\r",
      t: "\\t",
      v: "\\v",
    };
    if (letter === "b" && !inClass) return null;
    if (Object.hasOwn(simple, letter)) return simple[letter];
    const hex = (n: number) => {
      const digits = this.chars.slice(this.i, this.i + n).join("");
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) {
        this.fail(`incomplete escape \\${letter}${digits}`);
      }
      this.i += n;
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff) this.fail(`bad escape \\${letter}${digits}`);
      return codePoint(cp);
    };
    if (letter === "x") return hex(2);
    if (letter === "u") return hex(4);
    if (letter === "U") return hex(8);
    if (letter === "N") {
      this.fail(
        "named characters \\N{...} are not supported; write the character itself",
      );
    }
    if (letter === "0" || (inClass && /[0-7]/.test(letter))) {
      let digits = letter;
      while (digits.length < 3 && /[0-7]/.test(this.peek() ?? "")) {
        digits += this.chars[this.i++];
      }
      return codePoint(parseInt(digits, 8));
    }
    if (/[A-Za-z0-9]/.test(letter)) return null;
    return escapeChar(letter, inClass);
  }

  private escape(): { text: string; quantifiable: boolean } {
    const letter = this.chars[this.i++];
    if (letter === undefined) this.fail("bad escape (end of pattern)");
    const a = this.flags.ascii;
    const word = `[${a ? WORD_A : WORD_U}]`;
    switch (letter) {
      case "A":
        return { text: "(?<![\\s\\S])", quantifiable: false };
      case "Z":
        return { text: "(?![\\s\\S])", quantifiable: false };
      case "b":
        return {
          text: `(?:(?<=${word})(?!${word})|(?<!${word})(?=${word}))`,
          quantifiable: false,
        };
      case "B":
        return {
          text: `(?:(?<=${word})(?=${word})|(?<!${word})(?!${word}))`,
          quantifiable: false,
        };
    }
    const sh = this.shorthand(letter);
    if (sh) {
      return { text: `[${sh[1] ? "^" : ""}${sh[0]}]`, quantifiable: true };
    }
    if (/[1-9]/.test(letter)) {
      const [d1 = "", d2 = ""] = [this.peek(), this.peek(1)];
      if (/^[0-7]{3}$/.test(letter + d1 + d2)) {
        // three octal digits: a character
        this.i += 2;
        const cp = parseInt(letter + d1 + d2, 8);
        if (cp > 0o377) {
          this.fail(
            `octal escape value \\${letter}${d1}${d2} outside of range 0-0o377`,
          );
        }
        return { text: codePoint(cp), quantifiable: true };
      }
      let digits = letter;
      if (/[0-9]/.test(d1)) {
        digits += d1;
        this.i++;
      }
      const n = Number(digits);
      if (n > this.groups) this.fail(`invalid group reference ${n}`);
      return { text: `(?:\\${n})`, quantifiable: true };
    }
    const text = this.charEscape(letter, false);
    if (text === null) this.fail(`bad escape \\${letter}`);
    return { text, quantifiable: true };
  }

  /** `[...]`, after the `[`. */
  private charClass(): string {
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.i++;
    }
    const items: string[] = []; // class contents
    const excluded: string[] = []; // negated shorthands (\W, \D, \S) inside the class
    let first = true;
    let prev: { text: string; cp: number } | null = null; // the last single character, for ranges
    for (;;) {
      const ch = this.chars[this.i++];
      if (ch === undefined) this.fail("unterminated character set");
      if (ch === "]" && !first) break;
      first = false;
      if (
        ch === "-" && prev !== null && this.peek() !== "]" &&
        this.peek() !== undefined
      ) {
        const start = prev;
        let end: { text: string; cp: number };
        const c = this.chars[this.i++];
        if (c === "\\") {
          const letter = this.chars[this.i++];
          if (letter === undefined) this.fail("unterminated character set");
          if (this.shorthand(letter)) {
            this.fail(
              `bad character range ${
                String.fromCodePoint(start.cp)
              }-\\${letter}`,
            );
          }
          const text = this.charEscape(letter, true);
          if (text === null) this.fail(`bad escape \\${letter}`);
          end = { text, cp: cpOf(text) };
        } else end = { text: escapeChar(c, true), cp: c.codePointAt(0)! };
        if (end.cp < start.cp) this.fail(`bad character range`);
        items.push(`-${end.text}`);
        prev = null;
        continue;
      }
      if (ch === "\\") {
        const letter = this.chars[this.i++];
        if (letter === undefined) this.fail("unterminated character set");
        const sh = this.shorthand(letter);
        if (sh) {
          if (sh[1]) excluded.push(sh[0]);
          else items.push(sh[0]);
          prev = null;
          continue;
        }
        const text = this.charEscape(letter, true);
        if (text === null) this.fail(`bad escape \\${letter}`);
        items.push(text);
        prev = { text, cp: cpOf(text) };
        continue;
      }
      const text = escapeChar(ch, true);
      items.push(text);
      prev = { text, cp: ch.codePointAt(0)! };
    }
    const set = items.length ? `[${items.join("")}]` : null;
    if (excluded.length === 0) {
      if (set === null) return negated ? "[\\s\\S]" : "[]";
      return negated ? `[^${items.join("")}]` : set;
    }
    const parts = [...(set ? [set] : []), ...excluded.map((e) => `[^${e}]`)];
    const any = parts.length === 1 ? parts[0] : `(?:${parts.join("|")})`;
    return negated ? `(?:(?!${any})[\\s\\S])` : any;
  }
}

/** The code point a translated single-character escape stands for. */
function cpOf(text: string): number {
  let m = /^\\u\{([0-9a-f]+)\}$/.exec(text);
  if (m) return parseInt(m[1], 16);
  const named: Record<string, number> = {
    "\\x07": 7,
    "\\x08": 8,
    "\\f": 12,
    "\\n": 10,
    "\\r": 13,
    "\\t": 9,
    "\\v": 11,
  };
  if (Object.hasOwn(named, text)) return named[text];
  m = /^\\(.)$/u.exec(text);
  return (m ? m[1] : text).codePointAt(0)!;
}
