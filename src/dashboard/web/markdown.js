// Markdown of text summaries, rendered as DOM nodes built from text: no HTML
// from a run is ever parsed. Supported: headings, paragraphs, lists, code
// blocks and spans, **bold**, *italic*, [links](http://...) (shown with
// their address, not followed automatically).

import { h } from "./dom.js";

function inline(text) {
  const out = [];
  const re =
    /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*]+\*|_[^_]+_)|(\[[^\]]+\]\([^)\s]+\))/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const s = m[0];
    if (m[1]) out.push(h("code", {}, s.slice(1, -1)));
    else if (m[2]) out.push(h("strong", {}, s.slice(2, -2)));
    else if (m[3]) out.push(h("em", {}, s.slice(1, -1)));
    else {
      const [, label, href] = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(s);
      const safe = /^https?:\/\//i.test(href);
      out.push(
        safe
          ? h("a", {
            href,
            rel: "noopener noreferrer nofollow",
            target: "_blank",
            referrerPolicy: "no-referrer",
          }, label)
          : `${label} (${href})`,
      );
    }
    last = m.index + s.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Renders markdown `text` into a new element. */
export function renderMarkdown(text) {
  const root = h("div", { class: "markdown" });
  const lines = String(text).split(/\r?\n/);
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      const body = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i])) body.push(lines[i++]);
      i++;
      root.append(h("pre", {}, h("code", {}, body.join("\n"))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      root.append(
        h(`h${Math.min(6, heading[1].length + 2)}`, {}, ...inline(heading[2])),
      );
      i++;
      continue;
    }
    if (/^\s*([-*+]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const list = h(ordered ? "ol" : "ul");
      while (i < lines.length && /^\s*([-*+]|\d+\.)\s+/.test(lines[i])) {
        list.append(
          h("li", {}, ...inline(lines[i].replace(/^\s*([-*+]|\d+\.)\s+/, ""))),
        );
        i++;
      }
      root.append(list);
      continue;
    }
    if (line.trim() === "") {
      i++;
      continue;
    }
    const para = [];
    while (
      i < lines.length && lines[i].trim() !== "" &&
      !/^(#{1,6}\s|```|\s*([-*+]|\d+\.)\s)/.test(lines[i])
    ) {
      para.push(lines[i++]);
    }
    root.append(h("p", {}, ...inline(para.join(" "))));
  }
  return root;
}
