/**
 * The central server's side of the run store: it is the one writer of an ingested run folder
 * (ARCHITECTURE.md: one writer per folder), so every change to one run goes through `withRun`,
 * which runs them one after another. The queue of each run is kept on globalThis because the tRPC
 * route and the file route are separate Next bundles in the one process.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { fsyncDir } from "@tessera/shared/durable";
import { resolveRunDir } from "../store/paths";

/** Which worker may write a run, for which job attempt (`.claim.json` in the server's folder). */
export interface Claim {
  worker: string;
  jobId: string | null;
  attempt: number;
  since: string;
}

/** A refusal with the HTTP status and tRPC code it maps to. */
export class IngestRefusal extends Error {
  constructor(
    readonly code: "UNAUTHORIZED" | "FORBIDDEN" | "BAD_REQUEST" | "CONFLICT" | "NOT_FOUND" | "PAYLOAD_TOO_LARGE",
    message: string,
    readonly lastSeq?: number,
  ) {
    super(message);
    this.name = "IngestRefusal";
  }

  get status(): number {
    return {
      UNAUTHORIZED: 401,
      FORBIDDEN: 403,
      BAD_REQUEST: 400,
      CONFLICT: 409,
      NOT_FOUND: 404,
      PAYLOAD_TOO_LARGE: 413,
    }[this.code];
  }
}

const KEY = Symbol.for("tessera.ingest.runQueues");
const holder = globalThis as unknown as Record<symbol, Map<string, Promise<unknown>> | undefined>;
const queues = (holder[KEY] ??= new Map());

/** Runs `fn` after every earlier change to `runId` has finished (a per-run mutex). */
export function withRun<T>(runId: string, fn: () => Promise<T> | T): Promise<T> {
  const before = queues.get(runId) ?? Promise.resolve();
  const mine = before.then(fn, fn);
  const tail = mine.catch(() => undefined);
  queues.set(runId, tail);
  void tail.then(() => queues.get(runId) === tail && queues.delete(runId));
  return mine;
}

/** The run's folder in the store; a bad id is a refusal, not a 500. */
export function runDirOf(runId: string): string {
  try {
    return resolveRunDir(runId);
  } catch (error) {
    throw new IngestRefusal("BAD_REQUEST", (error as Error).message);
  }
}

/** The claim on a run folder, or null when it was not ingested (or not yet). */
export function readClaim(dir: string): Claim | null {
  try {
    return JSON.parse(readFileSync(join(dir, RUN_FILES.claim), "utf8")) as Claim;
  } catch {
    return null;
  }
}

/** Records `claim`, creating the folder and an empty events.jsonl for a new run. */
export function writeClaim(dir: string, claim: Claim): void {
  mkdirSync(dir, { recursive: true });
  const events = join(dir, RUN_FILES.events);
  if (!existsSync(events)) writeFileSync(events, "");
  const tmp = join(dir, `${RUN_FILES.claim}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(claim, null, 2)}\n`);
  renameAndSync(tmp, join(dir, RUN_FILES.claim));
}

/** Checks that `identity` holds the claim on `runId`; returns the run's folder. */
export function claimedDir(runId: string, identity: string): string {
  const dir = runDirOf(runId);
  const claim = readClaim(dir);
  if (!claim) throw new IngestRefusal("FORBIDDEN", `run ${runId} is not claimed; call ingest.claim first`);
  if (claim.worker !== identity)
    throw new IngestRefusal(
      "FORBIDDEN",
      `run ${runId} is claimed by worker ${claim.worker} (attempt ${claim.attempt}), not by ${identity}`,
    );
  return dir;
}

/** rename, then fsync the folder so the new name survives a power cut. */
export function renameAndSync(from: string, to: string): void {
  renameSync(from, to);
  fsyncDir(dirname(to));
}
