/**
 * Frozen-prefix activation rows shared on disk between processes — a sweep's trials that freeze the
 * same prefix (same weights, cut, size, views, data) compute each row once for the whole sweep.
 *
 * Layout: `<root>/<sha256 of the key>/r<row>.f32`, one file per row, each written to a temporary
 * name and renamed into place, so a reader sees a whole row or none (never a torn row), whatever
 * process is killed when. Filling a block of rows takes that block's lock (`locks/b<n>/.lock`, the
 * run store's pid lock: a lock left by a killed process is taken over), so two trials do not compute
 * the same rows at once but do compute different blocks at once; the rename alone keeps the rows
 * correct even without the locks.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExitError } from "../../errors";
import { acquireRunLock, type RunLock } from "../../runs";

/** Env var naming the shared root; `tessera sweep` sets it for its trials. */
export const SHARE_ENV = "TESSERA_ACTIVATION_SHARE";

export class SharedActivations {
  readonly dir: string;

  constructor(
    root: string,
    key: string,
    readonly rowLength: number,
  ) {
    this.dir = join(root, createHash("sha256").update(key).digest("hex").slice(0, 32));
    mkdirSync(this.dir, { recursive: true });
  }

  private file(row: number): string {
    return join(this.dir, `r${row}.f32`);
  }

  /** The row's values, or null when no process has written it yet. */
  read(row: number): Float32Array | null {
    const file = this.file(row);
    if (!existsSync(file)) return null;
    const out = new Float32Array(this.rowLength);
    const fd = openSync(file, "r");
    try {
      const n = readSync(fd, new Uint8Array(out.buffer), 0, out.byteLength, 0);
      // Renamed into place whole, so a short file is not ours (another row length): ignore it.
      return n === out.byteLength ? out : null;
    } finally {
      closeSync(fd);
    }
  }

  /** Writes a row atomically (temporary file, then rename). */
  write(row: number, values: Float32Array): void {
    const tmp = `${this.file(row)}.${process.pid}.tmp`;
    writeFileSync(tmp, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    renameSync(tmp, this.file(row));
  }

  /** Takes the lock of one block of rows (row index / BLOCK_ROWS), or null while a live process holds it. */
  tryLock(block: number): RunLock | null {
    const dir = join(this.dir, "locks", `b${block}`);
    mkdirSync(dir, { recursive: true });
    try {
      return acquireRunLock(dir, () => undefined);
    } catch (error) {
      // Held by another process, or by another trial of this one (tests run two in one process).
      if (
        error instanceof ExitError &&
        /being written by pid|already open for writing in this process/.test(error.message)
      )
        return null;
      throw error;
    }
  }

  /** Takes the block's lock, waiting while another live process holds it. */
  async lock(block: number): Promise<RunLock> {
    for (;;) {
      const lock = this.tryLock(block);
      if (lock) return lock;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Rows per lock. One lock per entry made the second of two trials that start together wait for
 * the first to compute every row (they need the same rows in the same order); with a lock per
 * block, a trial that finds a block of its batch taken computes the batch's other blocks meanwhile,
 * so the two fill the prefix together.
 */
export const BLOCK_ROWS = 16;
/** Rows a trial claims (block locks it holds) per prefix pass: small enough that two trials split a batch. */
export const CLAIM_ROWS = 8;
