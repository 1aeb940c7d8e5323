/**
 * The resolved config: what `resolve()` makes of a written `ExperimentConfig` — every default
 * filled, shorthands expanded, `extends` merged, `--set` applied. Everything downstream (trainer,
 * run store, dashboard, diff) sees only this shape, and the run folder stores it.
 */
import type {
  BackboneName,
  BackendName,
  BnMode,
  InferenceEngineName,
  LrSuggestion,
  Monitor,
  ResNetPart,
} from "./schema";

export interface ResolvedSplit {
  protocol: "holdout" | "kfold" | "leave_one_out" | "predefined";
  valid: number;
  k: number;
  /** Folds to run; `null` means all. */
  folds: number[] | null;
  stratify: boolean;
  seed: number;
}

export interface ResolvedAugment {
  dihedral: boolean;
  /** `null` when random resized crop is off. */
  crop: { scale: [number, number] } | null;
  brightness: number;
  contrast: number;
  stain_jitter: number;
}

interface ResolvedDataCommon {
  split: ResolvedSplit;
  resize: "squish" | "crop" | "pad";
  normalize: "auto" | "caffe" | "imagenet" | "none";
  augment: ResolvedAugment;
  on_bad_image: "error" | "skip";
}

export type ResolvedData = ResolvedDataCommon &
  (
    | { source: "folder"; path: string; label: { from: "folder" } | { from: "filename"; pattern: string } }
    | { source: "csv"; path: string; columns: { file: string; label: string; split: string | null } }
    | { source: "synthetic"; classes: number; per_class: number; image_size: number }
  );

export interface ResolvedModel {
  backbone: BackboneName;
  /** `imagenet`, `none`, or a path/URL of a tfjs layers model. */
  pretrained: string;
  width: number;
  head: { dropout: number; hidden: number };
  /** Group name -> parts, in network order (the object's key order is the group order). */
  groups: Record<string, ResNetPart[]>;
}

export type ResolvedLr =
  | { kind: "fixed"; min: number; max: number }
  | { kind: "find"; suggest: LrSuggestion; spread: number; steps: number; start: number; end: number };

export type ResolvedSchedule =
  | { name: "constant" }
  | { name: "one_cycle"; pct_start: number; div: number; div_final: number; moms: [number, number] }
  | { name: "sgdr"; cycle_epochs: number; cycle_mult: number; min_lr_ratio: number }
  | { name: "flat_cos"; pct_start: number };

export interface ResolvedStage {
  /** Always set: the written name or `stage<index>` */
  name: string;
  index: number;
  /** Group names, never `all` (expanded). */
  trainable: string[];
  train_bn: boolean;
  /** BatchNorm mode of the trainable groups. */
  bn: BnMode;
  epochs: number;
  size: number;
  batch_size: number;
  lr: ResolvedLr;
  schedule: ResolvedSchedule;
}

export interface ResolvedOptimizer {
  name: "adam" | "adamw" | "sgd";
  weight_decay: number;
  momentum: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export interface ResolvedConfig {
  name: string;
  description: string;
  seed: number;
  backend: BackendName;
  inference_engine: InferenceEngineName;
  data: ResolvedData;
  model: ResolvedModel;
  train: {
    batch_size: number;
    /** Equal to batch_size when no accumulation is asked for. */
    micro_batch: number;
    /** Gradient checkpointing per ResNet block. */
    recompute: boolean;
    optimizer: ResolvedOptimizer;
    stages: ResolvedStage[];
  };
  checkpoint: { monitor: Monitor; mode: "max" | "min" };
  early_stopping: { monitor: Monitor; mode: "max" | "min"; patience: number; min_delta: number } | null;
  tta: boolean;
}
