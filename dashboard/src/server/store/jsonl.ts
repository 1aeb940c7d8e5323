/**
 * Incremental `events.jsonl` reading: only complete lines are parsed, so a line the runner is
 * half-way through writing (a torn line) is left for the next read instead of failing.
 */
import { open } from "node:fs/promises";
import { FORMAT, type RunEvent } from "@tessera/shared";

/** Where a reader stopped: the byte offset just after the last complete line. */
export interface JsonlCursor {
  offset: number;
}

/**
 * Reads the complete lines appended since `cursor.offset`, advances the cursor, and returns the
 * events parsed from them. Lines that are not JSON or carry an unknown `format` are skipped.
 */
export async function readNewEvents(file: string, cursor: JsonlCursor): Promise<RunEvent[]> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size < cursor.offset) cursor.offset = 0; // truncated or replaced: start over
    if (size === cursor.offset) return [];
    const buffer = Buffer.alloc(size - cursor.offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, cursor.offset);
    const chunk = buffer.subarray(0, bytesRead);
    const lastNewline = chunk.lastIndexOf(0x0a);
    if (lastNewline < 0) return [];
    cursor.offset += lastNewline + 1;
    return parseLines(chunk.subarray(0, lastNewline).toString("utf8"));
  } finally {
    await handle.close();
  }
}

/** Parses JSONL text into events, skipping blank, malformed and foreign-format lines. */
export function parseLines(text: string): RunEvent[] {
  const events: RunEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const value = JSON.parse(line) as RunEvent;
      if (value && value.format === FORMAT && typeof value.seq === "number") events.push(value);
    } catch {
      // a corrupt line (e.g. after a crash mid-write) is skipped; the seq gap shows it
    }
  }
  return events;
}
