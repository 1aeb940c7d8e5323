/**
 * One side of a `tessera diff`: a config file (loaded and resolved exactly as `tessera run` would,
 * see sides.ts) or a run (its stored resolved config.yaml, meta and metrics, read here).
 */
import { basename } from "node:path";
import { parse as parseYaml } from "yaml";
import type { ExperimentConfig, ResolvedConfig, RunMeta } from "@tessera/shared";
import { resolve } from "../config";
import { ExitError } from "../errors";
import { readRun, type RunRecord } from "../runs";
import { runMetrics, type RunMetrics } from "./run-metrics";

/** A config file side. */
export interface ConfigSide {
  kind: "config";
  ref: string;
  label: string;
  file: string;
  config: ResolvedConfig;
  configHash: string;
}

/** A run side. */
export interface RunSide {
  kind: "run";
  ref: string;
  label: string;
  dir: string;
  config: ResolvedConfig;
  configHash: string;
  configYaml: string;
  meta: RunMeta;
  metrics: RunMetrics;
  record: RunRecord;
}

export type Side = ConfigSide | RunSide;

/** Reads a run folder into a side; a folder whose config.yaml is missing or unreadable is refused clearly. */
export async function loadRunSide(dir: string, ref: string = basename(dir)): Promise<RunSide> {
  let record: RunRecord;
  try {
    record = await readRun(dir);
  } catch (error) {
    throw new ExitError(`tessera: ${(error as Error).message}`);
  }
  // config.yaml holds the written form with every default spelled out; resolving it again gives
  // the ResolvedConfig the run used (resolve is pure and idempotent on such a file).
  let config: ResolvedConfig;
  try {
    const written: unknown = parseYaml(record.configYaml);
    if (typeof written !== "object" || written === null || !("train" in written) || !("model" in written)) {
      throw new Error("missing, or not an experiment config (no model/train)");
    }
    config = resolve(written as ExperimentConfig);
  } catch (error) {
    throw new ExitError(`tessera: ${dir}/config.yaml: ${(error as Error).message.split("\n")[0]}`);
  }
  return {
    kind: "run",
    ref,
    label: record.meta.id,
    dir,
    config,
    configHash: record.meta.config_hash,
    configYaml: record.configYaml,
    meta: record.meta,
    metrics: runMetrics(record.events, record.summary),
    record,
  };
}
