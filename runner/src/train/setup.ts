/**
 * The setup both `run` and `lr-find` do before training: load the dataset and say how it went,
 * so a long first read of a big image folder is never silent.
 */
import type { ResolvedConfig } from "@tessera/shared";
import type { SelectOptions } from "../backend";
import { loadDataset, type LoadedDataset } from "../data";

/** What setup reports before the first stage: the backend, images checked so far, the dataset. */
export type SetupProgress =
  | { kind: "backend"; name: string; threads: number | null }
  /** One line worth saying before training, e.g. why `auto` skipped a software GPU adapter. */
  | { kind: "note"; text: string }
  | { kind: "data"; done: number; total: number }
  | { kind: "data_loaded"; images: number; classes: number; skipped: number; seconds: number };

/** The backend options `run` and `lr-find` share: threads, Dawn's output with --verbose, notes as setup lines. */
export function backendOptions(opts: {
  threads?: number;
  verbose?: boolean;
  onSetup?: (step: SetupProgress) => void;
}): SelectOptions {
  const { onSetup } = opts;
  return {
    ...(opts.threads === undefined ? {} : { threads: opts.threads }),
    ...(opts.verbose ? { verbose: true } : {}),
    ...(onSetup ? { onNote: (text: string) => onSetup({ kind: "note", text }) } : {}),
  };
}

/** Loads the config's dataset, reporting progress and the result through `onSetup`. */
export async function loadDatasetReporting(
  config: ResolvedConfig,
  opts: { baseDir: string; cacheDir?: string | false; onSetup?: (step: SetupProgress) => void },
): Promise<LoadedDataset> {
  const started = performance.now();
  const { onSetup } = opts;
  const dataset = await loadDataset(config.data, {
    seed: config.seed,
    baseDir: opts.baseDir,
    ...(opts.cacheDir === undefined ? {} : { cacheDir: opts.cacheDir }),
    ...(onSetup ? { onProgress: (done: number, total: number) => onSetup({ kind: "data", done, total }) } : {}),
  });
  onSetup?.({
    kind: "data_loaded",
    images: dataset.items.length,
    classes: dataset.classes.length,
    skipped: dataset.skipped.length,
    seconds: (performance.now() - started) / 1000,
  });
  return dataset;
}
