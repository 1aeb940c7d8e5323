/**
 * `runs.*`: the run list (filter, sort, paginate: a query on the run index), one run, its events as a live SSE
 * subscription, and the comparison of several runs.
 */
import { TRPCError, tracked } from "@trpc/server";
import { z } from "zod";
import type { RunEvent } from "@tessera/shared";
import { publicProcedure, router } from "../trpc";
import { readEvents, tailEvents } from "@tessera/shared/runstore";
import { resolveRunDir } from "../store/paths";
import { queryRuns, readRunDetail } from "../store/runs";
import { compareRuns } from "../store/compare";

/** A run id as the store names folders; `../`, `/` and absolute paths fail here already. */
export const runId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a run id has only letters, digits, '_', '.', '-'")
  .refine((s) => !s.includes(".."), "a run id cannot contain '..'");

/**
 * A live stream's input: which run or sweep, and the last seq the client saw (`httpSubscriptionLink`
 * sends it again on reconnect, so nothing is missed or repeated).
 */
export const streamInput = z.object({
  id: runId,
  lastEventId: z
    .string()
    .regex(/^-?\d+$/)
    .nullish(),
});

const sortKeys = [
  "started",
  "name",
  "status",
  "bestAccuracy",
  "lastAccuracy",
  "seconds",
  "backend",
  "configHash",
] as const;

const listInput = z.object({
  /** Case-insensitive substring of the name, id or a tag (`sweep:<id>`, `host:<name>`). */
  q: z.string().max(200).optional(),
  status: z.array(z.enum(["running", "finished", "failed", "interrupted", "stopped_early"])).optional(),
  /** Prefix of the config hash. */
  configHash: z.string().max(128).optional(),
  /** Only this sweep's trials. */
  sweep: runId.optional(),
  sort: z.enum(sortKeys).default("started"),
  dir: z.enum(["asc", "desc"]).default("desc"),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
});

export const runsRouter = router({
  list: publicProcedure.input(listInput.optional()).query(async ({ input }) => queryRuns(listInput.parse(input ?? {}))),

  get: publicProcedure.input(z.object({ id: runId })).query(async ({ input }) => {
    const detail = await readRunDetail(input.id);
    if (!detail) throw new TRPCError({ code: "NOT_FOUND", message: `no run ${input.id} in the run store` });
    return detail;
  }),

  /**
   * Every event written so far that counts (events a resume superseded are dropped), in one response: a 100k-batch run loads in one JSON document
   * instead of 100k SSE messages. The page then subscribes from `lastSeq`, so nothing written
   * in between is lost (the subscription reads the file from there on).
   */
  backlog: publicProcedure.input(z.object({ id: runId })).query(async ({ input }) => {
    const events = readEvents(resolveRunDir(input.id));
    return { events, lastSeq: events.at(-1)?.seq ?? -1 };
  }),

  /**
   * The run's events: backlog then live lines. `lastEventId` is the last seq the client saw;
   * `httpSubscriptionLink` sends it again on reconnect, so nothing is missed or repeated.
   */
  events: publicProcedure.input(streamInput).subscription(async function* ({ input, signal }) {
    const dir = resolveRunDir(input.id);
    const afterSeq = input.lastEventId == null ? -1 : Number(input.lastEventId);
    for await (const event of tailEvents(dir, { afterSeq, signal })) {
      yield tracked(String(event.seq), event as RunEvent);
    }
  }),

  compare: publicProcedure
    .input(z.object({ ids: z.array(runId).min(2).max(8) }))
    .query(async ({ input }) => compareRuns(input.ids)),
});
