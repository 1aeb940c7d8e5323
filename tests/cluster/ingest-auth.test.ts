/**
 * Who may write into the central store, over real HTTP against the dashboard server: a missing or
 * wrong token, a revoked one (no restart), a worker token trying the UI or the runs API, a forged
 * principal header, a worker writing a run it did not claim, a path-escaping file name, and — with
 * a queue — claims checked against the job, the latest claim winning over the old worker.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { request } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockState } from "@tessera/shared/runstore";
import { tokensFileFor } from "@tessera/shared/tokens";
import { startDashboard, type RunningDashboard } from "../../dashboard/serve";
import { setLauncher, type Launcher, type QueueJob } from "../../dashboard/src/server/cluster/launcher";
import { addToken, revokeToken } from "../../runner/src/remote/tokens";
import { RemoteSync } from "../../runner/src/remote";
import { FixtureRun } from "../e2e/fixture-run";
import { REPO_ROOT } from "../helpers/paths";

const ADMIN = "admin-token-0123456789";
let scratch: string;
let runs: string;
let dashboard: RunningDashboard;
let w1: string;
let w2: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "tessera-ingest-auth-"));
  runs = join(scratch, "runs");
  mkdirSync(runs);
  w1 = addToken(tokensFileFor(runs), "w1");
  w2 = addToken(tokensFileFor(runs), "w2");
  dashboard = await startDashboard({ runsDir: runs, port: 0, token: ADMIN, log: () => undefined });
});
afterAll(async () => {
  setLauncher(undefined);
  await dashboard?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function trpc(token: string | null, name: string, input: unknown, extra: Record<string, string> = {}) {
  const res = await fetch(`${dashboard.url}/api/trpc/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra },
    body: JSON.stringify(input),
  });
  return { status: res.status, text: await res.text() };
}

/** A raw request, so the path goes out exactly as written (fetch would normalise `..`). */
function raw(method: string, path: string, token: string, body = ""): Promise<number> {
  const url = new URL(dashboard.url);
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          authorization: `Bearer ${token}`,
          "x-tessera-sha256": createHash("sha256").update(body).digest("hex"),
        },
      },
      (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
      },
    );
    req.on("error", fail);
    req.end(body);
  });
}

const claim = (runId: string, worker: string, jobId: string | null = null, attempt = 1) => ({
  runId,
  jobId,
  attempt,
  worker,
});
const oneEvent = (seq: number) => ({
  seq,
  line: JSON.stringify({ format: 1, seq, time: "t", type: "batch", attempt: 1 }),
});

describe("ingest access", () => {
  const id = "20260101-000000-auth-0001";

  it("refuses a missing or wrong token, and a worker token anywhere but ingest", async () => {
    expect((await trpc(null, "ingest.claim", claim(id, "w1"))).status).toBe(401);
    expect((await trpc("wrong-token-xxxxxxxx", "ingest.claim", claim(id, "w1"))).status).toBe(401);
    for (const path of ["/", "/api/trpc/runs.list", "/api/runs/x/files/a.png"]) {
      const res = await fetch(`${dashboard.url}${path}`, { headers: { authorization: `Bearer ${w1}` } });
      expect(res.status, path).toBe(401);
    }
    // a batched call that slips a runs.* procedure in beside an ingest one
    expect((await trpc(w1, "ingest.claim,runs.list?batch=1", { 0: claim(id, "w1"), 1: {} })).status).toBe(401);
    // paths that normalise into another endpoint than they name: refused either way
    expect(await raw("GET", "/api/ingest/../trpc/runs.list", w1)).toBe(401);
    expect(await raw("PUT", `/api/trpc/../ingest/runs/${id}/files/summary.json`, w1, "{}")).toBe(400);
    // the admin token still opens the UI
    expect(
      (await fetch(`${dashboard.url}/api/trpc/runs.list`, { headers: { authorization: `Bearer ${ADMIN}` } })).status,
    ).toBe(200);
  });

  it("lets a worker write only the run it claimed, with its own identity, never outside the run", async () => {
    expect((await trpc(w1, "ingest.claim", claim(id, "w1"))).status).toBe(200);
    expect((await trpc(w1, "ingest.events", { runId: id, events: [oneEvent(0)] })).status).toBe(200);
    // w2 names itself w1 in the input and forges the principal header: the token decides
    const forged = await trpc(
      w2,
      "ingest.events",
      { runId: id, events: [oneEvent(1)] },
      {
        "x-tessera-worker": "w1",
        "x-tessera-principal": "x:worker:w1",
      },
    );
    expect(forged.status).toBe(403);
    expect(forged.text).toMatch(/claimed by worker w1/);
    expect(await raw("PUT", `/api/ingest/runs/${id}/files/..%2F..%2Fescape.json`, w1, "{}")).toBe(400);
    expect(await raw("PUT", `/api/ingest/runs/${id}/files/checkpoints%2F..%2F..%2Fx.json`, w1, "{}")).toBe(400);
    expect(await raw("PUT", `/api/ingest/runs/..%2F${id}/files/meta.json`, w1, "{}")).toBe(400);
    expect(await raw("PUT", `/api/ingest/runs/${id}/files/summary.json`, w1, "{}")).toBe(200);
    expect(await raw("PUT", `/api/ingest/runs/${id}/files/summary.json`, w2, "{}")).toBe(403);
    // the admin token acts as the worker it names
    const admin = await trpc(
      ADMIN,
      "ingest.events",
      { runId: id, events: [oneEvent(1)] },
      { "x-tessera-worker": "w1" },
    );
    expect(admin.status).toBe(200);
  });

  it("refuses a revoked token from the next request, without a restart", async () => {
    expect((await trpc(w1, "ingest.events", { runId: id, events: [oneEvent(2)] })).status).toBe(200);
    expect(revokeToken(tokensFileFor(runs), "w1")).toBe(true);
    expect((await trpc(w1, "ingest.events", { runId: id, events: [oneEvent(3)] })).status).toBe(401);
  });

  it("stops a RemoteSync whose token is revoked, and says so through onRefused", async () => {
    const w5 = addToken(tokensFileFor(runs), "w5");
    const run = new FixtureRun(join(scratch, "w5", "runs"), "20260101-000000-revoked-0004");
    const batch = (step: number) =>
      ({ type: "batch", stage: "s", epoch: 0, step, loss: 1, lr: { head: 1e-3 }, images_per_s: 1 }) as const;
    run.append(batch(0));
    let refused: string | null = null;
    const sync = RemoteSync.start({
      server: dashboard.url,
      token: w5,
      worker: "w5",
      runId: run.id,
      runDir: run.dir,
      stateDir: join(scratch, "w5", "state"),
      pollMs: 50,
      log: () => undefined,
      onRefused: (message) => (refused = message),
    });
    expect((await sync.flush(30_000)).ok).toBe(true);
    expect(readFileSync(join(runs, run.id, "events.jsonl"), "utf8")).toBe(
      readFileSync(join(run.dir, "events.jsonl"), "utf8"),
    );
    revokeToken(tokensFileFor(runs), "w5");
    run.append(batch(1));
    for (let i = 0; i < 200 && refused === null; i++) await new Promise((r) => setTimeout(r, 50));
    expect(refused).toMatch(/ingest needs a worker token/);
    expect(sync.current.state).toBe("refused");
    await sync.stop(1000);
  });

  it("issues a working token from the CLI (printed once on stdout)", async () => {
    const tsx = join(REPO_ROOT, "node_modules", ".bin", "tsx");
    const out = execFileSync(tsx, ["runner/src/cli/bin.ts", "token", "add", "w6", "--runs-dir", runs], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    expect(out).toMatch(/^tsw_[A-Za-z0-9_-]{40,}$/);
    const r = await trpc(out, "ingest.claim", claim("20260101-000000-cli-0005", "w6"));
    expect(r.status).toBe(200);
  });

  it("with a queue, checks the claim against the job and lets the latest claim win", async () => {
    const jobs: QueueJob[] = [];
    const launcher = { list: async () => jobs } as unknown as Launcher;
    setLauncher(launcher);
    const w3 = addToken(tokensFileFor(runs), "w3");
    const run = "20260101-000000-queued-0002";
    const job = (state: QueueJob["state"], worker: string | null, runId = run): QueueJob => ({
      jobId: "j1",
      runId,
      name: "q",
      state,
      priority: 0,
      attempts: 1,
      worker,
      sweep: null,
      enqueuedAt: "",
      error: null,
    });
    expect((await trpc(w2, "ingest.claim", claim(run, "w2", "j1"))).text).toMatch(/no job j1/);
    jobs.push(job("waiting", null));
    expect((await trpc(w2, "ingest.claim", claim(run, "w2", "j1"))).text).toMatch(/waiting, not active/);
    jobs[0] = job("active", "w2", "20260101-000000-another-0003");
    expect((await trpc(w2, "ingest.claim", claim(run, "w2", "j1"))).text).toMatch(/is for run/);
    jobs[0] = job("active", "w2");
    expect((await trpc(w2, "ingest.claim", claim(run, "w2", null))).status).toBe(403);
    expect((await trpc(w2, "ingest.claim", claim(run, "w2", "j1"))).status).toBe(200);
    expect((await trpc(w2, "ingest.events", { runId: run, events: [oneEvent(0)] })).status).toBe(200);
    const lock = { pid: 4242, host: "gpu-machine-2", since: "2026-01-01T00:00:00Z" };
    expect((await trpc(w2, "ingest.lock", { runId: run, lock })).status).toBe(200);
    expect(lockState(join(runs, run)).held).toBe("elsewhere"); // live on another host
    // w2 is "killed"; the stalled job is retried on w3, which takes the run over
    jobs[0] = job("active", "w3");
    expect((await trpc(w3, "ingest.claim", claim(run, "w3", "j1", 2))).text).toMatch(/"lastSeq":0/);
    expect(lockState(join(runs, run)).held).toBe("free"); // the dead worker's lock went with its claim
    const old = await trpc(w2, "ingest.events", { runId: run, events: [oneEvent(1)] });
    expect(old.status).toBe(403);
    expect((await trpc(w2, "ingest.claim", claim(run, "w2", "j1", 1))).status).toBe(403);
    expect((await trpc(w3, "ingest.events", { runId: run, events: [oneEvent(1)] })).status).toBe(200);
  });
});
