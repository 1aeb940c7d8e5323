/** `tessera rm <run>`: deletes a run folder, unless a process (here or on another host) is still writing it. */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { lockState } from "@tessera/shared/runstore";
import { ExitError } from "../../errors";
import { resolveRunRef, runsDirFrom } from "../../runs";
import { say } from "../../runs/cli-text";

export interface RmOptions {
  runsDir?: string;
}

/**
 * Removes the run folder `ref` names (an id or a folder). Refuses one that a live process on this
 * host holds, and one locked from another host, whose process this machine cannot check (the
 * runs dir may be shared storage): deleting under a live writer would lose its run.
 */
export async function rmCommand(ref: string, opts: RmOptions = {}): Promise<void> {
  const dir = resolveRunRef(ref, runsDirFrom(opts.runsDir));
  const lock = lockState(dir);
  if (lock.held === "here") {
    throw new ExitError(`tessera: ${dir} is being written by pid ${lock.lock.pid}; stop that run first`);
  }
  if (lock.held === "elsewhere") {
    throw new ExitError(
      `tessera: ${dir} is locked by pid ${lock.lock.pid} on host ${lock.lock.host} (since ${lock.lock.since}); ` +
        `stop that run first, or delete ${join(dir, RUN_FILES.lock)} if that process is gone`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  say(`removed ${dir}`);
}
