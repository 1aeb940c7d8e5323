/**
 * The one place that names every file of a run folder (Ludwig's `globals.py`): the runner writes
 * these, the dashboard and `diff`/`report` read them. `rm` and `export` treat the folder whole.
 */
export const RUN_FILES = {
  config: "config.yaml",
  /** Where the config came from, so a resume finds relative data paths again. */
  source: "source.json",
  meta: "meta.json",
  events: "events.jsonl",
  summary: "summary.json",
  split: "split.json",
  lock: ".lock",
  /** On the central server only: which worker may write the run (ingest's claim). */
  claim: ".claim.json",
  /** On the central server only: checkpoint folders being uploaded, before their swap-in. */
  ingestStaging: ".ingest-staging",
  /** What the activation cache stored per stage (and fold). */
  activationCache: "activation_cache.json",
  checkpoints: "checkpoints",
  bestCheckpoint: "checkpoints/best",
  lastCheckpoint: "checkpoints/last",
  /** The resume point: the last checkpoint plus the optimizer state and the loop position. */
  resume: "checkpoints/resume",
  topLosses: "top_losses",
  /** The top losses' index (one row per thumbnail), inside `topLosses`. */
  topLossesIndex: "top_losses/top_losses.json",
  report: "report.md",
} as const;

/** Default runs dir, relative to the working directory; env `TESSERA_RUNS_DIR` overrides. */
export const DEFAULT_RUNS_DIR = "runs";

/** A run id: `<YYYYMMDD-HHMMSS>-<name>-<4 hex>`; also the only shape the dashboard accepts. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

export function isSafeRunId(id: string): boolean {
  return RUN_ID_PATTERN.test(id) && !id.includes("..");
}
