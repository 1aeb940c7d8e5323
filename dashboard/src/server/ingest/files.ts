/**
 * Files of an ingested run: `PUT|GET /api/ingest/runs/<id>/files/<relpath>` as plain
 * `Request -> Response` handlers (the Next route only forwards), plus the two tRPC mutations that
 * finish a checkpoint folder and mirror the worker's lock. An upload streams to a temp file beside
 * its target while its sha256 and size are counted, is fsynced, checked against the
 * `x-tessera-sha256` header, and only then renamed into place: a reader never sees half a file, a
 * corrupted upload never replaces a good one, and a body over the limit is cut off, not buffered.
 */
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { createHash, randomBytes } from "node:crypto";
import { FORMAT, RUN_FILES } from "@tessera/shared";
import {
  MAX_UPLOAD_BYTES,
  SHA256_HEADER,
  UPLOAD_ID_PATTERN,
  checkpointFolderOf,
  uploadPathProblem,
} from "@tessera/shared/ingest";
import { emitRunChanged } from "../cluster/run-changes";
import { downloadable, fileSha256 } from "./manifest";
import { identityOf, principalOf } from "./principal";
import { claimedDir, IngestRefusal, renameAndSync, withRun } from "./store";

/** The caller's worker identity, or a 401. */
export function callerIdentity(headers: Headers): string {
  const principal = principalOf(headers);
  if (!principal) throw new IngestRefusal("UNAUTHORIZED", "ingest needs a worker token or the dashboard's token");
  const identity = identityOf(principal, headers);
  if (!identity)
    throw new IngestRefusal("UNAUTHORIZED", "with the dashboard's token, name the worker in x-tessera-worker");
  return identity;
}

function relpathOf(parts: string[]): string {
  try {
    return parts.map((p) => decodeURIComponent(p)).join("/");
  } catch {
    throw new IngestRefusal("BAD_REQUEST", "the file path has a malformed % escape");
  }
}

function answer(run: () => Promise<Response>): Promise<Response> {
  return run().catch((error: unknown) => {
    if (error instanceof IngestRefusal) return new Response(`${error.message}\n`, { status: error.status });
    throw error;
  });
}

/** The upload size limit: env `TESSERA_INGEST_MAX_BYTES` (read per request), else MAX_UPLOAD_BYTES. */
function maxUploadBytes(): number {
  const env = Number(process.env.TESSERA_INGEST_MAX_BYTES);
  return Number.isInteger(env) && env > 0 ? env : MAX_UPLOAD_BYTES;
}

/** A counting, hashing pass-through that fails once more than `limit` bytes went by. */
function meter(limit: number) {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limit) return done(new IngestRefusal("PAYLOAD_TOO_LARGE", `upload is over ${limit} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ size, sha256: hash.digest("hex") }) };
}

/** JSON files must at least parse; meta.json must be this run's, in our format. */
function checkContent(file: string, relpath: string, runId: string): void {
  if (!relpath.endsWith(".json") || statSync(file).size > 64 * 1024 ** 2) return;
  let value: { format?: unknown; id?: unknown };
  try {
    value = JSON.parse(readFileSync(file, "utf8")) as typeof value;
  } catch {
    throw new IngestRefusal("BAD_REQUEST", `${relpath}: not valid JSON`);
  }
  if (relpath === RUN_FILES.meta && (value.format !== FORMAT || value.id !== runId))
    throw new IngestRefusal("BAD_REQUEST", `${relpath}: not the meta.json of run ${runId} (format ${FORMAT})`);
}

/** `PUT`: stores one file (or stages it, with `?upload=<id>`, for `ingest.commitFolder`). */
export function putRunFile(req: Request, runId: string, parts: string[]): Promise<Response> {
  return answer(async () => {
    const identity = callerIdentity(req.headers);
    const relpath = relpathOf(parts);
    const problem = uploadPathProblem(relpath);
    if (problem) throw new IngestRefusal("BAD_REQUEST", problem);
    const upload = new URL(req.url).searchParams.get("upload");
    const folder = checkpointFolderOf(relpath);
    if (upload !== null && (!new RegExp(UPLOAD_ID_PATTERN).test(upload) || !folder))
      throw new IngestRefusal("BAD_REQUEST", `?upload= takes an id of 8-64 [A-Za-z0-9_-] and a checkpoint file`);
    if (upload === null && folder)
      throw new IngestRefusal(
        "BAD_REQUEST",
        `${relpath}: checkpoint files are uploaded as a folder (?upload=<id>, then ingest.commitFolder)`,
      );
    const expected = req.headers.get(SHA256_HEADER) ?? "";
    if (!/^[0-9a-f]{64}$/.test(expected))
      throw new IngestRefusal("BAD_REQUEST", `${SHA256_HEADER}: give the body's sha256 in hex`);
    const length = Number(req.headers.get("content-length") ?? "0");
    const limit = maxUploadBytes();
    if (length > limit) throw new IngestRefusal("PAYLOAD_TOO_LARGE", `upload is over ${limit} bytes`);
    const dir = claimedDir(runId, identity);
    const target = upload
      ? join(/*turbopackIgnore: true*/ dir, RUN_FILES.ingestStaging, upload, relpath)
      : join(/*turbopackIgnore: true*/ dir, relpath);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      const m = meter(limit);
      const body = req.body ? Readable.fromWeb(req.body as NodeReadableStream) : Readable.from([]);
      await pipeline(body, m.stream, createWriteStream(tmp));
      const fd = openSync(tmp, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      const got = m.result();
      if (got.sha256 !== expected)
        throw new IngestRefusal(
          "BAD_REQUEST",
          `${relpath}: the body's sha256 is ${got.sha256}, the header says ${expected}`,
        );
      checkContent(tmp, relpath, runId);
      await withRun(runId, () => renameAndSync(tmp, target));
      if (!upload) emitRunChanged(runId);
      return Response.json({ path: relpath, ...got });
    } finally {
      rmSync(tmp, { force: true });
    }
  });
}

/** `GET`: one file of a run the caller holds (events.jsonl included), for `downloadRun`. */
export function getRunFile(req: Request, runId: string, parts: string[]): Promise<Response> {
  return answer(async () => {
    const identity = callerIdentity(req.headers);
    const relpath = relpathOf(parts);
    if (!downloadable(relpath)) throw new IngestRefusal("BAD_REQUEST", uploadPathProblem(relpath) ?? relpath);
    const file = join(/*turbopackIgnore: true*/ claimedDir(runId, identity), relpath);
    if (!existsSync(file)) throw new IngestRefusal("NOT_FOUND", `run ${runId} has no ${relpath} on the server`);
    const sha256 = await fileSha256(file);
    const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
    return new Response(body, {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(statSync(file).size),
        [SHA256_HEADER]: sha256,
      },
    });
  });
}

/** Removes a run's staged uploads (a new claim starts clean; a dead worker's half folder goes). */
export function dropStaging(dir: string): void {
  rmSync(join(dir, RUN_FILES.ingestStaging), { recursive: true, force: true });
}
