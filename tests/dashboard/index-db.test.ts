/**
 * The SQLite run index (issue 18): rebuilt from the run folders it gives the same rows as reading
 * the folders; a deleted, cut or foreign index file is rebuilt with a warning; events appended
 * after the server opened it reach the list (by the poll's reconcile and by the run-changed signal);
 * filters, sort and the sweep table run on it.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { appRouter } from "../../dashboard/src/server/routers/_app";
import { emitRunChanged } from "../../dashboard/src/server/cluster/run-changes";
import { RunIndex, rebuildRunIndex } from "../../dashboard/src/server/index-db";
import { readRunEntry } from "../../dashboard/src/server/index-db/entry";
import { runIds } from "../../dashboard/src/server/index-db/runs-table";
import { readSweepRow } from "../../dashboard/src/server/index-db/sweeps-table";
import { listRunRows } from "../../dashboard/src/server/store/runs";
import { FixtureRun } from "../e2e/fixture-run";
import { populate } from "../e2e/populate";
import { FixtureSweep } from "../e2e/sweep-fixture";
import { missingComponent } from "../helpers/components";
import { REPO_ROOT } from "../helpers/paths";

let scratch: string;
let runs: string;
let sweeps: string;
const caller = appRouter.createCaller({});
const opened: RunIndex[] = [];
const warnings: string[] = [];
const open = (extra: { file?: string; pollMs?: number; scanMs?: number } = {}) => {
  const index = RunIndex.open({ runsDir: runs, sweepsDir: sweeps, warn: (l) => warnings.push(l), ...extra });
  opened.push(index);
  return index;
};
const ALL = { sort: "started", dir: "desc", offset: 0, limit: 1000 } as const;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "tessera-index-"));
  runs = join(scratch, "runs");
  sweeps = join(scratch, "sweeps");
  process.env.TESSERA_RUNS_DIR = runs;
  process.env.TESSERA_SWEEPS_DIR = sweeps;
  process.env.TESSERA_INDEX_POLL_MS = "0";
  await populate(runs, 10);
  const broken = new FixtureRun(runs, "20260101-200000-broken-ffff", { name: "broken", config_hash: "deadbeef" });
  broken.append({ type: "run_failed", error: "out of memory", stage: null, epoch: null });
  new FixtureRun(runs, "20260101-210000-alive-0001", { name: "alive" }); // held by this live pid
  const sweep = new FixtureSweep(sweeps, "20260102-000000-sw-aaaa", 3);
  for (let t = 0; t < 3; t++) {
    const id = `20260102-00000${t}-trial-000${t}`;
    new FixtureRun(runs, id, { name: `trial-${t}`, sweep: sweep.id, trial: t, status: "finished" }).release();
    sweep.trial(t, id, 0.5 + t / 10);
  }
  writeFileSync(join(runs, "not-a-run.txt"), "x");
});
afterEach(() => {
  while (opened.length) opened.pop()!.close();
  warnings.length = 0;
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const skip = await missingComponent("sqlite");

describe.skipIf(skip !== null)("the run index", () => {
  it("rebuilt from the folders, holds exactly what the folders give, row for row", async () => {
    const result = rebuildRunIndex({ runsDir: runs, sweepsDir: sweeps, file: join(scratch, "rebuilt.sqlite") });
    expect(result).toMatchObject({ runs: 15, sweeps: 1 });
    const index = open({ file: join(scratch, "rebuilt.sqlite") });
    const fromFiles = runIds(runs)
      .map((id) => readRunEntry(runs, id))
      .sort((a, b) => b!.started.localeCompare(a!.started) || b!.id.localeCompare(a!.id));
    expect(index.runs.entries()).toEqual(fromFiles);
    const now = Date.now();
    const indexed = index.runs.query(runs, ALL, now).rows;
    const files = (await listRunRows(runs)).map((r) => ({ ...r, seconds: expect.closeTo(r.seconds, 0) }));
    expect(indexed).toEqual(files);
    expect(index.listSweeps()).toEqual([readSweepRow(sweeps, "20260102-000000-sw-aaaa")]);
  });

  it("a deleted index is created again from the folders, without a warning", () => {
    const file = join(scratch, "deleted.sqlite");
    open({ file }).close();
    rmSync(file);
    expect(open({ file }).runs.entries()).toHaveLength(15);
    expect(warnings).toEqual([]);
  });

  it("a corrupt or cut index file is rebuilt with a warning, never a crash", () => {
    const file = join(scratch, "corrupt.sqlite");
    writeFileSync(file, "this is not a SQLite database, it is a text file that lost a fight with dd\n".repeat(200));
    expect(open({ file }).runs.entries()).toHaveLength(15);
    expect(warnings.join("\n")).toMatch(/corrupt\.sqlite is unreadable .*rebuilding it from the run folders/);
    opened.pop()!.close();
    warnings.length = 0;
    truncateSync(file, 1000); // a cut file: the header survives, the pages do not
    expect(open({ file }).runs.entries()).toHaveLength(15);
    expect(warnings).toHaveLength(1);
  });

  it("an index written by another schema version is rebuilt, with a warning", () => {
    const file = join(scratch, "old.sqlite");
    const { db } = open({ file });
    db.exec("UPDATE runs SET id = 'ghost' WHERE id = (SELECT min(id) FROM runs)");
    db.pragma("user_version = 99");
    opened.pop()!.close();
    expect(
      open({ file })
        .runs.entries()
        .map((e) => e.id),
    ).not.toContain("ghost");
    expect(warnings.join("\n")).toMatch(/schema 99.*rebuilding/);
  });

  it("a file last filled from another runs dir is read again whole, not mixed", () => {
    const file = join(scratch, "shared-file.sqlite");
    const other = join(scratch, "other-runs");
    new FixtureRun(other, "20260105-000000-other-0001", { name: "other" }).release();
    expect(open({ file }).runs.entries()).toHaveLength(15);
    opened.pop()!.close();
    const index = RunIndex.open({ runsDir: other, sweepsDir: sweeps, file });
    opened.push(index);
    expect(index.runs.entries().map((e) => e.name)).toEqual(["other"]);
  });

  it("the dashboard's list survives a corrupt index file at start: a warning on stderr and the full list", async () => {
    const file = join(scratch, "served.sqlite");
    writeFileSync(file, Buffer.alloc(8192, 0xab));
    process.env.TESSERA_INDEX_FILE = file;
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      expect((await caller.runs.list({})).total).toBe(15);
    } finally {
      process.stderr.write = write;
    }
    expect(written.join("")).toMatch(/served\.sqlite is unreadable/);
  });

  it("an event appended after the server opened the index shows in the next list", async () => {
    const live = new FixtureRun(runs, "20260103-000000-live-0003", { name: "live-after-start" });
    live.append({
      type: "run_started",
      run_id: live.id,
      config_hash: "c0ffee00",
      data_hash: "d",
      classes: ["A"],
      backend: "cpu",
      seed: 1,
    });
    const before = (await caller.runs.list({ q: "live-after-start" })).rows[0]!;
    expect(before).toMatchObject({ status: "running", lastSeq: 0, lastAccuracy: null, stale: false });
    live.append({
      type: "epoch",
      stage: "head",
      epoch: 0,
      step: 5,
      train_loss: 1,
      valid_loss: 1,
      valid_accuracy: 0.625,
      per_class: [],
      confusion: [],
      seconds: 1,
    });
    const after = (await caller.runs.list({ q: "live-after-start" })).rows[0]!;
    expect(after).toMatchObject({ lastSeq: 1, lastAccuracy: 0.625, bestAccuracy: 0.625 });
    live.release();
    expect((await caller.runs.list({ q: "live-after-start" })).rows[0]!.stale).toBe(true);
    rmSync(live.dir, { recursive: true });
    expect((await caller.runs.list({ q: "live-after-start" })).total).toBe(0);
  });

  it("between polls, the run-changed signal (an ingest) updates that run at once", async () => {
    const index = open({ pollMs: 3_600_000 }).listen();
    const run = new FixtureRun(runs, "20260103-010000-ingested-0004", { name: "ingested" });
    run.append({
      type: "run_started",
      run_id: run.id,
      config_hash: "c0ffee00",
      data_hash: "d",
      classes: ["A"],
      backend: "cpu",
      seed: 1,
    });
    const q = { ...ALL, q: "ingested" };
    expect(index.listRuns(q).total).toBe(0); // the poll is an hour away: not seen yet
    emitRunChanged(run.id);
    expect(index.listRuns(q).rows[0]).toMatchObject({ id: run.id, lastSeq: 0, status: "running" });
    run.append({ type: "run_failed", error: "boom", stage: null, epoch: null });
    emitRunChanged(run.id);
    expect(index.listRuns(q).rows[0]).toMatchObject({ status: "failed", lastSeq: 1 });
    rmSync(run.dir, { recursive: true });
    emitRunChanged(run.id);
    expect(index.listRuns(q).total).toBe(0);
  });

  it("a finished run changed without a signal (a local --resume) is found by the background scan, not per request", async () => {
    const index = open({ pollMs: 0, scanMs: 50 });
    const id = "20260101-100000-synthetic-0000";
    const metaFile = join(runs, id, "meta.json");
    const eventsFile = join(runs, id, "events.jsonl");
    const saved = [readFileSync(metaFile, "utf8"), readFileSync(eventsFile, "utf8")] as const;
    const q = { ...ALL, q: id };
    try {
      // what `tessera run --resume` writes: meta.json running again, then run_resumed
      writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(saved[0]), status: "running", attempt: 2 }));
      const seq = saved[1].trim().split("\n").length;
      const resumed = { format: 1, seq, time: new Date().toISOString(), type: "run_resumed", attempt: 2 };
      appendFileSync(eventsFile, `${JSON.stringify({ ...resumed, from: null, superseded_after_seq: seq - 1 })}\n`);
      expect(index.listRuns(q).rows[0]!.status).toBe("finished"); // the quick check skips ended runs
      index.listen();
      await vi.waitFor(
        () => expect(index.listRuns(q).rows[0]).toMatchObject({ status: "running", stale: true, lastSeq: seq }),
        { timeout: 5_000 },
      );
    } finally {
      writeFileSync(metaFile, saved[0]);
      writeFileSync(eventsFile, saved[1]);
    }
  });

  it("filters by status, name, tag, config hash and sweep, and sorts like the file-based list", async () => {
    const ids = async (input: Parameters<typeof caller.runs.list>[0]) =>
      (await caller.runs.list(input)).rows.map((r) => r.id);
    expect(await ids({ status: ["failed"] })).toEqual(["20260101-200000-broken-ffff"]);
    expect(await ids({ status: ["running"] })).toEqual(["20260101-210000-alive-0001"]);
    expect((await caller.runs.list({ q: "SYNTHETIC-3" })).rows.map((r) => r.name)).toEqual(["synthetic-3"]);
    expect(await ids({ sweep: "20260102-000000-sw-aaaa" })).toEqual([
      "20260102-000002-trial-0002",
      "20260102-000001-trial-0001",
      "20260102-000000-trial-0000",
    ]);
    expect(await ids({ q: "sweep:20260102-000000-SW" })).toHaveLength(3);
    expect(await ids({ q: "host:test", status: ["failed", "running"] })).toHaveLength(2);
    expect((await caller.runs.list({ configHash: "hash0001" })).total).toBe(2);
    expect((await caller.runs.list({ configHash: "dead" })).rows.map((r) => r.name)).toEqual(["broken"]);
    const all = await listRunRows(runs);
    for (const sort of ["bestAccuracy", "name", "seconds"] as const) {
      for (const dir of ["asc", "desc"] as const) {
        const got = (await caller.runs.list({ sort, dir, status: ["finished"] })).rows.map((r) => r[sort]);
        const want = all.filter((r) => r.status === "finished").map((r) => r[sort]);
        const sorted = [...want].sort((a, b) =>
          a === b
            ? 0
            : a === null
              ? -1
              : b === null
                ? 1
                : typeof a === "number"
                  ? a - (b as number)
                  : String(a).localeCompare(String(b)),
        );
        expect(got).toEqual(dir === "asc" ? sorted : sorted.reverse());
      }
    }
    const page = await caller.runs.list({ limit: 4, offset: 4 });
    expect(page.rows.map((r) => r.id)).toEqual(all.slice(4, 8).map((r) => r.id));
  });

  it("the sweep table follows trials.jsonl as trials finish", async () => {
    const sweep = new FixtureSweep(sweeps, "20260104-000000-sw-bbbb", 2);
    expect((await caller.sweeps.list())[0]).toMatchObject({ id: sweep.id, trials: 0, planned: 2, best: null });
    sweep.trial(0, "20260104-000000-t0", 0.7);
    sweep.trial(1, "20260104-000001-t1", 0.9);
    sweep.append({ type: "sweep_finished", best: 1 });
    const row = (await caller.sweeps.list())[0]!;
    expect(row).toEqual(readSweepRow(sweeps, sweep.id));
    expect(row).toMatchObject({
      status: "finished",
      trials: 2,
      best: { trial: 1, runId: "20260104-000001-t1", objective: 0.9 },
    });
    rmSync(sweep.dir, { recursive: true });
    expect((await caller.sweeps.list()).map((s) => s.id)).toEqual(["20260102-000000-sw-aaaa"]);
  });

  it("`tessera index rebuild --runs DIR` rebuilds the file a server would open, over a corrupt one", () => {
    const file = join(scratch, ".tessera", "runs.index.sqlite"); // the default: beside the runs dir
    mkdirSync(join(scratch, ".tessera"), { recursive: true });
    writeFileSync(file, "garbage");
    const { TESSERA_INDEX_FILE: _, ...env } = process.env; // the default place, not the last test's file
    const cli = spawnSync(
      "pnpm",
      ["-s", "tessera", "index", "rebuild", "--runs", runs, "--sweeps-dir", sweeps, "--json"],
      { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000, env },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ file, runs: 15, sweeps: 1 });
    expect(cli.stderr).toMatch(/unreadable/);
    expect(open({ file }).runs.entries()).toHaveLength(15);
    expect(warnings).toEqual([]);
  });

  it("`tessera index rebuild` refuses a runs dir that does not exist, naming the flag (not an empty index)", () => {
    const missing = join(scratch, "no-such-runs");
    const cli = spawnSync("pnpm", ["-s", "tessera", "index", "rebuild", "--runs-dir", missing], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain(`--runs-dir ${missing}: no such folder`);
  });
});
