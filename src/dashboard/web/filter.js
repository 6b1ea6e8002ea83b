// Typed filter expressions over the runs table:
//   lr < 1e-3 and opt == "adam" or exp_id ~ "^ab"
// Comparisons: == != < <= > >= (numbers or text), ~ !~ (a regular
// expression searched in the text); combined with and/or/not (&& || !) and
// parentheses. A column is a name (letters, digits, _ . / :) or `quoted`.
// Types are checked against the columns before anything is filtered.

const TOKEN =
  /\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(`[^`]*`|[A-Za-z_][\w./:]*)|(==|!=|<=|>=|!~|&&|\|\||[<>~()!-]))/y;

function tokenize(src) {
  const out = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (m === null) {
      throw new SyntaxError(
        `unexpected ${JSON.stringify(src.slice(pos).trim()[0])} at ${pos + 1}`,
      );
    }
    const at = pos + (m[0].length - m[0].trimStart().length);
    pos = TOKEN.lastIndex;
    if (m[1] !== undefined) out.push({ t: "num", v: Number(m[1]), at });
    else if (m[2] !== undefined) {
      const body = m[2].slice(1, -1).replace(/\\(.)/g, "$1");
      out.push({ t: "str", v: body, at });
    } else if (m[3] !== undefined) {
      const w = m[3];
      const lower = w.toLowerCase();
      if (w.startsWith("`")) out.push({ t: "id", v: w.slice(1, -1), at });
      else if (lower === "and" || lower === "or" || lower === "not") {
        out.push({ t: "op", v: lower, at });
      } else if (lower === "true" || lower === "false") {
        out.push({ t: "bool", v: lower === "true", at });
      } else if (lower === "inf" || lower === "nan") {
        out.push({ t: "num", v: lower === "inf" ? Infinity : NaN, at });
      } else out.push({ t: "id", v: w, at });
    } else {
      const op = m[4] === "&&"
        ? "and"
        : m[4] === "||"
        ? "or"
        : m[4] === "!"
        ? "not"
        : m[4];
      out.push({ t: "op", v: op, at });
    }
  }
  return out;
}

/**
 * Compiles a filter.
 * @param {string} src the expression ("" keeps every run)
 * @param {(name: string) => ({type: "number"|"string"|"bool", get: (run: unknown) => unknown} | null)} resolve
 * @param {string[]} names column names, for the error message
 * @returns {(run: unknown) => boolean}
 */
export function compileFilter(src, resolve, names = []) {
  const tokens = tokenize(src);
  if (tokens.length === 0) return () => true;
  let i = 0;
  const peek = () => tokens[i];
  const fail = (msg, tok = peek()) => {
    throw new SyntaxError(
      tok ? `${msg} at ${tok.at + 1}` : `${msg} at the end`,
    );
  };
  const isOp = (v) => peek()?.t === "op" && peek().v === v;

  function or() {
    let left = and();
    while (isOp("or")) {
      i++;
      const a = left, b = and();
      left = (r) => a(r) || b(r);
    }
    return left;
  }
  function and() {
    let left = unary();
    while (isOp("and")) {
      i++;
      const a = left, b = unary();
      left = (r) => a(r) && b(r);
    }
    return left;
  }
  function unary() {
    if (isOp("not")) {
      i++;
      const a = unary();
      return (r) => !a(r);
    }
    if (isOp("(")) {
      i++;
      const inner = or();
      if (!isOp(")")) fail("expected )");
      i++;
      return inner;
    }
    return comparison();
  }
  function literal() {
    let tok = peek();
    let sign = 1;
    if (tok?.t === "op" && tok.v === "-") {
      i++;
      sign = -1;
      tok = peek();
      if (tok?.t !== "num") fail("expected a number after -");
    }
    if (tok === undefined || !["num", "str", "bool"].includes(tok.t)) {
      fail('expected a number, a "string", true or false');
    }
    i++;
    return tok.t === "num" ? { t: "num", v: sign * tok.v } : tok;
  }
  function comparison() {
    const tok = peek();
    if (tok?.t !== "id") fail("expected a column name");
    i++;
    const column = resolve(tok.v);
    if (column === null) {
      const near = names.filter((n) =>
        n.toLowerCase().includes(tok.v.toLowerCase())
      ).slice(0, 8);
      throw new SyntaxError(
        `no column ${JSON.stringify(tok.v)}` +
          (near.length ? `; did you mean ${near.join(", ")}?` : ""),
      );
    }
    const opTok = peek();
    if (
      opTok?.t !== "op" ||
      !["==", "!=", "<", "<=", ">", ">=", "~", "!~"].includes(opTok.v)
    ) {
      fail(`expected a comparison (== != < <= > >= ~ !~) after ${tok.v}`);
    }
    i++;
    const op = opTok.v;
    const lit = literal();
    const get = column.get;
    if (op === "~" || op === "!~") {
      if (lit.t !== "str") fail(`${op} takes a "regular expression"`, opTok);
      let re;
      try {
        re = new RegExp(lit.v);
      } catch (e) {
        throw new SyntaxError(`bad regular expression: ${e.message}`);
      }
      return (r) => {
        const v = get(r);
        if (v === null || v === undefined) return false;
        return re.test(String(v)) === (op === "~");
      };
    }
    if (column.type === "number") {
      if (lit.t !== "num" && lit.t !== "bool") {
        fail(`${tok.v} is a number column: compare it with a number`, opTok);
      }
      const c = Number(lit.v);
      const cmp = {
        "==": (a) => a === c,
        "!=": (a) => a !== c,
        "<": (a) => a < c,
        "<=": (a) => a <= c,
        ">": (a) => a > c,
        ">=": (a) => a >= c,
      }[op];
      return (r) => {
        const v = get(r);
        if (v === null || v === undefined) return false;
        const n = typeof v === "number"
          ? v
          : typeof v === "boolean"
          ? Number(v)
          : Number(v);
        return cmp(n);
      };
    }
    if (column.type === "bool") {
      if (lit.t !== "bool" || (op !== "==" && op !== "!=")) {
        fail(`${tok.v} is a true/false column: use == true or == false`, opTok);
      }
      return (r) => {
        const v = get(r);
        if (v === null || v === undefined) return false;
        return (Boolean(v) === lit.v) === (op === "==");
      };
    }
    if (lit.t !== "str") {
      fail(`${tok.v} is a text column: compare it with a "string"`, opTok);
    }
    const c = lit.v;
    const cmp = {
      "==": (a) => a === c,
      "!=": (a) => a !== c,
      "<": (a) => a < c,
      "<=": (a) => a <= c,
      ">": (a) => a > c,
      ">=": (a) => a >= c,
    }[op];
    return (r) => {
      const v = get(r);
      if (v === null || v === undefined) return false;
      return cmp(String(v));
    };
  }
  const f = or();
  if (i < tokens.length) fail("unexpected text");
  return f;
}
