/**
 * The sweep store as the dashboard reads it: `sweeps/<id>/` (sweep.json, trials.jsonl), folded by
 * the shared `foldTrials`, so the table here is the one `tessera sweep show` prints. The table
 * of all sweeps comes from the run index.
 */
import { existsSync, readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { SWEEP_FILES, isSafeRunId, type TrialRecord } from "@tessera/shared";
import { withRunIndex } from "../index-db/current";
import { runIds } from "../index-db/runs-table";
import { parseRecords, readRecords, readSweepRow, type SweepRow } from "../index-db/sweeps-table";
import { PathRefusedError, sweepsDir } from "./paths";

export { readRecords, sweepsDir, type SweepRow };

/** The folder of sweep `id`; refuses anything that is not a plain id. */
export function resolveSweepDir(id: string): string {
  if (!isSafeRunId(id)) throw new PathRefusedError(`sweep id ${JSON.stringify(id)} is not a sweep id`);
  return join(sweepsDir(), id);
}

/** The complete lines appended since `cursor.offset` (which it advances): the live subscription's read. */
export async function readNewRecords(file: string, cursor: { offset: number }): Promise<TrialRecord[]> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size <= cursor.offset) return [];
    const buffer = Buffer.alloc(size - cursor.offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, cursor.offset);
    const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (end < 0) return [];
    const text = buffer.subarray(0, end).toString("utf8");
    cursor.offset += end + 1;
    return parseRecords(text);
  } finally {
    await handle.close();
  }
}

/**
 * The sweep table, from the run index (re-folding only sweeps whose files changed), or from the
 * folders when the index cannot be opened.
 */
export function listSweepRows(): Promise<SweepRow[]> {
  return withRunIndex(
    (index) => index.listSweeps(),
    () => {
      const root = sweepsDir();
      return runIds(root)
        .filter((id) => existsSync(join(root, id, SWEEP_FILES.meta)))
        .sort()
        .reverse()
        .map((id) => readSweepRow(root, id));
    },
  );
}

/** sweep.json of one sweep, or null when there is no such sweep. */
export function readSweepMeta(id: string): Record<string, unknown> | null {
  const file = join(resolveSweepDir(id), SWEEP_FILES.meta);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : null;
}
