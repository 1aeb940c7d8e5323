/**
 * Writing a run folder: `createRun` makes `runs/<id>/` (config.yaml, meta.json, events.jsonl) and
 * returns a RunWriter; `reopenRun` continues an existing one for `--resume` (repairing a torn last
 * line first). Each event is one line written synchronously, so a tailing reader sees it at once
 * and a crash loses at most the line being written; all but `batch` events are fsynced.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  FORMAT,
  RUN_FILES,
  type ResolvedConfig,
  type RunEvent,
  type RunEventBody,
  type RunMeta,
  type RunStatus,
  type RunSummary,
} from "@tessera/shared";
import { writeFileAtomic, writeJsonAtomic } from "./atomic";
import { writeMetaResilient } from "./disk-full";
import { gitCommit, hostName, packageVersions } from "./environment";
import { makeRunId } from "./id";
import { acquireRunLock, type RunLock } from "./lock";
import { parseEvents, warnToStderr, type Warn } from "@tessera/shared/runstore";
import { repairTornTail } from "./repair";

/** What a run is made from; config/'s `LoadedConfig` has this shape. */
export interface RunSource {
  config: ResolvedConfig;
  configHash: string;
  /** The resolved config as YAML: stored as config.yaml, exactly what ran. */
  resolvedYaml: string;
  /** The config file it came from: recorded so a resume finds relative data paths again. */
  file?: string;
}

/** Beside config.yaml: where the config came from (`data.path` is relative to its folder). */
export const SOURCE_FILE = RUN_FILES.source;

/** An event body plus the `fold` k-fold runs add to stage-level events. */
export type AppendBody = RunEventBody & { fold?: number };

/** The one process allowed to write a run folder (it holds the `.lock`). */
export interface RunWriter {
  id: string;
  dir: string;
  /** 1 for a new run, +1 per resume. */
  attempt: number;
  /** The meta.json content as last written. */
  readonly meta: RunMeta;
  /** Seq of the last event written, -1 before the first. */
  readonly lastSeq: number;
  /** Appends one event line (format, seq, time, attempt filled in) and returns the full event. */
  append(body: AppendBody): RunEvent;
  /** Merges `patch` into meta.json (atomic rewrite). */
  updateMeta(patch: Partial<RunMeta>): void;
  /** Writes summary.json atomically. */
  writeSummary(summary: RunSummary): void;
  /** Sets the final status and end time, closes the events file and releases the lock. Idempotent. */
  finish(status: RunStatus): void;
}

/** Creates `runsDir/<id>/` for a new run and returns its writer. */
export async function createRun(opts: {
  runsDir: string;
  loaded: RunSource;
  /** For tests; default `makeRunId(config.name)`. */
  id?: string;
  warn?: Warn;
}): Promise<RunWriter> {
  const { config, configHash, resolvedYaml } = opts.loaded;
  mkdirSync(opts.runsDir, { recursive: true });
  let id = opts.id ?? makeRunId(config.name);
  let dir = join(resolve(opts.runsDir), id);
  for (let tries = 0; ; tries++) {
    try {
      mkdirSync(dir); // not recursive: fails if the id is taken
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || opts.id || tries > 20) throw error;
      id = makeRunId(config.name);
      dir = join(resolve(opts.runsDir), id);
    }
  }
  const lock = acquireRunLock(dir, opts.warn);
  writeFileAtomic(join(dir, RUN_FILES.config), resolvedYaml);
  if (opts.loaded.file) {
    writeJsonAtomic(join(dir, SOURCE_FILE), { config_file: resolve(opts.loaded.file), cwd: process.cwd() });
  }
  const meta: RunMeta = {
    format: FORMAT,
    id,
    name: config.name,
    config_hash: configHash,
    data_hash: null,
    split_hash: null,
    seed: config.seed,
    status: "running",
    started: new Date().toISOString(),
    ended: null,
    backend: null,
    versions: packageVersions(),
    git_commit: gitCommit(),
    host: hostName(),
    skipped_images: 0,
    attempt: 1,
  };
  writeJsonAtomic(join(dir, RUN_FILES.meta), meta);
  writeFileSync(join(dir, RUN_FILES.events), "");
  return openWriter(dir, meta, lock, -1);
}

/** What `reopenRun` found in the folder before the new attempt starts writing. */
export interface ReopenedRun {
  writer: RunWriter;
  /** Every readable event of the earlier attempts, superseded ones included, in file order. */
  events: RunEvent[];
  configYaml: string;
}

/**
 * Opens an existing run folder for another attempt (`--resume`): takes the lock (a stale one from
 * a killed process is taken over), truncates a torn last line, and continues seq where it stopped.
 * The caller appends `run_resumed`.
 */
export async function reopenRun(dir: string, opts: { warn?: Warn } = {}): Promise<ReopenedRun> {
  const warn = opts.warn ?? warnToStderr;
  const meta = JSON.parse(readFileSync(join(dir, RUN_FILES.meta), "utf8")) as RunMeta;
  if (meta.format !== FORMAT) {
    throw new Error(`${join(dir, RUN_FILES.meta)}: unknown format ${JSON.stringify(meta.format)}`);
  }
  const lock = acquireRunLock(dir, warn);
  try {
    const eventsFile = join(dir, RUN_FILES.events);
    repairTornTail(eventsFile, warn);
    const events = parseEvents(readFileSync(eventsFile, "utf8"), eventsFile, warn);
    const lastSeq = events.reduce((max, e) => Math.max(max, e.seq), -1);
    const attempt = events.reduce((max, e) => Math.max(max, e.attempt), meta.attempt) + 1;
    const writer = openWriter(dir, meta, lock, lastSeq);
    writer.attempt = attempt;
    writer.updateMeta({ attempt, status: "running", ended: null });
    return { writer, events, configYaml: readFileSync(join(dir, RUN_FILES.config), "utf8") };
  } catch (error) {
    lock.release();
    throw error;
  }
}

function openWriter(dir: string, initial: RunMeta, lock: RunLock, lastSeq: number): RunWriter {
  const fd = openSync(join(dir, RUN_FILES.events), "a");
  let meta = initial;
  let seq = lastSeq;
  let open = true;
  const writer: RunWriter = {
    id: initial.id,
    dir,
    attempt: initial.attempt,
    get meta() {
      return meta;
    },
    get lastSeq() {
      return seq;
    },
    append(body) {
      if (!open) throw new Error(`internal: run ${initial.id} is finished; cannot append ${body.type}`);
      const { type, ...rest } = body;
      const event = {
        format: FORMAT,
        seq: seq + 1,
        time: new Date().toISOString(),
        type,
        attempt: writer.attempt,
        ...rest,
      } as RunEvent;
      writeAll(fd, `${JSON.stringify(event)}\n`);
      // Per-step events are many and cheap to lose in a crash; the rest are fsynced.
      if (type !== "batch" && type !== "lr_find_step") fsyncSync(fd);
      seq += 1;
      return event;
    },
    updateMeta(patch) {
      meta = { ...meta, ...patch, format: FORMAT, id: initial.id };
      writeMetaResilient(join(dir, RUN_FILES.meta), meta);
    },
    writeSummary(summary) {
      writeJsonAtomic(join(dir, RUN_FILES.summary), summary);
    },
    finish(status) {
      if (!open) return;
      open = false;
      // Whatever the disk says, the lock goes: a stale lock would make the folder look live.
      try {
        writer.updateMeta({ status, ended: new Date().toISOString() });
      } finally {
        try {
          fsyncSync(fd);
        } catch {
          // The events already written stay; a full disk must not keep the lock.
        }
        closeSync(fd);
        lock.release();
      }
    },
  };
  return writer;
}

function writeAll(fd: number, text: string): void {
  const buffer = Buffer.from(text, "utf8");
  let done = 0;
  while (done < buffer.length) done += writeSync(fd, buffer, done, buffer.length - done);
}
