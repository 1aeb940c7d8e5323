/**
 * `source: synthetic`: N classes of seeded tissue tiles (see ../synthetic/tissue.ts). Nothing is
 * read from disk: an item is (class, index), its "content hash" hashes the generator inputs.
 */
import { createHash } from "node:crypto";
import type { ResolvedData } from "@tessera/shared";
import { DataError } from "../../errors";
import { splitAndHash } from "../record";
import { archetypeOf } from "../synthetic/archetypes";
import type { DataItem, Dataset } from "../types";

/** Bump when the generator's pictures change, so cached tiles and data hashes change with them. */
export const GENERATOR_VERSION = 1;

/** Class names sort in class order: `A-stroma`, `B-lymphoid`, ... */
export const syntheticClassName = (c: number): string => `${String.fromCharCode(65 + c)}-${archetypeOf(c).name}`;

type SyntheticData = Extract<ResolvedData, { source: "synthetic" }>;

/** Lists and splits a synthetic data set. */
export function syntheticDataset(data: SyntheticData, seed: number): Dataset {
  if (data.split.protocol === "predefined") {
    throw new DataError(
      "data.split.protocol: synthetic data has no predefined split; use holdout, kfold or leave_one_out",
    );
  }
  const classes = Array.from({ length: data.classes }, (_, c) => syntheticClassName(c));
  const items: DataItem[] = [];
  for (let c = 0; c < data.classes; c++) {
    for (let i = 0; i < data.per_class; i++) {
      const id = `synthetic-v${GENERATOR_VERSION}:${seed}:${c}:${i}:${data.image_size}`;
      items.push({
        key: `synthetic/${classes[c]}/${String(i).padStart(4, "0")}`,
        file: null,
        label: c,
        hash: createHash("sha256").update(id).digest("hex"),
      });
    }
  }
  return {
    classes,
    items,
    ...splitAndHash(classes, items, data.split, null),
    skipped: [],
    warnings: [],
    synthetic: { seed, classes: data.classes, imageSize: data.image_size },
  };
}
