/**
 * `resolve()`: a validated written config -> the `ResolvedConfig` everything downstream sees, with
 * every default filled and every shorthand expanded (stage names `stage<index>`, `trainable: all`
 * -> every group, `lr: 1e-3` -> `{kind: fixed, min: 1e-3, max: 1e-3}`, `schedule: sgdr` -> its
 * knobs, `micro_batch` -> `batch_size`, `split.seed` -> `seed`). The defaults are read from the
 * schema's `default` annotations, so the schema stays the one place that states them.
 */
import {
  Augment,
  Checkpoint,
  EarlyStopping,
  ExperimentSchema,
  LrFind,
  Model,
  Optimizer,
  Split,
  Stage,
  SyntheticData,
  Train,
  type ExperimentConfig,
  type LrConfig,
  type ResolvedConfig,
  type ResolvedData,
  type ResolvedLr,
  type ResolvedOptimizer,
  type ResolvedSchedule,
  type ResolvedStage,
  type ScheduleConfig,
  type StageConfig,
} from "@tessera/shared";
import { FolderData, Schedule } from "@tessera/shared";

type Props = Record<string, { default?: unknown; anyOf?: unknown[] }>;

/** The schema default of `key` in the object schema `schema` (deep-copied). */
function def<T>(schema: { properties: unknown }, key: string): T {
  const value = (schema.properties as Props)[key]?.default;
  if (value === undefined) throw new Error(`schema has no default for ${key}`);
  return structuredClone(value) as T;
}

/** `written[key] ?? default` for every key of `keys`. */
function fill<T>(schema: { properties: unknown }, written: object | undefined, keys: string[]): T {
  const w = (written ?? {}) as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, w[k] ?? def(schema, k)])) as T;
}

const tagged = (union: unknown, tag: string, value: string) =>
  ((union as { oneOf: { properties: Props }[] }).oneOf.find(
    (b) => (b.properties[tag] as { const?: unknown }).const === value,
  ) ?? {}) as { properties: unknown };

/** Fills every default of a validated config. Pure; `resolve(toWritten(resolve(c)))` equals `resolve(c)`. */
export function resolve(written: ExperimentConfig): ResolvedConfig {
  const seed = written.seed ?? def<number>(ExperimentSchema, "seed");
  const groups = structuredClone(written.model.groups ?? def(Model, "groups")) as ResolvedConfig["model"]["groups"];
  const groupNames = Object.keys(groups);
  const batchSize = written.train.batch_size ?? def<number>(Train, "batch_size");
  const stages = written.train.stages.map((s, i) => resolveStage(s, i, groupNames, batchSize));
  return {
    name: written.name,
    description: written.description ?? "",
    seed,
    backend: written.backend ?? def(ExperimentSchema, "backend"),
    inference_engine: written.inference_engine ?? def(ExperimentSchema, "inference_engine"),
    data: resolveData(written.data, seed),
    model: {
      backbone: written.model.backbone,
      pretrained: written.model.pretrained ?? def(Model, "pretrained"),
      width: written.model.width ?? def(Model, "width"),
      head: fill(Model.properties.head, written.model.head, ["dropout", "hidden"]),
      groups,
    },
    train: {
      batch_size: batchSize,
      micro_batch: written.train.micro_batch ?? batchSize,
      recompute: written.train.recompute ?? def(Train, "recompute"),
      optimizer: {
        name: written.train.optimizer?.name ?? def(Optimizer, "name"),
        ...fill<Omit<ResolvedOptimizer, "name">>(Optimizer, written.train.optimizer, [
          "weight_decay",
          "momentum",
          "beta1",
          "beta2",
          "eps",
        ]),
      },
      stages,
    },
    checkpoint: fill(Checkpoint, written.checkpoint, ["monitor", "mode"]),
    early_stopping: written.early_stopping
      ? fill(EarlyStopping, written.early_stopping, ["monitor", "mode", "patience", "min_delta"])
      : null,
    tta: written.tta ?? def(ExperimentSchema, "tta"),
  };
}

function resolveData(data: ExperimentConfig["data"], seed: number): ResolvedData {
  const split = {
    ...fill<Omit<ResolvedData["split"], "folds" | "seed">>(Split, data.split, ["protocol", "valid", "k", "stratify"]),
  };
  const augment = fill<Omit<ResolvedData["augment"], "crop">>(Augment, data.augment, [
    "dihedral",
    "brightness",
    "contrast",
    "stain_jitter",
  ]);
  const crop = data.augment?.crop;
  const common = {
    split: { ...split, folds: data.split?.folds ? [...data.split.folds] : null, seed: data.split?.seed ?? seed },
    resize: data.resize ?? def(FolderData, "resize"),
    normalize: data.normalize ?? def(FolderData, "normalize"),
    augment: {
      ...augment,
      crop: crop ? { scale: [...(crop.scale ?? [0.35, 1])] as [number, number] } : null,
    },
    on_bad_image: data.on_bad_image ?? def(FolderData, "on_bad_image"),
  } satisfies Omit<ResolvedData, "source">;
  switch (data.source) {
    case "folder":
      return { source: "folder", path: data.path, label: structuredClone(data.label ?? { from: "folder" }), ...common };
    case "csv":
      return {
        source: "csv",
        path: data.path,
        columns: {
          file: data.columns?.file ?? "file",
          label: data.columns?.label ?? "label",
          split: data.columns?.split ?? null,
        },
        ...common,
      };
    case "synthetic":
      return {
        source: "synthetic",
        ...fill<{ classes: number; per_class: number; image_size: number }>(SyntheticData, data, [
          "classes",
          "per_class",
          "image_size",
        ]),
        ...common,
      };
  }
}

function resolveStage(stage: StageConfig, index: number, groups: string[], batchSize: number): ResolvedStage {
  return {
    name: stage.name ?? `stage${index}`,
    index,
    trainable: stage.trainable === "all" ? [...groups] : [...stage.trainable],
    train_bn: stage.train_bn ?? def(Stage, "train_bn"),
    bn: stage.bn ?? def(Stage, "bn"),
    epochs: stage.epochs,
    size: stage.size,
    batch_size: stage.batch_size ?? batchSize,
    lr: resolveLr(stage.lr),
    schedule: resolveSchedule(stage.schedule ?? def<ScheduleConfig>(Stage, "schedule")),
  };
}

/** A written `lr` -> `{kind: fixed, min, max}` or `{kind: find, ...}` with defaults. */
export function resolveLr(lr: LrConfig): ResolvedLr {
  if (typeof lr === "number") return { kind: "fixed", min: lr, max: lr };
  if ("find" in lr) {
    return {
      kind: "find",
      ...fill<Omit<ResolvedLr & { kind: "find" }, "kind">>(LrFind, lr, ["suggest", "spread", "steps", "start", "end"]),
    };
  }
  return { kind: "fixed", min: lr.min, max: lr.max };
}

/** A written schedule (a name or `{name, ...}`) -> the schedule with every knob. */
export function resolveSchedule(schedule: ScheduleConfig): ResolvedSchedule {
  const written = typeof schedule === "string" ? { name: schedule } : schedule;
  const branch = tagged((Schedule as unknown as { anyOf: unknown[] }).anyOf[1], "name", written.name);
  const knobs = Object.keys(branch.properties as object).filter((k) => k !== "name");
  return { name: written.name, ...fill<object>(branch, written, knobs) } as ResolvedSchedule;
}
