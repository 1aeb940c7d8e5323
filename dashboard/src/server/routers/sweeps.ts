/**
 * `sweeps.*`: the sweep list, one sweep's meta, and its trials.jsonl records as a live SSE
 * subscription in the style of `runs.events` (`tracked(seq)`, so a reconnect resumes from
 * `lastEventId` without gaps or repeats). The page folds the records with the shared `foldTrials`.
 */
import { TRPCError, tracked } from "@trpc/server";
import { z } from "zod";
import { join } from "node:path";
import { SWEEP_FILES } from "@tessera/shared";
import { publicProcedure, router } from "../trpc";
import { listSweepRows, readNewRecords, readSweepMeta, resolveSweepDir } from "../store/sweeps";
import { runId, streamInput } from "./runs";

export const sweepsRouter = router({
  list: publicProcedure.query(() => listSweepRows()),

  get: publicProcedure.input(z.object({ id: runId })).query(({ input }) => {
    const meta = readSweepMeta(input.id);
    if (!meta) throw new TRPCError({ code: "NOT_FOUND", message: `no sweep ${input.id} in the sweeps dir` });
    return { meta };
  }),

  records: publicProcedure.input(streamInput).subscription(async function* ({ input, signal }) {
    const file = join(resolveSweepDir(input.id), SWEEP_FILES.trials);
    const after = input.lastEventId == null ? -1 : Number(input.lastEventId);
    const cursor = { offset: 0 };
    // Polling like the run tailer: a sweep appends a few lines a minute, 250 ms is plenty live.
    while (!signal?.aborted) {
      for (const record of await readNewRecords(file, cursor)) {
        if (record.seq > after) yield tracked(String(record.seq), record);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }),
});
