/**
 * `tessera plan <sweep file>`: the trial table (each trial's parameters and config_hash; for random
 * and ASHA the seeded draws, exactly what `tessera sweep` will run) and what the sweep will cost, in
 * epochs, images and — once a run of the same backbone exists in the runs dir — minutes, from that
 * run's measured images/s. Reads only; writes nothing.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { RUN_FILES, type ResolvedSweep, type TrialParams } from "@tessera/shared";
import { countData } from "../config/data-count";
import { readEvents, runsDirFrom } from "../runs";
import { loadSweep } from "./load";

export interface SweepPlan {
  file: string;
  name: string;
  sweep: ResolvedSweep;
  epochs_per_trial: number;
  rungs: number[] | null;
  trials: { trial: number; params: TrialParams; config_hash: string }[];
  cost: {
    /** Epochs over all trials (ASHA: expected, with ⌊n/η^k⌋ trials reaching rung k). */
    epochs: number;
    /** Every trial trained to the end: the bound (and the cost of grid and random). */
    epochs_max: number;
    /** Training images per epoch (first fold), or null when the data could not be counted. */
    train_images: number | null;
    images: number | null;
    /** From a finished run of the same backbone, or null when there is none. */
    minutes: number | null;
    minutes_from: { run: string; images_per_s: number } | null;
  };
}

/** Epochs ASHA spends when ⌊n/η^k⌋ of n trials reach rung k (rung k trains rungs[k] - rungs[k-1] more). */
export function ashaEpochs(trials: number, reduction: number, rungs: readonly number[]): number {
  return rungs.reduce(
    (sum, r, k) => sum + Math.floor(trials / reduction ** k) * (r - (k === 0 ? 0 : rungs[k - 1]!)),
    0,
  );
}

export async function planSweep(file: string, opts: { runsDir?: string } = {}): Promise<SweepPlan> {
  const loaded = await loadSweep(file);
  const { sweep, epochs, rungs } = loaded;
  const trials = [];
  for (let i = 0; i < sweep.trials; i++) {
    const t = await loaded.trial(i);
    trials.push({ trial: i, params: t.params, config_hash: t.configHash });
  }
  const epochsMax = sweep.trials * epochs;
  const total = rungs && sweep.asha ? ashaEpochs(sweep.trials, sweep.asha.reduction, rungs) : epochsMax;
  const config = loaded.base.config;
  let trainImages: number | null = null;
  try {
    trainImages = (await countData(config.data, config.seed)).folds[0]?.train ?? null;
  } catch {
    trainImages = null; // data not reachable here: the plan still gives epochs
  }
  const images = trainImages === null ? null : trainImages * total;
  const speed = measuredSpeed(runsDirFrom(opts.runsDir), config.model.backbone);
  return {
    file: loaded.file,
    name: config.name,
    sweep,
    epochs_per_trial: epochs,
    rungs,
    trials,
    cost: {
      epochs: total,
      epochs_max: epochsMax,
      train_images: trainImages,
      images,
      minutes: images !== null && speed ? images / speed.images_per_s / 60 : null,
      minutes_from: speed,
    },
  };
}

/** The median training images/s of the newest finished run with this backbone. */
function measuredSpeed(runsDir: string, backbone: string): { run: string; images_per_s: number } | null {
  if (!existsSync(runsDir)) return null;
  for (const id of readdirSync(runsDir).sort().reverse()) {
    const dir = join(runsDir, id);
    try {
      const meta = JSON.parse(readFileSync(join(dir, RUN_FILES.meta), "utf8")) as { status: string };
      if (meta.status !== "finished") continue;
      const config = parse(readFileSync(join(dir, RUN_FILES.config), "utf8")) as { model?: { backbone?: string } };
      if (config.model?.backbone !== backbone) continue;
      const speeds = readEvents(dir, () => undefined)
        .flatMap((e) => (e.type === "batch" && e.images_per_s > 0 ? [e.images_per_s] : []))
        .sort((a, b) => a - b);
      if (speeds.length > 0) return { run: id, images_per_s: speeds[Math.floor(speeds.length / 2)]! };
    } catch {
      continue; // not a readable run folder
    }
  }
  return null;
}

/** The plan as text: settings, the trial table and the cost. */
export function formatSweepPlan(plan: SweepPlan): string {
  const s = plan.sweep;
  const lines = [
    `sweep ${plan.name}: ${s.method}, ${s.trials} trials, ${s.parallel} at once, objective ${s.metric} (${s.mode}), seed ${s.seed}`,
    `each trial: ${plan.epochs_per_trial} epochs${plan.rungs ? `; ASHA rungs at epochs ${plan.rungs.join(", ")} (reduction ${s.asha?.reduction})` : ""}`,
    "",
  ];
  const params = Object.keys(s.parameters);
  const header = ["trial", "config_hash", ...params];
  const rows = plan.trials.map((t) => [
    String(t.trial),
    t.config_hash.slice(0, 12),
    ...params.map((p) => JSON.stringify(t.params[p])),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const row = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  lines.push(row(header), ...rows.map(row), "");
  const c = plan.cost;
  const epochs =
    c.epochs === c.epochs_max ? `${c.epochs} epochs` : `${c.epochs} epochs expected (at most ${c.epochs_max})`;
  const images =
    c.images === null
      ? "images: data not counted here"
      : `${c.images.toLocaleString("en")} training images (${c.train_images} per epoch)`;
  lines.push(`cost: ${epochs}, ${images}`);
  lines.push(
    c.minutes === null
      ? "time: no finished run of this backbone in the runs dir to measure images/s from"
      : `time: about ${c.minutes.toFixed(1)} min of training one trial at a time, at ${c.minutes_from!.images_per_s.toFixed(1)} images/s (measured in run ${c.minutes_from!.run}; validation and start-up not counted)`,
  );
  return `${lines.join("\n")}\n`;
}
