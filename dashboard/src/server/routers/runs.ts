/**
 * `runs.*`: the run list (filter, sort, paginate), one run, its events as a live SSE
 * subscription, and the comparison of several runs.
 */
import { TRPCError, tracked } from "@trpc/server";
import { z } from "zod";
import type { RunEvent } from "@tessera/shared";
import { publicProcedure, router } from "../trpc";
import { readEvents, tailEvents } from "@tessera/shared/runstore";
import { resolveRunDir } from "../store/paths";
import { listRunRows, readRunDetail, type RunRow } from "../store/runs";
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
  /** Case-insensitive substring of the name or id. */
  q: z.string().max(200).optional(),
  status: z.array(z.enum(["running", "finished", "failed", "interrupted", "stopped_early"])).optional(),
  /** Prefix of the config hash. */
  configHash: z.string().max(128).optional(),
  sort: z.enum(sortKeys).default("started"),
  dir: z.enum(["asc", "desc"]).default("desc"),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
});

function compareRows(key: (typeof sortKeys)[number]): (a: RunRow, b: RunRow) => number {
  return (a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === y) return 0;
    if (x === null) return -1;
    if (y === null) return 1;
    return typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
  };
}

export const runsRouter = router({
  list: publicProcedure.input(listInput.optional()).query(async ({ input }) => {
    const opts = listInput.parse(input ?? {});
    let rows = await listRunRows();
    if (opts.q) {
      const q = opts.q.toLowerCase();
      rows = rows.filter((r) => r.name.toLowerCase().includes(q) || r.id.toLowerCase().includes(q));
    }
    if (opts.status?.length) rows = rows.filter((r) => opts.status!.includes(r.status));
    if (opts.configHash) rows = rows.filter((r) => r.configHash.startsWith(opts.configHash!));
    const sign = opts.dir === "asc" ? 1 : -1;
    const cmp = compareRows(opts.sort);
    rows.sort((a, b) => sign * cmp(a, b));
    return { total: rows.length, rows: rows.slice(opts.offset, opts.offset + opts.limit) };
  }),

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
