/**
 * `runExperiment`: config file -> run folder. Loads and resolves the config, starts the backend,
 * loads the data, creates the run folder, trains each fold through every stage, writes the summary
 * and the final event. Every failure after the folder exists is recorded as `run_failed` with the
 * stage and epoch, and the folder is left `failed` (never `running`).
 */
import { dirname, join } from "node:path";
import { writeFileSync } from "node:fs";
import { RUN_FILES, type BackendName, type RunEvent, type RunSummary } from "@tessera/shared";
import { selectBackend } from "../backend";
import { checkConfigMemory } from "../model";
import { ActivationCachePool, firstTapedPart } from "./activation-cache/cache";
import { setInferenceThreads } from "../inference/engine";
import { loadConfig } from "../config";
import { splitRecord } from "../data";
import { backendOptions, loadDatasetReporting, type SetupProgress } from "./setup";
import { createRun, runsDirFrom } from "../runs";
import { cleanIdleRunsTemps, cleanRunTemps, diskFullError, isDiskFull } from "../runs/disk-full";
import type { Emit } from "./loop/callbacks";
import { trainFold, type FoldResult } from "./fold";
import type { TrainHooks } from "./loop/hooks";
import { withSeededRandom } from "./loop/seeded";
import { DivergedError } from "./loop/stage";
import type { RunSafety } from "./crash-safety";
import { InterruptedError, type Interrupt } from "./interrupt";
import { earlierFoldResults, openResume, prepareOrRelease } from "./resume/open";
import { UsageError } from "../errors";
import { ensureOutDir } from "../out-dir";
import { buildSummary, writeTopLosses } from "./summary";
import { epochBudget } from "./loop/epoch-budget";
import { SHARE_ENV } from "./activation-cache/share";
import { readFoldTta } from "./fold-tta";

export interface RunExperimentOptions {
  /** The experiment file; not used with `resume` (the run folder's config.yaml is what ran). */
  configFile?: string;
  /** Continue this run (id or folder) from its resume point instead of starting a new one. */
  resume?: string;
  /** Ctrl-C handling (see interrupt.ts): a request stops after the batch, writes a resume point, exit 130. */
  interrupt?: Interrupt;
  /** `--set path=value` overrides. */
  set?: string[];
  /** Overrides the config's `backend`. */
  backend?: BackendName;
  /** wasm worker threads (the CLI passes every core). @default 1 */
  threads?: number;
  /** Let native libraries' own warnings (Dawn's) through to stderr. */
  verbose?: boolean;
  /** Default `./runs` or env `TESSERA_RUNS_DIR`. */
  runsDir?: string;
  /** Decoded-image cache root; `false` turns the disk cache off. */
  cacheDir?: string | false;
  /** Every event, right after it is written (progress bars, tests). */
  onEvent?: (event: RunEvent) => void;
  /** Extra loop hooks (progress, interrupt, resume). */
  hooks?: TrainHooks[];
  /** Aborting stops after the current batch; the run ends `interrupted`. */
  signal?: AbortSignal;
  /** What happens before the first batch (backend, reading and checking every image), for progress output. */
  onSetup?: (step: SetupProgress) => void;
  /** The new run's id (a sweep names its trials' runs before they start); default a fresh one. */
  runId?: string;
  /** A sweep's trial: recorded in meta.json and on every event. */
  sweep?: { id: string; trial: number };
  /**
   * Stop once this many epochs of the whole schedule are trained (an ASHA rung), keeping the resume
   * point; the run ends `stopped_early` and `--resume` with a larger budget continues it.
   */
  stopAtEpoch?: number;
}

export interface RunExperimentResult {
  runDir: string;
  runId: string;
  summary: RunSummary;
  status: "finished" | "interrupted" | "stopped_early";
}

/** Trains the experiment a config file describes and writes its run folder. */
export async function runExperiment(opts: RunExperimentOptions): Promise<RunExperimentResult> {
  const started = performance.now();
  const resumed = opts.resume ? await openResume(opts.resume, runsDirFrom(opts.runsDir)) : null;
  if (!resumed && !opts.configFile) throw new UsageError("tessera run: missing <config> (a YAML experiment file)");
  const loaded = resumed?.loaded ?? (await loadConfig(opts.configFile!, { set: opts.set ?? [], sweepTrials: false }));
  const { config } = loaded;
  // Before minutes of data loading: a runs dir that is a file fails now, naming the flag.
  if (!resumed) ensureOutDir(runsDirFrom(opts.runsDir), "--runs-dir");
  // Temp folders a full disk or a kill left in runs nobody is writing (best effort, cheap).
  cleanIdleRunsTemps(runsDirFrom(opts.runsDir));
  const prepared = await prepareOrRelease(resumed, async () => {
    // A resumed run keeps the backend it ran on (numbers differ slightly between backends).
    const backend = await selectBackend(opts.backend ?? resumed?.backend ?? config.backend, backendOptions(opts));
    opts.onSetup?.({ kind: "backend", name: backend.name, threads: backend.threads });
    // ONNX Runtime (cache fill, TTA) keeps to the same share of the cores as the wasm backend.
    setInferenceThreads(opts.threads ?? null);
    // A clear error now instead of a bare `Aborted()` from the wasm heap mid-run.
    checkConfigMemory(config, backend.name, { fromPart: (stage) => firstTapedPart(config, stage) });
    const dataset = await loadDatasetReporting(config, {
      baseDir: resumed?.baseDir ?? dirname(loaded.file),
      ...(opts.cacheDir === undefined ? {} : { cacheDir: opts.cacheDir }),
      ...(opts.onSetup ? { onSetup: opts.onSetup } : {}),
    });
    return { backend, dataset };
  });
  const { backend, dataset } = prepared;
  if (opts.stopAtEpoch !== undefined && dataset.folds.length > 1) {
    resumed?.writer.finish(resumed.writer.meta.status);
    throw new UsageError("tessera run --stop-at-epoch: an epoch budget needs a holdout split, not k folds");
  }
  const writer =
    resumed?.writer ??
    (await createRun({
      runsDir: runsDirFrom(opts.runsDir),
      loaded,
      ...(opts.runId ? { id: opts.runId } : {}),
      ...(opts.sweep ? { sweep: opts.sweep } : {}),
    }));
  const emit: Emit = (body) => {
    if (resumed?.skip(body)) return;
    const event = writer.append(body);
    opts.onEvent?.(event);
  };
  writer.updateMeta({
    data_hash: dataset.dataHash,
    split_hash: dataset.splitHash,
    backend,
    skipped_images: dataset.skipped.length,
  });
  writeFileSync(join(writer.dir, RUN_FILES.split), `${JSON.stringify(splitRecord(dataset))}\n`);
  if (resumed) {
    emit({ type: "run_resumed", from: resumed.plan.from, superseded_after_seq: resumed.plan.superseded_after_seq });
  } else {
    emit({
      type: "run_started",
      run_id: writer.id,
      config_hash: loaded.configHash,
      data_hash: dataset.dataHash,
      classes: dataset.classes,
      backend: backend.name,
      seed: config.seed,
    });
  }
  const budget = opts.stopAtEpoch === undefined ? null : epochBudget(config.train.stages, opts.stopAtEpoch);
  const safety: RunSafety = {
    runId: writer.id,
    runDir: writer.dir,
    attempt: writer.attempt,
    lastSeq: () => writer.lastSeq,
    interrupt: opts.interrupt ?? null,
    resume: resumed?.point ?? null,
    afterResumePoint: budget ? [budget.hooks] : [],
  };

  let where: { stage: string | null; epoch: number | null } = { stage: null, epoch: null };
  const track: TrainHooks = {
    onStageBegin: (info) => {
      where = { stage: info.stage.name, epoch: null };
    },
    onBatchEnd: (l, control) => {
      where = { stage: l.stage, epoch: l.epoch };
      if (opts.signal?.aborted) {
        control.stopStage = true;
        control.reason = "interrupted";
      }
    },
  };
  // Prefix activations computed once for the whole run: every fold starts from the same weights.
  const cachePool = new ActivationCachePool({ runDir: writer.dir });
  // A sweep's trials also share the rows on disk, across processes.
  const shareRoot = process.env[SHARE_ENV] || null;
  try {
    // A resumed k-fold run keeps the metrics of the folds its earlier attempts finished.
    const results = (
      resumed
        ? earlierFoldResults(resumed.events, resumed.point?.position.fold ?? null, (f) => readFoldTta(writer.dir, f))
        : []
    ) as FoldResult[];
    for (let f = safety.resume?.position.fold_index ?? 0; f < dataset.folds.length && !opts.signal?.aborted; f++) {
      const result = await withSeededRandom(config.seed + f, () =>
        trainFold({
          config,
          dataset,
          foldIndex: f,
          baseDir: resumed?.baseDir ?? dirname(loaded.file),
          runDir: writer.dir,
          emit,
          hooks: [track, ...(opts.hooks ?? [])],
          stopRun: () => (opts.signal?.aborted ?? false) || budget?.stopped() != null,
          safety,
          cachePool,
          ...(shareRoot ? { share: { root: shareRoot, dataKey: dataset.dataHash } } : {}),
        }),
      );
      results.push(result);
      // Its checkpoints are on disk and its metrics in `result`: free the weights before the next fold.
      result.model.dispose();
    }
    const summary = buildSummary(results, config.checkpoint.monitor, (performance.now() - started) / 1000);
    const main = results.at(-1);
    if (main) await writeTopLosses(writer.dir, main);
    writer.writeSummary(summary);
    if (opts.signal?.aborted) {
      emit({ type: "run_interrupted", stage: where.stage ?? "", epoch: where.epoch ?? 0, step: 0 });
      writer.finish("interrupted");
      return { runDir: writer.dir, runId: writer.id, summary, status: "interrupted" };
    }
    const early = budget?.stopped();
    if (early) {
      emit({ type: "run_stopped_early", ...early, reason: `epoch budget of ${opts.stopAtEpoch}` });
      writer.finish("stopped_early");
      return { runDir: writer.dir, runId: writer.id, summary, status: "stopped_early" };
    }
    emit({ type: "run_finished", summary });
    writer.finish("finished");
    return { runDir: writer.dir, runId: writer.id, summary, status: "finished" };
  } catch (error) {
    if (error instanceof InterruptedError) {
      writer.finish("interrupted");
      throw error;
    }
    // A full disk is the user's to fix, not a bug: one message saying so, and its temp folders go.
    const failure = isDiskFull(error) ? diskFullError(error, writer.id) : error;
    const message = (failure as Error)?.message ?? String(failure);
    const at = error instanceof DivergedError ? { stage: error.stage, epoch: error.epoch } : where;
    try {
      emit({ type: "run_failed", error: message, stage: at.stage, epoch: at.epoch });
    } catch (appendError) {
      if (!isDiskFull(appendError)) throw appendError;
    } finally {
      writer.finish("failed");
      if (isDiskFull(error)) cleanRunTemps(writer.dir);
    }
    throw failure;
  } finally {
    cachePool.dispose();
  }
}
