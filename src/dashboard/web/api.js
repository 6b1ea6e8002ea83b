// Talking to the dashboard's server (same origin only).

async function check(response) {
  if (!response.ok) {
    throw new Error(`${response.status}: ${(await response.text()).trim()}`);
  }
  return response;
}

/** GET a JSON answer. */
export async function getJson(path, params = {}) {
  const q = new URLSearchParams(params).toString();
  const r = await check(await fetch(q ? `${path}?${q}` : path));
  return r.json();
}

/**
 * The points of several series at once, one request: `requests` are
 * `{key, x, width, logX, runs: [[id, from], ...]}`; the answer holds, per
 * request in order, its runs' points, each from its `from` point on.
 * @returns {Promise<{id: string, total: number, from: number, x: Float64Array, y: Float64Array}[][]>}
 */
export async function fetchSeriesBatch(requests) {
  const r = await check(
    await fetch("/api/series", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        batch: requests.map(({ key, x, width, logX, runs }) => ({
          key,
          x,
          width,
          logX,
          runs,
        })),
      }),
    }),
  );
  const buf = await r.arrayBuffer();
  const n = new DataView(buf).getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)));
  let at = Math.ceil((4 + n) / 8) * 8;
  const out = requests.map(() => []);
  for (const p of head) {
    const xs = new Float64Array(buf, at, p.n);
    at += p.n * 8;
    const ys = new Float64Array(buf, at, p.n);
    at += p.n * 8;
    out[p.r].push({ id: p.id, total: p.total, from: p.from, x: xs, y: ys });
  }
  return out;
}
