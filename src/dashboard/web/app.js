// The dashboard page: the runs table, the charts, the comparison views and
// the one-run view, kept up to date by a long poll: the server answers as
// soon as a run changed, with the runs changed since the version held.

import { fetchSeriesBatch, getJson } from "./api.js";
import { LineChart } from "./chart.js";
import { colorOf, download, formatNumber, h, PALETTE } from "./dom.js";
import { compileFilter } from "./filter.js";
import { aggregate } from "./group.js";
import { ParallelCoordinates } from "./parcoords.js";
import { showRun } from "./run_view.js";
import { Scatter } from "./scatter.js";
import { smooth } from "./smooth.js";
import { VirtualTable } from "./table.js";

/** Pause before asking again after the server could not be reached. */
const POLL_MS = 1000;
/** How long the server may hold a poll when nothing changed. */
const WAIT_MS = 20_000;
/** Points one chart holds at most (about): see columnsFor. */
const POINTS_PER_CHART = 200_000;
/** Pixel columns a run keeps however many runs share a chart. */
const MIN_COLUMNS = 64;
const MAX_LINES = 2000;

const state = {
  version: -1,
  loading: true,
  /** Runs the sweep holds, read or not yet read by the server (charts are sized by it). */
  total: 0,
  metadataTable: "metadata",
  columns: [], // [{name, kind}]
  series: [], // [{key, xs}]
  runs: new Map(), // id -> run
  selected: new Set(),
  filterText: "",
  filter: () => true,
  brushes: new Map(),
  sort: { key: "exp_id", dir: 1 },
  showAll: false,
  table: "",
  best: "min",
  x: "step",
  smoothing: { mode: "ema", weight: 0.6, window: 10 },
  logX: false,
  logY: false,
  groupBy: "",
  band: "minmax",
  seriesFilter: "",
  data: new Map(), // key -> {x, width, logX, runs: Map id -> {total, xs, ys}}
  drawn: new Map(), // key -> lines drawn (for tests)
  charts: new Map(), // key -> {card, canvas, chart, visible}
  tab: "runs",
  openRun: null,
};

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------ columns

function labelOf(key) {
  if (key.startsWith("t:")) {
    const rest = key.slice(2);
    const slash = rest.indexOf("/");
    return rest.slice(0, slash) === state.table ? rest.slice(slash + 1) : rest;
  }
  return key.slice(2);
}

function tableOf(key) {
  return key.startsWith("t:") ? key.slice(2, key.indexOf("/", 2)) : null;
}

/** Series whose figures the runs table shows: the chosen table's columns and every scalar tag. */
function statSeries() {
  return state.series.filter((s) =>
    s.key.startsWith("s:") || tableOf(s.key) === state.table
  );
}

const STATS = { n: 0, last: 1, min: 2, max: 3 };

function statGetter(key, stat) {
  if (stat === "best") {
    return (r) => r.stats[key]?.[state.best === "min" ? 4 : 5] ?? null;
  }
  const i = STATS[stat];
  return (r) => r.stats[key]?.[i] ?? null;
}

function metaGetter(name) {
  return (r) => (r.meta === null ? null : r.meta[name] ?? null);
}

function varies(name) {
  let first;
  let seen = false;
  for (const r of state.runs.values()) {
    const v = r.meta === null ? null : r.meta[name];
    if (!seen) {
      first = v;
      seen = true;
    } else if (v !== first) return true;
  }
  return false;
}

function tableColumns() {
  const cols = [
    { key: "name", label: "run", width: 260, get: (r) => r.name },
  ];
  for (const c of state.columns) {
    if (!state.showAll && state.runs.size > 1 && !varies(c.name)) continue;
    const numeric = c.kind === "int" || c.kind === "float";
    cols.push({
      key: `m:${c.name}`,
      label: c.name,
      width: numeric ? 90 : 120,
      numeric,
      get: metaGetter(c.name),
    });
  }
  if (state.showAll) {
    cols.push({ key: "exp_id", label: "exp_id", width: 260, get: (r) => r.id });
  }
  for (const s of statSeries()) {
    const l = labelOf(s.key);
    for (const stat of ["last", "min", "max", "best"]) {
      const what = stat === "best"
        ? `${
          state.x === "wall" || state.x === "relative" ? "step" : "x"
        } of ${state.best}`
        : stat;
      cols.push({
        key: `${stat}:${s.key}`,
        label: `${l} ${stat === "best" ? `@${state.best}` : stat}`,
        title: `${l}: ${what}`,
        width: 92,
        numeric: true,
        get: statGetter(s.key, stat),
      });
    }
  }
  return cols;
}

/** Every name a filter expression may use, with its type. */
function resolver() {
  const names = new Map();
  names.set("exp_id", { type: "string", get: (r) => r.id });
  names.set("name", { type: "string", get: (r) => r.name });
  names.set("broken", { type: "bool", get: (r) => r.broken !== null });
  for (const c of state.columns) {
    const type = c.kind === "int" || c.kind === "float"
      ? "number"
      : c.kind === "bool"
      ? "bool"
      : "string";
    names.set(c.name, { type, get: metaGetter(c.name) });
  }
  for (const s of state.series) {
    for (const stat of ["last", "min", "max", "best", "n"]) {
      const get = statGetter(s.key, stat);
      const full = s.key.slice(2);
      if (!names.has(`${full}.${stat}`)) {
        names.set(`${full}.${stat}`, { type: "number", get });
      }
      const short = labelOf(s.key);
      if (!names.has(`${short}.${stat}`)) {
        names.set(`${short}.${stat}`, { type: "number", get });
      }
    }
  }
  return names;
}

// ------------------------------------------------------------ filtering

function applyFilterText(text) {
  state.filterText = text;
  const names = resolver();
  try {
    state.filter = compileFilter(text, (n) => names.get(n) ?? null, [
      ...names.keys(),
    ]);
    $("filter-error").textContent = "";
    $("filter").classList.remove("bad");
  } catch (e) {
    $("filter-error").textContent = e.message;
    $("filter").classList.add("bad");
  }
}

let pcAxes = [];

function passes(run) {
  return state.filter(run) &&
    ParallelCoordinates.passes(pcAxes, state.brushes, run);
}

function compareValues(a, b) {
  const an = a === null || a === undefined, bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function visibleRuns() {
  const runs = [...state.runs.values()].filter(passes);
  const col = tableColumns().find((c) => c.key === state.sort.key);
  const get = col?.get ?? ((r) => r.id);
  const dir = state.sort.dir;
  runs.sort((a, b) => {
    const c = compareValues(get(a), get(b));
    // missing values last whichever the direction
    const an = get(a) === null || get(a) === undefined,
      bn = get(b) === null || get(b) === undefined;
    if (an !== bn) return an ? 1 : -1;
    return c * dir || (a.id < b.id ? -1 : 1);
  });
  return runs;
}

/** The runs the charts show: the selected ones that pass the filters, else every run that does. */
function chartedRuns() {
  const shown = [...state.runs.values()].filter(passes);
  const chosen = shown.filter((r) => state.selected.has(r.id));
  return (chosen.length > 0 ? chosen : shown).slice(0, MAX_LINES);
}

// ------------------------------------------------------------ table

let table;

function renderTable() {
  const rows = visibleRuns();
  table.set(tableColumns(), rows, state.sort);
  $("count").textContent = `${rows.length} of ${state.runs.size} runs` +
    (state.selected.size ? `, ${state.selected.size} selected` : "");
  globalThis.__cox.tableRows = rows.map((r) => r.id);
}

function exportCsv() {
  const cols = [
    { key: "exp_id", label: "exp_id", get: (r) => r.id },
    ...tableColumns().map((c) =>
      c.key === "name" ? { ...c, label: "name" } : c
    ),
  ];
  const seen = new Set();
  const unique = cols.filter((
    c,
  ) => (seen.has(c.label) ? false : seen.add(c.label)));
  const q = (v) => {
    if (v === null || v === undefined) return "";
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [unique.map((c) => q(c.label)).join(",")];
  for (const r of visibleRuns()) {
    lines.push(unique.map((c) => q(c.get(r))).join(","));
  }
  download(
    "runs.csv",
    new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" }),
  );
}

// ------------------------------------------------------------ charts

function xFor(key) {
  const s = state.series.find((t) => t.key === key);
  if (key.startsWith("s:")) {
    return ["step", "wall", "relative"].includes(state.x) ? state.x : "step";
  }
  return s?.xs.includes(state.x) ? state.x : "index";
}

function chartWidth() {
  const any = state.charts.values().next().value;
  return Math.max(200, Math.round(any?.canvas.clientWidth || 500));
}

/**
 * Pixel columns the server downsamples each run to: the chart's width, fewer
 * when many runs share the chart, so that one chart holds about
 * POINTS_PER_CHART points (1,000 overlapping lines show no more detail than
 * 100 columns each, and drawing and fetching cost grows with the points).
 */
function columnsFor(runCount) {
  const budget = Math.floor(POINTS_PER_CHART / (2 * Math.max(1, runCount)));
  return Math.max(MIN_COLUMNS, Math.min(chartWidth(), budget));
}

/** The points held for chart `key`, made anew when its x axis changed. */
function entryFor(key) {
  const x = xFor(key);
  let entry = state.data.get(key);
  if (entry === undefined || entry.x !== x || entry.logX !== state.logX) {
    entry = {
      x,
      logX: state.logX,
      // sized for every run of the sweep (and the filter's charted runs), not
      // only those read so far: while the server still reads, a chart made for
      // the first runs would fetch and draw every later run at full width
      width: columnsFor(Math.max(chartedRuns().length, state.total)),
      runs: new Map(),
    };
    state.data.set(key, entry);
  }
  return entry;
}

/**
 * Brings the points of charts `keys` up to date in one request: for each
 * charted run, every point of a run not held yet, and only the points added
 * since the last fetch of a run held (its count in the run's figures says
 * how many the server has). Returns the keys whose points changed.
 */
async function syncData(keys) {
  const requests = [];
  const runs = chartedRuns();
  for (const key of keys) {
    const entry = entryFor(key);
    const want = [];
    for (const r of runs) {
      const n = r.stats[key]?.[0];
      if (n === undefined) continue;
      const held = entry.runs.get(r.id);
      if (held !== undefined && held.total > n) entry.runs.delete(r.id); // rewritten
      const from = entry.runs.get(r.id)?.total ?? -1;
      if (from < 0) want.push([r.id, 0]);
      else if (from !== n) want.push([r.id, from]);
    }
    if (want.length > 0) {
      requests.push({
        key,
        x: entry.x,
        width: entry.width,
        logX: entry.logX,
        runs: want,
        entry,
      });
    }
  }
  const changed = new Set();
  if (requests.length === 0) return changed;
  const answers = await fetchSeriesBatch(requests);
  answers.forEach((got, i) => {
    const { key, entry } = requests[i];
    if (state.data.get(key) !== entry) return; // the axis changed meanwhile
    for (const p of got) {
      const held = entry.runs.get(p.id);
      if (held === undefined) {
        if (p.from === 0) {
          entry.runs.set(p.id, { total: p.total, xs: p.x, ys: p.y });
          changed.add(key);
        }
        continue;
      }
      if (p.from !== held.total) {
        entry.runs.delete(p.id); // rewritten: fetched again on the next sync
        continue;
      }
      if (p.total === held.total) continue;
      held.xs = concat(held.xs, p.x);
      held.ys = concat(held.ys, p.y);
      held.total = p.total;
      held.smoothed = undefined;
      changed.add(key);
    }
  });
  return changed;
}

function concat(a, b) {
  if (b.length === 0) return a;
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A run's smoothed values, kept until its points or the smoothing change. */
function smoothedOf(d) {
  const how =
    `${state.smoothing.mode}:${state.smoothing.weight}:${state.smoothing.window}`;
  if (d.smoothed === undefined || d.smoothedBy !== how) {
    d.smoothed = smooth(d.ys, state.smoothing);
    d.smoothedBy = how;
  }
  return d.smoothed;
}

function groupKey(run) {
  if (!state.groupBy) return "";
  const v = run.meta === null ? null : run.meta[state.groupBy];
  return v === null || v === undefined ? "(none)" : String(v);
}

/** Draws chart `key` from the points held; returns whether every charted run was drawn with every point. */
function drawChart(key) {
  const c = state.charts.get(key);
  if (c === undefined) return true;
  const runs = chartedRuns().filter((r) => r.stats[key] !== undefined);
  const entry = entryFor(key);
  const lines = [];
  const bands = [];
  const drawn = [];
  const smoothed = new Map();
  let complete = true;
  for (const r of runs) {
    const d = entry.runs.get(r.id);
    if (d === undefined || d.total !== r.stats[key][0]) complete = false;
    if (d === undefined) continue;
    smoothed.set(r.id, { xs: d.xs, ys: smoothedOf(d), raw: d.ys });
  }
  if (state.groupBy) {
    const groups = new Map();
    for (const r of runs) {
      const s = smoothed.get(r.id);
      if (s === undefined) continue;
      const g = groupKey(r);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push({ x: s.xs, y: s.ys });
    }
    let k = 0;
    for (
      const [g, members] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))
    ) {
      const agg = aggregate(members, 200, state.logX, state.band);
      const color = PALETTE[k++ % PALETTE.length];
      if (agg === null) continue;
      bands.push({ color, x: agg.x, lo: agg.lo, hi: agg.hi });
      lines.push({
        label: `${state.groupBy} = ${g} (${members.length} runs)`,
        color,
        x: agg.x,
        y: agg.mean,
        width: 2,
      });
    }
  } else {
    for (const r of runs) {
      const s = smoothed.get(r.id);
      if (s === undefined) continue;
      // the raw curve behind the smoothed one, when few runs are drawn
      if (runs.length <= 20 && s.ys !== s.raw) {
        lines.push({
          label: r.name,
          color: "rgba(0,0,0,0.08)",
          x: s.xs,
          y: s.raw,
          faint: true,
          id: r.id,
        });
      }
      lines.push({
        label: r.name,
        color: colorOf(r.id),
        x: s.xs,
        y: s.ys,
        id: r.id,
      });
      drawn.push(r.id);
    }
  }
  c.chart.draw({ lines, bands, logX: state.logX, logY: state.logY });
  c.lines = lines.filter((l) => !l.faint);
  state.drawn.set(key, { runs: drawn, smoothed });
  return complete;
}

function makeChartCard(key) {
  const canvas = h("canvas", { class: "chart" });
  const chart = new LineChart(canvas);
  const title = labelOf(key);
  const card = h(
    "div",
    { class: "card", dataset: { key } },
    h(
      "div",
      { class: "card-head" },
      h(
        "span",
        { class: "card-title", title: key },
        (key.startsWith("s:") ? "tag " : `${tableOf(key)} · `) + title,
      ),
      h("button", {
        class: "small",
        title: "save this chart as PNG",
        onclick: () =>
          canvas.toBlob(
            (b) => download(`${title.replace(/[^\w.-]+/g, "_")}.png`, b),
            "image/png",
          ),
      }, "PNG"),
    ),
    canvas,
  );
  const entry = { card, canvas, chart, visible: false, lines: [] };
  canvas.addEventListener("mousemove", (e) => hover(entry, e));
  canvas.addEventListener("mouseleave", () => ($("tooltip").hidden = true));
  return entry;
}

function hover(entry, e) {
  const rect = entry.canvas.getBoundingClientRect();
  const saved = entry.chart.spec;
  entry.chart.spec = { ...saved, lines: entry.lines ?? [] };
  const hit = entry.chart.nearest(e.clientX - rect.left, e.clientY - rect.top);
  entry.chart.spec = saved;
  const tip = $("tooltip");
  if (hit === null) {
    tip.hidden = true;
    return;
  }
  tip.replaceChildren(
    h("div", { class: "tip-name" }, hit.line.label),
    h("div", {}, `x ${formatNumber(hit.x)}   y ${formatNumber(hit.y)}`),
  );
  tip.style.left = `${e.clientX + 14}px`;
  tip.style.top = `${e.clientY + 10}px`;
  tip.hidden = false;
}

/** Whether the observer told which charts are in view at least once. */
let observed = false;
const observer = new IntersectionObserver((entries) => {
  observed = true;
  for (const e of entries) {
    const key = e.target.dataset.key;
    const c = state.charts.get(key);
    if (c === undefined) continue;
    const was = c.visible;
    c.visible = e.isIntersecting;
    if (c.visible && !was) schedule(key);
  }
}, { rootMargin: "200px" });

// Drawing: one loop brings the charts in view up to date. Each turn fetches
// the points they lack in one request, then draws the charts whose points
// changed or that were asked to redraw (a filter, the smoothing). While the
// server still reads the sweep, turns are at least LOADING_DRAW_MS apart, so
// runs arriving in many small batches cost a few redraws, not one per batch.
const LOADING_DRAW_MS = 250;
/** Charts to draw at the next turn even if their points did not change. */
const redraw = new Set();
let pendingSync = false;
let drawing = null;
let lastTurn = -Infinity;
/** Ends the drawing loop's pause between turns while the server reads the sweep. */
let wakeDrawing = null;

const nextFrame = () =>
  new Promise((resolve) => requestAnimationFrame(() => resolve()));
/** `performance.now()` once the frame after this one is painted. */
const afterPaint = () =>
  new Promise((resolve) =>
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now())))
  );

/** Asks for a turn of the drawing loop: `keys` redrawn, and the points of every chart in view synced. */
function kick(keys = []) {
  for (const k of keys) redraw.add(k);
  pendingSync = true;
  drawing ??= drawLoop().finally(() => {
    drawing = null;
  });
}

async function drawLoop() {
  while (pendingSync || redraw.size > 0) {
    await nextFrame();
    if (state.loading) {
      const wait = lastTurn + LOADING_DRAW_MS - performance.now();
      // cut short when the server says the sweep is read: the last turn
      // draws every run, and waits for nothing
      if (wait > 0) {
        await new Promise((r) => {
          wakeDrawing = r;
          setTimeout(r, wait);
        });
        wakeDrawing = null;
      }
    }
    lastTurn = performance.now();
    pendingSync = false;
    const keys = [...state.charts].filter(([, c]) => c.visible).map(([k]) => k);
    let changed = new Set();
    let synced = true;
    try {
      changed = await syncData(keys);
    } catch (e) {
      console.warn(`charts: ${e.message}`);
      synced = false;
    }
    // charts whose visibility is not known yet are not drawn yet
    let complete = synced && !state.loading && !pendingSync &&
      (observed || state.charts.size === 0);
    let drew = 0;
    for (const key of keys) {
      if (!changed.has(key) && !redraw.has(key) && state.drawn.has(key)) {
        complete &&= state.drawn.get(key).complete;
        continue;
      }
      try {
        const done = drawChart(key);
        const drawn = state.drawn.get(key);
        if (drawn !== undefined) drawn.complete = done;
        complete &&= done;
        drew++;
      } catch (e) {
        console.warn(`chart ${key}: ${e.message}`);
      }
    }
    redraw.clear();
    globalThis.__cox.chartsDrawn += drew;
    markDrawn(keys, complete);
  }
}

/** Marks (for the benchmark and tests) the first charts drawn, and every run drawn once the server read them all. */
function markDrawn(keys, complete) {
  const cox = globalThis.__cox;
  const some = keys.some((k) => (state.drawn.get(k)?.runs.length ?? 0) > 0);
  if (cox.firstChartsAt === null && some && !cox.firstChartsPending) {
    cox.firstChartsPending = true;
    afterPaint().then((t) => {
      cox.firstChartsAt = t;
      document.body.dataset.charts = "drawn";
    });
  }
  if (complete && cox.loadedAt === null && !cox.loadedPending) {
    cox.loadedPending = true;
    afterPaint().then((t) => {
      cox.loadedAt = t;
      document.body.dataset.loaded = "yes";
    });
  }
}

function schedule(key) {
  kick([key]);
}

function redrawCharts() {
  kick([...state.charts].filter(([, c]) => c.visible).map(([k]) => k));
}

function renderChartList() {
  const box = $("charts");
  let re = null;
  try {
    re = state.seriesFilter ? new RegExp(state.seriesFilter, "i") : null;
  } catch {
    re = null;
  }
  const keys = state.series.map((s) => s.key).filter((k) =>
    re === null || re.test(k.slice(2))
  );
  for (const key of keys) {
    if (!state.charts.has(key)) {
      const c = makeChartCard(key);
      state.charts.set(key, c);
      observer.observe(c.card);
    }
  }
  box.replaceChildren(...keys.map((k) => state.charts.get(k).card));
  if (keys.length === 0) {
    box.replaceChildren(
      h("p", { class: "muted" }, "No scalar series in these runs."),
    );
  }
}

// ------------------------------------------------------------ compare

let parcoords, scatter;

function metricOptions() {
  const out = [];
  for (const s of state.series) {
    for (const stat of ["last", "min", "max"]) {
      out.push({
        value: `${stat}:${s.key}`,
        label: `${s.key.slice(2)} ${stat}`,
      });
    }
  }
  return out;
}

function getterFor(value) {
  if (value.startsWith("m:")) return metaGetter(value.slice(2));
  const i = value.indexOf(":");
  return statGetter(value.slice(i + 1), value.slice(0, i));
}

function fillSelect(select, options, keep) {
  const old = keep ?? select.value;
  select.replaceChildren(
    ...options.map((o) => h("option", { value: o.value }, o.label)),
  );
  if (options.some((o) => o.value === old)) select.value = old;
}

/** The metric shown first: the last value of the chosen table's first float column (else of any series). */
function defaultMetric() {
  const floats = statSeries().filter((s) =>
    s.key.startsWith("t:") &&
    !s.xs.includes(s.key.slice(s.key.indexOf("/") + 1))
  );
  const s = floats[0] ?? state.series[0];
  return s === undefined ? undefined : `last:${s.key}`;
}

function renderCompare() {
  const metaOpts = state.columns.map((c) => ({
    value: `m:${c.name}`,
    label: c.name,
  }));
  const metrics = metricOptions();
  const metric0 = defaultMetric();
  fillSelect($("pc-metric"), metrics, $("pc-metric").value || metric0);
  const numericMeta = state.columns.filter((c) =>
    c.kind === "int" || c.kind === "float"
  ).map((c) => `m:${c.name}`);
  fillSelect(
    $("sc-x"),
    [...metaOpts, ...metrics],
    $("sc-x").value || numericMeta[0],
  );
  fillSelect($("sc-y"), metrics, $("sc-y").value || metric0);
  const all = [...state.runs.values()];
  const axes = state.columns.filter((c) =>
    varies(c.name) || state.columns.length <= 2
  )
    .map((c) => ({
      key: `m:${c.name}`,
      label: c.name,
      get: metaGetter(c.name),
    }));
  const metric = $("pc-metric").value;
  if (metric) {
    axes.push({
      key: metric,
      label: metrics.find((m) => m.value === metric)?.label ?? metric,
      get: getterFor(metric),
    });
  }
  parcoords.draw(
    axes,
    all,
    (r) =>
      state.filter(r) &&
      ParallelCoordinates.passes(parcoords.axes, state.brushes, r),
    state.brushes,
    (r) => colorOf(r.id),
  );
  pcAxes = parcoords.axes;
  const shown = all.filter(passes);
  if ($("sc-x").value && $("sc-y").value) {
    scatter.draw(
      shown,
      getterFor($("sc-x").value),
      getterFor($("sc-y").value),
      (r) => colorOf(r.id),
      (r) => r.name,
    );
  }
  renderDiff();
}

function renderDiff() {
  const picked = [...state.selected].map((id) => state.runs.get(id)).filter(
    Boolean,
  ).slice(0, 30);
  const box = $("diff");
  if (picked.length === 0) {
    box.replaceChildren(
      h(
        "p",
        { class: "muted" },
        "Select runs in the table (checkboxes) to compare their metadata side by side.",
      ),
    );
    return;
  }
  const onlyDiff = $("diff-only").checked;
  const head = h(
    "tr",
    {},
    h("th", {}, "column"),
    ...picked.map((r) => h("th", { title: r.id }, r.name)),
  );
  const rows = [];
  for (const c of state.columns) {
    const values = picked.map((
      r,
    ) => (r.meta === null ? null : r.meta[c.name] ?? null));
    const differs = values.some((v) => v !== values[0]);
    if (onlyDiff && !differs) continue;
    rows.push(
      h(
        "tr",
        { class: differs ? "differs" : "" },
        h("th", {}, c.name),
        ...values.map((v) =>
          h(
            "td",
            {},
            v === null
              ? "—"
              : typeof v === "number"
              ? formatNumber(v)
              : String(v),
          )
        ),
      ),
    );
  }
  box.replaceChildren(
    h(
      "table",
      { class: "diff" },
      h("thead", {}, head),
      h("tbody", {}, ...rows),
    ),
  );
}

function onBrush(key, range) {
  if (range === null) state.brushes.delete(key);
  else state.brushes.set(key, range);
  renderTable();
  renderCompare();
  state.data.forEach(() => {});
  redrawCharts();
}

// ------------------------------------------------------------ tabs

function showTab(tab) {
  state.tab = tab;
  for (const t of ["runs", "compare", "run"]) {
    $(`view-${t}`).hidden = t !== tab;
    $(`tab-${t}`).classList.toggle("active", t === tab);
  }
  if (tab === "compare") renderCompare();
  if (tab === "runs") table.refresh();
}

function openRun(id) {
  state.openRun = id;
  $("tab-run").disabled = false;
  showTab("run");
  showRun($("run-view"), id).catch((e) =>
    $("run-view").replaceChildren(h("p", { class: "broken" }, e.message))
  );
}

// ------------------------------------------------------------ data

function merge(answer) {
  state.metadataTable = answer.metadataTable;
  state.columns = answer.columns;
  const newSeries = answer.series.map((s) => s.key).join("\n") !==
    state.series.map((s) => s.key).join("\n");
  state.series = answer.series;
  const changed = [];
  for (const r of answer.runs) {
    state.runs.set(r.id, r);
    changed.push(r);
  }
  state.version = answer.version;
  state.loading = answer.loading === true;
  state.total = Math.max(answer.expected ?? 0, answer.total ?? 0);
  return { changed, newSeries };
}

function chooseTable() {
  const tables = [
    ...new Set(
      state.series.map((s) => tableOf(s.key)).filter((t) => t !== null),
    ),
  ];
  fillSelect(
    $("table-choice"),
    tables.map((t) => ({ value: t, label: t })),
    state.table,
  );
  if (!tables.includes(state.table)) {
    // the per-step table with the most rows in the first run
    const first = state.runs.values().next().value;
    tables.sort((a, b) => (first?.rows[b] ?? 0) - (first?.rows[a] ?? 0));
    state.table = tables[0] ?? "";
    $("table-choice").value = state.table;
  }
}

function fillControls() {
  chooseTable();
  const ints = new Set();
  for (const s of state.series) {
    for (
      const x of s.xs
    ) if (x !== "step" && x !== "wall" && x !== "relative") ints.add(x);
  }
  fillSelect($("x-axis"), [
    { value: "step", label: "step (tags) / row (tables)" },
    { value: "wall", label: "wall time (tags)" },
    { value: "relative", label: "relative time (tags)" },
    ...[...ints].map((c) => ({ value: c, label: `column ${c} (tables)` })),
  ], state.x);
  fillSelect($("group-by"), [
    { value: "", label: "no grouping" },
    ...state.columns.map((c) => ({ value: c.name, label: c.name })),
  ], state.groupBy);
}

function showTotal(answer) {
  $("sweep-info").textContent = `${answer.total} runs` +
    (answer.loading ? " (reading the sweep…)" : "");
}

/**
 * The long poll: the server answers as soon as a run changed (while it still
 * reads the sweep, every few dozen milliseconds), and the page asks again at
 * once; the table is rendered and the charts synced at most once per turn of
 * the drawing loop.
 */
async function poll() {
  let pause = 0;
  try {
    const answer = await getJson("/api/sweep", {
      since: String(state.version),
      wait: String(WAIT_MS),
      ...(state.loading ? { loading: "1" } : {}),
    });
    showTotal(answer);
    const wasLoading = state.loading;
    const { changed, newSeries } = merge(answer);
    if (wasLoading && !state.loading) wakeDrawing?.();
    if (changed.length > 0 || newSeries || wasLoading !== state.loading) {
      scheduleUpdate(newSeries);
      globalThis.__cox.updates++;
    }
    $("status").textContent = `live · ${new Date().toLocaleTimeString()}`;
    $("status").classList.remove("bad");
  } catch (e) {
    $("status").textContent = `cannot reach the server: ${e.message}`;
    $("status").classList.add("bad");
    pause = POLL_MS;
  }
  setTimeout(poll, pause);
}

/** Renders the table (and the controls, for new series) with the runs merged, once per frame at most, and syncs the charts. */
let updateQueued = null;
let seriesChanged = false;
function scheduleUpdate(newSeries) {
  seriesChanged ||= newSeries;
  updateQueued ??= nextFrame().then(() => {
    updateQueued = null;
    if (seriesChanged) {
      seriesChanged = false;
      fillControls();
      renderChartList();
    }
    applyFilterText(state.filterText);
    renderTable();
    if (state.tab === "compare") renderCompare();
    kick();
  });
}

async function start() {
  globalThis.__cox = {
    state,
    updates: 0,
    chartsDrawn: 0,
    firstTableAt: null,
    firstChartsAt: null,
    /** When the charts were drawn with every run, once the server had read them all. */
    loadedAt: null,
    /** The values drawn for run `id` in chart `key`: {x, raw, smoothed}. */
    drawnSeries(key, id) {
      const s = state.drawn.get(key)?.smoothed.get(id);
      return s === undefined
        ? null
        : { x: [...s.xs], raw: [...s.raw], smoothed: [...s.ys] };
    },
    chartRuns(key) {
      return state.drawn.get(key)?.runs ?? [];
    },
    /** The charts in view (drawn as soon as their points arrive). */
    visibleCharts() {
      return [...state.charts].filter(([, c]) => c.visible).map(([k]) => k);
    },
    setFilter(text) {
      $("filter").value = text;
      applyFilterText(text);
      renderTable();
      redrawCharts();
    },
  };
  table = new VirtualTable($("runs-table"), {
    onSort: (key) => {
      state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
      renderTable();
    },
    onToggle: (id, on) => {
      if (on) state.selected.add(id);
      else state.selected.delete(id);
      renderTable();
      redrawCharts();
    },
    onToggleAll: (on) => {
      for (const r of visibleRuns()) {
        on ? state.selected.add(r.id) : state.selected.delete(r.id);
      }
      renderTable();
      redrawCharts();
    },
    onOpen: openRun,
    isSelected: (id) => state.selected.has(id),
  });
  parcoords = new ParallelCoordinates($("parcoords"), onBrush);
  scatter = new Scatter($("scatter"));
  const sc = scatter.chart;
  $("scatter").addEventListener(
    "mousemove",
    (e) => hover({ canvas: $("scatter"), chart: sc, lines: sc.spec.lines }, e),
  );
  $("scatter").addEventListener(
    "mouseleave",
    () => ($("tooltip").hidden = true),
  );

  const answer = await getJson("/api/sweep");
  merge(answer);
  showTotal(answer);
  fillControls();
  applyFilterText("");
  renderTable();
  renderChartList();

  // controls
  $("filter").addEventListener("input", (e) => {
    applyFilterText(e.target.value);
    renderTable();
    redrawCharts();
  });
  $("show-all").addEventListener("change", (e) => {
    state.showAll = e.target.checked;
    renderTable();
  });
  $("table-choice").addEventListener("change", (e) => {
    state.table = e.target.value;
    applyFilterText(state.filterText);
    renderTable();
  });
  $("best").addEventListener("change", (e) => {
    state.best = e.target.value;
    renderTable();
  });
  $("csv").addEventListener("click", exportCsv);
  $("clear-selection").addEventListener("click", () => {
    state.selected.clear();
    renderTable();
    redrawCharts();
  });
  $("series-filter").addEventListener("input", (e) => {
    state.seriesFilter = e.target.value;
    renderChartList();
  });
  $("x-axis").addEventListener("change", (e) => {
    state.x = e.target.value;
    renderTable();
    redrawCharts();
  });
  $("smoothing").addEventListener("change", (e) => {
    state.smoothing.mode = e.target.value;
    redrawCharts();
  });
  $("weight").addEventListener("input", (e) => {
    state.smoothing.weight = Number(e.target.value);
    $("weight-value").textContent = e.target.value;
    if (state.smoothing.mode === "ema") redrawCharts();
  });
  $("window").addEventListener("change", (e) => {
    state.smoothing.window = Number(e.target.value);
    if (state.smoothing.mode === "ma") redrawCharts();
  });
  $("log-x").addEventListener("change", (e) => {
    state.logX = e.target.checked;
    redrawCharts();
  });
  $("log-y").addEventListener("change", (e) => {
    state.logY = e.target.checked;
    redrawCharts();
  });
  $("group-by").addEventListener("change", (e) => {
    state.groupBy = e.target.value;
    redrawCharts();
  });
  $("band").addEventListener("change", (e) => {
    state.band = e.target.value;
    redrawCharts();
  });
  for (const id of ["pc-metric", "sc-x", "sc-y"]) {
    $(id).addEventListener("change", renderCompare);
  }
  $("diff-only").addEventListener("change", renderDiff);
  $("pc-clear").addEventListener("click", () => {
    state.brushes.clear();
    onBrush("", null);
  });
  for (const t of ["runs", "compare", "run"]) {
    $(`tab-${t}`).addEventListener("click", () => showTab(t));
  }
  globalThis.addEventListener("resize", () => {
    redrawCharts();
    if (state.tab === "compare") renderCompare();
  });
  afterPaint().then((t) => {
    globalThis.__cox.firstTableAt = t;
    document.body.dataset.table = "drawn";
  });
  kick();
  setTimeout(poll, 0);
}

start().catch((e) => {
  document.body.prepend(
    h("p", { class: "broken" }, `The dashboard could not start: ${e.message}`),
  );
});
