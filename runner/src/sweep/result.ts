/**
 * A trial's numbers, read from its run folder (the run store is the source of truth, whichever
 * executor ran it): the objective at the last epoch trained, and how many epochs of the schedule
 * that was.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MONITOR_FIELDS, RUN_FILES, type Monitor } from "@tessera/shared";
import { dropSuperseded, readEvents } from "../runs";

export interface TrialResult {
  /** The metric at the last epoch, or null before the first epoch. */
  value: number | null;
  /** Epoch events of the run (one per trained epoch once superseded ones are dropped). */
  epochs: number;
}

export function trialResult(runsDir: string, runId: string, metric: Monitor): TrialResult {
  const dir = join(runsDir, runId);
  if (!existsSync(join(dir, RUN_FILES.events))) return { value: null, epochs: 0 };
  const epochs = dropSuperseded(readEvents(dir, () => undefined)).filter((e) => e.type === "epoch");
  const last = epochs.at(-1);
  const value = last?.type === "epoch" ? last[MONITOR_FIELDS[metric]] : null;
  return { value: value !== null && Number.isFinite(value) ? value : null, epochs: epochs.length };
}
