/**
 * A stat cache of content hashes: path -> (size, mtime, sha256, format), one JSON file per data
 * root under `<cacheDir>/files/`. A second run over the same folder stats each file instead of
 * reading and hashing all of it (git's index makes the same trade: a file rewritten with the same
 * size within the same mtime tick would go unnoticed).
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface IndexedFile {
  size: number;
  mtimeMs: number;
  hash: string;
  /** sharp's format name of the content. */
  format: string;
}

/**
 * 2: entries are recorded only after a full decode (format 1 entries were header-checked, so a
 * truncated file could be in them: they are checked again).
 */
const INDEX_FORMAT = 2;

interface IndexFile {
  format: typeof INDEX_FORMAT;
  root: string;
  files: Record<string, IndexedFile>;
}

/** The hash index of one data root; `load` it, `get`/`set` entries, then `save`. */
export class FileIndex {
  private files: Record<string, IndexedFile> = {};
  private dirty = false;

  private constructor(
    private readonly path: string | null,
    private readonly root: string,
  ) {}

  /** The index of `root` in `cacheDir` (an empty one that never saves when `cacheDir` is null). */
  static async load(cacheDir: string | null, root: string): Promise<FileIndex> {
    const name = createHash("sha256").update(root).digest("hex").slice(0, 24);
    const index = new FileIndex(cacheDir ? join(cacheDir, "files", `${name}.json`) : null, root);
    if (index.path) {
      const parsed = await readFile(index.path, "utf8")
        .then((t) => JSON.parse(t) as IndexFile)
        .catch(() => null);
      if (parsed?.format === INDEX_FORMAT && parsed.root === root) index.files = parsed.files;
    }
    return index;
  }

  /** The entry of `file` if its size and mtime are unchanged. */
  get(file: string, size: number, mtimeMs: number): IndexedFile | null {
    const hit = this.files[file];
    return hit && hit.size === size && hit.mtimeMs === mtimeMs ? hit : null;
  }

  set(file: string, entry: IndexedFile): void {
    this.files[file] = entry;
    this.dirty = true;
  }

  /** Writes the index atomically if it changed; a failure only costs the next run some reading. */
  async save(): Promise<void> {
    if (!this.path || !this.dirty) return;
    const body: IndexFile = { format: INDEX_FORMAT, root: this.root, files: this.files };
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      await mkdir(join(this.path, ".."), { recursive: true });
      await writeFile(tmp, JSON.stringify(body));
      await rename(tmp, this.path);
      this.dirty = false;
    } catch {
      // Read-only or full cache disk: the images were still checked, nothing is lost.
    }
  }
}
