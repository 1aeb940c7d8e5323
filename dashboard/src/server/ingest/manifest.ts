/**
 * What the server holds of a run, as `{path, sha256, size}`: the claim's answer, so a worker skips
 * uploads the server already has and `downloadRun` knows what to fetch (and can check it).
 * Hashes are streamed and cached by (size, mtime, inode): a large checkpoint is hashed once per version.
 */
import { createHash } from "node:crypto";
import { createReadStream, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { uploadPathProblem, type StoredFile } from "@tessera/shared/ingest";

const KEY = Symbol.for("tessera.ingest.hashes");
const holder = globalThis as unknown as Record<symbol, Map<string, { key: string; sha256: string }> | undefined>;
const hashes = (holder[KEY] ??= new Map());

/** sha256 of a file, streamed (checkpoints may be large); cached by its stat. */
export async function fileSha256(file: string): Promise<string> {
  const s = statSync(file);
  const key = `${s.size}:${s.mtimeMs}:${s.ino}`;
  const hit = hashes.get(file);
  if (hit?.key === key) return hit.sha256;
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const sha256 = hash.digest("hex");
  hashes.set(file, { key, sha256 });
  return sha256;
}

/** Relative paths that may be fetched back: the upload allow-list plus events.jsonl. */
export function downloadable(relpath: string): boolean {
  return relpath === RUN_FILES.events || uploadPathProblem(relpath) === null;
}

function walk(dir: string, root: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue; // lock, claim, staging, temp files
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, root, out);
    else if (entry.isFile()) out.push(relative(root, path).split(sep).join("/"));
  }
}

/** Every downloadable file of the run folder `dir`, sorted by path. */
export async function storedFiles(dir: string): Promise<StoredFile[]> {
  const paths: string[] = [];
  walk(dir, dir, paths);
  const out: StoredFile[] = [];
  for (const path of paths.filter(downloadable).sort()) {
    const file = join(dir, path);
    out.push({ path, sha256: await fileSha256(file), size: statSync(file).size });
  }
  return out;
}
