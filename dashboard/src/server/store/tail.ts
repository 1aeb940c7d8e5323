/**
 * `tailEvents`: the backlog of a run's `events.jsonl` followed by every line appended later, as
 * one async generator. The watcher is armed BEFORE the backlog is read, so a line written while
 * the backlog streams is still seen (no gap); events are yielded in `seq` order and never twice
 * (no duplicate), even if the file is rewritten.
 */
import { watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { RUN_FILES, type RunEvent } from "@tessera/shared";
import { readNewEvents } from "./jsonl";

export interface TailOptions {
  /** Yield only events with a larger seq (a reconnecting client's last seen seq). */
  afterSeq?: number;
  signal?: AbortSignal;
  /** Fallback poll in ms for file systems where `fs.watch` misses writes. @default 1000 */
  pollMs?: number;
}

/** Streams the events of the run in `dir` until `signal` aborts. */
export async function* tailEvents(dir: string, opts: TailOptions = {}): AsyncGenerator<RunEvent> {
  const file = join(dir, RUN_FILES.events);
  const cursor = { offset: 0 };
  let lastSeq = opts.afterSeq ?? -1;
  let dirty = true;
  let wake: (() => void) | null = null;
  const notify = () => {
    dirty = true;
    wake?.();
  };
  let watcher: FSWatcher | null = null;
  try {
    // The folder, not the file: events.jsonl may not exist yet when a run has just started.
    watcher = watch(dir, notify);
    watcher.on("error", () => undefined);
  } catch {
    // no watch support (or the folder vanished): the poll below still works
  }
  const timer = setInterval(notify, opts.pollMs ?? 1000);
  opts.signal?.addEventListener("abort", notify);
  try {
    while (!opts.signal?.aborted) {
      if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      dirty = false;
      if (opts.signal?.aborted) break;
      for (const event of await readNewEvents(file, cursor)) {
        if (event.seq <= lastSeq) continue;
        lastSeq = event.seq;
        yield event;
      }
    }
  } finally {
    watcher?.close();
    clearInterval(timer);
    opts.signal?.removeEventListener("abort", notify);
  }
}
