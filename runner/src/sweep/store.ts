/**
 * The sweep store: `sweeps/<id>/` with the sweep's spec (`sweep.yaml`, the file as written),
 * `sweep.json` (where it came from and how it runs), `trials.jsonl` (append-only, one record a line,
 * written synchronously and fsynced like a run's events, so a SIGKILL loses at most a torn last
 * line) and `summary.json` (rewritten atomically). Trials themselves are ordinary run folders in the
 * runs dir.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  DEFAULT_SWEEPS_DIR,
  SWEEP_FILES,
  foldTrials,
  type SweepState,
  type TrialRecord,
  type TrialRecordBody,
} from "@tessera/shared";
import { ExitError } from "../errors";
import { acquireRunLock, repairTornTail, writeFileAtomic, writeJsonAtomic, type RunLock } from "../runs";

/** `sweep.json`: what `--resume` needs to carry on the same way. */
export interface SweepMeta {
  format: 1;
  id: string;
  /** Absolute path of the sweep file (a resume reloads it and refuses it if it changed). */
  config_file: string;
  /** sha256 of the sweep file's text when the sweep started. */
  spec_hash: string;
  runs_dir: string;
  threads: number;
  created: string;
}

/** The sweeps dir: the flag, else env `TESSERA_SWEEPS_DIR`, else `./sweeps`. */
export function sweepsDirFrom(flag?: string): string {
  return resolve(flag ?? process.env.TESSERA_SWEEPS_DIR ?? DEFAULT_SWEEPS_DIR);
}

/** A sweep folder open for writing: the one process that drives it holds its lock. */
export interface SweepWriter {
  dir: string;
  meta: SweepMeta;
  records(): TrialRecord[];
  state(): SweepState;
  append(body: TrialRecordBody): TrialRecord;
  writeSummary(summary: unknown): void;
  close(): void;
}

/** Creates `sweepsDir/<id>/`; fails if it exists. */
export function createSweep(sweepsDir: string, meta: SweepMeta, specText: string): SweepWriter {
  const dir = join(sweepsDir, meta.id);
  mkdirSync(sweepsDir, { recursive: true });
  mkdirSync(dir);
  const lock = acquireRunLock(dir);
  writeJsonAtomic(join(dir, SWEEP_FILES.meta), meta);
  writeFileAtomic(join(dir, SWEEP_FILES.spec), specText);
  return openWriter(dir, meta, lock);
}

/** Reopens a sweep for `--resume`: takes its lock (a SIGKILLed driver's stale lock is taken over). */
export function reopenSweep(sweepsDir: string, id: string): SweepWriter {
  const dir = sweepDir(sweepsDir, id);
  const meta = readSweepMeta(dir);
  const lock = acquireRunLock(dir, (m) => process.stderr.write(`${m}\n`));
  repairTornTail(join(dir, SWEEP_FILES.trials), (m) => process.stderr.write(`${m}\n`));
  return openWriter(dir, meta, lock);
}

/** The folder of sweep `id` (or a path to one); ExitError when there is none. */
export function sweepDir(sweepsDir: string, ref: string): string {
  const dir = existsSync(join(ref, SWEEP_FILES.meta)) ? resolve(ref) : join(sweepsDir, ref);
  if (!existsSync(join(dir, SWEEP_FILES.meta)))
    throw new ExitError(`tessera: no sweep ${JSON.stringify(ref)} in ${sweepsDir}`);
  return dir;
}

export function readSweepMeta(dir: string): SweepMeta {
  return JSON.parse(readFileSync(join(dir, SWEEP_FILES.meta), "utf8")) as SweepMeta;
}

/** Every whole line of trials.jsonl (a torn last line is skipped). */
export function readTrialRecords(dir: string): TrialRecord[] {
  const file = join(dir, SWEEP_FILES.trials);
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, "utf8").split("\n");
  const records: TrialRecord[] = [];
  for (const line of lines) {
    if (line.trim() === "") continue;
    try {
      records.push(JSON.parse(line) as TrialRecord);
    } catch {
      // a torn last line from a killed writer; the next writer truncates it
    }
  }
  return records;
}

/** Sweep ids in `sweepsDir`, oldest first. */
export function listSweepIds(sweepsDir: string): string[] {
  if (!existsSync(sweepsDir)) return [];
  return readdirSync(sweepsDir)
    .filter((name) => existsSync(join(sweepsDir, name, SWEEP_FILES.meta)))
    .sort();
}

function openWriter(dir: string, meta: SweepMeta, lock: RunLock): SweepWriter {
  const file = join(dir, SWEEP_FILES.trials);
  let records = readTrialRecords(dir);
  const fd = openSync(file, "a");
  let open = true;
  return {
    dir,
    meta,
    records: () => records,
    state: () => foldTrials(records),
    append(body) {
      if (!open) throw new Error(`internal: sweep ${meta.id} is closed; cannot append ${body.type}`);
      const record = { format: 1, seq: records.length, time: new Date().toISOString(), ...body } as TrialRecord;
      const buffer = Buffer.from(`${JSON.stringify(record)}\n`, "utf8");
      let done = 0;
      while (done < buffer.length) done += writeSync(fd, buffer, done, buffer.length - done);
      fsyncSync(fd);
      records = [...records, record];
      return record;
    },
    writeSummary(summary) {
      writeJsonAtomic(join(dir, SWEEP_FILES.summary), summary);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
      lock.release();
    },
  };
}
