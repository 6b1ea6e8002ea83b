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
 * The points of one series for runs, each from its `from` point on.
 * @returns {Promise<{id: string, total: number, from: number, x: Float64Array, y: Float64Array}[]>}
 */
export async function fetchSeries(key, x, width, logX, runs) {
  const r = await check(
    await fetch("/api/series", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key, x, width, logX, runs }),
    }),
  );
  const buf = await r.arrayBuffer();
  const n = new DataView(buf).getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)));
  let at = Math.ceil((4 + n) / 8) * 8;
  return head.map((p) => {
    const xs = new Float64Array(buf, at, p.n);
    at += p.n * 8;
    const ys = new Float64Array(buf, at, p.n);
    at += p.n * 8;
    return { id: p.id, total: p.total, from: p.from, x: xs, y: ys };
  });
}
