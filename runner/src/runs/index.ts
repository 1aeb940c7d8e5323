/**
 * The run store (DESIGN.md "The run store", "Events"): one folder per run with config.yaml,
 * meta.json, events.jsonl (append-only, one event a line), summary.json and checkpoints/.
 * The runner writes it through a RunWriter (here); reading is `@tessera/shared/runstore`, which the
 * CLI and the dashboard share, re-exported here for the runner's own callers.
 */
export { createRun, reopenRun, SOURCE_FILE, type AppendBody, type ReopenedRun, type RunSource, type RunWriter } from "./writer";
export {
  dropSuperseded,
  listRuns,
  parseEvents,
  readEvents,
  readMeta,
  readRun,
  readSummary,
  tailEvents,
  type RunListing,
  type RunRecord,
  type TailOptions,
  type Warn,
} from "@tessera/shared/runstore";
export { resolveRunRef, runsDirFrom } from "./ref";
export { acquireRunLock, processAlive, type RunLock } from "./lock";
export { writeFileAtomic, writeJsonAtomic } from "./atomic";
export { repairTornTail } from "./repair";
export { makeRunId } from "./id";
