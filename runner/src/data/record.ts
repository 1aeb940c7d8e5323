/**
 * The split as a JSON record written with the run (`split.json`), and the hashes over it: two runs
 * with the same `split_hash` trained and validated on the same files, whatever their paths.
 */
import { createHash } from "node:crypto";
import type { ResolvedSplit } from "@tessera/shared";
import { makeSplit, type SplitInput } from "./split";
import type { DataItem, Dataset, Fold } from "./types";

/** `split.json`: every file with its label and where it went. */
export interface SplitRecord {
  format: 1;
  protocol: Dataset["protocol"];
  seed: number;
  classes: string[];
  /** Fold numbers present in this run. */
  folds: number[];
  split_hash: string;
  data_hash: string;
  /**
   * key -> label and placement: `train`/`valid` for holdout and predefined, or the fold number in
   * which the file is validated for kfold / leave-one-out.
   */
  files: Record<string, { label: string; hash: string; split: "train" | "valid" | number }>;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** Placement of each item: train/valid for one fold, else the fold id in which it is validated. */
function placements(
  items: DataItem[],
  folds: Fold[],
  foldIds: number[],
  single: boolean,
): ("train" | "valid" | number)[] {
  const out = items.map((): "train" | "valid" | number => "train");
  folds.forEach((fold, f) => {
    for (const i of fold.valid) out[i] = single ? "valid" : foldIds[f]!;
  });
  return out;
}

/** The split hash: over (key, content hash, placement) of every item and the fold ids, sorted by key. */
export function hashSplit(items: DataItem[], folds: Fold[], foldIds: number[], protocol: Dataset["protocol"]): string {
  const place = placements(items, folds, foldIds, isSingle(protocol));
  const lines = items.map((it, i) => `${it.key}\t${it.hash}\t${place[i]}`).sort();
  return sha256([protocol, foldIds.join(","), ...lines].join("\n"));
}

/** The data hash: classes, every image's content and label, and the split. */
export function hashData(classes: string[], items: DataItem[], splitHash: string): string {
  const lines = items.map((it) => `${it.hash}\t${classes[it.label]}`).sort();
  return sha256([classes.join("\u0001"), splitHash, ...lines].join("\n"));
}

const isSingle = (p: Dataset["protocol"]) => p === "holdout" || p === "predefined";

/** A JSON-able record of the split, for the run folder's `split.json`. */
export function splitRecord(dataset: Dataset): SplitRecord {
  const place = placements(dataset.items, dataset.folds, dataset.foldIds, isSingle(dataset.protocol));
  const files: SplitRecord["files"] = {};
  dataset.items.forEach((it, i) => {
    files[it.key] = { label: dataset.classes[it.label]!, hash: it.hash, split: place[i]! };
  });
  return {
    format: 1,
    protocol: dataset.protocol,
    seed: dataset.splitSeed,
    classes: dataset.classes,
    folds: dataset.foldIds,
    split_hash: dataset.splitHash,
    data_hash: dataset.dataHash,
    files,
  };
}

/** The split-derived part of a Dataset, the same for every source. */
export type SplitPart = Pick<Dataset, "folds" | "foldIds" | "protocol" | "splitSeed" | "splitHash" | "dataHash">;

/**
 * Splits a source's items as `split` says and hashes the result: the split hash (same files in
 * the same train/valid/fold) and the data hash (classes, contents, split).
 */
export function splitAndHash(
  classes: string[],
  items: DataItem[],
  split: ResolvedSplit,
  predefined: SplitInput["predefined"],
): SplitPart {
  const { folds, foldIds } = makeSplit({ labels: items.map((i) => i.label), classes, predefined }, split);
  const splitHash = hashSplit(items, folds, foldIds, split.protocol);
  return {
    folds,
    foldIds,
    protocol: split.protocol,
    splitSeed: split.seed,
    splitHash,
    dataHash: hashData(classes, items, splitHash),
  };
}
