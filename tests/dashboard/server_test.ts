// The dashboard's server: what a request may reach, who may ask, and runs
// that cannot be read.

import { join } from "node:path";
import { startDashboard } from "../../src/dashboard/server.ts";
import { setWarningSink } from "../../src/warn.ts";
import { FIXTURES } from "../fixtures.ts";
import { assert, assertEquals } from "../tensorboard/_util.ts";

const W2 = join(FIXTURES, "walkthrough2");
const RUN = "2a02c3b9-f357-4a45-b08f-b214ebaaa387";

/** A sweep of two fixture runs, plus whatever `extra` adds. */
function makeSweep(extra: (dir: string) => void = () => {}): string {
  const dir = Deno.makeTempDirSync({ prefix: "cox_dash_" });
  for (const id of [RUN, "5cedb051-bd7d-45c1-b1a9-5f6b02ca9744"]) {
    Deno.mkdirSync(join(dir, id, "tensorboard"), { recursive: true });
    Deno.copyFileSync(join(W2, id, "store.h5"), join(dir, id, "store.h5"));
    for (const e of Deno.readDirSync(join(W2, id, "tensorboard"))) {
      Deno.copyFileSync(
        join(W2, id, "tensorboard", e.name),
        join(dir, id, "tensorboard", e.name),
      );
    }
  }
  extra(dir);
  return dir;
}

async function get(
  origin: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const r = await fetch(`${origin}${path}`, init);
  return { status: r.status, body: await r.text(), headers: r.headers };
}

/** The status of a GET /api/sweep sent with this Host header (fetch would set its own). */
async function rawStatus(port: number, host: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(
    `GET /api/sweep HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
  ));
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  conn.close();
  const text = new TextDecoder().decode(chunks[0]);
  return Number(text.split(" ")[1]);
}

Deno.test("dashboard: paths that try to leave the sweep get 4xx and no file content", async () => {
  const outside = Deno.makeTempDirSync({ prefix: "cox_dash_outside_" });
  Deno.writeTextFileSync(join(outside, "secret.txt"), "TOP-SECRET-CONTENT");
  Deno.mkdirSync(join(outside, "run"));
  Deno.copyFileSync(
    join(W2, RUN, "store.h5"),
    join(outside, "run", "store.h5"),
  );
  const dir = makeSweep((d) => {
    Deno.symlinkSync(join(outside, "run"), join(d, "linked-out"));
    Deno.mkdirSync(join(d, "tb-out"));
    Deno.copyFileSync(join(W2, RUN, "store.h5"), join(d, "tb-out", "store.h5"));
    Deno.symlinkSync(outside, join(d, "tb-out", "tensorboard"));
    Deno.writeFileSync(
      join(outside, "events.out.tfevents.1.x"),
      Deno.readFileSync(
        join(
          W2,
          RUN,
          "tensorboard",
          [...Deno.readDirSync(join(W2, RUN, "tensorboard"))][0].name,
        ),
      ),
    );
  });
  const d = await startDashboard({ dir, port: 0, filters: [] });
  await d.sweep.loaded; // every run read
  try {
    const secret = /TOP-SECRET|root:|import |HDF/;
    const paths = [
      "/../../../../etc/passwd",
      "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/static/..%2f..%2f..%2fetc%2fpasswd",
      "/static/%2e%2e%2fserver.ts",
      "/static/..%5c..%5cserver.ts",
      "//etc/passwd",
      "/static//etc/passwd",
      "/static/app.js%00.png",
      "/index.html/..%2f..%2fsweep.ts",
      `/${RUN}/store.h5`,
      `/api/run?id=..`,
      `/api/run?id=..%2F..%2F..%2Fetc`,
      `/api/run?id=${encodeURIComponent(join(outside, "run"))}`,
      `/api/run/table?id=${RUN}&table=..%2F..%2Fsecret.txt`,
      `/api/run/table?id=${RUN}&table=${encodeURIComponent("/etc/passwd")}`,
      `/api/run/image?id=${RUN}&n=-1`,
      `/api/run/events?id=%2e%2e`,
      `/api/run/table?id=linked-out&table=metadata`,
      `/api/run/events?id=tb-out`,
    ];
    for (const path of paths) {
      const r = await get(d.origin, path);
      if (path === "/api/run/events?id=tb-out") {
        // the run is there, its tensorboard/ folder links out: nothing read from it
        assertEquals(r.status, 200, path);
        assertEquals(JSON.parse(r.body), {
          texts: [],
          images: [],
          histograms: [],
        });
        continue;
      }
      assert(r.status >= 400 && r.status < 500, `${path}: status ${r.status}`);
      assert(!secret.test(r.body), `${path} answered ${r.body.slice(0, 80)}`);
    }
    // POST bodies name runs and series, never paths
    const r = await fetch(`${d.origin}/api/series`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        key: "t:../../secret",
        runs: [["../../", 0], [join(outside, "run"), 0]],
      }),
    });
    const bytes = new Uint8Array(await r.arrayBuffer());
    assertEquals(r.status, 200);
    const n = new DataView(bytes.buffer).getUint32(0, true);
    assertEquals(new TextDecoder().decode(bytes.subarray(4, 4 + n)), "[]");
    // the runs that link out are shown as broken, not read
    const sweep = JSON.parse((await get(d.origin, "/api/sweep")).body);
    const byId = new Map(sweep.runs.map((x: { id: string }) => [x.id, x]));
    assertEquals(
      (byId.get("linked-out") as { broken: string }).broken,
      "the run folder links outside the sweep",
    );
    assertEquals(
      (byId.get("tb-out") as { broken: string }).broken,
      "tensorboard/ links outside the run",
    );
    assertEquals((byId.get(RUN) as { broken: null }).broken, null);
    // every run folder is counted, so a page sizes its charts for all of them
    assertEquals(sweep.expected, sweep.runs.length);
    // answers carry the headers that keep the page to its origin
    const page = await get(d.origin, "/");
    assertEquals(page.status, 200);
    assert(
      page.headers.get("content-security-policy")!.includes(
        "default-src 'self'",
      ),
    );
    assertEquals(page.headers.get("x-content-type-options"), "nosniff");
    // a Host header naming another site is refused (DNS rebinding)
    const port = Number(new URL(d.origin).port);
    assertEquals(await rawStatus(port, "evil.example"), 403);
    assertEquals(await rawStatus(port, `127.0.0.1:${port}`), 200);
    assertEquals(await rawStatus(port, `localhost:${port}`), 200);
  } finally {
    await d.shutdown();
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  }
});

Deno.test("dashboard: on a non-loopback host every request needs the token", async () => {
  const dir = makeSweep();
  const d = await startDashboard({
    dir,
    host: "0.0.0.0",
    port: 0,
    filters: [],
  });
  await d.sweep.loaded; // every run read
  try {
    assert(d.token !== null && /^[0-9a-f]{32}$/.test(d.token));
    assert(d.url.endsWith(`/?token=${d.token}`));
    const origin = d.origin.replace("0.0.0.0", "127.0.0.1");
    for (
      const path of [
        "/",
        "/static/app.js",
        "/api/sweep",
        `/api/run?id=${RUN}`,
        "/?token=wrong",
      ]
    ) {
      const r = await get(origin, path);
      assertEquals(r.status, 401, path);
      assert(!r.body.includes(RUN));
    }
    const r = await fetch(`${origin}/api/series`, {
      method: "POST",
      body: "{}",
    });
    assertEquals(r.status, 401);
    await r.body?.cancel();
    const first = await get(origin, `/?token=${d.token}`);
    assertEquals(first.status, 200);
    const cookie = first.headers.get("set-cookie")!.split(";")[0];
    assert(cookie.startsWith("cox_dashboard_token="));
    const withCookie = await get(origin, "/api/sweep", { headers: { cookie } });
    assertEquals(withCookie.status, 200);
    assertEquals(JSON.parse(withCookie.body).runs.length, 2);
    const withHeader = await get(origin, "/api/sweep", {
      headers: { authorization: `token ${d.token}` },
    });
    assertEquals(withHeader.status, 200);
  } finally {
    await d.shutdown();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("dashboard: hostile runs show as broken and the server keeps answering", async () => {
  const restore = setWarningSink(() => {});
  const events = [...Deno.readDirSync(join(W2, RUN, "tensorboard"))][0].name;
  const good = Deno.readFileSync(join(W2, RUN, "tensorboard", events));
  const dir = makeSweep((d) => {
    const h5 = Deno.readFileSync(join(W2, RUN, "store.h5"));
    const add = (
      id: string,
      store: Uint8Array | null,
      ev: Uint8Array | null,
    ) => {
      Deno.mkdirSync(join(d, id, "tensorboard"), { recursive: true });
      if (store) Deno.writeFileSync(join(d, id, "store.h5"), store);
      if (ev) Deno.writeFileSync(join(d, id, "tensorboard", events), ev);
    };
    add("truncated-store", h5.subarray(0, 3000), null);
    const garbage = new Uint8Array(50_000);
    let x = 12345;
    for (let i = 0; i < garbage.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      garbage[i] = x >>> 24;
    }
    add("garbage-store", garbage, null);
    const fuzzed = good.slice();
    for (let i = 200; i < fuzzed.length; i += 97) fuzzed[i] ^= 0x5a;
    add("fuzzed-events", null, fuzzed);
    const huge = good.slice();
    // a record claiming 2^40 bytes, with a good length CRC missing: refused, never allocated
    new DataView(huge.buffer).setUint32(4, 256, true);
    add("huge-record", null, huge);
    add(
      "html-name-<img src=x onerror=alert(1)>",
      null,
      good.subarray(0, good.length - 5),
    );
  });
  const d = await startDashboard({ dir, port: 0, filters: [] });
  await d.sweep.loaded; // every run read
  try {
    const sweep = JSON.parse((await get(d.origin, "/api/sweep")).body);
    const byId = new Map<
      string,
      { broken: string | null; stats: Record<string, unknown> }
    >(
      sweep.runs.map((r: { id: string }) => [r.id, r]),
    );
    assertEquals(byId.size, 7);
    for (
      const id of [
        "truncated-store",
        "garbage-store",
        "fuzzed-events",
        "huge-record",
      ]
    ) {
      const b = byId.get(id)!.broken;
      assert(typeof b === "string" && b.length > 0, `${id} should be broken`);
    }
    assertEquals(byId.get(RUN)!.broken, null);
    // a file cut in mid-record is a run still being written: what is whole is shown
    const cut = byId.get("html-name-<img src=x onerror=alert(1)>")!;
    assertEquals(cut.broken, null);
    assert("s:line_graphs/mx" in cut.stats);
    for (const id of byId.keys()) {
      const q = encodeURIComponent(id);
      for (
        const path of [
          `/api/run?id=${q}`,
          `/api/run/events?id=${q}`,
          `/api/run/table?id=${q}&table=metadata`,
        ]
      ) {
        const r = await get(d.origin, path);
        assert(r.status < 600, path);
      }
    }
    const again = await get(d.origin, "/api/sweep");
    assertEquals(again.status, 200);
    const r = await get(d.origin, `/api/run/table?id=${RUN}&table=metadata`);
    assertEquals(r.status, 200);
    assert(JSON.parse(r.body).text.includes("slope"));
  } finally {
    await d.shutdown();
    setWarningSink(restore);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("dashboard: the page names every module app.js loads for preloading, and each is served", async () => {
  const web = new URL("../../src/dashboard/web/", import.meta.url).pathname;
  const modules = [...Deno.readDirSync(web)].map((e) => e.name)
    .filter((n) => n.endsWith(".js") && n !== "app.js").sort();
  const restore = setWarningSink(() => {});
  const dir = makeSweep();
  const d = await startDashboard({ dir, port: 0, filters: [] });
  try {
    const page = await get(d.origin, "/");
    assertEquals(page.status, 200);
    const preloaded = [
      ...page.body.matchAll(
        /<link rel="modulepreload" href="\/static\/([^"]+)">/g,
      ),
    ].map((m) => m[1]).sort();
    assertEquals(preloaded, modules);
    for (const m of preloaded) {
      const r = await get(d.origin, `/static/${m}`);
      assertEquals(r.status, 200, m);
      assert(r.body.length > 100, `${m} is ${r.body.length} bytes`);
    }
  } finally {
    await d.shutdown();
    setWarningSink(restore);
    Deno.removeSync(dir, { recursive: true });
  }
});
