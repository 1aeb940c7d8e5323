/**
 * The server's one open index, for the runs dir and sweeps dir the request handlers read (tests
 * repoint them per file, so a change of folder opens the matching index). Kept on globalThis like
 * the run-changed signal: Next may load this module more than once in the one server process, and
 * two handles would each reconcile and each listen.
 */
import { runsDir } from "../store/paths";
import { sweepsDir } from "../store/paths";
import { RunIndex, indexFileFor } from "./index";

interface Holder {
  key: string;
  index: RunIndex | null;
}
const KEY = Symbol.for("tessera.runIndex");
const global = globalThis as unknown as Record<symbol, Holder | undefined>;

/**
 * The open index for the current folders, or null when SQLite cannot be used at all (the native
 * module missing, an unwritable folder): then the caller lists from the files, as before the
 * index, after one warning.
 */
export function currentRunIndex(): RunIndex | null {
  const runs = runsDir();
  const sweeps = sweepsDir();
  const file = indexFileFor(runs);
  const key = `${runs}\n${sweeps}\n${file}`;
  const held = global[KEY];
  if (held?.key === key) return held.index;
  held?.index?.close();
  let index: RunIndex | null = null;
  try {
    index = RunIndex.open({ runsDir: runs, sweepsDir: sweeps, file }).listen();
  } catch (error) {
    process.stderr.write(
      `tessera: run index ${file} cannot be used (${(error as Error).message}); listing runs from their folders\n`,
    );
  }
  global[KEY] = { key, index };
  return index;
}

/**
 * `use(index)`, or `fallback()` (the folders) when there is no index or SQLite fails under it
 * (a file damaged while open): then the handle is dropped, and the next call reopens the file,
 * which rebuilds it if it no longer reads.
 */
export async function withRunIndex<T>(use: (index: RunIndex) => T, fallback: () => Promise<T> | T): Promise<T> {
  const index = currentRunIndex();
  if (!index) return fallback();
  try {
    return use(index);
  } catch (error) {
    if (!String((error as { code?: unknown }).code ?? "").startsWith("SQLITE_")) throw error;
    process.stderr.write(`tessera: run index ${index.file}: ${(error as Error).message}; reopening it\n`);
    index.close();
    delete global[KEY];
    return fallback();
  }
}
