/**
 * The `sweeps` table: one row per sweep folder, its trials.jsonl folded by the shared `foldTrials`
 * (the fold `tessera sweep show` prints), re-folded only when sweep.json or trials.jsonl changed.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SWEEP_FILES, foldTrials, type SweepState, type TrialRecord } from "@tessera/shared";
import { fileSig } from "./entry";
import type { IndexDb } from "./open";
import { runIds } from "./runs-table";

/** One row of the sweep table. */
export interface SweepRow {
  id: string;
  status: SweepState["status"];
  metric: string;
  mode: "max" | "min";
  trials: number;
  planned: number;
  best: { trial: number; runId: string; objective: number | null } | null;
}

interface DbSweep {
  id: string;
  status: SweepState["status"];
  metric: string;
  mode: "max" | "min";
  trials: number;
  planned: number;
  best_trial: number | null;
  best_run_id: string | null;
  best_objective: number | null;
  sig: string;
}

/** Parses complete JSONL lines, skipping blank and malformed ones (a torn line from a killed writer). */
export function parseRecords(text: string): TrialRecord[] {
  const out: TrialRecord[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const value = JSON.parse(line) as TrialRecord;
      if (value && value.format === 1 && typeof value.seq === "number") out.push(value);
    } catch {
      // skipped; the next read after the writer finishes the line sees it whole
    }
  }
  return out;
}

/** The trial records of the sweep in folder `dir`. */
export function readRecords(dir: string): TrialRecord[] {
  const file = join(dir, SWEEP_FILES.trials);
  return existsSync(file) ? parseRecords(readFileSync(file, "utf8")) : [];
}

/** The row of the sweep folder `root/id`, read from its files. */
export function readSweepRow(root: string, id: string): SweepRow {
  const state = foldTrials(readRecords(join(root, id)));
  const best = state.trials.find((t) => t.trial === state.best);
  return {
    id,
    status: state.status,
    metric: state.metric,
    mode: state.mode,
    trials: state.trials.length,
    planned: state.planned,
    best: best ? { trial: best.trial, runId: best.run_id, objective: best.objective } : null,
  };
}

function sweepSig(root: string, id: string): string {
  return `${fileSig(join(root, id, SWEEP_FILES.meta))}|${fileSig(join(root, id, SWEEP_FILES.trials))}`;
}

/** Prepared statements over the `sweeps` table. */
export class SweepsTable {
  private readonly upsertStmt;
  private readonly deleteStmt;

  constructor(readonly db: IndexDb) {
    this.upsertStmt = db.prepare(
      `INSERT OR REPLACE INTO sweeps (id, status, metric, mode, trials, planned, best_trial, best_run_id, best_objective, sig)
       VALUES (@id, @status, @metric, @mode, @trials, @planned, @best_trial, @best_run_id, @best_objective, @sig)`,
    );
    this.deleteStmt = db.prepare("DELETE FROM sweeps WHERE id = ?");
  }

  /** Re-folds the sweep folders under `root` whose files changed (all with `full`), drops vanished ones. */
  reconcile(root: string, full = false): { read: number; total: number } {
    const known = new Map<string, string>();
    if (!full) for (const r of this.db.prepare("SELECT id, sig FROM sweeps").all() as DbSweep[]) known.set(r.id, r.sig);
    const ids = runIds(root).filter((id) => existsSync(join(root, id, SWEEP_FILES.meta)));
    let read = 0;
    this.db.transaction(() => {
      if (full) this.db.exec("DELETE FROM sweeps");
      for (const id of ids) {
        const sig = sweepSig(root, id);
        if (known.get(id) === sig) continue;
        read++;
        const row = readSweepRow(root, id);
        this.upsertStmt.run({
          id,
          status: row.status,
          metric: row.metric,
          mode: row.mode,
          trials: row.trials,
          planned: row.planned,
          best_trial: row.best?.trial ?? null,
          best_run_id: row.best?.runId ?? null,
          best_objective: row.best?.objective ?? null,
          sig,
        });
      }
      const present = new Set(ids);
      for (const id of known.keys()) if (!present.has(id)) this.deleteStmt.run(id);
    })();
    return { read, total: ids.length };
  }

  /** Every sweep, newest id first (ids start with their UTC start time). */
  list(): SweepRow[] {
    return (this.db.prepare("SELECT * FROM sweeps ORDER BY id DESC").all() as DbSweep[]).map((r) => ({
      id: r.id,
      status: r.status,
      metric: r.metric,
      mode: r.mode,
      trials: r.trials,
      planned: r.planned,
      best:
        r.best_trial !== null && r.best_run_id !== null
          ? { trial: r.best_trial, runId: r.best_run_id, objective: r.best_objective }
          : null,
    }));
  }
}
