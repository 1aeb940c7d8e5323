/**
 * A tiny run trained on a few real Kimia Path960 tiles (3 classes x 6 tiles, ResNet18 at 1/8
 * width, 48 px, 8 epochs: a few seconds on 2 cores), for the export and serve tests. Returns null
 * with the reason when the shared tiles are missing (CI fails instead).
 */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runExperiment } from "../../runner/src/train";
import { IN_CI, KIMIA_DIR } from "./paths";

/** The tiles of class `cls`, sorted, absolute paths. */
export function kimiaTiles(cls: string, count: number, skip = 0): string[] {
  return readdirSync(join(KIMIA_DIR, cls))
    .filter((f) => f.endsWith(".tif"))
    .sort()
    .slice(skip, skip + count)
    .map((f) => join(KIMIA_DIR, cls, f));
}

/** Trains the tiny run in `work`; returns its folder. */
export async function trainKimiaRun(work: string): Promise<{ runDir: string } | { skip: string }> {
  if (!existsSync(KIMIA_DIR)) {
    if (IN_CI) throw new Error(`Kimia tiles not found at ${KIMIA_DIR}`);
    return { skip: `Kimia tiles not found at ${KIMIA_DIR}` };
  }
  const rows = ["file,label", ...["A", "B", "C"].flatMap((c) => kimiaTiles(c, 6).map((f) => `${f},${c}`))];
  writeFileSync(join(work, "tiles.csv"), `${rows.join("\n")}\n`);
  writeFileSync(
    join(work, "kimia-tiny.yaml"),
    [
      "name: kimia-tiny",
      "seed: 5",
      "backend: wasm",
      "data: { source: csv, path: tiles.csv, split: { protocol: holdout, valid: 0.34, stratify: true } }",
      "model: { backbone: resnet18, width: 0.125 }",
      "train:",
      "  batch_size: 6",
      "  stages:",
      "    - { name: only, trainable: all, size: 48, epochs: 8, lr: 1e-2 }",
      "",
    ].join("\n"),
  );
  const { runDir } = await runExperiment({
    configFile: join(work, "kimia-tiny.yaml"),
    runsDir: join(work, "runs"),
    cacheDir: false,
  });
  return { runDir };
}
