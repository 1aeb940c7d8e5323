/**
 * The experiment language, written once. This module yields both the JSON Schema that Ajv
 * compiles (and that `experiment.schema.json` is generated from) and the TypeScript type of a
 * written config (`ExperimentConfig`). Defaults are documented here with `default` but applied by
 * `resolve()`, not by Ajv (strict mode rejects defaults inside unions).
 */
import { Type, type Static, type TSchema, type TObject, type TUnion } from "@sinclair/typebox";
import { MonitorSchema } from "./monitors";
import { Sweep } from "./sweep/schema";

/**
 * A union tagged by one key (`name`, `source`, ...). TypeBox's `Union` emits `anyOf`; Ajv's
 * `discriminator` keyword needs `oneOf` with a `const` tag, and then reports errors from the one
 * branch the tag names instead of from every branch.
 */
export function TaggedUnion<T extends TObject[]>(tag: string, members: [...T], options: object = {}) {
  return Type.Unsafe<Static<TUnion<T>>>({
    ...options,
    type: "object",
    // No top-level `required: [tag]`: every member requires its tag already, and Ajv's strict mode
    // rejects a `required` key that no sibling `properties` defines.
    oneOf: members,
    discriminator: { propertyName: tag },
  });
}

const PositiveInt = (options: object = {}) => Type.Integer({ minimum: 1, ...options });
const Fraction = (options: object = {}) => Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, ...options });
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

/** The parts of a ResNet, in network order; layer groups are made of these. */
export const RESNET_PARTS = ["stem", "conv2", "conv3", "conv4", "conv5", "head"] as const;
export type ResNetPart = (typeof RESNET_PARTS)[number];
export const Part = Type.Union(RESNET_PARTS.map((p) => Type.Literal(p)));

export const BACKBONES = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"] as const;
export type BackboneName = (typeof BACKBONES)[number];

/**
 * How the BatchNorm layers of a stage's trainable groups run: `train` (batch statistics, moving
 * statistics updated, gamma/beta trained), `inference` (moving statistics used and kept, gamma/beta
 * trained; Keras's fine-tuning advice), `frozen` (moving statistics used and kept, gamma/beta fixed).
 */
export const BN_MODES = ["train", "inference", "frozen"] as const;
export type BnMode = (typeof BN_MODES)[number];

export const BACKENDS = ["auto", "tensorflow-gpu", "tensorflow", "webgpu", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * What Tessera infers with through a fixed model (the activation cache's frozen prefix, `eval`,
 * `predict`, TTA): ONNX Runtime on the CPU or the run's tfjs backend.
 */
export const INFERENCE_ENGINES = ["auto", "tfjs", "onnx"] as const;
export type InferenceEngineName = (typeof INFERENCE_ENGINES)[number];

// ---------------------------------------------------------------- data

export const Split = Type.Object(
  {
    protocol: Opt(
      Type.Union(
        [Type.Literal("holdout"), Type.Literal("kfold"), Type.Literal("leave_one_out"), Type.Literal("predefined")],
        {
          description:
            "holdout: a seeded random `valid` fraction; kfold: `k` folds, each one evaluated; leave_one_out: one image out per fold; predefined: the data says (train/ and valid/ folders, or the CSV's split column).",
          default: "holdout",
        },
      ),
    ),
    valid: Opt(Fraction({ description: "Fraction of images held out for validation (holdout).", default: 0.2 })),
    k: Opt(Type.Integer({ minimum: 2, description: "Number of folds (kfold).", default: 5 })),
    folds: Opt(
      Type.Array(Type.Integer({ minimum: 0 }), {
        minItems: 1,
        uniqueItems: true,
        description: "Which folds to run (kfold / leave_one_out); all when left out.",
      }),
    ),
    stratify: Opt(Type.Boolean({ description: "Keep class proportions in every split.", default: true })),
    seed: Opt(Type.Integer({ description: "Seed of the split; defaults to the experiment's `seed`." })),
  },
  { additionalProperties: false, description: "How images are split into train and validation sets." },
);

export const Augment = Type.Object(
  {
    dihedral: Opt(
      Type.Boolean({ description: "Random flips and 90-degree rotations (the 8 dihedral views).", default: false }),
    ),
    crop: Opt(
      Type.Object(
        {
          scale: Opt(
            Type.Tuple([Fraction(), Type.Number({ exclusiveMinimum: 0, maximum: 1 })], {
              description: "Area fraction range of the random resized crop.",
              default: [0.35, 1],
            }),
          ),
        },
        { additionalProperties: false, description: "Random resized crop; off when left out." },
      ),
    ),
    brightness: Opt(
      Type.Number({ minimum: 0, maximum: 1, description: "Max brightness change (fraction).", default: 0 }),
    ),
    contrast: Opt(Type.Number({ minimum: 0, maximum: 1, description: "Max contrast change (fraction).", default: 0 })),
    stain_jitter: Opt(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: "H&E stain jitter in optical-density (HED) space: max relative change per stain.",
        default: 0,
      }),
    ),
  },
  { additionalProperties: false, description: "Training-time augmentation, applied on batches, seeded." },
);

const dataCommon = {
  split: Opt(Split),
  resize: Opt(
    Type.Union([Type.Literal("squish"), Type.Literal("crop"), Type.Literal("pad")], {
      description: "How an image is brought to the stage's square size.",
      default: "squish",
    }),
  ),
  normalize: Opt(
    Type.Union([Type.Literal("auto"), Type.Literal("caffe"), Type.Literal("imagenet"), Type.Literal("none")], {
      description:
        "auto: what the backbone's weights need (Keras-caffe BGR mean subtraction for Keras ResNets; `imagenet` mean/std from scratch).",
      default: "auto",
    }),
  ),
  augment: Opt(Augment),
  on_bad_image: Opt(
    Type.Union([Type.Literal("error"), Type.Literal("skip")], {
      description: "error: stop at the first unreadable image; skip: log it, count it in the run's metadata and go on.",
      default: "error",
    }),
  ),
};

export const FolderLabel = TaggedUnion(
  "from",
  [
    Type.Object(
      { from: Type.Literal("folder", { description: "Each image's label is the name of its sub-folder." }) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        from: Type.Literal("filename", { description: "Labels come from the file name through `pattern`." }),
        pattern: Type.String({
          minLength: 1,
          description: "Regular expression over the file name; its first group is the label.",
        }),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description: "Where labels come from: the sub-folder (default) or a pattern over the file name.",
    default: { from: "folder" },
  },
);

export const FolderData = Type.Object(
  {
    source: Type.Literal("folder", {
      description: "A folder of images, one sub-folder per class (or labels by file name).",
    }),
    path: Type.String({
      minLength: 1,
      description: "Folder of images; relative paths are relative to the config file.",
    }),
    label: Opt(FolderLabel),
    ...dataCommon,
  },
  { additionalProperties: false },
);

export const CsvData = Type.Object(
  {
    source: Type.Literal("csv", { description: "A CSV listing image files and their labels." }),
    path: Type.String({ minLength: 1, description: "CSV file; image paths in it are relative to the CSV." }),
    columns: Opt(
      Type.Object(
        {
          file: Opt(Type.String({ minLength: 1, description: "Column holding the image path.", default: "file" })),
          label: Opt(Type.String({ minLength: 1, description: "Column holding the class label.", default: "label" })),
          split: Opt(Type.String({ minLength: 1, description: "Optional column holding train/valid." })),
        },
        { additionalProperties: false, description: "Names of the CSV's columns." },
      ),
    ),
    ...dataCommon,
  },
  { additionalProperties: false },
);

export const SyntheticData = Type.Object(
  {
    source: Type.Literal("synthetic", { description: "Seeded synthetic tissue tiles (demos, tests)." }),
    classes: Opt(
      Type.Integer({ minimum: 2, maximum: 26, description: "Number of synthetic tissue classes.", default: 6 }),
    ),
    per_class: Opt(Type.Integer({ minimum: 2, description: "Images per class.", default: 60 })),
    image_size: Opt(
      Type.Integer({ minimum: 16, maximum: 1024, description: "Side of the generated tiles in pixels.", default: 96 }),
    ),
    ...dataCommon,
  },
  { additionalProperties: false },
);

export const Data = TaggedUnion("source", [FolderData, CsvData, SyntheticData], {
  description: "The images and labels: a folder, a CSV, or seeded synthetic tissue.",
});

// ---------------------------------------------------------------- model

export const Model = Type.Object(
  {
    backbone: Type.Union(
      BACKBONES.map((b) => Type.Literal(b)),
      { description: "ResNet depth." },
    ),
    pretrained: Opt(
      Type.String({
        minLength: 1,
        description: "`imagenet`, `none`, or the path/URL of a tfjs layers model (model.json).",
        default: "none",
      }),
    ),
    width: Opt(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        description: "Channel-width multiplier for tiny from-scratch nets (tests, demos); 1 for pretrained weights.",
        default: 1,
      }),
    ),
    head: Opt(
      Type.Object(
        {
          dropout: Opt(
            Type.Number({
              minimum: 0,
              exclusiveMaximum: 1,
              description: "Dropout before the classifier.",
              default: 0.5,
            }),
          ),
          hidden: Opt(
            Type.Integer({ minimum: 0, description: "Units of an extra dense layer (0: none).", default: 0 }),
          ),
        },
        { additionalProperties: false, description: "The classifier on top of the pooled features." },
      ),
    ),
    groups: Opt(
      Type.Record(
        Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_-]*$" }),
        Type.Array(Part, { minItems: 1, uniqueItems: true }),
        {
          // Without this a group name that misses the pattern would be accepted unchecked.
          additionalProperties: false,
          description:
            "Named layer groups over the ResNet parts, ordered by their place in the network; discriminative LRs spread over them low to high.",
          default: { early: ["stem", "conv2", "conv3"], late: ["conv4", "conv5"], head: ["head"] },
        },
      ),
    ),
  },
  { additionalProperties: false, description: "The backbone, its weights, the head and the layer groups." },
);

// ---------------------------------------------------------------- training

export const LR_SUGGESTIONS = ["valley", "steep", "minimum", "slide"] as const;
export type LrSuggestion = (typeof LR_SUGGESTIONS)[number];

export const LrRange = Type.Object(
  {
    min: Type.Number({ exclusiveMinimum: 0, description: "LR of the first layer group." }),
    max: Type.Number({ exclusiveMinimum: 0, description: "LR of the last layer group." }),
  },
  { additionalProperties: false },
);

export const LrFind = Type.Object(
  {
    find: Type.Literal(true, { description: "Run the LR finder before the stage and use its suggestion." }),
    suggest: Opt(
      Type.Union(
        LR_SUGGESTIONS.map((s) => Type.Literal(s)),
        { description: "Which suggestion to use.", default: "valley" },
      ),
    ),
    spread: Opt(
      Type.Number({
        minimum: 1,
        description: "Ratio of the last group's LR to the first's (1: the same LR everywhere).",
        default: 100,
      }),
    ),
    steps: Opt(Type.Integer({ minimum: 5, description: "Steps of the sweep.", default: 100 })),
    start: Opt(Type.Number({ exclusiveMinimum: 0, description: "First LR of the sweep.", default: 1e-7 })),
    end: Opt(Type.Number({ exclusiveMinimum: 0, description: "Last LR of the sweep.", default: 10 })),
  },
  { additionalProperties: false },
);

export const Lr = Type.Union([Type.Number({ exclusiveMinimum: 0 }), LrRange, LrFind], {
  description:
    "One LR for every group, a {min, max} range spread geometrically over the groups, or {find: true} to run the LR finder.",
});

export const Schedule = Type.Union(
  [
    Type.Union([Type.Literal("constant"), Type.Literal("one_cycle"), Type.Literal("sgdr"), Type.Literal("flat_cos")]),
    TaggedUnion("name", [
      Type.Object(
        { name: Type.Literal("constant", { description: "The same LR for the whole stage." }) },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          name: Type.Literal("one_cycle", {
            description: "fastai's one-cycle: cosine warm-up, then cosine annealing.",
          }),
          pct_start: Opt(Fraction({ description: "Fraction of the stage spent warming up.", default: 0.25 })),
          div: Opt(Type.Number({ minimum: 1, description: "Start LR = max / div.", default: 25 })),
          div_final: Opt(Type.Number({ minimum: 1, description: "End LR = max / div_final.", default: 1e5 })),
          moms: Opt(
            Type.Tuple([Type.Number(), Type.Number()], {
              description: "Momentum from, to (beta1 for Adam).",
              default: [0.95, 0.85],
            }),
          ),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          name: Type.Literal("sgdr", { description: "Cosine annealing with warm restarts (SGDR)." }),
          cycle_epochs: Opt(
            Type.Number({
              exclusiveMinimum: 0,
              description: "Length of the first cosine cycle in epochs.",
              default: 1,
            }),
          ),
          cycle_mult: Opt(
            Type.Number({ minimum: 1, description: "Each cycle is this much longer than the last.", default: 2 }),
          ),
          min_lr_ratio: Opt(
            Type.Number({
              minimum: 0,
              maximum: 1,
              description: "Floor of each cycle as a fraction of max.",
              default: 0,
            }),
          ),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          name: Type.Literal("flat_cos", { description: "Flat, then cosine annealing to ~0." }),
          pct_start: Opt(Fraction({ description: "Fraction of the stage at the flat LR.", default: 0.75 })),
        },
        { additionalProperties: false },
      ),
    ]),
  ],
  { description: "How the LR moves over the stage.", default: "one_cycle" },
);

export const Stage = Type.Object(
  {
    name: Opt(
      Type.String({
        pattern: "^(?![0-9]+$)[A-Za-z0-9_][A-Za-z0-9_.-]*$",
        description: "Stage name, used in events, diffs and paths (`train.stages[fine-tune]`); not all digits.",
      }),
    ),
    trainable: Type.Union(
      [Type.Literal("all"), Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true })],
      {
        description: "Layer groups that train in this stage (`all` unfreezes everything); the others are frozen.",
      },
    ),
    train_bn: Opt(
      Type.Boolean({
        description: "Whether BatchNorm layers of frozen groups still train (fastai's default: yes).",
        default: true,
      }),
    ),
    bn: Opt(
      Type.Union(
        BN_MODES.map((m) => Type.Literal(m)),
        {
          description:
            "BatchNorm of the trainable groups: train (batch statistics, moving ones updated), inference (moving statistics used and not updated, gamma/beta still train; for small batches or whole-network fine-tuning), frozen (moving statistics, gamma/beta fixed).",
          default: "train",
        },
      ),
    ),
    epochs: PositiveInt({ description: "Epochs in this stage." }),
    size: Type.Integer({
      minimum: 1,
      description: "Square image size in pixels (progressive resizing across stages).",
    }),
    batch_size: Opt(PositiveInt({ description: "Overrides `train.batch_size` for this stage." })),
    lr: Lr,
    schedule: Opt(Schedule),
  },
  { additionalProperties: false },
);

export const Optimizer = Type.Object(
  {
    name: Opt(
      Type.Union([Type.Literal("adam"), Type.Literal("adamw"), Type.Literal("sgd")], {
        description: "The optimizer, one per layer group.",
        default: "adam",
      }),
    ),
    weight_decay: Opt(
      Type.Number({ minimum: 0, description: "L2 (adam, sgd) or decoupled (adamw) weight decay.", default: 0.01 }),
    ),
    momentum: Opt(Type.Number({ minimum: 0, exclusiveMaximum: 1, description: "SGD momentum.", default: 0.9 })),
    beta1: Opt(
      Type.Number({
        minimum: 0,
        exclusiveMaximum: 1,
        description: "Adam beta1 (one_cycle schedules it as momentum).",
        default: 0.9,
      }),
    ),
    beta2: Opt(Type.Number({ minimum: 0, exclusiveMaximum: 1, description: "Adam beta2.", default: 0.99 })),
    eps: Opt(Type.Number({ exclusiveMinimum: 0, description: "Adam epsilon.", default: 1e-5 })),
  },
  { additionalProperties: false, description: "The optimizer and its hyper-parameters." },
);

export const Train = Type.Object(
  {
    batch_size: Opt(PositiveInt({ description: "Images per optimiser step (stages may override).", default: 32 })),
    micro_batch: Opt(
      PositiveInt({ description: "Split each batch into micro-batches and accumulate gradients (memory)." }),
    ),
    recompute: Opt(
      Type.Boolean({
        description:
          "Gradient checkpointing per ResNet block: keep only block outputs in the forward pass and recompute each block in the backward pass (a larger batch fits the memory, for about one more forward pass of time).",
        default: false,
      }),
    ),
    optimizer: Opt(Optimizer),
    stages: Type.Array(Stage, {
      minItems: 1,
      description: "Training stages, run in order: what trains, at which size, LR and schedule.",
    }),
  },
  { additionalProperties: false, description: "How the network trains." },
);

export { MONITORS, type Monitor } from "./monitors";

export const Checkpoint = Type.Object(
  {
    monitor: Opt({
      ...MonitorSchema,
      description: "Metric that picks the best checkpoint.",
      default: "valid.accuracy",
    }),
    mode: Opt(
      Type.Union([Type.Literal("max"), Type.Literal("min")], {
        description: "Whether higher or lower is better.",
        default: "max",
      }),
    ),
  },
  { additionalProperties: false, description: "Which checkpoint is kept as `best`." },
);

export const EarlyStopping = Type.Object(
  {
    monitor: Opt({ ...MonitorSchema, description: "Metric to watch.", default: "valid.loss" }),
    mode: Opt(
      Type.Union([Type.Literal("max"), Type.Literal("min")], {
        description: "Whether higher or lower is better.",
        default: "min",
      }),
    ),
    patience: Opt(PositiveInt({ description: "Epochs without improvement before the stage stops.", default: 3 })),
    min_delta: Opt(Type.Number({ minimum: 0, description: "Smallest change that counts as improvement.", default: 0 })),
  },
  {
    additionalProperties: false,
    description: "Stop a stage early when the monitored metric stalls; off when left out.",
  },
);

export const ExperimentSchema = Type.Object(
  {
    $schema: Opt(Type.String({ description: "JSON Schema location for editors; ignored by tessera." })),
    extends: Opt(
      Type.String({ minLength: 1, description: "A base config to merge this one onto (path relative to this file)." }),
    ),
    name: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$", maxLength: 100, description: "Experiment name." }),
    description: Opt(Type.String({ description: "Free text about the experiment." })),
    seed: Opt(
      Type.Integer({ description: "Seed of everything random: split, init, data order, augmentation.", default: 42 }),
    ),
    backend: Opt(
      Type.Union(
        BACKENDS.map((b) => Type.Literal(b)),
        {
          // Built from BACKENDS so a new backend cannot be left out of the editor's hover text.
          description:
            `TensorFlow.js backend. auto tries ${BACKENDS.filter((b) => b !== "auto").join(", ")} in that order ` +
            "and takes the first that starts on real hardware (tensorflow-gpu only when TensorFlow sees a CUDA GPU, " +
            "webgpu never on a software adapter such as llvmpipe or lavapipe). Not part of config_hash.",
          default: "auto",
        },
      ),
    ),
    inference_engine: Opt(
      Type.Union(
        INFERENCE_ENGINES.map((e) => Type.Literal(e)),
        {
          description:
            "What fills the activation cache and runs the final TTA pass: onnx (ONNX Runtime on the CPU, the model " +
            "converted in memory), tfjs (the run's backend), or auto (onnx when the tfjs backend is wasm or cpu, " +
            "where ONNX Runtime measured about 4x faster; tfjs on native and GPU backends). When ONNX Runtime " +
            "cannot load or a layer cannot be converted, tfjs runs and one line says why. Not part of config_hash.",
          default: "auto",
        },
      ),
    ),
    data: Data,
    model: Model,
    train: Train,
    checkpoint: Opt(Checkpoint),
    early_stopping: Opt(EarlyStopping),
    tta: Opt(
      Type.Boolean({
        description: "Also report accuracy with the 8 dihedral views averaged at the end.",
        default: false,
      }),
    ),
    sweep: Opt(Sweep),
  },
  {
    additionalProperties: false,
    $id: "https://tessera.dev/schema/experiment.schema.json",
    title: "Tessera experiment",
  },
);

/** A config as the user writes it (after `extends` is merged). */
export type ExperimentConfig = Static<typeof ExperimentSchema>;
export type StageConfig = Static<typeof Stage>;
export type LrConfig = Static<typeof Lr>;
export type ScheduleConfig = Static<typeof Schedule>;
