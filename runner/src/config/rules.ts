/**
 * What a schema cannot say, as a flat list of small named rules (changesets' `rules.ts`, Ludwig's
 * `checks.py`). Each looks at the resolved config (defaults filled) and returns findings at
 * config paths; the loader pins them to lines. They run once the schema pass is clean.
 */
import { existsSync, statSync } from "node:fs";
import { RESNET_PARTS, sgdrEpochs, type PathSegment, type ResolvedConfig } from "@tessera/shared";
import { IMAGENET_SOURCES } from "../model/sources";
import { fmtNum } from "./problems";
import { didYouMean } from "./suggest";

/** One thing a rule found. */
export interface Finding {
  path: PathSegment[];
  message: string;
  severity?: "error" | "warning";
}

/** What a rule sees. */
export interface RuleContext {
  config: ResolvedConfig;
  /** Check that the data exists (`--check-data`, and at run time). */
  checkData: boolean;
}

/** A named check over the resolved config. */
export type Rule = (ctx: RuleContext) => Finding[];

/** The smallest square input a ResNet takes: five stride-2 steps leave a 1x1 map at 32 px. */
export const MIN_SIZE = 32;

const stages = (c: ResolvedConfig) =>
  c.train.stages.map((s, i) => ({ s, at: ["train", "stages", i] as PathSegment[] }));

/** `lr.min <= lr.max` (and a finder's `start < end`). */
export const lrRangeOrdered: Rule = ({ config }) =>
  stages(config).flatMap(({ s, at }) => {
    if (s.lr.kind === "fixed" && s.lr.min > s.lr.max) {
      return [
        {
          path: [...at, "lr", "min"],
          message: `must be <= lr.max (${fmtNum(s.lr.max)}), received ${fmtNum(s.lr.min)}`,
        },
      ];
    }
    if (s.lr.kind === "find" && s.lr.start >= s.lr.end) {
      return [
        {
          path: [...at, "lr", "start"],
          message: `must be < lr.end (${fmtNum(s.lr.end)}), received ${fmtNum(s.lr.start)}`,
        },
      ];
    }
    return [];
  });

/** A stage's `trainable` names layer groups that exist. */
export const trainableGroupsExist: Rule = ({ config }) => {
  const groups = Object.keys(config.model.groups);
  return stages(config).flatMap(({ s, at }) =>
    s.trainable.flatMap((name, j) =>
      groups.includes(name)
        ? []
        : [
            {
              path: [...at, "trainable", j],
              message: `no layer group ${JSON.stringify(name)}; groups are ${groups.join(", ")}${didYouMean(name, groups)}`,
            },
          ],
    ),
  );
};

/** Layer groups cover every ResNet part exactly once, in network order. */
export const groupsCoverParts: Rule = ({ config }) => {
  const findings: Finding[] = [];
  const owner = new Map<string, string>();
  let lastIndex = -1;
  let lastGroup = "";
  for (const [group, parts] of Object.entries(config.model.groups)) {
    const indices = parts.map((p) => RESNET_PARTS.indexOf(p));
    for (const [j, part] of parts.entries()) {
      const prev = owner.get(part);
      if (prev !== undefined) {
        findings.push({ path: ["model", "groups", group, j], message: `part "${part}" is already in group "${prev}"` });
      }
      owner.set(part, group);
    }
    const first = Math.min(...indices);
    if (first < lastIndex) {
      findings.push({
        path: ["model", "groups", group],
        message: `groups must follow the network order (${RESNET_PARTS.join(", ")}): "${group}" starts before the end of "${lastGroup}"`,
      });
    }
    lastIndex = Math.max(lastIndex, ...indices);
    lastGroup = group;
  }
  const missing = RESNET_PARTS.filter((p) => !owner.has(p));
  if (missing.length > 0) {
    findings.push({
      path: ["model", "groups"],
      message: `every part must be in a group; missing ${missing.join(", ")}`,
    });
  }
  return findings;
};

/** `size` is at least a ResNet's minimum input. */
export const sizeFitsBackbone: Rule = ({ config }) =>
  stages(config).flatMap(({ s, at }) =>
    s.size < MIN_SIZE
      ? [{ path: [...at, "size"], message: `must be >= ${MIN_SIZE} for a ResNet, received ${s.size}` }]
      : [],
  );

/** Stage names (written or the default `stage<index>`) are unique. */
export const uniqueStageNames: Rule = ({ config }) => {
  const seen = new Map<string, number>();
  return stages(config).flatMap(({ s, at }) => {
    const first = seen.get(s.name);
    seen.set(s.name, first ?? s.index);
    return first === undefined
      ? []
      : [{ path: [...at, "name"], message: `duplicate stage name "${s.name}" (also stage ${first})` }];
  });
};

/** The split can be made: folds exist, enough validation images, a split column or folder for `predefined`. */
export const splitIsUsable: Rule = ({ config }) => {
  const { split } = config.data;
  const findings: Finding[] = [];
  if (split.protocol === "kfold" && split.folds) {
    split.folds.forEach((f, j) => {
      if (f >= split.k)
        findings.push({ path: ["data", "split", "folds", j], message: `must be < k (${split.k}), received ${f}` });
    });
  }
  if (config.data.source === "synthetic" && split.protocol === "holdout") {
    const valid = Math.round(config.data.classes * config.data.per_class * split.valid);
    if (valid < config.data.classes) {
      findings.push({
        path: ["data", "split", "valid"],
        message: `leaves ${valid} validation images for ${config.data.classes} classes; raise valid or per_class`,
      });
    }
  }
  if (config.data.source === "synthetic" && split.protocol === "predefined") {
    findings.push({
      path: ["data", "split", "protocol"],
      message: "synthetic data has no predefined split; use holdout, kfold or leave_one_out",
    });
  }
  if (config.data.source === "csv" && split.protocol === "predefined" && config.data.columns.split === null) {
    findings.push({
      path: ["data", "columns", "split"],
      message: "missing; a predefined split of a CSV needs its split column",
    });
  }
  return findings;
};

/** `micro_batch` fits in a batch. */
export const batchesFit: Rule = ({ config }) => {
  const { micro_batch, batch_size } = config.train;
  return micro_batch > batch_size
    ? [
        {
          path: ["train", "micro_batch"],
          message: `must be <= train.batch_size (${batch_size}), received ${micro_batch}`,
        },
      ]
    : [];
};

/** The random crop's scale range is `[low, high]`. */
export const cropScaleOrdered: Rule = ({ config }) => {
  const crop = config.data.augment.crop;
  return crop && crop.scale[0] > crop.scale[1]
    ? [
        {
          path: ["data", "augment", "crop", "scale"],
          message: `must be [low, high], received [${crop.scale.join(", ")}]`,
        },
      ]
    : [];
};

/** Pretrained weights only fit the full-width network. */
export const pretrainedNeedsFullWidth: Rule = ({ config }) =>
  config.model.pretrained !== "none" && config.model.width !== 1
    ? [
        {
          path: ["model", "width"],
          message: `must be 1 with pretrained weights (${config.model.pretrained}), received ${config.model.width}`,
        },
      ]
    : [];

/** `pretrained: imagenet` only for backbones whose ImageNet weights tessera knows. */
export const imagenetWeightsKnown: Rule = ({ config }) => {
  const { backbone, pretrained } = config.model;
  if (pretrained !== "imagenet" || IMAGENET_SOURCES[backbone] !== null) return [];
  const known = Object.entries(IMAGENET_SOURCES)
    .filter(([, source]) => source !== null)
    .map(([name]) => name);
  return [
    {
      path: ["model", "pretrained"],
      message: `no ImageNet weights are known for ${backbone} (there are for ${known.join(", ")}); use one of those, a model.json path, or none`,
    },
  ];
};

/** Warns when a stage's epochs end inside an SGDR cycle (the LR is cut mid-anneal). */
export const sgdrWholeCycles: Rule = ({ config }) =>
  stages(config).flatMap(({ s, at }) => {
    if (s.schedule.name !== "sgdr") return [];
    const { cycle_epochs, cycle_mult } = s.schedule;
    for (let n = 1; n < 50; n++) {
      const total = sgdrEpochs(n, cycle_epochs, cycle_mult);
      if (Math.abs(total - s.epochs) < 1e-9) return [];
      if (total > s.epochs) break;
    }
    return [
      {
        path: [...at, "epochs"],
        message: `${s.epochs} epochs end inside an SGDR cycle (cycles of ${cycle_epochs} x ${cycle_mult}^i)`,
        severity: "warning" as const,
      },
    ];
  });

/**
 * Warns when `bn:` keeps the trainable groups' statistics fixed while `train_bn: true` (the
 * default) still trains the frozen groups' BatchNorm on batch statistics: rarely what is meant.
 */
export const bnModeCoversFrozenGroups: Rule = ({ config }) => {
  const groups = Object.keys(config.model.groups);
  return stages(config).flatMap(({ s, at }) =>
    s.bn !== "train" && s.train_bn && groups.some((g) => !s.trainable.includes(g))
      ? [
          {
            path: [...at, "bn"],
            message: `${s.bn} applies to the trainable groups only; the frozen groups' BatchNorm still trains on batch statistics because train_bn is true (set train_bn: false to keep every statistic fixed)`,
            severity: "warning" as const,
          },
        ]
      : [],
  );
};

/** With `--check-data` (and at run time): the data folder or CSV exists. */
export const dataPathExists: Rule = ({ config, checkData }) => {
  const { data } = config;
  if (!checkData || data.source === "synthetic") return [];
  if (!existsSync(data.path)) return [{ path: ["data", "path"], message: `not found: ${data.path}` }];
  const isDir = statSync(data.path).isDirectory();
  if (data.source === "folder" && !isDir)
    return [{ path: ["data", "path"], message: `must be a folder, received the file ${data.path}` }];
  if (data.source === "csv" && isDir)
    return [{ path: ["data", "path"], message: `must be a CSV file, received the folder ${data.path}` }];
  return [];
};

/** What a synthetic dataset may hold in memory (RGB bytes of every tile): a typo'd `per_class` fails now, not after minutes of growing memory. */
export const MAX_SYNTHETIC_BYTES = 2 * 1024 ** 3;

/** A synthetic dataset fits in memory. */
export const syntheticFitsMemory: Rule = ({ config }) => {
  const { data } = config;
  if (data.source !== "synthetic") return [];
  const perImage = data.image_size * data.image_size * 3;
  const bytes = data.classes * data.per_class * perImage;
  if (bytes <= MAX_SYNTHETIC_BYTES) return [];
  const most = Math.floor(MAX_SYNTHETIC_BYTES / (data.classes * perImage));
  return [
    {
      path: ["data", "per_class"],
      message:
        `${data.classes} classes x ${data.per_class} tiles of ${data.image_size} px need ${fmtNum(bytes / 1024 ** 3, 3)} GiB of memory, ` +
        `more than the ${MAX_SYNTHETIC_BYTES / 1024 ** 3} GiB a synthetic dataset may take: expected at most ${most}, received ${data.per_class}`,
    },
  ];
};

/** Every rule, by name (the name is the `source` of its problems). */
export const RULES = {
  lrRangeOrdered,
  trainableGroupsExist,
  groupsCoverParts,
  sizeFitsBackbone,
  uniqueStageNames,
  splitIsUsable,
  batchesFit,
  cropScaleOrdered,
  pretrainedNeedsFullWidth,
  imagenetWeightsKnown,
  sgdrWholeCycles,
  bnModeCoversFrozenGroups,
  dataPathExists,
  syntheticFitsMemory,
} satisfies Record<string, Rule>;
