/**
 * `runs.compare`: what the Compare page shows for 2..8 runs — the config diff of each run against
 * the first (the shared stage-aware diff that `tessera diff` prints), per-epoch curves to overlay, final metrics and their deltas, and confusion matrices.
 */
import { parse } from "yaml";
import type { RunEvent } from "@tessera/shared";
import { bestEpoch, diffConfigDocuments, foldEpochs, type ConfigChange } from "@tessera/shared";
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

/** The epochs that count (the shared rule: a superseded epoch never does), as chart points. */
function curves(events: RunEvent[]): Pick<ComparedRun, "classes" | "epochs" | "confusion"> {
  const started = events.find((e) => e.type === "run_started");
  const epochs = foldEpochs(events);
  return {
    classes: started?.type === "run_started" ? started.classes : [],
    epochs: epochs.map((e, i) => ({
      x: i + 1,
      stage: e.stage,
      trainLoss: e.train_loss,
      validLoss: e.valid_loss,
      validAccuracy: e.valid_accuracy,
    })),
    confusion: epochs.at(-1)?.confusion ?? null,
  };
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
      return {
        id,
        name: d.meta.name,
        status: d.row?.status ?? d.meta.status,
        ...c,
        classes: d.summary?.classes ?? c.classes,
        confusion: d.summary?.confusion ?? c.confusion,
        best: bestEpoch(c.epochs.map((p) => ({ valid_accuracy: p.validAccuracy })))?.valid_accuracy ?? null,
        last: c.epochs.at(-1)?.validAccuracy ?? null,
        lastValidLoss: c.epochs.at(-1)?.validLoss ?? null,
        diff: i === 0 ? [] : diffConfigDocuments(configs[0], configs[i]),
      };
    }),
  );
  return { runs };
}
