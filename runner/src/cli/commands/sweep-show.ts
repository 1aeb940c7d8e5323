/** `tessera sweep ls` and `tessera sweep show <id>`: the sweeps, and one sweep's trial table. */
import { sortByObjective, type SweepState } from "@tessera/shared";
import { printJson, say, table } from "../../runs/cli-text";
import { listSweepIds, readSweepMeta, readTrialRecords, sweepDir, sweepsDirFrom } from "../../sweep/store";
import { foldTrials } from "@tessera/shared";

/** The trial table, best first: trial, status, rung, epochs, objective, run id, parameters. */
export function trialTable(state: SweepState): string {
  const rows = sortByObjective(state.trials, state.mode);
  const params = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  return table(
    ["TRIAL", "STATUS", "RUNG", "EPOCHS", state.metric.toUpperCase(), "RUN", ...params],
    rows.map((r) => [
      `${r.trial}${r.trial === state.best ? " *" : ""}`,
      r.status,
      r.rung === null ? "-" : String(r.rung),
      String(r.epochs),
      r.objective === null ? "-" : r.objective.toFixed(4),
      r.run_id,
      ...params.map((p) => (p in r.params ? JSON.stringify(r.params[p]) : "-")),
    ]),
  );
}

export async function sweepLsCommand(opts: { sweepsDir?: string; json?: boolean } = {}): Promise<void> {
  const dir = sweepsDirFrom(opts.sweepsDir);
  const sweeps = listSweepIds(dir).map((id) => {
    const state = foldTrials(readTrialRecords(sweepDir(dir, id)));
    const best = state.trials.find((t) => t.trial === state.best) ?? null;
    return { id, state, best };
  });
  if (opts.json) {
    printJson({
      sweeps_dir: dir,
      sweeps: sweeps.map(({ id, state, best }) => ({
        id,
        status: state.status,
        trials: state.trials.length,
        planned: state.planned,
        metric: state.metric,
        best: best ? { trial: best.trial, run_id: best.run_id, objective: best.objective } : null,
      })),
    });
    return;
  }
  if (sweeps.length === 0) return say(`no sweeps in ${dir}`);
  say(
    table(
      ["ID", "STATUS", "TRIALS", "METRIC", "BEST"],
      sweeps.map(({ id, state, best }) => [
        id,
        state.status,
        `${state.trials.length}/${state.planned}`,
        state.metric,
        best?.objective == null ? "-" : `${best.objective.toFixed(4)} (trial ${best.trial})`,
      ]),
    ),
  );
}

export async function sweepShowCommand(ref: string, opts: { sweepsDir?: string; json?: boolean } = {}): Promise<void> {
  const dir = sweepDir(sweepsDirFrom(opts.sweepsDir), ref);
  const meta = readSweepMeta(dir);
  const state = foldTrials(readTrialRecords(dir));
  if (opts.json) return printJson({ ...meta, dir, state });
  say(`sweep ${meta.id} (${state.status}): ${meta.config_file}`);
  say(
    `${state.trials.length} of ${state.planned} trials started, ${state.parallel} at once; objective ${state.metric} (${state.mode})`,
  );
  if (state.rungs) say(`ASHA rungs at epochs ${state.rungs.join(", ")}`);
  say(trialTable(state));
}
