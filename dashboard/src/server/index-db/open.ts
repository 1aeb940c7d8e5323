/**
 * Opening the index file: WAL (the dashboard reads while `tessera index rebuild` writes), and a
 * file that is not a readable index of this version (deleted, cut, overwritten, older schema) is
 * replaced by an empty one with a warning, never a crash: the caller then rebuilds it from the files.
 */
import Database from "better-sqlite3";
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { SCHEMA_SQL, SCHEMA_VERSION } from "./schema";

export type IndexDb = Database.Database;

export interface OpenedIndex {
  db: IndexDb;
  /** True when the tables were just created (no file, a bad file, another schema): rebuild fully. */
  fresh: boolean;
}

function connect(file: string): IndexDb {
  const db = new Database(file, { timeout: 5_000 });
  try {
    // Both read the file's header: garbage in place of an index throws SQLITE_NOTADB here.
    db.pragma("journal_mode = WAL");
    const check = db.pragma("quick_check", { simple: true });
    if (check !== "ok") throw new Error(`quick_check: ${String(check)}`);
    db.pragma("synchronous = NORMAL");
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function removeFiles(file: string): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
}

/**
 * Records that the rows come from `dirs` (runs, sweeps) and says which of them differ from the
 * folders the file was last filled from: those tables must be read again whole.
 */
export function claimSource(db: IndexDb, dirs: { runs: string; sweeps: string }): { runs: boolean; sweeps: boolean } {
  const get = db.prepare("SELECT value FROM source WHERE key = ?").pluck();
  const changed = { runs: get.get("runs") !== dirs.runs, sweeps: get.get("sweeps") !== dirs.sweeps };
  const set = db.prepare("INSERT OR REPLACE INTO source (key, value) VALUES (?, ?)");
  set.run("runs", dirs.runs);
  set.run("sweeps", dirs.sweeps);
  return changed;
}

/** Opens (or creates) the index at `file`; `:memory:` gives a private one. */
export function openIndexDb(file: string, warn: (line: string) => void): OpenedIndex {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  let db: IndexDb;
  try {
    db = connect(file);
  } catch (error) {
    warn(`tessera: run index ${file} is unreadable (${(error as Error).message}); rebuilding it from the run folders`);
    removeFiles(file);
    db = connect(file);
  }
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version === SCHEMA_VERSION) return { db, fresh: false };
  if (version !== 0) {
    warn(`tessera: run index ${file} has schema ${version}, this server ${SCHEMA_VERSION}; rebuilding it`);
  }
  db.exec("DROP TABLE IF EXISTS runs; DROP TABLE IF EXISTS sweeps; DROP TABLE IF EXISTS source;");
  db.exec(SCHEMA_SQL);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  return { db, fresh: true };
}
