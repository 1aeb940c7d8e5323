/** `tessera ls [--runs-dir d] [--json]`: the runs, newest first, with their progress and best accuracy. */
import { listRuns, runsDirFrom, type RunListing } from "../../runs";
import { MISSING } from "@tessera/shared";
import { pct, printJson, say, table } from "../../runs/cli-text";

export interface LsOptions {
  runsDir?: string;
  json?: boolean;
}

function statusOf(row: RunListing): string {
  if (row.damaged) return "damaged";
  if (row.stale) return "killed (resumable)";
  // Another host's writer cannot be checked from here: the run may be live there (shared storage).
  if (row.lock.held === "elsewhere") return `${row.meta.status} (locked on ${row.lock.lock.host})`;
  return row.meta.status;
}

/** Lists the runs dir; `--json` prints `{ runs_dir, runs: [...] }` on stdout. */
export async function lsCommand(opts: LsOptions = {}): Promise<void> {
  const runsDir = runsDirFrom(opts.runsDir);
  const rows = await listRuns(runsDir);
  if (opts.json) {
    printJson({
      runs_dir: runsDir,
      runs: rows.map((r) => ({
        id: r.meta.id,
        dir: r.dir,
        name: r.meta.name,
        status: r.damaged ? "damaged" : r.meta.status,
        stale: r.stale,
        damaged: r.damaged,
        locked_by:
          r.lock.held === "here" || r.lock.held === "elsewhere"
            ? { pid: r.lock.lock.pid, host: r.lock.lock.host }
            : null,
        started: r.meta.started,
        ended: r.meta.ended,
        attempt: r.meta.attempt,
        config_hash: r.meta.config_hash,
        backend: r.meta.backend?.name ?? null,
        stage: r.stage,
        fold: r.fold,
        epoch: r.epoch,
        epochs_done: r.epochs_done,
        best_valid_accuracy: r.best_valid_accuracy,
        last_valid_accuracy: r.last_valid_accuracy,
      })),
    });
    return;
  }
  if (rows.length === 0) {
    say(`no runs in ${runsDir}`);
    return;
  }
  say(
    table(
      ["ID", "STATUS", "STAGE", "EPOCH", "BEST ACC", "LAST ACC", "BACKEND"],
      rows.map((r) => [
        r.meta.id,
        statusOf(r),
        r.stage === null ? MISSING : r.fold === null ? r.stage : `${r.stage} (fold ${r.fold})`,
        r.epoch ?? MISSING,
        pct(r.best_valid_accuracy),
        pct(r.last_valid_accuracy),
        r.meta.backend?.name ?? MISSING,
      ]),
    ),
  );
  say(`${rows.length} run${rows.length === 1 ? "" : "s"} in ${runsDir}`);
  for (const r of rows.filter((row) => row.damaged)) say(`damaged: ${r.meta.id}: ${r.damaged}`);
}
