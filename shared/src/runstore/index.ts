/**
 * The run store's read side (DESIGN.md "The run store"): reading and tailing `events.jsonl`
 * (torn lines skipped, superseded events dropped), meta and summary, the runs list, one run
 * condensed for `show`, and the lock check. Plain Node (fs, os, path): the CLI and the
 * dashboard's server both read runs through it, and neither needs TensorFlow.js to do so. The
 * write side (creating runs, appending events, taking the lock) is the runner's `runs/`.
 */
export { dropSuperseded, parseEventLine, parseEvents, warnToStderr, type Warn } from "./parse";
export { readEvents, readMeta, readRun, readSummary, type RunRecord } from "./reader";
export { tailEvents, type TailOptions } from "./tail";
export { listingOf, listRuns, scanEvents, type RunListing } from "./list";
export { describeRun, type EpochRow, type RunDescription, type StageRow } from "./describe";
export { lockHeld, lockState, parseLock, processAlive, readLock, type LockInfo, type LockState } from "./lock";
