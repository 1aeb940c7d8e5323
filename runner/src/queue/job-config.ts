/**
 * A job's config, both ends. The submitter validates with the runner's own pipeline
 * (`checkConfig`: schema, named rules, `--set`) before anything is enqueued, then flattens
 * `extends` (a worker has none of the submitter's files) and writes `data.path` relative to its
 * data root. The worker turns that back into a file, puts `data.path` under its own `--data-root`
 * (tiles live at different paths on different machines) and runs the same pipeline again, with the
 * data check on: a job is hostile input, and its `config_hash` must come out the same.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { parse, parseDocument, stringify } from "yaml";
import type { RunJob } from "@tessera/shared/cluster";
import { checkConfig, formatProblem, type LoadedConfig } from "../config";
import { loadLayers } from "../config/extends";

/** The config part of a job, ready to enqueue. */
export type PreparedConfig =
  | { ok: true; loaded: LoadedConfig; configText: string; sets: string[]; warnings: string[] }
  | { ok: false; problems: string[] };

/**
 * Validates `configFile` + `sets` and flattens it into a job's `configText`. `dataRoot` (default
 * the working directory) is what a relative `data.path` in the job is relative to.
 */
export async function prepareJobConfig(opts: {
  configFile: string;
  sets: readonly string[];
  dataRoot?: string;
  /** A sweep's trial may come from a file with a `sweep:` section; a plain submit may not. */
  trial?: boolean;
}): Promise<PreparedConfig> {
  const dataRoot = resolve(opts.dataRoot ?? ".");
  const checked = await checkConfig(opts.configFile, { set: opts.sets, sweepTrials: false });
  const warnings = checked.warnings.map(formatProblem);
  if (!checked.ok) return { ok: false, problems: checked.errors.map(formatProblem) };
  const { layers } = await loadLayers(resolve(opts.configFile));
  if (!layers) return { ok: false, problems: [`${opts.configFile}: could not be read again`] };
  const merged = structuredClone(layers.merged);
  if (merged.sweep !== undefined && !opts.trial)
    return {
      ok: false,
      problems: [`${opts.configFile}: has a sweep: section; enqueue its trials with tessera sweep --queue`],
    };
  const data = merged.data as Record<string, unknown> | undefined;
  if (data && typeof data.path === "string" && data.path !== "") data.path = relativeTo(dataRoot, data.path);
  const sets = opts.sets.map((flag) => mapDataPathSet(flag, (p) => relativeTo(dataRoot, resolve(p))));
  return { ok: true, loaded: checked.loaded, configText: stringify(merged), sets, warnings };
}

/** The job's config as a file the worker can run, or the problems that make it unrunnable. */
export type WorkerConfig =
  { ok: true; file: string; sets: string[]; loaded: LoadedConfig } | { ok: false; problems: string[] };

/**
 * Writes the job's config to `<dir>/<runId>.yaml` with `data.path` under `dataRoot`, and validates
 * it as `tessera run` would (data checked too). Problems here are not worth a retry.
 */
export async function workerConfig(
  job: RunJob,
  opts: { dataRoot: string; dir: string; confine?: boolean },
): Promise<WorkerConfig> {
  const dataRoot = resolve(opts.dataRoot);
  let doc;
  try {
    doc = parseDocument(job.configText);
  } catch (error) {
    return { ok: false, problems: [`configText: not YAML (${(error as Error).message})`] };
  }
  if (doc.errors.length > 0) return { ok: false, problems: [`configText: not YAML (${doc.errors[0]?.message})`] };
  // The submitter merges bases; a job that still names one wants a file from this machine.
  if (doc.hasIn(["extends"])) return { ok: false, problems: ["configText: extends: is not allowed in a job"] };
  const path = doc.getIn(["data", "path"]);
  if (typeof path === "string" && path !== "") doc.setIn(["data", "path"], resolve(dataRoot, path));
  const sets = job.sets.map((flag) => mapDataPathSet(flag, (p) => resolve(dataRoot, p)));
  if (opts.confine) {
    const paths = [typeof path === "string" && path !== "" ? resolve(dataRoot, path) : null];
    for (const flag of job.sets) mapDataPathSet(flag, (p) => (paths.push(resolve(dataRoot, p)), p));
    const outside = paths.filter((p): p is string => p !== null && !isInside(dataRoot, p));
    if (outside.length > 0)
      return {
        ok: false,
        problems: outside.map(
          (p) => `data.path: ${p} is outside this worker's --data-root ${dataRoot}; refusing to read it`,
        ),
      };
  }
  mkdirSync(opts.dir, { recursive: true });
  const file = join(opts.dir, `${job.runId}.yaml`);
  writeFileSync(file, doc.toString());
  const checked = await checkConfig(file, { set: sets, checkData: true, sweepTrials: false });
  if (!checked.ok) return { ok: false, problems: checked.errors.map(formatProblem) };
  if (checked.loaded.configHash !== job.configHash)
    return {
      ok: false,
      problems: [
        `config_hash ${checked.loaded.configHash.slice(0, 12)} on this worker differs from the submitter's ` +
          `${job.configHash.slice(0, 12)} (different tessera versions?); refusing to run another experiment`,
      ],
    };
  return { ok: true, file, sets, loaded: checked.loaded };
}

/** True when `path` (absolute) is `root` or below it. */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** A relative path from `root` when `path` is absolute, else `path` as written. */
function relativeTo(root: string, path: string): string {
  return isAbsolute(path) ? relative(root, path) || "." : path;
}

/** Rewrites the value of a `--set data.path=...` flag; other flags pass through. */
function mapDataPathSet(flag: string, map: (path: string) => string): string {
  const eq = flag.indexOf("=");
  if (eq < 0 || flag.slice(0, eq).trim() !== "data.path") return flag;
  let value: unknown;
  try {
    value = parse(flag.slice(eq + 1));
  } catch {
    return flag; // the config pipeline reports the bad value, located at the flag
  }
  return typeof value === "string" && value !== "" ? `data.path=${JSON.stringify(map(value))}` : flag;
}
