/**
 * The worker's HTTP client for the central server's ingest endpoints (dashboard/src/server/ingest/).
 * Plain fetch against tRPC's HTTP wire format rather than @trpc/client: the runner may not import
 * the dashboard's router type (ARCHITECTURE.md), and the inputs are typed by the shared wire
 * schemas anyway. Every call returns a result, never throws: `unreachable` (server down, timeout:
 * retry later), `refused` (the server said no: do not retry the same thing) or `conflict`.
 */
import { createReadStream, statSync } from "node:fs";
import { Readable } from "node:stream";
import {
  INGEST_FILES_ROUTE,
  SHA256_HEADER,
  type ClaimInput,
  type ClaimOutput,
  type CommitFolderInput,
  type EventsInput,
  type EventsOutput,
  type LockInput,
} from "@tessera/shared/ingest";

/** Where the central server is and who this worker is. */
export interface ServerAddress {
  /** e.g. `http://central:3000` */
  server: string;
  /** A worker token (`tessera token add <name>`) or the dashboard's token. */
  token: string;
  /** The worker's name (a worker token's own name wins on the server). */
  worker: string;
  /** Per-request timeout. @default 30000 */
  timeoutMs?: number;
}

export type CallResult<T> =
  | { ok: true; value: T }
  | { ok: false; kind: "unreachable"; message: string }
  | { ok: false; kind: "refused"; status: number; message: string }
  | { ok: false; kind: "conflict"; status: number; message: string; lastSeq: number | null };

function headers(addr: ServerAddress, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${addr.token}`, "x-tessera-worker": addr.worker, ...extra };
}

async function send(addr: ServerAddress, path: string, init: RequestInit): Promise<Response | string> {
  try {
    return await fetch(new URL(path, addr.server), {
      ...init,
      signal: AbortSignal.timeout(addr.timeoutMs ?? 30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return `${addr.server}: ${cause ?? (error as Error).message}`;
  }
}

/** One tRPC mutation `ingest.<name>` (tRPC v11, no transformer: the body is the input's JSON). */
export async function mutate<T>(addr: ServerAddress, name: string, input: unknown): Promise<CallResult<T>> {
  const res = await send(addr, `/api/trpc/ingest.${name}`, {
    method: "POST",
    headers: headers(addr, { "content-type": "application/json" }),
    body: JSON.stringify(input),
  });
  if (typeof res === "string") return { ok: false, kind: "unreachable", message: res };
  const text = await res.text().catch(() => "");
  let body: { result?: { data?: T }; error?: { message?: string; data?: { lastSeq?: number } } } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // the access check answers in plain text (401), a proxy may answer HTML
  }
  if (res.ok && body.result) return { ok: true, value: body.result.data as T };
  // A 2xx without its JSON body: the connection broke mid-answer (a server going down). Whether
  // the call took effect is unknown; retrying is safe, since every ingest call is idempotent.
  if (res.ok) return { ok: false, kind: "unreachable", message: `HTTP ${res.status} with a cut answer` };
  const message = body.error?.message ?? (text.trim() || `HTTP ${res.status}`);
  if (res.status === 409)
    return { ok: false, kind: "conflict", status: 409, message, lastSeq: body.error?.data?.lastSeq ?? null };
  // 5xx and gateway errors are the server's trouble, not the request's: try again later.
  if (res.status >= 500) return { ok: false, kind: "unreachable", message: `HTTP ${res.status}: ${message}` };
  return { ok: false, kind: "refused", status: res.status, message };
}

export const claim = (a: ServerAddress, input: ClaimInput) => mutate<ClaimOutput>(a, "claim", input);
export const pushEvents = (a: ServerAddress, input: EventsInput) => mutate<EventsOutput>(a, "events", input);
export const commitFolder = (a: ServerAddress, input: CommitFolderInput) =>
  mutate<{ files: number }>(a, "commitFolder", input);
export const mirrorLock = (a: ServerAddress, input: LockInput) => mutate<{ ok: true }>(a, "lock", input);

function fileUrl(runId: string, relpath: string, upload?: string): string {
  const path = relpath.split("/").map(encodeURIComponent).join("/");
  return `${INGEST_FILES_ROUTE}/${encodeURIComponent(runId)}/files/${path}${upload ? `?upload=${upload}` : ""}`;
}

/** Streams `file` to the server as `relpath` of the run; `upload` stages it for `commitFolder`. */
export async function putFile(
  addr: ServerAddress,
  runId: string,
  relpath: string,
  file: string,
  sha256: string,
  upload?: string,
): Promise<CallResult<{ size: number }>> {
  const size = statSync(file).size;
  const res = await send(addr, fileUrl(runId, relpath, upload), {
    method: "PUT",
    headers: headers(addr, { [SHA256_HEADER]: sha256, "content-length": String(size) }),
    body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
    duplex: "half",
  } as RequestInit);
  if (typeof res === "string") return { ok: false, kind: "unreachable", message: res };
  const text = await res.text().catch(() => "");
  if (res.ok) return { ok: true, value: { size } };
  if (res.status >= 500) return { ok: false, kind: "unreachable", message: `HTTP ${res.status}: ${text.trim()}` };
  return { ok: false, kind: "refused", status: res.status, message: text.trim() || `HTTP ${res.status}` };
}

/** Fetches one file of a run the worker holds; the body is streamed to the caller. */
export async function getFile(
  addr: ServerAddress,
  runId: string,
  relpath: string,
): Promise<CallResult<{ body: ReadableStream<Uint8Array>; sha256: string | null }>> {
  const res = await send(addr, fileUrl(runId, relpath), { method: "GET", headers: headers(addr) });
  if (typeof res === "string") return { ok: false, kind: "unreachable", message: res };
  if (res.ok && res.body) return { ok: true, value: { body: res.body, sha256: res.headers.get(SHA256_HEADER) } };
  const text = (await res.text().catch(() => "")).trim() || `HTTP ${res.status}`;
  if (res.status >= 500) return { ok: false, kind: "unreachable", message: text };
  return { ok: false, kind: "refused", status: res.status, message: text };
}
