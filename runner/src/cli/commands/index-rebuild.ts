/**
 * `tessera index rebuild`: reads every run and sweep folder again into the central server's
 * SQLite run index (the files stay the truth; the index only makes the Runs list fast). The index
 * itself lives beside the dashboard, reached through `@tessera/dashboard/serve`.
 */
import { statSync } from "node:fs";
import { rebuildRunIndex } from "@tessera/dashboard/serve";
import { ExitError } from "../../errors";
import { runsDirFrom } from "../../runs";
import { sweepsDirFrom } from "../../sweep/store";
import { printJson, say } from "../../runs/cli-text";

export interface IndexRebuildOptions {
  runsDir?: string;
  /** Same as runsDir (the worker-side spelling, `--runs`). */
  runs?: string;
  sweepsDir?: string;
  indexFile?: string;
  json?: boolean;
}

export async function indexRebuildCommand(opts: IndexRebuildOptions = {}): Promise<void> {
  const runsDir = runsDirFrom(opts.runsDir ?? opts.runs);
  // An index of a mistyped folder would be an empty index, silently.
  if (!statSync(runsDir, { throwIfNoEntry: false })?.isDirectory())
    throw new ExitError(`tessera index rebuild: --runs-dir ${runsDir}: no such folder`);
  const result = rebuildRunIndex({
    runsDir,
    sweepsDir: sweepsDirFrom(opts.sweepsDir),
    ...(opts.indexFile ? { file: opts.indexFile } : {}),
  });
  if (opts.json) printJson(result);
  else
    say(
      `tessera index: ${result.runs} runs, ${result.sweeps} sweeps into ${result.file} (${Math.round(result.ms)} ms)`,
    );
}
