/**
 * The run index (issue 18): SQLite beside the run store, derived from the run and sweep folders,
 * which stay the truth. Opened on the server's first request (a deleted, cut or foreign file is
 * rebuilt with a warning), kept current by the run-changed signal (ingested events and uploads),
 * by a throttled quick check each time the Runs or Sweeps list is asked for (local runs written
 * straight into the store), and by a background scan of every folder. The Runs list, its filters
 * and the sweep table are queries on it.
 */
import { statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { onRunChanged } from "../cluster/run-changes";
import { claimSource, openIndexDb, type IndexDb } from "./open";
import { RunsTable, type RunQuery } from "./runs-table";
import { SweepsTable, type SweepRow } from "./sweeps-table";
import type { RunRow } from "./entry";

export type { RunRow } from "./entry";
export type { RunQuery } from "./runs-table";
export type { SweepRow } from "./sweeps-table";

export interface RunIndexOptions {
  runsDir: string;
  sweepsDir: string;
  /** @default env TESSERA_INDEX_FILE, else `<runsDir>/../.tessera/<runs folder name>.index.sqlite` */
  file?: string;
  /**
   * Shortest time between two quick checks of the folders (new or vanished run folders, changed
   * running runs), in ms. @default env TESSERA_INDEX_POLL_MS, else 1000
   */
  pollMs?: number;
  /**
   * Period of the background scan of every folder's files (finds an ended run resumed by a local
   * `tessera run --resume`), in ms; 0 turns it off. @default env TESSERA_INDEX_SCAN_MS, else 30000
   */
  scanMs?: number;
  /** @default stderr */
  warn?: (line: string) => void;
}

/**
 * Where the index of `runsDir` lives unless told otherwise: `.tessera/<runs folder name>.index.sqlite`
 * beside the runs dir (so `./runs` and `./runs-b` in one folder keep separate files).
 */
export function indexFileFor(runsDir: string): string {
  const dir = resolve(runsDir);
  return resolve(process.env.TESSERA_INDEX_FILE ?? join(dir, "..", ".tessera", `${basename(dir)}.index.sqlite`));
}

const stderr = (line: string) => process.stderr.write(`${line}\n`);

/** One open index over one runs dir and one sweeps dir. */
export class RunIndex {
  readonly runs: RunsTable;
  readonly sweeps: SweepsTable;
  readonly file: string;
  private readonly pollMs: number;
  private runsCheckedAt = 0;
  private sweepsCheckedAt = 0;
  /** The runs dir's mtime when its listing was last read ("" = read it again next time). */
  private rootSig = "";
  private stopListening: () => void = () => {};
  private scanTimer: NodeJS.Timeout | null = null;

  private constructor(
    readonly db: IndexDb,
    readonly opts: RunIndexOptions,
    file: string,
  ) {
    this.file = file;
    this.runs = new RunsTable(db);
    this.sweeps = new SweepsTable(db);
    this.pollMs = opts.pollMs ?? Number(process.env.TESSERA_INDEX_POLL_MS ?? 1000);
  }

  /** Opens the index and brings it up to date: every folder read when the file was new or bad, else the changed ones. */
  static open(opts: RunIndexOptions): RunIndex {
    const file = opts.file ?? indexFileFor(opts.runsDir);
    const { db, fresh } = openIndexDb(file, opts.warn ?? stderr);
    const moved = claimSource(db, { runs: resolve(opts.runsDir), sweeps: resolve(opts.sweepsDir) });
    const index = new RunIndex(db, opts, file);
    index.runs.reconcile(opts.runsDir, fresh || moved.runs);
    index.sweeps.reconcile(opts.sweepsDir, fresh || moved.sweeps);
    index.runsCheckedAt = index.sweepsCheckedAt = Date.now();
    return index;
  }

  /**
   * For a server: re-reads run `id` whenever the run-changed signal names it (ingest), and scans
   * every folder in the background every `scanMs`, until `close()`.
   */
  listen(): this {
    const scanMs = this.opts.scanMs ?? Number(process.env.TESSERA_INDEX_SCAN_MS ?? 30_000);
    if (scanMs > 0) {
      let scanning = false;
      this.scanTimer = setInterval(() => {
        if (scanning || !this.db.open) return;
        scanning = true;
        this.runs
          .reconcileInSlices(this.opts.runsDir)
          .catch((error: Error) => (this.opts.warn ?? stderr)(`tessera: run index scan: ${error.message}`))
          .finally(() => (scanning = false));
      }, scanMs).unref();
    }
    this.stopListening = onRunChanged((id) => {
      try {
        this.runs.syncRun(this.opts.runsDir, id);
      } catch (error) {
        // the next reconcile reads the folder again; the ingest that signalled must not fail for this
        (this.opts.warn ?? stderr)(`tessera: run index: ${id}: ${(error as Error).message}`);
      }
    });
    return this;
  }

  /**
   * Runs list: a quick check of the folders if the last is older than `pollMs`, then the query.
   * The check costs a few stat calls, not one per run: the runs dir's listing is read again only
   * when its mtime moved (a folder was added or removed), and only running runs' files are compared.
   */
  listRuns(q: RunQuery): { total: number; rows: RunRow[] } {
    if (Date.now() - this.runsCheckedAt >= this.pollMs) {
      const root = this.opts.runsDir;
      const st = statSync(root, { throwIfNoEntry: false });
      const sig = st ? String(st.mtimeMs) : "-";
      if (sig !== this.rootSig) {
        this.runs.reconcileListing(root);
        // A folder made in the same clock tick after this listing leaves the mtime as it is: trust
        // an mtime only once it is older than any such tick.
        this.rootSig = st && Date.now() - st.mtimeMs > 2_000 ? sig : "";
      }
      this.runs.reconcileLive(root);
      this.runsCheckedAt = Date.now();
    }
    return this.runs.query(this.opts.runsDir, q);
  }

  /** Sweep table, reconciled like `listRuns`. */
  listSweeps(): SweepRow[] {
    if (Date.now() - this.sweepsCheckedAt >= this.pollMs) {
      this.sweeps.reconcile(this.opts.sweepsDir);
      this.sweepsCheckedAt = Date.now();
    }
    return this.sweeps.list();
  }

  close(): void {
    this.stopListening();
    if (this.scanTimer) clearInterval(this.scanTimer);
    if (this.db.open) this.db.close();
  }
}

/**
 * `tessera index rebuild`: reads every run and sweep folder again into the index file (created or
 * replaced if unreadable). Safe while a dashboard serves the same index (WAL; one transaction).
 */
export function rebuildRunIndex(opts: RunIndexOptions): { file: string; runs: number; sweeps: number; ms: number } {
  const t0 = performance.now();
  const file = opts.file ?? indexFileFor(opts.runsDir);
  const { db } = openIndexDb(file, opts.warn ?? stderr);
  try {
    claimSource(db, { runs: resolve(opts.runsDir), sweeps: resolve(opts.sweepsDir) });
    new RunsTable(db).reconcile(opts.runsDir, true);
    const sweeps = new SweepsTable(db).reconcile(opts.sweepsDir, true);
    const indexed = (db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n;
    return { file, runs: indexed, sweeps: sweeps.total, ms: performance.now() - t0 };
  } finally {
    db.close();
  }
}
