/**
 * `ingest.claim`: a worker takes a run over before it writes to it. The rules, kept simple:
 *
 * - A folder that exists in the store without a claim was written there directly (a local
 *   `tessera run` on this machine): no worker may take it over.
 * - With a queue (the runner handed the dashboard a Launcher), the claim must name a job that
 *   exists, is active and is for this run id; then the latest claim wins, so the worker a stalled
 *   job was retried on takes the run over and the old one is refused from then on. An older
 *   attempt than the one holding the claim is refused (a worker that lost its job lock and wakes).
 * - Without a queue, a valid token may claim a new run, or re-claim one it already holds (after
 *   its own restart); only the admin token may take over a run another worker holds.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import type { ClaimInput, ClaimOutput } from "@tessera/shared/ingest";
import { getLauncher } from "../cluster/launcher";
import { emitRunChanged } from "../cluster/run-changes";
import { lastSeqOf } from "./events";
import { dropStaging } from "./files";
import { storedFiles } from "./manifest";
import type { Principal } from "./principal";
import { IngestRefusal, readClaim, runDirOf, withRun, writeClaim } from "./store";

/** The queue's word on a claim: null when it may go ahead, else why not. */
async function queueRefusal(input: ClaimInput, identity: string): Promise<string | null> {
  const launcher = getLauncher();
  if (!launcher) return null;
  if (input.jobId === null) return `this server has a queue: a claim of run ${input.runId} must name its job`;
  const job = (await launcher.list()).find((j) => j.jobId === input.jobId);
  if (!job) return `no job ${input.jobId} in the queue`;
  if (job.runId !== input.runId) return `job ${input.jobId} is for run ${job.runId}, not ${input.runId}`;
  if (job.state !== "active") return `job ${input.jobId} is ${job.state}, not active`;
  // BullMQ names the worker by its --name, which may differ from its token's name: either matches.
  if (job.worker !== null && job.worker !== identity && job.worker !== input.worker)
    return `job ${input.jobId} is held by worker ${job.worker}`;
  return null;
}

/** Claims `input.runId` for `identity`; returns what the server already has of it. */
export async function claimRun(principal: Principal, identity: string, input: ClaimInput): Promise<ClaimOutput> {
  const refusal = await queueRefusal(input, identity);
  if (refusal) throw new IngestRefusal("FORBIDDEN", refusal);
  return withRun(input.runId, async () => {
    const dir = runDirOf(input.runId);
    const held = readClaim(dir);
    if (!held && (existsSync(join(dir, RUN_FILES.meta)) || existsSync(join(dir, RUN_FILES.events))))
      throw new IngestRefusal(
        "FORBIDDEN",
        `run ${input.runId} exists in the store and was not ingested; no worker may write it`,
      );
    if (held && held.worker !== identity) {
      if (input.attempt < held.attempt)
        throw new IngestRefusal(
          "FORBIDDEN",
          `run ${input.runId} is held by worker ${held.worker} for attempt ${held.attempt}; attempt ${input.attempt} is older`,
        );
      if (!getLauncher() && principal.kind !== "admin")
        throw new IngestRefusal("FORBIDDEN", `run ${input.runId} is claimed by worker ${held.worker}`);
    }
    dropStaging(dir);
    // A takeover: the old worker's lock mirror would keep the run looking live on a dead machine.
    if (held && held.worker !== identity) rmSync(join(dir, RUN_FILES.lock), { force: true });
    writeClaim(dir, { worker: identity, jobId: input.jobId, attempt: input.attempt, since: new Date().toISOString() });
    emitRunChanged(input.runId);
    return { lastSeq: lastSeqOf(join(dir, RUN_FILES.events)), files: await storedFiles(dir) };
  });
}
