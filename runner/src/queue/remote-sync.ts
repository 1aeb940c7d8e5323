/**
 * The worker's side of the central server, over the ingest client (runner/src/remote/): claim the
 * run, and when another worker started it, fetch its folder from the server to resume it; push
 * events and files while it trains; push the rest at the end. The local run folder is the buffer,
 * so a server that is down only delays the push.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { downloadRun, RemoteSync } from "../remote";
import { claim } from "../remote/client";
import { readEvents } from "../runs";
import type { RunSyncFactory } from "./sync";

/** A sync factory for `tessera worker --server URL --token T`. */
export function remoteSync(opts: { server: string; token: string }): RunSyncFactory {
  return (job, worker) => {
    const address = { server: opts.server, token: opts.token, worker: worker.name };
    const stateDir = join(worker.stateDir, "sync");
    return {
      async claim({ jobId, attempt, runDir }) {
        const local = lastLocalSeq(runDir);
        const claimed = await claim(address, { runId: job.runId, jobId, attempt, worker: worker.name });
        if (!claimed.ok) throw new Error(`${opts.server}: claim of run ${job.runId} refused: ${claimed.message}`);
        // This machine's own folder is at least as far as the server's copy (its events.jsonl is
        // the buffer of what the server has not got yet): keep it; RemoteSync pushes the rest.
        if (local !== null && local >= claimed.value.lastSeq) return { resume: true };
        // No events on the server: nothing to continue (the claim may have left an empty events.jsonl).
        if (claimed.value.lastSeq < 0) return { resume: false };
        const fetched = await downloadRun({
          ...address,
          runId: job.runId,
          toDir: runDir,
          job: { jobId, attempt },
          stateDir,
        });
        if (!fetched.ok) throw new Error(`${opts.server}: download of run ${job.runId} failed: ${fetched.message}`);
        worker.log(
          `run ${job.runId}: fetched ${fetched.value.files.length} files (seq ${fetched.value.lastSeq}) from ${opts.server}`,
        );
        return { resume: existsSync(join(runDir, RUN_FILES.meta)) };
      },
      start(runDir, run) {
        const sync = RemoteSync.start({
          ...address,
          runId: job.runId,
          runDir,
          stateDir,
          job: { jobId: run.jobId, attempt: run.attempt },
          log: worker.log,
          onRefused: run.onRefused,
        });
        return {
          async finish() {
            const done = await sync.stop();
            if (!done.ok)
              throw new Error(
                `${opts.server} has run ${job.runId} up to seq ${done.status.ackedSeq} of ${done.status.localSeq}` +
                  `${done.status.lastError ? ` (${done.status.lastError})` : ""}; the next attempt pushes the rest`,
              );
          },
        };
      },
    };
  };
}

/** The seq of the last event in the local run folder, or null when there is none. */
function lastLocalSeq(runDir: string): number | null {
  if (!existsSync(join(runDir, RUN_FILES.events))) return null;
  try {
    return readEvents(runDir, () => undefined).at(-1)?.seq ?? null;
  } catch {
    return null;
  }
}
