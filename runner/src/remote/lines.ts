/**
 * Reading a local events.jsonl as the disk buffer of the push: the whole lines after a byte
 * offset, each with its seq, exactly as written (the server appends them byte for byte). A last
 * line without its newline is being written (or was torn by a kill) and is left for later.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export interface Line {
  seq: number;
  line: string;
  /** Byte offset just after this line's newline. */
  end: number;
}

// The writer puts `format` then `seq` first; the regex spares a JSON.parse of a 60 KB epoch line.
const HEAD = /^\{"format":1,"seq":(\d+),/;

function seqOf(line: string): number | null {
  const m = HEAD.exec(line);
  if (m) return Number(m[1]);
  try {
    const seq = (JSON.parse(line) as { seq?: unknown }).seq;
    return typeof seq === "number" && Number.isInteger(seq) ? seq : null;
  } catch {
    return null;
  }
}

/**
 * Up to `maxLines` whole lines (and about `maxBytes`) from `offset` on. Blank lines are skipped;
 * a line whose seq cannot be read stops the read there (`bad` says which offset), since sending
 * past it would leave a hole on the server.
 */
export function readLines(
  file: string,
  offset: number,
  maxLines: number,
  maxBytes = 8 * 1024 ** 2,
): { lines: Line[]; size: number; bad: number | null } {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const lines: Line[] = [];
    let pos = offset;
    let chunkSize = Math.min(Math.max(maxBytes, 64 * 1024), Math.max(size - pos, 0));
    while (pos < size && lines.length < maxLines) {
      const buf = Buffer.alloc(Math.min(chunkSize, size - pos));
      const n = readSync(fd, buf, 0, buf.length, pos);
      const last = buf.subarray(0, n).lastIndexOf(0x0a);
      if (last < 0) {
        if (pos + n >= size) break; // an unfinished last line
        chunkSize *= 2; // one line longer than the chunk: read more
        continue;
      }
      let start = 0;
      let consumed = pos;
      while (start <= last && lines.length < maxLines) {
        const nl = buf.indexOf(0x0a, start);
        const text = buf.subarray(start, nl).toString("utf8");
        const lineStart = pos + start;
        start = nl + 1;
        consumed = pos + start;
        if (!text.trim()) continue;
        const seq = seqOf(text);
        if (seq === null) return { lines, size, bad: lineStart };
        lines.push({ seq, line: text, end: consumed });
      }
      pos = consumed;
      if (pos - offset >= maxBytes) break;
    }
    return { lines, size, bad: null };
  } finally {
    closeSync(fd);
  }
}
