/**
 * Writes sweep folders in the sweep store's format (sweep.json, trials.jsonl; shared/src/sweep/trials.ts)
 * for dashboard tests and the run index bench, without running a sweep.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SWEEP_FILES, type TrialRecord, type TrialRecordBody } from "@tessera/shared";

/** Appends trial records to one sweep folder, numbering them like the sweep driver does. */
export class FixtureSweep {
  seq = 0;
  readonly dir: string;
  constructor(
    root: string,
    readonly id: string,
    planned: number,
  ) {
    this.dir = join(root, id);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(
      join(this.dir, SWEEP_FILES.meta),
      JSON.stringify({ format: 1, id, created: new Date().toISOString() }),
    );
    this.append({
      type: "sweep_started",
      sweep_id: id,
      method: "random",
      metric: "valid.accuracy",
      mode: "max",
      trials: planned,
      parallel: 1,
      seed: 1,
      epochs: 3,
      rungs: null,
    });
  }

  append(body: TrialRecordBody): TrialRecord {
    const record = { format: 1, seq: this.seq++, time: new Date().toISOString(), ...body } as TrialRecord;
    appendFileSync(join(this.dir, SWEEP_FILES.trials), `${JSON.stringify(record)}\n`);
    return record;
  }

  /** A trial that started and finished with `objective`. */
  trial(trial: number, runId: string, objective: number | null): void {
    this.append({
      type: "trial_started",
      trial,
      run_id: runId,
      params: { "train.stages[0].lr.max": 1e-3 * (trial + 1) },
      config_hash: `hash${trial}`,
      sampler: { seed: 1, next_index: trial + 1 },
      target_epochs: null,
    });
    this.append({ type: "trial_finished", trial, run_id: runId, objective, epochs: 3 });
  }
}
