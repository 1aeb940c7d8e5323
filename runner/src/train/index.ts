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
} from "./hooks";
export { combineHooks } from "./hooks";
export { loadCheckpoint, saveCheckpoint, type CheckpointInfo } from "./checkpoint-io";
export { checkpointDir } from "./checkpointing";
export { GroupOptimizer } from "./optim";
export { suggestLrs, type LrPoint } from "./lr-suggest";
