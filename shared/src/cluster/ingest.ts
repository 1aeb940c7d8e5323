/**
 * The ingest protocol between a `tessera worker` (runner/src/remote/) and the central server
 * (dashboard/src/server/ingest/), written once so the two cannot drift: the tRPC procedures'
 * inputs and outputs (TypeBox values give both the check and the type), the file routes, the
 * headers, and which paths of a run folder a worker may upload. Pure: no Node APIs.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { RUN_FILES, isSafeRunId } from "../runfiles";

/** Who a worker says it is: letters, digits, `_.-`, like a run id. */
export const WORKER_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$";

const RunIdSchema = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$" });

/** `ingest.claim` input: the worker takes the run over for this job attempt. */
export const ClaimInput = Type.Object(
  {
    runId: RunIdSchema,
    /** The queue job that names the run; null for a run pushed without a queue. */
    jobId: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]),
    /** The job's attempt (1, then 2 after a retry). */
    attempt: Type.Integer({ minimum: 1 }),
    /** The worker's `--name`; a worker token's own name overrides it. */
    worker: Type.String({ pattern: WORKER_NAME_PATTERN }),
  },
  { additionalProperties: false },
);
export type ClaimInput = Static<typeof ClaimInput>;

/** One file the server holds for a run (what `downloadRun` fetches, what uploads can skip). */
export const StoredFile = Type.Object({
  path: Type.String(),
  sha256: Type.String(),
  size: Type.Integer({ minimum: 0 }),
});
export type StoredFile = Static<typeof StoredFile>;

/** `ingest.claim` output: where the server's copy stands, so the worker resumes from there. */
export interface ClaimOutput {
  /** Seq of the last event the server has, -1 for none. */
  lastSeq: number;
  files: StoredFile[];
}

/** At most this many events in one `ingest.events` call. */
export const MAX_EVENTS_PER_BATCH = 2000;
/** An event line longer than this is refused (an epoch with a 100-class confusion matrix is ~60 KB). */
export const MAX_EVENT_LINE_BYTES = 4 * 1024 * 1024;

/** `ingest.events` input: consecutive event lines, exactly as the worker's events.jsonl has them. */
export const EventsInput = Type.Object(
  {
    runId: RunIdSchema,
    events: Type.Array(
      Type.Object(
        {
          seq: Type.Integer({ minimum: 0 }),
          /** The line without its newline; appended to the server's events.jsonl byte for byte. */
          line: Type.String({ minLength: 2, maxLength: MAX_EVENT_LINE_BYTES }),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_EVENTS_PER_BATCH },
    ),
  },
  { additionalProperties: false },
);
export type EventsInput = Static<typeof EventsInput>;

/** `ingest.events` output, and the `data.lastSeq` of its CONFLICT error when the batch leaves a gap. */
export interface EventsOutput {
  lastSeq: number;
}

/** `ingest.lock` input: mirrors the worker's `.lock` so the central store shows the run as live. */
export const LockInput = Type.Object(
  {
    runId: RunIdSchema,
    lock: Type.Union([
      Type.Object(
        { pid: Type.Integer(), host: Type.String({ maxLength: 255 }), since: Type.String({ maxLength: 64 }) },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);
export type LockInput = Static<typeof LockInput>;

/** A folder upload's id: the PUTs that carry it (`?upload=<id>`) are staged until `ingest.commitFolder`. */
export const UPLOAD_ID_PATTERN = "^[A-Za-z0-9_-]{8,64}$";

/**
 * `ingest.commitFolder` input: swaps a staged checkpoint folder in whole (a tfjs model.json that
 * names weights from another upload would load garbage), after checking it holds exactly `files`.
 */
export const CommitFolderInput = Type.Object(
  {
    runId: RunIdSchema,
    upload: Type.String({ pattern: UPLOAD_ID_PATTERN }),
    /** e.g. `checkpoints/resume`; every `files[].path` lies directly in it. */
    folder: Type.String({ maxLength: 200 }),
    files: Type.Array(StoredFile, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type CommitFolderInput = Static<typeof CommitFolderInput>;

/** File routes: `PUT|GET {FILES_ROUTE}/<runId>/files/<relpath>`. */
export const INGEST_FILES_ROUTE = "/api/ingest/runs";
/** The uploaded body's sha256 (hex); the server refuses a body that does not match it. */
export const SHA256_HEADER = "x-tessera-sha256";
/** Set by the server's access check, never trusted from a client: `admin` or `worker:<name>`. */
export const PRINCIPAL_HEADER = "x-tessera-principal";
/** An uploaded file larger than this is refused (a ResNet152 checkpoint with Adam state is ~700 MB). */
export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;
const CHECKPOINT_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\.(json|bin)$/;

/** Files at the top of a run folder a worker uploads (events go through `ingest.events`). */
const TOP_FILES = new Set<string>([
  RUN_FILES.config,
  RUN_FILES.source,
  RUN_FILES.meta,
  RUN_FILES.summary,
  RUN_FILES.split,
  RUN_FILES.activationCache,
  RUN_FILES.report,
]);

/**
 * Why `relpath` is not a file a worker may upload into a run folder, or null when it is. The run
 * folder layout (RUN_FILES) is the allow-list: top files, checkpoint folders (`checkpoints/best`,
 * `checkpoints/fold2/last`, `checkpoints/resume`) and top-loss thumbnails. Never events.jsonl (its
 * lines go through `ingest.events`), the lock, or anything with `..`, a leading `/` or a hidden name.
 */
export function uploadPathProblem(relpath: string): string | null {
  const parts = relpath.split("/");
  if (relpath.length > 1000 || parts.some((p) => !SEGMENT.test(p) || p.includes("..")))
    return `${JSON.stringify(relpath)} is not a plain relative path inside a run folder`;
  const [head, ...rest] = parts;
  if (rest.length === 0) {
    return TOP_FILES.has(head!) ? null : `${JSON.stringify(relpath)} is not a file of the run folder layout`;
  }
  if (head === "checkpoints" && checkpointFolder(rest.slice(0, -1)) && CHECKPOINT_FILE.test(rest.at(-1)!)) return null;
  if (head === "top_losses" && rest.length === 1 && /\.(png|jpg|jpeg|webp|json)$/i.test(rest[0]!)) return null;
  return `${JSON.stringify(relpath)} is not a file of the run folder layout (checkpoints/<best|last|resume>/*.json|bin, top_losses/*, or a top file)`;
}

function checkpointFolder(parts: string[]): boolean {
  const key = parts.join("/");
  return /^(fold\d{1,3}\/)?(best|last)$/.test(key) || key === "resume";
}

/** The checkpoint folder a path lies in (`checkpoints/fold2/best`), or null for a single file. */
export function checkpointFolderOf(relpath: string): string | null {
  const m = /^(checkpoints\/(?:fold\d{1,3}\/)?(?:best|last|resume))\/[^/]+$/.exec(relpath);
  return m ? m[1]! : null;
}

/**
 * A tRPC input parser from a wire schema: returns the value typed, or throws naming the first
 * offending field (`/events/3/seq: Expected integer`), which tRPC answers as BAD_REQUEST.
 */
export function wireParser<S extends TSchema>(schema: S): (raw: unknown) => Static<S> {
  return (raw) => {
    if (Value.Check(schema, raw)) return raw;
    const first = Value.Errors(schema, raw).First();
    throw new Error(first ? `${first.path || "input"}: ${first.message}` : "input does not match the ingest protocol");
  };
}

/** Run ids in routes and claims are the store's (`isSafeRunId`); re-exported for the route. */
export { isSafeRunId };
