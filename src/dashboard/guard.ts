/**
 * Who may talk to the dashboard: on a loopback address anyone on this
 * machine (the Host header must name that address, against DNS rebinding);
 * on any other address only who presents the random token printed in the
 * URL, as Jupyter does (`?token=` once, then a cookie; or an
 * `Authorization: token ...` header). Every answer carries headers that
 * keep the page to its own origin.
 *
 * @module
 */

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Whether `host` is a loopback address (served without a token). */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A new random token (128 bits, hex). */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two strings in time independent of where they differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

/** The cookie that carries the token after the first visit. */
export const TOKEN_COOKIE = "cox_dashboard_token";

/** Headers on every answer: no framing, no sniffing, nothing loaded from elsewhere. */
export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
    "form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

/** Checks a request; returns an error answer, or null to go on (and whether to set the cookie). */
export function admit(
  request: Request,
  url: URL,
  token: string | null,
  loopbackHost: boolean,
): { deny: Response } | { setCookie: boolean } {
  const deny = (status: number, text: string) => ({
    deny: new Response(`${text}\n`, {
      status,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        ...SECURITY_HEADERS,
      },
    }),
  });
  if (request.method !== "GET" && request.method !== "POST") {
    return deny(405, "method not allowed");
  }
  if (loopbackHost) {
    const host = (request.headers.get("host") ?? "").replace(/:\d+$/, "");
    if (!isLoopback(host)) return deny(403, "wrong Host header");
  }
  if (request.method === "POST") {
    const origin = request.headers.get("origin");
    if (origin !== null && origin !== url.origin) {
      return deny(403, "cross-origin request");
    }
  }
  if (token === null) return { setCookie: false };
  const given = url.searchParams.get("token");
  if (given !== null && sameText(given, token)) return { setCookie: true };
  const auth = request.headers.get("authorization") ?? "";
  const m = /^token\s+(\S+)$/i.exec(auth);
  if (m !== null && sameText(m[1], token)) return { setCookie: false };
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [k, v] = part.trim().split("=");
    if (k === TOKEN_COOKIE && v !== undefined && sameText(v, token)) {
      return { setCookie: false };
    }
  }
  return deny(
    401,
    "this dashboard needs the token printed in its URL (?token=...)",
  );
}
