/**
 * `tessera plan`'s model: what each stage will do — epochs, size, batch, which groups train, the LR
 * of every group, the schedule and its curve — computed with the same shared functions the engine
 * calls (`groupLrs`, `scheduleAt`), so the plan is what runs. No tfjs.
 */
import { groupLrs, scheduleAt, type BnMode, type ResolvedSchedule } from "@tessera/shared";
import type { DataCount } from "./data-count";
import { stepsPerEpoch } from "./data-count";
import type { LoadedConfig } from "./index";

/** Steps an epoch assumed for the curve's shape when the data size is unknown. */
export const NOMINAL_STEPS_PER_EPOCH = 100;

/** One stage of the plan: what it trains, at which LRs, for how many steps. */
export interface PlanStage {
  index: number;
  name: string;
  epochs: number;
  size: number;
  batchSize: number;
  trainable: string[];
  frozen: string[];
  trainBn: boolean;
  /** How the trainable groups' BatchNorm runs (`train`, `inference`, `frozen`). */
  bn: BnMode;
  /** Fixed LRs per group (network order), or the finder's recipe. */
  lr:
    | { kind: "fixed"; groups: Record<string, number> }
    | {
        kind: "find";
        suggest: string;
        spread: number;
        steps: number;
        range: [number, number];
        groups: Record<string, string>;
      };
  schedule: ResolvedSchedule;
  /** `null` without `--check-data` (or when the data could not be counted). */
  stepsPerEpoch: number | null;
  totalSteps: number | null;
  /** The LR factor (x the group's max LR) and momentum over the stage, sampled at `points` evenly spaced steps from 0 (the last one just before the end). */
  curve: { epoch: number; lrFactor: number; momentum: number | null }[];
}

/** What `tessera plan --json` prints. */
export interface Plan {
  file: string;
  name: string;
  configHash: string;
  model: { backbone: string; pretrained: string; width: number; groups: Record<string, string[]> };
  data: { source: string; path: string | null; count: DataCount | null };
  /** Gradient checkpointing per ResNet block (`train.recompute`). */
  recompute: boolean;
  stages: PlanStage[];
  /** The wasm memory check of every stage (`tessera plan` adds it; see `planMemory`). */
  memory?: PlanMemory;
}

/** What `tessera plan` says about memory: the same check `run` makes before loading data. */
export interface PlanMemory {
  /** The backend checked: the configured one, or wasm (auto's fallback, the only one with a hard limit) for `auto`. */
  backend: string;
  stages: { stage: string; batch: number; bytes: number; problem: string | null }[];
}

/** Builds the plan of a loaded config; `count` (from `countData`) makes step counts exact. */
export function makePlan(loaded: LoadedConfig, count: DataCount | null, points = 60): Plan {
  const { config } = loaded;
  const groups = Object.keys(config.model.groups);
  // The first fold's train size: every fold of a split is within one image of it.
  const train = count?.folds[0]?.train ?? null;
  const stages = config.train.stages.map((stage): PlanStage => {
    const spe = train !== null ? stepsPerEpoch(train, stage.batch_size) : null;
    const curveSpe = spe ?? NOMINAL_STEPS_PER_EPOCH;
    const total = curveSpe * stage.epochs;
    const curve = Array.from({ length: points }, (_, i) => {
      const step = (i / points) * total;
      return { epoch: step / curveSpe, ...scheduleAt(stage.schedule, step, total, curveSpe) };
    });
    return {
      index: stage.index,
      name: stage.name,
      epochs: stage.epochs,
      size: stage.size,
      batchSize: stage.batch_size,
      trainable: stage.trainable,
      frozen: groups.filter((g) => !stage.trainable.includes(g)),
      trainBn: stage.train_bn,
      bn: stage.bn,
      lr:
        stage.lr.kind === "fixed"
          ? { kind: "fixed", groups: groupLrs(stage.lr, groups) }
          : findRecipe(stage.lr, groups),
      schedule: stage.schedule,
      stepsPerEpoch: spe,
      totalSteps: spe !== null ? spe * stage.epochs : null,
      curve,
    };
  });
  return {
    file: loaded.file,
    name: config.name,
    configHash: loaded.configHash,
    model: { ...config.model, groups: config.model.groups },
    data: { source: config.data.source, path: "path" in config.data ? config.data.path : null, count },
    recompute: config.train.recompute,
    stages,
  };
}

/** `{find}`: the last group gets the finder's pick (`lr`), the others `lr / ratio` spread geometrically. */
function findRecipe(
  lr: { suggest: string; spread: number; steps: number; start: number; end: number },
  groups: string[],
) {
  const ratios = groupLrs({ kind: "fixed", min: 1 / lr.spread, max: 1 }, groups);
  const named = Object.fromEntries(
    Object.entries(ratios).map(([g, r]) => [g, r === 1 ? "lr" : `lr/${Number((1 / r).toPrecision(3))}`]),
  );
  return {
    kind: "find" as const,
    suggest: lr.suggest,
    spread: lr.spread,
    steps: lr.steps,
    range: [lr.start, lr.end] as [number, number],
    groups: named,
  };
}
