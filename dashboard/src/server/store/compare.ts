/**
 * `runs.compare`: what the Compare page shows for 2..8 runs — the config diff of each run against
 * the first (the shared stage-aware diff that `tessera diff` prints), per-epoch curves to overlay, final metrics and their deltas, and confusion matrices.
 */
import { parse } from "yaml";
import type { RunEvent } from "@tessera/shared";
import { diffConfigDocuments, type ConfigChange } from "@tessera/shared";
import { readAllEvents, readRunDetail } from "./runs";

export interface EpochPoint {
  /** 1-based epoch count across all stages. */
  x: number;
  stage: string;
  trainLoss: number;
  validLoss: number;
  validAccuracy: number;
}

export interface ComparedRun {
  id: string;
  name: string;
  status: string;
  classes: string[];
  epochs: EpochPoint[];
  best: number | null;
  last: number | null;
  lastValidLoss: number | null;
  confusion: number[][] | null;
  /** Changes from the first run's config to this one's (empty for the first). */
  diff: ConfigChange[];
}

function curves(events: RunEvent[]): Pick<ComparedRun, "classes" | "epochs" | "confusion"> {
  let classes: string[] = [];
  const epochs: EpochPoint[] = [];
  let confusion: number[][] | null = null;
  for (const e of events) {
    if (e.type === "run_started") classes = e.classes;
    if (e.type === "epoch") {
      epochs.push({
        x: epochs.length + 1,
        stage: e.stage,
        trainLoss: e.train_loss,
        validLoss: e.valid_loss,
        validAccuracy: e.valid_accuracy,
      });
      confusion = e.confusion;
    }
  }
  return { classes, epochs, confusion };
}

/** Compares runs by id; throws NOT_FOUND-style errors for a missing run. */
export async function compareRuns(ids: string[]): Promise<{ runs: ComparedRun[] }> {
  const details = await Promise.all(ids.map((id) => readRunDetail(id)));
  const configs = details.map((d) => (d?.configYaml ? (parse(d.configYaml) as unknown) : null));
  const runs = await Promise.all(
    details.map(async (d, i): Promise<ComparedRun> => {
      const id = ids[i]!;
      if (!d) throw new Error(`no run ${id} in the run store`);
      const c = curves(await readAllEvents(id));
      const accs = c.epochs.map((p) => p.validAccuracy);
      return {
        id,
        name: d.meta.name,
        status: d.row?.status ?? d.meta.status,
        ...c,
        classes: d.summary?.classes ?? c.classes,
        confusion: d.summary?.confusion ?? c.confusion,
        best: accs.length ? Math.max(...accs) : null,
        last: accs.at(-1) ?? null,
        lastValidLoss: c.epochs.at(-1)?.validLoss ?? null,
        diff: i === 0 ? [] : diffConfigDocuments(configs[0], configs[i]),
      };
    }),
  );
  return { runs };
}
