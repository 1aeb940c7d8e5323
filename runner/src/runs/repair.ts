/** Repairing an events file left by a process killed mid-write, before another attempt appends to it. */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync } from "node:fs";
import type { Warn } from "@tessera/shared/runstore";

/**
 * Truncates the bytes after the last newline of `file` (a half-written line) so the next append
 * starts on a fresh line. Returns how many bytes were cut. Reads only the file's tail.
 */
export function repairTornTail(file: string, warn: Warn): number {
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
