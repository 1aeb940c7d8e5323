/**
 * A real tiny training run (`tessera run` on the demo config, shrunk) synced to the real dashboard
 * server by RemoteSync, with the server stopped for part of the run and restarted on the same
 * port: the worker trains on, buffers in its events.jsonl, replays when the server returns, and the
 * server's run folder ends equal to the local one (events byte for byte, summary, meta, the best
 * checkpoint) and reads the same through the shared run-store readers.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeRun, listRuns, readRun } from "@tessera/shared/runstore";
import { tokensFileFor } from "@tessera/shared/tokens";
import { startDashboard, type RunningDashboard } from "../../dashboard/serve";
import { downloadRun, RemoteSync } from "../../runner/src/remote";
import { addToken } from "../../runner/src/remote/tokens";
import { REPO_ROOT } from "../helpers/paths";

const TINY = [
  "data.classes=3",
  "data.per_class=10",
  "data.image_size=32",
  "model.width=0.125",
  "train.batch_size=8",
  "train.stages[0].epochs=1",
  "train.stages[1].epochs=4",
  "train.stages[1].size=32",
  "backend=cpu",
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = (file: string, what: string) =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.includes(what)).length
    : 0;

async function until(what: string, ok: () => boolean, ms = 240_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe("ingest over a server restart", () => {
  let scratch: string;
  let central: string;
  let dashboard: RunningDashboard;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "tessera-ingest-"));
    central = join(scratch, "central", "runs");
    mkdirSync(central, { recursive: true });
    dashboard = await startDashboard({ runsDir: central, port: 0, log: () => undefined });
  });

  afterAll(async () => {
    child?.kill("SIGKILL");
    await dashboard?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("buffers while the server is down, replays after, and the two folders end equal", async () => {
    const token = addToken(tokensFileFor(central), "gpu-1");
    const localRuns = join(scratch, "worker", "runs");
    const runId = "20260101-000000-demo-1ngs";
    const tsx = join(REPO_ROOT, "node_modules", ".bin", "tsx");
    const sets = TINY.flatMap((s) => ["--set", s]);
    child = spawn(
      tsx,
      ["runner/src/cli/bin.ts", "run", "configs/demo.yaml", ...sets, "--runs-dir", localRuns, "--run-id", runId],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const exited = new Promise<number>((r) => child!.on("exit", (code) => r(code ?? 1)));

    const runDir = join(localRuns, runId);
    const logs: string[] = [];
    const sync = RemoteSync.start({
      server: dashboard.url,
      token,
      worker: "gpu-1",
      runId,
      runDir,
      stateDir: join(scratch, "worker", "state"),
      pollMs: 100,
      maxBackoffMs: 400,
      log: (l) => logs.push(`${new Date().toISOString()} ${l}`),
      onRefused: (m) => logs.push(`refused: ${m}`),
    });
    const serverEvents = join(central, runId, "events.jsonl");
    const localEvents = join(runDir, "events.jsonl");

    // the first epoch reached the server: stop it
    logs.push(`${new Date().toISOString()} test: waiting for the first epoch on the server`);
    await until("the first epoch on the server", () => count(serverEvents, '"type":"epoch"') >= 1);
    logs.push(`${new Date().toISOString()} test: stopping the server`);
    const port = dashboard.port;
    await dashboard.close();
    const atStop = count(serverEvents, '"seq"');
    const localAtStop = count(localEvents, '"type":"epoch"');
    // training goes on: two more epochs land locally while the server is away
    await until(
      "two epochs written while the server is down",
      () => count(localEvents, '"type":"epoch"') >= localAtStop + 2,
    );
    await until("the sync to notice", () => sync.current.state === "offline", 40_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(sync.current)}\n${logs.join("\n")}`);
    });
    expect(count(serverEvents, '"seq"')).toBe(atStop);
    expect(count(localEvents, '"seq"')).toBeGreaterThan(atStop);

    logs.push(`${new Date().toISOString()} test: restarting the server`);
    dashboard = await startDashboard({ runsDir: central, port, log: () => undefined });
    logs.push(`${new Date().toISOString()} test: waiting for the run to end`);
    const code = await exited;
    expect(code, stderr.slice(-2000)).toBe(0);
    const done = await sync.stop(120_000);
    if (process.env.TESSERA_TEST_VERBOSE) console.info(logs.join("\n"));
    expect(done.ok, JSON.stringify(done.status)).toBe(true);

    // byte for byte: every line once, in order, nothing lost while the server was down
    const local = readFileSync(localEvents);
    expect(readFileSync(serverEvents).equals(local)).toBe(true);
    const seqs = local
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    for (const f of [
      "meta.json",
      "config.yaml",
      "summary.json",
      "checkpoints/best/model.json",
      "checkpoints/best/weights.bin",
    ]) {
      expect(readFileSync(join(central, runId, f)).equals(readFileSync(join(runDir, f))), f).toBe(true);
    }
    // the server's folder reads like the local one, and is not left looking live or killed
    const there = describeRun(await readRun(join(central, runId)));
    const here = describeRun(await readRun(runDir));
    expect({ ...there, dir: "" }).toEqual({ ...here, dir: "" });
    expect(there.meta.status).toBe("finished");
    const [row] = (await listRuns(central)).filter((r) => r.meta.id === runId);
    expect(row?.stale).toBe(false);
    expect(row?.lock.held).toBe("free");

    // and the CLI reads it as it reads the worker's: `show` says the same, `report` renders
    const cli = (...args: string[]) =>
      execFileSync(tsx, ["runner/src/cli/bin.ts", ...args], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    const show = (d: string) => ({ ...(JSON.parse(cli("show", d, "--json")) as object), dir: "" });
    expect(show(join(central, runId))).toEqual(show(runDir));
    cli("report", join(central, runId), "--out", join(scratch, "report"));
    expect(readFileSync(join(scratch, "report", "report.md"), "utf8")).toContain(runId);

    // what a retried job's worker fetches back is the server's folder, file for file
    const copy = join(scratch, "worker-2", "runs", runId);
    const got = await downloadRun({ server: dashboard.url, token, worker: "gpu-1", runId, toDir: copy });
    if (!got.ok) throw new Error(got.message);
    const paths = got.value.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(["events.jsonl", "meta.json", "config.yaml", "checkpoints/best/model.json"]),
    );
    for (const f of paths)
      expect(readFileSync(join(copy, f)).equals(readFileSync(join(central, runId, f))), f).toBe(true);
    expect(got.value.lastSeq).toBe(seqs.length - 1);
  });
});
