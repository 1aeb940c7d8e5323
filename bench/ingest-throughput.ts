/**
 * Ingest throughput (`pnpm bench:ingest-throughput`): N simulated workers (default 8), each with
 * its own worker token and run, push batch events to the real dashboard server on loopback through
 * the worker's client (runner/src/remote/client.ts), concurrently. Measures events/s accepted
 * (appended, fsynced, run-changed emitted) for two batch sizes side by side in one process: one
 * event per request (the worst case: a worker that keeps up with every line) and the batch a
 * catching-up worker sends. Options: --workers N (8), --events N per worker (2000), --batch N (200).
 * Prints JSON on stdout.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { tokensFileFor } from "../shared/src/cluster/tokens";
import { startDashboard } from "../dashboard/serve";
import { claim, pushEvents } from "../runner/src/remote/client";
import { addToken } from "../runner/src/remote/tokens";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "8" },
    events: { type: "string", default: "2000" },
    batch: { type: "string", default: "200" },
  },
});
const WORKERS = Number(values.workers);
const EVENTS = Number(values.events);
const log = (line: string) => process.stderr.write(`${line}\n`);

// A batch event as the runner writes it (~220 bytes).
const line = (seq: number) =>
  JSON.stringify({
    format: 1,
    seq,
    time: new Date().toISOString(),
    type: "batch",
    attempt: 1,
    stage: "all",
    epoch: Math.floor(seq / 100),
    step: seq,
    loss: 1 / (1 + seq),
    lr: { early: 1e-4, late: 3e-4, head: 1e-3 },
    images_per_s: 812.5,
  });

const scratch = mkdtempSync(join(tmpdir(), "tessera-bench-ingest-"));
const runs = join(scratch, "runs");
mkdirSync(runs);
const tokens = Array.from({ length: WORKERS }, (_, i) => addToken(tokensFileFor(runs), `w${i}`));
const dashboard = await startDashboard({ runsDir: runs, port: 0, log: () => undefined });
try {
  const results: Record<string, unknown>[] = [];
  for (const batch of [1, Number(values.batch)]) {
    const total = batch === 1 ? Math.min(EVENTS, 500) : EVENTS;
    const t0 = performance.now();
    await Promise.all(
      tokens.map(async (token, w) => {
        const addr = { server: dashboard.url, token, worker: `w${w}` };
        const runId = `20260101-000000-bench-b${batch}-w${w}`;
        const c = await claim(addr, { runId, jobId: null, attempt: 1, worker: `w${w}` });
        if (!c.ok) throw new Error(c.message);
        for (let seq = 0; seq < total; seq += batch) {
          const events = [];
          for (let s = seq; s < Math.min(total, seq + batch); s++) events.push({ seq: s, line: line(s) });
          const r = await pushEvents(addr, { runId, events });
          if (!r.ok) throw new Error(r.message);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const result = {
      workers: WORKERS,
      batch,
      events: WORKERS * total,
      seconds: +seconds.toFixed(2),
      events_per_s: Math.round((WORKERS * total) / seconds),
    };
    log(JSON.stringify(result));
    results.push(result);
  }
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} finally {
  await dashboard.close();
  rmSync(scratch, { recursive: true, force: true });
}
