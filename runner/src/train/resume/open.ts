/**
 * Opening a run folder for `tessera run --resume <run>`: checks it can be resumed, takes its lock
 * (repairing a torn last line), reloads the exact config that ran, finds the resume point and
 * plans which events the new attempt supersedes.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { BACKENDS, RUN_FILES, type BackendName, type EventOf, type RunEvent, type RunEventBody } from "@tessera/shared";
import { loadConfig, type LoadedConfig } from "../../config";
import { ExitError } from "../../errors";
import { readEvents, readMeta, reopenRun, resolveRunRef, SOURCE_FILE, type RunWriter } from "../../runs";
import { cleanRunTemps } from "../../runs/disk-full";
import { planResume, type ResumePlan } from "./plan";
import { loadResumePoint, type ResumePoint } from "./state";

export interface OpenedResume {
  dir: string;
  writer: RunWriter;
  loaded: LoadedConfig;
  /** The backend the run used (a resume keeps it unless `--backend` says otherwise). */
  backend: BackendName | null;
  /** Folder relative data paths are resolved against (the original config file's). */
  baseDir: string;
  point: ResumePoint | null;
  plan: ResumePlan;
  /** The run's current events (torn line repaired, superseded ones dropped) before this attempt. */
  events: RunEvent[];
  /** True for an event the new attempt must not write again (the resumed stage's `stage_started`). */
  skip(body: RunEventBody & { fold?: number }): boolean;
}

/** Opens `ref` (id or folder) for another attempt; refuses finished, live or edited runs with a clear message. */
export async function openResume(ref: string, runsDir: string): Promise<OpenedResume> {
  const dir = resolveRunRef(ref, runsDir);
  const before = readMeta(dir);
  if (before.status === "finished")
    throw new ExitError(`tessera: run ${before.id} already finished; nothing to resume`);
  let plan: ResumePlan;
  try {
    plan = planResume(
      readEvents(dir, () => undefined),
      null,
    );
  } catch (error) {
    throw new ExitError(`tessera: cannot resume ${before.id}: ${(error as Error).message}`);
  }
  const { writer } = await reopenRun(dir);
  try {
    // What a full disk or a kill left half-written goes now that the folder is ours again.
    cleanRunTemps(dir);
    const loaded = await loadConfig(join(dir, RUN_FILES.config));
    if (loaded.configHash !== before.config_hash) {
      throw new ExitError(
        `tessera: ${join(dir, RUN_FILES.config)} no longer matches the run's config_hash (edited?); refusing to resume`,
      );
    }
    const sourceFile = join(dir, SOURCE_FILE);
    const source = existsSync(sourceFile)
      ? (JSON.parse(readFileSync(sourceFile, "utf8")) as { config_file?: string })
      : {};
    const baseDir = source.config_file ? dirname(source.config_file) : process.cwd();
    const point = await loadResumePoint(dir, {
      onFallback: (damage, used) =>
        process.stderr.write(
          `tessera: ${damage.file}: damaged (${damage.problem}); resuming from the previous resume point ` +
            `(stage '${used.position.stage}' epoch ${used.position.epoch}) instead\n`,
        ),
    });
    const events = readEvents(dir, () => undefined);
    plan = planResume(events, point?.position ?? null);
    let skipped = false;
    return {
      dir,
      writer,
      loaded,
      backend: (BACKENDS as readonly string[]).includes(before.backend?.name ?? "auto")
        ? (before.backend!.name as BackendName)
        : null,
      baseDir,
      point,
      plan,
      events,
      skip(body) {
        const p = point?.position;
        if (
          skipped ||
          !p ||
          body.type !== "stage_started" ||
          body.stage !== p.stage ||
          (body.fold ?? null) !== p.fold
        ) {
          return false;
        }
        skipped = true;
        return true;
      },
    };
  } catch (error) {
    writer.updateMeta({ status: before.status, attempt: before.attempt });
    writer.finish(before.status);
    throw error;
  }
}

/**
 * Runs the steps between opening a resumed folder and training (backend, data); if one fails,
 * the folder's lock is released and its status put back. Also refuses data that changed.
 */
export async function prepareOrRelease<T extends { dataset: { dataHash: string } }>(
  resumed: OpenedResume | null,
  prepare: () => Promise<T>,
): Promise<T> {
  if (!resumed) return prepare();
  const previous = resumed.writer.meta;
  try {
    const prepared = await prepare();
    if (previous.data_hash && prepared.dataset.dataHash !== previous.data_hash) {
      throw new ExitError(
        `tessera: the data changed since run ${previous.id} started (data_hash ${previous.data_hash} -> ` +
          `${prepared.dataset.dataHash}); resuming would not continue the same experiment`,
      );
    }
    return prepared;
  } catch (error) {
    resumed.writer.finish("interrupted");
    throw error;
  }
}

/**
 * What the summary needs from the folds a resumed k-fold run finished in earlier attempts (it
 * trains only the folds from the resume point on): each one's last epoch metrics, from its events.
 * Returns them in fold order; the resumed fold itself and later ones are left out.
 */
export function earlierFoldResults(
  events: RunEvent[],
  resumedFold: number | null,
  /** A finished fold's TTA accuracy (`readFoldTta`), when the run has one. */
  ttaOf: (fold: number) => number | null = () => null,
): {
  fold: number | null;
  last: Pick<EventOf<"epoch">, "valid_accuracy" | "valid_loss" | "train_loss" | "per_class" | "confusion">;
  best: null;
  tta: { accuracy: number } | null;
  stopped: null;
}[] {
  if (resumedFold === null) return [];
  const lastByFold = new Map<number, EventOf<"epoch">>();
  for (const e of events) {
    if (e.type === "epoch" && e.fold !== undefined && e.fold !== resumedFold) lastByFold.set(e.fold, e);
  }
  const order = [
    ...new Set(events.flatMap((e) => (e.type === "stage_started" && e.fold !== undefined ? [e.fold] : []))),
  ];
  return order
    .filter((fold) => fold !== resumedFold && lastByFold.has(fold) && order.indexOf(fold) < order.indexOf(resumedFold))
    .map((fold) => {
      const tta = ttaOf(fold);
      return {
        fold,
        last: lastByFold.get(fold)!,
        best: null,
        tta: tta === null ? null : { accuracy: tta },
        stopped: null,
      };
    });
}
