/**
 * The run index's tables. The index is derived from the run and sweep folders (the files stay the
 * truth), so a schema change does not migrate rows: a file whose `user_version` differs is
 * emptied and rebuilt from the files, which is always correct and takes seconds.
 */

/** Bump when a table or column changes; an index written by another version is rebuilt. */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  started TEXT NOT NULL,
  started_ms REAL NOT NULL,
  ended TEXT,
  -- meta.ended, else (not running) the last event's time; NULL: running (ends "now") or unknown
  end_ms REAL,
  backend TEXT,
  config_hash TEXT NOT NULL,
  best_accuracy REAL,
  last_accuracy REAL,
  stage TEXT,
  stage_index INTEGER,
  epoch INTEGER,
  epochs INTEGER,
  last_seq INTEGER NOT NULL,
  sweep TEXT,
  trial INTEGER,
  -- JSON array of the run's tags (sweep id, trial, host), lower-cased for the search box
  tags TEXT NOT NULL,
  -- "mtimeMs:size" of meta.json and events.jsonl when the row was read: unchanged -> not re-read
  meta_sig TEXT NOT NULL,
  events_sig TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_by_started ON runs (started DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, started DESC);
CREATE INDEX IF NOT EXISTS runs_by_sweep ON runs (sweep, trial);
CREATE INDEX IF NOT EXISTS runs_by_config_hash ON runs (config_hash);
-- which folders the rows were read from: a file opened for other folders is read again whole
CREATE TABLE IF NOT EXISTS source (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sweeps (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  metric TEXT NOT NULL,
  mode TEXT NOT NULL,
  trials INTEGER NOT NULL,
  planned INTEGER NOT NULL,
  best_trial INTEGER,
  best_run_id TEXT,
  best_objective REAL,
  -- "mtimeMs:size" of sweep.json and trials.jsonl
  sig TEXT NOT NULL
) WITHOUT ROWID;
`;
