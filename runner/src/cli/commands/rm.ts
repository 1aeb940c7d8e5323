/** `tessera rm <run>`: deletes a run folder, unless a live process is still writing it. */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { ExitError } from "../../errors";
import { processAlive, resolveRunRef, runsDirFrom } from "../../runs";
import { say } from "../../runs/cli-text";

export interface RmOptions {
  runsDir?: string;
}

/** Removes the run folder `ref` names (an id or a folder); refuses one that a live run holds. */
export async function rmCommand(ref: string, opts: RmOptions = {}): Promise<void> {
  const dir = resolveRunRef(ref, runsDirFrom(opts.runsDir));
  let holder: { pid?: number } | null = null;
  try {
    holder = JSON.parse(readFileSync(join(dir, RUN_FILES.lock), "utf8")) as { pid?: number };
  } catch {
    holder = null;
  }
  if (holder && typeof holder.pid === "number" && processAlive(holder.pid)) {
    throw new ExitError(`tessera: ${dir} is being written by pid ${holder.pid}; stop that run first`);
  }
  rmSync(dir, { recursive: true, force: true });
  say(`removed ${dir}`);
}
