/**
 * Which files of a local run folder go to the server, and how: top files (meta, config, summary,
 * report...) and top-loss thumbnails one by one; a checkpoint folder as one staged upload that the
 * server swaps in whole (`ingest.commitFolder`). A file is sent only when its sha256 differs from
 * what the server holds; hashes are cached by (size, mtime, inode) so an idle poll hashes nothing.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { uploadPathProblem } from "@tessera/shared/ingest";
import { commitFolder, putFile, type CallResult, type ServerAddress } from "./client";

const hashes = new Map<string, { key: string; sha256: string }>();

function statKey(file: string): string | null {
  const s = statSync(file, { throwIfNoEntry: false });
  return s?.isFile() ? `${s.size}:${s.mtimeMs}:${s.ino}` : null;
}

/** sha256 of a file, streamed; null when it is gone or swapped away while reading. */
async function sha256Of(file: string): Promise<string | null> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch {
    return null; // swapped away while reading: the next pass sees the new one
  }
  return hash.digest("hex");
}

/** sha256 of a local file (streamed), or null when it is gone; cached by its stat. */
export async function localSha256(file: string): Promise<string | null> {
  const key = statKey(file);
  if (!key) return null;
  const hit = hashes.get(file);
  if (hit?.key === key) return hit.sha256;
  const sha256 = await sha256Of(file);
  if (sha256 && statKey(file) === key) hashes.set(file, { key, sha256 });
  return sha256;
}

/** Single files to mirror: the top files of the layout and top-loss thumbnails that exist. */
export function singleFiles(runDir: string): string[] {
  const top = [
    RUN_FILES.config,
    RUN_FILES.source,
    RUN_FILES.split,
    RUN_FILES.activationCache,
    RUN_FILES.summary,
    RUN_FILES.report,
    RUN_FILES.meta, // last: a final status arrives after what it summarises
  ].filter((f) => existsSync(join(runDir, f)));
  const losses = join(runDir, RUN_FILES.topLosses);
  const thumbs = existsSync(losses) ? readdirSync(losses).map((n) => `${RUN_FILES.topLosses}/${n}`) : [];
  return [...thumbs.filter((p) => uploadPathProblem(p) === null), ...top];
}

/** Checkpoint folders present locally (`checkpoints/best`, `checkpoints/fold1/last`, `checkpoints/resume`). */
export function checkpointFolders(runDir: string): string[] {
  const root = join(runDir, RUN_FILES.checkpoints);
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    if (["best", "last", "resume"].includes(name)) out.push(`${RUN_FILES.checkpoints}/${name}`);
    else if (/^fold\d{1,3}$/.test(name))
      for (const kind of ["best", "last"])
        if (existsSync(join(root, name, kind))) out.push(`${RUN_FILES.checkpoints}/${name}/${kind}`);
  }
  return out.filter((f) => statSync(join(runDir, f), { throwIfNoEntry: false })?.isDirectory());
}

/** Uploads one file if the server's copy differs; returns the new sha256, or null when unchanged/gone. */
export async function syncFile(
  addr: ServerAddress,
  runId: string,
  runDir: string,
  relpath: string,
  serverSha: string | undefined,
): Promise<CallResult<string | null>> {
  const file = join(runDir, relpath);
  const sha256 = await localSha256(file);
  if (!sha256 || sha256 === serverSha) return { ok: true, value: null };
  const r = await putFile(addr, runId, relpath, file, sha256);
  return r.ok ? { ok: true, value: sha256 } : r;
}

/**
 * A private, consistent copy of a checkpoint folder: its files hard-linked (copied across file
 * systems) into a dot-folder of the runs dir, outside the run folder (listings skip it: no meta.json). The runner never rewrites a checkpoint file in place; it swaps
 * the whole folder by rename (runs/atomic.ts). So if the folder's inode is the same before and
 * after linking, every link is the same version, and what is uploaded from the copy cannot change
 * mid-upload (uploading from the live folder did: a swap between hashing and sending made the
 * server refuse the sha256, and a kill at that moment left the server without the newest resume point).
 * Returns null when a swap happened while linking (the next pass takes the new folder).
 */
function snapshotFolder(dir: string, runsDir: string): { dir: string; names: string[] } | null {
  const before = statSync(dir, { throwIfNoEntry: false });
  if (!before?.isDirectory()) return null;
  const snap = join(runsDir, `.tessera-upload-${randomBytes(6).toString("hex")}`);
  mkdirSync(snap);
  try {
    const names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && !d.name.startsWith("."))
      .map((d) => d.name);
    for (const name of names) {
      try {
        linkSync(join(dir, name), join(snap, name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
        copyFileSync(join(dir, name), join(snap, name));
      }
    }
    const after = statSync(dir, { throwIfNoEntry: false });
    if (after?.ino !== before.ino) throw new Error("swapped");
    return { dir: snap, names };
  } catch {
    rmSync(snap, { recursive: true, force: true });
    return null;
  }
}

/**
 * Uploads a checkpoint folder whose files differ from the server's, staged then committed, from a
 * snapshot taken first (snapshotFolder), so the files sent are one version of the folder.
 * Returns the files sent.
 */
export async function syncFolder(
  addr: ServerAddress,
  runId: string,
  runDir: string,
  folder: string,
  server: Record<string, string>,
): Promise<CallResult<Record<string, string> | null>> {
  const snap = snapshotFolder(join(runDir, folder), dirname(runDir));
  if (!snap) return { ok: true, value: null };
  try {
    const files: { path: string; sha256: string; size: number }[] = [];
    for (const name of snap.names) {
      const sha256 = await sha256Of(join(snap.dir, name)); // a private snapshot: nothing to cache
      if (!sha256) return { ok: true, value: null };
      files.push({ path: `${folder}/${name}`, sha256, size: statSync(join(snap.dir, name)).size });
    }
    if (files.length === 0 || files.every((f) => server[f.path] === f.sha256)) return { ok: true, value: null };
    const upload = randomBytes(9).toString("base64url");
    for (const [i, f] of files.entries()) {
      const r = await putFile(addr, runId, f.path, join(snap.dir, snap.names[i]!), f.sha256, upload);
      if (!r.ok) return r;
    }
    const r = await commitFolder(addr, { runId, upload, folder, files });
    return r.ok ? { ok: true, value: Object.fromEntries(files.map((f) => [f.path, f.sha256])) } : r;
  } finally {
    rmSync(snap.dir, { recursive: true, force: true });
  }
}
