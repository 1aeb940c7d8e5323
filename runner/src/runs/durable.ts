/**
 * Writes that survive a power cut, not only a crash: data is fsync'ed before the rename that
 * publishes it, and the folder after the rename, so the new name is on disk too (ext4's default
 * data=ordered mostly hides a missing fsync; other file systems and mount options do not).
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";

/** Writes `data` to `file` and fsyncs it. */
export function writeFileSynced(file: string, data: string | Uint8Array): void {
  const fd = openSync(file, "w");
  try {
    if (typeof data === "string") writeSync(fd, data);
    else {
      let done = 0;
      while (done < data.byteLength) done += writeSync(fd, data, done, data.byteLength - done);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs a folder so the renames inside it are durable; a file system that refuses it (EINVAL, EISDIR on some) is fine. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EBADF") throw error;
  } finally {
    closeSync(fd);
  }
}
