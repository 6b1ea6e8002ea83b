/**
 * `cox dashboard`'s web server: the page and its API over one sweep, with
 * `Deno.serve`. Nothing is served from the file system: the page's files
 * are compiled in ({@linkcode ASSETS}), the API looks runs up by id.
 *
 * @module
 */

import { Api, HttpError, type NamingOptions } from "./api.ts";
import { ASSETS } from "./assets.ts";
import {
  admit,
  isLoopback,
  newToken,
  SECURITY_HEADERS,
  TOKEN_COOKIE,
} from "./guard.ts";
import { OutsideSweepError, Sweep } from "./sweep.ts";

/** How to serve a sweep. */
export interface DashboardOptions extends NamingOptions {
  /** The folder holding the runs. */
  dir: string;
  /** Address to listen on (default 127.0.0.1). Any non-loopback address requires a token. */
  host?: string;
  /** Port (default 6007; 0 picks a free one). */
  port?: number;
  /** The table of hyperparameters (default `metadata`). */
  metadataTable?: string;
  /** The token to require (default: a random one when `host` is not a loopback address, else none). */
  token?: string | null;
}

/** A running dashboard. */
export interface Dashboard {
  /** The page's URL, with `?token=` when one is required. */
  url: string;
  /** `http://host:port`. */
  origin: string;
  /** The token required, or null. */
  token: string | null;
  /** The sweep it serves. */
  sweep: Sweep;
  /** Stops serving. */
  shutdown(): Promise<void>;
  /** Settles when the server has stopped. */
  finished: Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;
/** Least pause between background passes over the sweep when it cannot be watched. */
const MIN_PAUSE_MS = 250;
/**
 * Least pause between background passes when the sweep is watched: a pass
 * then only catches what the watch missed (a file system that reports no
 * changes, a run folder that is a link), so runs still appear within 2 s.
 */
const WATCHED_PAUSE_MS = 1500;
/** No background pass once no page has polled for this long. */
const IDLE_AFTER_MS = 5000;

function withHeaders(
  response: Response,
  extra: Record<string, string> = {},
): Response {
  for (const [k, v] of Object.entries({ ...SECURITY_HEADERS, ...extra })) {
    response.headers.set(k, v);
  }
  return response;
}

function text(status: number, body: string): Response {
  return new Response(`${body}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Starts reading the sweep and listens as soon as the first runs are read
 * (about 50 ms of reading), so a page opens while the rest is read; the page
 * learns of the others as they arrive. A bad `--format-str` or
 * `--filter-param` is an error before anything is served: checked against
 * the runs read so far, and when that fails, against every run.
 */
export async function startDashboard(
  options: DashboardOptions,
): Promise<Dashboard> {
  const host = options.host ?? "127.0.0.1";
  const loopback = isLoopback(host);
  const token = options.token !== undefined
    ? options.token
    : loopback
    ? null
    : newToken();
  const sweep = new Sweep(options.dir, {
    metadataTable: options.metadataTable,
  });
  // set up off this thread while the first runs are read
  const watched = sweep.watch();
  const first = Promise.withResolvers<void>();
  sweep.refresh(() => first.resolve());
  await first.promise;
  const api = new Api(sweep, {
    formatStr: options.formatStr,
    filters: options.filters,
  });
  try {
    try {
      api.check();
    } catch {
      await sweep.loaded; // a column named may be in a run not read yet
      api.check();
    }
  } catch (error) {
    sweep.close();
    throw error;
  }

  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const admitted = admit(request, url, token, loopback);
    if ("deny" in admitted) return admitted.deny;
    const cookie: Record<string, string> = admitted.setCookie && token !== null
      ? {
        "set-cookie":
          `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      }
      : {};
    // a long poll waits for the pass: it is not answered before it
    const counted = url.searchParams.get("wait") === null;
    if (counted) sweep.answering++;
    const t0 = performance.now();
    try {
      const response = await route(request, url);
      // how long the server took (shown by browsers' developer tools; the bench reads it)
      const took = (performance.now() - t0).toFixed(1);
      return withHeaders(response, {
        ...cookie,
        "server-timing": `app;dur=${took}`,
      });
    } catch (error) {
      if (error instanceof OutsideSweepError) {
        return withHeaders(text(403, error.message));
      }
      if (error instanceof HttpError) {
        return withHeaders(text(error.status, error.message));
      }
      return withHeaders(
        text(500, error instanceof Error ? error.message : String(error)),
      );
    } finally {
      if (counted) sweep.answering--;
    }
  };

  const route = async (request: Request, url: URL): Promise<Response> => {
    const path = url.pathname;
    const params = url.searchParams;
    if (request.method === "POST") {
      if (path !== "/api/series") return text(404, "not found");
      const body = await request.text();
      if (body.length > MAX_BODY) return text(413, "request too large");
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return text(400, "expected a JSON body");
      }
      return api.series(parsed);
    }
    switch (path) {
      case "/api/sweep":
        return await api.sweepInfo(params);
      case "/api/run":
        return await api.runInfo(params);
      case "/api/run/table":
        return await api.runTable(params);
      case "/api/run/events":
        return api.runEvents(params);
      case "/api/run/image":
        return api.runImage(params);
    }
    const asset = ASSETS.get(path === "/" ? "/index.html" : path);
    if (asset === undefined) return text(404, "not found");
    return new Response(asset.body, {
      headers: { "content-type": asset.type },
    });
  };

  // while a page polls, read the sweep in the background, so that a poll
  // answers from memory: a pass over 1,000 unchanged runs (a few stats each)
  // takes 100-200 ms, paused at least as long again between passes; when the
  // sweep is watched, a changed run is read at once and passes are rarer
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let least = MIN_PAUSE_MS;
  const background = async () => {
    const t0 = performance.now();
    if (
      sweep.waiting > 0 || performance.now() - api.lastAskedAt < IDLE_AFTER_MS
    ) {
      await sweep.refresh();
    }
    if (stopped) return;
    const pause = Math.max(least, performance.now() - t0);
    timer = setTimeout(background, pause);
  };
  sweep.loaded.then(async () => {
    if (await watched) least = WATCHED_PAUSE_MS;
    // the watch was set up during the first pass: what changed in a run
    // read before it began is caught by the next pass
    if (!stopped) timer = setTimeout(background, least);
  });

  const ready = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: host,
    port: options.port ?? 6007,
    onListen: (addr) => ready.resolve(addr),
    onError: (error) =>
      text(500, error instanceof Error ? error.message : String(error)),
  }, handle);
  const addr = await ready.promise;
  const shown = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  const origin = `http://${shown}:${addr.port}`;
  return {
    url: `${origin}/${token === null ? "" : `?token=${token}`}`,
    origin,
    token,
    sweep,
    shutdown: () => {
      stopped = true;
      clearTimeout(timer);
      sweep.close(); // answers the pages waiting for a change
      return server.shutdown();
    },
    finished: server.finished,
  };
}
