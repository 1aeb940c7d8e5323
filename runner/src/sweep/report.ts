/**
 * `tessera report <sweep>`: report.md in the sweep folder (or `--out`) with the trial table sorted
 * by the objective, a parallel-coordinates chart and one objective-vs-parameter chart per parameter
 * (SVG files beside it), and the best trial's config as a diff against the base.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diffConfigs, foldTrials, formatChange, sortByObjective } from "@tessera/shared";
import { loadConfig } from "../config";
import { mdTable } from "../report/format";
import { slug } from "../report/charts";
import { RUN_FILES } from "@tessera/shared";
import { loadSweep } from "./load";
import { readSweepMeta, readTrialRecords } from "./store";
import { objectiveScatter, parallelCoordinates } from "./svg";

export async function writeSweepReport(dir: string, outDir: string = dir): Promise<{ file: string; charts: string[] }> {
  const meta = readSweepMeta(dir);
  const state = foldTrials(readTrialRecords(dir));
  const loaded = await loadSweep(meta.config_file);
  const parameters = loaded.sweep.parameters;
  const names = Object.keys(parameters);
  mkdirSync(join(outDir, "charts"), { recursive: true });
  const charts: string[] = [];
  const chart = (name: string, svg: string) => {
    writeFileSync(join(outDir, "charts", name), svg);
    charts.push(`charts/${name}`);
    return `charts/${name}`;
  };
  const rows = sortByObjective(state.trials, state.mode);
  const lines = [
    `# Sweep ${meta.id}`,
    "",
    `${loaded.sweep.method}, ${state.trials.length} of ${state.planned} trials, objective ${state.metric} (${state.mode}), status ${state.status}.`,
    "",
    mdTable(
      ["trial", "status", state.metric, "epochs", "run", ...names],
      rows.map((r) => [
        `${r.trial}${r.trial === state.best ? " (best)" : ""}`,
        r.status,
        r.objective === null ? "-" : r.objective.toFixed(4),
        String(r.epochs),
        r.run_id,
        ...names.map((n) => JSON.stringify(r.params[n])),
      ]),
    ),
    "",
    `![parallel coordinates](${chart("parallel.svg", parallelCoordinates(rows, parameters, state.metric, state.best))})`,
    "",
    ...names.map(
      (n) =>
        `![${state.metric} vs ${n}](${chart(`objective-${slug(n)}.svg`, objectiveScatter(rows, n, parameters[n]!, state.metric))})`,
    ),
    "",
  ];
  const best = state.trials.find((t) => t.trial === state.best);
  if (best) {
    const trial = await loadConfig(join(meta.runs_dir, best.run_id, RUN_FILES.config));
    const changes = diffConfigs(loaded.base.config, trial.config);
    lines.push(
      `## Best trial ${best.trial} against the base config`,
      "",
      "```",
      ...changes.map(formatChange),
      "```",
      "",
    );
  }
  const file = join(outDir, "report.md");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return { file, charts };
}
