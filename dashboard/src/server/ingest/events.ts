/**
 * `ingest.events`: appends a worker's event lines to the server's events.jsonl, idempotent by
 * (run, seq). A batch may overlap what the server has (a retry after a lost answer): lines with
 * seq <= lastSeq are skipped. A batch that starts past lastSeq + 1 would leave a hole and is
 * refused with CONFLICT carrying lastSeq, so the worker re-sends from there. Lines are written as
 * the worker sent them, so the two files are equal byte for byte.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { FORMAT, RUN_FILES } from "@tessera/shared";
import { repairTornTail } from "@tessera/shared/durable";
import type { EventsInput } from "@tessera/shared/ingest";
import { emitRunChanged } from "../cluster/run-changes";
import { claimedDir, IngestRefusal, withRun } from "./store";

const KEY = Symbol.for("tessera.ingest.lastSeq");
const holder = globalThis as unknown as Record<symbol, Map<string, { size: number; lastSeq: number }> | undefined>;
/** file -> its size and last seq when this process last wrote or read it. */
const known = (holder[KEY] ??= new Map());

/** The seq of the file's last line (-1 for an empty file), after cutting a torn last line. */
export function lastSeqOf(file: string): number {
  const size = statSync(file).size;
  const hit = known.get(file);
  if (hit && hit.size === size) return hit.lastSeq;
  repairTornTail(file, (line) => process.stderr.write(`${line}\n`));
  const fd = openSync(file, "r");
  try {
    const end = fstatSync(fd).size;
    let lastSeq = -1;
    if (end > 0) {
      // A line is at most MAX_EVENT_LINE_BYTES; read back until the previous newline.
      let start = Math.max(0, end - 64 * 1024);
      for (;;) {
        const buf = Buffer.alloc(end - start);
        readSync(fd, buf, 0, buf.length, start);
        const nl = buf.subarray(0, buf.length - 1).lastIndexOf(0x0a);
        if (nl >= 0 || start === 0) {
          const line = buf.subarray(nl + 1, buf.length - 1).toString("utf8");
          lastSeq = (JSON.parse(line) as { seq: number }).seq;
          break;
        }
        start = Math.max(0, start - 1024 * 1024);
      }
    }
    known.set(file, { size: end, lastSeq });
    return lastSeq;
  } finally {
    closeSync(fd);
  }
}

/** Checks one line: a JSON event of our format whose seq is the one it was sent with; returns its type. */
function checkLine(seq: number, line: string): string {
  if (/[\n\r]/.test(line)) throw new IngestRefusal("BAD_REQUEST", `event seq ${seq}: a line cannot contain a newline`);
  let parsed: { format?: unknown; seq?: unknown; type?: unknown };
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    throw new IngestRefusal("BAD_REQUEST", `event seq ${seq}: not a JSON line`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new IngestRefusal("BAD_REQUEST", `event seq ${seq}: not a JSON object`);
  if (parsed.format !== FORMAT)
    throw new IngestRefusal(
      "BAD_REQUEST",
      `event seq ${seq}: format ${JSON.stringify(parsed.format)}, expected ${FORMAT}`,
    );
  if (parsed.seq !== seq)
    throw new IngestRefusal("BAD_REQUEST", `event seq ${seq}: the line says seq ${JSON.stringify(parsed.seq)}`);
  if (typeof parsed.type !== "string") throw new IngestRefusal("BAD_REQUEST", `event seq ${seq}: no type`);
  return parsed.type;
}

/** Appends the batch for the worker `identity`, which must hold the run's claim. */
export function appendEvents(identity: string, input: EventsInput): Promise<{ lastSeq: number }> {
  return withRun(input.runId, () => {
    const dir = claimedDir(input.runId, identity);
    const types = input.events.map((e, i) => {
      if (i > 0 && e.seq !== input.events[i - 1]!.seq + 1)
        throw new IngestRefusal(
          "BAD_REQUEST",
          `events must have consecutive seqs; ${e.seq} follows ${input.events[i - 1]!.seq}`,
        );
      return checkLine(e.seq, e.line);
    });
    const file = join(dir, RUN_FILES.events);
    const lastSeq = lastSeqOf(file);
    const fresh = input.events.filter((e) => e.seq > lastSeq);
    if (fresh.length === 0) return { lastSeq };
    if (fresh[0]!.seq !== lastSeq + 1)
      throw new IngestRefusal(
        "CONFLICT",
        `the server has events up to seq ${lastSeq}; this batch starts at ${fresh[0]!.seq}`,
        lastSeq,
      );
    const bytes = Buffer.from(fresh.map((e) => `${e.line}\n`).join(""), "utf8");
    const fd = openSync(file, "a");
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
      // The runner's rule: per-step lines are many and cheap to lose, the rest are fsynced. An
      // acked batch line lost in a server crash comes back: the next push finds a gap (CONFLICT)
      // and the worker, whose own file still has it, resends from the server's lastSeq.
      if (types.slice(-fresh.length).some((t) => t !== "batch" && t !== "lr_find_step")) fsyncSync(fd);
      const size = fstatSync(fd).size;
      known.set(file, { size, lastSeq: fresh.at(-1)!.seq });
    } finally {
      closeSync(fd);
    }
    emitRunChanged(input.runId);
    return { lastSeq: fresh.at(-1)!.seq };
  });
}
