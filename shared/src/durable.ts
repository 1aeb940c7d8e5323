/**
 * Writes that survive a power cut, not only a crash: data is fsync'ed before the rename that
 * publishes it, and the folder after the rename, so the new name is on disk too (ext4's default
 * data=ordered mostly hides a missing fsync; other file systems and mount options do not). Shared
 * because two writers use it: the runner's run store and the central server's ingest.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";

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

/**
 * Truncates the bytes after the last newline of `file` (a half-written line) so the next append
 * starts on a fresh line. Returns how many bytes were cut. Reads only the file's tail.
 */
export function repairTornTail(file: string, warn: (message: string) => void): number {
  const fd = openSync(file, "r+");
  try {
    const size = fstatSync(fd).size;
    let end = size;
    const chunk = Buffer.alloc(64 * 1024);
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      const nl = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (nl >= 0) {
        end = start + nl + 1;
        break;
      }
      end = start;
    }
    const cut = size - end;
    if (cut > 0) {
      ftruncateSync(fd, end);
      warn(`tessera: ${file}: removed a half-written last line (${cut} bytes) left by a killed process`);
    }
    return cut;
  } finally {
    closeSync(fd);
  }
}
