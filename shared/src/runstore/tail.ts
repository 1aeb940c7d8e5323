/**
 * Following a run live: `tailEvents` yields every event of `events.jsonl` once, in order, then
 * waits for more. It starts watching *before* it reads the backlog, so nothing appended in
 * between is missed, and it yields by seq, so nothing is yielded twice (tRPC next-sse-chat's
 * pattern). fs.watch wakes it promptly; a poll covers file systems where watch is unreliable.
 */
import { closeSync, existsSync, openSync, readSync, statSync, watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import type { RunEvent } from "../events";
import { RUN_FILES } from "../runfiles";
import { parseEventLine, warnToStderr, type Warn } from "./parse";

export interface TailOptions {
  /** Yield only events with a greater seq (a reconnecting client's last seen id). */
  afterSeq?: number;
  /** Stops the generator (it returns; no error). */
  signal?: AbortSignal;
  /** Poll interval of the fallback, in ms. @default 500 */
  pollMs?: number;
  /** Return after yielding `run_finished` or `run_failed` instead of waiting for a resume. @default false */
  untilEnd?: boolean;
  warn?: Warn;
}

/**
 * Yields the run's events from `afterSeq` on, live. Raw: a `run_resumed` event tells the consumer
 * to drop earlier events with seq in `(superseded_after_seq, run_resumed.seq)` (see dropSuperseded).
 */
export async function* tailEvents(dir: string, opts: TailOptions = {}): AsyncGenerator<RunEvent> {
  const file = join(dir, RUN_FILES.events);
  const warn = opts.warn ?? warnToStderr;
  const signal = opts.signal;
  let lastSeq = opts.afterSeq ?? -1;
  let offset = 0;
  let dirty = true;
  let wakeUp: (() => void) | null = null;
  const wake = () => {
    dirty = true;
    wakeUp?.();
  };

  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, { persistent: false }, wake);
    watcher.on("error", () => undefined); // the poll keeps going
  } catch {
    watcher = null; // folder not there yet, or watch unsupported: poll only
  }
  const timer = setInterval(wake, opts.pollMs ?? 500);
  signal?.addEventListener("abort", wake);
  try {
    while (!signal?.aborted) {
      if (!dirty) {
        await new Promise<void>((resolve) => (wakeUp = resolve));
        wakeUp = null;
        continue;
      }
      dirty = false;
      if (!existsSync(file)) continue;
      const size = statSync(file).size;
      if (size < offset) offset = 0; // replaced or truncated below what we read: seq keeps us from repeating
      if (size === offset) continue;
      const buffer = Buffer.alloc(size - offset);
      const fd = openSync(file, "r");
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, offset);
      } finally {
        closeSync(fd);
      }
      const end = buffer.subarray(0, n).lastIndexOf(0x0a);
      if (end < 0) continue; // only a line in progress so far
      offset += end + 1;
      for (const line of buffer.subarray(0, end).toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        const event = parseEventLine(line, file, warn);
        if (!event || event.seq <= lastSeq) continue;
        lastSeq = event.seq;
        yield event;
        if (signal?.aborted) return;
        if (opts.untilEnd && (event.type === "run_finished" || event.type === "run_failed")) return;
      }
      dirty = true; // more may have arrived while the consumer held us
    }
  } finally {
    clearInterval(timer);
    watcher?.close();
    signal?.removeEventListener("abort", wake);
  }
}
