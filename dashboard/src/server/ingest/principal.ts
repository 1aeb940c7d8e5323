/**
 * Who is calling an ingest endpoint. The server's access check (serve/auth.ts) runs before Next
 * and knows which token a request carried; it hands that on to the route handlers in a header.
 * A client could send that header itself, so the value is prefixed with a secret made when this
 * process starts (kept on globalThis: Next's bundles and serve/ load this module separately) and
 * the prefix is checked in constant time. A request that did not pass through the check — the app
 * served by a bare `next start` — has no principal, and every ingest call is refused.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { PRINCIPAL_HEADER } from "@tessera/shared/ingest";

/** The admin (dashboard) token, or one worker's token; `worker` is the token's name. */
export type Principal = { kind: "admin" } | { kind: "worker"; worker: string };

/** Header an admin-token client names its worker with (a worker token names itself). */
export const WORKER_HEADER = "x-tessera-worker";

const KEY = Symbol.for("tessera.ingest.principalSecret");
const holder = globalThis as unknown as Record<symbol, string | undefined>;
const secret = (): string => (holder[KEY] ??= randomBytes(24).toString("hex"));

/** The header value the access check sets for `p`. */
export function principalHeaderValue(p: Principal): string {
  return `${secret()}:${p.kind === "admin" ? "admin" : `worker:${p.worker}`}`;
}

/** The principal the access check vouched for, or null (absent, forged, or not from this process). */
export function principalOf(headers: Headers): Principal | null {
  const raw = headers.get(PRINCIPAL_HEADER);
  if (!raw) return null;
  const cut = raw.indexOf(":");
  const given = Buffer.from(raw.slice(0, Math.max(cut, 0)));
  const mine = Buffer.from(secret());
  if (cut < 0 || given.length !== mine.length || !timingSafeEqual(given, mine)) return null;
  const rest = raw.slice(cut + 1);
  if (rest === "admin") return { kind: "admin" };
  return rest.startsWith("worker:") ? { kind: "worker", worker: rest.slice("worker:".length) } : null;
}

/**
 * The worker name a request writes as: a worker token's own name, or for the admin token the
 * `x-tessera-worker` header (the admin may act as any worker). Null when the admin named none.
 */
export function identityOf(p: Principal, headers: Headers): string | null {
  if (p.kind === "worker") return p.worker;
  const named = headers.get(WORKER_HEADER);
  return named && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(named) ? named : null;
}
