/**
 * Reading `events.jsonl` safely: a torn (half-written) last line is skipped with a warning, lines of
 * an unknown format are skipped, and events superseded by a resume are dropped.
 */
import { FORMAT, type RunEvent } from "../events";

/** Where warnings go; the default writes to stderr. */
export type Warn = (message: string) => void;
export const warnToStderr: Warn = (message) => console.warn(message);

/** One parsed line, or null (with a warning) when it is not a readable format-1 event. */
export function parseEventLine(line: string, where: string, warn: Warn): RunEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    warn(
      `tessera: ${where}: skipping a line that is not complete JSON (torn write?): ${JSON.stringify(line.slice(0, 80))}`,
    );
    return null;
  }
  const event = value as Partial<RunEvent> | null;
  if (!event || typeof event !== "object" || typeof event.seq !== "number" || typeof event.type !== "string") {
    warn(`tessera: ${where}: skipping a line that is not an event: ${JSON.stringify(line.slice(0, 80))}`);
    return null;
  }
  if (event.format !== FORMAT) {
    warn(
      `tessera: ${where}: skipping an event of unknown format ${JSON.stringify(event.format)} (this reader knows ${FORMAT})`,
    );
    return null;
  }
  return event as RunEvent;
}

/**
 * Parses a whole events file. The text after the last newline is a write in progress or a torn
 * write: it is left out (with a warning when `final`, i.e. nobody is writing any more).
 */
export function parseEvents(text: string, where: string, warn: Warn = warnToStderr): RunEvent[] {
  const events: RunEvent[] = [];
  const end = text.lastIndexOf("\n");
  const rest = text.slice(end + 1);
  if (rest.trim()) warn(`tessera: ${where}: ignoring a half-written last line (${rest.length} bytes)`);
  for (const line of text.slice(0, end + 1).split("\n")) {
    if (!line.trim()) continue;
    const event = parseEventLine(line, where, warn);
    if (event) events.push(event);
  }
  return events;
}

/** Event types a resume makes obsolete: they belong to the abandoned part of an attempt. */
const SUPERSEDABLE = new Set<RunEvent["type"]>([
  "batch",
  "epoch",
  "checkpoint",
  "lr_find",
  "lr_find_step",
  "stage_started",
  "stage_finished",
]);

/**
 * Drops the events a `run_resumed` supersedes: those written by the abandoned attempt after the
 * checkpoint it resumed from (seq in `(superseded_after_seq, resumed.seq)`). Lifecycle events
 * (`run_interrupted`, `run_failed`) stay as history. After this, each (fold, stage, epoch) has at
 * most one `epoch` event.
 */
export function dropSuperseded(events: RunEvent[]): RunEvent[] {
  const ranges: [number, number][] = [];
  for (const e of events) {
    if (e.type === "run_resumed") ranges.push([e.superseded_after_seq, e.seq]);
  }
  if (ranges.length === 0) return events;
  return events.filter(
    (e) => !SUPERSEDABLE.has(e.type) || !ranges.some(([after, until]) => e.seq > after && e.seq < until),
  );
}
