/**
 * Reading and writing the `runs` table: keeping it in step with the run folders (a whole rebuild,
 * a reconcile that re-reads only folders whose files changed, one run after an ingest), and the
 * Runs list query (filters, sort and paging in SQL).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES, isSafeRunId, type RunStatus } from "@tessera/shared";
import { fileSig, readRunEntry, toRunRow, type RunEntry, type RunRow } from "./entry";
import type { IndexDb } from "./open";

const COLUMNS = [
  "id",
  "name",
  "status",
  "started",
  "started_ms",
  "ended",
  "end_ms",
  "backend",
  "config_hash",
  "best_accuracy",
  "last_accuracy",
  "stage",
  "stage_index",
  "epoch",
  "epochs",
  "last_seq",
  "sweep",
  "trial",
  "tags",
  "meta_sig",
  "events_sig",
] as const;

interface DbRun {
  id: string;
  name: string;
  status: RunStatus;
  started: string;
  ended: string | null;
  end_ms: number | null;
  backend: string | null;
  config_hash: string;
  best_accuracy: number | null;
  last_accuracy: number | null;
  stage: string | null;
  stage_index: number | null;
  epoch: number | null;
  epochs: number | null;
  last_seq: number;
  sweep: string | null;
  trial: number | null;
  tags: string;
  meta_sig: string;
  events_sig: string;
}

function finite(n: number | null): number | null {
  return n !== null && Number.isFinite(n) ? n : null;
}

function toDb(e: RunEntry): Record<(typeof COLUMNS)[number], unknown> {
  return {
    id: e.id,
    name: e.name,
    status: e.status,
    started: e.started,
    started_ms: finite(Date.parse(e.started)) ?? 0,
    ended: e.ended,
    end_ms: finite(e.endMs),
    backend: e.backend,
    config_hash: e.configHash,
    best_accuracy: e.bestAccuracy,
    last_accuracy: e.lastAccuracy,
    stage: e.stage,
    stage_index: e.stageIndex,
    epoch: e.epoch,
    epochs: e.epochs,
    last_seq: e.lastSeq,
    sweep: e.sweep,
    trial: e.trial,
    tags: JSON.stringify(e.tags).toLowerCase(),
    meta_sig: e.metaSig,
    events_sig: e.eventsSig,
  };
}

function fromDb(r: DbRun): RunEntry {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    started: r.started,
    ended: r.ended,
    endMs: r.end_ms,
    backend: r.backend,
    configHash: r.config_hash,
    bestAccuracy: r.best_accuracy,
    lastAccuracy: r.last_accuracy,
    stage: r.stage,
    stageIndex: r.stage_index,
    epoch: r.epoch,
    epochs: r.epochs,
    lastSeq: r.last_seq,
    sweep: r.sweep,
    trial: r.trial,
    tags: JSON.parse(r.tags) as string[],
    metaSig: r.meta_sig,
    eventsSig: r.events_sig,
  };
}

/** The run folder names under `root` (plain run ids only; a missing root has none). */
export function runIds(root: string): string[] {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((d) => d.isDirectory() && isSafeRunId(d.name)).map((d) => d.name);
}

/** Prepared statements over one open index. */
export class RunsTable {
  private readonly upsertStmt;
  private readonly deleteStmt;
  private readonly sigsStmt;

  constructor(readonly db: IndexDb) {
    this.upsertStmt = db.prepare(
      `INSERT OR REPLACE INTO runs (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map((c) => `@${c}`).join(", ")})`,
    );
    this.deleteStmt = db.prepare("DELETE FROM runs WHERE id = ?");
    this.sigsStmt = db.prepare("SELECT id, meta_sig, events_sig FROM runs");
  }

  /** Re-reads run `id` from its folder: updates its row, or drops it when the folder is no run (any more). */
  syncRun(root: string, id: string): void {
    const entry = isSafeRunId(id) ? readRunEntry(root, id) : null;
    if (entry) this.upsertStmt.run(toDb(entry));
    else this.deleteStmt.run(id);
  }

  /**
   * Brings the table in line with the folders under `root`: new and changed folders (by their
   * files' mtime and size) are read, vanished ones dropped, the rest not touched. With `full`, every
   * folder is read again (`tessera index rebuild`, a new or repaired index). Returns what it did.
   */
  reconcile(root: string, full = false): { read: number; dropped: number; total: number } {
    const known = new Map<string, string>();
    if (!full) {
      for (const r of this.sigsStmt.all() as Pick<DbRun, "id" | "meta_sig" | "events_sig">[]) {
        known.set(r.id, `${r.meta_sig}|${r.events_sig}`);
      }
    }
    const ids = runIds(root);
    const present = new Set(ids);
    let read = 0;
    let dropped = 0;
    const apply = this.db.transaction(() => {
      if (full) this.db.exec("DELETE FROM runs");
      for (const id of ids) {
        const dir = join(root, id);
        const sig = `${fileSig(join(dir, RUN_FILES.meta))}|${fileSig(join(dir, RUN_FILES.events))}`;
        if (known.get(id) === sig) continue;
        read++;
        this.syncRun(root, id);
      }
      for (const id of known.keys()) {
        if (!present.has(id)) {
          this.deleteStmt.run(id);
          dropped++;
        }
      }
    });
    apply();
    return { read, dropped, total: ids.length };
  }

  /** Reads folders that appeared under `root` and drops rows whose folder vanished; nothing else. */
  reconcileListing(root: string): void {
    const indexed = new Set(this.db.prepare("SELECT id FROM runs").pluck().all() as string[]);
    const ids = runIds(root);
    this.db.transaction(() => {
      for (const id of ids) if (!indexed.delete(id)) this.syncRun(root, id);
      for (const id of indexed) this.deleteStmt.run(id);
    })();
  }

  /**
   * Re-reads the runs the index says are running whose files changed: the only rows that change
   * without a new folder or a signal, besides a local `--resume` of an ended run (the background
   * scan finds those).
   */
  reconcileLive(root: string): void {
    const live = this.db.prepare("SELECT id, meta_sig, events_sig FROM runs WHERE status = 'running'").all() as Pick<
      DbRun,
      "id" | "meta_sig" | "events_sig"
    >[];
    for (const r of live) {
      const dir = join(root, r.id);
      if (fileSig(join(dir, RUN_FILES.meta)) !== r.meta_sig || fileSig(join(dir, RUN_FILES.events)) !== r.events_sig)
        this.syncRun(root, r.id);
    }
  }

  /**
   * `reconcile` in slices of `slice` folders with the event loop free in between, so a scan of
   * 10,000 folders (hundreds of ms of stat calls) never holds up a request.
   */
  async reconcileInSlices(root: string, slice = 250): Promise<void> {
    const ids = runIds(root);
    for (let i = 0; i < ids.length; i += slice) {
      const sigs = this.db.prepare("SELECT meta_sig || '|' || events_sig FROM runs WHERE id = ?").pluck();
      this.db.transaction(() => {
        for (const id of ids.slice(i, i + slice)) {
          const dir = join(root, id);
          const sig = `${fileSig(join(dir, RUN_FILES.meta))}|${fileSig(join(dir, RUN_FILES.events))}`;
          if (sigs.get(id) !== sig) this.syncRun(root, id);
        }
      })();
      await new Promise((r) => setImmediate(r));
    }
    this.reconcileListing(root);
  }

  /** Every indexed run, as entries (tests compare them with the folders). */
  entries(): RunEntry[] {
    return (this.db.prepare("SELECT * FROM runs ORDER BY started DESC, id DESC").all() as DbRun[]).map(fromDb);
  }

  /** One page of the Runs list; see `RunQuery`. */
  query(root: string, q: RunQuery, now = Date.now()): { total: number; rows: RunRow[] } {
    const where: string[] = [];
    const params: Record<string, unknown> = { now };
    if (q.q) {
      params.q = q.q.toLowerCase();
      where.push("(instr(lower(name), @q) > 0 OR instr(lower(id), @q) > 0 OR instr(tags, @q) > 0)");
    }
    if (q.status?.length) {
      q.status.forEach((s, i) => (params[`s${i}`] = s));
      where.push(`status IN (${q.status.map((_, i) => `@s${i}`).join(", ")})`);
    }
    if (q.configHash) {
      params.hash = q.configHash;
      where.push("substr(config_hash, 1, length(@hash)) = @hash");
    }
    if (q.sweep) {
      params.sweep = q.sweep;
      where.push("sweep = @sweep");
    }
    const filter = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const total = (this.db.prepare(`SELECT count(*) AS n FROM runs ${filter}`).get(params) as { n: number }).n;
    const dir = q.dir === "asc" ? "ASC" : "DESC";
    // Ties keep newest first in both directions, as the file-based list's stable sort did.
    const order = `${SORT_SQL[q.sort]} ${dir}, started DESC, id DESC`;
    params.limit = q.limit;
    params.offset = q.offset;
    const rows = this.db
      .prepare(`SELECT * FROM runs ${filter} ORDER BY ${order} LIMIT @limit OFFSET @offset`)
      .all(params) as DbRun[];
    return { total, rows: rows.map((r) => toRunRow(fromDb(r), root, now)) };
  }
}

/** The Runs list's sort keys, as SQL. `seconds` of a running run counts to `@now`, as the row does. */
const SORT_SQL = {
  started: "started",
  name: "name COLLATE NOCASE",
  status: "status",
  bestAccuracy: "best_accuracy",
  lastAccuracy: "last_accuracy",
  seconds: `CASE WHEN end_ms IS NOT NULL THEN max(0, end_ms - started_ms)
    WHEN status = 'running' THEN max(0, @now - started_ms) ELSE 0 END`,
  backend: "backend COLLATE NOCASE",
  configHash: "config_hash",
} as const;

/** What the Runs list asks for. */
export interface RunQuery {
  /** Case-insensitive substring of the name, id or a tag (`sweep:<id>`, `host:<name>`). */
  q?: string;
  status?: RunStatus[];
  /** Prefix of the config hash. */
  configHash?: string;
  /** Only this sweep's trials. */
  sweep?: string;
  sort: keyof typeof SORT_SQL;
  dir: "asc" | "desc";
  offset: number;
  limit: number;
}
