/**
 * `@tessera/runner`'s public API: what a program (a sweep driver, a worker, the tests) calls
 * instead of the `tessera` CLI, which is a thin layer over the same functions. Everything else
 * under src/ is internal; package.json's `exports` lists only this file.
 *
 * - config: load and check an experiment file (results, not throws: `checkConfig`).
 * - train: run an experiment, or only its LR finder.
 * - inference: evaluate, predict with and export a finished run.
 * - runs: the run store's write side (the read side is `@tessera/shared/runstore`).
 */
export { checkConfig, loadConfig, configHash, type CheckResult, type LoadedConfig, type LoadOptions } from "./config";
export {
  runExperiment,
  type RunExperimentOptions,
  type RunExperimentResult,
  type SetupProgress,
  type TrainHooks,
} from "./train";
export { lrFindExperiment, type LrFindRunOptions, type LrFindRunResult } from "./train/lr-find/run";
export { evalRun, type EvalRunResult } from "./inference/eval-run";
export { exportRun, EXPORT_MANIFEST } from "./inference/export";
export { listImages, openRunModel, predictFiles, type Prediction, type RunModel } from "./inference/predict";
export { loadCheckpoint, saveCheckpoint, type CheckpointInfo } from "./train/checkpoints/io";
export {
  acquireRunLock,
  createRun,
  reopenRun,
  resolveRunRef,
  runsDirFrom,
  type RunLock,
  type RunSource,
  type RunWriter,
} from "./runs";
export { ExitError, UsageError, ConfigError, DataError } from "./errors";
export { main } from "./cli/main";
