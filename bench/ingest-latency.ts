/**
 * Event -> browser latency through the central server (`pnpm bench:ingest-latency`): a worker's
 * run folder gains an event line (written as the runner writes them), RemoteSync pushes it to the
 * real dashboard server over loopback, and a client subscribed to `runs.events` over SSE (what the
 * Run page does) receives it. Measures append -> SSE receipt per event: median and p95 over
 * --events N (200) appended every --gap-ms N (50). Goal: median < 250 ms, as for local runs.
 * Prints JSON on stdout.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { tokensFileFor } from "../shared/src/cluster/tokens";
import { startDashboard } from "../dashboard/serve";
import { RemoteSync } from "../runner/src/remote";
import { addToken } from "../runner/src/remote/tokens";
import { FixtureRun } from "../tests/e2e/fixture-run";

const { values } = parseArgs({
  options: { events: { type: "string", default: "200" }, "gap-ms": { type: "string", default: "50" } },
});
const EVENTS = Number(values.events);
const GAP = Number(values["gap-ms"]);
const ADMIN = "bench-admin-token-0000";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const log = (line: string) => process.stderr.write(`${line}\n`);

const scratch = mkdtempSync(join(tmpdir(), "tessera-bench-ingest-lat-"));
const central = join(scratch, "central", "runs");
mkdirSync(central, { recursive: true });
const token = addToken(tokensFileFor(central), "gpu-1");
const dashboard = await startDashboard({ runsDir: central, port: 0, token: ADMIN, log: () => undefined });
const run = new FixtureRun(join(scratch, "worker", "runs"), "20270101-000000-latency-0001");
const sync = RemoteSync.start({
  server: dashboard.url,
  token,
  worker: "gpu-1",
  runId: run.id,
  runDir: run.dir,
  stateDir: join(scratch, "worker", "state"),
  log,
});
const abort = new AbortController();
try {
  const batch = (step: number) =>
    ({ type: "batch", stage: "all", epoch: 0, step, loss: 1, lr: { head: 1e-3 }, images_per_s: 1 }) as const;
  run.append(batch(0));
  if (!(await sync.flush(60_000)).ok)
    throw new Error(`the run never reached the server: ${JSON.stringify(sync.current)}`);

  const appended = new Map<number, number>();
  const latencies: number[] = [];
  const input = encodeURIComponent(JSON.stringify({ id: run.id }));
  const res = await fetch(`${dashboard.url}/api/trpc/runs.events?input=${input}`, {
    headers: { accept: "text/event-stream", authorization: `Bearer ${ADMIN}` },
    signal: abort.signal,
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const receiving = (async () => {
    let buf = "";
    while (latencies.length < EVENTS) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const id = /^id: ?(.*)$/m.exec(buf.slice(0, end))?.[1];
        buf = buf.slice(end + 2);
        const t = id === undefined ? undefined : appended.get(Number(id));
        if (t !== undefined) latencies.push(performance.now() - t);
      }
    }
  })();
  await sleep(500); // the backlog (seq 0) first
  for (let i = 1; i <= EVENTS; i++) {
    const e = run.append(batch(i));
    appended.set(e.seq, performance.now());
    await sleep(GAP);
  }
  await Promise.race([receiving, sleep(30_000)]);
  const result = {
    events: EVENTS,
    received: latencies.length,
    gap_ms: GAP,
    median_ms: +quantile(latencies, 0.5).toFixed(1),
    p95_ms: +quantile(latencies, 0.95).toFixed(1),
    max_ms: +Math.max(...latencies).toFixed(1),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  abort.abort();
  await sync.stop(10_000);
  await dashboard.close();
  rmSync(scratch, { recursive: true, force: true });
}
