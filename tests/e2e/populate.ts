/**
 * Fills a run store with synthetic runs for looking at the dashboard by hand or benchmarking:
 * `tsx tests/e2e/populate.ts <runs-dir> [count] [--live]` (live: the last run keeps appending).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FixtureRun, tinyPng } from "./fixture-run";
import { writeSyntheticRun } from "./synthetic";

const classes = "ABCDEFGHIJKLMNOPQRST".split("");

/** Writes `count` finished runs (varied configs) into `root`. */
export async function populate(root: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `20260101-${String(100000 + i)}-synthetic-${i.toString(16).padStart(4, "0")}`;
    const lr = [1e-4, 3e-4, 1e-3][i % 3]!;
    const yaml = `name: synthetic-${i % 7}\nseed: ${i}\ntrain:\n  batch_size: 8\n  stages:\n    - name: head\n      epochs: 2\n      lr: { max: ${lr} }\n    - name: fine-tune\n      epochs: 3\n      lr: { min: 1e-6, max: ${lr / 10} }\n`;
    const run = new FixtureRun(
      root,
      id,
      {
        name: `synthetic-${i % 7}`,
        config_hash: `hash${(i % 5).toString().padStart(4, "0")}`,
        started: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      },
      yaml,
    );
    await writeSyntheticRun(run, {
      classes: classes.slice(0, 5),
      stages: [
        { name: "head", epochs: 2, steps: 5, lrFind: true },
        { name: "fine-tune", epochs: 3, steps: 5 },
      ],
      finalAccuracy: 0.8 + (0.15 * ((i * 37) % 10)) / 10,
    });
    ids.push(id);
  }
  return ids;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2] ?? "runs";
  const count = Number(process.argv[3] ?? 3);
  mkdirSync(root, { recursive: true });
  const ids = await populate(root, count);
  const first = join(root, ids[0]!, "top_losses");
  mkdirSync(first, { recursive: true });
  for (let k = 0; k < 4; k++) writeFileSync(join(first, `${k}.png`), tinyPng(16, 16, 60 * k));
  if (process.argv.includes("--live")) {
    const run = new FixtureRun(root, "20260102-000000-live-ffff", { name: "live", started: new Date().toISOString() });
    await writeSyntheticRun(run, {
      classes,
      stages: [
        { name: "head", epochs: 3, steps: 20, lrFind: true },
        { name: "fine-tune", epochs: 5, steps: 20, lrFind: true },
      ],
      delayMs: 100,
    });
  }
}
