/**
 * The run store (DESIGN.md "The run store", "Events"): one folder per run with config.yaml,
 * meta.json, events.jsonl (append-only, one event a line), summary.json and checkpoints/.
 * The runner writes it through a RunWriter; the CLI, the dashboard and diff/report read it here.
 */
export { createRun, reopenRun, SOURCE_FILE, type AppendBody, type ReopenedRun, type RunSource, type RunWriter } from "./writer";
export { readEvents, readMeta, readRun, readSummary, type RunRecord } from "./reader";
export { listRuns, type RunListing } from "./list";
export { tailEvents, type TailOptions } from "./tail";
export { resolveRunRef, runsDirFrom } from "./ref";
export { dropSuperseded, parseEvents, type Warn } from "./parse";
export { acquireRunLock, processAlive, type RunLock } from "./lock";
export { writeFileAtomic, writeJsonAtomic } from "./atomic";
export { repairTornTail } from "./repair";
export { makeRunId } from "./id";
