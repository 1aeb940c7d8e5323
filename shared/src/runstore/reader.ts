/**
 * Reading run folders, for the CLI (`ls`, `show`), the dashboard and `diff`/`report`. Readers
 * never crash on a run being written or killed: torn lines are skipped with a warning and events
 * superseded by a resume are dropped.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FORMAT, type RunEvent, type RunMeta, type RunSummary } from "../events";
import { RUN_FILES } from "../runfiles";
import { ExitError } from "../errors";
import { dropSuperseded, parseEvents, warnToStderr, type Warn } from "./parse";

/** Reads and checks meta.json; throws a clear ExitError (no stack) for a missing, broken or unknown-format file. */
export function readMeta(dir: string): RunMeta {
  const file = join(dir, RUN_FILES.meta);
  let meta: RunMeta;
  try {
    meta = JSON.parse(readFileSync(file, "utf8")) as RunMeta;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExitError(code === "ENOENT" ? `${file}: not found (not a run folder?)` : `${file}: not valid JSON`);
  }
  if (meta.format !== FORMAT) {
    throw new ExitError(`${file}: unknown format ${JSON.stringify(meta.format)} (this reader knows ${FORMAT})`);
  }
  return meta;
}

/** summary.json, or null when the run has not finished (or the file is unreadable, with a warning). */
export function readSummary(dir: string, warn: Warn = warnToStderr): RunSummary | null {
  const file = join(dir, RUN_FILES.summary);
  if (!existsSync(file)) return null;
  try {
    const summary = JSON.parse(readFileSync(file, "utf8")) as RunSummary;
    if (summary.format !== FORMAT) {
      warn(`tessera: ${file}: unknown format ${JSON.stringify(summary.format)}; ignored`);
      return null;
    }
    return summary;
  } catch {
    warn(`tessera: ${file}: not valid JSON; ignored`);
    return null;
  }
}

/** Every current event of a run, in seq order: torn lines skipped, superseded events dropped. */
export function readEvents(dir: string, warn: Warn = warnToStderr): RunEvent[] {
  const file = join(dir, RUN_FILES.events);
  if (!existsSync(file)) return [];
  return dropSuperseded(parseEvents(readFileSync(file, "utf8"), file, warn));
}

/** A whole run as stored. */
export interface RunRecord {
  dir: string;
  meta: RunMeta;
  events: RunEvent[];
  summary: RunSummary | null;
  configYaml: string;
}

/** Reads one run folder (see `resolveRunRef` to turn a user's `<run>` into a folder). */
export async function readRun(dir: string, opts: { warn?: Warn } = {}): Promise<RunRecord> {
  const warn = opts.warn ?? warnToStderr;
  const meta = readMeta(dir);
  const configFile = join(dir, RUN_FILES.config);
  return {
    dir,
    meta,
    events: readEvents(dir, warn),
    summary: readSummary(dir, warn),
    configYaml: existsSync(configFile) ? readFileSync(configFile, "utf8") : "",
  };
}
