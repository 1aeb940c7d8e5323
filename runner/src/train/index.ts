/**
 * The training engine's API: `runExperiment` (what `tessera run` calls), the LR finder alone
 * (`lrFindExperiment`, for `tessera lr-find`), and the pieces other modules hook into.
 */
export { runExperiment, type RunExperimentOptions, type RunExperimentResult } from "./experiment";
export type { SetupProgress } from "./setup";
export type {
  TrainHooks,
  StageInfo,
  BatchLogs,
  EpochLogs,
  LrFindLogs,
  LrFindStepLogs,
  StageEndLogs,
  LoopControl,
} from "./loop/hooks";
export { combineHooks } from "./loop/hooks";
export { loadCheckpoint, saveCheckpoint, type CheckpointInfo } from "./checkpoints/io";
export { checkpointDir } from "./checkpoints/layout";
export { GroupOptimizer } from "./loop/optim";
export { suggestLrs, type LrPoint } from "./lr-find/suggest";
