/**
 * The page's files, compiled into the program as text (so they are served
 * from memory, work when cox is run from a URL, and nothing is read from
 * disk to answer a request).
 *
 * @module
 */

import indexHtml from "./web/index.html" with { type: "text" };
import styleCss from "./web/style.css" with { type: "text" };
import appJs from "./web/app.js" with { type: "text" };
import apiJs from "./web/api.js" with { type: "text" };
import chartJs from "./web/chart.js" with { type: "text" };
import domJs from "./web/dom.js" with { type: "text" };
import filterJs from "./web/filter.js" with { type: "text" };
import groupJs from "./web/group.js" with { type: "text" };
import markdownJs from "./web/markdown.js" with { type: "text" };
import parcoordsJs from "./web/parcoords.js" with { type: "text" };
import runViewJs from "./web/run_view.js" with { type: "text" };
import scatterJs from "./web/scatter.js" with { type: "text" };
import smoothJs from "./web/smooth.js" with { type: "text" };
import tableJs from "./web/table.js" with { type: "text" };

/** A served file. */
export interface Asset {
  body: string;
  type: string;
}

const JS = "text/javascript; charset=utf-8";

/** The page's files by URL path. */
export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ["/index.html", { body: indexHtml, type: "text/html; charset=utf-8" }],
  ["/static/style.css", { body: styleCss, type: "text/css; charset=utf-8" }],
  ["/static/app.js", { body: appJs, type: JS }],
  ["/static/api.js", { body: apiJs, type: JS }],
  ["/static/chart.js", { body: chartJs, type: JS }],
  ["/static/dom.js", { body: domJs, type: JS }],
  ["/static/filter.js", { body: filterJs, type: JS }],
  ["/static/group.js", { body: groupJs, type: JS }],
  ["/static/markdown.js", { body: markdownJs, type: JS }],
  ["/static/parcoords.js", { body: parcoordsJs, type: JS }],
  ["/static/run_view.js", { body: runViewJs, type: JS }],
  ["/static/scatter.js", { body: scatterJs, type: JS }],
  ["/static/smooth.js", { body: smoothJs, type: JS }],
  ["/static/table.js", { body: tableJs, type: JS }],
]);
