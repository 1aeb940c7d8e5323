/**
 * Train/valid splits: seeded stratified holdout, k-fold, leave-one-out, or predefined by the data.
 * Pure functions over labels, so they are tested on plain arrays. Items arrive sorted by key, so
 * the same files and seed give the same split on any machine.
 */
import type { ResolvedSplit } from "@tessera/shared";
import { DataError } from "../errors";
import { rngFor, shuffleInPlace } from "./rng";
import type { Fold } from "./types";

export interface SplitInput {
  /** Label index of each item. */
  labels: number[];
  classes: string[];
  /** Per item, where the data puts it (predefined protocol only). */
  predefined: ("train" | "valid" | null)[] | null;
}

/** The folds of a split and which fold numbers they are (a subset when `split.folds` is set). */
export interface SplitResult {
  folds: Fold[];
  foldIds: number[];
}

/** Splits items into folds as `split` says; throws a DataError when a class is too small for it. */
export function makeSplit(input: SplitInput, split: ResolvedSplit): SplitResult {
  const n = input.labels.length;
  const all: Fold[] = (() => {
    switch (split.protocol) {
      case "holdout":
        return [holdout(input, split)];
      case "kfold":
        return kfold(input, split);
      case "leave_one_out":
        requirePerClass(input, 2, "leave_one_out", "2 (one to leave out, one to train on)");
        // n folds of n-1 indices each is quadratic: build only the folds that will run.
        return leaveOneOut(n, split.folds);
      case "predefined":
        return [predefined(input)];
    }
  })();
  const count = split.protocol === "leave_one_out" ? n : all.length;
  const foldIds = split.folds ?? range(count);
  for (const f of foldIds) {
    if (f >= count) {
      throw new DataError(`data.split.folds: fold ${f} does not exist; this split has folds 0..${count - 1}`);
    }
  }
  if (split.protocol === "leave_one_out") return { folds: all, foldIds };
  return { folds: foldIds.map((f) => all[f]!), foldIds };
}

/** Leave-one-out folds for `ids` (all when null), in that order; ids past the end are dropped here and refused by the caller. */
function leaveOneOut(n: number, ids: number[] | null): Fold[] {
  return (ids ?? range(n)).filter((i) => i < n).map((i) => ({ train: range(n).filter((j) => j !== i), valid: [i] }));
}

function holdout(input: SplitInput, split: ResolvedSplit): Fold {
  const rng = rngFor(split.seed, "split", "holdout");
  const valid: number[] = [];
  if (split.stratify) {
    requirePerClass(input, 2, "holdout", "2 (one for train, one for valid)");
    for (const members of byClass(input)) {
      shuffleInPlace(members, rng);
      const take = Math.min(members.length - 1, Math.max(1, Math.round(members.length * split.valid)));
      valid.push(...members.slice(0, take));
    }
  } else {
    const order = shuffleInPlace(range(input.labels.length), rng);
    const take = Math.min(order.length - 1, Math.max(1, Math.round(order.length * split.valid)));
    if (order.length < 2) throw new DataError(`data: ${order.length} image(s); a holdout split needs at least 2`);
    valid.push(...order.slice(0, take));
  }
  return partition(input.labels.length, new Set(valid));
}

function kfold(input: SplitInput, split: ResolvedSplit): Fold[] {
  const rng = rngFor(split.seed, "split", "kfold", split.k);
  const foldOf = new Array<number>(input.labels.length).fill(0);
  if (split.stratify) {
    requirePerClass(input, split.k, `kfold with k=${split.k}`, `${split.k} (one per fold)`);
    // Deal each class's shuffled members round-robin, continuing where the last class stopped so
    // fold sizes stay within one of each other.
    let offset = 0;
    for (const members of byClass(input)) {
      shuffleInPlace(members, rng);
      members.forEach((item, j) => (foldOf[item] = (offset + j) % split.k));
      offset = (offset + members.length) % split.k;
    }
  } else {
    if (input.labels.length < split.k) {
      throw new DataError(`data: ${input.labels.length} images are too few for kfold with k=${split.k}`);
    }
    shuffleInPlace(range(input.labels.length), rng).forEach((item, j) => (foldOf[item] = j % split.k));
  }
  return range(split.k).map((f) =>
    partition(foldOf.length, new Set(range(foldOf.length).filter((i) => foldOf[i] === f))),
  );
}

function predefined(input: SplitInput): Fold {
  const where = input.predefined;
  if (!where || where.some((w) => w === null)) {
    throw new DataError("data.split.protocol 'predefined' needs the data to say train/valid for every image");
  }
  const fold = partition(where.length, new Set(range(where.length).filter((i) => where[i] === "valid")));
  if (fold.train.length === 0) throw new DataError("data: the predefined split has no train images");
  if (fold.valid.length === 0) throw new DataError("data: the predefined split has no valid images");
  return fold;
}

function requirePerClass(input: SplitInput, min: number, what: string, need: string): void {
  for (const [c, members] of byClass(input).entries()) {
    if (members.length < min) {
      throw new DataError(
        `data: class '${input.classes[c]}' has ${members.length} image(s); ${what} needs at least ${need} per class`,
      );
    }
  }
}

/** Item indices per class, ascending. */
function byClass(input: SplitInput): number[][] {
  const groups: number[][] = input.classes.map(() => []);
  input.labels.forEach((label, i) => groups[label]!.push(i));
  return groups;
}

function partition(n: number, valid: Set<number>): Fold {
  const fold: Fold = { train: [], valid: [] };
  for (let i = 0; i < n; i++) (valid.has(i) ? fold.valid : fold.train).push(i);
  return fold;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
