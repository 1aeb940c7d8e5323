/**
 * `ingest.commitFolder` and `ingest.lock`. A checkpoint is a folder (model.json, weights.bin,
 * checkpoint.json, and for the resume point the optimizer state) whose files only make sense
 * together, so it is uploaded into a staging folder and swapped in whole, the way the runner's
 * `replaceDirAtomic` publishes it locally: a reader or a resuming worker sees the old folder or
 * the new one, never a mix. The lock mirror makes a run on a worker look live in the central
 * store (a lock from another host counts as held), and stale once the worker's lock is gone.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { fsyncDir } from "@tessera/shared/durable";
import { checkpointFolderOf, type CommitFolderInput, type LockInput } from "@tessera/shared/ingest";
import { emitRunChanged } from "../cluster/run-changes";
import { fileSha256 } from "./manifest";
import { claimedDir, IngestRefusal, renameAndSync, withRun } from "./store";

/** Swaps the staged upload `input.upload` of `input.folder` into the run, after checking its files. */
export function commitFolder(identity: string, input: CommitFolderInput): Promise<{ files: number }> {
  return withRun(input.runId, async () => {
    const dir = claimedDir(input.runId, identity);
    if (checkpointFolderOf(`${input.folder}/x.json`) !== input.folder)
      throw new IngestRefusal("BAD_REQUEST", `${JSON.stringify(input.folder)} is not a checkpoint folder`);
    const staged = join(dir, RUN_FILES.ingestStaging, input.upload, input.folder);
    const have = existsSync(staged)
      ? readdirSync(staged)
          .filter((n) => !n.startsWith("."))
          .sort()
      : [];
    const want = input.files.map((f) => f.path).sort();
    const names = want.map((p) => (dirname(p) === input.folder ? basename(p) : null));
    if (names.includes(null)) throw new IngestRefusal("BAD_REQUEST", `every file must lie directly in ${input.folder}`);
    if (JSON.stringify(have) !== JSON.stringify(names))
      throw new IngestRefusal(
        "CONFLICT",
        `upload ${input.upload} of ${input.folder} holds [${have.join(", ")}], the commit names [${names.join(", ")}]`,
      );
    for (const f of input.files) {
      const sha256 = await fileSha256(join(staged, basename(f.path)));
      if (sha256 !== f.sha256)
        throw new IngestRefusal("CONFLICT", `${f.path}: staged sha256 ${sha256}, the commit says ${f.sha256}`);
    }
    const target = join(dir, input.folder);
    mkdirSync(dirname(target), { recursive: true });
    const old = join(dirname(target), `.${basename(target)}.old-${randomBytes(4).toString("hex")}`);
    if (existsSync(target)) renameSync(target, old);
    renameAndSync(staged, target);
    rmSync(old, { recursive: true, force: true });
    rmSync(join(dir, RUN_FILES.ingestStaging, input.upload), { recursive: true, force: true });
    emitRunChanged(input.runId);
    return { files: input.files.length };
  });
}

/** Writes (or, for `lock: null`, removes) the mirror of the worker's `.lock`. */
export function mirrorLock(identity: string, input: LockInput): Promise<{ ok: true }> {
  return withRun(input.runId, () => {
    const dir = claimedDir(input.runId, identity);
    const file = join(dir, RUN_FILES.lock);
    if (input.lock === null) {
      rmSync(file, { force: true });
      fsyncDir(dir);
    } else {
      const tmp = join(dir, `.lock.${randomBytes(4).toString("hex")}.tmp`);
      writeFileSync(tmp, JSON.stringify(input.lock));
      renameAndSync(tmp, file);
    }
    emitRunChanged(input.runId);
    return { ok: true as const };
  });
}
