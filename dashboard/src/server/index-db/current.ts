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
