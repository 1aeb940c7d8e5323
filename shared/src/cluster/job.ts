/**
 * One queued run, as it travels through Redis from `tessera submit` (or the Launch page, or a sweep
 * driven with `--queue`) to a `tessera worker`. Written once as TypeBox so the type and the check
 * cannot drift. A worker checks every job it takes with `checkRunJob`: anything that can write to
 * Redis can put a job there, so a job is hostile input until it passes (and its config is then
 * re-validated by the runner's own config pipeline, on the worker, under its --data-root).
 */
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { RUN_ID_PATTERN } from "../runfiles";

/** Bumped when a job's shape changes incompatibly; workers refuse formats they do not know. */
export const RUN_JOB_FORMAT = 1;

/** Tessera's priority range: higher runs sooner (mapped onto BullMQ's 1 = first in runner/src/queue). */
export const PRIORITY_MIN = -1000;
export const PRIORITY_MAX = 1000;

const Id = Type.String({ pattern: RUN_ID_PATTERN.source, maxLength: 200 });

export const RunJobSchema = Type.Object(
  {
    format: Type.Literal(RUN_JOB_FORMAT),
    /** The run folder's id, chosen at submit time so every attempt writes the same run. */
    runId: Id,
    /** The config's `name` (for lists). */
    name: Type.String({ maxLength: 200 }),
    /** The file it was submitted from, for display only (the worker never reads it). */
    configFile: Type.String({ maxLength: 1000 }),
    /**
     * The config as YAML with `extends` already merged (a worker has none of the submitter's files)
     * and `data.path` relative to the submitter's data root; `--set` flags not applied.
     */
    configText: Type.String({ maxLength: 1_000_000 }),
    /** `--set path=value` flags, applied on the worker in order. */
    sets: Type.Array(Type.String({ maxLength: 10_000 }), { maxItems: 500 }),
    /** The resolved config's hash on the submitter; the worker's must match (same experiment). */
    configHash: Type.String({ pattern: "^[0-9a-f]{64}$" }),
    gitCommit: Type.Union([Type.String({ pattern: "^[0-9a-f]{7,64}$" }), Type.Null()]),
    /** Higher runs sooner. @default 0 */
    priority: Type.Integer({ minimum: PRIORITY_MIN, maximum: PRIORITY_MAX }),
    /** What a worker must offer to take this job. */
    requires: Type.Optional(
      Type.Object(
        { backend: Type.Optional(Type.String({ pattern: "^[a-z0-9-]{1,40}$" })) },
        { additionalProperties: false },
      ),
    ),
    /** Set when the run is a sweep's trial (the run folder is tagged with it). */
    sweep: Type.Optional(
      Type.Object(
        {
          id: Id,
          trial: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
          /** Stop after this many epochs of the schedule (an ASHA rung), or null for all. */
          stopAtEpoch: Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()]),
        },
        { additionalProperties: false },
      ),
    ),
    /** ISO 8601 instant of submission. */
    submittedAt: Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$" }),
  },
  { additionalProperties: false },
);

/** The data of one queued run. */
export type RunJob = Static<typeof RunJobSchema>;

/** A job's data, checked: the job, or the first problems as `path: message` lines. */
export function checkRunJob(data: unknown): { ok: true; job: RunJob } | { ok: false; problems: string[] } {
  if (Value.Check(RunJobSchema, data)) return { ok: true, job: data };
  const format = (data as { format?: unknown } | null)?.format;
  if (typeof data === "object" && data !== null && format !== RUN_JOB_FORMAT)
    return {
      ok: false,
      problems: [`format: this worker reads job format ${RUN_JOB_FORMAT}, received ${JSON.stringify(format)}`],
    };
  const problems: string[] = [];
  for (const error of Value.Errors(RunJobSchema, data)) {
    problems.push(`${error.path || "(job)"}: ${error.message}`);
    if (problems.length >= 5) break;
  }
  return { ok: false, problems };
}
