/**
 * Who may talk to the dashboard. Without a token it binds to loopback only and answers only
 * requests addressed to a loopback name (a DNS-rebinding page cannot reach it); with a token,
 * every request must carry it: `Authorization: Bearer`, the `tessera_token` cookie, or once in
 * `?token=`, which sets the cookie and redirects to the clean URL.
 *
 * The ingest endpoints (what `tessera worker`s call) are different: they always need a bearer
 * token, the dashboard's or a per-worker one from the token file, even on a tokenless loopback
 * server; and a worker token opens nothing else (no pages, no runs API, no launch API).
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { PRINCIPAL_HEADER } from "@tessera/shared/ingest";
import { principalHeaderValue, type Principal } from "../src/server/ingest/principal";

const COOKIE = "tessera_token";

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The cookie's token; `null` when absent or not a valid escape (`%zz`), which then gets a 401. */
function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k !== COOKIE) continue;
    try {
      return decodeURIComponent(v.join("="));
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * The path to send the browser back to after the token swap: always a path on this origin. A
 * request for `/.//evil.com/x` has the pathname `//evil.com/x`, which a browser reads as another
 * host (as it does `/\evil.com`), so leading slashes and backslashes collapse to one `/`.
 */
export function sameOriginPath(url: URL): string {
  return `${url.pathname.replace(/^[/\\]+/, "/")}${url.search}`;
}

/** Looks a presented token up in the worker token file: the worker's name, or null. */
export type WorkerTokens = (given: string) => string | null;

/**
 * True for the worker-facing endpoints: the file route, and tRPC calls whose every procedure
 * (a batched call names several, comma-separated) is `ingest.*`.
 */
export function isIngestPath(pathname: string): boolean {
  if (pathname.startsWith("/api/ingest/")) return true;
  const m = /^\/api\/trpc\/([^/]+)$/.exec(pathname);
  return !!m && m[1]!.split(",").every((p) => p.startsWith("ingest."));
}

function ingestAdmit(req: IncomingMessage, res: ServerResponse, token: string | null, workers: WorkerTokens): boolean {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  let principal: Principal | null = null;
  if (bearer !== undefined) {
    const worker = workers(bearer);
    if (token !== null && same(bearer, token)) principal = { kind: "admin" };
    else if (worker !== null) principal = { kind: "worker", worker };
  }
  if (!principal) {
    res
      .writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" })
      .end(
        "tessera dashboard: ingest needs a worker token (tessera token add <name>) or the dashboard's token, as Authorization: Bearer\n",
      );
    return false;
  }
  req.headers[PRINCIPAL_HEADER] = principalHeaderValue(principal);
  return true;
}

/**
 * Checks one request; returns true when it may go on to Next. Otherwise it has already answered
 * (401, 403, or the redirect that swaps `?token=` for the cookie).
 */
export function admit(
  req: IncomingMessage,
  res: ServerResponse,
  token: string | null,
  workers: WorkerTokens = () => null,
): boolean {
  // Only this check may say who the caller is; a client's own claim is dropped.
  delete req.headers[PRINCIPAL_HEADER];
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://localhost");
  } catch {
    res.writeHead(400, { "content-type": "text/plain" }).end("tessera dashboard: malformed request URL\n");
    return false;
  }
  if (isIngestPath(url.pathname)) {
    // The check and Next must read the same path: `/api/ingest/../trpc/x` is not an ingest call.
    if ((req.url ?? "").split("?")[0] !== url.pathname) {
      res.writeHead(400, { "content-type": "text/plain" }).end("tessera dashboard: ingest paths must be normalised\n");
      return false;
    }
    return ingestAdmit(req, res, token, workers);
  }
  if (!token) {
    const hostName = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (hostName && !isLoopback(hostName)) {
      res
        .writeHead(403, { "content-type": "text/plain" })
        .end("tessera dashboard: only loopback host names are served without a token\n");
      return false;
    }
    return true;
  }
  const query = url.searchParams.get("token");
  if (query !== null && same(query, token)) {
    url.searchParams.delete("token");
    res
      .writeHead(303, {
        location: sameOriginPath(url),
        "set-cookie": `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      })
      .end();
    return false;
  }
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  const given = bearer ?? cookieToken(req);
  if (given !== null && given !== undefined && same(given, token)) return true;
  res
    .writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" })
    .end("tessera dashboard: missing or wrong token (open the URL with ?token=...)\n");
  return false;
}
