/**
 * `toWritten()`: a `ResolvedConfig` back to a written `ExperimentConfig` that resolves to the very
 * same config — every default spelled out. Run folders store this as `config.yaml`, so
 * `tessera run runs/<id>/config.yaml` re-runs exactly what ran, and `resolve` is idempotent
 * through it (a property test checks both).
 */
import { Document, isScalar, isSeq, visit } from "yaml";
import type { ExperimentConfig, ResolvedConfig, ResolvedData, ResolvedLr, StageConfig } from "@tessera/shared";

/** The written form of a resolved config; `resolve(toWritten(r))` deep-equals `r`. */
export function toWritten(r: ResolvedConfig): ExperimentConfig {
  const out: ExperimentConfig = {
    name: r.name,
    ...(r.description ? { description: r.description } : {}),
    seed: r.seed,
    backend: r.backend,
    data: writtenData(r.data),
    model: structuredClone(r.model),
    train: {
      batch_size: r.train.batch_size,
      micro_batch: r.train.micro_batch,
      recompute: r.train.recompute,
      optimizer: { ...r.train.optimizer },
      stages: r.train.stages.map((s): StageConfig => ({
        name: s.name,
        trainable: [...s.trainable],
        train_bn: s.train_bn,
        bn: s.bn,
        epochs: s.epochs,
        size: s.size,
        batch_size: s.batch_size,
        lr: writtenLr(s.lr),
        schedule: structuredClone(s.schedule),
      })),
    },
    checkpoint: { ...r.checkpoint },
    ...(r.early_stopping ? { early_stopping: { ...r.early_stopping } } : {}),
    tta: r.tta,
  };
  return out;
}

function writtenLr(lr: ResolvedLr): StageConfig["lr"] {
  if (lr.kind === "find") {
    const { kind: _kind, ...rest } = lr;
    return { find: true, ...rest };
  }
  return lr.min === lr.max ? lr.min : { min: lr.min, max: lr.max };
}

function writtenData(d: ResolvedData): ExperimentConfig["data"] {
  const { folds, ...split } = d.split;
  const { crop, ...augment } = d.augment;
  const common = {
    split: { ...split, ...(folds ? { folds: [...folds] } : {}) },
    resize: d.resize,
    normalize: d.normalize,
    augment: { ...augment, ...(crop ? { crop: { scale: [...crop.scale] as [number, number] } } : {}) },
    on_bad_image: d.on_bad_image,
  };
  switch (d.source) {
    case "folder":
      return { source: "folder", path: d.path, label: structuredClone(d.label), ...common };
    case "csv": {
      const { split: splitColumn, ...columns } = d.columns;
      return {
        source: "csv",
        path: d.path,
        columns: { ...columns, ...(splitColumn !== null ? { split: splitColumn } : {}) },
        ...common,
      };
    }
    case "synthetic":
      return { source: "synthetic", classes: d.classes, per_class: d.per_class, image_size: d.image_size, ...common };
  }
}

/**
 * The written form as YAML, lists of plain values in flow style (`trainable: [early, late]`) so a
 * run folder's config.yaml reads like the file that was written.
 */
export function toWrittenYaml(r: ResolvedConfig): string {
  const doc = new Document(toWritten(r));
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
    Scalar(_, node) {
      // 1e-6 rather than 0.000001: the way LRs are written (exact: toExponential round-trips).
      if (typeof node.value === "number" && Number.isFinite(node.value) && node.value !== 0) {
        if (node.value.toExponential().replace("e+", "e").length < String(node.value).length) node.format = "EXP";
      }
    },
    Map(_, node) {
      // Short leaf mappings (schedule knobs, lr ranges) on one line too.
      if (node.items.length <= 5 && node.items.every((p) => isScalar(p.value) || isSeq(p.value))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 120, flowCollectionPadding: false });
}
